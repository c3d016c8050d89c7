"""A sweep's analysis in a few lines of text: the top parameters per outcome and series, and where
the headline advantage changes sign (what `careersim analyze` prints)."""

from __future__ import annotations

import numpy as np

from simulation.analysis.sweep_analysis.data import outcome_order, series_order
from simulation.analysis.sweep_analysis.result import Analysis
from simulation.analysis.sweep_analysis.stats import MEASURES
from simulation.analysis.sweep_analysis.words import format_difference, target_text


def top_text(a: Analysis, series: str, o: str, k: int = 3) -> str:
    """The `k` parameters that move outcome `o` of a series most, by the design's measure, with their values
    and 95% intervals: 'total-order Sobol index: a (0.61 [0.52, 0.70]), b (...)'; '' when none was ranked.

    Parameters
    ----------
    a : Analysis
        The analysis (its `importance` table).
    series : str
        A model's name, or an advantage's ('network − dyad').
    o : str
        The outcome.
    k : int
        How many parameters.

    Returns
    -------
    str
        The measure's name, a colon, then the parameters.
    """
    imp = a.tables["importance"]
    d = imp[(imp["series"] == series) & (imp["outcome"] == o)].head(k)
    if d.empty:
        return ""
    measure = MEASURES[a.sweep.kind][1]
    parts = []
    for _, r in d.iterrows():
        v = r["value"]
        if a.sweep.kind in ("morris", "grid"):  # in the outcome's unit (differences: pp for shares)
            val = format_difference(o, v).lstrip("+")
        else:
            val = f"{v:.2f}"
        ci = (f" [{_ci_text(a, o, r['ci_low'], r['ci_high'])}]"
              if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) else "")
        parts.append(f"{r['parameter']} ({val}{ci})")
    return f"{measure}: " + ", ".join(parts)


def _ci_text(a: Analysis, o: str, lo: float, hi: float) -> str:
    if a.sweep.kind in ("morris", "grid"):
        return f"{format_difference(o, lo).lstrip('+')}, {format_difference(o, hi).lstrip('+')}"
    return f"{lo:.2f}, {hi:.2f}"


def format_summary(a: Analysis, k: int = 3) -> str:
    """The top parameters per outcome and series, and the sign changes of the headline advantage.

    Parameters
    ----------
    a : Analysis
        An analysis.
    k : int
        How many parameters per outcome and series.

    Returns
    -------
    str
        Lines of text, as `careersim analyze` prints them.
    """
    s = a.sweep
    measure = MEASURES[s.kind][1]
    lines = [f"{s.kind} sweep {s.name}: {a.status['expected'] - len(a.status['missing'])} of {a.status['expected']} "
             f"design points, {s.replicates} replicates, group {a.group}; parameters ranked by {measure}:"]
    for o in outcome_order(s.outcomes):
        for series, kind in series_order(s):
            top = top_text(a, series, o, k)
            if top:
                lines.append(f"  {target_text(series, kind, o)}: {top.split(': ', 1)[1]}")
    ch = a.tables.get("sign_changes")
    if ch is not None and len(ch):
        c = ch[ch["outcome"] == outcome_order(s.outcomes)[0]]
        lines += [f"  {r['sentence']}" for _, r in c.head(8).iterrows()]
    for n in a.notes:
        lines.append(f"  note: {n['what']}: {n['why']}")
    return "\n".join(lines)

