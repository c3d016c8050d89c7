"""A comparison folder, as the analysis reads it: where each run's tables are, the saved tables
and record (`load`), and the notes on what could not be computed, and why.

    <out>/runs/<scenario>/rep<r>/   each run's tables and manifest (`run_folder`)
    <out>/outcomes.parquet          scenario x replicate x group, every outcome
    <out>/differences.parquet       each scenario minus the reference: paired mean and 95% CI
    <out>/contrasts.parquet         pairs of scenarios (comparison.json "contrasts"; by default each
                                    against the dyad and the status quo): the same columns
    <out>/hazard_ratios.parquet     Cox models of leaving academia
    <out>/gaps.parquet              per scenario and outcome: women minus men, 95% CI over replicates
    <out>/gap_changes.parquet       each scenario's change in the reference's gap, and the share closed
    <out>/decomposition.parquet     per gendered mechanism: the reference's gap with it switched off
                                    (its runs: runs/<reference>~no_<mechanism>/; not a scenario)
    <out>/comparison.json           what was compared, and how; "not_computed", "seconds"

`simulation.experiments.compare` runs the scenarios and writes these; `simulation.analysis.report`
draws the figures and writes report.html from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scipy import stats

from simulation.analysis import gaps as gender_gaps
from simulation.analysis.outcomes import GROUPS, PERSON, RUN, mean_ci, outcome_names, why_missing
from simulation.util import destination

DIFFERENCE_COLUMNS = ("scenario", "reference", "group", "outcome", "n_replicates", "reference_mean", "scenario_mean",
                      "difference", "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high",
                      "paired_to_unpaired_width",
                      # ensemble comparisons only (NaN otherwise): the share of the member-level means'
                      # variance that comes from the calibrated parameters (with its 95% interval), the
                      # interval from chance alone, the members, and how many members' own differences
                      # are above / below zero, and their median (`ensemble_interval`)
                      "share_parameters", "share_low", "share_high", "chance_ci_low", "chance_ci_high",
                      "n_members", "members_above", "members_below", "member_median")
# the columns of a difference that only an ensemble comparison fills (`ensemble_interval`)
ENSEMBLE_COLUMNS = DIFFERENCE_COLUMNS[DIFFERENCE_COLUMNS.index("share_parameters"):]
HAZARD_COLUMNS = ("model", "covariate", "hazard_ratio", "ci_low", "ci_high", "p", "n", "events")


@dataclass
class Comparison:
    out: Path
    scenarios: list[str]
    reference: str
    outcomes: pd.DataFrame
    differences: pd.DataFrame
    hazard_ratios: pd.DataFrame
    meta: dict
    not_computed: list[dict] = field(default_factory=list)  # [{what, why, stage}]: skipped, and why
    gaps: pd.DataFrame = field(default_factory=lambda: gender_gaps.empty(gender_gaps.GAP_COLUMNS))
    gap_changes: pd.DataFrame = field(default_factory=lambda: gender_gaps.empty(gender_gaps.GAP_CHANGE_COLUMNS))
    # empty when the comparison ran without it (meta["decomposition"] is None)
    decomposition: pd.DataFrame = field(default_factory=lambda: gender_gaps.empty(gender_gaps.DECOMPOSITION_COLUMNS))
    # pairs of scenarios (meta["contrasts"]), each A minus B run by run (`paired_contrast`)
    contrasts: pd.DataFrame = field(default_factory=lambda: empty_table(DIFFERENCE_COLUMNS, (
        "scenario", "reference", "group", "outcome")))


def member_interval(means, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, low and high of the interval from member-level means (the last axis: one mean per
    member; any leading axes are separate estimates, e.g. many repetitions at once): mean +-
    t(M - 1) sd / sqrt(M). The core of `ensemble_interval`."""
    means = np.asarray(means, dtype=float)
    m = means.shape[-1]
    mean = means.mean(axis=-1)
    half = stats.t.ppf(0.5 + level / 2, m - 1) * means.std(axis=-1, ddof=1) / np.sqrt(m)
    return mean, mean - half, mean + half


