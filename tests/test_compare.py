import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.analysis.comparison import load, run_folder
from simulation.experiments.compare import format_differences, paired_differences
from simulation.analysis.outcomes import cohort
from simulation.analysis.plots import km_table

from .comparisons import compare_and_report

TINY = ["population.n_faculty=200", "population.n_institutions=2", "horizon_years=12"]


def test_paired_differences_on_a_hand_checkable_case():
    # reference 10, 12, 14; scenario 11, 14, 15 -> differences 1, 2, 1
    rows = []
    for r, (a, b) in enumerate([(10, 11), (12, 14), (14, 15)]):
        rows.append({"scenario": "ref", "replicate": r, "group": "all", "x": a})
        rows.append({"scenario": "new", "replicate": r, "group": "all", "x": b})
    d = paired_differences(pd.DataFrame(rows), "ref", ["x"]).iloc[0]
    diffs = np.array([1.0, 2.0, 1.0])
    half = stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / np.sqrt(3)
    assert d["difference"] == pytest.approx(4 / 3)
    assert d["ci_low"] == pytest.approx(4 / 3 - half) and d["ci_high"] == pytest.approx(4 / 3 + half)
    assert d["reference_mean"] == 12 and d["scenario_mean"] == pytest.approx(40 / 3)
    # unpaired (Welch) interval on the same numbers is wider: the replicates vary together
    assert d["unpaired_ci_high"] - d["unpaired_ci_low"] > d["ci_high"] - d["ci_low"]
    assert d["paired_to_unpaired_width"] < 1


def test_pairs_are_matched_by_replicate_not_by_order():
    t = pd.DataFrame({"scenario": ["ref", "ref", "new", "new"], "replicate": [0, 1, 1, 0],
                      "group": "all", "x": [1.0, 5.0, 6.0, 2.0]})
    d = paired_differences(t, "ref", ["x"]).iloc[0]
    assert d["difference"] == 1.0 and d["ci_low"] == 1.0 and d["ci_high"] == 1.0


def test_a_contrast_is_the_difference_of_differences_run_by_run():
    """network minus dyad, run by run, is (network - status quo) - (dyad - status quo); its
    interval is the paired t-interval of those run-level differences, by hand."""
    from simulation.analysis.comparison import contrasts, default_contrasts, parse_contrasts

    x = {"status_quo": [10.0, 12.0, 14.0, 11.0], "dyad": [11.0, 12.5, 15.0, 11.0],
         "network": [13.0, 13.0, 16.5, 12.0]}
    t = pd.DataFrame([{"scenario": s, "replicate": r, "group": "all", "x": v}
                      for s, vs in x.items() for r, v in enumerate(vs)])
    c = contrasts(t, [("network", "dyad")], ["x"]).iloc[0]
    d = paired_differences(t, "status_quo", ["x"]).set_index("scenario")
    run_level = (np.array(x["network"]) - x["status_quo"]) - (np.array(x["dyad"]) - x["status_quo"])
    assert list(run_level) == [2.0, 0.5, 1.5, 1.0]
    mean = 5.0 / 4
    sd = np.sqrt(((run_level - mean) ** 2).sum() / 3)
    half = stats.t.ppf(0.975, 3) * sd / np.sqrt(4)
    assert (c["scenario"], c["reference"]) == ("network", "dyad")
    assert c["difference"] == pytest.approx(mean)
    assert c["difference"] == pytest.approx(d.loc["network", "difference"] - d.loc["dyad", "difference"])
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((mean - half, mean + half))
    # across an ensemble: the same run-level differences, the interval of their members' means
    t["member"] = t["replicate"] // 2
    c = contrasts(t, [("network", "dyad")], ["x"]).iloc[0]
    assert c["difference"] == pytest.approx(1.25) and c["n_members"] == 2
    assert c["ci_low"] == pytest.approx(1.25) and c["members_above"] == 2  # the two members agree exactly
    # the default pairs, and --contrast parsed and checked
    names = ["status_quo", "dyad", "committee", "network"]
    assert default_contrasts(names) == [("committee", "dyad"), ("network", "dyad"), ("dyad", "status_quo"),
                                        ("committee", "status_quo"), ("network", "status_quo")]
    assert default_contrasts(["committee", "network"]) == []
    assert parse_contrasts(["network:committee", "network:committee"], names) == [("network", "committee")]
    for bad, says in (("network", "A:B"), ("network:network", "A:B"), ("network:peer", "'peer' is not among")):
        with pytest.raises(ValueError, match=says):
            parse_contrasts([bad], names)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    return compare_and_report(["dyad", "network"], replicates=2, seed=5, out=out, sets=TINY, executor="serial",
                              progress=False)


