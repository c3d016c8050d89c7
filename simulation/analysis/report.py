"""`report.html`: one self-contained page per comparison, built from its saved tables.

The page leads with the answer: a bottom line in words (which scenario does best and worst
on the headline outcomes, by how much, with 95% intervals, and whether women fare
differently from men) and a ranked summary table of each scenario's change from the
reference, coloured by whether the change is better or worse for faculty (each outcome's
direction comes from the outcome registry, `outcomes.REGISTRY`). A header gives the
population, horizon, replicates and every `--set` override. Then: what could not be
computed and why, the scenarios compared (each described from its parameters), the outcomes
of each scenario, the paired differences (and how much pairing narrowed them), the hazard
ratios, every figure with a caption computed from the tables, and a compact list of runs
with one representative manifest. Figures are embedded as PNG data, so the file can be
mailed or archived on its own. Every number on the page is computed from the saved tables
and manifests; outcomes are shown by their labels, with units.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.config.params import MENTORING_MODELS
from simulation.analysis.comparison import load, run_folder
from simulation.analysis import answer
from simulation.analysis.pages import CSS, img
from simulation.analysis import gaps as gender_gaps
from simulation.analysis.outcomes import (GROUPS, REGISTRY, SHARE, difference_unit, difference_units_text, digits,
                                          direction, format_change, format_level, headline, is_share, key_outcomes,
                                          label, scale, unit)

# the headline outcomes of the summary: `outcomes.HEADLINE`, `outcomes.FALLBACK` and `outcomes.headline`


# --- numbers as people read them ----------------------------------------------------------------

def fmt_change(outcome: str, d: float, lo: float, hi: float, unit_suffix: bool = True) -> str:
    """'+4.9 pp [+2.2, +7.7]' (or '[no interval]' with one replicate)."""
    text = format_change(outcome, d, lo, hi, unit_suffix)
    return text if np.isfinite(lo) and np.isfinite(hi) else text + " [no interval]"


def change_class(outcome: str, d: float, lo: float, hi: float) -> str:
    """'better' or 'worse' for faculty, by the outcome's direction (not by sign); 'same' for none.

    ' uncertain' is appended when the 95% interval includes zero or there is none."""
    good = direction(outcome) * d
    if not np.isfinite(good) or good == 0 or direction(outcome) == 0:
        return "same"
    cls = "better" if good > 0 else "worse"
    sure = np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0)
    return cls if sure else cls + " uncertain"


def gap_class(ref_gap: float, d: float, lo: float, hi: float) -> str:
    """'better' when the women-men gap narrows, 'worse' when it widens (' uncertain' as above)."""
    if not (np.isfinite(ref_gap) and np.isfinite(d)) or d == 0:
        return "same"
    cls = "better" if abs(ref_gap + d) < abs(ref_gap) else "worse"
    sure = np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0)
    return cls if sure else cls + " uncertain"


_NAMES: dict[str, str] = {}  # scenario -> its label, for the page being written (`write_report` sets it)


def sname(scenario: str) -> str:
    """A scenario as the page names it: its label from the scenario file (HTML-escaped)."""
    return html.escape(_NAMES.get(scenario, scenario))


def _labelled(text: str) -> str:
    """Raw outcome names in a text replaced by 'label (name)'."""
    names = sorted(REGISTRY, key=len, reverse=True)
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: f"{label(m[1])} ({m[1]})", text)


def _outcome_cell(outcome: str) -> str:
    u = unit(outcome)
    shown_unit = "" if u == SHARE or u in label(outcome) else f" <small>({html.escape(u)})</small>"
    return (f"<td class='text'>{html.escape(label(outcome))}{shown_unit} "
            f"<code class='raw'>{outcome}</code></td>")


# --- tables computed from the saved ones --------------------------------------------------------

def headline_outcomes(diffs: pd.DataFrame, table: pd.DataFrame | None = None) -> list[str]:
    """The headline outcomes these runs could give (a 5-year version where the 10-year one is missing)."""
    have = set(diffs.loc[diffs["group"] == "all", "outcome"]) if len(diffs) else set()
    if table is not None and not have:  # one scenario: outcomes with a value in some run
        have = {c for c in table.columns if c in REGISTRY and np.isfinite(table[c].to_numpy(float)).any()}
    return headline(have)


def ranked(diffs: pd.DataFrame, outcome: str, group: str = "all") -> pd.DataFrame:
    """Non-reference scenarios' differences in one outcome, best for faculty first."""
    d = diffs[(diffs["outcome"] == outcome) & (diffs["group"] == group)].copy()
    d["_good"] = direction(outcome) * d["difference"]
    return d.sort_values("_good", ascending=False, kind="stable").drop(columns="_good")


