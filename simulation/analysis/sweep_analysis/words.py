"""A sweep's analysis in words and numbers: differences in an outcome's unit, what an advantage
means, the sentence that says where one model's advantage changes sign, the parameters' labels."""

from __future__ import annotations

import numpy as np

from simulation.analysis.outcomes import difference_unit, direction, format_change, is_share, label, unit
from simulation.analysis.sweep_analysis.data import MINUS


def advantage_meaning(o: str) -> str:
    """What a positive advantage in the outcome means, in words."""
    d = direction(o)
    if d > 0:
        return "positive: better for faculty (higher)"
    if d < 0:
        return "positive: better for faculty (lower)"
    return "positive: higher (neither better nor worse for faculty)"


def _fmt_param(p: str, x: float) -> str:
    return f"{x:.3g}"


def sign_sentence(r) -> str:
    """'the network's advantage over dyad in retention at 10 years turns negative when network.max_ties < 1.6'."""
    b, a = r["series"].split(f" {MINUS} ")
    o, p = r["outcome"], r["parameter"]
    who = f"{b}'s advantage over {a} in {label(o)}"
    rng = f"{_fmt_param(p, r['low'])} to {_fmt_param(p, r['high'])}"
    lo, hi = format_difference(o, r["mean_min"]), format_difference(o, r["mean_max"])
    if np.isfinite(r["threshold"]) and r["sense"] != 0 and r["clear"]:
        t = _fmt_param(p, r["threshold"])
        worse = " (worse for faculty)" if direction(o) else ""
        text = (f"{who} turns negative{worse} when {p} < {t} and is positive above" if r["sense"] > 0 else
                f"{who} turns negative{worse} when {p} > {t} and is positive below")
        text += f" (monotone fit over the range swept, {rng}; {lo} to {hi} across the design points)"
        if r["bin_sign_changes"] > 1:
            text += f" (the binned means change sign {int(r['bin_sign_changes'])} times: read the table)"
        return text
    lo, hi = format_difference(o, r["mean_min"]), format_difference(o, r["mean_max"])
    if r["mean_min"] > 0 or r["mean_max"] < 0:
        state = "positive" if r["mean_min"] > 0 else "negative"
        return (f"{who}: no sign change in the range swept ({p} {rng}); {state} at every design point ({lo} to {hi}; "
                f"{verdict(o, state, b)})")
    others = " as the other parameters vary" if r.get("n_parameters", 2) > 1 else ""
    if not (np.isfinite(r["trend_p"]) and r["trend_p"] < 0.05):
        trend = (f"no monotone trend in {p} (Spearman \u03c1 = {r['trend_rho']:.2f}, p = {r['trend_p']:.2g})"
                 if np.isfinite(r["trend_p"]) else f"too few values of {p} to tell a trend")
        return (f"{who}: no sign change along {p} that stands out from the noise ({rng}): {trend}; the advantage is "
                f"{lo} to {hi} across the design points{others}")
    if np.isfinite(r["threshold"]) and r["sense"] != 0:
        missing = "negative" if not r["clear_negative"] else "positive"
        way = "rises" if r["sense"] > 0 else "falls"
        return (f"{who}: no clear sign change in the range swept ({p} {rng}): the advantage {way} with {p} and a "
                f"monotone fit crosses zero near {_fmt_param(p, r['threshold'])}, but it is not clearly {missing} at "
                f"any value of {p} (95% intervals); {lo} to {hi} across the design points{others}")
    return (f"{who}: no sign change in the range swept ({p} {rng}) on average; positive at "
            f"{100 * r['positive_share']:.0f}% of design points ({lo} to {hi}){others}")


def format_difference(o: str, x: float) -> str:
    """A difference in the outcome's unit, '+4.9 pp', '+0.12' (`outcomes.format_change` without an
    interval); 'n/a' for a missing value."""
    return format_change(o, x) if np.isfinite(x) else "n/a"


def value_unit(o: str, kind: str) -> str:
    return (("percentage points" if is_share(o) else difference_unit(o)) if kind == "advantage" else
            ("%" if is_share(o) else unit(o)))


def target_text(series: str, kind: str, o: str) -> str:
    """An analysed quantity in words: 'retention at 10 years (network)', 'network's advantage over dyad in ...'."""
    if kind == "advantage":
        b, a = series.split(f" {MINUS} ")
        return f"{b}'s advantage over {a} in {label(o)} ({series})"
    return f"{label(o)}" + (f" ({series})" if series else "")


def parameter_info() -> dict[str, dict]:
    from simulation.config.params import describe

    return {r["name"]: r for r in describe()}


def parameter_label(p: str, info: dict | None = None) -> str:
    """'network.max_ties (mentors)': the dotted name people write in sweep files, with its unit."""
    info = parameter_info() if info is None else info
    r = info.get(p) or info.get(p.rsplit(".", 1)[0])
    u = (r or {}).get("unit")
    return f"{p} ({u})" if u and u not in ("-", "") else p


def verdict(o: str, state: str, model: str) -> str:
    """'the network is better for faculty everywhere' from an advantage's sign and the outcome's direction."""
    if not direction(o):
        return f"{model}'s level is {'higher' if state == 'positive' else 'lower'} everywhere"
    return f"{model} is {'better' if state == 'positive' else 'worse'} for faculty everywhere"


def capitalized(text: str) -> str:
    """The text with its first letter upper-case (the rest as it is, unlike `str.capitalize`)."""
    return text[:1].upper() + text[1:]

