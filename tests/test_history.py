"""History matching and the ensemble on a cheap toy simulator with known parameters and known noise."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.experiments import history as h

TRUTH = {"a": 0.3, "b": 0.6, "c": 0.5}
NOISE = 0.02  # sd of one run
OBS_SD = 0.01
PRIORS = [h.Prior(n, 0.0, 1.0) for n in "abc"]
SMALL = dict(points=20, sample=4096)


def mean_output(v: dict[str, float]) -> dict[str, float]:
    return {"y1": v["a"], "y2": 2 * v["a"] * v["b"], "y3": float(np.sin(3 * v["c"])), "y4": v["b"] + v["c"]}


def toy(points, seeds):
    """Each point's outputs on each seed: the mean outputs plus N(0, NOISE) run noise."""
    out = []
    for v in points:
        key = [int(round(v[n] * 1e9)) for n in "abc"]
        out.append([{k: x + np.random.default_rng([s, *key]).normal(0, NOISE) for k, x in mean_output(v).items()}
                    for s in seeds])
    return out


def observed(z: dict[str, float] | None = None) -> list[h.Observed]:
    z = z or mean_output(TRUTH)
    return [h.Observed(k, x, OBS_SD**2, 0.0) for k, x in z.items()]


def test_the_truth_is_kept_and_most_of_the_prior_is_ruled_out(tmp_path):
    hm = h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=3, seed=1, **SMALL),
                         progress=False)
    truth = np.array([[TRUTH[n] for n in "abc"]])
    assert h.cumulative(hm.waves, hm.observed, truth, "max")[0] <= 3
    assert hm.table["volume_kept"].iloc[-1] < 0.05  # the targets pin a, b and c down
    # the volume never grows: a point must pass every wave
    assert (np.diff(hm.table["volume_kept"].to_numpy()) <= 0).all()
    # a point far from the truth is ruled out
    assert h.cumulative(hm.waves, hm.observed, np.array([[0.9, 0.1, 0.1]]), "max")[0] > 3
    # the saved sample says the same as the returned match
    sample = pd.read_parquet(tmp_path / "hm" / f"wave_{len(hm.waves):02d}" / "sample.parquet")
    assert np.allclose(sample["implausibility"], hm.sample_impl)
    assert set(pd.read_csv(tmp_path / "hm" / "waves.csv")["wave"]) == set(range(1, len(hm.waves) + 1))


def test_the_emulators_pass_their_leave_one_out_check(tmp_path):
    hm = h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=1, seed=2, **SMALL),
                         progress=False)
    diag = hm.waves[0].diagnostics
    assert set(diag["target"]) == set(mean_output(TRUTH))
    assert (diag["loo_within_3"] >= 0.9).all()
    # the pooled run-to-run sd recovers the toy's known noise
    assert np.allclose(diag["model_sd"], NOISE, rtol=0.3)


def test_an_emulator_is_a_good_predictor_of_a_smooth_function():
    rng = np.random.default_rng(0)
    x = rng.random((40, 2))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2
    em = h.Emulator(x, y, np.full(40, 1e-6))
    xt = rng.random((200, 2))
    mean, var = em.predict(xt)
    err = mean - (np.sin(3 * xt[:, 0]) + xt[:, 1] ** 2)
    assert np.abs(err).max() < 0.05
    assert np.mean(np.abs(err) <= 3 * np.sqrt(var) + 1e-3) > 0.9


def test_a_resumed_history_match_gives_the_same_waves(tmp_path):
    settings = h.Settings(waves=3, seed=3, stop_ratio=1.1, batch=8, **SMALL)
    straight = h.history_match(tmp_path / "a", PRIORS, observed(), toy, settings, progress=False)

    calls = {"n": 0}

    def interrupted(points, seeds):
        calls["n"] += 1
        if calls["n"] == 5:  # in wave 2, after one of its batches
            raise KeyboardInterrupt
        return toy(points, seeds)
    with pytest.raises(KeyboardInterrupt):
        h.history_match(tmp_path / "b", PRIORS, observed(), interrupted, settings, progress=False)
    ran = []

    def counting(points, seeds):
        ran.append(len(points))
        return toy(points, seeds)
    resumed = h.history_match(tmp_path / "b", PRIORS, observed(), counting, settings, progress=False)
    # only what was not written ran again: wave 2's last two batches and wave 3
    assert sum(ran) == settings.points - 8 + settings.points
    for w in ("wave_01", "wave_02", "wave_03"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / w / "design.parquet"),
                                      pd.read_parquet(tmp_path / "b" / w / "design.parquet"))
    cols = ["wave", "points", "runs", "volume_kept", "loo_within_3"]
    pd.testing.assert_frame_equal(straight.table[cols], resumed.table[cols])
    assert np.array_equal(straight.sample_impl, resumed.sample_impl)
    # and loading the folder refits the same emulators
    loaded = h.load(tmp_path / "b")
    assert np.allclose(loaded.sample_impl, straight.sample_impl)
    # history.json says what ran it, and on which machine
    meta = json.loads((tmp_path / "b" / "history.json").read_text())
    assert {"numpy", "numba", "cpu", "kernel_target", "numpy_simd"} <= set(meta["versions"])