def scores(diffs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per scenario: headline outcomes better / worse for faculty (95% interval excluding zero)."""
    d = diffs[(diffs["group"] == "all") & diffs["outcome"].isin(outcomes)]
    rows = []
    for s, g in d.groupby("scenario", sort=False):
        classes = [change_class(r["outcome"], r["difference"], r["ci_low"], r["ci_high"]) for _, r in g.iterrows()]
        rows.append({"scenario": s, "better": sum(c == "better" for c in classes),
                     "worse": sum(c == "worse" for c in classes), "shown": len(classes)})
    return pd.DataFrame(rows, columns=["scenario", "better", "worse", "shown"])


# --- the parts of the page ------------------------------------------------------------------------

def describe_mentoring(params: dict, short: bool = False) -> str:
    """What a scenario's mentoring is, in words, from its resolved parameters (`short`: for the summary)."""
    m = params["mentoring"]
    model = MENTORING_MODELS.get(m["model"])
    text = model.describe(params, short) if model else str(m["model"])
    c = params.get("committee", {})
    if m["model"] == "committee" and "share_multi_other" in c and int(c["size"]) > 1:
        w, mn, other = (float(c[k]) for k in ("share_multi_women", "share_multi_men", "share_multi_other"))
        if not (w == mn == other and w in (0.0, 1.0)):  # the shares as they act: K awardees by gender, then the rest
            more = "a second mentor" if int(c["size"]) == 2 else f"{int(c['size']) - 1} more mentors"
            text = (f"a primary mentor, and {more} for {100 * w:.0f}% of women and {100 * mn:.0f}% of men with a "
                    f"career-development (K) award and {100 * other:.0f}% of everyone else")
    if m.get("peers") and not (model and model.peer_groups):
        text += f", plus peer groups{'' if short else ' of ' + str(params.get('peers', {}).get('group_size'))}"
    if int(m.get("cap_mentees") or 0) > 0:
        text += f", at most {m['cap_mentees']} proteges per mentor"
    if m.get("women_mentor_policy"):
        text += ", a woman mentor for every woman who wants one"
    if float(m.get("protected_time") or 0) > 0:
        text += f", {100 * float(m['protected_time']):.0f}% protected mentoring time"
    if m.get("training"):
        text += ", mentor training"
    return text


def _values(manifests: dict[str, dict], get) -> str:
    vals = []
    for m in manifests.values():
        v = get(m["params"])
        if v not in vals:
            vals.append(v)
    return " / ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in vals)


def header_html(meta: dict, manifests: dict[str, dict], table: pd.DataFrame) -> str:
    """Population, horizon, replicates, seeds and every override, from the manifests and comparison.json."""
    reps = meta["replicates"]
    hires = table[(table["group"] == "all")]["n_hires"] if len(table) else pd.Series(dtype=float)
    sets = meta.get("sets") or []
    overrides = (", ".join(f"<code>--set {html.escape(s)}</code>" for s in sets)) if sets else "none"
    seeds = meta["seeds"]
    ens = meta.get("ensemble")
    runs = (f"<b>{reps} {'replicate' if reps == 1 else 'replicates'}</b> per scenario "
            f"(seeds {seeds[0]}&ndash;{seeds[-1]}, the same people in every scenario)" if not ens else
            f"<b>{ens['members']} members of the calibrated ensemble &times; {ens['seeds_per_member']} seeds</b> per "
            f"scenario ({reps} runs, seeds {seeds[0]}&ndash;{seeds[-1]}: the same parameter values and the same people "
            f"in every scenario); <b>the differences' intervals carry calibration and chance</b>")
    return (
        f"<p class='meta'><b>Population</b> {_values(manifests, lambda p: p['population']['n_faculty'])} "
        f"faculty at the start in {_values(manifests, lambda p: p['population']['n_institutions'])} institutions; "
        f"<b>horizon</b> {_values(manifests, lambda p: p['horizon_years'])} years; "
        f"{runs}; outcomes concern the "
        f"{f'{hires.mean():.0f}' if len(hires) and np.isfinite(hires.mean()) else 'n/a'} "
        f"faculty hired per run on average. <b>Overrides</b>: {overrides}.</p>")


def params_share(low: float, high: float = np.nan) -> str:
    """'params 62-90%': the 95% interval of the parameters' share of the members' spread, across
    an ensemble; '' for a point comparison or where it is not estimable (NaN)."""
    if low is None or not np.isfinite(low):
        return ""
    if high is None or not np.isfinite(high):
        return f"<span class='ci params'>params {100 * low:.0f}%</span>"
    return f"<span class='ci params'>params {100 * low:.0f}&ndash;{100 * high:.0f}%</span>"


def ensemble_html(meta: dict) -> str:
    """The paragraph on what an ensemble comparison's intervals carry ('' for a point comparison)."""
    ens = meta.get("ensemble")
    if not ens:
        return ""
    m, k = ens["members"], ens["seeds_per_member"]
    return (f"<p class='note'><b>Across the calibrated ensemble.</b> Every scenario ran on the same {m} parameter "
            f"vectors of the calibrated ensemble (members of the installed calibration record: parameter values the "
            f"calibration targets cannot tell apart; the page calls them plausible worlds), each on the same {k} "
            f"seeds. A difference is the mean over the worlds of each world's own difference (the mean over its "
            f"seeds), and its 95% interval comes from the spread of those world-level differences (a t-interval on "
            f"{m} &minus; 1 degrees of freedom): it carries how the difference changes from one world to another "
            f"(the calibration's uncertainty) as well as chance, whatever their split, and holds its level "
            f"(checked by simulation: tests/test_interval_coverage.py). &ldquo;params a&ndash;b%&rdquo; under an "
            f"interval is the 95% interval of the parameters' share of the worlds' spread (one-way analysis of "
            f"variance over the worlds, an exact F interval): near 100% more seeds would not narrow it, only more "
            f"worlds or better-known parameters; near 0% it is chance, and more seeds would. &ldquo;In k of {m} "
            f"plausible worlds&rdquo; counts the worlds whose own difference has that sign. What a difference hinges "
            f"on: Spearman's rank correlation of the world-level differences with each calibrated parameter, "
            f"Bonferroni-corrected for the parameters tried. The gaps between women and men and their changes are "
            f"paired by run but not split by world (their intervals count the worlds' spread as chance).</p>")


def _swatch(colour: str) -> str:
    return f"<span class='swatch' style='background:{colour}'></span>"


def bottom_line_html(comp, describe: dict[str, str]) -> str:
    """The answer in words, computed from differences.parquet and outcomes.parquet."""
    ref, diffs, table = comp.reference, comp.differences, comp.outcomes
    shown = headline_outcomes(diffs, table)
    items: list[str] = []
    if len(comp.scenarios) < 2 or diffs.empty:
        levels = table[table["group"] == "all"]
        parts = [f"{html.escape(label(o))} {format_level(o, float(levels[o].mean()))}" for o in shown
                 if o in levels and np.isfinite(levels[o].to_numpy(float)).any()]
        why = "only one scenario was run" if len(comp.scenarios) < 2 else "no difference could be computed"
        return (f"<div class='answer'><h2>Bottom line</h2><p>Nothing to compare: {why}. "
                f"Under <b>{sname(ref)}</b> ({html.escape(describe.get(ref, ''))}): "
                + ("; ".join(parts) if parts else "no headline outcome could be computed") + ".</p></div>")
    from simulation.analysis.verdict import career_outcomes

    career = [o for o in shown if o in career_outcomes(shown)]  # not the measures of the mentoring itself
    sc = scores(diffs, career)
    if len(sc):
        sc["_net"] = sc["better"] - sc["worse"]
        lead = shown[0]
        lead_rank = {s: k for k, s in enumerate(ranked(diffs, lead)["scenario"])}
        sc["_lead"] = sc["scenario"].map(lead_rank).fillna(len(lead_rank))
        sc = sc.sort_values(["_net", "_lead"], ascending=[False, True], kind="stable")
        b, w = sc.iloc[0], sc.iloc[-1]
        k = int(b["shown"])
        if b["better"] == 0 and w["worse"] == 0 and comp.meta["replicates"] > 1:
            text = (f"No scenario differs clearly from <b>{sname(ref)}</b>: "
                    f"no change in the {k} headline career outcomes has a 95% interval that excludes zero.")
            items.append(text)
            sc = sc.iloc[0:0]
        elif b["_net"] > 0:
            text = (f"<b>{sname(b['scenario'])}</b> does best: better for faculty than {sname(ref)} on "
                    f"{b['better']} of {k} headline career outcomes, worse on {b['worse']}.")
        else:
            text = (f"No scenario does better than <b>{sname(ref)}</b> on balance: the best, "
                    f"{sname(b['scenario'])}, is better on {b['better']} of {k} headline career outcomes "
                    f"and worse on {b['worse']}.")
        if len(sc) > 1:
            text += (f" <b>{sname(w['scenario'])}</b> does worst: worse on {w['worse']} of {int(w['shown'])}, "
                     f"better on {w['better']}.")
        if len(sc):
            items.append(text + " (Counting changes whose 95% interval excludes zero; the mentoring itself, such as "
                         "uncovered functions, is not counted.)"
                         if comp.meta["replicates"] > 1 else
                         text + " (One replicate: no intervals, so no change counts as clear.)")
    for o in shown:
        r = ranked(diffs, o)
        if r.empty:
            continue
        ref_level = format_level(o, float(r["reference_mean"].iloc[0]))
        best, worst = r.iloc[0], r.iloc[-1]
        txt = (f"<b>{html.escape(label(o))}</b> ({sname(ref)} {ref_level}"
               f"{'' if is_share(o) or unit(o) in label(o) else ' ' + html.escape(unit(o))}): ")
        cb = change_class(o, best["difference"], best["ci_low"], best["ci_high"])
        txt += (f"{'best ' if len(r) > 1 else ''}{sname(best['scenario'])} <span class='{cb}'>"
                f"{fmt_change(o, best['difference'], best['ci_low'], best['ci_high'])}</span>")
        if len(r) > 1:
            cw = change_class(o, worst["difference"], worst["ci_low"], worst["ci_high"])
            txt += (f", worst {sname(worst['scenario'])} <span class='{cw}'>"
                    f"{fmt_change(o, worst['difference'], worst['ci_low'], worst['ci_high'])}</span>")
        good = direction(o) * r["difference"]
        if (good < 0).all():
            txt += f"; no scenario does better than {sname(ref)}"
        elif (good > 0).all() and len(r) > 1:
            txt += f"; every scenario does better than {sname(ref)}"
        items.append(txt + ".")
    items.append(women_sentence(comp, shown))
    return ("<div class='answer'><h2>Bottom line</h2><ul>" + "".join(f"<li>{i}</li>" for i in items if i)
            + "</ul></div>")


def women_sentence(comp, shown: list[str]) -> str:
    """Whether any scenario changes the women-men gap in a headline outcome beyond its interval."""
    gaps = comp.gap_changes[comp.gap_changes["outcome"].isin(shown)]
    if gaps.empty:
        present = set(comp.outcomes.loc[comp.outcomes["n_hires"] > 0, "group"]) if len(comp.outcomes) else set()
        missing = [g for g in ("women", "men") if g not in present]
        return ("<b>Women and men</b> cannot be compared: " + (f"no {missing[0]} among the hires." if missing
                                                               else "no gap could be computed."))
    sure = gaps[np.isfinite(gaps["ci_low"]) & ((gaps["ci_low"] > 0) | (gaps["ci_high"] < 0))].copy()
    total = len(gaps)
    if sure.empty:
        if comp.meta["replicates"] < 2:
            return ("<b>Women and men</b>: with one replicate the change in the gap between them has no interval; "
                    "see the gap columns below.")
        return (f"<b>Women and men fare alike</b>: no scenario changes the women&ndash;men gap in any headline outcome "
                f"beyond its 95% interval ({total} comparisons).")
    sure["_size"] = sure["change"].abs() / (sure["ci_high"] - sure["ci_low"]).abs().replace(0, np.nan)
    sure = sure.sort_values("_size", ascending=False)
    parts = []
    for _, g in sure.head(2).iterrows():
        o = g["outcome"]
        favours = "women" if direction(o) * g["change"] > 0 else "men"
        gap = ("narrows" if gap_class(g["ref_gap"], g["change"], g["ci_low"], g["ci_high"]).startswith("better")
               else "widens")
        parts.append(f"{sname(g['scenario'])}, {html.escape(label(o))} "
                     f"{fmt_change(o, g['change'], g['ci_low'], g['ci_high'])} (favours {favours}; the gap {gap})")
    more = f"; {len(sure) - 2} more in the gap columns" if len(sure) > 2 else ""
    return (f"<b>Women fare differently</b> in {len(sure)} of {total} scenario&ndash;outcome comparisons "
            f"(change for women minus change for men): " + "; ".join(parts) + more + ".")


def summary_table_html(comp, colours: dict[str, str], describe: dict[str, str]) -> str:
    """Scenarios ranked by the lead headline outcome: change from the reference for all hires and
    in the women-men gap, with 95% intervals, coloured better / worse for faculty."""
    ref, diffs = comp.reference, comp.differences
    shown = headline_outcomes(diffs)
    if len(comp.scenarios) < 2 or not shown:
        return ""
    gaps = comp.gap_changes[comp.gap_changes["outcome"].isin(shown)]
    with_gap = not gaps.empty
    lead = ranked(diffs, shown[0])
    order = list(lead["scenario"]) + [s for s in comp.scenarios if s not in set(lead["scenario"]) and s != ref]
    lead_good = dict(zip(lead["scenario"], direction(shown[0]) * lead["difference"]))
    # the reference sits where its zero change ranks
    pos = sum(1 for s in order if lead_good.get(s, -np.inf) > 0)
    order.insert(pos, ref)
    span = 2 if with_gap else 1
    head1 = ("<tr><th rowspan='2' class='text'>scenario</th>"
             + "".join(f"<th colspan='{span}'>{html.escape(label(o))}{_head_unit(o)}</th>" for o in shown) + "</tr>")
    head2 = "<tr>" + "".join("<th class='group'>all hires</th>"
                             + ("<th class='group'>women&minus;men gap</th>" if with_gap else "")
                             for _ in shown) + "</tr>"
    d_all = diffs[diffs["group"] == "all"].set_index(["scenario", "outcome"])
    g_idx = gaps.set_index(["scenario", "outcome"]) if with_gap else None
    t = comp.outcomes
    rows = []
    for s in order:
        name = (f"<td class='text'>{_swatch(colours[s])}<b>{sname(s)}</b>{' (reference)' if s == ref else ''}"
                f"<span class='what'>{html.escape(describe.get(s, ''))}</span></td>")
        cells = []
        for o in shown:
            if s == ref:
                lv = t[(t["scenario"] == ref) & (t["group"] == "all")][o].mean()
                cells.append(f"<td class='num'>{format_level(o, lv)}<span class='ci'>level</span></td>")
                if with_gap:
                    w = t[(t["scenario"] == ref) & (t["group"] == "women")][o].mean()
                    m = t[(t["scenario"] == ref) & (t["group"] == "men")][o].mean()
                    gap = scale(o) * (w - m)
                    cells.append(f"<td class='num'>{gap:+.{digits(o)}f}<span class='ci'>gap</span></td>"
                                 if np.isfinite(gap) else "<td class='num'>n/a</td>")
                continue
            if (s, o) in d_all.index:
                r = d_all.loc[(s, o)]
                cells.append(_change_cell(o, r["difference"], r["ci_low"], r["ci_high"],
                                          change_class(o, r["difference"], r["ci_low"], r["ci_high"]),
                                          params_share(r.get("share_low", np.nan), r.get("share_high", np.nan))))
            else:
                cells.append("<td class='num'>n/a</td>")
            if with_gap:
                if (s, o) in g_idx.index:
                    g = g_idx.loc[(s, o)]
                    cells.append(_change_cell(o, g["change"], g["ci_low"], g["ci_high"],
                                              gap_class(g["ref_gap"], g["change"], g["ci_low"], g["ci_high"])))
                else:
                    cells.append("<td class='num'>n/a</td>")
        cls = " class='reference'" if s == ref else ""
        rows.append(f"<tr{cls}>{name}{''.join(cells)}</tr>")
    lower = [html.escape(label(o)) for o in shown if direction(o) < 0]  # read from the registry
    lower_text = f" (for {' and '.join(lower)}, fewer is better)" if lower else ""
    legend = (f"<p class='legend'>Ranked by the change in {html.escape(label(shown[0]))}; pp: percentage points. "
              f"Cells: change from {sname(ref)} (mean over replicates) and its 95% interval; "
              f"the {sname(ref)} row gives its level"
              + (" and its women&minus;men gap" if with_gap else "") + ". "
              "<span class='better'>&nbsp;green&nbsp;</span> better for faculty, "
              "<span class='worse'>&nbsp;red&nbsp;</span> worse"
              + lower_text
              + ("; in the gap columns, green means the gap between women and men narrows, red that it widens"
                 if with_gap else "")
              + ". Pale: the interval includes zero (or there is none)."
              + (" Under an interval: the 95% interval of the share of the worlds' spread that comes from the "
                 "calibrated parameters (the rest is chance)."
                 if "share_parameters" in d_all.columns and d_all["share_parameters"].notna().any() else "")
              + "</p>")
    return f"<table class='summary'>{head1}{head2}{''.join(rows)}</table>{legend}"


def _head_unit(o: str) -> str:
    """' (pp)' for shares; the unit where the label does not already say it."""
    u = "pp" if is_share(o) else difference_unit(o)
    return "" if u in label(o) else f" <small>({html.escape(u)})</small>"


def _change_cell(o: str, d: float, lo: float, hi: float, cls: str, extra: str = "") -> str:
    f, k = scale(o), digits(o)
    ci = (f"[{f * lo:+.{k}f}, {f * hi:+.{k}f}]" if np.isfinite(lo) and np.isfinite(hi) else "[no interval]")
    return f"<td class='num {cls}'>{f * d:+.{k}f}<span class='ci'>{ci}</span>{extra}</td>"


def not_computed_html(notes: list[dict]) -> str:
    """The "What could not be computed" section ("" when everything was)."""
    if not notes:
        return ""
    items = "".join(f"<li><b>{html.escape(_labelled(n['what']))}</b>: {html.escape(n['why'])}.</li>" for n in notes)
    return (f'<h2 id="not-computed">What could not be computed</h2><div class="missing"><p>These analyses were skipped '
            f"for these runs; everything else below was computed.</p><ul>{items}</ul></div>")


def outcomes_html(table: pd.DataFrame, scenarios: list[str]) -> str:
    """Each scenario's key outcomes, mean over replicates, for all hires, women and men."""
    head = "<tr><th>scenario</th><th class='text'>outcome</th>" + "".join(f"<th>{g}</th>" for g in GROUPS) + "</tr>"
    means = table.groupby(["scenario", "group"])[[o for o in key_outcomes() if o in table.columns]].mean()
    body = []
    for scenario in scenarios:
        for outcome in means.columns:
            cells = "".join(f"<td>{format_level(outcome, means[outcome].get((scenario, g), np.nan))}</td>"
                            for g in GROUPS)
            body.append(f"<tr><td class='text'>{sname(scenario)}</td>{_outcome_cell(outcome)}{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def differences_html(diffs: pd.DataFrame, reference_means: pd.DataFrame | None = None) -> str:
    d = diffs[diffs["outcome"].isin(key_outcomes())]
    head = ("<tr><th>scenario</th><th class='text'>outcome</th><th>reference (all)</th>"
            + "".join(f"<th>{g}</th>" for g in GROUPS) + "</tr>")
    body = []
    for scenario in d["scenario"].unique():
        for outcome in key_outcomes():
            g = d[(d["scenario"] == scenario) & (d["outcome"] == outcome)].set_index("group")
            if g.empty:
                continue
            ref = g.loc["all", "reference_mean"] if "all" in g.index else np.nan
            cells = "".join(
                "<td class='"
                f"{change_class(outcome, g.loc[grp, 'difference'], g.loc[grp, 'ci_low'], g.loc[grp, 'ci_high'])}'>"
                f"{fmt_change(outcome, g.loc[grp, 'difference'], g.loc[grp, 'ci_low'], g.loc[grp, 'ci_high'])}"
                f"{params_share(g.loc[grp].get('share_low', np.nan), g.loc[grp].get('share_high', np.nan))}</td>"
                if grp in g.index else "<td></td>" for grp in GROUPS)
            body.append(f"<tr><td class='text'>{sname(scenario)}</td>{_outcome_cell(outcome)}"
                        f"<td>{format_level(outcome, float(ref))}</td>{cells}</tr>")
    if not body:
        return "<p>No differences could be computed (see <a href='#not-computed'>What could not be computed</a>).</p>"
    return f"<table class='diffs'>{head}{''.join(body)}</table>"


def women_and_men_html(comp, figure: dict | None = None) -> str:
    """The "Women and men" section: the reference's gaps, each scenario's change in them and the
    share closed, and the decomposition by gendered mechanism, all from the saved gap tables."""
    ref, shown = comp.reference, headline_outcomes(comp.differences, comp.outcomes)
    ref_gaps = comp.gaps[comp.gaps["scenario"] == ref].set_index("outcome") if len(comp.gaps) else comp.gaps
    shown = [o for o in shown if o in ref_gaps.index]
    head = "<h2 id='women-and-men'>Women and men</h2>"
    if not shown:
        return head + ("<p>No gap between women and men could be computed (see "
                       "<a href='#not-computed'>What could not be computed</a>).</p>")
    reps = comp.meta["replicates"]
    # (a) the reference's gaps
    rows = []
    for o in shown:
        r = ref_gaps.loc[o]
        behind = gender_gaps.who_is_behind(o, r["gap"], r["ci_low"], r["ci_high"])
        if not behind and direction(o) != 0 and reps > 1:
            behind = "no clear difference"
        rows.append(f"<tr>{_outcome_cell(o)}<td>{format_level(o, r['women_mean'])}</td>"
                    f"<td>{format_level(o, r['men_mean'])}"
                    f"</td><td>{gender_gaps.fmt_gap(o, r['gap'], r['ci_low'], r['ci_high'], minus='-')}</td>"
                    f"<td class='text'>{behind}</td></tr>")
    part_a = (f"<p>The gap is women's mean minus men's in {sname(ref)}, replicate by replicate, averaged over "
              f"{reps} replicate{'s' if reps != 1 else ''} with its 95% interval; "
              "&ldquo;women behind&rdquo; where the interval excludes zero and the gap is on the worse side for "
              "faculty (for outcomes where fewer is better, a positive gap).</p>"
              "<table><tr><th class='text'>outcome</th><th>women</th><th>men</th><th>gap (women&minus;men)</th>"
              f"<th class='text'></th></tr>{''.join(rows)}</table>")
    # (b) each scenario's change in the gap, and the share of the reference's gap it closes
    part_b = ""
    changes = comp.gap_changes[comp.gap_changes["outcome"].isin(shown)] if len(comp.gap_changes) else None
    if changes is not None and len(changes):
        idx = changes.set_index(["scenario", "outcome"])
        heads = "".join(f"<th>{html.escape(label(o))}{_head_unit(o)}</th>" for o in shown)
        body = []
        for s in [x for x in comp.scenarios if x != ref]:
            cells = []
            for o in shown:
                if (s, o) not in idx.index:
                    cells.append("<td class='num'>n/a</td>")
                    continue
                g = idx.loc[(s, o)]
                share = gender_gaps.share_words(g["share_closed"], g["share_ci_low"], g["share_ci_high"],
                                                bool(g["share_defined"]))
                cells.append(_change_cell(o, g["change"], g["ci_low"], g["ci_high"],
                                       gap_class(g["ref_gap"], g["change"], g["ci_low"], g["ci_high"]),
                                       f"<span class='ci'>{share}</span>"))
            body.append(f"<tr><td class='text'>{sname(s)}</td>{''.join(cells)}</tr>")
        part_b = (f"<h3>How each scenario changes {sname(ref)}'s gaps</h3>"
                  f"<p>Change in the gap: (scenario women&minus;men) minus ({sname(ref)} women&minus;men), "
                  "paired by replicate, with its 95% interval; below it, the share of the reference's gap the scenario "
                  "closes (or by how much it widens it), with its 95% interval (see Methods). The share is not "
                  "defined where the reference's own gap has an interval that includes zero. "
                  "<span class='better'>&nbsp;green&nbsp;</span> the gap narrows, "
                  "<span class='worse'>&nbsp;red&nbsp;</span> it widens; pale: the interval includes zero.</p>"
                  f"<table class='summary'><tr><th class='text'>scenario</th>{heads}</tr>{''.join(body)}</table>")
    return head + part_a + part_b + decomposition_html(comp, shown, figure)


def decomposition_html(comp, shown: list[str], figure: dict | None = None) -> str:
    """The decomposition's table (one row per gendered mechanism), its reading in words, and its
    figure for the lead outcome (`figure`: {png, caption}, drawn by `decomposition_figure`)."""
    ref, decomp = comp.reference, comp.decomposition
    title = f"<h3>What each gendered mechanism carries of {sname(ref)}'s gaps</h3>"
    if comp.meta.get("decomposition") is None:
        return title + ("<p>Not computed: this comparison was run without the decomposition "
                        "(<code>--no-decomposition</code>). Run it again without that flag to add it: the finished "
                        "runs are kept.</p>")
    shown = [o for o in shown if o in set(decomp["outcome"])]
    if not shown:
        return title + "<p>Not computed (see <a href='#not-computed'>What could not be computed</a>).</p>"
    idx = decomp.set_index(["mechanism", "outcome"])
    first = decomp.drop_duplicates("outcome").set_index("outcome")
    heads = "".join(f"<th>{html.escape(label(o))}{_head_unit(o)}</th>" for o in shown)
    ref_cells = "".join(_change_cell(o, *first.loc[o, ["ref_gap", "ref_ci_low", "ref_ci_high"]], "",
                                     "<span class='ci'>gap</span>") for o in shown)
    body = [f"<tr class='reference'><td class='text'><b>{sname(ref)}</b>, every mechanism on</td>"
            f"<td class='text'></td>{ref_cells}</tr>"]
    for m in decomp.drop_duplicates("mechanism").itertuples():
        cells = []
        for o in shown:
            if (m.mechanism, o) not in idx.index:
                cells.append("<td class='num'>n/a</td>")
                continue
            g = idx.loc[(m.mechanism, o)]
            extra = f"<span class='ci'>gap off {gender_gaps.fmt_gap(o, g['gap_off'], unit=False, minus='-')}</span>"
            cells.append(_change_cell(o, g["change"], g["ci_low"], g["ci_high"],
                                   gap_class(g["ref_gap"], g["change"], g["ci_low"], g["ci_high"]), extra))
        off = html.escape(m.switched_off) + (" (already off in the reference: not rerun)" if m.already_off else "")
        body.append(f"<tr><td class='text'><b>{html.escape(m.label)}</b><span class='what'>switched off: {off}"
                    f"</span></td><td class='text'><small>{html.escape(m.source)}</small></td>{''.join(cells)}</tr>")
    reading = gender_gaps.lead_mechanism_sentence(decomp, ref, shown[0])
    return (title + f"<p>{sname(ref)} was rerun on the same seeds (the same people) with one gendered "
            "mechanism of the model switched off at a time. Cells: the change in the women&minus;men gap when the "
            "mechanism is off (gap with it off minus the gap with everything on, paired by replicate, 95% "
            "interval), and the gap with it off. A change that narrows the gap "
            "(<span class='better'>&nbsp;green&nbsp;</span>) is the part of the gap that mechanism carries; "
            "<span class='worse'>&nbsp;red&nbsp;</span>: the gap widens without it. Mechanisms interact, so the "
            "parts need not add up to the whole gap.</p>"
            f"<p><b>{html.escape(reading)}</b> {html.escape(gender_gaps.unmoved_sentence(decomp, shown))}</p>"
            f"<table class='summary'><tr><th class='text'>mechanism</th><th class='text'>source</th>{heads}</tr>"
            f"{''.join(body)}</table>"
            + (f"<figure>{img(figure['png'], figure['title'])}<figcaption><b>{html.escape(figure['title'])}.</b> "
               f"{html.escape(figure['caption'])}</figcaption></figure>" if figure else ""))


def decomposition_figure(comp, svg: bool = False) -> dict | None:
    """The decomposition's figure for the lead headline outcome, saved beside the others
    (figures/gender_decomposition.png), with its title and caption; None without a decomposition."""
    from simulation.analysis.plots import decomposition_figure as draw, save

    decomp = comp.decomposition
    shown = [o for o in headline_outcomes(comp.differences, comp.outcomes) if o in set(decomp["outcome"])]
    if not shown:
        return None
    o, ref = shown[0], comp.reference
    paths = save(draw(decomp, o, ref), Path(comp.out) / "figures", "gender_decomposition", svg)
    reps = comp.meta["replicates"]
    caption = (f"Each row reruns {ref} on the same seeds with one gendered mechanism switched off. Dot: the gap "
               f"between women and men ({difference_unit(o)}) with it off, mean over {reps} "
               f"replicate{'s' if reps != 1 else ''}; bar: the 95% interval of the paired change from {ref}'s gap, "
               f"drawn around that gap (dashed line); solid line: no gap. Green: the gap narrows without the "
               "mechanism (the interval excludes zero), red: it widens, grey: the interval includes zero.")
    return {**paths, "title": f"What each gendered mechanism carries of {ref}'s gap in {label(o)}",
            "caption": caption}


def _covariate(c: str, reference: str) -> str:
    if c == "women":
        return "women (vs men)"
    if c.startswith("scenario: "):
        return f"{c[len('scenario: '):]} (vs {reference})"
    if c == "log publications per year":
        return "publication rate (per unit of log(1 + publications per year))"
    return c


def hazard_html(hr: pd.DataFrame, reference: str = "the reference") -> str:
    """Hazard ratios with 95% intervals, no p-values, and what they mean."""
    if hr.empty:
        return "<p>No Cox model could be fitted (see <a href='#not-computed'>What could not be computed</a>).</p>"
    rows = []
    for model in hr["model"].unique():
        for _, r in hr[hr["model"] == model].iterrows():
            rows.append(f"<tr><td class='text'>{html.escape(model)}</td>"
                        f"<td class='text'>{html.escape(_covariate(r['covariate'], reference))}</td>"
                        f"<td>{r['hazard_ratio']:.2f}</td><td>[{r['ci_low']:.2f}, {r['ci_high']:.2f}]</td></tr>")
    example = ""
    scen = hr[hr["covariate"].str.startswith("scenario: ")]
    if len(scen):
        e = scen.iloc[0]
        pct = 100 * (e["hazard_ratio"] - 1)
        example = (f" For example, {html.escape(e['covariate'][len('scenario: '):])}'s {e['hazard_ratio']:.2f} "
                   f"({html.escape(e['model'])}) means its hires leave academia at a {abs(pct):.0f}% "
                   f"{'higher' if pct > 0 else 'lower'} rate than those of {html.escape(reference)}.")
    meaning = ("<p>A hazard ratio compares the rate of leaving academia at the same time since hire: below 1, fewer "
               f"leave than in the comparison group; above 1, more.{example} Intervals are 95% intervals from a "
               "Cox model on all simulated hires pooled across runs. These people are not independent data (hires of "
               "one run share institutions, mentors and a seed, and the number of people is set by the simulation), "
               "so the intervals are indicative only and no p-values are shown; the paired replicate differences "
               "above are the evidence.</p>")
    return ("<table><tr><th>model</th><th class='text'>covariate</th><th>hazard ratio</th><th>95% interval</th></tr>"
            + "".join(rows) + "</table>" + meaning)


def gender_gap_sentence(hr: pd.DataFrame, notes: list[dict] | tuple = ()) -> str:
    """Whether the women-vs-men hazard ratio moves toward 1 once publications enter the Cox model.

    When the models lack the gender covariate, says why (from the comparison's notes)."""
    w = hr[hr["covariate"] == "women"].set_index("model") if len(hr) else hr
    if not {"without publications", "with publications"} <= set(w.index):
        whys = [n["why"] for n in notes
                if n["what"].startswith(("women's hazard ratio", "hazard ratios of leaving academia", "Cox model"))]
        if whys:
            return ("The gender gap in leaving could not be tested "
                    "(whether it shrinks once publications enter the Cox model): "
                    + "; ".join(whys) + ".")
        return ""
    a, b = w.loc["without publications"], w.loc["with publications"]
    text = (f"Women's hazard ratio of leaving is {a['hazard_ratio']:.2f} [{a['ci_low']:.2f}, {a['ci_high']:.2f}] "
            f"without publications in the model and {b['hazard_ratio']:.2f} [{b['ci_low']:.2f}, {b['ci_high']:.2f}] "
            "with them: ")
    if a["ci_low"] <= 1 <= a["ci_high"]:
        return text + ("the runs show no clear gender gap in leaving to begin with, so they cannot test whether "
                       "publications account for one.")
    shrink = 1 - abs(np.log(b["hazard_ratio"])) / abs(np.log(a["hazard_ratio"]))
    if shrink >= 0.1:
        return text + (f"the gap shrinks by {100 * shrink:.0f}% on the log scale once publications are accounted for, "
                       "as the literature finds.")
    return text + ("the gap does not shrink materially once publications are accounted for; "
                   "here the model does not reproduce that finding.")


def pairing_sentence(diffs: pd.DataFrame) -> str:
    d = diffs[diffs["outcome"].isin(key_outcomes()) & (diffs["group"] == "all")]
    if "share_parameters" in d.columns and d["share_parameters"].notna().any():  # across an ensemble
        return ("Every scenario ran on the same members and the same seeds (the same parameter values and people), "
                "so differences are paired run by run; their intervals carry calibration and chance (below).")
    ratio = d["paired_to_unpaired_width"].replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.empty:
        return ""

    def narrower(r: float) -> str:
        return f"{100 * (1 - r):.0f}% narrower" if r <= 1 else f"{100 * (r - 1):.0f}% wider"

    return (f"Every scenario faced the same people on every replicate (common random numbers), "
            f"so differences are paired. "
            f"Paired 95% intervals are {100 * (1 - ratio.median()):.0f}% narrower than unpaired ones for the same runs "
            f"(median over the outcomes shown; from {narrower(ratio.max())} to {narrower(ratio.min())}).")


def runs_html(out: Path, meta: dict, scenarios: list[str], reference: str) -> str:
    """One table (scenario x replicate: run id and seconds; seeds in the header) and one manifest."""
    reps = meta["replicates"]
    head = ("<tr><th class='text'>scenario</th>"
            + "".join(f"<th class='text'>replicate {r}, seed {meta['seeds'][r]}</th>" for r in range(reps)) + "</tr>")
    rows, total, commits = [], 0.0, set()
    for s in scenarios:
        cells = []
        for r in range(reps):
            m = json.loads((run_folder(out, s, r) / "manifest.json").read_text())
            total += float(m["wall_seconds"])
            commits.add(m.get("git_commit") or "n/a")
            cells.append(f"<td class='text'><code>{html.escape(m['run_id'])}</code> {m['wall_seconds']:.1f} s</td>")
        rows.append(f"<tr><td class='text'>{sname(s)}</td>{''.join(cells)}</tr>")
    rep = json.loads((run_folder(out, reference, 0) / "manifest.json").read_text())
    return (f"<p>{len(scenarios) * reps} runs, {total:.0f} s of simulation in all; code commit "
            f"{html.escape(', '.join(sorted(commits)))}. Each run's tables and manifest: "
            f"<code>runs/&lt;scenario&gt;/rep&lt;r&gt;/</code>. "
            f"Outcome tables: <code>outcomes.parquet</code>, <code>differences.parquet</code>, "
            f"<code>hazard_ratios.parquet</code>, <code>gaps.parquet</code>, <code>gap_changes.parquet</code>"
            + (", <code>decomposition.parquet</code> (its reruns: "
               "<code>runs/&lt;reference&gt;~no_&lt;mechanism&gt;/</code>)" if meta.get("decomposition") else "")
            + ".</p>"
            f"<div class='runs'><table>{head}{''.join(rows)}</table></div>"
            f"<details><summary>A representative manifest ({html.escape(reference)}, replicate 0); "
            f"the others differ in scenario parameters, seed and timings</summary>"
            f"<pre>{html.escape(json.dumps(rep, indent=1))}</pre></details>")


def write_report(out: str | Path, svg: bool = False, workers: int | None = None, map_fn=None) -> Path:
    """Figures and report.html for a comparison folder, from its tables only (`svg`: vector
    copies of the figures as well; `workers`: 1 draws the figures in this process, otherwise
    their two groups are drawn in two processes at once, by `map_fn` if given: see
    `plots.make_all`).

    What the figures could not show joins the comparison's notes, in the report and in
    comparison.json ("not_computed", stage "figures"), replacing those of an earlier build."""
    from simulation.analysis.plots import make_all, scenario_colors

    out = Path(out)
    comp = load(out)
    figure_notes: list[dict] = []
    figs = make_all(out, figure_notes, svg, workers=workers, map_fn=map_fn)
    meta = comp.meta
    notes = [n for n in comp.not_computed if n.get("stage") != "figures"] + figure_notes
    saved = json.loads((out / "comparison.json").read_text())
    if notes != saved.get("not_computed"):
        meta["not_computed"] = notes
        destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    colours = scenario_colors(comp.scenarios)
    manifests = {s: json.loads((run_folder(out, s, 0) / "manifest.json").read_text()) for s in comp.scenarios}
    describe = {s: describe_mentoring(m["params"]) for s, m in manifests.items()}
    global _NAMES
    _NAMES = answer.labels(meta)
    try:
        page = _page(comp, meta, out, notes, figs, colours, manifests, describe, svg)
    finally:
        _NAMES = {}
    path = out / "report.html"
    destination.write_text(path, page)
    return path


def _csv_link(table: pd.DataFrame, filename: str) -> str:
    """A link that downloads the table as CSV (embedded: the page stays one file)."""
    data = base64.b64encode(table.to_csv(index=False).encode()).decode()
    return f"<a download='{filename}' href='data:text/csv;base64,{data}'>download as CSV ({filename})</a>"


def _page(comp, meta, out, notes, figs, colours, manifests, describe, svg) -> str:
    one = len(comp.scenarios) < 2
    ref = comp.reference
    scen_rows = "".join(
        f"<tr><td class='text'>{_swatch(colours[s])}{sname(s)}{' (reference)' if s == ref else ''}</td>"
        f"<td class='text'>{html.escape(describe[s])}</td>"
        f"<td class='text'>{html.escape(meta['questions'].get(s, ''))}</td>"
        f"<td class='text'>{html.escape(meta['descriptions'].get(s, ''))}</td></tr>"
        for s in comp.scenarios
    )
    figures = "".join(
        f"<figure>{img(f['png'], f.get('title', ''))}<figcaption><b>{html.escape(f.get('title', f['name']))}.</b> "
        f"{html.escape(f['caption'])}</figcaption></figure>"
        for f in figs
    )
    pairs = answer.question_pairs(comp)
    if one:
        title = f"Outcomes of {sname(ref)}"
    elif pairs and pairs[0][1] != ref:
        title = (f"{', '.join(sname(a) for a, _ in pairs)} instead of {sname(pairs[0][1])}: what would it buy, "
                 "what would it cost, and how sure is that?")
    else:
        title = f"What would change if we moved from {sname(ref)} to other mentoring models?"
    warning = answer.point_note(comp)
    first = answer.career_outcomes(set(comp.contrasts["outcome"]) | set(comp.differences["outcome"]))
    defined = [*first, "departures_per_100", "mentor_hours_per_protege", "mentor_hours_per_senior",
               "share_seniors_overloaded", *[o for o in headline_outcomes(comp.differences, comp.outcomes)
                                             if o not in first]]
    diffs_csv = pd.concat([comp.differences, comp.contrasts]).drop_duplicates(["scenario", "reference", "group",
                                                                                 "outcome"])
    return f"""<!doctype html><html><head><meta charset="utf-8">\
<title>careersim comparison: {html.escape(', '.join(comp.scenarios))}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1>
{f"<p class='missing' id='chance-only'><b>Chance only.</b> {warning}</p>" if warning else ""}
{answer.answer_html(comp, _NAMES) if not one else ""}
{answer.definitions_html(defined)}
{header_html(meta, manifests, comp.outcomes)}
{bottom_line_html(comp, describe)}
{summary_table_html(comp, colours, {s: describe_mentoring(m["params"], short=True) for s, m in manifests.items()})}
{not_computed_html(notes)}
<h2>Scenarios compared</h2>
<table><tr><th>scenario</th><th class='text'>mentoring, from its parameters as they act</th>\
<th class='text'>question</th><th class='text'>description</th></tr>{scen_rows}</table>
<h2>All outcomes and differences</h2>
<details><summary>Outcomes of each scenario (mean over runs; all hires, women, men)</summary>
<p>n/a where no run gave a value. Shares are in %. {_csv_link(comp.outcomes, "outcomes.csv")} (every run)</p>
{outcomes_html(comp.outcomes, comp.scenarios)}</details>
<details><summary>Differences from {sname(ref)} and the pairwise contrasts, by group</summary>
<p class="note">{"There is no other scenario to compare with." if one else
                 f"Scenario minus {sname(ref)}, mean over runs, with paired 95% intervals: "
                 f"{difference_units_text(key_outcomes(), pp=True)}. &#9650;/&#9660; and colour: green better for "
                 "faculty, red worse; pale where the interval includes zero."} {pairing_sentence(comp.differences)}
{_csv_link(diffs_csv, "differences.csv")} (every outcome, group and pair)</p>
{differences_html(comp.differences, comp.outcomes)}</details>
{women_and_men_html(comp, decomposition_figure(comp, svg))}
<h2>Figures</h2>
<p>Each scenario has one colour in every figure: {", ".join(f"{_swatch(colours[s])}{sname(s)}"
                                                          for s in comp.scenarios)}.</p>
{figures}
<h2 id='methods'>Methods</h2>
{ensemble_html(meta)}
<h3>Hazard of leaving academia (Cox model)</h3>
{hazard_html(comp.hazard_ratios, ref)}
<p>{gender_gap_sentence(comp.hazard_ratios, notes)}</p>
<h3>Costs</h3>
<p>{html.escape(costs_method())}</p>
<h3>Share of a gap closed</h3>
<p>The share of the reference's gender gap a scenario closes is the mean change in the gap over the mean
reference gap, paired by replicate; its 95% interval is Fieller's interval for a ratio of paired means
(the values of the share for which the paired differences' t statistic is within its 95% range). It is
not defined where the reference's own gap may be zero.</p>
<details><summary>Runs</summary>
{runs_html(out, meta, comp.scenarios, ref)}</details>
</body></html>
"""


def costs_method() -> str:
    """How the costs are computed, for the methods section (from `analysis.costs` and the registry)."""
    return ("Per run, over the last ten simulated years: departures are faculty leaving academia (not retiring) per "
            "100 faculty a year; mentor hours are the mentor ties times the model's hours a month per primary-weight "
            "protege (a mentor's monthly capacity, mentors.capacity_hours by rank plus mentoring.protected_time, less "
            "an administrative role's share, times its quality, split over its mentees by tie weight; every tie "
            "counted at the primary weight, which overstates the hours of models with many light or external ties). "
            "Net cost = mentor hours x the value of an hour + proteges x the programme cost + departures x the cost "
            "of a departure, per 100 faculty a year; its difference between two scenarios, run by run, has the "
            "comparison's paired interval. The prices are each scenario file's [costs].")
