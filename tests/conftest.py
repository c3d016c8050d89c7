"""Shared fixtures: small scenarios that run in a fraction of a second once compiled."""

from __future__ import annotations

from functools import lru_cache

import pytest

from simulation.config.params import Params
from simulation.run.simulate import simulate
from simulation.config.scenario import load_scenario

SMALL = ["population.n_faculty=400", "population.n_institutions=4", "horizon_years=12"]


def pytest_configure(config):
    """Clear compiled kernels older than the code, once, before any test runs (the command line
    does this in `main()`; importing the package does nothing). Under xdist, the controller only."""
    if not hasattr(config, "workerinput"):
        from simulation.model import kernel_cache as _cache

        _cache.ensure_fresh()


def pytest_addoption(parser):
    parser.addoption(
        "--update-baseline", action="store_true", default=False,
        help="Rewrite tests/baseline/ (summaries and monthly series) from the current code (on purpose only).",
    )


def small(scenario: str | None = "status_quo", *sets: str, seed: int = 3) -> Params:
    """A scenario shrunk to a few hundred faculty and a dozen years."""
    return load_scenario(scenario, [*SMALL, *sets], seed=seed)


@lru_cache(maxsize=None)
def small_result(scenario: str = "status_quo", *sets: str, seed: int = 3):
    """The (cached) result of a small run: tests share runs instead of repeating them."""
    return simulate(small(scenario, *sets, seed=seed))


@pytest.fixture
def update_baseline(request) -> bool:
    return request.config.getoption("--update-baseline")


@pytest.fixture
def install_ensemble(tmp_path, monkeypatch):
    """`install_ensemble(members)`: a copy of the installed calibration record with these
    ensemble members (dotted name -> value; [] for a record without an ensemble) put in its place
    (`params.RECORD_FILE`, read by the commands, and `calibration.RECORD_FILE`, written by
    `--apply`; the record's cache cleared); returns the members. The package's own record is
    untouched (`simulation.config.resources.RECORD_FILE`)."""
    import json

    import simulation.config.params as params_mod
    import simulation.experiments.calibration as cal_mod

    record = {k: v for k, v in params_mod.calibration_record().items() if k != "ensemble"}
    made = []

    def install(members: list[dict[str, float]]) -> list[dict[str, float]]:
        data = dict(record)
        if members:
            data["ensemble"] = {"members": members, "method": "by hand (test)",
                                "created_utc": "2026-01-01T00:00:00+00:00", "source": "tests/conftest.py"}
        made.append(tmp_path / f"calibration-{len(made)}.json")
        made[-1].write_text(json.dumps(data))
        monkeypatch.setattr(params_mod, "RECORD_FILE", made[-1])
        monkeypatch.setattr(cal_mod, "RECORD_FILE", made[-1])
        params_mod.calibration_record.cache_clear()
        return members

    yield install
    params_mod.calibration_record.cache_clear()
