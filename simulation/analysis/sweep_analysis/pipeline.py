"""`analyze`: the analysis of a sweep folder from start to end (read, check, compute the tables,
write them, draw the figures, write the page); what `careersim analyze` calls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.util import destination
from simulation.util.progress import step
from simulation.analysis.outcomes import label
from simulation.analysis.sweep_analysis.data import (GROUP_CHOICES, Sweep, SweepError, completeness, load_sweep,
                                                     machines_text, pairs, replicate_values, task_machines,
                                                     why_no_value)
from simulation.analysis.sweep_analysis.figures import make_figures
from simulation.analysis.sweep_analysis.page import write_page
from simulation.analysis.sweep_analysis.result import Analysis
from simulation.analysis.sweep_analysis.stats import (effect_ranges, grid_surfaces, importance, lhs_correlations,
                                                      main_effects, morris_indices, noise_shares, point_means,
                                                      sign_analysis, sobol_inconsistencies, sobol_indices)
from simulation.analysis.sweep_analysis.words import capitalized, target_text


def _missing_message(sweep: Sweep, missing: list[int]) -> str:
    return (f"{sweep.folder}: {len(missing)} of {len(sweep.design)} design points have no finished run, and a "
            f"{sweep.kind} analysis needs every point; finish the sweep first (see `careersim sweep <sweep file> --out "
            f"{sweep.folder} --status`)")



def analyze(folder: str | Path, group: str = "all", progress: bool = True, figures: bool = True) -> Analysis:
    """Analyse a sweep folder: tables, figures and `<folder>/analysis/report.html` (the CLI's function);
    for women or men only, in `<folder>/analysis/<group>/`.

    Parameters
    ----------
    folder : str or Path
        A folder `careersim sweep` wrote.
    group : str
        'all', 'women' or 'men': whose outcomes are analysed.
    progress : bool
        Print a line per step.
    figures : bool
        Draw the figures (False: tables and page only).

    Returns
    -------
    Analysis
        Its tables (also written as CSV), figures, notes and the page's path.

    Raises
    ------
    SweepError
        (one line) for a folder that is not a sweep, or a Sobol or Morris sweep too incomplete for SALib.
    """
    if group not in GROUP_CHOICES:
        raise SweepError(f"--group {group}: must be one of {', '.join(GROUP_CHOICES)}")
    sweep = load_sweep(folder)
    step(f"analysis: read {len(sweep.runs)} rows of runs from {sweep.folder}", progress)
    if sweep.runs.empty:
        raise SweepError(f"{sweep.folder}: no run has finished yet (runs/ is empty); see `careersim sweep <sweep file> "
                         f"--out {sweep.folder} --status`")
    if not sweep.outcomes:
        raise SweepError(f"{sweep.folder}: none of the manifest's outcomes is a column of the runs; nothing to analyse")
    if "group" in sweep.runs.columns and group not in set(sweep.runs["group"]):
        raise SweepError(f"{sweep.folder}: the runs have no rows for group {group!r}")
    status = completeness(sweep, group)
    notes: list[dict] = []
    empty = {o: why_no_value(sweep, o, group) for o in sweep.outcomes}
    empty = {o: why for o, why in empty.items() if why}
    if empty and len(empty) == len(sweep.outcomes):
        o, why = next(iter(empty.items()))
        raise SweepError(f"{sweep.folder}: no design point has a value of any outcome ({label(o)}{why}"
                         + (f"; and {len(empty) - 1} more" if len(empty) > 1 else "") + ")")
    for o, why in empty.items():
        notes.append({"what": f"{capitalized(label(o))} ({o})", "why": f"no design point has a value{why}"})
    mixed = machines_text(task_machines(sweep.folder))
    if mixed:
        what, why = mixed.split(": ", 1)
        notes.append({"what": capitalized(what), "why": why})
    sweep.outcomes = [o for o in sweep.outcomes if o not in empty]
    if status["missing"]:
        if sweep.kind == "sobol":
            raise SweepError(_missing_message(sweep, status["missing"]))
        notes.append({"what": f"{len(status['missing'])} of {status['expected']} design points",
                      "why": "no finished run (an unfinished sweep, or every run there failed); "
                             "the analysis uses the others"})
    if status["failed_runs"]:
        notes.append({"what": f"{status['failed_runs']} failed runs",
                      "why": "left out" + (f" (errors: {'; '.join(status['errors'])})" if status["errors"] else "")})
    step(f"analysis: means over replicates at {status['expected'] - len(status['missing'])} design points "
         f"({sweep.kind} design, group {group})", progress)
    values = replicate_values(sweep, group)
    pm = point_means(values, sweep.design, sweep.parameters, members=sweep.members)
    if sweep.members > 1:
        notes.append({"what": f"intervals across {sweep.members} calibrated ensemble members",
                      "why": "replicate r ran on member r mod M, so each point's mean and interval are a comparison's: "
                             "the mean of the members' means and the t-interval of their spread (M - 1 degrees of "
                             "freedom), carrying the calibration's uncertainty and chance; point_means.csv gives the "
                             "parameters' share of it (share_parameters, with its interval). The sensitivity indices "
                             "count the members' spread as replicate noise"})
    tables: dict[str, pd.DataFrame] = {"point_means": pm}
    for _, r in noise_shares(values, sweep.design).iterrows():
        if r["noise_share"] > 0.5:
            what = capitalized(target_text(r["series"], r["kind"], r["outcome"]))
            notes.append({"what": f"{what}: mostly replicate noise",
                          "why": f"about {100 * r['noise_share']:.0f}% of its variation between design points is what "
                                 f"{sweep.replicates} replicates per point give by chance, so its sensitivity measures "
                                 "are mostly uncertain (wide intervals"
                                 + ("; the indices have the noise's part removed" if sweep.kind == "sobol" else "")
                                 + "); more replicates per point would narrow them"})
    if sweep.kind == "sobol":
        step("analysis: Sobol indices (SALib, bootstrap intervals)", progress)
        tables["sobol_indices"] = sobol_indices(sweep, values, notes)
        bad = sobol_inconsistencies(tables["sobol_indices"])
        if bad["negative"] or bad["above_one"] or bad["s1_above_st"]:
            notes.append({"what": f"{bad['negative'] + bad['above_one'] + bad['s1_above_st']} of {bad['rows']} "
                                  "Sobol index rows",
                          "why": f"outside what indices can be beyond their 95% intervals ({bad['negative']} below "
                                 f"0, {bad['above_one']} above 1, {bad['s1_above_st']} with S1 above ST): the design "
                                 "is too small for these outcomes; a larger N or more replicates would tell"})
        if sweep.replicates < 2:
            notes.append({"what": "Sobol indices with one replicate per point",
                          "why": "the replicate noise cannot be estimated, so it is neither removed from the indices "
                                 "nor told apart from influence; run 2 or more replicates"})
    elif sweep.kind == "morris":
        step("analysis: Morris elementary effects", progress)
        tables["morris"] = morris_indices(sweep, values, notes)
        if sweep.replicates < 2:
            notes.append({"what": "Morris effects with one replicate per point",
                          "why": "the replicate noise cannot be estimated, so an effect's size cannot be told from "
                                 "noise (the noise floor is unknown); with common random numbers (the default) a "
                                 "parameter that does nothing still shows exactly zero; run 2 or more replicates "
                                 "to tell the others"})
    elif sweep.kind == "grid":
        step("analysis: grid surfaces and main effects", progress)
        tables["grid_surfaces"] = grid_surfaces(pm, sweep.parameters)
        tables["main_effects"] = main_effects(pm, sweep.parameters)
        tables["effect_ranges"] = effect_ranges(sweep, values)
    else:
        step("analysis: rank correlations and standardized regression coefficients", progress)
        tables["lhs_correlations"] = lhs_correlations(pm, sweep.parameters)
    if pairs(sweep.models):
        step("analysis: where each model's advantage changes sign", progress)
        tables["sign_bins"], tables["sign_changes"] = sign_analysis(pm, sweep.parameters)
    tables["importance"] = importance(sweep.kind, tables)
    out = sweep.folder / "analysis" if group == "all" else sweep.folder / "analysis" / group
    out.mkdir(parents=True, exist_ok=True)
    step(f"analysis: writing {len(tables)} tables to {out}", progress)
    for name, t in tables.items():
        destination.write_file(out / f"{name}.csv", lambda tmp, t=t: t.to_csv(tmp, index=False))
    a = Analysis(sweep, group, tables, notes=notes, status=status, folder=out)
    if figures:
        step("analysis: drawing the figures", progress)
        a.figures = make_figures(a)
    step("analysis: writing the report", progress)
    a.report = write_page(a)
    return a


