"""Each pattern's computation on constructed tables where the answer is known."""

import numpy as np
import pandas as pd
import pytest

from simulation.experiments import patterns as pat
from simulation.config.params import FUNCTIONS
from simulation.model.recorder import STAGES

N_MONTHS = 480


def series(all_covered=0.1, strong_all=0.05, woman_early=0.3, woman_late=0.5, coverage=None, need=None):
    s = pd.DataFrame({"month": np.arange(N_MONTHS)})
    s["share_all_covered"] = all_covered
    s["share_seniors_strong_all"] = strong_all
    s["share_women_with_woman_mentor"] = np.where(s["month"] < 120, woman_early, woman_late)
    for stage in STAGES:
        for f in FUNCTIONS:
            s[f"coverage_{stage}_{f}"] = (coverage or {}).get((stage, f), 0.5)
            s[f"need_{stage}_{f}"] = (need or {}).get((stage, f), 1.0)
    return s


def people(hole=0.3, no_mentor=0.1, psych=0.5, pubs=100, lost=2.0, losses=10, slope=-0.1, quality_gap=0.2):
    n = 40
    load = np.linspace(1, 12, n)
    return pd.DataFrame({
        "initial": False, "hire_month": 0, "end_month": 120, "censored": True,
        "months_as_protege": 100, "share_months_hole": hole, "share_months_no_mentor": no_mentor,
        **{f"mean_coverage_{f}": (psych if f == "psychosocial" else 0.5) for f in FUNCTIONS},
        "pubs": pubs / n, "n_mentor_losses": losses / n, "need_share_lost_to_mentor_exits": lost / n,
        "support_share_lost_per_mentor_exit": lost / losses,
        "months_mentoring": 24, "mean_load_when_mentoring": load,
        "mean_hours_per_protege": 3.0 + slope * load,
        "mean_quality_when_mentoring": np.where(load > 6, 1.0 - quality_gap, 1.0),
    })


def full_professors(p, women_leave_early=True):
    """Half the hires women, all full professors from month 150; one gender leaves at month 280."""
    p = p.copy()
    women = np.arange(len(p)) % 2 == 0
    p["gender"] = np.where(women, "women", "men")
    p["month_full"] = pd.array([150] * len(p), dtype="Int32")
    leaves = women if women_leave_early else ~women
    p["end_month"] = np.where(leaves, 280, N_MONTHS)
    p["censored"] = ~leaves
    return p


NEEDS_SHIFT = {**{(STAGES[0], f): 2.0 for f in ("science", "skills")},
               **{(STAGES[2], f): 2.0 for f in ("career", "networking")}}


def world(good=True):
    """Runs in which every pattern holds (good) or every one fails (not good)."""
    g = 1 if good else -1
    fixed_cov = {(STAGES[0], "science"): 0.9, (STAGES[0], "skills"): 0.9,
                 (STAGES[2], "career"): 0.3, (STAGES[2], "networking"): 0.3}
    tracking_cov = {(STAGES[0], "science"): 0.8, (STAGES[0], "skills"): 0.8,
                    (STAGES[2], "career"): 0.75, (STAGES[2], "networking"): 0.75}
    base = {
        "dyad": (people(hole=0.5, lost=4.0),
                 series(all_covered=0.1 if good else 0.6, coverage=fixed_cov if good else tracking_cov,
                        need=NEEDS_SHIFT, woman_early=0.3 if good else 0.6, woman_late=0.5)),
        "committee": (people(), series(coverage=fixed_cov if good else tracking_cov, need=NEEDS_SHIFT)),
        "status_quo": (full_professors(people(slope=-0.1 * g, quality_gap=0.2 * g), women_leave_early=good),
                       series(strong_all=0.05 if good else 0.5)),
        "network": (people(hole=0.5 - 0.2 * g, lost=4.0 - 2.0 * g, psych=0.5, pubs=100),
                    series(all_covered=0.1 + 0.3 * g, coverage=tracking_cov if good else fixed_cov,
                           need=NEEDS_SHIFT if good else None, woman_late=0.6)),
        "network_peers": (people(psych=0.5 + 0.2 * g, pubs=100 + 20 * g), series()),
        "network_women_mentor_policy": (people(), series(woman_late=0.6 + 0.2 * g)),
        "network_local_only": (people(hole=0.5 - 0.2 * g + 0.05), series(woman_late=0.6 - 0.1 * g)),
        "small_institutions": (people(hole=0.3), series(woman_early=0.5 + 0.1 * g)),
        "small_institutions_local_only": (people(hole=0.3 + 0.1 + 0.2 * g), series(woman_early=0.5)),
    }
    # four replicates with a little noise, so intervals are finite
    rng = np.random.default_rng(0)
    tables = {}
    for name, (p, s) in base.items():
        reps = []
        for r in range(4):
            p2 = p.copy()
            p2["share_months_hole"] = p2["share_months_hole"] + rng.normal(0, 0.002)
            reps.append((p2, s))
        tables[name] = reps
    return pat.Runs(tables)


def test_every_pattern_holds_where_it_was_built_to_hold():
    table = pat.compute(world(good=True), comfortable_load=6)
    assert set(table["pattern"]) == set(range(1, 9))
    assert table["holds"].all(), table[~table["holds"]][["pattern", "evidence", "mean", "ci_low", "ci_high"]]


def test_every_pattern_fails_where_it_was_built_to_fail():
    table = pat.compute(world(good=False), comfortable_load=6)
    assert not table["holds"].any(), table[table["holds"]][["pattern", "evidence", "mean"]]


def test_statistics_on_simple_tables():
    s = series(need=NEEDS_SHIFT)
    assert pat.needs_shift(None, s) == pytest.approx(4 / 7 - 2 / 7)
    p = people(slope=-0.25)
    assert pat.hours_load_slope(p, None) == pytest.approx(-0.25)
    assert pat.loss_per_mentor_exit(people(lost=3.0, losses=12), None) == pytest.approx(0.25)
    assert pat.first_decade_woman_mentor(None, series(woman_early=0.2, woman_late=0.5)) == pytest.approx(0.2)
    assert pat.quality_drop(6)(people(quality_gap=0.3), None) == pytest.approx(0.3)
    assert pat.woman_mentor_early_minus_late(None, series(woman_early=0.2, woman_late=0.5)) == pytest.approx(-0.3)


def test_full_share_gap_reweights_by_hiring_year():
    # window months 240-359; hiring year 0: 2 women, 2 men; hiring year 1: 1 woman, 3 men; an initial
    # woman full professor is not a hire and does not count
    p = pd.DataFrame({
        "initial": [False] * 8 + [True],
        "gender": ["women", "women", "men", "men", "women", "men", "men", "men", "women"],
        "hire_month": [0, 0, 0, 0, 12, 12, 12, 12, -100],
        "month_full": pd.array([200, None, 250, None, 300, 240, None, None, 0], dtype="Int32"),
        "end_month": [300, 480, 480, 480, 480, 330, 480, 480, 480],
    })
    # full-professor months in the window: women 60 + 60, men 110 + 90, of 320
    observed = 120 / 320
    expected = (0.5 * (60 + 110) + 0.25 * (60 + 90)) / 320
    assert pat.full_share_gap(p, None) == pytest.approx(observed - expected)
    # women and men promoted and kept alike within each hiring year: no gap
    alike = p.copy()
    alike["month_full"] = pd.array([250] * 9, dtype="Int32")
    alike["end_month"] = 480
    assert pat.full_share_gap(alike, None) == pytest.approx(0.0)
    assert np.isnan(pat.full_share_gap(p, None, window=(0, 100)))  # no full professor among hires then
