"""The gender gap as an outcome: women minus men in every person-level outcome, how each scenario
changes the reference's gap, and how much of the reference's gap each gendered mechanism carries.

Three tables, all computed from a comparison's outcome table (scenario x replicate x group):

    gaps          per scenario and person-level outcome: the women and men means over replicates
                  and the gap (women minus men), with a 95% t-interval over replicates
    gap_changes   per scenario (not the reference) and outcome: the reference's gap, the scenario's,
                  the change ((scenario women - men) - (reference women - men), paired by replicate,
                  95% t-interval) and the share of the reference's gap the scenario closes
    decomposition per gendered mechanism (`config.gender.MECHANISMS`) and headline outcome: the
                  reference's gap, its gap when the reference is rerun on the same seeds with that
                  mechanism switched off, and the change (paired by replicate, 95% t-interval)

Replicate r of every scenario, and of every rerun with a mechanism switched off, runs on seed
`seed + r` (common random numbers), so gaps are compared replicate by replicate.

The share of the reference's gap closed is a ratio of two paired means: with G_r the
reference's gap in replicate r and D_r = G_r - S_r its reduction in the scenario (or with the
mechanism off), share = mean(D) / mean(G). Its 95% interval is Fieller's: the values theta for
which a one-sample t-test of D_r - theta G_r (n - 1 degrees of freedom) does not reject zero at
the 5% level. It is exact for normally distributed replicate means, uses the pairing (the
covariance of D and G), needs no resampling and no seed, and is a bounded interval exactly when
the reference's own 95% interval of its gap excludes zero. When it does not (or with one
replicate), the share is not defined: a gap that may be zero cannot be closed by a share, and
the table says so (`share_defined` False, NaN share) instead of a huge ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.analysis.outcomes import PERSON, direction, format_change, headline, label, mean_ci, outcome_names
from simulation.config.gender import MECHANISMS

GAP_COLUMNS = ("scenario", "outcome", "n_replicates", "women_mean", "men_mean", "gap", "ci_low", "ci_high")
GAP_CHANGE_COLUMNS = ("scenario", "reference", "outcome", "n_replicates", "ref_gap", "ref_ci_low", "ref_ci_high",
                      "scenario_gap", "change", "ci_low", "ci_high", "share_closed", "share_ci_low", "share_ci_high",
                      "share_defined")
DECOMPOSITION_COLUMNS = ("mechanism", "label", "source", "switched_off", "already_off", "scenario", "reference",
                         "outcome", "n_replicates", "ref_gap", "ref_ci_low", "ref_ci_high", "gap_off", "change",
                         "ci_low", "ci_high", "share_carried", "share_ci_low", "share_ci_high", "share_defined")
TEXT_COLUMNS = ("scenario", "reference", "outcome", "mechanism", "label", "source", "switched_off")
MINUS = "\u2212"


def empty(columns: tuple[str, ...]) -> pd.DataFrame:
    """A table with no rows that keeps its columns and types."""
    def dtype(c: str):
        return object if c in TEXT_COLUMNS else bool if c in ("share_defined", "already_off") else float
    return pd.DataFrame({c: pd.Series(dtype=dtype(c)) for c in columns})


def decomposition_scenario(reference: str, mechanism: str) -> str:
    """The name of the reference rerun with one mechanism switched off: 'status_quo~no_startup'."""
    return f"{reference}~no_{mechanism}"


def person_outcomes(table: pd.DataFrame) -> list[str]:
    """The person-level outcomes of the registry in the table (registry order; not the hire count)."""
    return [o for o in outcome_names(PERSON) if o in table.columns and o != "n_hires"]


def replicate_gaps(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Women and men per scenario and replicate in one outcome: columns women, men, gap (NaN where
    either is missing), index (scenario, replicate)."""
    t = table[table["group"].isin(["women", "men"])]
    w = t.pivot_table(index=["scenario", "replicate"], columns="group", values=outcome, aggfunc="first",
                      dropna=False)
    for g in ("women", "men"):
        if g not in w.columns:
            w[g] = np.nan
    w = w[["women", "men"]].astype(float)
    w["gap"] = w["women"] - w["men"]
    return w


