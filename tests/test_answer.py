"""The answer in words (issue 25, items 2 and 6): clear / leaning / undetermined from the
interval, the plausible worlds, whether more runs help; the point comparison's warning and how
much wider the ensemble's intervals are; a scenario file's [costs] changes the report's figure."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.answer import ensemble_widening, point_note
from simulation.analysis.costs import money
from simulation.analysis.verdict import career_outcomes, classify, sentence

from .comparisons import compare_and_report

SETS = ["population.n_faculty=150", "population.n_institutions=2", "horizon_years=11"]


def row(d, lo, hi, members=np.nan, above=np.nan, below=np.nan, share=(np.nan, np.nan), n=32):
    return pd.Series({"difference": d, "ci_low": lo, "ci_high": hi, "n_replicates": n, "n_members": members,
                      "members_above": above, "members_below": below, "member_median": d,
                      "share_low": share[0], "share_high": share[1]})


def test_clear_leaning_undetermined():
    assert classify(row(0.02, 0.01, 0.03)) == "clear"
    assert classify(row(-0.02, -0.03, -0.01)) == "clear"
    # the 95% interval includes zero, the 80% one (same df) does not
    assert classify(row(0.02, -0.001, 0.041)) == "leaning"
    assert classify(row(0.002, -0.02, 0.024)) == "undetermined"
    assert classify(row(0.02, np.nan, np.nan)) == "undetermined"
    # across an ensemble: clear needs three quarters of the worlds on its side
    assert classify(row(0.02, 0.01, 0.03, members=16, above=12, below=4)) == "clear"
    assert classify(row(0.02, 0.01, 0.03, members=16, above=11, below=5)) == "leaning"
    text = sentence(row(0.036, 0.023, 0.049, members=16, above=14, below=2), "retention_10y", "Network", "Dyad")
    assert text.startswith("<span class='verdict better'><b>Clear</b>: Network keeps more faculty 10 years after "
                           "hire than Dyad, &#9650; +3.6 points [+2.3, +4.9]")
    assert "so it does in 14 of 16 plausible worlds (median +3.6 points)" in text
    # undetermined, mostly the parameters': more seeds would not settle it
    text = sentence(row(0.004, -0.02, 0.028, members=16, above=9, below=7, share=(0.6, 0.95)),
                    "retention_10y", "Network", "Dyad")
    assert "<b>Undetermined</b>" in text and "more seeds would not settle it" in text and "60&ndash;95%" in text
    text = sentence(row(0.004, -0.02, 0.028, members=16, above=9, below=7, share=(0.0, 0.3)),
                    "retention_10y", "Network", "Dyad")
    assert "mostly chance: more seeds per plausible world would narrow it" in text
    # career outcomes only: the measures of the mentoring itself are not among them
    assert career_outcomes({"retention_5y", "share_months_hole", "pubs_per_faculty_year"}) == [
        "retention_5y", "pubs_per_faculty_year"]


def test_whether_more_runs_would_help():
    from simulation.analysis.answer import runs_help

    assert "More seeds would not narrow them" in runs_help([(0.6, 0.9), (0.8, 0.99), (0.2, 0.7)])
    assert "70&ndash;90%" in runs_help([(0.6, 0.9), (0.8, 0.99), (0.7, 0.8)])
    assert "mostly chance" in runs_help([(0.0, 0.3), (0.1, 0.4)])
    assert runs_help([(0.2, 0.8)]) == "" and runs_help([(np.nan, np.nan)]) == ""


def test_a_point_comparison_says_how_much_wider_the_ensemble_is(tmp_path):
    class Comp:
        out = tmp_path / "mine"
        scenarios = ["status_quo", "network"]
        meta = {"ensemble": None}

    assert "carry chance only" in point_note(Comp) and "without --point" in point_note(Comp)
    ens = tmp_path / "default"
    ens.mkdir()
    (ens / "comparison.json").write_text(json.dumps({"ensemble": {"members": 16}, "scenarios": ["status_quo",
                                                                                              "network"]}))
    pd.DataFrame({"scenario": ["network", "network"], "group": "all", "outcome": ["retention_10y", "grant_10y"],
                  "ci_low": [0.0, 0.0], "ci_high": [0.04, 0.09], "chance_ci_low": [0.01, 0.0],
                  "chance_ci_high": [0.03, 0.03]}).to_parquet(ens / "differences.parquet")
    ratio, where = ensemble_widening(Comp)
    assert ratio == pytest.approx(2.5) and where == ens  # median of 2 and 3
    assert "a median 2.5 times as wide as chance's alone" in point_note(Comp)


def _cost_item(page: str) -> str:
    return next(i for i in re.findall(r"<li>(.*?)</li>", page) if i.startswith("<b>Costs</b>"))


def test_a_scenario_files_costs_change_the_reports_figure(tmp_path):
    pages, nets = [], []
    for hour in (150, 1000):
        mine = tmp_path / f"mine{hour}.toml"
        mine.write_text(f'extends = "network"\nlabel = "Our network"\n[costs]\nmentor_hour = {hour}\n')
        c = compare_and_report([str(mine), "dyad"], replicates=2, seed=3, out=tmp_path / f"out{hour}", sets=SETS,
                               executor="serial", progress=False, decomposition=False)
        page = (c.out / "report.html").read_text()
        item = _cost_item(page)
        r = c.contrasts.set_index(["scenario", "reference", "group", "outcome"]).loc[
            (mine.stem, "dyad", "all", "net_cost_per_100")]
        assert "Costs</b>, per 100 faculty a year, of Our network instead of One mentor (dyad)" in item
        assert f"{money(r['difference'])} [{money(r['ci_low'])}, {money(r['ci_high'])}]" in item
        assert f"${hour:,} a mentor hour" in item
        hours = c.contrasts.set_index(["scenario", "group", "outcome"]).loc[
            (mine.stem, "all", "mentor_hours_per_100"), "difference"]
        nets.append(r["difference"])
        pages.append(page)
    # the dearer hour (the reference's price, for both scenarios) adds the extra mentor hours times the change
    # in price, run by run
    assert nets[1] - nets[0] == pytest.approx(hours * 850, rel=1e-9)
    assert _cost_item(pages[0]) != _cost_item(pages[1])
