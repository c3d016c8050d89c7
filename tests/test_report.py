"""report.html leads with the answer, in people's labels and units, computed from the saved tables.

One tiny comparison (status quo, dyad, network; 2 replicates; 150 faculty, 11 years) is
shared by every test of the module.
"""

import colorsys
import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb

from simulation.analysis.comparison import run_folder
from simulation.analysis.gaps import gap_changes
from simulation.analysis.outcomes import HEADLINE, REGISTRY, direction, label
from simulation.analysis.plots import differences_figure, km_table, load_runs, retention_figure, scenario_colors
from simulation.analysis.outcomes import cohort
from simulation.analysis.report import change_class, gap_class

from .comparisons import compare_and_report

SCENARIOS = ["status_quo", "dyad", "network"]
SETS = ["population.n_faculty=150", "population.n_institutions=2", "horizon_years=11"]


@pytest.fixture(scope="module")
def comp(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return compare_and_report(SCENARIOS, replicates=2, seed=3, out=out, sets=SETS, executor="serial", progress=False)


@pytest.fixture(scope="module")
def page(comp):
    return (comp.out / "report.html").read_text()


def _section(page: str, start: str, end: str) -> str:
    i = page.index(start)
    return page[i:page.index(end, i)]


def _bottom_line(page: str) -> str:
    return _section(page, "<div class='answer'>", "</div>")


def _summary(page: str) -> str:
    return _section(page, "<table class='summary'>", "</table>")


def _lead_outcome(diffs: pd.DataFrame) -> str:
    have = set(diffs.loc[diffs["group"] == "all", "outcome"])
    return "retention_10y" if "retention_10y" in have else "retention_5y"


def test_bottom_line_names_best_and_worst_for_retention_from_the_saved_differences(comp, page):
    diffs = pd.read_parquet(comp.out / "differences.parquet")
    lead = _lead_outcome(diffs)
    d = diffs[(diffs["outcome"] == lead) & (diffs["group"] == "all")].set_index("scenario")["difference"]
    best, worst = d.idxmax(), d.idxmin()  # higher retention is better
    assert best != worst
    items = re.findall(r"<li>(.*?)</li>", _bottom_line(page))
    line = next(i for i in items if i.startswith(f"<b>{label(lead)}</b>"))
    names = json.loads((comp.out / "comparison.json").read_text())["labels"]  # the scenario files' labels
    assert names["dyad"] == "One mentor (dyad)"
    assert f"best {html.escape(names[best])} " in line and f"worst {html.escape(names[worst])} " in line
    assert f"{100 * d[best]:+.1f} pp [" in line and f"{100 * d[worst]:+.1f} pp [" in line
    # the reference's level, from the same table
    ref = diffs[(diffs["outcome"] == lead) & (diffs["group"] == "all")]["reference_mean"].iloc[0]
    assert f"{names['status_quo']} {100 * ref:.1f}%" in line
    # the bottom line and the summary come before everything else
    assert page.index("Bottom line") < page.index("<table class='summary'>") < page.index("Scenarios compared")


def test_change_class_follows_the_outcomes_direction_not_the_sign():
    assert direction("share_months_hole") == -1 and direction("retention_10y") == 1
    assert change_class("share_months_hole", -0.10, -0.15, -0.05) == "better"
    assert change_class("share_months_hole", +0.10, +0.05, +0.15) == "worse"
    assert change_class("retention_10y", -0.10, -0.15, -0.05) == "worse"
    assert change_class("retention_10y", +0.10, +0.05, +0.15) == "better"
    assert change_class("share_months_hole", -0.10, -0.20, +0.05) == "better uncertain"  # interval includes 0
    assert change_class("retention_10y", 0.1, np.nan, np.nan) == "better uncertain"  # no interval
    assert change_class("mean_mentors", 0.5, 0.2, 0.8) == "same"  # neutral outcome
    # the women-men gap: narrowing is better, widening worse, whatever the sign
    assert gap_class(-0.10, +0.05, +0.02, +0.08) == "better" and gap_class(-0.10, -0.05, -0.08, -0.02) == "worse"
    assert gap_class(+0.10, -0.05, -0.08, -0.02) == "better"


def test_summary_cells_are_coloured_by_direction(comp, page):
    summary = _summary(page)
    d = comp.differences[comp.differences["group"] == "all"].set_index(["scenario", "outcome"])
    for o in ("share_months_hole", _lead_outcome(comp.differences)):
        for s in ("dyad", "network"):
            r = d.loc[(s, o)]
            good = direction(o) * r["difference"]
            expected = "better" if good > 0 else "worse"
            if not (r["ci_low"] > 0 or r["ci_high"] < 0):
                expected += " uncertain"
            assert f"<td class='num {expected}'>{100 * r['difference']:+.1f}<" in summary, (s, o)


def test_summary_uses_labels_not_raw_names(comp, page):
    summary = _summary(page)
    for name in REGISTRY:
        assert not re.search(rf"\b{name}\b", summary), name
    lead = _lead_outcome(comp.differences)
    for o in (lead, "pubs_per_faculty_year", "share_months_hole"):
        assert label(o) in summary
    assert "women&minus;men gap" in summary
    # raw names appear elsewhere only next to their label
    text = re.sub(r"data:image/png;base64,[^\"]*", "", page)
    text = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
    for name in ("share_months_hole", "mean_unmet", "retention_10y"):
        for m in re.finditer(rf"\b{name}\b", text):
            before = text[max(0, m.start() - 120):m.start()]
            assert html.escape(label(name)) in before, (name, before)


def test_gap_changes_are_paired_by_replicate(comp):
    t = pd.read_parquet(comp.out / "outcomes.parquet")
    g = gap_changes(t, "status_quo", ["share_months_hole"]).set_index("scenario").loc["dyad"]
    v = t.set_index(["scenario", "replicate", "group"])["share_months_hole"]
    by_rep = [(v[("dyad", r, "women")] - v[("dyad", r, "men")])
              - (v[("status_quo", r, "women")] - v[("status_quo", r, "men")])
              for r in range(2)]
    assert g["change"] == pytest.approx(np.mean(by_rep))
    assert g["ci_low"] < g["change"] < g["ci_high"]


def test_header_shows_population_horizon_replicates_and_overrides(comp, page):
    header = _section(page, "<p class='meta'>", "</p>")
    m = json.loads((run_folder(comp.out, "status_quo", 0) / "manifest.json").read_text())["params"]
    assert f"{m['population']['n_faculty']} faculty" in header and "150 faculty" in header
    assert f"in {m['population']['n_institutions']} institutions" in header
    assert f"horizon</b> {m['horizon_years']:g} years" in header and "11 years" in header
    assert "2 replicates" in header
    for s in json.loads((comp.out / "comparison.json").read_text())["sets"]:
        assert f"--set {s}" in header


def test_status_quo_is_described_from_its_parameters_as_they_act(comp, page):
    """The committee shares describe career-award (K) holders; everyone else has their own share."""
    c = json.loads((run_folder(comp.out, "status_quo", 0) / "manifest.json").read_text())["params"]["committee"]
    expected = (f"a second mentor for {100 * c['share_multi_women']:.0f}% of women and "
                f"{100 * c['share_multi_men']:.0f}% of men with a career-development (K) award and "
                f"{100 * c['share_multi_other']:.0f}% of everyone else")
    assert expected in _summary(page)
    assert "79% of women and 61% of men with a career-development (K) award and 50% of everyone else" in expected


def test_hazard_ratios_have_intervals_and_no_p_values(comp, page):
    hazard = _section(page, "Hazard of leaving academia", "<h3>Costs")
    assert "95% interval" in hazard and "not independent" in hazard
    assert not re.search(r"<th[^>]*>\s*p\s*</th>", page)
    assert "p-value</th>" not in page and "p =" not in page
    r = comp.hazard_ratios.iloc[0]
    assert f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]" in hazard


