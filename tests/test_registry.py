"""The outcome registry: one entry per outcome, read by comparisons, reports and the printed table.

Registering an outcome is all it takes for a comparison to compute it, save it, difference it,
print it and show it in the report with its label and unit.
"""

import json

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.comparison import load, run_folder
from simulation.analysis.outcomes import (LAST_DECADE_MONTHS, PERSON, REGISTRY, RUN, SHARE, Outcome, cohort,
                                          definitions, difference_unit, digits, format_level, key_outcomes, label,
                                          register, run_level, unit)
from simulation.analysis.report import differences_html, outcomes_html, write_report
from simulation.experiments.compare import compare, difference_units_header, format_differences

TINY = ["population.n_faculty=120", "population.n_institutions=2", "horizon_years=8"]

PUBS_3Y = Outcome(
    name="pubs_3y", definition="mean cumulative publications at 3 years, among those still in academia",
    label="output by year 3 (still in academia)", unit="publications", direction=+1, level=PERSON,
    compute=lambda c, n_months: float(np.nanmean(c["pubs_y3"])) if np.isfinite(c["pubs_y3"]).any() else np.nan,
    key=True, years_after_hire=3, columns=("pubs_y3",))
ALL_COVERED = Outcome(
    name="share_all_covered_late", definition=f"proteges with every function at least half covered, last "
    f"{LAST_DECADE_MONTHS // 12} years", label="proteges with every function covered", unit=SHARE, direction=+1,
    level=RUN, compute=lambda series: float(series["share_all_covered"].iloc[-LAST_DECADE_MONTHS:].mean()),
    digits=1, key=True)


def test_every_entry_is_complete_and_the_key_outcomes_keep_their_order():
    for name, o in REGISTRY.items():
        assert o.name == name and o.definition and o.label and o.unit and o.level in (PERSON, RUN)
        assert o.direction in (-1, 0, 1) and callable(o.compute)
    assert key_outcomes() == ("retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_5y", "grant_10y",
                              "promoted_10y", "share_months_hole", "mean_unmet")
    assert difference_units_header() == "percentage points; publications per faculty-year"
    assert format_level("retention_10y", 0.6024) == "60.2%" and format_level("pubs_per_faculty_year", 2.484) == "2.48"
    assert format_level("years_to_associate", 6.25) == "6.2" and format_level("mean_unmet", np.nan) == "n/a"
    with pytest.raises(ValueError, match="already registered"):
        register(REGISTRY["n_hires"])


def test_run_level_outcomes_average_the_named_window():
    months = 300
    n = {f"n_{r}_{g}": np.full(months, 10) for r in ("assistant", "associate", "full") for g in ("women", "men")}
    n["n_full_women"] = np.r_[np.full(months - 1, 1), 4]  # 4 women and 10 men in the last month
    series = pd.DataFrame({"month": np.arange(months), "year": np.arange(months) // 12,
                           "load_median": np.arange(months, dtype=float), **n})
    out = run_level(series)
    assert out["load_median"] == pytest.approx(np.arange(months - LAST_DECADE_MONTHS, months).mean())
    assert LAST_DECADE_MONTHS == 120 and out["load_median"] == pytest.approx(239.5)
    assert out["share_women_full_end"] == pytest.approx(4 / 14) and out["share_women_assistant_end"] == 0.5
    assert "load_p25" not in out  # not in the series: left out, not NaN


def test_a_registered_outcome_flows_into_a_comparison_with_its_label_and_unit(tmp_path, monkeypatch):
    monkeypatch.setitem(REGISTRY, PUBS_3Y.name, PUBS_3Y)
    monkeypatch.setitem(REGISTRY, ALL_COVERED.name, ALL_COVERED)
    assert key_outcomes()[-2:] == ("pubs_3y", "share_all_covered_late")
    assert label("pubs_3y") == PUBS_3Y.label and unit("pubs_3y") == "publications"
    assert difference_unit("share_all_covered_late") == "percentage points" and digits("pubs_3y") == 2

    comp = compare(["dyad", "network"], replicates=2, seed=3, out=tmp_path / "cmp", sets=TINY, executor="serial",
                   progress=False)
    # compare writes the tables only; the report is the caller's
    assert not (comp.out / "report.html").exists() and not (comp.out / "figures").exists()

    # computed per group from each run's own tables, and saved
    people = pd.read_parquet(run_folder(comp.out, "network", 1) / "people.parquet")
    series = pd.read_parquet(run_folder(comp.out, "network", 1) / "series.parquet")
    row = comp.outcomes.set_index(["scenario", "replicate", "group"]).loc[("network", 1, "all")]
    assert row["pubs_3y"] == pytest.approx(cohort(people)["pubs_y3"].astype(float).mean())
    assert row["share_all_covered_late"] == pytest.approx(series["share_all_covered"].iloc[-120:].mean())
    saved = pd.read_parquet(comp.out / "outcomes.parquet")
    assert {"pubs_3y", "share_all_covered_late"} <= set(saved.columns)
    assert json.loads((comp.out / "comparison.json").read_text())["outcomes"]["pubs_3y"] == PUBS_3Y.definition
    assert definitions()["share_all_covered_late"] == ALL_COVERED.definition

    # differenced, and printed in its unit (shares in percentage points, counts as they are)
    d = comp.differences.set_index(["outcome", "group"])
    pubs, covered = d.loc[("pubs_3y", "all")], d.loc[("share_all_covered_late", "all")]
    printed = {line.split()[1]: line for line in format_differences(comp.differences).splitlines()[1:]}
    assert f"{pubs['difference']:+.2f} [{pubs['ci_low']:+.2f}, {pubs['ci_high']:+.2f}]" in printed["pubs_3y"]
    assert printed["pubs_3y"].rstrip().endswith(f"{pubs['reference_mean']:.2f}")
    assert f"{100 * covered['difference']:+.1f} [{100 * covered['ci_low']:+.1f}" in printed["share_all_covered_late"]
    assert printed["share_all_covered_late"].rstrip().endswith(f"{100 * covered['reference_mean']:.1f}%")
    assert difference_units_header() == "percentage points; publications per faculty-year; publications"

    # the report's tables name it by its label, with its unit
    diffs_table = differences_html(comp.differences)
    assert "output by year 3 (still in academia) <small>(publications)</small>" in diffs_table
    assert f"{100 * covered['difference']:+.1f} pp" in diffs_table
    assert "proteges with every function covered" in outcomes_html(comp.outcomes, comp.scenarios)
    write_report(comp.out, workers=1)
    page = (comp.out / "report.html").read_text()
    assert "output by year 3 (still in academia) <small>(publications)</small> <code class='raw'>pubs_3y" in page
    assert load(comp.out).meta["outcomes"]["share_all_covered_late"] == ALL_COVERED.definition


def test_sweeps_offer_and_default_to_what_the_registry_holds(monkeypatch):
    from simulation.experiments import sweeps

    monkeypatch.setitem(REGISTRY, PUBS_3Y.name, PUBS_3Y)
    assert sweeps.outcome_names()["pubs_3y"] == PUBS_3Y.definition
    assert sweeps.default_outcomes()[-1] == "pubs_3y"