def ensemble_interval(d, members, level: float = 0.95) -> dict[str, float]:
    """The difference across a calibrated ensemble, and its interval, from one value per run.

    `d`: one value per run (e.g. a paired difference, or an outcome); `members`: each run's
    ensemble member (a plausible parameter set). The estimate is the mean over members of each
    member's mean (the effect averaged over the parameter values the calibration allows) and the
    interval comes from the spread of those member-level means: mean +- t(M - 1) sd / sqrt(M).
    Member-level means are independent draws with variance sigma2_params + sigma2_chance / n, so
    the interval holds its level whatever the split between the two (a between-member variance of
    zero, small or large: tests/test_interval_coverage.py checks 95% covers 93-97% of the time),
    and it is never reduced to chance's alone by an estimate truncated at zero (what the one-way
    random-effects split it replaces did for 20 of 360 rows of the default comparison).

    Also returned: `chance_ci_*`, the interval from the within-member spread alone (mean +-
    t(N - M) sqrt(MSW / N): what the interval would be if the parameters were known);
    `share_parameters`, the parameters' share of the member-level means' variance,
    1 - MSW / MSB (0 when the members agree no more than chance predicts), with its exact 95%
    interval `share_low`/`share_high` from MSB / MSW ~ (1 + n sigma2_params / sigma2_chance)
    F(M - 1, N - M) (NaN where it is not estimable: one run per member, or one member);
    `members_above`/`members_below`: how many members' own mean difference is above / below
    zero, and `member_median` their median (the "in 27 of 32 plausible worlds" of the report).

    With one member the interval is the point comparison's t-interval over its runs, exactly.
    Used by `compare` for every difference and contrast; meant for `careersim analyze` too (a
    sweep run across the ensemble)."""
    d = np.asarray(d, dtype=float)
    members = np.asarray(members)
    ok = np.isfinite(d)
    d, members = d[ok], members[ok]
    nan = float("nan")
    out = {"difference": nan, "ci_low": nan, "ci_high": nan, "share_parameters": nan, "share_low": nan,
           "share_high": nan, "chance_ci_low": nan, "chance_ci_high": nan, "n_members": 0,
           "members_above": nan, "members_below": nan, "member_median": nan}
    if len(d) == 0:
        return out
    labels = list(dict.fromkeys(members.tolist()))
    groups = [d[members == m] for m in labels]
    means = np.array([g.mean() for g in groups])
    n_total, n_members = len(d), len(labels)
    out.update(n_members=n_members, members_above=int((means > 0).sum()), members_below=int((means < 0).sum()),
               member_median=float(np.median(means)))
    q = 0.5 + level / 2
    if n_members == 1:  # no spread over parameters: the point comparison's t-interval
        mean, lo, hi = mean_ci(d, level)
        return {**out, "difference": mean, "ci_low": lo, "ci_high": hi, "chance_ci_low": lo, "chance_ci_high": hi}
    mean, low, high = (float(x) for x in member_interval(means, level))
    out.update(difference=mean, ci_low=low, ci_high=high)
    df_w = n_total - n_members
    if df_w > 0:
        n = np.array([len(g) for g in groups], dtype=float)
        msw = float(sum(((g - g.mean()) ** 2).sum() for g in groups) / df_w)
        half_chance = stats.t.ppf(q, df_w) * np.sqrt(msw / n_total)
        out.update(chance_ci_low=mean - half_chance, chance_ci_high=mean + half_chance)
        msb = float((n * (means - d.mean()) ** 2).sum() / (n_members - 1))
        if msw > 0 and msb > 0:
            f = msb / msw
            hi_f, lo_f = (stats.f.ppf(x, n_members - 1, df_w) for x in (q, 1 - q))
            out.update(share_parameters=max(0.0, 1 - 1 / f), share_low=max(0.0, 1 - hi_f / f),
                       share_high=max(0.0, 1 - lo_f / f))
        elif msw == 0 and msb > 0:  # no chance at all: the members' spread is the parameters'
            out.update(share_parameters=1.0, share_low=1.0, share_high=1.0)
    return out