def test_a_history_match_refuses_a_folder_of_another_match(tmp_path):
    h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=1, seed=4, **SMALL), progress=False)
    with pytest.raises(ValueError, match="other settings .*seed 4 -> 5"):
        h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=1, seed=5, **SMALL),
                        progress=False)
    other = [h.Prior(n, 0.0, 2.0) for n in "abc"]
    with pytest.raises(ValueError, match="other free parameters"):
        h.history_match(tmp_path / "hm", other, observed(), toy, h.Settings(waves=1, seed=4, **SMALL), progress=False)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="at least 2"):
        h.Settings(replicates=1).validate()
    with pytest.raises(ValueError, match="measure must be one of max, second"):
        h.Settings(measure="mean").validate()


def test_the_ensemble_covers_the_truth_at_about_the_stated_rate(tmp_path):
    """Over repeated observations of the same truth (observation error and one run's noise drawn each
    time, as the implausibility assumes), the ensemble's central 90% interval of each parameter covers
    the true value about 90% of the time."""
    rng = np.random.default_rng(11)
    covered, trials = [], 8
    for k in range(trials):
        z = {key: x + rng.normal(0, np.hypot(OBS_SD, NOISE)) for key, x in mean_output(TRUTH).items()}
        hm = h.history_match(tmp_path / f"hm{k}", PRIORS, observed(z), toy,
                             h.Settings(waves=2, seed=100 + k, points=20, sample=2048), progress=False)
        members, how = h.draw_ensemble(hm, 200, seed=k, weighting="likelihood")
        assert how["effective_sample_size"] > 50
        for n in "abc":
            lo, hi = np.quantile(members[n], [0.05, 0.95])
            covered.append(lo <= TRUTH[n] <= hi)
    rate = np.mean(covered)
    assert 0.75 <= rate <= 1.0, rate


def test_an_ensemble_is_drawn_from_the_space_not_ruled_out(tmp_path):
    hm = h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=2, seed=6, **SMALL),
                         progress=False)
    members, how = h.draw_ensemble(hm, 100, seed=1)
    assert list(members["member"]) == list(range(100))
    u = members[[p.name for p in PRIORS]].to_numpy(float)
    assert (h.cumulative(hm.waves, hm.observed, u, "max") <= 3).all()
    assert how["distinct_members"] > 50
    again, _ = h.draw_ensemble(hm, 100, seed=1)
    pd.testing.assert_frame_equal(members, again)


def test_everything_ruled_out_is_said_plainly(tmp_path):
    far = observed({"y1": 5.0, "y2": -3.0, "y3": 4.0, "y4": 9.0})  # no parameter reaches these
    hm = h.history_match(tmp_path / "hm", PRIORS, far, toy, h.Settings(waves=3, seed=7, **SMALL), progress=False)
    assert hm.table["volume_kept"].iloc[-1] == 0
    assert len(hm.waves) == 1  # stopped after the wave that ruled everything out
    with pytest.raises(ValueError, match="every point is ruled out"):
        h.draw_ensemble(hm, 10)


def test_a_uniform_ensemble_has_distinct_members_and_a_likelihood_one_says_how_many_carry_it(tmp_path):
    hm = h.history_match(tmp_path / "hm", PRIORS, observed(), toy, h.Settings(waves=2, seed=8, **SMALL),
                         progress=False)
    uniform, how = h.draw_ensemble(hm, 50, seed=3)
    assert how["weighting"] == "uniform" and how["distinct_members"] == 50
    assert how["effective_sample_size"] == pytest.approx(how["candidates"])
    weighted, how_w = h.draw_ensemble(hm, 50, seed=3, weighting="likelihood")
    assert how_w["effective_sample_size"] < how_w["candidates"]
    assert "sampling-importance-resampling" in how_w["method"] and "alike" in how["method"]
    # weighting by the likelihood pulls the members toward the truth
    truth = np.array([TRUTH[n] for n in "abc"])
    spread = {k: np.linalg.norm(m[list("abc")].to_numpy(float) - truth, axis=1).mean()
              for k, m in (("uniform", uniform), ("likelihood", weighted))}
    assert spread["likelihood"] < spread["uniform"]
    with pytest.raises(ValueError, match="weighting must be one of uniform, likelihood"):
        h.draw_ensemble(hm, 5, weighting="best")