def test_comparison_runs_end_to_end(comparison):
    out = comparison.out
    for name in ("outcomes.parquet", "differences.parquet", "hazard_ratios.parquet", "comparison.json", "report.html"):
        assert (out / name).exists(), name
    o = comparison.outcomes
    assert len(o) == 2 * 2 * 3  # scenario x replicate x group
    assert set(o["group"]) == {"all", "women", "men"}
    assert {"retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_5y", "promoted_10y",
            "coverage_psychosocial", "load_median", "share_women_full_end"} <= set(o.columns)
    d = comparison.differences
    assert set(d["scenario"]) == {"network"} and set(d["reference"]) == {"dyad"}
    # the default contrast (network against the dyad) is saved, and loads, beside the differences
    c = load(out).contrasts
    assert (out / "contrasts.parquet").exists() and load(out).meta["contrasts"] == [["network", "dyad"]]
    pd.testing.assert_frame_equal(c, d)
    table = format_differences(d)
    assert "retention_10y" in table and "women" in table
    assert set(comparison.hazard_ratios["model"]) == {"without publications", "with publications"}
    # what could not be computed is listed, with its reason, in the object and in comparison.json
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["not_computed"] == comparison.not_computed
    assert {"careersim", "numpy", "numba", "cpu", "kernel_target", "numpy_simd"} <= set(meta["versions"])
    assert any("promoted_14y" in n["what"] and "fewer than the 14 years" in n["why"] for n in comparison.not_computed)


def test_replicates_are_paired_seeds(comparison):
    o = comparison.outcomes
    seeds = o.groupby(["scenario", "replicate"])["seed"].first().unstack(0)
    assert (seeds["dyad"] == seeds["network"]).all() and list(seeds["dyad"]) == [5, 6]


def test_report_contains_every_figure_and_the_differences_table(comparison):
    page = (comparison.out / "report.html").read_text()
    figures = sorted(p.stem for p in (comparison.out / "figures").glob("*.png"))
    assert len(figures) >= 7
    assert not list((comparison.out / "figures").glob("*.svg"))  # PNG only unless asked
    for name in figures:
        assert f"figures/{name}" not in page  # embedded only: no link that breaks when the page moves
    assert page.count("src=\"data:image/png;base64,") == len(figures)  # (the answer's own figure: src='...')
    assert "Differences from One mentor (dyad)" in page and "retention_10y" in page and "narrower" in page
    # long tables collapsed, each downloadable as CSV: the outcomes, the differences, the runs (and a manifest)
    assert page.count("<details>") == 4
    assert "download='outcomes.csv'" in page and "download='differences.csv'" in page


def test_figures_come_from_saved_tables_without_rerunning(comparison, monkeypatch):
    import simulation.run.simulate as run_mod
    import simulation.experiments.executors as sweep_mod

    monkeypatch.setattr(run_mod, "simulate", lambda *a, **k: pytest.fail("simulation rerun"))
    monkeypatch.setattr(sweep_mod, "execute", lambda *a, **k: pytest.fail("simulation rerun"))
    for f in (comparison.out / "figures").glob("*"):
        f.unlink()
    (comparison.out / "report.html").unlink()
    from simulation.analysis.report import write_report

    write_report(comparison.out, svg=True)
    assert (comparison.out / "report.html").exists() and len(list((comparison.out / "figures").glob("*.png"))) >= 7
    assert {p.stem for p in (comparison.out / "figures").glob("*.svg")} == \
        {p.stem for p in (comparison.out / "figures").glob("*.png")}  # careersim report --svg
    assert load(comparison.out).scenarios == ["dyad", "network"]
    assert load(comparison.out).not_computed == comparison.not_computed  # rebuilt, not repeated


