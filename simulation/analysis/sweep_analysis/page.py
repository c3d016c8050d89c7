"""`<sweep>/analysis/report.html`: a sweep's analysis as a page in the style of a comparison's report
(the bottom line, what could not be analysed, the parameters and outcomes, the design's indices with
their figures, where an advantage changes sign, the means at each point, files and provenance). The
page shows the figures from `figures/` by relative path: keep the folder together."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.analysis.outcomes import REGISTRY, direction, format_level, is_share, label
from simulation.analysis.pages import CSS, img
from simulation.analysis.sweep_analysis.data import MINUS, outcome_order, pairs, series_order
from simulation.analysis.sweep_analysis.result import Analysis
from simulation.analysis.sweep_analysis.stats import BOOTSTRAP, MEASURES
from simulation.analysis.sweep_analysis.summary import top_text
from simulation.analysis.sweep_analysis.words import (capitalized, format_difference, parameter_info, target_text,
                                                      value_unit, verdict)


PAGE_CSS = """
td.sign-pos { background: #d6f0dc; color: #0b5323; text-align: center; } \
td.sign-neg { background: #f9d9d5; color: #8a1c12; text-align: center; }
td.sign-none { text-align: center; }
td.sign-pos.faint, td.sign-neg.faint { opacity: .6; }
.lbl { color: #777; font-style: italic; }
.scroll { max-height: 34em; overflow: auto; }
"""


def _outcome_td(o: str, series: str = "", kind: str = "level") -> str:
    u = value_unit(o, kind)
    unit_text = "" if (u == "%" or u in label(o)) else f" <small>({html.escape(u)})</small>"
    if kind == "advantage":
        unit_text = f" <small>({html.escape(u)})</small>"
    return f"<td class='text'>{html.escape(label(o))}{unit_text} <code class='raw'>{o}</code></td>"


def _series_td(series: str, kind: str) -> str:
    if kind == "advantage":
        return f"<td class='text'>{html.escape(series)} <small>(advantage)</small></td>"
    return f"<td class='text'>{html.escape(series or 'all runs')}</td>"


def _fmt_value(o: str, kind: str, x: float) -> str:
    return format_difference(o, x) if kind == "advantage" else format_level(o, x)


def _num(x: float, k: int = 2) -> str:
    return f"{x:.{k}f}" if np.isfinite(x) else "n/a"


def _interval(lo: float, hi: float, k: int = 2) -> str:
    return f"[{lo:.{k}f}, {hi:.{k}f}]" if np.isfinite(lo) and np.isfinite(hi) else "[no interval]"


def header_html(a: Analysis) -> str:
    s, m = a.sweep, a.sweep.manifest
    models = ", ".join(html.escape(x) for x in s.models) if s.models else "none (one model throughout)"
    st = a.status
    done = st["expected"] - len(st["missing"])
    return (f"<p class='meta'><b>Design</b> {html.escape(s.kind)} over {len(s.parameters)} parameters, "
            f"{st['expected']} points ({done} with finished runs); <b>{s.replicates} replicates</b> per point and "
            f"model (seed {html.escape(str(m.get('seed', 'n/a')))}); <b>models compared</b> {models}"
            + (", paired on the same seeds" if len(s.models) > 1 else "") +
            f"; <b>base scenario</b> {html.escape(str(m.get('base', 'n/a')))}; <b>group</b> {html.escape(a.group)} "
            f"hires; <b>runs</b> {html.escape(str(m.get('n_runs', 'n/a')))}.</p>")


def bottom_line_html(a: Analysis) -> str:
    s = a.sweep
    items = []
    outs = outcome_order(s.outcomes)
    head = outs[:3]
    for o in head:
        for series, kind in series_order(s):
            top = top_text(a, series, o)
            if top:
                items.append(
                    f"<b>{html.escape(capitalized(target_text(series, kind, o)))}</b>: "
                    f"{html.escape(top.split(': ', 1)[1])}."
                )
    ch = a.tables.get("sign_changes")
    if ch is not None and len(ch):
        for n, o in enumerate(head[:2]):
            for series in dict.fromkeys(ch["series"]):
                c = ch[(ch["outcome"] == o) & (ch["series"] == series)]
                clear = c[np.isfinite(c["threshold"]) & c["clear"].astype(bool)]
                if len(c) and clear.empty and ((c["mean_min"] > 0).all() or (c["mean_max"] < 0).all()):
                    if n == 0:
                        b, a_ = series.split(f" {MINUS} ")
                        state = "positive" if (c["mean_min"] > 0).all() else "negative"
                        items.append(html.escape(f"{capitalized(b)}'s advantage over {a_} in {label(o)} is {state} "
                                                 "at every "
                                                 f"design point ({format_difference(o, c['mean_min'].min())} to "
                                                 f"{format_difference(o, c['mean_max'].max())}; "
                                                 f"{verdict(o, state, b)}): "
                                                 "no sign change in the range swept."))
                    continue
                shown = c if n == 0 else clear
                items += [html.escape(capitalized(r["sentence"])) + "." for _, r in shown.iterrows()]
    if not items:
        items.append("No parameter ranking could be computed (see What could not be analysed).")
    lead = (f"<p>The parameters that move each outcome most, ranked by the {html.escape(MEASURES[s.kind][1])} "
            f"({html.escape(_measure_meaning(s.kind))}); then where the advantage of one mentoring model over another "
            "changes sign.</p>")
    return ("<div class='answer'><h2>Bottom line</h2>" + lead
            + "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>")


def _measure_meaning(kind: str) -> str:
    return {"sobol": "share of the outcome's variance across the design due to the parameter, interactions included; "
                     "95% bootstrap intervals",
            "morris": "mean absolute elementary effect: the change in the outcome across the parameter's range, at the "
                      "rate of one step of it; 95% intervals; for shares, in percentage points",
            "grid": "largest minus smallest mean over the parameter's grid values, averaging over the other "
                    "parameters; 95% intervals for the replicate noise",
            "lhs": "absolute rank correlation of the outcome with the parameter over the design points; "
                   "95% intervals"}[kind]


def not_analysed_html(a: Analysis) -> str:
    if not a.notes:
        return ""
    items = "".join(f"<li><b>{html.escape(n['what'])}</b>: {html.escape(n['why'])}.</li>" for n in a.notes)
    return (f"<h2 id='not-analysed'>What could not be analysed, and caveats</h2><div class='missing'><ul>{items}</ul>"
            f"<p>Everything else below was computed from the runs there are.</p></div>")


def parameters_html(a: Analysis, info: dict) -> str:
    rows = []
    for p in a.sweep.manifest["design"]["parameters"]:
        r = info.get(p["name"]) or info.get(p["name"].rsplit(".", 1)[0]) or {}
        vals = p.get("values")
        rng = (", ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in vals) if vals else
               f"{p.get('low'):g} to {p.get('high'):g}" if p.get("low") is not None else "n/a")
        rows.append(f"<tr><td class='text'><code>{html.escape(p['name'])}</code></td>"
                    f"<td class='text'>{html.escape(str(r.get('unit', '')))}</td>"
                    f"<td class='text'>{html.escape(rng)}</td>"
                    f"<td class='text'>{html.escape(str(p.get('distribution') or 'uniform'))}"
                    f"{' (integer)' if p.get('integer') else ''}</td>"
                    f"<td class='text'>{html.escape(str(r.get('meaning', '')))}</td>"
                    f"<td>{html.escape(str(r.get('default', '')))}</td></tr>")
    return ("<table><tr><th class='text'>parameter</th><th class='text'>unit</th><th class='text'>values swept</th>"
            "<th class='text'>distribution</th><th class='text'>meaning</th><th>default</th></tr>"
            + "".join(rows) + "</table>")


def outcomes_html(a: Analysis) -> str:
    rows = []
    for o in outcome_order(a.sweep.outcomes):
        rows.append(f"<tr>{_outcome_td(o)}<td class='text'>{html.escape(_direction_text(o))}</td></tr>")
    return ("<table><tr><th class='text'>outcome</th><th class='text'>better for faculty when</th></tr>"
            + "".join(rows) + "</table>")


def _direction_text(o: str) -> str:
    return {1: "higher", -1: "lower", 0: "neither (descriptive)"}[direction(o)]


def _figures_html(a: Analysis, section: str) -> str:
    return "".join(f"<figure>{img(f['png'], f['title'], relative_to=a.folder)}"
                   f"<figcaption><b>{html.escape(f['title'])}.</b> "
                   f"{html.escape(f['caption'])}</figcaption></figure>" for f in a.figures if f["section"] == section)


def _parameter_td(r: pd.Series) -> str:
    return f"<td class='text'><code>{html.escape(r['parameter'])}</code></td>"


def _table_rows(a: Analysis, t: pd.DataFrame, order, cells) -> list[str]:
    """One table row per outcome, series and row of `t` (ordered within each by `order`): the
    outcome and series cells, then `cells(outcome, kind, row)`."""
    rows = []
    for o in outcome_order(a.sweep.outcomes):
        for series, kind in series_order(a.sweep):
            for _, r in order(t[(t["series"] == series) & (t["outcome"] == o)]).iterrows():
                rows.append(f"<tr>{_outcome_td(o, series, kind)}{_series_td(series, kind)}{cells(o, kind, r)}</tr>")
    return rows


def sobol_html(a: Analysis) -> str:
    t = a.tables["sobol_indices"]
    if t.empty:
        return "<p>No Sobol index could be computed (see <a href='#not-analysed'>What could not be analysed</a>).</p>"
    rows = _table_rows(a, t, lambda d: d.sort_values("ST", ascending=False), lambda o, kind, r: (
        f"{_parameter_td(r)}<td>{_num(r['S1'])}<span class='ci'>{_interval(r['S1_low'], r['S1_high'])}</span></td>"
        f"<td>{_num(r['ST'])}<span class='ci'>{_interval(r['ST_low'], r['ST_high'])}</span></td>"))
    second = a.sweep.manifest["design"].get("calc_second_order", True)
    return (f"<p class='note'>Variance-based sensitivity (Sobol, from SALib's Saltelli design, "
            f"{'with' if second else 'without'} second-order terms in the design). S1: the share of the outcome's "
            "variance over the design due to the parameter alone; ST: its share including interactions; ST &minus; S1 "
            "large means the parameter acts through interactions. " + _noise_text(a) + "</p>"
            + _figures_html(a, "sobol") +
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            f"<th class='text'>parameter</th><th>S1 [95% CI]</th><th>ST [95% CI]</th></tr>"
            f"{''.join(rows)}</table></div>")


def _noise_text(a: Analysis) -> str:
    """How the page's indices treat replicate noise, from the sweep's seeds and replicates."""
    common = (a.sweep.manifest.get("seeds") or "independent") == "common"
    seeds = ("Replicate r runs on the same seed at every design point (common random numbers), so a parameter that "
             "does nothing changes nothing and its index is exactly zero. " if common else
             "Each design point has its own seeds (seeds = \"independent\"), so even a parameter that does nothing "
             "moves the outcome by chance. ")
    if a.sweep.replicates < 2:
        return (seeds + "With one replicate per point the noise cannot be estimated: the indices and their intervals "
                f"include it. 95% intervals from {BOOTSTRAP} bootstrap resamples of the design (seeded).")
    unit = "base sample" if a.sweep.kind == "sobol" else "trajectory"
    removed = ("Each index is computed from the replicate means with the part the replicate noise adds to each term "
               "estimated from the replicates' spread and removed. " if a.sweep.kind == "sobol" else
               "The noise floor is the &mu;* that replicate noise alone would give (estimated from the replicates' "
               "spread): a &mu;* near it is not told from noise. ")
    return (seeds + removed + f"95% intervals from {BOOTSTRAP} bootstrap resamples of the design, each {unit} with its "
            f"{a.sweep.replicates} replicates, so they carry both the design's sampling and the replicate noise "
            "(seeded, reproducible).")


def morris_html(a: Analysis) -> str:
    t = a.tables["morris"]
    if t.empty:
        return "<p>No Morris effect could be computed (see <a href='#not-analysed'>What could not be analysed</a>).</p>"
    def cells(o: str, kind: str, r: pd.Series) -> str:
        lo, hi = format_difference(o, r["mu_star_low"]).lstrip("+"), format_difference(o, r["mu_star_high"]).lstrip("+")
        return (f"{_parameter_td(r)}<td>{format_difference(o, r['mu_star']).lstrip('+')}"
                f"<span class='ci'>[{lo}, {hi}]</span></td>"
                f"<td>{format_difference(o, r['mu'])}</td><td>{format_difference(o, r['sigma']).lstrip('+')}</td>"
                f"<td>{format_difference(o, r['noise_floor']).lstrip('+')}</td>")

    rows = _table_rows(a, t, lambda d: d.sort_values("mu_star", ascending=False), cells)
    levels = a.sweep.manifest["design"].get("levels")
    return (f"<p class='note'>Elementary effects (Morris screening, SALib, {levels} levels): each trajectory moves one "
            f"parameter at a time by a step of its range; an elementary effect is the change in the outcome divided by "
            "the step as a share of the range, i.e. the change the parameter would make across its whole range at "
            "that rate. &mu;* is the mean absolute effect (in the outcome's unit; percentage points for shares), &mu; "
            "the signed mean, &sigma; their spread (large: the effect depends on the other parameters or is "
            "non-linear). " + _noise_text(a) + "</p>"
            + _figures_html(a, "morris") +
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            "<th class='text'>parameter</th><th>&mu;* [95% CI]</th><th>&mu;</th><th>&sigma;</th>"
            "<th>noise floor</th></tr>"
            f"{''.join(rows)}</table></div>")


def grid_html(a: Analysis) -> str:
    t = a.tables["grid_surfaces"]
    ps = a.sweep.parameters
    rows = _table_rows(a, t, lambda d: d.sort_values(ps), lambda o, kind, r: (
        "".join(f"<td>{r[p]:.3g}</td>" for p in ps)
        + f"<td>{_fmt_value(o, kind, r['mean'])}<span class='ci'>[{_fmt_value(o, kind, r['ci_low'])}, "
          f"{_fmt_value(o, kind, r['ci_high'])}]</span></td><td>{int(r['n'])}</td>"))
    head = "".join(f"<th><code>{html.escape(p)}</code></th>" for p in ps)
    return ("<p class='note'>Each grid cell: the mean over replicates and its 95% t-interval "
            "(n: replicates with a value). Advantages are paired differences, replicate by replicate.</p>"
            + _figures_html(a, "grid") +
            f"<details><summary>Every cell, with its 95% interval ({len(rows)} rows)</summary>"
            f"<div class='scroll'><table>"
            f"<tr><th class='text'>outcome</th><th class='text'>series</th>{head}<th>mean [95% CI]</th>"
            f"<th>n</th></tr>{''.join(rows)}</table></div></details>")


def lhs_html(a: Analysis) -> str:
    t = a.tables["lhs_correlations"]
    rows = _table_rows(a, t, lambda d: d.reindex(d["spearman"].abs().sort_values(ascending=False).index),
                       lambda o, kind, r: (
        f"{_parameter_td(r)}<td>{_num(r['spearman'])}"
        f"<span class='ci'>{_interval(r['spearman_low'], r['spearman_high'])}</span></td>"
        f"<td>{_num(r['src'])}<span class='ci'>{_interval(r['src_low'], r['src_high'])}</span></td>"
        f"<td>{_num(r['r2'])}</td><td>{int(r['points'])}</td>"))
    return ("<p class='note'>Over the Latin-hypercube design points (each the mean over replicates): the Spearman rank "
            "correlation of the outcome with each parameter (monotone association, other parameters varying too; 95% "
            "interval by Fisher's z with Fieller's variance), and the standardized regression coefficient (a linear "
            "fit of the standardized outcome on all standardized parameters: standard deviations of outcome per "
            "standard deviation of the parameter, the others held fixed; 95% t-interval). R&sup2; is that fit's: when "
            "it is low, the coefficients miss much of what happens and the rank correlations are the safer reading.</p>"
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            "<th class='text'>parameter</th><th>Spearman &rho; [95% CI]</th><th>SRC [95% CI]</th><th>R&sup2;</th>"
            f"<th>points</th></tr>{''.join(rows)}</table></div>"
            + _figures_html(a, "lhs"))


def sign_html(a: Analysis) -> str:
    s = a.sweep
    if not pairs(s.models):
        return ("<p>The sweep compares no two mentoring models"
                + (f" (only {html.escape(s.models[0])})" if s.models else "")
                + ", so there is no advantage to follow.</p>")
    ch, bins = a.tables["sign_changes"], a.tables["sign_bins"]
    if ch.empty:
        return "<p>No advantage could be computed (no point has paired runs of both models with a value).</p>"
    sentences = "".join(f"<li>{html.escape(capitalized(r['sentence']))}.</li>" for _, r in
                        ch.assign(_o=ch["outcome"].map({o: k for k, o in enumerate(outcome_order(s.outcomes))}))
                        .sort_values(["_o", "series"], kind="stable").iterrows())
    rows = []
    for o in outcome_order(s.outcomes):
        for series in dict.fromkeys(bins["series"]):
            for p in s.parameters:
                d = bins[(bins["series"] == series) & (bins["outcome"] == o) & (bins["parameter"] == p)]
                if d.empty:
                    continue
                cells = []
                for _, r in d.iterrows():
                    good = r["mean"] if direction(o) else 0.0  # advantages are signed: positive = better
                    cls = "sign-pos" if good > 0 else "sign-neg" if good < 0 else "sign-none"
                    faint = "" if r["clear"] else " faint"
                    cells.append(f"<td class='{cls}{faint}' title='{p} {r['low']:.3g} to {r['high']:.3g}: "
                                 f"{html.escape(format_difference(o, r['mean']))}, {int(r['points'])} points'>"
                                 f"{r['sign']}<br>"
                                 f"<small>{r['centre']:.3g}</small></td>")
                rows.append(f"<tr>{_outcome_td(o, series, 'advantage')}{_series_td(series, 'advantage')}"
                            f"<td class='text'><code>{html.escape(p)}</code></td>{''.join(cells)}</tr>")
    direction_note = ("<p class='legend'>Each cell is a bin of the parameter's range (its centre below the sign), "
                      "or a grid value: the sign of the mean advantage over the design points in it (the other "
                      "parameters vary). The advantage is signed so that +: the later model is better for faculty "
                      "there, &minus;: worse (for outcomes where lower is better, such as months with an uncovered "
                      "mentoring function, + means the later model's level is lower): "
                      "<span class='sign-pos'>&nbsp;green&nbsp;</span> better, "
                      "<span class='sign-neg'>&nbsp;red&nbsp;</span> worse; uncoloured: an outcome that is neither "
                      "(+: higher). Pale: the bin's 95% interval "
                      "includes zero. Hover a cell for its value. The thresholds above come from a monotone "
                      "(isotonic) fit of the mean advantage on the parameter, over all points.</p>")
    return (f"<ul>{sentences}</ul>" + _figures_html(a, "sign")
            + f"<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            f"<th class='text'>parameter</th><th class='text' colspan='10'>sign of the mean advantage, "
            f"low to high values</th></tr>"
            f"{''.join(rows)}</table></div>{direction_note}")


def point_means_html(a: Analysis, limit: int = 60) -> str:
    pm = a.tables["point_means"]
    ps = a.sweep.parameters
    o = outcome_order(a.sweep.outcomes)[0]
    d = pm[pm["outcome"] == o]
    wide = d.pivot_table(index=["point", *ps], columns="series", values="mean").reset_index()
    cols = [s for s, _ in series_order(a.sweep) if s in wide.columns]
    kinds = dict(series_order(a.sweep))
    head = ("<tr><th>point</th>" + "".join(f"<th><code>{html.escape(p)}</code></th>" for p in ps)
            + "".join(f"<th>{html.escape(s or 'all runs')}</th>" for s in cols) + "</tr>")
    body = "".join("<tr><td>" + str(int(r["point"])) + "</td>" + "".join(f"<td>{r[p]:.3g}</td>" for p in ps)
                   + "".join(f"<td>{_fmt_value(o, kinds[s], r[s])}</td>" for s in cols) + "</tr>"
                   for _, r in wide.head(limit).iterrows())
    more = f" The first {limit} of {len(wide)} points are shown." if len(wide) > limit else ""
    return (f"<p>{html.escape(label(o))} (<code class='raw'>{o}</code>) at each design point, mean over replicates"
            f"{'; advantages in percentage points' if is_share(o) and len(cols) > 1 else ''}.{more} Every outcome, "
            "with its 95% interval and number of replicates: <code>analysis/point_means.csv</code>.</p>"
            f"<div class='scroll'><table>{head}{body}</table></div>")


def _annotated(text: str, outcomes: list[str]) -> str:
    """Escaped text with each outcome name followed by its label (for verbatim files shown on the page)."""
    esc = html.escape(text)
    if not outcomes:
        return esc
    names = sorted(outcomes, key=len, reverse=True)
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b",
                  lambda m: f"{m[1]}<span class='lbl'> ({html.escape(label(m[1]))})</span>", esc)


def files_html(a: Analysis) -> str:
    m = a.sweep.manifest
    files = ", ".join(f"<code>{n}.csv</code>" for n in a.tables)
    versions = m.get("versions") or {}
    ver = (", ".join(f"{html.escape(str(k))} {html.escape(str(v))}" for k, v in versions.items())
           if isinstance(versions, dict) else html.escape(str(versions)))
    known = [o for o in REGISTRY if o in (m.get("sweep_file") or "")]
    return (f"<p>Tables in <code>{html.escape(str(a.folder))}</code>: {files}; figures (PNG, shown on this page "
            "from there: keep the folder together) in <code>analysis/figures/</code>. "
            f"Sweep <b>{html.escape(a.sweep.name)}</b>"
            f"{': ' + html.escape(str(m['description'])) if m.get('description') else ''}; created "
            f"{html.escape(str(m.get('created_utc', 'n/a')))}, "
            f"code commit {html.escape(str(m.get('git_commit') or 'n/a'))}"
            f"{'; ' + ver if ver else ''}.</p>"
            + (f"<details><summary>The sweep file</summary><pre>{_annotated(m['sweep_file'], known)}</pre></details>"
               if m.get("sweep_file") else ""))


SECTION_TITLES = {"sobol": "Sobol indices", "morris": "Morris screening", "grid": "Outcome surfaces over the grid",
                  "lhs": "Rank correlations and regression coefficients"}


def write_page(a: Analysis) -> Path:
    """Write `report.html` into the analysis's folder, atomically.

    Parameters
    ----------
    a : Analysis
        An analysis with its tables, figures, notes and folder.

    Returns
    -------
    Path
        The page.
    """
    s = a.sweep
    info = parameter_info()
    body = {"sobol": sobol_html, "morris": morris_html, "grid": grid_html, "lhs": lhs_html}[s.kind](a)
    title = f"What drives the outcomes in sweep {s.name}?"
    page = f"""<!doctype html><html><head><meta charset="utf-8">\
<title>careersim sweep analysis: {html.escape(s.name)}</title>
<style>{CSS + PAGE_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
{header_html(a)}
{bottom_line_html(a)}
{not_analysed_html(a)}
<h2 id="parameters">Parameters swept</h2>
{parameters_html(a, info)}
<h2 id="outcomes">Outcomes analysed</h2>
{outcomes_html(a)}
<h2 id="{s.kind}">{SECTION_TITLES[s.kind]}</h2>
{body}
<h2 id="sign">Where the advantage changes sign</h2>
{sign_html(a)}
<h2 id="points">Means at each design point</h2>
{point_means_html(a)}
<h2 id="files">Files and provenance</h2>
{files_html(a)}
</body></html>
"""
    path = a.folder / "report.html"
    destination.write_text(path, page)
    return path


