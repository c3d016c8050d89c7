"""The calibration-with-uncertainty figures, drawn from synthetic tables with a known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from simulation.analysis import calibration_plots as cp

# five free parameters on different ranges; only the 2nd and 4th matter to the implausibility
FREE = [
    {"name": "exits.hazard_floor", "low": 0.002, "high": 0.03, "block": "careers"},
    {"name": "promotion.bar_associate", "low": 1.0, "high": 5.0, "block": "careers"},
    {"name": "grants.success_intercept", "low": -6.0, "high": -1.0, "block": "careers"},
    {"name": "caregiving.exit_effect", "low": 0.0, "high": 8.0, "block": "gender"},
    {"name": "startup.capital", "low": 0.0, "high": 1.0, "block": "gender"},
]
A, B = "promotion.bar_associate", "caregiving.exit_effect"
CENTRE = {A: 0.5, B: 0.3}  # the known point, as a share of each range
CUTOFF = 3.0


def _unit(name: str, x):
    f = next(f for f in FREE if f["name"] == name)
    return (np.asarray(x, dtype=float) - f["low"]) / (f["high"] - f["low"])


def make_sample(n: int = 4000, seed: int = 5, shift: float = 0.0) -> pd.DataFrame:
    """A uniform sample of the box whose implausibility is 10 x the distance (in shares of the ranges) from
    the known point in A and B alone: the non-implausible points lie within 0.3 of it."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(FREE)))
    sample = pd.DataFrame({f["name"]: f["low"] + u[:, i] * (f["high"] - f["low"]) for i, f in enumerate(FREE)})
    dist = np.hypot(_unit(A, sample[A]) - CENTRE[A], _unit(B, sample[B]) - CENTRE[B])
    sample["implausibility"] = 10 * dist + shift
    return sample


def _assert_png(path, min_bytes=20_000, max_bytes=5_000_000):
    assert path.is_file()
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert min_bytes < len(data) < max_bytes, len(data)
    with Image.open(path) as im:
        w, h = im.size
    assert 600 < w < 3000 and 300 < h < 3000, (w, h)  # figures of about 6-25 inches at 110 dpi
    return w, h


# --- the pairs figure ---------------------------------------------------------------------------------

def test_constraint_scores_rank_the_constraining_parameters_first():
    scores = cp.constraint_scores(make_sample(), FREE, CUTOFF)
    assert set(scores.index[:2]) == {A, B}
    # a constrained parameter's kept points sit in part of its range; the others' look like the sample
    assert scores[[A, B]].min() > 0.3
    assert scores.drop([A, B]).max() < 0.15


def test_constraint_scores_fall_back_on_the_least_implausible_when_nothing_is_kept():
    sample = make_sample(shift=10.0)  # every point implausible
    assert (sample["implausibility"] > CUTOFF).all()
    assert set(cp.constraint_scores(sample, FREE, CUTOFF).index[:2]) == {A, B}


def test_pair_grids_optical_depth_and_minimum_around_the_known_point():
    sample = make_sample()
    bins = 10
    ranges = tuple((f["low"], f["high"]) for f in FREE if f["name"] in (A, B))
    lowest, depth = cp.pair_grids(sample, A, B, CUTOFF, bins, ranges=ranges)
    assert lowest.shape == depth.shape == (bins, bins)
    # indexed [bin of A, bin of B]: the known point (0.5, 0.3) lies in the corner of bin (5, 3)
    ia, ib = int(CENTRE[A] * bins), int(CENTRE[B] * bins)
    for i, j in [(ia, ib), (ia - 1, ib), (ia, ib - 1), (ia - 1, ib - 1)]:
        assert depth[i, j] == 1.0
        assert lowest[i, j] < 1.5
    for i, j in [(0, 0), (0, bins - 1), (bins - 1, bins - 1), (bins - 1, 0)]:  # corners: 0.44 or more away
        assert depth[i, j] == 0.0
        assert lowest[i, j] > 4
    # each bin's minimum is 10 x the distance of its nearest corner-or-edge point from the known point, give or
    # take the points the sample puts near it (about 40 a bin: within a tenth of a bin's diagonal or so)
    edges = np.arange(bins + 1) / bins
    near_a = np.clip(CENTRE[A], edges[:-1], edges[1:]) - CENTRE[A]
    near_b = np.clip(CENTRE[B], edges[:-1], edges[1:]) - CENTRE[B]
    nearest = 10 * np.hypot(near_a[:, None], near_b[None, :])
    assert (lowest >= nearest - 1e-9).all()
    assert (lowest <= nearest + 10 * np.sqrt(2) / bins).all()
    # so the minimum grows with the bin centre's distance from the known point
    centres = (np.arange(bins) + 0.5) / bins
    dist = np.hypot(centres[:, None] - CENTRE[A], centres[None, :] - CENTRE[B])
    order = np.argsort(dist, axis=None)
    ranks = np.empty(bins * bins)
    ranks[np.argsort(lowest, axis=None)] = np.arange(bins * bins)
    rho = np.corrcoef(np.argsort(order), ranks)[0, 1]
    assert rho > 0.95
    # and the shares are shares
    assert np.nanmin(depth) >= 0 and np.nanmax(depth) <= 1


