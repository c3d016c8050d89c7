"""Seeded regression baseline: catches silent drift in what the model computes.

After an intended change to the model, update the baseline on purpose with
    pytest tests/test_regression.py --update-baseline
and commit tests/baseline/ with a message that says why the numbers moved.

Two baselines: summary outcomes per case (regression.json) and each case's whole monthly series
(series_<case>.csv.gz). Both are checked against the README's reproducibility guarantee
(`simulation.run.reproducibility`), which is what holds on any processor: counts and integers
exactly, floats within a relative 1e-9, missing values where the baseline has them. On the
processor the baseline was made on (and any with FMA, whatever its vector width) they match bit
for bit; the test prints how many values differ in their last bits otherwise.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.outcomes import outcomes
from simulation.model.recorder import SERIES_NAMES
from simulation.run.reproducibility import ATOL, RTOL, check

from .conftest import small_result

BASELINE = Path(__file__).parent / "baseline" / "regression.json"
SERIES_BASELINE = Path(__file__).parent / "baseline" / "series_{}.csv.gz"
CASES = {
    "status_quo": ("status_quo", 101),
    "dyad": ("dyad", 101),
    "network_peers": ("network_peers", 101),
}
# the series that count people or events (integers stored as floats)
COUNTS = [n for n in SERIES_NAMES if n.startswith("n_") or n == "pubs"]
KEYS = ("retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_10y", "promoted_10y",
        "share_months_hole", "mean_mentors", "coverage_career")


def _measure() -> dict:
    out = {}
    for label, (scenario, seed) in CASES.items():
        r = small_result(scenario, seed=seed)
        o = outcomes(r.people, r.params.n_months).set_index("group")
        out[label] = {
            "n_people": int(len(r.people)),
            "n_ties": int(len(r.ties)),
            "pubs_total": int(r.people["pubs"].sum()),
            **{f"{g}.{k}": float(o.loc[g, k]) for g in ("women", "men") for k in KEYS},
        }
    return out


def test_regression_baseline(update_baseline):
    measured = _measure()
    if update_baseline:
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
        pytest.skip("baseline rewritten")
    assert BASELINE.exists(), "no baseline yet: run pytest tests/test_regression.py --update-baseline"
    expected = json.loads(BASELINE.read_text())
    assert measured.keys() == expected.keys()
    for label in expected:
        for key, value in expected[label].items():
            got = measured[label][key]
            if isinstance(value, int):
                assert got == value, f"{label}.{key}: {got} != baseline {value}"
            else:
                assert np.isclose(got, value, rtol=RTOL, atol=ATOL, equal_nan=True), (
                    f"{label}.{key}: {got} != baseline {value}")


def _series_file(label: str) -> Path:
    return Path(str(SERIES_BASELINE).format(label))


def _read_series(path: Path) -> pd.DataFrame:
    # round_trip: the CSV holds each float's shortest exact repr; read it back to the same bits
    return pd.read_csv(path, float_precision="round_trip")


@pytest.mark.parametrize("label", list(CASES))
def test_regression_monthly_series(label, update_baseline):
    scenario, seed = CASES[label]
    series = small_result(scenario, seed=seed).series
    path = _series_file(label)
    if update_baseline:
        path.parent.mkdir(exist_ok=True)
        series.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
        pytest.skip("baseline rewritten")
    assert path.exists(), "no baseline yet: run pytest tests/test_regression.py --update-baseline"
    expected = _read_series(path)
    assert list(series.columns) == list(expected.columns)
    assert len(series) == len(expected)
    got = series.astype(np.float64)
    for name in COUNTS:  # counts of people and events: identical on every processor
        same = (got[name] == expected[name]) | (got[name].isna() & expected[name].isna())
        assert same.all(), (f"{label}.{name}: first difference in month {int(np.flatnonzero(~same)[0])}: "
                            f"{got[name][~same].iloc[0]!r} != baseline {expected[name][~same].iloc[0]!r}")
    diffs = check(got, expected.astype(np.float64), f"{label} monthly series against the baseline")
    moved = [str(d) for d in diffs if d.n_different]
    if moved:  # within the guarantee, but not bit for bit: say so in the test log
        print(f"{label}: within the guarantee, not identical: " + "; ".join(moved))