def share_interval(reduction, base, level: float = 0.95) -> tuple[float, float, float, bool]:
    """mean(reduction) / mean(base) with Fieller's interval for paired replicates; (share, low,
    high, defined). Not defined (NaN) when the interval of mean(base) includes zero or there are
    fewer than two replicates: the interval would be unbounded."""
    from scipy import stats

    d, g = np.asarray(reduction, dtype=float), np.asarray(base, dtype=float)
    ok = np.isfinite(d) & np.isfinite(g)
    d, g = d[ok], g[ok]
    n = len(d)
    if n < 2:
        return np.nan, np.nan, np.nan, False
    t2 = stats.t.ppf(0.5 + level / 2, n - 1) ** 2
    cov = np.cov(np.vstack([d, g]), ddof=1) / n  # covariance of the two means
    a = g.mean() ** 2 - t2 * cov[1, 1]
    if not a > 0:  # the base's interval includes zero: no bounded interval
        return np.nan, np.nan, np.nan, False
    b = -2 * (d.mean() * g.mean() - t2 * cov[0, 1])
    c = d.mean() ** 2 - t2 * cov[0, 0]
    root = np.sqrt(max(b * b - 4 * a * c, 0.0))
    return float(d.mean() / g.mean()), float((-b - root) / (2 * a)), float((-b + root) / (2 * a)), True


