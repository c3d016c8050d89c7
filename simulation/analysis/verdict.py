"""The answer in words: for one difference (a row of differences.parquet or contrasts.parquet)
whether it is clear, leaning or undetermined, said in plain words, with the plausible worlds
it holds in across an ensemble, and whether more runs would help.

    clear         the 95% interval excludes no difference (and, across an ensemble, at least
                  three quarters of the members' own differences are on the same side)
    leaning       the 80% interval (same method, same degrees of freedom) excludes no
                  difference, the 95% does not; or the 95% does but the members disagree
    undetermined  otherwise

Career outcomes (retention, promotion, grants, publications) are kept apart from measures of
the mentoring itself (coverage, unmet need, mentor load): `CAREER`, `career_outcomes`.
"""

from __future__ import annotations

import html

import numpy as np
from scipy import stats

from simulation.analysis.outcomes import direction, digits, headline, is_share, label, scale

CAREER = ("retention_10y", "promoted_10y", "grant_10y", "pubs_per_faculty_year")
AGREE = 0.75  # share of members on one side for an ensemble difference to be clear

# what a higher value means, said of a scenario (a lower one: the second)
PHRASES = {
    "retention_10y": ("keeps more faculty 10 years after hire", "keeps fewer faculty 10 years after hire"),
    "retention_5y": ("keeps more faculty 5 years after hire", "keeps fewer faculty 5 years after hire"),
    "promoted_10y": ("has more faculty promoted to associate professor within 10 years",
                     "has fewer faculty promoted to associate professor within 10 years"),
    "grant_10y": ("has more faculty winning an independent grant within 10 years",
                  "has fewer faculty winning an independent grant within 10 years"),
    "grant_5y": ("has more faculty winning an independent grant within 5 years",
                 "has fewer faculty winning an independent grant within 5 years"),
    "pubs_per_faculty_year": ("has faculty publish more", "has faculty publish less"),
    "departures_per_100": ("loses more faculty to departures", "loses fewer faculty to departures"),
    "net_cost_per_100": ("costs more", "costs less"),
}


def career_outcomes(available) -> list[str]:
    """The headline career outcomes among `available` (a 5-year version where the 10-year one is missing)."""
    return headline(available, CAREER)


def phrase(outcome: str, higher: bool) -> str:
    up, down = PHRASES.get(outcome, (f"has a higher {label(outcome)}", f"has a lower {label(outcome)}"))
    return up if higher else down


def unit_words(outcome: str) -> str:
    return "points" if is_share(outcome) else ""


def number(outcome: str, x: float) -> str:
    f, k = scale(outcome), digits(outcome)
    u = unit_words(outcome)
    return f"{f * x:+.{k}f}{' ' + u if u else ''}"


def interval(outcome: str, lo: float, hi: float) -> str:
    f, k = scale(outcome), digits(outcome)
    return f"[{f * lo:+.{k}f}, {f * hi:+.{k}f}]" if np.isfinite(lo) and np.isfinite(hi) else "[no interval]"


def _df(row) -> float:
    m = row.get("n_members", np.nan)
    if m is not None and np.isfinite(m) and m > 1:
        return float(m) - 1
    return float(row["n_replicates"]) - 1


def classify(row) -> str:
    """'clear', 'leaning' or 'undetermined' (see the module's docstring)."""
    d, lo, hi = float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    if not (np.isfinite(d) and np.isfinite(lo) and np.isfinite(hi)) or d == 0:
        return "undetermined"
    df = _df(row)
    half80 = (hi - lo) / 2 * stats.t.ppf(0.90, df) / stats.t.ppf(0.975, df) if df >= 1 else np.nan
    centre = (lo + hi) / 2
    sure95 = lo > 0 or hi < 0
    sure80 = np.isfinite(half80) and (centre - half80 > 0 or centre + half80 < 0)
    m = row.get("n_members", np.nan)
    if sure95:
        if m is not None and np.isfinite(m) and m > 1:
            same = row["members_above"] if d > 0 else row["members_below"]
            if same < AGREE * m:
                return "leaning"
        return "clear"
    return "leaning" if sure80 else "undetermined"


def worlds(row, outcome: str) -> str:
    """'in 27 of 32 plausible worlds (calibrated parameter sets) it keeps more ...; the median
    difference is +1.9 points' ('' for a point comparison)."""
    m = row.get("n_members", np.nan)
    if m is None or not np.isfinite(m) or m < 2:
        return ""
    higher = row["difference"] >= 0
    k = int(row["members_above"] if higher else row["members_below"])
    return f"so it does in {k} of {int(m)} plausible worlds (median {number(outcome, row['member_median'])})"


def more_runs(row) -> str:
    """Whether more runs would narrow the interval: '' when it cannot be told (a point comparison)."""
    lo, hi = row.get("share_low", np.nan), row.get("share_high", np.nan)
    if lo is None or not np.isfinite(lo):
        return ""
    if lo >= 0.5:
        return (f"more seeds would not settle it: most of the uncertainty is which parameter values are right "
                f"(the parameters' share of it: {100 * lo:.0f}&ndash;{100 * hi:.0f}%)")
    if hi < 0.5:
        return "it is mostly chance: more seeds per plausible world would narrow it"
    return ""


def sentence(row, outcome: str, a: str, b: str) -> str:
    """One sentence (HTML-escaped labels) saying how `a` compares with `b` in `outcome`."""
    kind = classify(row)
    d = float(row["difference"])
    shown = f"{number(outcome, d)} {interval(outcome, row['ci_low'], row['ci_high'])}"
    a, b = html.escape(a), html.escape(b)
    higher = d >= 0
    good = direction(outcome) * d > 0
    mark = "&#9650;" if higher else "&#9660;"  # up / down triangles: the direction, not only the colour
    if kind == "clear":
        text = f"<b>Clear</b>: {a} {phrase(outcome, higher)} than {b}, {mark} {shown}"
    elif kind == "leaning":
        text = f"<b>Leaning</b>: {a} probably {phrase(outcome, higher)} than {b}, {mark} {shown}"
    else:
        text = (f"<b>Undetermined</b>: {a} may keep this the same, higher or lower than {b} "
                f"({label(outcome)}: {shown}, an interval on both sides of no difference)")
    extra = [x for x in (worlds(row, outcome), more_runs(row) if kind != "clear" else "") if x]
    cls = "same" if kind == "undetermined" else ("better" if good else "worse") + ("" if kind == "clear" else
                                                                                    " uncertain")
    return f"<span class='verdict {cls}'>{text}</span>" + ("; " + "; ".join(extra) if extra else "") + "."