def test_kaplan_meier_agrees_with_the_exits_in_the_run_table(comparison):
    people = pd.read_parquet(run_folder(comparison.out, "dyad", 0) / "people.parquet")
    hires = cohort(people)
    hires["scenario"] = "dyad"
    km = km_table(hires, ["scenario"], 10)
    # the product-limit estimate by hand, from the exits recorded in the people table
    for t in (2.0, 5.0):
        s = 1.0
        for u in np.sort(hires.loc[hires["left"] & (hires["years"] <= t), "years"].unique()):
            at_risk = (hires["years"] >= u).sum()
            left = (hires["left"] & (hires["years"] == u)).sum()
            s *= 1 - left / at_risk
        assert km.loc[np.isclose(km["years"], t), "survival"].iloc[0] == pytest.approx(s, abs=1e-12)
    assert hires["left"].sum() > 0


# --- across a calibrated ensemble -------------------------------------------------------------

ENS_TINY = ["population.n_faculty=60", "population.n_institutions=2", "horizon_years=6"]


def point_member() -> dict[str, float]:
    """The point defaults as an ensemble member: every free parameter of targets.toml at its value."""
    from simulation.config.params import Params
    from simulation.experiments.calibration import load_targets

    p, member = Params(), {}
    for f in load_targets()[1]:
        node = p
        for part in f.name.split("."):
            node = getattr(node, part)
        member[f.name] = float(node)
    return member


def test_ensemble_interval_by_hand():
    from simulation.analysis.comparison import ensemble_interval

    # three members, two seeds each: member means 1, 3 and 5, within-member deviations -1, +1
    d = np.array([0.0, 2.0, 2.0, 4.0, 4.0, 6.0])
    m = np.array([0, 0, 1, 1, 2, 2])
    r = ensemble_interval(d, m)
    M, N, S = 3, 6, 2
    half = stats.t.ppf(0.975, M - 1) * 2.0 / np.sqrt(M)  # the member means' sd is 2
    assert r["difference"] == pytest.approx(3.0) and r["n_members"] == 3
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((3 - half, 3 + half))
    msw, msb = 2.0, S * 4.0  # MSW: (1 + 1) * 3 / (N - M); MSB: S times the means' variance
    half_chance = stats.t.ppf(0.975, N - M) * np.sqrt(msw / N)
    assert (r["chance_ci_low"], r["chance_ci_high"]) == pytest.approx((3 - half_chance, 3 + half_chance))
    f = msb / msw
    assert r["share_parameters"] == pytest.approx(1 - 1 / f)
    assert r["share_low"] == pytest.approx(max(0, 1 - stats.f.ppf(0.975, M - 1, N - M) / f))
    assert r["share_high"] == pytest.approx(1 - stats.f.ppf(0.025, M - 1, N - M) / f)
    assert (r["members_above"], r["members_below"], r["member_median"]) == (3, 0, 3.0)
    # members that agree less than chance predicts (MSB < MSW): share 0, yet the interval is the
    # members' spread's, not chance's alone
    r = ensemble_interval(np.array([0.0, 2.0, 0.5, 1.5, 1.2, 1.0]), np.array([0, 0, 1, 1, 2, 2]))
    means = np.array([1.0, 1.0, 1.1])
    half = stats.t.ppf(0.975, 2) * means.std(ddof=1) / np.sqrt(3)
    assert r["share_parameters"] == 0 and (r["ci_low"], r["ci_high"]) == pytest.approx((means.mean() - half,
                                                                                        means.mean() + half))
    # one member: the point comparison's t-interval, exactly; the share is not estimable
    from simulation.analysis.outcomes import mean_ci

    r = ensemble_interval(d, np.zeros(6))
    assert (r["difference"], r["ci_low"], r["ci_high"]) == mean_ci(d) and np.isnan(r["share_parameters"])


