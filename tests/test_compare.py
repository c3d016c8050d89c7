import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.experiments.compare import format_differences, load, paired_differences, run_folder
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
    table = format_differences(d)
    assert "retention_10y" in table and "women" in table
    assert set(comparison.hazard_ratios["model"]) == {"without publications", "with publications"}
    # what could not be computed is listed, with its reason, in the object and in comparison.json
    assert json.loads((out / "comparison.json").read_text())["not_computed"] == comparison.not_computed
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
    assert page.count("data:image/png;base64,") == len(figures)
    assert "Differences from dyad" in page and "retention_10y" in page and "narrower" in page
    assert page.count("<details>") == 1  # one representative manifest; every run in one table


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
