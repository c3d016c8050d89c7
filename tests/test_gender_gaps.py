"""At the calibrated defaults, the status quo's gender gaps point the way the published record does
(women leave sooner, win fewer independent grants after a career award, are promoted more slowly).

Three replicates of 2,000 faculty over 25 years, pooled (hires only). Each gap must point the
published way by at least two standard errors of a difference of two proportions: a test of direction, not of
size (the sizes are calibration targets, checked by `careersim calibrate --check`)."""

import numpy as np
import pandas as pd
import pytest

from simulation.config.scenario import load_scenario
from simulation.run.simulate import simulate

SEEDS = (101, 102, 103)
SETS = ["population.n_faculty=2000", "horizon_years=25"]


@pytest.fixture(scope="module")
def hires() -> pd.DataFrame:
    tables = []
    for seed in SEEDS:
        people = simulate(load_scenario("status_quo", SETS, seed=seed)).people
        h = people[~people["initial"]].copy()
        h["seed"] = seed
        tables.append(h)
    return pd.concat(tables, ignore_index=True)


def _followed(h: pd.DataFrame, years: int) -> pd.DataFrame:
    """Hires who could be followed `years` years before the end of the run."""
    return h[h["hire_month"] + 12 * years <= 12 * 25]


def _share_gap(h: pd.DataFrame, event: pd.Series) -> tuple[float, float]:
    """Women's share minus men's, and the standard error of that difference."""
    w, m = event[h["gender"] == "women"], event[h["gender"] == "men"]
    pw, pm = w.mean(), m.mean()
    se = np.sqrt(pw * (1 - pw) / len(w) + pm * (1 - pm) / len(m))
    return pw - pm, se


def test_women_leave_sooner(hires):
    h = _followed(hires, 5)
    left = h["exit_month"].notna() & (h["exit_month"] - h["hire_month"] < 60) & (h["exit_reason"] == "left academia")
    gap, se = _share_gap(h, left.astype(float))  # women's share leaving minus men's
    assert gap > 2 * se, (gap, se)


def test_women_win_fewer_independent_grants_within_10_years(hires):
    """All hires: the career-award holders of one gender are too few in these runs for a test of
    direction (their gap is a calibration target, award_grant_10y_women and _men)."""
    h = _followed(hires, 10)
    won = h["month_first_grant"].notna() & (h["month_first_grant"] - h["hire_month"] < 120)
    gap, se = _share_gap(h, won.astype(float))
    assert gap < -2 * se, (gap, se)


def test_women_are_promoted_more_slowly(hires):
    h = _followed(hires, 10)
    promoted = h["month_associate"].notna() & (h["month_associate"] - h["hire_month"] < 120)
    gap, se = _share_gap(h, promoted.astype(float))
    assert gap < -2 * se, (gap, se)
