"""`report.html`: one self-contained page per comparison, built from its saved tables.

The page states the question, the scenarios compared, what could not be computed and why
(one scenario, one replicate, a run too short for an outcome, one gender among the hires...),
the outcomes of each scenario, the paired differences with 95% intervals (and how much
pairing narrowed them), the hazard ratios, every figure with a caption computed from the
tables, and the manifest of every run. Figures are embedded as PNG data, so the file can be
mailed or archived on its own.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import destination
from .compare import KEY_OUTCOMES, load, run_folder
from .outcomes import GROUPS

CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; font-size: .9em; margin: .6em 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: .92em; }
.note { background: #f6f8fa; padding: .6em 1em; border-radius: 4px; }
details pre { font-size: .75em; max-height: 30em; overflow: auto; background: #f6f8fa; padding: .5em; }
.pos { color: #1a7f37; } .neg { color: #b42318; }
.missing { background: #fff8e1; padding: .6em 1em; border-left: 4px solid #f0b400; border-radius: 4px; }
"""

SCALE = {"pubs_per_faculty_year": (1.0, "", 2)}

LEGEND = """<p>Green: the interval excludes zero and the difference is positive; red: excludes zero and negative.
retention = share still in academia (Kaplan-Meier); grant = share with an independent grant within the years shown;
promoted = share promoted to associate within 10 years; holes = share of protege-months with a badly uncovered function;
unmet = unmet need as a share of a new hire's need.</p>"""


def _fmt_diff(row: pd.Series) -> str:
    scale, unit, digits = SCALE.get(row["outcome"], (100.0, " pp", 1))
    d, lo, hi = (scale * float(row[k]) for k in ("difference", "ci_low", "ci_high"))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{d:+.{digits}f} [no interval]"
    cls = "pos" if lo > 0 else "neg" if hi < 0 else ""
    return f'<span class="{cls}">{d:+.{digits}f}</span> [{lo:+.{digits}f}, {hi:+.{digits}f}]'


def _fmt_level(outcome: str, x: float) -> str:
    scale, unit, digits = SCALE.get(outcome, (100.0, "%", 1))
    return f"{scale * x:.{digits}f}{unit}" if np.isfinite(x) else "n/a"


def not_computed_html(notes: list[dict]) -> str:
    """The "What could not be computed" section ("" when everything was)."""
    if not notes:
        return ""
    items = "".join(f"<li><b>{html.escape(n['what'])}</b>: {html.escape(n['why'])}.</li>" for n in notes)
    return (f'<h2 id="not-computed">What could not be computed</h2><div class="missing"><p>These analyses were skipped '
            f"for these runs; everything else below was computed.</p><ul>{items}</ul></div>")


