"""A comparison folder, as the analysis reads it: where each run's tables are, the saved tables
and record (`load`), and the notes on what could not be computed, and why.

    <out>/runs/<scenario>/rep<r>/   each run's tables and manifest (`run_folder`)
    <out>/outcomes.parquet          scenario x replicate x group, every outcome
    <out>/differences.parquet       each scenario minus the reference: paired mean and 95% CI
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

from simulation.analysis import gaps as gender_gaps
from simulation.analysis.outcomes import GROUPS, PERSON, RUN, outcome_names, why_missing
from simulation.util import destination

DIFFERENCE_COLUMNS = ("scenario", "reference", "group", "outcome", "n_replicates", "reference_mean", "scenario_mean",
                      "difference", "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high",
                      "paired_to_unpaired_width",
                      # ensemble comparisons only (NaN otherwise): the share of the interval's variance that
                      # comes from the calibrated parameters, the interval from chance alone, the members
                      "share_parameters", "chance_ci_low", "chance_ci_high", "n_members")
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


def _empty(columns: tuple[str, ...], text: tuple[str, ...]) -> pd.DataFrame:
    """A table with no rows that still has its columns and types (so it saves and loads as such)."""
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
        diffs = _empty(DIFFERENCE_COLUMNS, ("scenario", "reference", "group", "outcome"))
    for c in DIFFERENCE_COLUMNS:  # written before the ensemble columns existed
        if c not in diffs.columns:
            diffs[c] = np.nan
    if hr.empty:
        hr = _empty(HAZARD_COLUMNS, ("model", "covariate"))
    table = pd.read_parquet(out / "outcomes.parquet")
    if "not_computed" not in meta:  # written before the notes existed: derive them from the saved tables
        meta["not_computed"] = saved_notes(out, meta, table, diffs, hr)
    gaps, changes, decomp = (_read_or(out / f"{name}.parquet", columns) for name, columns in (
        ("gaps", gender_gaps.GAP_COLUMNS), ("gap_changes", gender_gaps.GAP_CHANGE_COLUMNS),
        ("decomposition", gender_gaps.DECOMPOSITION_COLUMNS)))
    if gaps is None:  # written before the gap tables existed: computed from the saved outcomes
        gaps = gender_gaps.gaps(table)
        changes = gender_gaps.gap_changes(table, meta["reference"])
    return Comparison(out, meta["scenarios"], meta["reference"], table, diffs, hr, meta, list(meta["not_computed"]),
                      gaps, changes, decomp if decomp is not None else gender_gaps.empty(
                          gender_gaps.DECOMPOSITION_COLUMNS))


def _read_or(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """A saved table (its columns kept when it has no rows), or None if the folder lacks it."""
    if not path.exists():
        return None
    t = pd.read_parquet(path)
    return gender_gaps.empty(columns) if t.empty else t


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
