"""Indices of the model, not of the dice: noise-corrected Sobol' and Morris estimates whose
intervals carry the replicate noise, on a test function with known indices and on real sweeps
where two parameters provably do nothing (a dyad's network settings)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from simulation.analysis import sweep_analysis as an
from simulation.analysis.sensitivity import main_effect_range, morris_noisy, sobol_noisy
from simulation.experiments.sweeps import load_sweep, run_sweep

ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def _ishigami_runs(n: int, seed: int, sigma: float, replicates: int):
    from SALib.sample import sobol as sobol_sample
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[-np.pi, np.pi]] * 3}
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    f = Ishigami.evaluate(X)
    return f[:, None] + np.random.default_rng(1000 + seed).normal(0, sigma, (len(f), replicates))


def test_ishigami_with_replicate_noise_intervals_cover_the_truth_at_their_rate():
    pytest.importorskip("SALib")
    covered, naive_st3, st = [], [], []
    for k in range(24):
        # noise of sd 3 per replicate: with 4 replicates, 14% of the variance of the point means
        Y = _ishigami_runs(256, k, 3.0, 4)
        r = sobol_noisy(Y, 3, resamples=200, seed=k)
        covered.append(np.r_[(r["S1_low"] <= ISHIGAMI_S1) & (ISHIGAMI_S1 <= r["S1_high"]),
                             (r["ST_low"] <= ISHIGAMI_ST) & (ISHIGAMI_ST <= r["ST_high"])])
        st.append(r["ST"])
        assert 0.10 < r["noise_share"] < 0.18
        naive_st3.append(sobol_noisy(Y.mean(axis=1), 3, resamples=2, seed=k)["ST"][2])
    # an outcome's level does not matter (centred first): the same indices and intervals 100 units up
    shifted = sobol_noisy(Y + 100.0, 3, resamples=200, seed=k)
    for key in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        np.testing.assert_allclose(shifted[key], r[key], atol=1e-9)
    rate = np.mean(covered)
    assert rate >= 0.88, rate  # stated 95%; 144 intervals
    # without the correction the noise inflates the smallest total index by about noise/V (0.14 here)
    assert np.mean(naive_st3) > ISHIGAMI_ST[2] + 0.08
    np.testing.assert_allclose(np.mean(st, axis=0), ISHIGAMI_ST, atol=0.03)


def test_morris_and_grid_see_an_inert_parameter_as_exactly_zero_under_common_seeds():
    pytest.importorskip("SALib")
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    X = morris_sample.sample(problem, 10, num_levels=4, seed=2)
    noise = np.random.default_rng(0).normal(0, 0.5, 3)  # common seeds: replicate r's noise at every point
    Y = 2 * X[:, [0]] + noise[None, :] + 0.2 * np.sin(7 * X[:, [0]]) * noise[None, :]
    r = morris_noisy(X, Y, problem["bounds"], resamples=200)
    assert r["mu_star"][1] == 0 and r["mu_star_low"][1] == 0 and r["mu_star_high"][1] == 0
    assert r["mu_star_low"][0] > 1.0 and r["noise_floor"][0] > 0
    grid = np.repeat(np.arange(4.0), 3)
    inert = np.tile(noise, (12, 1))
    assert main_effect_range(grid, inert) == (0.0, 0.0, 0.0)
    active = grid[:, None] + inert
    est, lo, hi = main_effect_range(grid, active + np.random.default_rng(1).normal(0, 0.3, active.shape))
    assert lo < 3.0 < hi and lo > 2.0


DYAD = textwrap.dedent("""\
    # the dyad's network settings do nothing; the publication rate per unit of capital does
    base = "network"
    seed = 4
    replicates = 2
    models = ["dyad"]
    outcomes = ["pubs_per_faculty_year", "share_months_hole"]
    [parameters."network.max_ties"]
    low = 1
    high = 6
    [parameters."network.reshape_months"]
    low = 3
    high = 36
    [parameters."careers.pubs_per_capital_year"]
    low = 1.5
    high = 3.8
    [fixed]
    "population.n_faculty" = 60
    "population.n_institutions" = 2
    horizon_years = 3
    [run]
    batch = 8
    """)


@pytest.mark.parametrize("design", ['kind = "sobol"\nn = 16', 'kind = "morris"\nn = 6\nlevels = 4'])
def test_a_dyad_sweep_reports_its_inert_network_parameters_at_zero(tmp_path, design):
    path = tmp_path / "dyad.toml"
    path.write_text(DYAD + "[design]\n" + design + "\n")
    sweep = load_sweep(path)
    run_sweep(sweep, tmp_path / "out", executor="serial", progress=False)
    a = an.analyze(tmp_path / "out", progress=False, figures=False)
    if "sobol" in design:
        t = a.tables["sobol_indices"]
        t = t[t["outcome"] == "pubs_per_faculty_year"].set_index("parameter")
        for inert in ("network.max_ties", "network.reshape_months"):
            assert t.loc[inert, "ST_low"] <= 0 <= t.loc[inert, "ST_high"], t
            assert abs(t.loc[inert, "ST"]) < 1e-9 and abs(t.loc[inert, "S1"]) < 1e-9
        assert t.loc["careers.pubs_per_capital_year", "ST_low"] > 0.3, t
    else:
        t = a.tables["morris"]
        t = t[t["outcome"] == "pubs_per_faculty_year"].set_index("parameter")
        for inert in ("network.max_ties", "network.reshape_months"):
            assert t.loc[inert, "mu_star_low"] <= 0 <= t.loc[inert, "mu_star_high"], t
        matters = t.loc["careers.pubs_per_capital_year"]
        assert matters["mu_star_low"] > 0 and matters["mu_star_low"] > 3 * matters["noise_floor"], t
    ranked = a.tables["importance"]
    top = ranked[(ranked["outcome"] == "pubs_per_faculty_year")].iloc[0]
    assert top["parameter"] == "careers.pubs_per_capital_year"