def outcomes_html(table: pd.DataFrame, scenarios: list[str]) -> str:
    """Each scenario's key outcomes, mean over replicates, for all hires, women and men."""
    head = "<tr><th>scenario</th><th>outcome</th>" + "".join(f"<th>{g}</th>" for g in GROUPS) + "</tr>"
    means = table.groupby(["scenario", "group"])[[o for o in KEY_OUTCOMES if o in table.columns]].mean()
    body = []
    for scenario in scenarios:
        for outcome in means.columns:
            cells = "".join(f"<td>{_fmt_level(outcome, means[outcome].get((scenario, g), np.nan))}</td>" for g in GROUPS)
            body.append(f"<tr><td class='text'>{html.escape(scenario)}</td><td class='text'>{outcome}</td>{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def differences_html(diffs: pd.DataFrame, reference_means: pd.DataFrame) -> str:
    d = diffs[diffs["outcome"].isin(KEY_OUTCOMES)]
    head = "<tr><th>scenario</th><th>outcome</th><th>reference (all)</th>" + "".join(f"<th>{g}</th>" for g in GROUPS) + "</tr>"
    body = []
    for scenario in d["scenario"].unique():
        for outcome in KEY_OUTCOMES:
            g = d[(d["scenario"] == scenario) & (d["outcome"] == outcome)].set_index("group")
            if g.empty:
                continue
            ref = g.loc["all", "reference_mean"] if "all" in g.index else np.nan
            cells = "".join(f"<td>{_fmt_diff(g.loc[grp])}</td>" if grp in g.index else "<td></td>" for grp in GROUPS)
            body.append(f"<tr><td class='text'>{html.escape(scenario)}</td><td class='text'>{outcome}</td>"
                        f"<td>{_fmt_level(outcome, float(ref))}</td>{cells}</tr>")
    if not body:
        return "<p>No differences could be computed (see <a href='#not-computed'>What could not be computed</a>).</p>"
    return f"<table>{head}{''.join(body)}</table>"


def hazard_html(hr: pd.DataFrame) -> str:
    if hr.empty:
        return "<p>No Cox model could be fitted (see <a href='#not-computed'>What could not be computed</a>).</p>"
    rows = []
    for model in hr["model"].unique():
        for _, r in hr[hr["model"] == model].iterrows():
            rows.append(f"<tr><td class='text'>{model}</td><td class='text'>{html.escape(r['covariate'])}</td>"
                        f"<td>{r['hazard_ratio']:.3f}</td><td>[{r['ci_low']:.3f}, {r['ci_high']:.3f}]</td><td>{r['p']:.3g}</td></tr>")
    return ("<table><tr><th>model</th><th>covariate</th><th>hazard ratio</th><th>95% CI</th><th>p</th></tr>"
            + "".join(rows) + "</table>")


def gender_gap_sentence(hr: pd.DataFrame, notes: list[dict] | tuple = ()) -> str:
    """Whether the women-vs-men hazard ratio moves toward 1 once publications enter the Cox model.

    When the models lack the gender covariate, says why (from the comparison's notes)."""
    w = hr[hr["covariate"] == "women"].set_index("model") if len(hr) else hr
    if not {"without publications", "with publications"} <= set(w.index):
        whys = [n["why"] for n in notes
                if n["what"].startswith(("women's hazard ratio", "hazard ratios of leaving academia", "Cox model"))]
        if whys:
            return ("The gender gap in leaving could not be tested (whether it shrinks once publications enter the Cox model): "
                    + "; ".join(whys) + ".")
        return ""
    a, b = w.loc["without publications"], w.loc["with publications"]
    text = (f"Women's hazard ratio of leaving is {a['hazard_ratio']:.3f} [{a['ci_low']:.3f}, {a['ci_high']:.3f}] without "
            f"publications in the model and {b['hazard_ratio']:.3f} [{b['ci_low']:.3f}, {b['ci_high']:.3f}] with them: ")
    if a["ci_low"] <= 1 <= a["ci_high"]:
        return text + ("the runs show no clear gender gap in leaving to begin with, so they cannot test whether "
                       "publications account for one.")
    shrink = 1 - abs(np.log(b["hazard_ratio"])) / abs(np.log(a["hazard_ratio"]))
    if shrink >= 0.1:
        return text + f"the gap shrinks by {100 * shrink:.0f}% on the log scale once publications are accounted for, as the literature finds."
    return text + "the gap does not shrink materially once publications are accounted for; here the model does not reproduce that finding."


def pairing_sentence(diffs: pd.DataFrame) -> str:
    d = diffs[diffs["outcome"].isin(KEY_OUTCOMES) & (diffs["group"] == "all")]
    ratio = d["paired_to_unpaired_width"].replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.empty:
        return ""
    return (f"Every scenario faced the same people on every replicate (common random numbers), so differences are paired. "
            f"Paired 95% intervals are {100 * (1 - ratio.median()):.0f}% narrower than unpaired ones for the same runs "
            f"(median over the outcomes shown; range {100 * (1 - ratio.max()):.0f}% to {100 * (1 - ratio.min()):.0f}%).")


def _img(path: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="">'


def write_report(out: str | Path) -> Path:
    """Figures and report.html for a comparison folder, from its tables only.

    What the figures could not show joins the comparison's notes, in the report and in
    comparison.json ("not_computed", stage "figures"), replacing those of an earlier build."""
    from .plots import make_all

    out = Path(out)
    comp = load(out)
    figure_notes: list[dict] = []
    figs = make_all(out, figure_notes)
    meta = comp.meta
    notes = [n for n in comp.not_computed if n.get("stage") != "figures"] + figure_notes
    saved = json.loads((out / "comparison.json").read_text())
    if notes != saved.get("not_computed"):
        meta["not_computed"] = notes
        destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    one = len(comp.scenarios) < 2
    scen_rows = "".join(
        f"<tr><td class='text'>{html.escape(s)}{' (reference)' if s == comp.reference else ''}</td>"
        f"<td class='text'>{meta['models'][s]}</td><td class='text'>{html.escape(meta['questions'].get(s, ''))}</td>"
        f"<td class='text'>{html.escape(meta['descriptions'].get(s, ''))}</td></tr>"
        for s in comp.scenarios
    )
    manifests = []
    for s in comp.scenarios:
        for r in range(meta["replicates"]):
            m = json.loads((run_folder(out, s, r) / "manifest.json").read_text())
            manifests.append(f"<details><summary>{html.escape(s)}, replicate {r}: seed {m['seed']}, run {m['run_id']}, "
                             f"{m['wall_seconds']:.1f} s, commit {m.get('git_commit') or 'n/a'}</summary>"
                             f"<pre>{html.escape(json.dumps(m, indent=1))}</pre></details>")
    figures = "".join(
        f"<figure>{_img(f['png'])}<figcaption><b>{html.escape(f['name'].replace('_', ' '))}.</b> {html.escape(f['caption'])} "
        f"<a href='figures/{f['name']}.svg'>SVG</a></figcaption></figure>"
        for f in figs
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>careersim comparison: {html.escape(', '.join(comp.scenarios))}</title>
<style>{CSS}</style></head><body>
<h1>{f"Outcomes of {html.escape(comp.reference)}" if one else f"What would change if we moved from {html.escape(comp.reference)} to other mentoring models?"}</h1>
<p class="note">{len(comp.scenarios)} {"scenario" if one else "scenarios"}, {meta['replicates']} {"replicate" if meta['replicates'] == 1 else "replicates"}{"" if one else " each"} (seeds {meta['seeds'][0]}&ndash;{meta['seeds'][-1]}).
Outcomes concern faculty hired during each simulated run. {"There is no other scenario to compare with." if one else f"Differences are scenario minus {html.escape(comp.reference)}, averaged over replicates, with 95% confidence intervals; percentage points unless stated."} {pairing_sentence(comp.differences)}</p>
{not_computed_html(notes)}
<h2>Scenarios compared</h2>
<table><tr><th>scenario</th><th>model</th><th>question</th><th>description</th></tr>{scen_rows}</table>
<h2>Outcomes</h2>
<p>Mean over replicates; n/a where no run gave a value.</p>
{outcomes_html(comp.outcomes, comp.scenarios)}
<h2>Differences from {html.escape(comp.reference)}</h2>
{differences_html(comp.differences, comp.outcomes)}
{"" if comp.differences.empty else LEGEND}
<h2>Hazard of leaving academia (Cox model)</h2>
{hazard_html(comp.hazard_ratios)}
<p>{gender_gap_sentence(comp.hazard_ratios, notes)}</p>
<h2>Figures</h2>
{figures}
<h2>Runs</h2>
<p>Tables of each run: <code>runs/&lt;scenario&gt;/rep&lt;r&gt;/</code>. Outcome tables: <code>outcomes.parquet</code>,
<code>differences.parquet</code>, <code>hazard_ratios.parquet</code>.</p>
{''.join(manifests)}
</body></html>
"""
    path = out / "report.html"
    destination.write_text(path, page)
    return path