def gaps(table: pd.DataFrame, outcomes: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Women minus men per scenario and person-level outcome, mean over the replicates that have
    both, with its t-interval (`GAP_COLUMNS`)."""
    outcomes = person_outcomes(table) if outcomes is None else outcomes
    if table.empty or not {"women", "men"} <= set(table["group"]):
        return empty(GAP_COLUMNS)
    rows = []
    for o in outcomes:
        rg = replicate_gaps(table, o)
        for s in table["scenario"].unique():
            if s not in rg.index.get_level_values("scenario"):
                continue
            x = rg.xs(s, level="scenario")
            x = x[np.isfinite(x["gap"])]
            if x.empty:
                continue
            gap, lo, hi = mean_ci(x["gap"].to_numpy(), level)
            rows.append({"scenario": s, "outcome": o, "n_replicates": len(x), "women_mean": float(x["women"].mean()),
                         "men_mean": float(x["men"].mean()), "gap": gap, "ci_low": lo, "ci_high": hi})
    if not rows:
        return empty(GAP_COLUMNS)
    order = {s: i for i, s in enumerate(table["scenario"].unique())}
    out = pd.DataFrame(rows, columns=list(GAP_COLUMNS))
    return out.sort_values("scenario", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def gap_changes(table: pd.DataFrame, reference: str, outcomes: list[str] | None = None,
                scenarios: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Each scenario's change in the women-minus-men gap from the reference's, paired by
    replicate, and the share of the reference's gap it closes (`GAP_CHANGE_COLUMNS`; see the
    module's docstring for the interval of the share)."""
    outcomes = person_outcomes(table) if outcomes is None else outcomes
    if table.empty or not {"women", "men"} <= set(table["group"]):
        return empty(GAP_CHANGE_COLUMNS)
    scenarios = [s for s in (table["scenario"].unique() if scenarios is None else scenarios) if s != reference]
    rows = []
    for o in outcomes:
        if o not in table.columns:
            continue
        gap = replicate_gaps(table, o)["gap"].unstack("scenario")  # replicate x scenario
        if reference not in gap.columns:
            continue
        ref = gap[reference].to_numpy(float)
        for s in scenarios:
            if s not in gap.columns:
                continue
            cur = gap[s].to_numpy(float)
            ok = np.isfinite(cur) & np.isfinite(ref)
            if not ok.any():
                continue
            change, lo, hi = mean_ci(cur[ok] - ref[ok], level)
            ref_gap, ref_lo, ref_hi = mean_ci(ref[ok], level)
            share, s_lo, s_hi, defined = share_interval(ref[ok] - cur[ok], ref[ok], level)
            rows.append({"scenario": s, "reference": reference, "outcome": o, "n_replicates": int(ok.sum()),
                         "ref_gap": ref_gap, "ref_ci_low": ref_lo, "ref_ci_high": ref_hi,
                         "scenario_gap": float(cur[ok].mean()), "change": change, "ci_low": lo, "ci_high": hi,
                         "share_closed": share, "share_ci_low": s_lo, "share_ci_high": s_hi,
                         "share_defined": defined})
    if not rows:
        return empty(GAP_CHANGE_COLUMNS)
    order = {s: i for i, s in enumerate(scenarios)}
    out = pd.DataFrame(rows, columns=list(GAP_CHANGE_COLUMNS))
    return out.sort_values("scenario", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def decomposition_outcomes(table: pd.DataFrame, reference: str) -> list[str]:
    """The headline outcomes the decomposition covers: those with a gap in some replicate of the reference."""
    have = set(gaps(table[table["scenario"] == reference])["outcome"]) if len(table) else set()
    return headline(have)


def decomposition(table: pd.DataFrame, reference: str, outcomes: list[str] | None = None,
                  mechanisms=MECHANISMS, already_off: tuple[str, ...] | list[str] = (),
                  level: float = 0.95) -> pd.DataFrame:
    """For each mechanism and outcome (the headline ones by default): the reference's gap, the gap
    of the reference rerun with the mechanism switched off (scenario `decomposition_scenario`, in
    `table`), and the change, paired by replicate (`DECOMPOSITION_COLUMNS`). `share_carried` is
    the share of the reference's gap that goes when the mechanism is switched off.

    A mechanism in `already_off` has no effect in the reference (switching it off changes no
    parameter), so it was not rerun: its rows compare the reference with itself (change 0)."""
    outcomes = decomposition_outcomes(table, reference) if outcomes is None else outcomes
    ref_rows = table[table["scenario"] == reference]
    parts = [table]
    for m in mechanisms:
        if m.name in already_off:
            parts.append(ref_rows.assign(scenario=decomposition_scenario(reference, m.name)))
    names = [decomposition_scenario(reference, m.name) for m in mechanisms]
    changes = gap_changes(pd.concat(parts, ignore_index=True), reference, outcomes, names, level)
    if changes.empty:
        return empty(DECOMPOSITION_COLUMNS)
    by_scenario = {decomposition_scenario(reference, m.name): m for m in mechanisms}
    rows = []
    for _, r in changes.iterrows():
        m = by_scenario[r["scenario"]]
        rows.append({"mechanism": m.name, "label": m.label, "source": m.source, "switched_off": m.switched_off,
                     "already_off": m.name in already_off, **{k: r[k] for k in GAP_CHANGE_COLUMNS if k in r},
                     "gap_off": r["scenario_gap"], "share_carried": r["share_closed"]})
    out = pd.DataFrame(rows)
    order = {m.name: i for i, m in enumerate(mechanisms)}
    out = out.sort_values("mechanism", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
    return out[list(DECOMPOSITION_COLUMNS)]


# --- in words and numbers -------------------------------------------------------------------------

def fmt_gap(outcome: str, x: float, lo: float = np.nan, hi: float = np.nan, unit: bool = True,
            minus: str = MINUS) -> str:
    """'−3.1 pp [−4.0, −2.2]' in the outcome's unit (`minus`: the sign's character; the report's
    tables, like its other tables, use the hyphen)."""
    if not np.isfinite(x):
        return "n/a"
    return format_change(outcome, x, lo, hi, unit).replace("-", minus)


def fmt_share(share: float, lo: float, hi: float, defined: bool) -> str:
    """'30% [20%, 40%]', or 'not defined' when the reference's gap may be zero."""
    if not defined or not np.isfinite(share):
        return "not defined"
    def pct(x: float) -> str:
        return f"{round(100 * x)}%"  # an int: a share that rounds to zero prints 0%, not -0%
    return f"{pct(share)} [{pct(lo)}, {pct(hi)}]".replace("-", MINUS)


def share_words(share: float, lo: float, hi: float, defined: bool) -> str:
    """The share of a gap a scenario closes, in words: 'closes 30% [20%, 40%]', 'widens it by 131%
    [60%, 200%]' (a negative share), 'reverses it: closes 140% [...]' (beyond all of it)."""
    if not defined or not np.isfinite(share):
        return "share closed not defined"
    if share < 0:
        return f"widens it by {fmt_share(-share, -hi, -lo, True)}"
    if share > 1:
        return f"reverses it: closes {fmt_share(share, lo, hi, True)}"
    return f"closes {fmt_share(share, lo, hi, True)}"


def who_is_behind(outcome: str, gap: float, lo: float, hi: float) -> str:
    """'women behind', 'women ahead' (by the outcome's direction), '' when the interval includes
    zero or the outcome has no better direction."""
    if direction(outcome) == 0 or not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 <= hi:
        return ""
    return "women behind" if direction(outcome) * gap < 0 else "women ahead"


def share_sentence(row, reference: str, what: str) -> str:
    """One line for one scenario (or mechanism) and outcome: the share of the reference's gap it
    closes, or, when that share is not defined, the change in the gap and why."""
    o = row["outcome"]
    ref = f"{reference}'s gap in {label(o)} ({fmt_gap(o, row['ref_gap'], row['ref_ci_low'], row['ref_ci_high'])})"
    change = fmt_gap(o, row["change"], row["ci_low"], row["ci_high"])
    if row["share_defined"]:
        share = share_words(row["share_closed"], row["share_ci_low"], row["share_ci_high"], True)
        if share.startswith("widens it by "):
            return f"{what} widens {ref} by {share.removeprefix('widens it by ')}: change {change}"
        return f"{what} {share} of {ref}: change {change}"
    why = "one replicate, no interval" if row["n_replicates"] < 2 else f"{reference}'s gap may be zero"
    return f"{what} changes the gap in {label(o)} by {change} (share closed not defined: {why})"


def format_gap_summary(gap_table: pd.DataFrame, changes: pd.DataFrame, decomp: pd.DataFrame, reference: str,
                       outcomes: list[str], replicates: int) -> str:
    """The gender-gap summary `careersim compare` prints after the differences: the reference's
    gap in each of `outcomes`, each scenario's change in it and the share closed, and, with a
    decomposition, what each mechanism carries. Every number from the tables."""
    reps = f"{replicates} replicate{'s' if replicates != 1 else ''}"
    lines = [f"gender gaps (women minus men) in {reference}, mean over {reps}, 95% CI:"]
    ref = gap_table[gap_table["scenario"] == reference].set_index("outcome") if len(gap_table) else gap_table
    shown = [o for o in outcomes if o in ref.index]
    if not shown:
        return "gender gaps: none could be computed (no women or no men among the hires)"
    for o in shown:
        r = ref.loc[o]
        behind = who_is_behind(o, r["gap"], r["ci_low"], r["ci_high"])
        lines.append(f"  {label(o)}: {fmt_gap(o, r['gap'], r['ci_low'], r['ci_high'])}"
                     + (f" ({behind})" if behind else ""))
    c = changes[changes["outcome"].isin(shown)] if len(changes) else changes
    if len(c):
        lines.append(f"change in the gap from {reference}, paired by replicate:")
        for o in shown:
            for _, r in c[c["outcome"] == o].iterrows():
                lines.append("  " + share_sentence(r, reference, r["scenario"]))
    d = decomp[decomp["outcome"].isin(shown)] if len(decomp) else decomp
    if len(d):
        lines.append(f"what each gendered mechanism carries: {reference} rerun with it switched off, "
                     "change in the gap, 95% CI:")
        rows = []
        for m, g in d.groupby("mechanism", sort=False):
            row = {"mechanism": m}
            for o in shown:
                x = g[g["outcome"] == o]
                row[o] = (fmt_gap(o, x["change"].iloc[0], x["ci_low"].iloc[0], x["ci_high"].iloc[0])
                          + (" (already off)" if x["already_off"].iloc[0] else "")) if len(x) else ""
            rows.append(row)
        lines.extend("  " + line for line in pd.DataFrame(rows).to_string(index=False).splitlines())
        lines.extend(x for x in (lead_mechanism_sentence(decomp, reference, shown[0]),
                                 unmoved_sentence(decomp, shown)) if x)
    return "\n".join(lines)


def unmoved_sentence(decomp: pd.DataFrame, outcomes: list[str]) -> str:
    """The mechanisms whose switching off changed none of these gaps in any replicate (rerun, not
    already off), in one sentence; "" if none."""
    d = decomp[decomp["outcome"].isin(outcomes) & ~decomp["already_off"].astype(bool)] if len(decomp) else decomp
    if d.empty:
        return ""
    zero = d.groupby("mechanism", sort=False).apply(
        lambda g: bool(((g["change"] == 0) & (g["ci_low"].fillna(0) == 0) & (g["ci_high"].fillna(0) == 0)).all()),
        include_groups=False)
    labels = list(d.drop_duplicates("mechanism").set_index("mechanism").loc[zero[zero].index, "label"])
    if not labels:
        return ""
    names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"Switching off {names} changed none of these gaps in any replicate."


def lead_mechanism_sentence(decomp: pd.DataFrame, reference: str, outcome: str) -> str:
    """Which mechanism carries most of the reference's gap in `outcome` (the one whose switching
    off narrows the gap most, among those whose change has a 95% interval excluding zero)."""
    d = decomp[decomp["outcome"] == outcome] if len(decomp) else decomp
    if d.empty:
        return ""
    first = d.iloc[0]
    narrowing = np.abs(first["ref_gap"]) - np.abs(d["gap_off"])  # by how much |gap| shrinks with it off
    sure = d[np.isfinite(d["ci_low"]) & ((d["ci_low"] > 0) | (d["ci_high"] < 0)) & (narrowing > 0)]
    where = (f"{reference}'s gap in {label(outcome)} "
             f"({fmt_gap(outcome, first['ref_gap'], first['ref_ci_low'], first['ref_ci_high'])})")
    if sure.empty and not np.isfinite(d["ci_low"]).any():
        return (f"With one replicate, no change in {where} has an interval: none can be said to carry it "
                "(see the table for the changes).")
    if sure.empty:
        return (f"No mechanism, switched off alone, narrows {where} beyond its 95% interval "
                f"({len(d)} mechanisms).")
    best = sure.loc[narrowing[sure.index].idxmax()]
    change = fmt_gap(outcome, best["change"], best["ci_low"], best["ci_high"])
    text = (f"{best['label'][0].upper() + best['label'][1:]} carries most of {where}: switching it off moves the "
            f"gap to {fmt_gap(outcome, best['gap_off'])} (change {change}")
    if best["share_defined"]:
        text += f"; {fmt_share(best['share_carried'], best['share_ci_low'], best['share_ci_high'], True)} of the gap"
    return text + ")."
