"""The memory estimate: an upper bound on what a run allocates, and a refusal that says why."""

from __future__ import annotations

import tracemalloc

import pytest
from typer.testing import CliRunner

from simulation.model import footprint
from simulation.cli import app
from simulation.model.footprint import MemoryShortError
from simulation.run.simulate import simulate

from .conftest import small


@pytest.mark.parametrize("scenario,sets", [
    ("network_peers", ["population.n_faculty=6000", "horizon_years=30"]),
    ("dyad", ["population.n_faculty=6000", "horizon_years=30"]),
    ("network", ["population.n_faculty=12000", "horizon_years=6"]),
])
def test_the_estimate_bounds_the_measured_peak_without_overstating_it(scenario, sets):
    params = small(scenario, *sets)
    simulate(small(scenario, "horizon_years=1"))  # compiled and warm, so the peak is the run's own
    tracemalloc.start()
    try:
        simulate(params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = footprint.estimate_bytes(params)
    assert peak <= estimate <= 3 * (peak + footprint.FIXED_BYTES), (peak, estimate)


def test_the_estimate_grows_with_population_horizon_and_ties():
    base = footprint.estimate_bytes(small("dyad"))
    assert footprint.estimate_bytes(small("dyad", "population.n_faculty=4000")) > 5 * (base - footprint.FIXED_BYTES)
    assert footprint.estimate_bytes(small("dyad", "horizon_years=40")) > base
    assert footprint.estimate_bytes(small("network_peers")) > base  # more tie slots per row


def test_a_run_that_cannot_fit_is_refused_before_anything_is_allocated(tmp_path, monkeypatch):
    monkeypatch.setattr(footprint, "available_bytes", lambda: 2 * 2**30)
    with pytest.raises(MemoryShortError, match=r"need about .* GB of memory and 2.0 GB is available"):
        footprint.check(small("dyad", "population.n_faculty=1000000", "population.n_institutions=10"))
    footprint.check(small("dyad"))  # a small one fits
    with pytest.raises(MemoryShortError, match="4 runs at once.*lower --workers"):
        footprint.check(small("dyad", "population.n_faculty=100000"), parallel=4)


def test_the_largest_population_is_refused_with_one_line_and_nothing_written(tmp_path):
    if (footprint.estimate_bytes(small("network", "population.n_faculty=5000000",
                                       "population.n_institutions=1000", "horizon_years=40"))
            < (footprint.available_bytes() or 0)):
        pytest.skip("this machine has the memory for the largest population")
    r = CliRunner().invoke(app, ["run", "network", "--set", "population.n_faculty=5000000",
                                 "--set", "population.n_institutions=1000", "--out", str(tmp_path / "big")])
    assert r.exit_code == 2
    line = r.output.strip()
    assert line.startswith("error: population.n_faculty = 5000000: the run would need about") and "\n" not in line
    assert "GB is available" in line and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())