def test_figures_are_embedded_without_links_to_svg_files(comp, page):
    figures = sorted((comp.out / "figures").glob("*.png"))
    assert len(figures) >= 6
    assert page.count("src=\"data:image/png;base64,") == len(figures)  # (the answer's own figure: src='...')
    assert not re.search(r"href=[^>]*\.svg", page)


def test_run_list_is_one_table_and_one_manifest(comp, page):
    runs = page[page.index("<summary>Runs</summary>"):]  # collapsed, at the end
    assert runs.count("<details>") == 1 and runs.count("<table>") == 1
    for s in SCENARIOS:
        for r in range(2):
            run_id = json.loads((run_folder(comp.out, s, r) / "manifest.json").read_text())["run_id"]
            assert run_id in runs


def test_each_scenario_has_one_distinct_colour_in_every_figure(comp, page):
    colours = scenario_colors(SCENARIOS)
    assert len(set(colours.values())) == len(SCENARIOS)
    # the same scenario keeps its colour whatever else is compared after it
    five = scenario_colors(["status_quo", "dyad", "committee", "network", "network_peers"])
    assert all(five[s] == colours[s] for s in ("status_quo", "dyad"))
    assert len(set(five.values())) == 5

    def distinct(a, b) -> bool:
        (h1, s1, v1), (h2, s2, v2) = (colorsys.rgb_to_hsv(*to_rgb(c)) for c in (a, b))
        hue = min(abs(h1 - h2), 1 - abs(h1 - h2))
        return (hue > 0.06 and min(s1, s2) > 0.3) or abs(s1 - s2) > 0.4 or abs(v1 - v2) > 0.3

    assert not distinct("#DE8F05", "#D55E00")  # the old dyad gold and network dark orange: alike
    names = list(five)
    assert all(distinct(five[a], five[b]) for i, a in enumerate(names) for b in names[i + 1:])
    # the retention figure draws each scenario in its colour
    people = load_runs(comp.out, SCENARIOS, 2, "people")
    hires = cohort(people)
    fig = retention_figure(km_table(hires, ["scenario"], 11), km_table(hires, ["scenario", "gender"], 11), SCENARIOS)
    used = {to_hex(line.get_color()) for line in fig.axes[0].get_lines() if line.get_linestyle() == "-"}
    assert used == set(colours.values())
    # the differences figure, which shows no reference, keeps the others' colours
    fig = differences_figure(comp.differences, ("pubs_per_faculty_year",), SCENARIOS)
    ax = fig.axes[0]
    drawn = {to_hex(c.get_color()) for c in ax.get_lines()} - {to_hex("0.3")}
    assert drawn == {colours["dyad"], colours["network"]}
    assert ax.get_title() == label("pubs_per_faculty_year") and "faculty-year" in ax.get_xlabel()
    # the page's swatches use the same colours
    for s in SCENARIOS:
        assert f"background:{colours[s]}" in page