def test_an_ensemble_of_the_point_defaults_is_the_point_comparison(tmp_path):
    from simulation.experiments.compare import compare

    kw = dict(seed=5, sets=ENS_TINY, executor="serial", progress=False)
    point = compare(["dyad", "network"], replicates=3, out=tmp_path / "point", **kw)
    ens = compare(["dyad", "network"], replicates=1, out=tmp_path / "ens", ensemble=[point_member()],
                  seeds_per_member=3, **kw)
    assert list(ens.outcomes["member"].unique()) == [0] and "member" not in point.outcomes.columns
    pd.testing.assert_frame_equal(ens.outcomes.drop(columns="member"), point.outcomes)
    cols = ["scenario", "group", "outcome", "difference", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(ens.differences[cols], point.differences[cols])
    assert ens.differences["share_parameters"].isna().all()  # one member: not estimable
    assert point.differences["share_parameters"].isna().all()
    # the decomposition reruns are the same runs too
    pd.testing.assert_frame_equal(ens.decomposition, point.decomposition)
    assert point.meta["ensemble"] is None
    e = ens.meta["ensemble"]
    assert (e["members"], e["seeds_per_member"], e["member_values"]) == (1, 3, [point_member()])
    assert ens.meta["run_ids"] == point.meta["run_ids"] and "calibration" in ens.meta["intervals"]["differences"]


def test_members_that_differ_carry_the_interval(tmp_path):
    from simulation.experiments.compare import compare

    # members far apart in how much unmet need drives faculty out: the paired difference of having
    # a mentor (not only the levels) depends on it
    low, high = {"exits.unmet_effect": 0.0}, {"exits.unmet_effect": 2.0}
    c = compare(["dyad", "no_mentor"], replicates=2, seed=5, out=tmp_path / "ens",
                sets=[*ENS_TINY[:2], "horizon_years=8"], executor="serial", progress=False,
                ensemble=[low, high, {"exits.unmet_effect": 9.0}], seeds_per_member=3)
    o = c.outcomes
    assert len(o) == 2 * 6 * 3 and list(o.groupby("replicate")["member"].first()) == [0, 0, 0, 1, 1, 1]
    seeds = o.groupby(["scenario", "replicate"])["seed"].first().unstack(0)
    assert (seeds["dyad"] == seeds["no_mentor"]).all() and list(seeds["dyad"]) == list(range(5, 11))
    # every run's manifest, the decomposition's reruns too, carries its member's values
    reruns = [m for m, x in c.meta["decomposition"].items() if not x["already_off"]]
    assert reruns
    for name in ["dyad", "no_mentor", *(c.meta["decomposition"][m]["scenario"] for m in reruns)]:
        for r in range(6):
            manifest = json.loads((run_folder(c.out, name, r) / "manifest.json").read_text())
            assert manifest["params"]["exits"]["unmet_effect"] == (0.0, 2.0)[r // 3] and manifest["seed"] == 5 + r
    row = c.differences.set_index(["group", "outcome"]).loc[("all", "retention_5y")]
    assert row["n_members"] == 2 and row["share_parameters"] > 0.8, row["share_parameters"]
    assert row["ci_high"] - row["ci_low"] > 2 * (row["chance_ci_high"] - row["chance_ci_low"])
    assert c.meta["ensemble"]["member_values"] == [low, high] and c.meta["replicates"] == 6
    with pytest.raises(ValueError, match="the ensemble has 3 members, fewer than the 4"):
        compare(["dyad"], replicates=4, out=tmp_path / "never", sets=ENS_TINY, ensemble=[low, high, low])