KEYS = ("scenario", "replicate", "member", "seed", "group")  # the outcome table's columns that are not outcomes


def paired_contrast(table: pd.DataFrame, scenario: str, reference: str, columns: list[str] | None = None,
                    level: float = 0.95) -> list[dict]:
    """`scenario` minus `reference`, run by run (the same replicate: the same seed, and member),
    for every group and outcome: the mean of the run-level differences and their paired interval
    (the t-interval over runs; across an ensemble, `ensemble_interval` over the runs' members),
    with the unpaired (Welch) interval for comparison. One row per group and outcome
    (DIFFERENCE_COLUMNS). Any two scenarios of a comparison can be contrasted this way: the
    contrast of A with B is, run by run, A's difference from the reference minus B's."""
    columns = columns or [c for c in table.columns if c not in KEYS]
    by_member = "member" in table.columns
    ref = table[table["scenario"] == reference].set_index(["replicate", "group"])
    cur = table[table["scenario"] == scenario].set_index(["replicate", "group"])
    joined = cur.join(ref, lsuffix="", rsuffix="_ref", how="inner")
    rows = []
    for group in GROUPS:
        if group not in joined.index.get_level_values("group"):
            continue
        g = joined.xs(group, level="group")
        if "n_hires" in g.columns and not (g[["n_hires", "n_hires_ref"]].to_numpy(float) > 0).any():
            continue  # no one of this group was hired (e.g. one gender only): nothing to compare
        for col in columns:
            a = g[col].to_numpy(dtype=float)
            b = g[f"{col}_ref"].to_numpy(dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            if not ok.any():
                continue
            a, b = a[ok], b[ok]
            split = {c: np.nan for c in ENSEMBLE_COLUMNS}
            if by_member:
                split = ensemble_interval(a - b, g["member"].to_numpy()[ok], level)
                diff, lo, hi = (split.pop(k) for k in ("difference", "ci_low", "ci_high"))
            else:
                diff, lo, hi = mean_ci(a - b, level)
            n = len(a)
            if n >= 2:
                va, vb = a.var(ddof=1) / n, b.var(ddof=1) / n
                se = np.sqrt(va + vb)
                df = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1)) if va + vb > 0 else n - 1
                half_unpaired = stats.t.ppf(0.5 + level / 2, df) * se
            else:
                half_unpaired = np.nan
            rows.append({
                "scenario": scenario, "reference": reference, "group": group, "outcome": col,
                "n_replicates": n, "reference_mean": float(b.mean()), "scenario_mean": float(a.mean()),
                "difference": diff, "ci_low": lo, "ci_high": hi,
                "unpaired_ci_low": diff - half_unpaired, "unpaired_ci_high": diff + half_unpaired,
                "paired_to_unpaired_width": (hi - lo) / (2 * half_unpaired) if half_unpaired > 0 else np.nan,
                **split,
            })
    return rows


def contrasts(table: pd.DataFrame, pairs: list[tuple[str, str]], columns: list[str] | None = None,
              level: float = 0.95) -> pd.DataFrame:
    """`paired_contrast` for each (scenario, reference) pair, in one table (DIFFERENCE_COLUMNS)."""
    rows = [r for a, b in pairs for r in paired_contrast(table, a, b, columns, level)]
    if not rows:
        return empty_table(DIFFERENCE_COLUMNS, ("scenario", "reference", "group", "outcome"))
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


DYAD, STATUS_QUO = "dyad", "status_quo"  # the scenarios a reader compares the others with


