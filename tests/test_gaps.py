"""The gender gap as an outcome: the gap tables on hand-made outcome tables whose answers are known,
the decomposition on a toy comparison, and `careersim compare` with and without the decomposition
on a tiny real comparison."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from simulation.analysis import gaps as G
from simulation.analysis.comparison import load
from simulation.analysis.gaps import decomposition, decomposition_scenario, gap_changes, gaps, share_interval
from simulation.cli import app
from simulation.config.gender import MECHANISMS, Mechanism

T95_2 = stats.t.ppf(0.975, 2)  # three replicates


def _table(values: dict[str, list[tuple[float, float]]], outcome: str = "retention_10y") -> pd.DataFrame:
    """An outcome table: per scenario, (women, men) for each replicate."""
    rows = []
    for s, reps in values.items():
        for r, (w, m) in enumerate(reps):
            rows += [{"scenario": s, "replicate": r, "group": "all", outcome: (w + m) / 2, "n_hires": 20},
                     {"scenario": s, "replicate": r, "group": "women", outcome: w, "n_hires": 10},
                     {"scenario": s, "replicate": r, "group": "men", outcome: m, "n_hires": 10}]
    return pd.DataFrame(rows)


# reference gaps -0.10, -0.12, -0.08 (mean -0.10, sd 0.02); the scenario's -0.06, -0.06, -0.03
HAND = _table({"ref": [(0.50, 0.60), (0.48, 0.60), (0.52, 0.60)],
               "s": [(0.54, 0.60), (0.54, 0.60), (0.57, 0.60)]})


def test_gaps_are_women_minus_men_with_a_t_interval_over_replicates():
    g = gaps(HAND).set_index("scenario")
    assert list(g.columns[:1]) == ["outcome"] and set(g["outcome"]) == {"retention_10y"}
    r = g.loc["ref"]
    assert r["women_mean"] == pytest.approx(0.50) and r["men_mean"] == pytest.approx(0.60)
    assert r["gap"] == pytest.approx(-0.10) and r["n_replicates"] == 3
    half = T95_2 * 0.02 / np.sqrt(3)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.10 - half, -0.10 + half))
    assert g.loc["s", "gap"] == pytest.approx(-0.05)


def test_gap_changes_are_paired_and_give_the_share_closed_with_fieller_interval():
    c = gap_changes(HAND, "ref").iloc[0]
    assert c["scenario"] == "s" and c["reference"] == "ref"
    assert c["ref_gap"] == pytest.approx(-0.10) and c["scenario_gap"] == pytest.approx(-0.05)
    changes = np.array([0.04, 0.06, 0.05])  # paired, replicate by replicate
    half = T95_2 * changes.std(ddof=1) / np.sqrt(3)
    assert c["change"] == pytest.approx(0.05)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((0.05 - half, 0.05 + half))
    assert c["share_defined"] and c["share_closed"] == pytest.approx(0.5)
    assert c["share_ci_low"] < 0.5 < c["share_ci_high"]
    # Fieller: at each bound, the t-statistic of (reduction - theta * reference gap) is at the critical value
    reduction, ref = -changes, np.array([-0.10, -0.12, -0.08])
    for theta in (c["share_ci_low"], c["share_ci_high"]):
        x = reduction - theta * ref
        assert abs(x.mean()) / (x.std(ddof=1) / np.sqrt(3)) == pytest.approx(T95_2, rel=1e-6)


def test_share_closed_is_not_defined_when_the_reference_gap_may_be_zero():
    t = _table({"ref": [(0.55, 0.60), (0.62, 0.60), (0.50, 0.60)], "s": [(0.58, 0.60), (0.62, 0.60), (0.55, 0.60)]})
    c = gap_changes(t, "ref").iloc[0]
    assert gaps(t).set_index("scenario").loc["ref", "ci_low"] < 0 < gaps(t).set_index("scenario").loc["ref", "ci_high"]
    assert not c["share_defined"] and np.isnan(c["share_closed"]) and np.isnan(c["share_ci_low"])
    assert np.isfinite(c["change"])  # the change itself still has its interval
    text = G.share_sentence(c, "ref", "s")
    assert "not defined" in text and "%" not in text
    assert share_interval([0.1], [0.2])[3] is False  # one replicate: no interval, no share


def test_gap_tables_are_empty_with_one_gender():
    t = HAND[HAND["group"] != "women"]
    assert gaps(t).empty and gap_changes(t, "ref").empty
    assert list(gaps(t).columns) == list(G.GAP_COLUMNS)


def _mechanism(name: str) -> Mechanism:
    return Mechanism(name, f"mechanism {name}", "what differs", "a source", lambda p: {}, "switch it off")


def test_decomposition_gives_the_known_change_for_each_mechanism():
    ref = [(0.50, 0.60), (0.48, 0.60), (0.52, 0.60)]  # gaps -0.10, -0.12, -0.08
    x_off = [(0.54, 0.60), (0.52, 0.60), (0.56, 0.60)]  # x carries 0.04 of each replicate's gap
    y_off = [(0.47, 0.60), (0.45, 0.60), (0.49, 0.60)]  # without y the gap widens by 0.03
    mechanisms = (_mechanism("x"), _mechanism("y"), _mechanism("z"))
    t = _table({"sq": ref, decomposition_scenario("sq", "x"): x_off, decomposition_scenario("sq", "y"): y_off})
    d = decomposition(t, "sq", ["retention_10y"], mechanisms, already_off=["z"]).set_index("mechanism")
    assert list(d.index) == ["x", "y", "z"] and list(d.columns) == list(G.DECOMPOSITION_COLUMNS)[1:]
    assert d.loc["x", "ref_gap"] == pytest.approx(-0.10) and d.loc["x", "gap_off"] == pytest.approx(-0.06)
    assert d.loc["x", "change"] == pytest.approx(0.04) and d.loc["x", "ci_low"] == pytest.approx(0.04)
    assert d.loc["x", "share_carried"] == pytest.approx(0.4)
    assert d.loc["y", "change"] == pytest.approx(-0.03) and d.loc["y", "share_carried"] == pytest.approx(-0.3)
    # z is already off in the reference: not rerun, it carries nothing
    assert d.loc["z", "already_off"] and d.loc["z", "change"] == 0 and d.loc["z", "gap_off"] == pytest.approx(-0.10)
    assert d.loc["x", "label"] == "mechanism x" and d.loc["x", "switched_off"] == "switch it off"
    reading = G.lead_mechanism_sentence(d.reset_index(), "sq", "retention_10y")
    assert reading.startswith("Mechanism x carries most of sq's gap") and "40% [" in reading


def test_the_lead_sentence_says_when_no_mechanism_moves_the_gap():
    t = _table({"sq": [(0.50, 0.60), (0.48, 0.60)], decomposition_scenario("sq", "x"): [(0.52, 0.60), (0.46, 0.60)]})
    d = decomposition(t, "sq", ["retention_10y"], (_mechanism("x"),))
    assert G.lead_mechanism_sentence(d, "sq", "retention_10y").startswith("No mechanism, switched off alone")


# --- a tiny real comparison, through the command line -------------------------------------------

runner = CliRunner()
TINY = ["--set", "population.n_faculty=120", "--set", "population.n_institutions=2", "--set", "horizon_years=6"]


def _compare(out, *flags):
    r = runner.invoke(app, ["compare", "status_quo", "network", "--replicates", "2", "--workers", "1", "-q",
                            "--out", str(out), *TINY, *flags])
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def without_then_with(tmp_path_factory):
    """The same comparison run without the decomposition, then resumed with it."""
    out = tmp_path_factory.mktemp("gaps") / "cmp"
    first = _compare(out, "--no-decomposition")
    without = {name: (out / name).exists() for name in ("gaps.parquet", "gap_changes.parquet", "decomposition.parquet")}
    meta = json.loads((out / "comparison.json").read_text())
    runs = sorted(p.name for p in (out / "runs").iterdir())
    stamp = (out / "runs" / "status_quo" / "rep000" / "manifest.json").stat().st_mtime_ns
    second = _compare(out)
    return out, first, without, meta, runs, stamp, second


def test_no_decomposition_writes_the_gap_tables_but_no_decomposition(without_then_with):
    out, first, without, meta, runs, *_ = without_then_with
    assert without == {"gaps.parquet": True, "gap_changes.parquet": True, "decomposition.parquet": False}
    assert meta["decomposition"] is None and runs == ["network", "status_quo"]
    assert "gender gaps (women minus men) in status_quo" in first.stdout
    assert "gendered mechanism carries" not in first.stdout


def test_decomposition_resumes_the_finished_runs_and_adds_one_rerun_per_mechanism(without_then_with):
    out, _, _, _, _, stamp, second = without_then_with
    assert (out / "runs" / "status_quo" / "rep000" / "manifest.json").stat().st_mtime_ns == stamp  # kept
    comp = load(out)
    assert comp.scenarios == ["status_quo", "network"]
    meta = comp.meta["decomposition"]
    assert list(meta) == [m.name for m in MECHANISMS]
    for m in MECHANISMS:
        rerun = decomposition_scenario("status_quo", m.name)
        assert meta[m.name]["scenario"] == rerun
        if not meta[m.name]["already_off"]:
            for r in range(2):
                manifest = json.loads((out / "runs" / rerun / f"rep{r:03d}" / "manifest.json").read_text())
                assert manifest["seed"] == comp.meta["seeds"][r]  # the same people as the reference
    # the reruns are not scenarios
    for table in ("differences", "outcomes", "gaps", "gap_changes"):
        assert not pd.read_parquet(out / f"{table}.parquet")["scenario"].str.contains("~").any(), table
    assert "~" not in (out / "report.html").read_text().split("id='women-and-men'")[0]


def test_decomposition_has_one_row_per_mechanism_and_headline_outcome(without_then_with):
    out, *_, second = without_then_with
    d = pd.read_parquet(out / "decomposition.parquet")
    comp = load(out)
    shown = G.decomposition_outcomes(comp.outcomes, "status_quo")
    assert shown and "retention_10y" not in shown  # a 6-year run has no 10-year outcomes (5-year ones, if any, instead)
    assert sorted(zip(d["mechanism"], d["outcome"])) == sorted((m.name, o) for m in MECHANISMS for o in shown)
    ref_gaps = comp.gaps[comp.gaps["scenario"] == "status_quo"].set_index("outcome")["gap"]
    for _, r in d.iterrows():  # paired, on the reference's replicates: gap off = reference gap + change
        assert r["ref_gap"] == pytest.approx(ref_gaps[r["outcome"]])
        assert r["gap_off"] == pytest.approx(r["ref_gap"] + r["change"])
    assert "gendered mechanism carries" in second.stdout
    for m in MECHANISMS:
        assert m.name in second.stdout


def test_gap_changes_cover_every_person_level_outcome_with_a_gap(without_then_with):
    out, *_ = without_then_with
    comp = load(out)
    g = pd.read_parquet(out / "gaps.parquet")
    assert set(g["scenario"]) == {"status_quo", "network"}
    assert set(comp.gap_changes["outcome"]) == set(g["outcome"])
    assert set(comp.gap_changes["scenario"]) == {"network"}


def test_report_has_the_women_and_men_section(without_then_with):
    out, *_ = without_then_with
    page = (out / "report.html").read_text()
    section = page.split("id='women-and-men'")[1].split("<h2")[0]
    for m in MECHANISMS:
        assert m.label in section
    assert "How each scenario changes Status quo" in section and "gap off" in section


def test_rerunning_without_the_decomposition_drops_its_table(without_then_with, tmp_path):
    out, *_ = without_then_with
    _compare(out, "--no-decomposition")
    assert not (out / "decomposition.parquet").exists() and load(out).decomposition.empty
    assert "Not computed: this comparison was run without the decomposition" in (out / "report.html").read_text()


def test_with_one_replicate_the_lead_sentence_says_there_is_no_interval():
    t = _table({"sq": [(0.50, 0.60)], decomposition_scenario("sq", "x"): [(0.55, 0.60)]})
    d = decomposition(t, "sq", ["retention_10y"], (_mechanism("x"),))
    assert d["change"].iloc[0] == pytest.approx(0.05) and np.isnan(d["ci_low"].iloc[0])
    assert not d["share_defined"].iloc[0]
    assert G.lead_mechanism_sentence(d, "sq", "retention_10y").startswith("With one replicate")


def test_a_mechanism_that_does_not_act_in_the_reference_is_not_rerun():
    """The second-mentor shares act only in the committee model: with a dyad reference there is
    nothing to switch off, so no rerun; with the status quo (a committee) there is."""
    from simulation.experiments.compare import resolve, switched_off

    for reference, rerun in (("dyad", False), ("status_quo", True)):
        sw = switched_off([reference], [], resolve([reference], []), reference)
        assert (sw["second_mentor"][1] is not None) == rerun, reference
        assert sw["caregiving_time"][1] is not None  # acts in every model


def test_a_share_that_rounds_to_zero_prints_without_a_sign():
    assert G.fmt_share(-0.004, -0.07, 0.05, True) == "0% [\u22127%, 5%]"
    assert G.fmt_share(0.3, 0.2, 0.4, True) == "30% [20%, 40%]"


def test_the_share_of_a_gap_closed_is_said_in_words():
    from simulation.analysis.gaps import share_words

    assert share_words(0.3, 0.2, 0.4, True) == "closes 30% [20%, 40%]"
    # a negative share widens the gap: said so, with the interval turned the right way round
    assert share_words(-1.31, -2.0, -0.6, True) == "widens it by 131% [60%, 200%]"
    assert share_words(1.4, 1.1, 1.7, True) == "reverses it: closes 140% [110%, 170%]"
    assert share_words(0.3, -0.1, 0.7, False) == "share closed not defined"
