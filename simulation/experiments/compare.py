"""Replicated, paired comparisons of scenarios.

Replicate r of every scenario runs with seed `seed + r`, so all scenarios face the same
people (common random numbers) and differences can be paired replicate by replicate.

Across a calibrated ensemble (`ensemble=`, the members of the installed record's "ensemble":
`config.params.ensemble_members()`), `replicates` is the number of members used (the first
ones) and each runs on `seeds_per_member` seeds: run r = m * S + s uses member m (its values
applied at the level of the defaults: `load_scenario(base=member)`) and seed `seed + r`. Every
scenario and every decomposition rerun runs on the same members and seeds (paired twice). An
ensemble of one member equal to the point defaults, on S = R seeds, makes exactly the runs of
the point comparison with R replicates. The differences' intervals then carry the calibration's
uncertainty as well as chance (`ensemble_interval`); outcomes.parquet gets a `member` column
(ensemble mode only: a point comparison's table is as before), comparison.json an "ensemble"
entry (null for a point comparison) and "intervals", saying which intervals carry what.

    <out>/runs/<scenario>/rep<r>/   each run's tables and manifest
    <out>/outcomes.parquet          scenario x replicate x group, every outcome (and the run's
                                    ensemble member, in ensemble mode)
    <out>/differences.parquet       each scenario minus the reference: paired mean and 95% CI,
                                    with the unpaired interval for comparison; in ensemble mode
                                    the share of the interval's variance due to the parameters
                                    and the interval from chance alone
    <out>/hazard_ratios.parquet     Cox model of leaving academia: scenario and gender,
                                    without and with publications
    <out>/gaps.parquet              per scenario and person-level outcome: women minus men, 95% CI
    <out>/gap_changes.parquet       each scenario's change in the reference's gap (paired 95% CI)
                                    and the share of that gap it closes (Fieller 95% interval)
    <out>/decomposition.parquet     the reference rerun with each gendered mechanism switched off
                                    (`config.gender.MECHANISMS`): the gap with it off and the change
    <out>/comparison.json           what was compared, and how; "not_computed" lists every analysis
                                    that could not be computed here, and why

The decomposition's reruns (one per mechanism, on the same seeds: the same people) are made with
the scenarios' runs, by the same executor, and written to runs/<reference>~no_<mechanism>/; they
are not scenarios (not in outcomes.parquet, the differences, the Cox models or the figures).
A mechanism that the reference already lacks (switching it off changes no parameter, or it does
not act in the reference's model) is not rerun. The decomposition does not change the folder's
name: a comparison run without it (`decomposition=False`) and then with it resumes, making only
the reruns.

`compare` writes the tables and returns the `Comparison`; the caller draws the figures and
writes report.html (`simulation.analysis.report.write_report`, as `careersim compare` does).
The folder's layout, `load`, `run_folder` and the notes on what could not be computed live in
`simulation.analysis.comparison`, the outcomes in `simulation.analysis.outcomes`.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.analysis.comparison import (HAZARD_COLUMNS, Comparison, contrasts, difference_notes, empty_table, note,
                                            outcome_notes, run_folder, with_defaults)
from simulation.analysis import gaps as gender_gaps
from simulation.analysis.costs import add_costs, priced
from simulation.analysis.outcomes import (GROUPS, cohort, definitions, difference_units, digits, format_level,
                                          key_outcomes, people_columns, scale, table_outcomes)
from simulation.config import gender
from simulation.config.params import Params
from simulation.util.progress import step
from simulation.run.results import TABLES, git_commit, run_id, versions
from simulation.config.scenario import (MEMBER, ConfigError, load_scenario, resolve_path, scenario_costs,
                                        scenario_label, scenario_question)
from simulation.experiments.executors import RunSpec, map_tasks, run_many

DEFAULT_SCENARIOS = ("status_quo", "dyad", "committee", "network", "network_peers")
DEFAULT_REPLICATES = 16  # replicates of a point comparison; members of an ensemble comparison
DEFAULT_SEEDS_PER_MEMBER = 2
# which intervals carry what, for comparison.json's "intervals"
INTERVALS_POINT = {
    "differences": "chance: paired t-intervals over the replicates (one parameter set, the point calibration)",
    "gaps, gap_changes, decomposition": "chance: t-intervals over the replicates, paired by replicate",
}
INTERVALS_ENSEMBLE = {
    "differences": ("calibration and chance: ci_low/ci_high from the spread of the member-level mean differences, "
                    "t on members - 1 degrees of freedom (the effect averaged over the calibrated parameter sets); "
                    "share_parameters (share_low/high: its 95% interval): the parameters' share of the member-level "
                    "means' variance; chance_ci_low/high: chance alone; members_above/below: members whose own "
                    "difference is above/below zero"),
    "gaps, gap_changes, decomposition": ("paired by run (member and seed) but not split by member: t-intervals "
                                         "over all runs, the members' spread counted as chance"),
}


HIRE_COLUMNS = ["gender", "hire_month", "end_month", "censored", "pubs", "initial"]  # for the Cox models


def run_outcomes(folder: Path, scenario: str, replicate: int,
                 member: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one run folder, from one read of its tables: one row per group with every
    person-level outcome plus the run-level ones (and the ensemble `member`, when given), and
    the run's hires (labelled) for the pooled Cox models."""
    people = pd.read_parquet(folder / "people.parquet", columns=list(dict.fromkeys([*people_columns(), *HIRE_COLUMNS])))
    series = pd.read_parquet(folder / "series.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    o = table_outcomes(people, series, manifest["n_months"])
    o.insert(0, "scenario", scenario)
    o.insert(1, "replicate", replicate)
    if member is not None:
        o.insert(2, "member", member)
    o.insert(2 if member is None else 3, "seed", manifest["seed"])
    c = cohort(people[HIRE_COLUMNS])
    c["scenario"] = scenario
    c["replicate"] = replicate
    return o, c


def _run_outcomes_task(task: tuple[str, str, int, int | None]):
    folder, scenario, replicate, member = task
    return scenario, replicate, run_outcomes(Path(folder), scenario, replicate, member)


def paired_differences(table: pd.DataFrame, reference: str, columns: list[str] | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, with paired and unpaired CIs
    (`comparison.paired_contrast` for each scenario).

    A table with a `member` column (an ensemble comparison) gets the interval of
    `ensemble_interval` (calibration and chance) in ci_low/ci_high, with share_parameters,
    chance_ci_low/high and n_members; the unpaired interval is chance's alone, over all runs.
    Without one those columns are NaN."""
    return contrasts(table, [(s, reference) for s in table["scenario"].unique() if s != reference], columns, level)


def hazard_ratios(pooled: pd.DataFrame, reference: str, max_rows: int = 150_000,
                  notes: list[dict] | None = None) -> pd.DataFrame:
    """Cox models of leaving academia among hires: scenario and gender, then adding publications.

    A covariate that does not vary (one gender among the hires, one scenario) is left out of
    the model, and a model that cannot be fitted is skipped; each is recorded in `notes`."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    notes = [] if notes is None else notes
    empty = empty_table(HAZARD_COLUMNS, ("model", "covariate"))
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
            why = (f"only {only} among the hires of every run (no {other}): "
                   "the gender covariate was left out of the Cox model")
            notes.append(note("women's hazard ratio of leaving (gender in the Cox model)", why))
        elif c.startswith("scenario: "):
            notes.append(note(f"hazard ratio of {c[len('scenario: '):]} (Cox model)",
                              "no hire of the pooled runs belongs to it: the covariate was left out"))
        else:
            notes.append(note(f"hazard ratio of {c} (Cox model)",
                              "it takes the same value for every hire: the covariate was left out"))
    design = design.drop(columns=constant)
    rows = []
    for label, covariates in (("without publications",
                               [c for c in design.columns if c not in ("years", "left", "log publications per year")]),
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


def resolve(scenarios: list[str], sets: list[str], base: dict[str, float] | None = None) -> dict[str, Params]:
    """Validate every scenario before anything runs (on an ensemble member's values: `base`)."""
    resolved = {}
    for s in scenarios:
        p = load_scenario(s, sets, base=base)
        if p.name in resolved:
            raise ValueError(f"scenario {p.name!r} is listed twice")
        resolved[p.name] = p
    return resolved


def default_folder(scenarios: list[str] | tuple[str, ...] = DEFAULT_SCENARIOS, replicates: int = DEFAULT_REPLICATES,
                   seed: int = 1, reference: str | None = None, sets: list[str] | tuple[str, ...] = (),
                   root: str | Path = "results/compare",
                   seeds_per_member: int | None = DEFAULT_SEEDS_PER_MEMBER) -> Path:
    """Where a comparison goes by default: its own folder for each thing compared (scenarios,
    reference, overrides, seed, replicates, and for a comparison across the calibrated ensemble
    its seeds per member; `seeds_per_member=None`: a point comparison), so a different comparison
    never lands on another one, and the same one resumes where it stopped (a run whose
    parameters changed, e.g. with a new ensemble, is made again: runs resume by run id).
    `default` for the default comparison (`careersim compare`: across the ensemble),
    `default-point` for the default comparison at the point calibration (`--point`)."""
    names = [Path(str(s)).stem for s in scenarios]
    fields = {"scenarios": [str(s) for s in scenarios], "reference": reference or names[0],
              "sets": list(sets), "seed": seed, "replicates": replicates}
    defaults = {"scenarios": list(DEFAULT_SCENARIOS), "reference": DEFAULT_SCENARIOS[0], "sets": [], "seed": 1,
                "replicates": DEFAULT_REPLICATES}
    if seeds_per_member is not None:  # (a point comparison's key is as it was before ensembles)
        fields["ensemble"] = {"seeds_per_member": seeds_per_member}
    key = json.dumps(fields, sort_keys=True)
    if key == json.dumps({**defaults, "ensemble": {"seeds_per_member": DEFAULT_SEEDS_PER_MEMBER}}, sort_keys=True):
        return Path(root) / "default"
    if key == json.dumps(defaults, sort_keys=True):
        return Path(root) / "default-point"
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
    decomposition: bool = True,
    ensemble: list[dict[str, float]] | None = None,
    seeds_per_member: int = DEFAULT_SEEDS_PER_MEMBER,
    contrast: list[tuple[str, str]] | None = None,
) -> Comparison:
    """Run every scenario `replicates` times on paired seeds; write the tables and return them.

    Parameters
    ----------
    scenarios : list of str
        Scenario names (shipped or in the scenarios folder) or paths to scenario files.
    replicates : int
        Runs per scenario at the point calibration; across an ensemble, the members used (the first ones).
    seed : int
        Run r of every scenario uses seed ``seed + r``, so every scenario faces the same people.
    out : str or Path, optional
        The output folder (created, or resumed if it holds this same comparison); default: a folder
        under ``results/compare/`` named after what is compared.
    reference : str, optional
        The scenario every difference is taken from; default: the first.
    sets : list of str
        ``--set`` overrides (``"section.field=value"``) applied to every scenario.
    executor, workers, address : str, int, str
        Where the runs execute (``"processes"``, ``"serial"``, ``"dask"``), with how many workers, and
        the Dask scheduler's address.
    progress : bool
        Report progress (a bar on a terminal, timestamped lines otherwise).
    decomposition : bool
        Also rerun the reference with each gendered mechanism switched off in turn (same seeds) and
        save how the gender gaps change (decomposition.parquet).
    ensemble : list of dict, optional
        Parameter vectors (dotted name -> value; ``config.params.ensemble_members()``) to run across:
        each of the first `replicates` members runs on `seeds_per_member` seeds (run r = m * S + s:
        member m, seed ``seed + r``). None: the point calibration (the defaults).
    seeds_per_member : int
        Seeds each ensemble member runs on.
    contrast : list of (str, str), optional
        Pairs (A, B) to contrast, A minus B run by run (contrasts.parquet), after the default ones:
        each scenario against the dyad and the status quo, those of them compared.

    Returns
    -------
    Comparison
        The tables (outcomes, differences, contrasts, gaps, hazard ratios, decomposition) and what
        was compared; also written to `out`. Figures and report.html are the caller's to write
        (``simulation.analysis.report.write_report``)."""
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1 (got {replicates})")
    members: list[dict[str, float]] | None = None
    if ensemble is not None:
        if seeds_per_member < 1:
            raise ValueError(f"seeds per member must be at least 1 (got {seeds_per_member})")
        if len(ensemble) < replicates:
            raise ValueError(f"the ensemble has {len(ensemble)} member{'s' if len(ensemble) != 1 else ''}, fewer than "
                             f"the {replicates} asked for (in an ensemble comparison replicates counts members)")
        members = [dict(m) for m in ensemble[:replicates]]
    per = seeds_per_member if members is not None else 1  # runs per parameter set
    n_runs = replicates * per  # runs per scenario: replicate r = m * per + s

    def member_of(r: int) -> int:
        return r // per if members is not None else 0

    bases: list[dict[str, float] | None] = list(members) if members is not None else [None]
    resolved_by = [_resolve_member(list(scenarios), list(sets), b, k if members is not None else None)
                   for k, b in enumerate(bases)]
    resolved = resolved_by[0]
    names = list(resolved)
    reference = reference or names[0]
    if reference not in resolved:
        raise ValueError(f"reference {reference!r} is not among the scenarios compared ({', '.join(names)})")
    if out is None:
        out = default_folder(list(scenarios), replicates, seed, reference, list(sets),
                             seeds_per_member=seeds_per_member if members is not None else None)
    out = destination.claim(out, "comparison")
    destination.remove_leftovers([out, out / "figures"])  # of a comparison that was killed
    by_base = [switched_off(list(scenarios), list(sets), resolved_by[k], reference, base=b) if decomposition else {}
               for k, b in enumerate(bases)]
    # a mechanism is rerun unless the reference lacks it on every member; on a member that lacks
    # it, its rerun is the reference's run again (same parameters: nothing is switched off)
    mechanisms = {m: (sets_off, None if all(x[m][1] is None for x in by_base) else p)
                  for m, (sets_off, p) in by_base[0].items()}
    reruns_by = [{gender_gaps.decomposition_scenario(reference, m): (resolved_by[k][reference] if x[m][1] is None
                                                                     else x[m][1])
                  for m, (_, p) in mechanisms.items() if p is not None} for k, x in enumerate(by_base)]
    reruns = reruns_by[0]

    def params_of(name: str, r: int) -> Params:
        k = member_of(r)
        return {**resolved_by[k], **reruns_by[k]}[name].model_copy(update={"seed": seed + r})

    specs = []
    for r in range(n_runs):
        for name in [*resolved, *reruns]:
            labels = {"scenario": name, "replicate": r, "member": member_of(r) if members is not None else None}
            specs.append(RunSpec(params_of(name, r), run_folder(out, name, r), labels))
    runs_each = (f"{replicates} ensemble members x {per} seeds each" if members is not None
                 else f"{replicates} replicates each")
    if reruns:
        step(f"{len(specs)} runs: {len(names)} scenarios and, for the decomposition of the gender gaps, "
             f"{reference} with each of {len(reruns)} gendered mechanisms switched off, {runs_each}", progress)
    elif members is not None:
        step(f"{len(specs)} runs: {len(names)} scenarios, {runs_each}", progress)
    t0 = time.perf_counter()
    run_many(specs, executor=executor, workers=workers, address=address, progress=progress, desc="comparison")
    t1 = time.perf_counter()

    step(f"analysing {len(names) * n_runs} runs"
         + (f" and {len(reruns) * n_runs} decomposition reruns" if reruns else "")
         + ": outcomes, paired differences, Cox models", progress)
    # each run's outcomes and hires, read once, on the workers (in the order of the runs after)
    tasks = [(str(s.out), s.labels["scenario"], s.labels["replicate"], s.labels["member"]) for s in specs]
    order = {n: i for i, n in enumerate([*names, *reruns])}
    per_run = sorted(map_tasks(_run_outcomes_task, tasks, executor="serial" if executor == "serial" else "processes",
                               workers=workers), key=lambda x: (order[x[0]], x[1]))
    everything = pd.concat([o for _, _, (o, _) in per_run], ignore_index=True).sort_values(
        ["scenario", "replicate", "group"], key=lambda c: c.map(order) if c.name == "scenario" else c)
    sources = dict(zip(names, scenarios))  # `resolve` keeps the order of the scenarios
    costs = priced(names, reference, {n: scenario_costs(sources[n]) for n in names})
    table = add_costs(everything[everything["scenario"].isin(names)].reset_index(drop=True), costs)
    pooled = pd.concat([c for s, _, (_, c) in per_run if s in resolved], ignore_index=True)
    diffs = paired_differences(table, reference)
    pairs = with_defaults(names, contrast)
    for a, b in pairs:
        if a not in names or b not in names:
            raise ValueError(f"contrast {a}:{b}: both must be among the scenarios compared ({', '.join(names)})")
    con = contrasts(table, pairs)
    gap_table = gender_gaps.gaps(table)
    changes = gender_gaps.gap_changes(table, reference, scenarios=names)
    horizon_years = min(resolved[n].n_months for n in names) / 12
    notes = outcome_notes(table, horizon_years, {float(resolved[n].hiring.share_women) for n in names})
    notes += difference_notes(diffs, table, names, reference, n_runs)
    hr = hazard_ratios(pooled, reference, notes=notes)
    decomp = None
    if decomposition:
        already = [m for m, (_, p) in mechanisms.items() if p is None]
        mine = everything[everything["scenario"].isin([reference, *reruns])]
        decomp = gender_gaps.decomposition(mine, reference, already_off=already)
        if decomp.empty:
            notes.append(note("decomposition of the gender gaps (what each gendered mechanism carries)",
                              "no gap between women and men could be computed in the reference "
                              "(no women or no men among its hires, or no headline outcome with a value for both)"))
    meta = {
        "scenarios": names,
        "reference": reference,
        "contrasts": [list(p) for p in pairs],
        # runs per scenario, paired across scenarios (in ensemble mode: members x seeds per member)
        "replicates": n_runs,
        "seeds": [seed + r for r in range(n_runs)],
        # null: the point calibration (the defaults); else the members run (run r: member r // S)
        "ensemble": None if members is None else {
            "members": len(members), "seeds_per_member": per, "member_values": members,
            "method": _ensemble_method(members)},
        "intervals": INTERVALS_ENSEMBLE if members is not None else INTERVALS_POINT,
        "sets": list(sets),
        "questions": {n: _question(n) for n in names},
        "descriptions": {n: resolved[n].description for n in names},
        # each scenario's label (its file's `label`) and the [costs] its costs were priced with
        "labels": {n: scenario_label(sources[n]) for n in names},
        "costs": costs,
        "models": {n: resolved[n].mentoring.model for n in names},
        "run_ids": {n: [run_id(params_of(n, r)) for r in range(n_runs)] for n in names},
        "outcomes": definitions(),
        "tables": list(TABLES),
        "horizon_years": horizon_years,
        # None: run without the decomposition; else per mechanism its rerun, its --set and whether
        # the reference already lacks it (then not rerun)
        "decomposition": None if not decomposition else {
            m: {"scenario": gender_gaps.decomposition_scenario(reference, m), "sets": sets_off,
                "already_off": p is None,
                "run_ids": [] if p is None else [run_id(params_of(gender_gaps.decomposition_scenario(reference, m), r))
                                                 for r in range(n_runs)]}
            for m, (sets_off, p) in mechanisms.items()},
        "not_computed": notes,
        # this careersim, its libraries and the machine the analysis ran on (each run's own manifest says
        # where it ran)
        "versions": versions(), "git_commit": git_commit(),
        # wall-clock seconds of each stage of this invocation (a resumed comparison's runs stage
        # counts only the runs it made); whoever writes the report adds its stage
        # ("figures_and_report", `comparison.add_seconds`)
        "seconds": {"runs": t1 - t0, "analysis": time.perf_counter() - t1},
    }
    out.mkdir(parents=True, exist_ok=True)
    destination.write_parquet(table, out / "outcomes.parquet")
    destination.write_parquet(diffs, out / "differences.parquet")
    destination.write_parquet(con, out / "contrasts.parquet")
    destination.write_parquet(hr, out / "hazard_ratios.parquet")
    destination.write_parquet(gap_table, out / "gaps.parquet")
    destination.write_parquet(changes, out / "gap_changes.parquet")
    if decomp is not None:
        destination.write_parquet(decomp, out / "decomposition.parquet")
    else:  # of an earlier start of this comparison with the decomposition: the folder holds this one's tables
        (out / "decomposition.parquet").unlink(missing_ok=True)
    destination.write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    return Comparison(out, names, reference, table, diffs, hr, meta, list(meta["not_computed"]), gap_table, changes,
                      decomp if decomp is not None else gender_gaps.empty(gender_gaps.DECOMPOSITION_COLUMNS), con)


def switched_off(scenarios: list[str], sets: list[str], resolved: dict[str, Params],
                 reference: str, base: dict[str, float] | None = None) -> dict[str, tuple[list[str], Params | None]]:
    """For each gendered mechanism: the --set strings that switch it off in the reference, and the
    reference's parameters with them (resolved as the scenario was, on the same ensemble member
    `base`, the switch after the user's --set), or None when the reference already lacks the
    mechanism (the switch changes no parameter, or the mechanism does not act in the reference's
    model: `Mechanism.acts`)."""
    source = scenarios[list(resolved).index(reference)]  # `resolve` keeps the order of the scenarios
    ref = resolved[reference]
    out = {}
    for m in gender.MECHANISMS:
        sets_off = gender.switch_off_sets(ref, [m.name])
        p = load_scenario(source, [*sets, *sets_off], base=base)
        out[m.name] = (sets_off, None if p == ref or not m.acts(ref) else p)
    return out


def _resolve_member(scenarios: list[str], sets: list[str], base: dict[str, float] | None,
                    k: int | None) -> dict[str, Params]:
    """`resolve` on ensemble member k (its index in messages)."""
    try:
        return resolve(scenarios, sets, base)
    except ConfigError as exc:
        if k is None:
            raise
        raise ConfigError(str(exc).replace(f"{MEMBER}:", f"{MEMBER} {k}:")) from None


def _ensemble_method(members: list[dict[str, float]]) -> str:
    """How the members were made: the installed record's ensemble "method" when they are its
    first members, else that the caller gave them."""
    from simulation.config.params import calibration_record, ensemble_members

    installed = ensemble_members()
    if installed[: len(members)] == members:
        return str((calibration_record().get("ensemble") or {}).get("method", ""))
    return "given to compare() by its caller (not the installed record's ensemble)"


def _question(name: str) -> str:
    path = resolve_path(name)
    return scenario_question(path, first_line=True) if path.exists() else ""


def format_differences(diffs: pd.DataFrame, outcomes_shown: tuple[str, ...] | None = None) -> str:
    """The printed table: scenario x outcome rows (the key outcomes of the registry unless
    `outcomes_shown`), all / women / men columns, paired 95% CIs, each in the outcome's unit
    (percentage points for shares; the column header `difference_units_header` says which).

    A difference without an interval (one replicate) shows "[no interval]"."""
    outcomes_shown = key_outcomes() if outcomes_shown is None else tuple(outcomes_shown)
    if diffs.empty or "outcome" not in diffs.columns:
        return "(no differences)"
    d = diffs[diffs["outcome"].isin(outcomes_shown)].copy()
    if d.empty:
        return "(no differences in the outcomes shown)"
    rows = []
    for (scenario, outcome), g in d.groupby(["scenario", "outcome"], sort=False):
        factor, k = scale(outcome), digits(outcome)
        row = {"scenario": scenario, "outcome": outcome}
        for group in GROUPS:
            x = g[g["group"] == group]
            if x.empty:
                row[group] = ""
                continue
            x = x.iloc[0]
            interval = (f"[{factor * x['ci_low']:+.{k}f}, {factor * x['ci_high']:+.{k}f}]"
                        if np.isfinite(x["ci_low"]) and np.isfinite(x["ci_high"]) else "[no interval]")
            row[group] = f"{factor * x['difference']:+.{k}f} {interval}"
        ref = g[g["group"] == "all"]["reference_mean"]
        row["reference (all)"] = format_level(outcome, ref.iloc[0]) if len(ref) and np.isfinite(ref.iloc[0]) else ""
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {o: i for i, o in enumerate(outcomes_shown)}
    table["_o"] = table["outcome"].map(order)
    scen_order = {s: i for i, s in enumerate(d["scenario"].unique())}
    table["_s"] = table["scenario"].map(scen_order)
    table = table.sort_values(["_s", "_o"]).drop(columns=["_o", "_s"])
    return table.to_string(index=False)


def difference_units_header(outcomes_shown: tuple[str, ...] | None = None) -> str:
    """The units of the printed differences, for the line above the table: 'percentage points;
    publications per faculty-year' for the key outcomes."""
    return "; ".join(difference_units(key_outcomes() if outcomes_shown is None else outcomes_shown))
