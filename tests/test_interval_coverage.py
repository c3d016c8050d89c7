"""The ensemble interval holds its level whatever the split between the calibrated parameters and
chance (issue 25, item 5): on synthetic ensembles with known between-member and within-member
variances, including none between members and much, nominal 95% intervals cover the truth (the
effect averaged over the members' parameter sets) 93-97% of the time, for the whole and for a
subgroup (fewer people: more chance, less of the parameters). The repetitions are vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.analysis.comparison import ensemble_interval, member_interval

REPS, MEMBERS, SEEDS = 4000, 16, 2


def synthetic(rng, between: float, within: float, reps: int = REPS):
    """Runs (reps x members x seeds) around a true mean effect of 1.0."""
    effects = 1.0 + rng.normal(0, np.sqrt(between), (reps, MEMBERS, 1))
    return effects + rng.normal(0, np.sqrt(within), (reps, MEMBERS, SEEDS))


# (between-member variance, within-member variance): the whole, then a subgroup with 4x the chance
CASES = {"no parameter spread": (0.0, 1.0), "moderate": (0.3, 1.0), "large": (5.0, 1.0),
         "subgroup, none": (0.0, 4.0), "subgroup, moderate": (0.3, 4.0), "subgroup, large": (5.0, 4.0)}


@pytest.mark.parametrize("case", list(CASES))
def test_nominal_95_covers_93_to_97(case):
    rng = np.random.default_rng(sum(map(ord, case)))
    runs = synthetic(rng, *CASES[case])
    _, low, high = member_interval(runs.mean(axis=2))
    coverage = ((low <= 1.0) & (1.0 <= high)).mean()
    assert 0.93 <= coverage <= 0.97, (case, coverage)
    # the per-row function of the comparison gives the same interval
    members = np.repeat(np.arange(MEMBERS), SEEDS)
    for k in range(3):
        r = ensemble_interval(runs[k].ravel(), members)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((low[k], high[k]))


def test_a_subgroup_is_never_surer_than_its_chance_when_members_agree():
    """Where the old split truncated the parameters' variance at zero the interval became chance's
    alone; now it is as wide as the members' means spread, about chance's width on average and
    wider when the members disagree (never the narrow chance-only interval by construction)."""
    rng = np.random.default_rng(7)
    runs = synthetic(rng, 0.0, 4.0, reps=400)
    members = np.repeat(np.arange(MEMBERS), SEEDS)
    ratio = []
    for k in range(400):
        r = ensemble_interval(runs[k].ravel(), members)
        ratio.append((r["ci_high"] - r["ci_low"]) / (r["chance_ci_high"] - r["chance_ci_low"]))
        assert r["share_low"] == 0.0 or r["share_low"] <= r["share_parameters"] <= r["share_high"]
    assert 0.9 < np.mean(ratio) < 1.2  # no parameter spread: about chance's width, on average
    # a large spread: the interval is several times chance's and the share is known to be large
    runs = synthetic(rng, 5.0, 1.0, reps=1)
    r = ensemble_interval(runs[0].ravel(), members)
    assert (r["ci_high"] - r["ci_low"]) > 2 * (r["chance_ci_high"] - r["chance_ci_low"])
    assert r["share_low"] > 0.5 and r["members_above"] + r["members_below"] == MEMBERS


def test_share_interval_covers_its_truth():
    """The parameters' share of the member means' variance, S s2p / (S s2p + s2w), with its exact
    F-based 95% interval: covered about 95% of the time (moderate spread)."""
    rng = np.random.default_rng(3)
    between, within = 0.3, 1.0
    truth = SEEDS * between / (SEEDS * between + within)
    runs = synthetic(rng, between, within, reps=600)
    members = np.repeat(np.arange(MEMBERS), SEEDS)
    hits = []
    for k in range(600):
        r = ensemble_interval(runs[k].ravel(), members)
        hits.append(r["share_low"] <= truth <= r["share_high"])
    assert 0.92 <= np.mean(hits) <= 0.98