def test_pair_grids_checks_its_columns_and_leaves_empty_bins_empty():
    sample = make_sample()
    with pytest.raises(ValueError, match="no column 'nope'"):
        cp.pair_grids(sample, A, "nope", CUTOFF, 8)
    half = sample[_unit(A, sample[A]) < 0.5]  # nothing in the upper half of A's range
    lowest, depth = cp.pair_grids(half, A, B, CUTOFF, 8, ranges=((1.0, 5.0), (0.0, 8.0)))
    assert np.isnan(lowest[4:]).all() and np.isnan(depth[4:]).all()
    assert np.isfinite(lowest[:4]).all() and np.isfinite(depth[:4]).all()
    # NaN implausibility is left out; +inf counts as implausible
    odd = sample.head(50).assign(implausibility=np.inf)
    lowest, depth = cp.pair_grids(odd, A, B, CUTOFF, 1)
    assert lowest[0, 0] == np.inf and depth[0, 0] == 0
    lowest, depth = cp.pair_grids(odd.assign(implausibility=np.nan), A, B, CUTOFF, 1)
    assert np.isnan(lowest[0, 0]) and np.isnan(depth[0, 0])


def test_implausibility_pairs_draws_the_constraining_parameters(tmp_path, monkeypatch):
    drawn = []
    real = cp.pair_grids

    def spy(sample, a, b, *args, **kw):
        drawn.append((a, b))
        return real(sample, a, b, *args, **kw)

    monkeypatch.setattr(cp, "pair_grids", spy)
    out = cp.implausibility_pairs(make_sample(), FREE, wave=2, out=tmp_path / "figs" / "wave2.png", pairs=3)
    assert out == tmp_path / "figs" / "wave2.png"
    w, h = _assert_png(out)
    assert w > 900 and h > 900
    params = {p for pair in drawn for p in pair}
    assert len(params) == 3 and {A, B} <= params
    assert len(drawn) == 3 * 2  # every off-diagonal panel of a 3 x 3 grid


def test_implausibility_pairs_with_nothing_kept_and_too_few_parameters(tmp_path):
    out = cp.implausibility_pairs(make_sample(n=600, shift=10.0), FREE, wave=1, out=tmp_path / "w1.png", pairs=2)
    _assert_png(out, min_bytes=10_000)
    with pytest.raises(ValueError, match="at least 2 parameters"):
        cp.implausibility_pairs(make_sample(), FREE[:1], wave=1, out=tmp_path / "w.png")
    with pytest.raises(ValueError, match="startup.capital"):
        cp.implausibility_pairs(make_sample().drop(columns="startup.capital"), FREE, 1, tmp_path / "w.png")
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        cp.implausibility_pairs(make_sample(), FREE, 1, tmp_path / "w.jpg")


# --- the ensemble's marginals ---------------------------------------------------------------------------

def make_ensemble(n: int = 120) -> pd.DataFrame:
    kept = make_sample()
    kept = kept[kept["implausibility"] <= CUTOFF].head(n)
    return kept.drop(columns="implausibility").assign(member=range(len(kept)), weight=1.0 / len(kept))


def test_ensemble_marginals_writes_a_grid_and_ignores_extra_columns(tmp_path):
    point = {f["name"]: (f["low"] + f["high"]) / 2 for f in FREE} | {"startup.capital": 1.7}  # one off-range
    out = cp.ensemble_marginals(make_ensemble(), FREE, tmp_path / "marginals.png", point=point)
    _assert_png(out)
    out2 = cp.ensemble_marginals(make_ensemble(), FREE, tmp_path / "marginals.svg")
    assert out2.read_text().lstrip().startswith("<?xml")


def test_ensemble_marginals_raise_on_a_missing_free_parameter(tmp_path):
    with pytest.raises(ValueError, match="caregiving.exit_effect"):
        cp.ensemble_marginals(make_ensemble().drop(columns=B), FREE, tmp_path / "m.png")
    with pytest.raises(ValueError, match="no members"):
        cp.ensemble_marginals(make_ensemble().head(0), FREE, tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


# --- targets against the ensemble's prediction -----------------------------------------------------------

def make_table(point: bool = True) -> pd.DataFrame:
    rows = [("exit_10y", 0.30, 0.26, 0.34, 0.31, 0.28, 0.35, True),
            ("years_to_associate", 6.2, 5.3, 7.1, 7.9, 7.4, 8.6, False),
            ("award_grant_5y", 0.01, 0.0085, 0.0115, 0.05, 0.045, 0.055, False),  # far beyond the axis
            ("load_median", 4.0, 3.0, 5.0, 3.9, -2.0, 11.0, True)]  # an interval wider than the axis
    table = pd.DataFrame(rows, columns=list(cp.PREDICTIVE_COLUMNS))
    if point:
        table["point_simulated"] = [0.30, 6.8, 0.012, 4.2]
    return table


def test_predictive_vs_bands_writes_a_forest_plot(tmp_path):
    _assert_png(cp.predictive_vs_bands(make_table(), tmp_path / "p.png"), min_bytes=10_000)
    _assert_png(cp.predictive_vs_bands(make_table(point=False), tmp_path / "q.png"), min_bytes=10_000)


@pytest.mark.parametrize("column", ["predictive_low", "within", "value"])
def test_predictive_vs_bands_names_a_missing_column(tmp_path, column):
    with pytest.raises(ValueError, match=f"no column.*'{column}'"):
        cp.predictive_vs_bands(make_table().drop(columns=column), tmp_path / "p.png")


def test_predictive_vs_bands_refuses_an_empty_band(tmp_path):
    table = make_table()
    table.loc[1, "high"] = table.loc[1, "low"]
    with pytest.raises(ValueError, match="years_to_associate"):
        cp.predictive_vs_bands(table, tmp_path / "p.png")