def default_contrasts(scenarios: list[str]) -> list[tuple[str, str]]:
    """The pairs a reader would ask for, among those present: each other scenario against the
    dyad, then each against the status quo (the dyad too); none if neither is compared."""
    pairs = [(s, DYAD) for s in scenarios if DYAD in scenarios and s not in (DYAD, STATUS_QUO)]
    pairs += [(s, STATUS_QUO) for s in scenarios if STATUS_QUO in scenarios and s != STATUS_QUO]
    return pairs


def with_defaults(scenarios: list[str], pairs: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """The default pairs (`default_contrasts`), then those asked for that are not among them."""
    out = default_contrasts(scenarios)
    return out + [tuple(p) for p in (pairs or []) if tuple(p) not in out]


def parse_contrasts(texts: list[str] | tuple[str, ...], scenarios: list[str]) -> list[tuple[str, str]]:
    """--contrast A:B strings as (A, B) pairs, each checked against the scenarios compared."""
    pairs = []
    for text in texts:
        a, sep, b = text.partition(":")
        a, b = a.strip(), b.strip()
        if not sep or not a or not b or a == b:
            raise ValueError(f"--contrast {text!r}: give two different scenarios as A:B (e.g. network:dyad)")
        for x in (a, b):
            if x not in scenarios:
                raise ValueError(f"--contrast {text!r}: {x!r} is not among the scenarios compared "
                                 f"({', '.join(scenarios)}); add it or pick one of these")
        if (a, b) not in pairs:
            pairs.append((a, b))
    return pairs


def empty_table(columns: tuple[str, ...], text: tuple[str, ...]) -> pd.DataFrame:
    """A table with no rows that still has its columns and types (so it saves and loads as such).

    Parameters
    ----------
    columns : tuple of str
        The table's columns.
    text : tuple of str
        Those of them that hold text (object); the others are float.

    Returns
    -------
    pandas.DataFrame
        The empty table.
    """
    return pd.DataFrame({c: pd.Series(dtype=object if c in text else float) for c in columns})


def note(what: str, why: str, stage: str = "tables") -> dict:
    """One thing that could not be computed, and why (stage: "tables" or "figures")."""
    return {"what": what, "why": why, "stage": stage}


def run_folder(out: Path, scenario: str, replicate: int) -> Path:
    return Path(out) / "runs" / scenario / f"rep{replicate:03d}"


def outcome_notes(table: pd.DataFrame, horizon_years: float, share_women: set[float] | None = None) -> list[dict]:
    """What the outcome table could not give: empty gender groups, outcomes with no value in any run."""
    notes: list[dict] = []
    compared = table["scenario"].nunique() > 1 if len(table) else False

    def and_differences(cols: list[str]) -> str:
        return (", and its differences" if len(cols) == 1 else ", and their differences") if compared else ""

    person = [c for c in outcome_names(PERSON) if c != "n_hires" and c in table.columns]
    hires = table.groupby("group")["n_hires"].sum() if len(table) else pd.Series(dtype=float)
    if hires.get("all", 0) == 0:
        return [note(f"every outcome of hires{and_differences([])}", "no faculty were hired during the runs")]
    for g in GROUPS[1:]:
        if hires.get(g, 0) == 0:
            hint = ""
            if share_women and share_women == {0.0 if g == "women" else 1.0}:
                hint = f" (hiring.share_women = {next(iter(share_women)):g})"
            notes.append(
                note(f"outcomes of {g} hires{and_differences([])}", f"no {g} among the hires of any run{hint}")
            )

    def missing(group: str, columns: list[str]) -> list[str]:
        t = table[table["group"] == group]
        return [c for c in columns if not np.isfinite(t[c].to_numpy(dtype=float)).any()]

    by_reason: dict[str, list[str]] = {}
    gone_all = missing("all", person)
    for c in gone_all:
        by_reason.setdefault(why_missing(c, horizon_years), []).append(c)
    for why, cols in by_reason.items():
        notes.append(note(f"{', '.join(cols)} (all hires and each gender){and_differences(cols)}", why))
    run_level = missing("all", [c for c in outcome_names(RUN) if c in table.columns])
    if run_level:
        notes.append(note(f"{', '.join(run_level)} (run level){and_differences(run_level)}",
                          "no run gave a value (e.g. no one of that rank, or no such mentee, in any run)"))
    for g in GROUPS[1:]:
        if hires.get(g, 0) == 0:
            continue
        by_reason = {}
        for c in missing(g, person):
            if c not in gone_all:
                by_reason.setdefault(why_missing(c, horizon_years, g), []).append(c)
        for why, cols in by_reason.items():
            notes.append(note(f"{', '.join(cols)} for {g}{and_differences(cols)}", why))
    return notes


def difference_notes(diffs: pd.DataFrame, table: pd.DataFrame, scenarios: list[str], reference: str,
                     replicates: int) -> list[dict]:
    """What the paired differences could not give: no other scenario, no interval, no pair with values."""
    if len(scenarios) < 2:
        return [note("differences from the reference (table and figure)",
                     f"only one scenario ({reference}): nothing to compare it with")]
    notes = []
    if replicates < 2:
        notes.append(note("95% confidence intervals of the differences (paired and unpaired)",
                          "one replicate: no interval (an interval needs at least two paired replicates)"))
    elif len(diffs) and (diffs["n_replicates"] < 2).any():
        one = diffs[diffs["n_replicates"] < 2]
        items = [f"{o} ({', '.join(g['group'])})" for o, g in one.groupby("outcome", sort=False)]
        notes.append(note(f"95% confidence intervals of the differences in {', '.join(items)}",
                          "only one replicate had a value in both scenarios: no interval"))
    # an outcome with values in both scenarios' runs, but never in the same replicate of both
    columns = [c for c in table.columns if c not in ("scenario", "replicate", "member", "seed", "group")]
    for s in scenarios:
        if s == reference:
            continue
        lost = []
        for g in GROUPS:
            cur, ref = (table[(table["scenario"] == x) & (table["group"] == g)] for x in (s, reference))
            have = set(diffs.loc[(diffs["scenario"] == s) & (diffs["group"] == g), "outcome"])
            for c in columns:
                if c in have:
                    continue
                if np.isfinite(cur[c].to_numpy(float)).any() or np.isfinite(ref[c].to_numpy(float)).any():
                    lost.append(f"{c} ({g})")
        if lost:
            notes.append(note(f"differences of {s} from {reference} in {', '.join(lost)}",
                              f"no replicate has a value in both {s} and {reference}"))
    return notes


def load(out: str | Path) -> Comparison:
    """A finished comparison, from its folder."""
    out = Path(out)
    meta = json.loads((out / "comparison.json").read_text())
    diffs = pd.read_parquet(out / "differences.parquet")
    hr = pd.read_parquet(out / "hazard_ratios.parquet")
    if diffs.empty:  # folders written before empty tables kept their columns
        diffs = empty_table(DIFFERENCE_COLUMNS, ("scenario", "reference", "group", "outcome"))
    for c in DIFFERENCE_COLUMNS:  # written before the ensemble columns existed
        if c not in diffs.columns:
            diffs[c] = np.nan
    if hr.empty:
        hr = empty_table(HAZARD_COLUMNS, ("model", "covariate"))
    table = pd.read_parquet(out / "outcomes.parquet")
    if "not_computed" not in meta:  # written before the notes existed: derive them from the saved tables
        meta["not_computed"] = saved_notes(out, meta, table, diffs, hr)
    gaps, changes, decomp = (_read_or(out / f"{name}.parquet", columns) for name, columns in (
        ("gaps", gender_gaps.GAP_COLUMNS), ("gap_changes", gender_gaps.GAP_CHANGE_COLUMNS),
        ("decomposition", gender_gaps.DECOMPOSITION_COLUMNS)))
    if gaps is None:  # written before the gap tables existed: computed from the saved outcomes
        gaps = gender_gaps.gaps(table)
        changes = gender_gaps.gap_changes(table, meta["reference"])
    pairs = [tuple(p) for p in meta.get("contrasts", default_contrasts(meta["scenarios"]))]
    meta["contrasts"] = [list(p) for p in pairs]
    con = _read_or(out / "contrasts.parquet", DIFFERENCE_COLUMNS)
    if con is None:  # written before the contrasts existed: computed from the saved outcomes
        con = contrasts(table, pairs)
    return Comparison(out, meta["scenarios"], meta["reference"], table, diffs, hr, meta, list(meta["not_computed"]),
                      gaps, changes, decomp if decomp is not None else gender_gaps.empty(
                          gender_gaps.DECOMPOSITION_COLUMNS), con)


def set_contrasts(out: str | Path, texts: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """Contrast other pairs of a saved comparison's scenarios (--contrast A:B strings, after the
    default pairs): computed from its outcomes.parquet, written to contrasts.parquet and
    comparison.json's "contrasts". Returns the pairs (ValueError on a pair that is not two of its
    scenarios)."""
    out = Path(out)
    meta = json.loads((out / "comparison.json").read_text())
    pairs = with_defaults(meta["scenarios"], parse_contrasts(texts, meta["scenarios"]))
    table = pd.read_parquet(out / "outcomes.parquet")
    destination.write_parquet(contrasts(table, pairs), out / "contrasts.parquet")
    meta["contrasts"] = [list(p) for p in pairs]
    destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    return pairs


def _read_or(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """A saved table (its columns kept when it has no rows), or None if the folder lacks it."""
    if not path.exists():
        return None
    t = pd.read_parquet(path)
    if t.empty:
        return gender_gaps.empty(columns)
    for c in columns:  # written before a column existed
        if c not in t.columns:
            t[c] = np.nan
    return t


def saved_notes(out: Path, meta: dict, table: pd.DataFrame, diffs: pd.DataFrame, hr: pd.DataFrame) -> list[dict]:
    """The notes of a comparison folder written without them, from its saved tables and manifests."""
    scenarios, reference = meta["scenarios"], meta["reference"]
    manifests = [json.loads((run_folder(out, s, 0) / "manifest.json").read_text()) for s in scenarios]
    horizon_years = meta.get("horizon_years") or min(m["n_months"] for m in manifests) / 12
    share_women = {float(m["params"]["hiring"]["share_women"]) for m in manifests}
    notes = outcome_notes(table, horizon_years, share_women) + difference_notes(diffs, table, scenarios, reference,
                                                                                meta["replicates"])
    if len(scenarios) < 2:
        notes.append(note("hazard ratios of scenarios (Cox model)",
                          f"only one scenario ({reference}) among the hires: nothing to compare it with"))
    if len(hr) and "women" not in set(hr["covariate"]):
        hires = table.groupby("group")["n_hires"].sum()
        only = "men" if hires.get("women", 0) == 0 else "women"
        notes.append(note("women's hazard ratio of leaving (gender in the Cox model)",
                          f"only {only} among the hires of every run: "
                          "the gender covariate was left out of the Cox model"))
    return notes


def add_seconds(out: str | Path, stage: str, seconds: float) -> None:
    """Record the wall-clock seconds of one stage in the folder's comparison.json ("seconds")."""
    path = Path(out) / "comparison.json"
    meta = json.loads(path.read_text())
    meta.setdefault("seconds", {})[stage] = seconds
    destination.write_text(path, json.dumps(meta, indent=2) + "\n")


def format_not_computed(notes: list[dict]) -> str:
    """The printed list of what could not be computed, and why ("" when everything was)."""
    if not notes:
        return ""
    return "not computed:\n" + "\n".join(f"  - {n['what']}: {n['why']}" for n in notes)
