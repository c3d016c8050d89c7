"""The top of a comparison's report: the question asked, answered in words, with what it costs
and what it hinges on (issue 25). Built from a loaded `Comparison` (its contrasts, outcomes and
comparison.json); every number is computed from them.

    question_pairs   which contrasts the page answers first: each scenario against the dyad when
                     the dyad is compared (the study's own question: networks against the dyad),
                     else each against the reference
    answer_html      per pair: the career outcomes (clear / leaning / undetermined, in words, with
                     the plausible worlds), the costs, the mentor burden, what it hinges on
    point_note       a point comparison's warning that its intervals carry chance only, and how
                     much wider the same differences' intervals are across the ensemble
                     (measured in a saved ensemble comparison of the same scenarios, when there is one)
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.comparison import DYAD
from simulation.analysis.costs import money
from simulation.analysis.hinges import hinges, member_differences, member_values
from simulation.analysis.outcomes import REGISTRY, format_level, label
from simulation.analysis.verdict import career_outcomes, number, interval, phrase, sentence

BURDEN = ("mentor_hours_per_protege", "mentor_hours_per_senior", "share_seniors_overloaded")


def labels(meta: dict) -> dict[str, str]:
    """Scenario -> its label (from the scenario files; the name where there is none)."""
    return {s: (meta.get("labels") or {}).get(s) or s for s in meta["scenarios"]}


def question_pairs(comp) -> list[tuple[str, str]]:
    """The contrasts the page answers first (see the module's docstring): against the dyad, the
    scenarios with mentoring networks when there are any (the study's own question)."""
    have = {(a, b) for a, b in (tuple(p) for p in comp.meta.get("contrasts", []))}
    if DYAD in comp.scenarios:
        order = {s: i for i, s in enumerate(comp.scenarios)}
        pairs = sorted([(a, b) for a, b in have if b == DYAD], key=lambda p: order.get(p[0], 99))
        models = comp.meta.get("models") or {}
        networks = [p for p in pairs if models.get(p[0]) == "network"]
        if networks or pairs:
            return networks or pairs
    return [(s, comp.reference) for s in comp.scenarios if s != comp.reference]


def _row(comp, a: str, b: str, outcome: str, group: str = "all"):
    for t in (comp.contrasts, comp.differences):
        r = t[(t["scenario"] == a) & (t["reference"] == b) & (t["outcome"] == outcome) & (t["group"] == group)]
        if len(r):
            return r.iloc[0]
    return None


def _param_meaning() -> dict[str, str]:
    from simulation.config.params import describe

    return {r["name"]: r["meaning"] for r in describe()}


def _price(x) -> str:
    """A price as given in the scenario file: '$286,503', '$150' (not rounded)."""
    return f"${float(x):,.0f}" if x is not None and np.isfinite(x) else "n/a"


def _ci(lo: float, hi: float, fmt) -> str:
    """'[lo, hi]' in the given format, or '[no interval]' (one run)."""
    return f"[{fmt(lo)}, {fmt(hi)}]" if np.isfinite(lo) and np.isfinite(hi) else "[no interval]"


def cost_line(comp, a: str, b: str, name: dict[str, str]) -> str:
    """Net cost or saving per 100 faculty a year, with the departures avoided and the mentor time."""
    net, dep, hours = (_row(comp, a, b, o) for o in ("net_cost_per_100", "departures_per_100", "mentor_hours_per_100"))
    if net is None or dep is None or hours is None or not np.isfinite(net["difference"]):
        return ("<b>Costs</b>: not computed (these runs lack the mentor hours or departures a cost needs; "
                "see What could not be computed).")
    prices = (comp.meta.get("costs") or {}).get(a, {})
    avoided = -dep["difference"]
    saving = net["difference"] < 0
    sure = bool(net["ci_low"] > 0 or net["ci_high"] < 0)  # False without an interval
    verdict = ("a saving" if saving else "a net cost") if sure else "no clear net cost or saving"
    return (f"<b>Costs</b>, per 100 faculty a year, of {html.escape(name[a])} instead of {html.escape(name[b])}: "
            f"<b>{verdict}</b>, {money(net['difference'])} {_ci(net['ci_low'], net['ci_high'], money)} "
            f"({'&#9660; less spent' if saving else '&#9650; more spent'}); "
            f"{avoided:+.2f} departures avoided {_ci(-dep['ci_high'], -dep['ci_low'], lambda x: f'{x:+.2f}')} "
            f"(worth {money(avoided * prices.get('departure', np.nan))}), "
            f"{hours['difference']:+,.0f} mentor hours "
            f"{_ci(hours['ci_low'], hours['ci_high'], lambda x: f'{x:+,.0f}')} "
            f"(worth {money(hours['difference'] * prices.get('mentor_hour', np.nan))}). "
            f"Priced at {_price(prices.get('departure'))} a departure (Schloss et al., Acad Med 2009), "
            f"{_price(prices.get('mentor_hour'))} a mentor hour (an assumption) and "
            f"{_price(prices.get('programme_per_protege'))} a protege a year for the programme "
            f"(an assumption): put your own in the scenario file's <code>[costs]</code>.")


def burden_line(comp, a: str, b: str, name: dict[str, str]) -> str:
    """The price of a network in mentors' time, beside the benefit."""
    parts = []
    for o in BURDEN:
        r = _row(comp, a, b, o)
        if r is None or not np.isfinite(r["difference"]):
            continue
        parts.append(f"{html.escape(label(o))} {format_level(o, r['reference_mean'])} &rarr; "
                     f"{format_level(o, r['scenario_mean'])} ({number(o, r['difference'])} "
                     f"{interval(o, r['ci_low'], r['ci_high'])})")
    if not parts:
        return ""
    return (f"<b>Mentors' burden</b> ({html.escape(name[b])} &rarr; {html.escape(name[a])}): " + "; ".join(parts)
            + ".")


def hinge_line(comp, a: str, b: str, outcome: str, name: dict[str, str]) -> str:
    """What the difference in `outcome` hinges on across the ensemble, in one sentence."""
    values = member_values(comp.meta)
    if values.empty or "member" not in comp.outcomes.columns:
        return ("<b>What it hinges on</b>: not computed: a point comparison has one parameter set (compare across "
                "the calibrated ensemble, without --point, to find which parameters the answer depends on).")
    d = member_differences(comp.outcomes, a, b, outcome)
    found = hinges(d, values)
    m = len(d)
    what = f"whether {html.escape(name[a])} {phrase(outcome, True)} than {html.escape(name[b])}"
    if not found:
        few = "; with so few worlds only a strong dependence could be found" if m < 30 else ""
        return (f"<b>What it hinges on</b>: across the {m} plausible worlds no single calibrated parameter explains "
                f"{what} (Spearman rank correlations of each world's difference with each parameter, corrected for "
                f"the {values.shape[1]} tried){few}.")
    h = found[0]
    meaning = _param_meaning().get(h.parameter, "")
    splits = h.n_above and h.n_below and h.above_ahead / h.n_above != h.below_ahead / h.n_below
    cut = (f": above {h.threshold:.3g} it does in {h.above_ahead} of {h.n_above} worlds, below it in "
           f"{h.below_ahead} of {h.n_below}" if splits else
           " (it does in every world: how much it does is what varies)")
    others = f" (also: {', '.join(x.parameter for x in found[1:3])})" if len(found) > 1 else ""
    return (f"<b>What it hinges on</b>: {what} hinges mostly on {html.escape(meaning[:1].lower() + meaning[1:])} "
            f"(<code>{html.escape(h.parameter)}</code>, rank correlation {h.rho:+.2f} over {m} plausible worlds)"
            f"{cut}{others}. Measuring it is what would most narrow the answer.")


def answer_figure(comp, pairs: list[tuple[str, str]], name: dict[str, str]) -> str:
    """One small figure (an embedded PNG, '' when there is nothing to draw): the net cost of each
    question pair with its 95% interval, and, across an ensemble, each world's difference in the
    first career outcome against the parameter it hinges on."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    costs = [(a, b, _row(comp, a, b, "net_cost_per_100")) for a, b in pairs]
    costs = [(a, b, r) for a, b, r in costs if r is not None and np.isfinite(r["difference"])]
    career = career_outcomes(set(comp.contrasts["outcome"]) | set(comp.differences["outcome"]))
    values = member_values(comp.meta)
    hinge = None
    if career and not values.empty and "member" in comp.outcomes.columns and pairs:
        a, b = pairs[0]
        d = member_differences(comp.outcomes, a, b, career[0])
        found = hinges(d, values)
        if found:
            hinge = (a, b, career[0], d, values.loc[d.index, found[0].parameter], found[0])
    panels = int(bool(costs)) + int(hinge is not None)
    if not panels:
        return ""
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 2.4), squeeze=False)
    k = 0
    if costs:
        ax = axes[0, k]
        k += 1
        for y, (a, b, r) in enumerate(costs):
            ax.errorbar(r["difference"] / 1000, y, xerr=[[(r["difference"] - r["ci_low"]) / 1000],
                                                       [(r["ci_high"] - r["difference"]) / 1000]],
                        fmt="o", color="0.2", capsize=3)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_yticks(range(len(costs)), [f"{name[a]}\nvs {name[b]}" for a, b, _ in costs], fontsize=8)
        ax.set_xlabel("net cost, $ thousands per 100 faculty a year\n(left of 0: a saving)", fontsize=8)
        ax.set_ylim(-0.6, len(costs) - 0.4)
        ax.tick_params(axis="x", labelsize=8)
    if hinge is not None:
        a, b, o, d, x, h = hinge
        ax = axes[0, k]
        f = 100.0 if o in REGISTRY and REGISTRY[o].unit == "%" else 1.0
        ax.scatter(x.to_numpy(float), f * d.to_numpy(float), s=14, color="0.2")
        ax.axhline(0, color="0.6", lw=0.8)
        if np.isfinite(h.threshold):
            ax.axvline(h.threshold, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel(h.parameter, fontsize=8)
        ax.set_ylabel(f"{label(o)}\n{name[a]} minus {name[b]}" + (" (points)" if f == 100 else ""), fontsize=7)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    alt = ("net cost of each pair with its 95% interval" + ("; each plausible world's difference against "
                                                           f"{hinge[5].parameter}" if hinge is not None else ""))
    return (f"<img class='answer-figure' alt='{html.escape(alt)}' "
            f"src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'>")


def answer_html(comp, name: dict[str, str]) -> str:
    """The first box of the page: each question pair answered in words."""
    pairs = question_pairs(comp)
    if not pairs:
        return ""
    career = career_outcomes(set(comp.contrasts["outcome"]) | set(comp.differences["outcome"]))
    blocks, shares = [], []
    for a, b in pairs:
        items = []
        for o in career:
            r = _row(comp, a, b, o)
            if r is not None:
                items.append(sentence(r, o, name[a], name[b]))
                shares.append((r.get("share_low", np.nan), r.get("share_high", np.nan)))
        items.append(cost_line(comp, a, b, name))
        items.append(burden_line(comp, a, b, name))
        if career:
            items.append(hinge_line(comp, a, b, career[0], name))
        blocks.append(f"<h3>{html.escape(name[a])} instead of {html.escape(name[b])}</h3><ul>"
                      + "".join(f"<li>{i}</li>" for i in items if i) + "</ul>")
    ens = comp.meta.get("ensemble")
    how = (f"Across {ens['members']} plausible worlds (calibrated parameter sets) &times; {ens['seeds_per_member']} "
           "seeds; intervals: 95%, for the difference averaged over the worlds." + runs_help(shares) if ens else
           f"At the point calibration, {comp.meta['replicates']} replicates; intervals: 95%, chance only.")
    return ("<div class='answer' id='answer'><h2>The answer</h2>"
            f"<p class='legend'>Career outcomes first; the mentoring itself (coverage, unmet need) is in the table "
            f"below. &#9650;/&#9660;: higher / lower. {how}</p>" + "".join(blocks)
            + answer_figure(comp, pairs, name) + "</div>")


def runs_help(shares: list[tuple[float, float]]) -> str:
    """Whether more runs would narrow the answer's intervals, from the parameters' share of each
    career difference's spread (its 95% interval): ' More seeds would not narrow them: ...'."""
    lo = np.array([x for x, _ in shares], dtype=float)
    hi = np.array([y for _, y in shares], dtype=float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return ""
    lo, hi = np.median(lo[ok]), np.median(hi[ok])
    if lo >= 0.5:
        return (f" More seeds would not narrow them: most of their width is which parameter values are right (the "
                f"parameters' share, median over these differences: {100 * lo:.0f}&ndash;{100 * hi:.0f}%); more "
                "plausible worlds would, slowly, and better-known parameters (below: what it hinges on) most.")
    if hi < 0.5:
        return " Their width is mostly chance: more seeds per world would narrow them."
    return ""


def definitions_html(outcomes: list[str]) -> str:
    """What each outcome shown at the top means (from the registry), where it is first used."""
    items = [f"<b>{html.escape(label(o))}</b>: {html.escape(REGISTRY[o].definition)}" for o in outcomes
             if o in REGISTRY]
    return "<p class='legend'><b>Outcomes</b>: " + "; ".join(items) + ".</p>" if items else ""


def ensemble_widening(comp, root: Path | None = None) -> tuple[float, Path] | None:
    """For a point comparison: the median, over the headline differences these scenarios share
    with a saved ensemble comparison (a folder beside this one whose comparison.json has an
    ensemble), of that comparison's interval width over its chance-only width; None if none."""
    root = Path(root) if root is not None else Path(comp.out).parent
    for meta_path in sorted(root.glob("*/comparison.json")):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        if not meta.get("ensemble") or not set(comp.scenarios) & set(meta.get("scenarios", [])):
            continue
        d = pd.read_parquet(meta_path.parent / "differences.parquet")
        d = d[(d["group"] == "all") & d["outcome"].isin(career_outcomes(set(d["outcome"])))
              & d["scenario"].isin(comp.scenarios)]
        ratio = ((d["ci_high"] - d["ci_low"]) / (d["chance_ci_high"] - d["chance_ci_low"])).replace(
            [np.inf, -np.inf], np.nan).dropna()
        if len(ratio):
            return float(ratio.median()), meta_path.parent
    return None


def point_note(comp) -> str:
    """The point comparison's first lines: chance only, and how much wider across the ensemble
    ('' for an ensemble comparison). Also printed by `careersim compare --point`."""
    if comp.meta.get("ensemble"):
        return ""
    text = ("These intervals carry chance only: every run used one parameter set (the point calibration), so "
            "they leave out the calibration's uncertainty about the parameters.")
    w = ensemble_widening(comp)
    if w is None:
        return text + (" How much wider they would be is measured by running the same comparison across the "
                       "calibrated ensemble (careersim compare without --point).")
    ratio, where = w
    return text + (f" In the ensemble comparison saved at {where}, the same kind of differences' intervals are a "
                   f"median {ratio:.1f} times as wide as chance's alone.")
