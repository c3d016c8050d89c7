"""`careersim analyze`: sensitivity analysis of a sweep, on synthetic sweeps written in the engine's layout.

No simulation runs here: each test writes `sweep.json`, `design.parquet` and the Hive-partitioned
`runs/shard=<k>/task-<t>.parquet` dataset with outcome columns computed from known functions,
then analyses the folder through `analyze()`, the function the command line calls.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.analysis import sweep_analysis as an
from simulation.cli import app
from simulation.analysis.outcomes import label

GROUPS = ("all", "women", "men")


def write_sweep(folder: Path, kind: str, parameters: list[dict], X: np.ndarray, f, *, models=("",),
                outcomes=("retention_10y",), replicates: int = 2, seed: int = 1, design_extra: dict | None = None,
                drop_points=(), failed_points=(), shards: int = 2, noise: float = 0.0) -> Path:
    """A sweep folder in the engine's layout. `f(X, model, replicate, rng)` returns {outcome: values per point}."""
    names = [p["name"] for p in parameters]
    folder.mkdir(parents=True, exist_ok=True)
    model_list = [m for m in models if m]
    n = len(X)
    design = pd.DataFrame(
        {"point": np.arange(n, dtype="int64"), **{p: X[:, k].astype(float) for k, p in enumerate(names)}}
    )
    design.to_parquet(folder / "design.parquet", index=False)
    meta = {
        "kind": kind, "parameters": parameters, "n": None, "levels": None, "calc_second_order": False,
        **(design_extra or {})
    }
    if kind in ("sobol", "morris"):
        meta["salib_problem"] = {
            "num_vars": len(names), "names": names, "bounds": [[p["low"], p["high"]] for p in parameters]
        }
    manifest = {"name": folder.name, "description": "synthetic sweep for the tests",
                "sweep_file": f"# {kind}\noutcomes = {list(outcomes)}\n",
                "base": "network", "seed": seed, "replicates": replicates, "models": model_list,
                "outcomes": list(outcomes), "design": meta, "n_points": n,
                "n_runs": n * replicates * max(1, len(model_list)), "n_tasks": shards,
                "versions": {"careersim": "0.1.0"}, "git_commit": "abc1234", "created_utc": "2026-12-02T00:00:00Z"}
    (folder / "sweep.json").write_text(json.dumps(manifest))
    rng = np.random.default_rng(seed)
    frames = []
    for model in models:
        for r in range(replicates):
            vals = f(X, model, r, rng)
            for gi, g in enumerate(GROUPS):
                df = pd.DataFrame({"point": np.arange(n, dtype="int64"), "replicate": np.int64(r), "model": model,
                                   "seed": np.int64(seed + r), "group": g, "status": "ok", "error": ""})
                for k, p in enumerate(names):
                    df[p] = X[:, k].astype(float)
                for o in outcomes:
                    df[o] = np.asarray(vals[o], float) + gi * 0.01 + (rng.normal(0, noise, n) if noise else 0.0)
                frames.append(df)
    runs = pd.concat(frames, ignore_index=True)
    runs = runs[~runs["point"].isin(list(drop_points))]
    bad = runs["point"].isin(list(failed_points))
    runs.loc[bad, "status"] = "failed"
    runs.loc[bad, "error"] = "synthetic failure"
    runs.loc[bad, list(outcomes)] = np.nan
    for k in range(shards):
        part = runs[runs["point"] % shards == k]
        (folder / "runs" / f"shard={k}").mkdir(parents=True, exist_ok=True)
        for t, (_, task) in enumerate(part.groupby(part["point"] // 50)):
            task.to_parquet(folder / "runs" / f"shard={k}" / f"task-{t}.parquet", index=False)
    return folder


def _uniform(name, low, high):
    return {"name": name, "low": low, "high": high, "values": None, "distribution": "uniform", "integer": False}


# --- Sobol: indices recovered on the Ishigami function -----------------------------------------------

ISHIGAMI_S1 = [0.314, 0.442, 0.0]
ISHIGAMI_ST = [0.558, 0.442, 0.244]
ISHIGAMI_PARAMS = [_uniform("network.share_external", -np.pi, np.pi), _uniform("network.switch_margin", -np.pi, np.pi),
                   _uniform("mentoring.fit_sigma", -np.pi, np.pi)]


def _sobol_sweep(folder: Path, drop_points=(), models=("",)):
    pytest.importorskip("SALib")
    from SALib.sample import sobol as sobol_sample
    from SALib.test_functions import Ishigami

    names = [p["name"] for p in ISHIGAMI_PARAMS]
    problem = {"num_vars": 3, "names": names, "bounds": [[-np.pi, np.pi]] * 3}
    X = sobol_sample.sample(problem, 1024, calc_second_order=False, seed=7)

    def f(X, model, r, rng):
        y = Ishigami.evaluate(X)
        return {"pubs_per_faculty_year": y + rng.normal(0, 0.01, len(y)) + (0.5 if model == "network" else 0.0)}

    return write_sweep(folder, "sobol", ISHIGAMI_PARAMS, X, f, models=models, outcomes=("pubs_per_faculty_year",),
                       design_extra={"n": 1024, "calc_second_order": False}, drop_points=drop_points)


def test_sobol_recovers_the_ishigami_indices(tmp_path):
    folder = _sobol_sweep(tmp_path / "ishigami")
    a = an.analyze(folder, progress=False, figures=False)
    t = a.tables["sobol_indices"].set_index("parameter")
    names = [p["name"] for p in ISHIGAMI_PARAMS]
    np.testing.assert_allclose(t.loc[names, "S1"], ISHIGAMI_S1, atol=0.06)
    np.testing.assert_allclose(t.loc[names, "ST"], ISHIGAMI_ST, atol=0.06)
    assert (t["S1_high"] > t["S1_low"]).all() and (t["S1_low"] <= t["S1"]).all() and (t["ST_high"] >= t["ST"]).all()
    # seeded bootstrap: the intervals are the same on a second analysis
    again = an.analyze(folder, progress=False, figures=False).tables["sobol_indices"]
    pd.testing.assert_frame_equal(a.tables["sobol_indices"], again)
    assert list(a.tables["importance"]["parameter"][:2]) == [names[0], names[1]]
    for name in ("sobol_indices", "point_means", "importance"):
        assert (folder / "analysis" / f"{name}.csv").exists() and not (folder / "analysis" / f"{name}.parquet").exists()


def test_missing_points_in_a_sobol_sweep_are_refused_in_one_line(tmp_path):
    folder = _sobol_sweep(tmp_path / "unfinished", drop_points=range(100, 130))
    with pytest.raises(an.SweepError) as e:
        an.analyze(folder, progress=False)
    msg = str(e.value)
    assert "\n" not in msg and "30 of" in msg and "--status" in msg
    r = CliRunner().invoke(app, ["analyze", str(folder)])
    assert r.exit_code == 2 and "30 of" in r.output and "Traceback" not in r.output


# --- Morris: the inactive parameter ranks last -------------------------------------------------------

def test_morris_ranks_an_inactive_parameter_last(tmp_path):
    pytest.importorskip("SALib")
    from SALib.sample import morris as morris_sample

    params = [_uniform("network.max_ties", 1, 12), _uniform("network.share_external", 0, 1),
              _uniform("mentoring.fit_sigma", 0, 3)]
    problem = {"num_vars": 3, "names": [p["name"] for p in params], "bounds": [[1, 12], [0, 1], [0, 3]]}
    X = morris_sample.sample(problem, 20, num_levels=4, seed=3)

    def f(X, model, r, rng):
        return {"retention_10y": 0.5 + 0.03 * X[:, 0] + 0.2 * X[:, 1] ** 2 + 0.0 * X[:, 2]}

    folder = write_sweep(tmp_path / "morris", "morris", params, X, f, design_extra={"levels": 4, "n": 20})
    a = an.analyze(folder, progress=False, figures=False)
    m = a.tables["morris"].set_index("parameter")
    assert m.loc["mentoring.fit_sigma", "mu_star"] < 1e-9
    ranked = list(a.tables["importance"]["parameter"])
    assert ranked[-1] == "mentoring.fit_sigma" and ranked[0] == "network.max_ties"
    # elementary effects are per unit of the normalized range: 0.03 per tie over 11 ties
    assert m.loc["network.max_ties", "mu_star"] == pytest.approx(0.03 * 11, rel=1e-6)


# --- grids: surfaces by hand ------------------------------------------------------------------------

def _grid_sweep(folder: Path, replicates=3, models=("dyad", "network"), drop_points=()):
    xs, ys = [1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 1.0]
    X = np.array([(x, y) for x in xs for y in ys])
    params = [{"name": "network.max_ties", "low": 1, "high": 4, "values": xs, "distribution": None, "integer": True},
              {"name": "network.share_external", "low": 0, "high": 1, "values": ys, "distribution": None,
               "integer": False}]

    def f(X, model, r, rng):
        base = 0.6 + 0.02 * X[:, 0] + 0.05 * X[:, 1] + rng.normal(0, 0.01, len(X))
        adv = 0.03 * (X[:, 0] - 2.5) if model == "network" else 0.0
        return {
            "retention_10y": base + adv, "share_months_hole": 0.3 - 0.02 * X[:, 0] + (0.01 if model == "network" else 0)
        }

    return write_sweep(folder, "grid", params, X, f, models=models, outcomes=("retention_10y", "share_months_hole"),
                       replicates=replicates, drop_points=drop_points)


def test_grid_surface_is_the_mean_and_t_interval_of_the_rows(tmp_path):
    from scipy import stats

    folder = _grid_sweep(tmp_path / "grid", drop_points=[11])
    a = an.analyze(folder, progress=False, figures=False)
    assert any("1 of 12 design points" in n["what"] for n in a.notes)  # the unfinished point is said, the rest analysed
    runs = pd.read_parquet(folder / "runs")
    surf = a.tables["grid_surfaces"]
    for point, model in [(0, "dyad"), (5, "network"), (10, "network")]:
        x = runs[(runs["point"] == point) & (runs["model"] == model)
                 & (runs["group"] == "all")]["retention_10y"].to_numpy()
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        row = surf[(surf["point"] == point) & (surf["series"] == model) & (surf["outcome"] == "retention_10y")].iloc[0]
        assert row["mean"] == pytest.approx(x.mean()) and row["n"] == len(x)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((x.mean() - half, x.mean() + half))
    # the advantage is paired, replicate by replicate
    w = runs[(runs["point"] == 5) & (runs["group"] == "all")].pivot(
        index="replicate", columns="model", values="retention_10y"
    )
    d = (w["network"] - w["dyad"]).to_numpy()
    row = surf[
        (surf["point"] == 5) & (surf["series"] == "network \u2212 dyad") & (surf["outcome"] == "retention_10y")
    ].iloc[0]
    assert row["mean"] == pytest.approx(d.mean())
    assert row["ci_high"] - row["mean"] == pytest.approx(stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3))
    assert 11 not in set(surf["point"])


# --- where the advantage changes sign ----------------------------------------------------------------

def _lhs_sweep(folder: Path, n=200):
    from scipy.stats import qmc

    params = [_uniform("network.share_external", 0, 1), _uniform("mentoring.fit_sigma", 0, 3)]
    X = qmc.LatinHypercube(d=2, seed=5).random(n) * np.array([1, 3])

    def f(X, model, r, rng):
        base = 0.6 + rng.normal(0, 0.005, len(X))
        adv = np.where(X[:, 0] > 0.5, 0.04, -0.04) if model == "network" else 0.0
        return {"retention_10y": base + adv, "pubs_per_faculty_year": 2 + X[:, 1] + (0.3 if model == "network" else 0)}

    return write_sweep(folder, "lhs", params, X, f, models=("dyad", "network"),
                       outcomes=("retention_10y", "pubs_per_faculty_year"))


def test_sign_change_is_found_near_the_true_threshold(tmp_path):
    a = an.analyze(_lhs_sweep(tmp_path / "lhs"), progress=False, figures=False)
    ch = a.tables["sign_changes"].set_index(["outcome", "parameter"])
    r = ch.loc[("retention_10y", "network.share_external")]
    assert r["threshold"] == pytest.approx(0.5, abs=0.03) and r["sense"] == 1
    assert "turns negative (worse for faculty) when network.share_external < 0.5" in r["sentence"]
    # positive everywhere: said honestly
    assert "no sign change in the range swept" in ch.loc[("pubs_per_faculty_year", "mentoring.fit_sigma"), "sentence"]
    bins = a.tables["sign_bins"]
    b = bins[(bins["outcome"] == "retention_10y") & (bins["parameter"] == "network.share_external")]
    assert set(b[b["high"] <= 0.5]["sign"]) == {"\u2212"} and set(b[b["low"] >= 0.5]["sign"]) == {"+"}
    lc = a.tables["lhs_correlations"]
    rho = lc[(lc["series"] == "dyad") & (lc["outcome"] == "pubs_per_faculty_year")].set_index("parameter")["spearman"]
    assert rho["mentoring.fit_sigma"] > 0.95 and abs(rho["network.share_external"]) < 0.2


def test_monotone_threshold_on_a_clean_step():
    x = np.linspace(0, 1, 101)
    t, sense, _ = an.monotone_threshold(x, np.where(x > 0.5, 1.0, -1.0))
    assert t == pytest.approx(0.5, abs=0.01) and sense == 1
    t, sense, _ = an.monotone_threshold(x, np.ones_like(x))
    assert np.isnan(t) and sense == 0


# --- the page --------------------------------------------------------------------------------------

def _visible_text(page: str) -> str:
    page = re.sub(r'<img src="data:[^"]*"', "<img", page)
    return re.sub(r"<style>.*?</style>", "", page, flags=re.S)


def _assert_every_outcome_labelled(page: str, outcomes) -> None:
    text = _visible_text(page)
    for o in outcomes:
        for m in re.finditer(rf"\b{re.escape(o)}\b", text):
            window = text[max(0, m.start() - 400): m.end() + 200]
            assert label(o) in window, (
                f"{o} shown without its label: ...{text[max(0, m.start() - 80): m.end() + 40]}..."
            )


@pytest.mark.parametrize("kind", ["grid", "lhs", "sobol"])
def test_report_has_every_section_and_labels_every_outcome(tmp_path, kind):
    folder = {"grid": lambda: _grid_sweep(tmp_path / "g"), "lhs": lambda: _lhs_sweep(tmp_path / "l", n=60),
              "sobol": lambda: _sobol_sweep(tmp_path / "s", models=("dyad", "network"))}[kind]()
    a = an.analyze(folder, progress=False)
    page = a.report.read_text()
    assert a.report == folder / "analysis" / "report.html"
    for section in ("Bottom line", "Parameters swept", "Outcomes analysed", an.SECTION_TITLES[kind],
                    "Where the advantage changes sign", "Means at each design point", "Files and provenance"):
        assert section in page, section
    # one copy of each figure: the page shows the PNGs in figures/ by their relative paths
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == len(a.figures) >= 2 and "base64" not in page
    assert sorted(srcs) == sorted(f"figures/{Path(f['png']).name}" for f in a.figures)
    assert all((a.report.parent / src).is_file() for src in srcs)
    _assert_every_outcome_labelled(page, a.sweep.outcomes)


# --- the command line -------------------------------------------------------------------------------

def test_cli_prints_the_summary_and_the_page(tmp_path):
    folder = _grid_sweep(tmp_path / "cli", replicates=2)
    r = CliRunner().invoke(app, ["analyze", str(folder)])
    assert r.exit_code == 0, r.output
    assert "network.max_ties" in r.stdout and label("retention_10y") in r.stdout
    assert str(folder / "analysis" / "report.html") in r.stdout
    r = CliRunner().invoke(app, ["analyze", str(folder), "--group", "women"])
    assert r.exit_code == 0, r.output
    assert "group women" in r.stdout and (folder / "analysis" / "women" / "report.html").exists()


def test_cli_refuses_a_folder_that_is_not_a_sweep(tmp_path):
    (tmp_path / "plain").mkdir()
    r = CliRunner().invoke(app, ["analyze", str(tmp_path / "plain")])
    assert r.exit_code == 2 and "not a sweep folder" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = CliRunner().invoke(app, ["analyze", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1


def test_morris_uses_the_complete_trajectories_of_an_unfinished_sweep(tmp_path):
    pytest.importorskip("SALib")
    from SALib.sample import morris as morris_sample

    params = [_uniform("network.max_ties", 1, 12), _uniform("network.share_external", 0, 1)]
    X = morris_sample.sample({"num_vars": 2, "names": [p["name"] for p in params], "bounds": [[1, 12], [0, 1]]}, 10,
                             num_levels=4, seed=4)

    def f(X, model, r, rng):
        return {"retention_10y": 0.5 + 0.03 * X[:, 0]}

    folder = write_sweep(tmp_path / "m", "morris", params, X, f, design_extra={"levels": 4, "n": 10},
                         drop_points=[4])  # point 4 is in the second trajectory (3 points each)
    a = an.analyze(folder, progress=False, figures=False)
    m = a.tables["morris"].set_index("parameter")
    assert (m["trajectories"] == 9).all()
    assert (m.loc["network.max_ties", "mu_star"] == pytest.approx(0.33)
            and m.loc["network.share_external", "mu_star"] < 1e-9)
    assert any("9 of 10 trajectories" in n["why"] for n in a.notes)


# --- better is clear: an advantage is positive when the model is better for faculty -----------------

def test_lowering_an_outcome_where_lower_is_better_is_called_better_everywhere(tmp_path):
    from simulation.analysis.outcomes import direction

    o = "share_months_hole"
    assert direction(o) == -1
    xs, ys = [1.0, 2.0, 3.0], [0.0, 1.0]
    X = np.array([(x, y) for x in xs for y in ys])
    params = [{"name": "network.max_ties", "low": 1, "high": 3, "values": xs, "distribution": None, "integer": True},
              {"name": "network.share_external", "low": 0, "high": 1, "values": ys, "distribution": None,
               "integer": False}]

    def f(X, model, r, rng):  # the network has 5-10 pp fewer months with a hole at every point
        return {o: 0.4 - (0.05 + 0.025 * (X[:, 0] - 1) if model == "network" else 0.0) + rng.normal(0, 0.002, len(X))}

    folder = write_sweep(tmp_path / "holes", "grid", params, X, f, models=("dyad", "network"), outcomes=(o,),
                         replicates=3)
    a = an.analyze(folder, progress=False)
    adv = a.tables["grid_surfaces"]
    adv = adv[adv["kind"] == "advantage"]
    assert (adv["mean"] > 0.04).all() and (adv["ci_low"] > 0).all()  # the table: positive = better
    page = a.report.read_text()
    # the bottom line
    import html as html_

    bottom = html_.unescape(re.sub(r"<[^>]+>", "", page.split("<h2>Bottom line</h2>", 1)[1].split("</div>", 1)[0]))
    assert f"Network's advantage over dyad in {label(o)} is positive at every design point" in bottom
    assert "network is better for faculty everywhere" in bottom and "worse" not in bottom
    # the sign table: every cell +, green
    bins = a.tables["sign_bins"]
    assert set(bins["sign"]) == {"+"}
    assert "sign-neg" not in page.split("<h2 id=\"sign\">", 1)[1].split("<p class='legend'>", 1)[0]
    assert page.count("class='sign-pos'") >= len(bins)
    # the heatmap: the advantage panel's cells are on the blue (better) side of its scale, centred on zero
    fig = an.grid_figure(a.tables["point_means"], o, a.sweep.parameters, an.series_order(a.sweep), {})
    panel = fig.axes[2]
    assert "advantage" in panel.get_title()
    mesh = panel.collections[0]
    values = np.asarray(mesh.get_array())
    rgba = mesh.cmap(mesh.norm(values))
    assert (values > 0).all() and (rgba[..., 2] > rgba[..., 0]).all()  # blue over red: RdBu's positive side
    assert mesh.norm.vmin == -mesh.norm.vmax


def test_analyze_says_why_no_point_has_a_value(tmp_path):
    def f(X, model, r, rng):
        return {"retention_10y": np.full(len(X), np.nan), "share_months_hole": 0.3 - 0.02 * X[:, 0]}

    xs = [1.0, 2.0, 3.0]
    params = [{"name": "network.max_ties", "low": 1, "high": 3, "values": xs, "distribution": None, "integer": True}]
    folder = write_sweep(tmp_path / "short", "grid", params, np.array(xs)[:, None], f,
                         outcomes=("retention_10y", "share_months_hole"))
    manifest = json.loads((folder / "sweep.json").read_text())
    manifest["horizon_years"] = 4
    (folder / "sweep.json").write_text(json.dumps(manifest))
    a = an.analyze(folder, progress=False, figures=False)
    why = [n["why"] for n in a.notes if "retention_10y" in n["what"]]
    assert why == ["no design point has a value: the runs last 4 years, fewer than the 10 years after hire it needs"]
    # every outcome empty: refused in one line, with the reason
    folder2 = write_sweep(tmp_path / "short2", "grid", params, np.array(xs)[:, None], f, outcomes=("retention_10y",))
    manifest["outcomes"] = ["retention_10y"]
    (folder2 / "sweep.json").write_text(json.dumps(manifest))
    with pytest.raises(an.SweepError, match=r"fewer than the 10 years after hire it needs") as e:
        an.analyze(folder2, progress=False)
    assert "\n" not in str(e.value)


def test_morris_with_one_replicate_says_it_cannot_separate_noise(tmp_path):
    pytest.importorskip("SALib")
    from SALib.sample import morris as morris_sample

    params = [_uniform("network.share_external", 0, 1), _uniform("mentoring.fit_sigma", 0, 3)]
    problem = {"num_vars": 2, "names": [p["name"] for p in params], "bounds": [[0, 1], [0, 3]]}
    X = morris_sample.sample(problem, 6, num_levels=4, seed=3)

    def f(X, model, r, rng):
        return {"retention_10y": 0.5 + 0.2 * X[:, 0]}

    folder = write_sweep(tmp_path / "m1", "morris", params, X, f, replicates=1, design_extra={"levels": 4, "n": 6})
    a = an.analyze(folder, progress=False, figures=False)
    assert any("one replicate" in n["what"] and "cannot be told from noise" in n["why"] for n in a.notes)
    assert a.tables["morris"]["noise_floor"].isna().all()
    assert "one replicate per point the noise cannot be estimated" in a.report.read_text()


def test_sobol_indices_beyond_what_indices_can_be_are_counted():
    t = pd.DataFrame({"S1": [0.1, -0.5, 0.9], "S1_low": [0.0, -0.9, 0.8], "S1_high": [0.2, -0.1, 1.0],
                      "ST": [0.2, 0.1, 0.3], "ST_low": [0.1, 0.0, 0.2], "ST_high": [0.3, 0.2, 0.4]})
    assert an.sobol_inconsistencies(t) == {"rows": 3, "negative": 1, "above_one": 0, "s1_above_st": 1}


def test_point_means_across_an_ensemble_carry_the_members_spread():
    """An ensemble sweep's point means and intervals are a comparison's (ensemble_interval over the
    members, replicate r on member r mod M), never the plain t-interval over replicates that treats
    the members' spread as chance; at the point calibration, the plain one."""
    from simulation.analysis.comparison import ensemble_interval
    from simulation.analysis.sweep_analysis import point_means

    rng = np.random.default_rng(4)
    members, reps = 4, 8  # two seeds on each member
    member_effect = np.array([0.0, 1.0, 2.0, 3.0])
    rows = [{"point": p, "replicate": r, "series": "dyad", "kind": "level", "outcome": "retention_10y",
             "value": member_effect[r % members] + 0.1 * rng.normal()} for p in range(2) for r in range(reps)]
    values = pd.DataFrame(rows)
    design = pd.DataFrame({"point": [0, 1], "x": [0.1, 0.2]})
    plain = point_means(values, design, ["x"])
    ens = point_means(values, design, ["x"], members=members)
    for p in range(2):
        v = values[values["point"] == p]
        want = ensemble_interval(v["value"].to_numpy(), v["replicate"].to_numpy() % members)
        row = ens[ens["point"] == p].iloc[0]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((want["ci_low"], want["ci_high"]))
        assert row["share_parameters"] > 0.9  # the members differ far more than the seeds
        assert np.isnan(plain[plain["point"] == p].iloc[0]["share_parameters"])
    # the members' spread is the uncertainty: the ensemble interval is on M - 1 = 3 degrees of freedom,
    # not the 7 of eight replicates taken as independent draws
    assert (ens["ci_high"] - ens["ci_low"]).min() > (plain["ci_high"] - plain["ci_low"]).max()
