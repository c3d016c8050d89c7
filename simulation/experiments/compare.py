"""Replicated, paired comparisons of scenarios.

Replicate r of every scenario runs with seed `seed + r`, so all scenarios face the same
people (common random numbers) and differences can be paired replicate by replicate.

    <out>/runs/<scenario>/rep<r>/   each run's tables and manifest
    <out>/outcomes.parquet          scenario x replicate x group, every outcome
    <out>/differences.parquet       each scenario minus the reference: paired mean and 95% CI,
                                    with the unpaired interval for comparison
    <out>/hazard_ratios.parquet     Cox model of leaving academia: scenario and gender,
                                    without and with publications
    <out>/comparison.json           what was compared, and how; "not_computed" lists every analysis
                                    that could not be computed here, and why
    <out>/figures/, <out>/report.html
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.util import destination
from simulation.analysis.outcomes import GROUPS, OUTCOMES, PEOPLE_COLUMNS, cohort, composition, mean_ci, outcomes, why_missing
from simulation.config.params import Params
from simulation.util.progress import step
from simulation.run.results import TABLES, run_id
from simulation.config.scenario import load_scenario, resolve_path, scenario_question
from simulation.experiments.executors import RunSpec, map_tasks, run_many

DEFAULT_SCENARIOS = ("status_quo", "dyad", "committee", "network", "network_peers")
DEFAULT_REPLICATES = 16

RUN_LEVEL: dict[str, str] = {
    "load_median": "median mentees (all kinds) among faculty with any, last 10 years",
    "load_p25": "25th percentile of mentees, last 10 years",
    "load_p75": "75th percentile of mentees, last 10 years",
    "mean_load_assistant": "mean mentees of assistant professors, last 10 years",
    "mean_load_associate": "mean mentees of associate professors, last 10 years",
    "mean_load_full": "mean mentees of full professors, last 10 years",
    "share_seniors_overloaded": "seniors past the comfortable load, last 10 years",
    "share_seniors_strong_all": "seniors strong in all five functions, last 10 years",
    "share_women_with_woman_mentor": "women proteges with a woman mentor, last 10 years",
    "share_women_assistant_end": "women's share of assistant professors at the end",
    "share_women_associate_end": "women's share of associate professors at the end",
    "share_women_full_end": "women's share of full professors at the end",
}

KEY_OUTCOMES = ("retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_5y", "grant_10y",
                "promoted_10y", "share_months_hole", "mean_unmet")

DIFFERENCE_COLUMNS = ("scenario", "reference", "group", "outcome", "n_replicates", "reference_mean", "scenario_mean",
                      "difference", "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high",
                      "paired_to_unpaired_width")
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


def _empty(columns: tuple[str, ...], text: tuple[str, ...]) -> pd.DataFrame:
    """A table with no rows that still has its columns and types (so it saves and loads as such)."""
    return pd.DataFrame({c: pd.Series(dtype=object if c in text else float) for c in columns})


def note(what: str, why: str, stage: str = "tables") -> dict:
    """One thing that could not be computed, and why (stage: "tables" or "figures")."""
    return {"what": what, "why": why, "stage": stage}


def run_level(series: pd.DataFrame) -> dict[str, float]:
    last = series.iloc[-120:]
    comp = composition(series).iloc[-1]
    out = {k: float(last[k].mean()) for k in RUN_LEVEL if k in last.columns}
    for r in ("assistant", "associate", "full"):
        out[f"share_women_{r}_end"] = float(comp[f"share_women_{r}"])
    return out


def table_outcomes(people: pd.DataFrame, series: pd.DataFrame, n_months: int) -> pd.DataFrame:
    """One row per group for one run's tables: every person-level outcome, then the run-level
    ones (group "all" only). Comparisons read the tables from disk, sweeps pass them in memory."""
    o = outcomes(people, n_months)
    everyone = (o["group"] == "all").to_numpy()
    run = pd.DataFrame({k: np.where(everyone, v, np.nan) for k, v in run_level(series).items()}, index=o.index)
    return pd.concat([o, run], axis=1)


HIRE_COLUMNS = ["gender", "hire_month", "end_month", "censored", "pubs", "initial"]  # for the Cox models


def run_outcomes(folder: Path, scenario: str, replicate: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one run folder, from one read of its tables: one row per group with every
    person-level outcome plus the run-level ones, and the run's hires (labelled) for the pooled
    Cox models."""
    people = pd.read_parquet(folder / "people.parquet", columns=list(PEOPLE_COLUMNS))
    series = pd.read_parquet(folder / "series.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    o = table_outcomes(people, series, manifest["n_months"])
    o.insert(0, "scenario", scenario)
    o.insert(1, "replicate", replicate)
    o.insert(2, "seed", manifest["seed"])
    c = cohort(people[HIRE_COLUMNS])
    c["scenario"] = scenario
    c["replicate"] = replicate
    return o, c


def _run_outcomes_task(task: tuple[str, str, int]):
    folder, scenario, replicate = task
    return scenario, replicate, run_outcomes(Path(folder), scenario, replicate)


def paired_differences(table: pd.DataFrame, reference: str, columns: list[str] | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, with paired and unpaired CIs."""
    columns = columns or [c for c in table.columns if c not in ("scenario", "replicate", "seed", "group")]
    ref = table[table["scenario"] == reference].set_index(["replicate", "group"])
    rows = []
    for scenario in table["scenario"].unique():
        if scenario == reference:
            continue
        cur = table[table["scenario"] == scenario].set_index(["replicate", "group"])
        joined = cur.join(ref, lsuffix="", rsuffix="_ref", how="inner")
        for group in GROUPS:
            g = joined.xs(group, level="group") if group in joined.index.get_level_values("group") else None
            if g is None:
                continue
            if "n_hires" in g.columns and not (g[["n_hires", "n_hires_ref"]].to_numpy(float) > 0).any():
                continue  # no one of this group was hired (e.g. one gender only): nothing to compare
            for col in columns:
                a = g[col].to_numpy(dtype=float)
                b = g[f"{col}_ref"].to_numpy(dtype=float)
                ok = np.isfinite(a) & np.isfinite(b)
                if not ok.any():
                    continue
                a, b = a[ok], b[ok]
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
                })
    if not rows:
        return _empty(DIFFERENCE_COLUMNS, ("scenario", "reference", "group", "outcome"))
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def hazard_ratios(pooled: pd.DataFrame, reference: str, max_rows: int = 150_000,
                  notes: list[dict] | None = None) -> pd.DataFrame:
    """Cox models of leaving academia among hires: scenario and gender, then adding publications.

    A covariate that does not vary (one gender among the hires, one scenario) is left out of
    the model, and a model that cannot be fitted is skipped; each is recorded in `notes`."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    notes = [] if notes is None else notes
    empty = _empty(HAZARD_COLUMNS, ("model", "covariate"))
    data = pooled.copy()
    if len(data) == 0:
        notes.append(note("hazard ratios of leaving academia (Cox model)", "no faculty were hired during the runs"))
        return empty
    if len(data) > max_rows:  # keep whole replicates, so pairs stay paired
        keep = sorted(data["replicate"].unique())
        per = len(data) / len(keep)
        data = data[data["replicate"].isin(keep[: max(1, int(max_rows // per))])]
    design = pd.DataFrame({"years": data["years"].clip(lower=1 / 12), "left": data["left"].astype(int)})
    if design["left"].sum() == 0:
        notes.append(note("hazard ratios of leaving academia (Cox model)",
                          "no hire left academia during the runs: there is no hazard to model"))
        return empty
    design["women"] = (data["gender"] == "women").astype(float).to_numpy()
    scenarios = [s for s in data["scenario"].unique() if s != reference]
    for s in scenarios:
        design[f"scenario: {s}"] = (data["scenario"] == s).astype(float).to_numpy()
    design["log publications per year"] = np.log1p(data["pubs"] / data["years"].clip(lower=0.5)).to_numpy()
    if not scenarios:
        notes.append(note("hazard ratios of scenarios (Cox model)",
                          f"only one scenario ({reference}) among the hires: nothing to compare it with"))
    constant = [c for c in design.columns if c not in ("years", "left") and design[c].nunique() < 2]
    for c in constant:
        if c == "women":
            only = "women" if design[c].iloc[0] == 1 else "men"
            other = "men" if only == "women" else "women"
            why = f"only {only} among the hires of every run (no {other}): the gender covariate was left out of the Cox model"
            notes.append(note("women's hazard ratio of leaving (gender in the Cox model)", why))
        elif c.startswith("scenario: "):
            notes.append(note(f"hazard ratio of {c[len('scenario: '):]} (Cox model)",
                              "no hire of the pooled runs belongs to it: the covariate was left out"))
        else:
            notes.append(note(f"hazard ratio of {c} (Cox model)",
                              "it takes the same value for every hire: the covariate was left out"))
    design = design.drop(columns=constant)
    rows = []
    for label, covariates in (("without publications", [c for c in design.columns if c not in ("years", "left", "log publications per year")]),
                              ("with publications", [c for c in design.columns if c not in ("years", "left")])):
        if not covariates:
            notes.append(note(f"Cox model {label}", "no covariate of this model varies among the hires"))
            continue
        cph = CoxPHFitter(penalizer=1e-6)
        try:  # narrow: lifelines' own signal that these data cannot identify the model
            cph.fit(design[["years", "left", *covariates]], duration_col="years", event_col="left")
        except ConvergenceError as exc:
            notes.append(note(f"Cox model {label}", f"lifelines could not fit it: {str(exc).split('.')[0]}"))
            continue
        summ = cph.summary
        for cov in covariates:
            rows.append({
                "model": label, "covariate": cov,
                "hazard_ratio": float(summ.loc[cov, "exp(coef)"]),
                "ci_low": float(summ.loc[cov, "exp(coef) lower 95%"]),
                "ci_high": float(summ.loc[cov, "exp(coef) upper 95%"]),
                "p": float(summ.loc[cov, "p"]),
                "n": int(len(design)), "events": int(design["left"].sum()),
            })
    return pd.DataFrame(rows, columns=list(HAZARD_COLUMNS)) if rows else empty


def outcome_notes(table: pd.DataFrame, horizon_years: float, share_women: set[float] | None = None) -> list[dict]:
    """What the outcome table could not give: empty gender groups, outcomes with no value in any run."""
    notes: list[dict] = []
    compared = table["scenario"].nunique() > 1 if len(table) else False

    def and_differences(cols: list[str]) -> str:
        return (", and its differences" if len(cols) == 1 else ", and their differences") if compared else ""

    person = [c for c in OUTCOMES if c != "n_hires" and c in table.columns]
    hires = table.groupby("group")["n_hires"].sum() if len(table) else pd.Series(dtype=float)
    if hires.get("all", 0) == 0:
        return [note(f"every outcome of hires{and_differences([])}", "no faculty were hired during the runs")]
    for g in GROUPS[1:]:
        if hires.get(g, 0) == 0:
            hint = ""
            if share_women and share_women == {0.0 if g == "women" else 1.0}:
                hint = f" (hiring.share_women = {next(iter(share_women)):g})"
            notes.append(note(f"outcomes of {g} hires{and_differences([])}", f"no {g} among the hires of any run{hint}"))

    def missing(group: str, columns: list[str]) -> list[str]:
        t = table[table["group"] == group]
        return [c for c in columns if not np.isfinite(t[c].to_numpy(dtype=float)).any()]

    by_reason: dict[str, list[str]] = {}
    gone_all = missing("all", person)
    for c in gone_all:
        by_reason.setdefault(why_missing(c, horizon_years), []).append(c)
    for why, cols in by_reason.items():
        notes.append(note(f"{', '.join(cols)} (all hires and each gender){and_differences(cols)}", why))
    run_level = missing("all", [c for c in RUN_LEVEL if c in table.columns])
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
    columns = [c for c in table.columns if c not in ("scenario", "replicate", "seed", "group")]
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


def run_folder(out: Path, scenario: str, replicate: int) -> Path:
    return Path(out) / "runs" / scenario / f"rep{replicate:03d}"


def resolve(scenarios: list[str], sets: list[str]) -> dict[str, Params]:
    """Validate every scenario before anything runs."""
    resolved = {}
    for s in scenarios:
        p = load_scenario(s, sets)
        if p.name in resolved:
            raise ValueError(f"scenario {p.name!r} is listed twice")
        resolved[p.name] = p
    return resolved


def default_folder(scenarios: list[str] | tuple[str, ...] = DEFAULT_SCENARIOS, replicates: int = DEFAULT_REPLICATES,
                   seed: int = 1, reference: str | None = None, sets: list[str] | tuple[str, ...] = (),
                   root: str | Path = "results/compare") -> Path:
    """Where a comparison goes by default: its own folder for each thing compared (scenarios,
    reference, overrides, seed, replicates), so a different comparison never lands on another
    one, and the same one resumes where it stopped. `default` for the default comparison."""
    names = [Path(str(s)).stem for s in scenarios]
    key = json.dumps({"scenarios": [str(s) for s in scenarios], "reference": reference or names[0],
                      "sets": list(sets), "seed": seed, "replicates": replicates}, sort_keys=True)
    if key == json.dumps({"scenarios": list(DEFAULT_SCENARIOS), "reference": DEFAULT_SCENARIOS[0], "sets": [],
                          "seed": 1, "replicates": DEFAULT_REPLICATES}, sort_keys=True):
        return Path(root) / "default"
    label = "-vs-".join(names) if len(names) <= 3 else f"{names[0]}-and-{len(names) - 1}-more"
    return Path(root) / f"{label[:60]}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def compare(
    scenarios: list[str] | tuple[str, ...] = DEFAULT_SCENARIOS,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 1,
    out: str | Path | None = None,
    reference: str | None = None,
    sets: list[str] | tuple[str, ...] = (),
    executor: str = "processes",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> Comparison:
    """Run every scenario `replicates` times on paired seeds; write tables, figures, report."""
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1 (got {replicates})")
    resolved = resolve(list(scenarios), list(sets))
    names = list(resolved)
    reference = reference or names[0]
    if reference not in resolved:
        raise ValueError(f"reference {reference!r} is not among the scenarios compared ({', '.join(names)})")
    if out is None:
        out = default_folder(list(scenarios), replicates, seed, reference, list(sets))
    out = destination.claim(out, "comparison")
    destination.remove_leftovers([out, out / "figures"])  # of a comparison that was killed
    specs = []
    for r in range(replicates):
        for name, p in resolved.items():
            p_r = p.model_copy(update={"seed": seed + r})
            specs.append(RunSpec(p_r, run_folder(out, name, r), {"scenario": name, "replicate": r}))
    t0 = time.perf_counter()
    run_many(specs, executor=executor, workers=workers, address=address, progress=progress, desc="comparison")
    t1 = time.perf_counter()

    step(f"analysing {len(specs)} runs: outcomes, paired differences, Cox models", progress)
    # each run's outcomes and hires, read once, on the workers (in the order of the runs after)
    tasks = [(str(s.out), s.labels["scenario"], s.labels["replicate"]) for s in specs]
    order = {n: i for i, n in enumerate(names)}
    per_run = sorted(map_tasks(_run_outcomes_task, tasks, executor="serial" if executor == "serial" else "processes",
                               workers=workers), key=lambda x: (order[x[0]], x[1]))
    table = pd.concat([o for _, _, (o, _) in per_run], ignore_index=True).sort_values(
        ["scenario", "replicate", "group"], key=lambda c: c.map(order) if c.name == "scenario" else c)
    pooled = pd.concat([c for _, _, (_, c) in per_run], ignore_index=True)
    diffs = paired_differences(table, reference)
    horizon_years = min(resolved[n].n_months for n in names) / 12
    notes = outcome_notes(table, horizon_years, {float(resolved[n].hiring.share_women) for n in names})
    notes += difference_notes(diffs, table, names, reference, replicates)
    hr = hazard_ratios(pooled, reference, notes=notes)
    meta = {
        "scenarios": names,
        "reference": reference,
        "replicates": replicates,
        "seeds": [seed + r for r in range(replicates)],
        "sets": list(sets),
        "questions": {n: _question(n) for n in names},
        "descriptions": {n: resolved[n].description for n in names},
        "models": {n: resolved[n].mentoring.model for n in names},
        "run_ids": {n: [run_id(resolved[n].model_copy(update={"seed": seed + r})) for r in range(replicates)] for n in names},
        "outcomes": {**OUTCOMES, **RUN_LEVEL},
        "tables": list(TABLES),
        "horizon_years": horizon_years,
        "not_computed": notes,
        # wall-clock seconds of each stage of this invocation (a resumed comparison's runs stage
        # counts only the runs it made); the figures and report stage is added once it is done
        "seconds": {"runs": t1 - t0, "analysis": time.perf_counter() - t1},
    }
    out.mkdir(parents=True, exist_ok=True)
    destination.write_parquet(table, out / "outcomes.parquet")
    destination.write_parquet(diffs, out / "differences.parquet")
    destination.write_parquet(hr, out / "hazard_ratios.parquet")
    destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    if figures:
        from simulation.analysis.report import write_report

        step("drawing the figures and writing the report", progress)
        t2 = time.perf_counter()
        write_report(out, workers=1 if executor == "serial" else workers)  # adds what the figures could not show
        meta = json.loads((out / "comparison.json").read_text())
        meta["seconds"]["figures_and_report"] = time.perf_counter() - t2
        destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    return Comparison(out, names, reference, table, diffs, hr, meta, list(meta["not_computed"]))


def _question(name: str) -> str:
    path = resolve_path(name)
    return scenario_question(path, first_line=True) if path.exists() else ""


def load(out: str | Path) -> Comparison:
    """A finished comparison, from its folder."""
    out = Path(out)
    meta = json.loads((out / "comparison.json").read_text())
    diffs = pd.read_parquet(out / "differences.parquet")
    hr = pd.read_parquet(out / "hazard_ratios.parquet")
    if diffs.empty:  # folders written before empty tables kept their columns
        diffs = _empty(DIFFERENCE_COLUMNS, ("scenario", "reference", "group", "outcome"))
    if hr.empty:
        hr = _empty(HAZARD_COLUMNS, ("model", "covariate"))
    table = pd.read_parquet(out / "outcomes.parquet")
    if "not_computed" not in meta:  # written before the notes existed: derive them from the saved tables
        meta["not_computed"] = saved_notes(out, meta, table, diffs, hr)
    return Comparison(out, meta["scenarios"], meta["reference"], table, diffs, hr, meta, list(meta["not_computed"]))


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
                          f"only {only} among the hires of every run: the gender covariate was left out of the Cox model"))
    return notes


def format_differences(diffs: pd.DataFrame, outcomes_shown: tuple[str, ...] = KEY_OUTCOMES) -> str:
    """The printed table: scenario x outcome rows, all / women / men columns, paired 95% CIs.

    A difference without an interval (one replicate) shows "[no interval]"."""
    if diffs.empty or "outcome" not in diffs.columns:
        return "(no differences)"
    d = diffs[diffs["outcome"].isin(outcomes_shown)].copy()
    if d.empty:
        return "(no differences in the outcomes shown)"
    rows = []
    for (scenario, outcome), g in d.groupby(["scenario", "outcome"], sort=False):
        scale, unit = (1.0, "") if outcome == "pubs_per_faculty_year" else (100.0, " pp")
        row = {"scenario": scenario, "outcome": outcome}
        for group in GROUPS:
            x = g[g["group"] == group]
            if x.empty:
                row[group] = ""
                continue
            x = x.iloc[0]
            digits = 2 if unit == "" else 1
            interval = (f"[{scale * x['ci_low']:+.{digits}f}, {scale * x['ci_high']:+.{digits}f}]"
                        if np.isfinite(x["ci_low"]) and np.isfinite(x["ci_high"]) else "[no interval]")
            row[group] = f"{scale * x['difference']:+.{digits}f} {interval}"
        ref = g[g["group"] == "all"]["reference_mean"]
        row["reference (all)"] = ((f"{ref.iloc[0]:.2f}" if unit == "" else f"{100 * ref.iloc[0]:.1f}%")
                                  if len(ref) and np.isfinite(ref.iloc[0]) else "")
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {o: i for i, o in enumerate(outcomes_shown)}
    table["_o"] = table["outcome"].map(order)
    scen_order = {s: i for i, s in enumerate(d["scenario"].unique())}
    table["_s"] = table["scenario"].map(scen_order)
    table = table.sort_values(["_s", "_o"]).drop(columns=["_o", "_s"])
    return table.to_string(index=False)


def format_not_computed(notes: list[dict]) -> str:
    """The printed list of what could not be computed, and why ("" when everything was)."""
    if not notes:
        return ""
    return "not computed:\n" + "\n".join(f"  - {n['what']}: {n['why']}" for n in notes)