def test_headline_outcomes_are_in_the_registry_with_a_direction():
    for o in HEADLINE:
        entry = REGISTRY[o]
        assert entry.label and entry.unit and entry.direction in (-1, 1)


def test_an_ensemble_report_splits_each_interval_into_parameters_and_chance(tmp_path, page):
    members = [{"exits.unmet_effect": 0.0}, {"exits.unmet_effect": 2.0}]
    c = compare_and_report(["dyad", "no_mentor"], replicates=2, seed=3, out=tmp_path / "ens",
                           sets=[*SETS[:2], "horizon_years=8"], executor="serial", progress=False,
                           decomposition=False, ensemble=members, seeds_per_member=2)
    ens = (c.out / "report.html").read_text()
    assert "2 members of the calibrated ensemble &times; 2 seeds</b> per scenario" in ens
    assert "intervals carry calibration and chance" in ens and "Across the calibrated ensemble." in ens
    # per difference, in the summary and in the differences table: the 95% interval of the parameters' share
    r = c.differences.set_index(["group", "outcome"]).loc[("all", "retention_5y")]
    shown = f"params {100 * r['share_low']:.0f}&ndash;{100 * r['share_high']:.0f}%"
    summary = _section(ens, "<table class='summary'>", "</table>")
    diffs = _section(ens, "<table class='diffs'>", "</table>")
    assert shown in summary and shown in diffs, shown
    assert "share of the worlds' spread that comes from the calibrated parameters" in ens
    # a point comparison's page has none of it
    assert "class='ci params'" not in page and "Across the calibrated ensemble." not in page
    # but says first that its intervals carry chance only
    assert page.index("<b>Chance only.</b>") < page.index("Bottom line")


def test_report_contrasts_other_pairs_from_the_saved_outcomes(comp):
    """`careersim report <folder> --contrast A:B`: computed from outcomes.parquet, kept beside the
    default pairs; a pair that is not two of its scenarios is refused in one line."""
    from typer.testing import CliRunner

    from simulation.analysis.comparison import load
    from simulation.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["report", str(comp.out), "--contrast", "status_quo:network"])
    assert result.exit_code == 0, result.output
    c = load(comp.out)
    assert ["status_quo", "network"] in c.meta["contrasts"] and ["network", "dyad"] in c.meta["contrasts"]
    t = c.contrasts.set_index(["scenario", "reference", "group", "outcome"])
    d = c.differences.set_index(["scenario", "group", "outcome"])
    assert t.loc[("status_quo", "network", "all", "retention_5y"), "difference"] == pytest.approx(
        -d.loc[("network", "all", "retention_5y"), "difference"])
    bad = runner.invoke(app, ["report", str(comp.out), "--contrast", "status_quo:peer"])
    assert bad.exit_code != 0 and "'peer' is not among the scenarios compared" in bad.output
    assert "Traceback" not in bad.output and len(bad.output.strip().splitlines()) == 1


def test_figures_name_scenarios_by_their_labels():
    """Legends, categorical ticks and a title that name scenarios by identifier get the files' labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.analysis.plots import relabel

    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], [0, 1], label="dyad")
    a.plot([0, 1], [1, 0], label="network_peers")
    a.legend()
    b.bar(["dyad", "status_quo"], [1, 2])
    fig.suptitle("Paired differences from dyad, all hires (dyad_like stays)")
    names = {"dyad": "One mentor (dyad)", "network_peers": "Network with peer groups", "status_quo": "Status quo"}
    relabel(fig, names)
    fig.canvas.draw()
    assert [t.get_text() for t in a.get_legend().get_texts()] == ["One mentor (dyad)", "Network with peer groups"]
    assert [t.get_text() for t in b.get_xticklabels()] == ["One mentor (dyad)", "Status quo"]
    assert fig._suptitle.get_text() == "Paired differences from One mentor (dyad), all hires (dyad_like stays)"
    plt.close(fig)
