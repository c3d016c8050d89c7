"""Edge cases of `compare`: every analysis degrades gracefully, says why, and the report is written.

One scenario, one replicate, one gender among the hires, and runs too short for 5- and 10-year
outcomes: each must finish without raising, write every table that can be written and
report.html, and list what could not be computed (and why) in the returned Comparison, in
comparison.json ("not_computed") and in a "What could not be computed" section of the report.
Populations are tiny (60-100 faculty, 2 institutions) to keep the module fast.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.comparison import Comparison, format_not_computed, load
from simulation.experiments.compare import compare, format_differences, hazard_ratios, paired_differences
from simulation.analysis.report import write_report

from .comparisons import compare_and_report

TINY = ["population.n_faculty=100", "population.n_institutions=2"]
TABLES = ("outcomes.parquet", "differences.parquet", "hazard_ratios.parquet", "comparison.json", "report.html")


def _compare(tmp_path_factory, name, scenarios, replicates, sets) -> Comparison:
    out = tmp_path_factory.mktemp(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines / seaborn warnings on tiny data are not the point here
        return compare_and_report(scenarios, replicates=replicates, seed=7, out=out, sets=sets, executor="serial",
                                  progress=False)


def _whys(comp: Comparison) -> str:
    return " | ".join(f"{n['what']}: {n['why']}" for n in comp.not_computed)


def _check_common(comp: Comparison) -> str:
    """Every table and the report exist; notes agree between the object, the JSON and the page."""
    for name in TABLES:
        assert (comp.out / name).exists(), name
    saved = json.loads((comp.out / "comparison.json").read_text())
    assert saved["not_computed"] == comp.not_computed
    assert all({"what", "why", "stage"} <= set(n) for n in comp.not_computed)
    page = (comp.out / "report.html").read_text()
    assert "What could not be computed" in page
    assert page.index("What could not be computed") < page.index("Scenarios compared")  # near the top
    for n in comp.not_computed:
        assert n["why"].replace("'", "&#x27;") in page
    # the last-resort guard around each figure never fired: every gap was detected and explained
    assert "drawing it failed" not in _whys(comp)
    # no nan leaks into what people read
    assert "nan" not in format_differences(comp.differences).lower()
    text = re.sub(r"data:image/png;base64,[^\"]*", "", page).lower()
    for bad in ("nan%", ">nan<", "[nan", "+nan", " nan ", " nan."):
        assert bad not in text
    return page


# --- one scenario -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_scenario(tmp_path_factory):
    return _compare(tmp_path_factory, "one", ["dyad"], 2, [*TINY, "horizon_years=12"])


def test_one_scenario_reports_outcomes_and_figures_but_no_differences(one_scenario):
    page = _check_common(one_scenario)
    assert one_scenario.differences.empty and "difference" in one_scenario.differences.columns
    assert format_differences(one_scenario.differences) == "(no differences)"
    assert "only one scenario (dyad): nothing to compare it with" in _whys(one_scenario)
    assert {"what": "figure 'differences'", "why": "only one scenario (dyad): nothing to compare it with",
            "stage": "figures"} in one_scenario.not_computed
    o = one_scenario.outcomes
    assert len(o) == 2 * 3 and set(o["scenario"]) == {"dyad"}
    assert o["retention_5y"].notna().any()
    # the Cox model still runs, on gender and publications
    assert set(one_scenario.hazard_ratios["covariate"]) == {"women", "log publications per year"}
    figures = {p.stem for p in (one_scenario.out / "figures").glob("*.png")}
    assert {"retention", "careers_by_year", "coverage_by_stage", "mentor_load", "women"} <= figures
    assert "differences" not in figures
    assert page.count("data:image/png;base64,") == len(figures)
    assert "Outcomes of One mentor (dyad)" in page and "No differences could be computed" in page  # its label


def test_report_rebuilt_from_the_folder_keeps_the_same_notes(one_scenario):
    out = one_scenario.out
    for f in (out / "figures").glob("*"):
        f.unlink()
    (out / "report.html").unlink()
    write_report(out)
    comp = load(out)
    assert comp.not_computed == one_scenario.not_computed  # the figures' notes are replaced, not repeated
    _check_common(comp)


def test_folder_written_before_notes_existed_gets_its_notes_back(one_scenario, tmp_path):
    """A folder the old code left behind (columnless differences, no notes) loads with derived notes."""
    out = tmp_path / "old"
    shutil.copytree(one_scenario.out, out, ignore=shutil.ignore_patterns("figures", "report.html"))
    meta = json.loads((out / "comparison.json").read_text())
    meta.pop("not_computed"), meta.pop("horizon_years")
    (out / "comparison.json").write_text(json.dumps(meta))
    pd.DataFrame().to_parquet(out / "differences.parquet")
    comp = load(out)
    assert "difference" in comp.differences.columns and comp.differences.empty
    assert comp.not_computed == [n for n in one_scenario.not_computed if n["stage"] == "tables"]


# --- one replicate ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_replicate(tmp_path_factory):
    return _compare(tmp_path_factory, "rep1", ["dyad", "network"], 1, [*TINY, "horizon_years=12"])


def test_one_replicate_reports_differences_without_intervals(one_replicate):
    page = _check_common(one_replicate)
    d = one_replicate.differences
    assert len(d) and d["difference"].notna().all() and d["ci_low"].isna().all()
    assert "one replicate: no interval" in _whys(one_replicate)
    table = format_differences(d)
    assert "[no interval]" in table and "retention_5y" in table
    assert "[no interval]" in page and "Differences from One mentor (dyad)" in page
    assert (one_replicate.out / "figures" / "differences.png").exists()


def test_replicates_must_be_at_least_one(tmp_path):
    with pytest.raises(ValueError, match="replicates must be at least 1"):
        compare(["dyad"], replicates=0, out=tmp_path / "zero", sets=TINY, executor="serial", progress=False)


# --- one gender among the hires -----------------------------------------------------------------

@pytest.fixture(scope="module", params=[0, 1], ids=["no_women", "no_men"])
def one_gender(request, tmp_path_factory):
    share = request.param
    comp = _compare(tmp_path_factory, f"sw{share}", ["dyad", "network"], 2,
                    [*TINY, "horizon_years=12", f"hiring.share_women={share}"])
    return share, comp


def test_one_gender_drops_the_gender_covariate_and_says_why(one_gender):
    share, comp = one_gender
    page = _check_common(comp)
    present, absent = ("women", "men") if share == 1 else ("men", "women")
    o = comp.outcomes.set_index(["scenario", "replicate", "group"])
    assert (o.xs(absent, level="group")["n_hires"] == 0).all()
    assert o.xs(absent, level="group")["retention_5y"].isna().all()
    assert o.xs(present, level="group")["retention_5y"].notna().any()
    hr = comp.hazard_ratios
    assert "women" not in set(hr["covariate"]) and "scenario: network" in set(hr["covariate"])
    assert set(hr["model"]) == {"without publications", "with publications"}
    whys = _whys(comp)
    assert f"only {present} among the hires of every run (no {absent})" in whys
    assert f"no {absent} among the hires of any run (hiring.share_women = {share})" in whys
    assert f"figure 'retention ({absent} panel)'" in whys
    assert "The gender gap in leaving could not be tested" in page and f"only {present} among the hires" in page
    d = comp.differences
    assert absent not in set(d["group"]) and {"all", present} <= set(d["group"])
    assert (comp.out / "figures" / "retention.png").exists()


# --- short horizons -----------------------------------------------------------------------------

@pytest.fixture(scope="module", params=range(1, 8), ids=lambda h: f"{h}y")
def short(request, tmp_path_factory):
    h = request.param
    sets = ["population.n_faculty=60", "population.n_institutions=2", f"horizon_years={h}"]
    return h, _compare(tmp_path_factory, f"h{h}", ["dyad", "network"], 2, sets)


def test_short_horizon_skips_what_needs_more_years(short):
    h, comp = short
    page = _check_common(comp)
    whys = _whys(comp)
    years = "1 year" if h == 1 else f"{h} years"
    o = comp.outcomes
    # outcomes at 10 years (and at 5, below 5 years) are NaN, and the notes say the runs are too short
    assert o["retention_10y"].isna().all() and o["promoted_10y"].isna().all()
    assert f"the runs last {years}, fewer than the 10 years after hire it needs" in whys
    if h < 5:
        assert o["retention_5y"].isna().all() and o["grant_5y"].isna().all()
        assert f"the runs last {years}, fewer than the 5 years after hire it needs" in whys
    assert "retention_10y" not in set(comp.differences["outcome"])
    assert "retention_10y" not in format_differences(comp.differences)
    # what every run can give is still there
    assert o["pubs_per_faculty_year"].notna().any() and o["share_months_hole"].notna().any()
    assert "pubs_per_faculty_year" in set(comp.differences["outcome"])
    figures = {p.stem for p in (comp.out / "figures").glob("*.png")}
    assert {"retention", "coverage_by_stage", "mentor_load", "women", "differences"} <= figures
    # figures that need promotions or a year of follow-up are skipped with their reason, or drawn
    for name in ("promotion_timing", "careers_by_year"):
        assert (name in figures) != (f"figure '{name}'" in whys), name
    if "promotion_timing" not in figures:
        assert f"no hire was promoted to associate professor during the runs (the runs last {years})" in whys
    assert re.search(r"Not shown, as they could not be computed: [^.]*retention_10y", page)
    assert len(comp.hazard_ratios) or "Cox model" in whys


# --- the analysis functions on hand-made tables -----------------------------------------------

def test_format_differences_handles_missing_intervals_and_no_rows():
    t = pd.DataFrame({"scenario": ["ref", "new"], "replicate": 0, "group": "all",
                      "retention_5y": [0.5, 0.6], "pubs_per_faculty_year": [1.0, 1.5]})
    d = paired_differences(t, "ref")
    text = format_differences(d)
    assert "+10.0 [no interval]" in text and "+0.50 [no interval]" in text and "nan" not in text
    assert format_differences(paired_differences(t[t["scenario"] == "ref"], "ref")) == "(no differences)"
    assert format_differences(pd.DataFrame()) == "(no differences)"
    assert format_not_computed([]) == ""
    assert "- x: y" in format_not_computed([{"what": "x", "why": "y"}])


def test_hazard_ratios_skip_what_the_data_cannot_identify():
    rng = np.random.default_rng(0)
    n = 300
    pooled = pd.DataFrame({"years": rng.uniform(0.1, 10, n), "left": rng.random(n) < 0.4, "gender": "women",
                           "scenario": np.where(rng.random(n) < 0.5, "a", "b"), "pubs": rng.poisson(5, n),
                           "replicate": 0})
    notes = []
    hr = hazard_ratios(pooled, "a", notes=notes)
    assert "women" not in set(hr["covariate"]) and "scenario: b" in set(hr["covariate"])
    assert "only women among the hires" in notes[0]["why"]
    notes = []
    assert hazard_ratios(pooled.assign(left=False), "a", notes=notes).empty
    assert "no hire left academia" in notes[0]["why"]
    notes = []
    assert hazard_ratios(pooled.iloc[:0], "a", notes=notes).empty and "no faculty were hired" in notes[0]["why"]
