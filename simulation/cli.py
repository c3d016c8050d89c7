"""The command line: `careersim` (or `python -m simulation`)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from simulation.util import destination
from simulation.util.destination import DestinationError
from simulation.model.footprint import MemoryShortError
from simulation.config.scenario import ConfigError, list_scenarios, load_scenario, resolve_path, scenario_question

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate academic medicine careers under dyad, committee, network and peer mentoring.",
)

SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override a field: --set population.n_faculty=2000 (repeatable)."),
]
SeedOption = Annotated[Optional[int], typer.Option("--seed", help="Random seed (default: the scenario's).")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _positive(option: str, value: int | None, hint: str) -> None:
    if value is not None and value < 1:
        _fail(f"{option} {value}: must be at least 1 ({hint})")


def _load(scenario: str, sets: list[str] | None, seed: int | None):
    try:
        return load_scenario(scenario, sets or [], seed=seed)
    except ConfigError as exc:
        _fail(str(exc))


@app.command()
def validate(scenario: str, set_: SetOption = None, seed: SeedOption = None) -> None:
    """Check a scenario file (and overrides) without running it."""
    p = _load(scenario, set_, seed)
    typer.echo(
        f"ok: {p.name}: {p.mentoring.model} model, {p.population.n_faculty} faculty in "
        f"{p.population.n_institutions} institutions, {p.horizon_years} years, seed {p.seed}"
    )


@app.command()
def run(
    scenario: str,
    seed: SeedOption = None,
    set_: SetOption = None,
    out: Annotated[Optional[Path], typer.Option(help="Run directory (default results/<scenario>/<run-id>).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Run one scenario and write its tables and manifest."""
    params = _load(scenario, set_, seed)
    from simulation.analysis.outcomes import format_summary, summary_table
    from simulation.run.simulate import run as run_one

    path = resolve_path(scenario)
    try:
        result, folder = run_one(params, out, progress=not quiet, scenario_file=str(path))
    except (DestinationError, MemoryShortError) as exc:
        _fail(str(exc))
    if quiet:
        typer.echo(str(folder))
        return
    m = result.manifest
    typer.echo(
        f"{params.name}: {params.mentoring.model} model, seed {params.seed}, {params.horizon_years} years, "
        f"{m['n_people']} people, {m['n_ties']} ties, {m['wall_seconds']:.1f} s"
    )
    typer.echo(format_summary(summary_table(result.people, params.n_months)))
    typer.echo(f"results: {folder}")


ExecutorOption = Annotated[
    str, typer.Option(help="Where runs execute: serial, processes, dask or slurm (the default [cluster] settings).")
]
WorkersOption = Annotated[Optional[int], typer.Option(help="Parallel workers (default: all cores).")]
AddressOption = Annotated[
    Optional[str],
    typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster).")
]


@app.command()
def compare(
    scenarios: Annotated[
        Optional[list[str]],
        typer.Argument(help="Scenario files or names (default: status_quo dyad committee network network_peers).")
    ] = None,
    replicates: Annotated[
        Optional[int], typer.Option(help=(
            "Across the calibrated ensemble: members used (the first ones; default 16). With --point (or no "
            "ensemble installed): replicates per scenario (default 16). Paired: run r uses seed + r everywhere."))
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of run 0.")] = 1,
    out: Annotated[Optional[Path], typer.Option(help=(
        "Output folder (default: results/compare/default for the default comparison, results/compare/default-point "
        "for it with --point, otherwise a folder of its own under results/compare/ named after what is compared)."
    ))] = None,
    reference: Annotated[
        Optional[str], typer.Option(help="Scenario the others are compared with (default: the first).")
    ] = None,
    set_: SetOption = None,
    executor: ExecutorOption = "processes",
    workers: WorkersOption = None,
    scheduler: AddressOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    decomposition: Annotated[bool, typer.Option(
        "--decomposition/--no-decomposition",
        help=("Also rerun the reference with each gendered mechanism switched off in turn, on the same seeds, and "
              "report how much of each gender gap it carries (default: on; one extra run per mechanism and "
              "replicate)."))] = True,
    point: Annotated[bool, typer.Option(
        "--point", help=("Run at the point calibration (the defaults) only, not across the calibrated ensemble of "
                         "the installed record: one parameter set, --replicates seeds."))] = False,
    seeds_per_member: Annotated[Optional[int], typer.Option(
        help="Across the ensemble: seeds each member runs on (default 2).")] = None,
    contrast: Annotated[Optional[list[str]], typer.Option(
        "--contrast", help=("A pair of scenarios to compare directly, A:B (A minus B run by run, paired; e.g. "
                            "network:dyad); repeatable. Always: each scenario against the dyad and against the "
                            "status quo, those of them compared."))] = None,
) -> None:
    """Compare mentoring models: paired replicates, differences with 95% CIs, gender gaps, figures, report.

    By default the comparison runs across the calibrated ensemble of the installed calibration
    record (each member on a few seeds), so its intervals carry the calibration's uncertainty as
    well as chance; --point runs the point calibration only."""
    import time

    from simulation.analysis.comparison import add_seconds, load, parse_contrasts
    from simulation.config.scenario import scenario_costs
    from simulation.analysis.gaps import format_gap_summary
    from simulation.analysis.answer import point_note
    from simulation.analysis.report import headline_outcomes, write_report
    from simulation.config.params import ensemble_members
    from simulation.analysis.comparison import format_not_computed
    from simulation.experiments.compare import (DEFAULT_REPLICATES, DEFAULT_SCENARIOS, DEFAULT_SEEDS_PER_MEMBER,
                                                compare as run_comparison, default_folder, difference_units_header,
                                                format_differences, resolve)
    from simulation.experiments.executors import map_tasks
    from simulation.util.progress import step

    names = list(scenarios or DEFAULT_SCENARIOS)
    _positive("--replicates", replicates, f"paired differences need 2 or more; the default is {DEFAULT_REPLICATES}")
    _positive("--workers", workers, "the default is one per core")
    _positive("--seeds-per-member", seeds_per_member, f"the default is {DEFAULT_SEEDS_PER_MEMBER}")
    n = DEFAULT_REPLICATES if replicates is None else replicates
    members = [] if point else ensemble_members()
    per = DEFAULT_SEEDS_PER_MEMBER if seeds_per_member is None else seeds_per_member
    if members:
        if len(members) < n:
            _fail(f"--replicates {n}: the installed ensemble has only {len(members)} members; "
                  f"use --replicates {len(members)} or fewer (or --point)")
        mode = (f"comparing across the calibrated ensemble: {n} of its {len(members)} members x {per} seeds "
                f"each ({n * per} runs per scenario); intervals carry calibration and chance")
    else:
        if seeds_per_member is not None:
            _fail("--seeds-per-member: only for a comparison across the calibrated ensemble "
                  + ("(not with --point)" if point else "(the installed calibration record has no ensemble)"))
        if point:
            mode = (f"comparing at the point calibration (--point): {n} replicates per scenario; its intervals carry "
                    f"chance only, not the calibration's uncertainty")
        else:
            mode = (f"the installed calibration record has no ensemble: the comparison uses the point calibration "
                    f"({n} replicates per scenario); to compare across one, make it with `careersim calibrate "
                    f"--history-match` then `careersim calibrate --ensemble 200 --apply`")
    try:
        resolved = resolve(names, list(set_ or []))
        for name in names:  # the [costs] tables, checked before any run
            scenario_costs(name)
        pairs = parse_contrasts(contrast or [], list(resolved)) if contrast else None
    except ConfigError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    folder = out or default_folder(names, n, seed, reference, list(set_ or []),
                                   seeds_per_member=per if members else None)
    try:
        destination.check(folder, "comparison", "--out" if out else "output folder")
    except DestinationError as exc:
        _fail(str(exc))
    typer.echo(mode, err=True)  # once the input is known to be good: a refusal stays one line
    t0 = time.perf_counter()
    try:
        comp = run_comparison(names, n, seed, folder, reference, list(set_ or []), executor, workers, scheduler,
                              progress=not quiet, decomposition=decomposition, ensemble=members or None,
                              seeds_per_member=per, contrast=pairs)
    except ValueError as exc:
        _fail(str(exc))
    step("drawing the figures and writing the report", not quiet)
    t2 = time.perf_counter()
    write_report(comp.out, workers=1 if executor == "serial" else workers, map_fn=map_tasks)  # adds the figures' notes
    add_seconds(comp.out, "figures_and_report", time.perf_counter() - t2)
    comp = load(comp.out)
    if len(comp.scenarios) < 2:
        typer.echo(f"one scenario ({comp.reference}): no differences to show")
    else:
        ens = comp.meta.get("ensemble")
        over = (f"{ens['members']} ensemble members x {ens['seeds_per_member']} seeds (intervals: calibration and "
                f"chance)" if ens else f"{comp.meta['replicates']} replicates")
        typer.echo(f"paired differences from {comp.reference} over {over} ({difference_units_header()}), 95% CI:")
        typer.echo(format_differences(comp.differences))
        pairs = comp.contrasts[comp.contrasts["reference"] != comp.reference].copy()
        if len(pairs):
            pairs["scenario"] = pairs["scenario"] + " - " + pairs["reference"]
            typer.echo("pairwise contrasts (A - B, paired run by run), 95% CI:")
            typer.echo(format_differences(pairs))
    warning = point_note(comp)
    if warning:
        typer.echo(warning)
    shown = headline_outcomes(comp.differences, comp.outcomes)
    typer.echo(format_gap_summary(comp.gaps, comp.gap_changes, comp.decomposition, comp.reference, shown,
                                  comp.meta["replicates"]))
    text = format_not_computed(comp.not_computed)
    if text:
        typer.echo(text)
    typer.echo(f"wall time {time.perf_counter() - t0:.0f} s")
    typer.echo(f"report: {folder / 'report.html'}")


@app.command()
def report(
    folder: Path,
    svg: Annotated[bool, typer.Option("--svg", help="Also write each figure as SVG (vector) beside its PNG.")] = False,
    contrast: Annotated[Optional[list[str]], typer.Option(
        "--contrast", help=("A pair of the saved scenarios to compare directly, A:B (repeatable); recomputed from "
                            "the saved outcomes, after the default pairs (each against the dyad and the status "
                            "quo)."))] = None,
) -> None:
    """Rebuild the figures and report.html of a comparison from its saved tables."""
    from simulation.analysis.comparison import format_not_computed, load, set_contrasts
    from simulation.analysis.report import write_report
    from simulation.experiments.executors import map_tasks

    if not (folder / "comparison.json").exists():
        _fail(f"{folder}: not a comparison folder (no comparison.json); run `careersim compare` first")
    if contrast:
        try:
            set_contrasts(folder, contrast)
        except ValueError as exc:
            _fail(f"{folder}: {exc}")
    path = write_report(folder, svg=svg, map_fn=map_tasks)
    text = format_not_computed(load(folder).not_computed)
    if text:
        typer.echo(text)
    typer.echo(f"report: {path}")


@app.command()
def calibrate(
    check_: Annotated[
        bool, typer.Option("--check", help=(
            "Every target against the calibration: the installed ensemble's posterior-predictive mean and 90% "
            "interval (or, with --point or without an ensemble, the point defaults with 95% intervals)."))
    ] = False,
    fit_: Annotated[
        bool, typer.Option("--fit", help="Re-estimate the free parameters (one point) and write a calibration record.")
    ] = False,
    history_match: Annotated[
        bool, typer.Option("--history-match", help=(
            "Waves of design -> runs -> Gaussian-process emulators -> implausibility cut, until the space not "
            "ruled out stops shrinking; into OUT/history (started again, it continues where it stopped)."))
    ] = False,
    ensemble: Annotated[
        Optional[int], typer.Option("--ensemble", help=(
            "Draw this many members from the history match's final space (see --weighting) into "
            "OUT/history/ensemble.parquet; with --apply, install them as the package's calibrated ensemble."))
    ] = None,
    weighting: Annotated[str, typer.Option(help=(
        "With --ensemble: draw members alike from the space not ruled out (uniform) or by the emulated "
        "likelihood of the figures (likelihood)."))] = "uniform",
    point: Annotated[bool, typer.Option("--point", help="With --check: check the point defaults, not the ensemble.")
                     ] = False,
    apply: Annotated[bool, typer.Option(help=(
        "With --fit: install the record as the package's defaults; with --ensemble: install the ensemble."))
    ] = False,
    replicates: Annotated[
        Optional[int], typer.Option(help=(
            "Replicates (default: 10 for --check, 5 for --fit, 2 per point for --history-match; with --check "
            "across the ensemble: members checked, default all)."))
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help=(
        "First seed (default: 1000 for --check, 2000 for --fit, 3000 for --history-match, 4000 for --ensemble)."))
    ] = None,
    points: Annotated[Optional[int], typer.Option(help=(
        "With --history-match: points per wave (default: 5 per free parameter)."))] = None,
    waves: Annotated[int, typer.Option(help="With --history-match: most waves.")] = 5,
    implausibility: Annotated[str, typer.Option(help=(
        "With --history-match: rule a point out on the second largest of its implausibilities (second) or the "
        "largest (max)."))] = "second",
    scenario: Annotated[str, typer.Option(help="Scenario calibrated against the targets.")] = "status_quo",
    set_: SetOption = None,
    out: Annotated[Path, typer.Option(help="Where tables and records go.")] = Path("results/calibration"),
    workers: WorkersOption = None,
    executor: Annotated[
        Optional[str], typer.Option(help="Where runs execute: serial, processes (default), dask or slurm.")
    ] = None,
    scheduler: AddressOption = None,
    maxfev: Annotated[
        int, typer.Option(help="With --fit: most objective evaluations per block in the local search.")
    ] = 70,
    block: Annotated[
        Optional[list[str]], typer.Option(help="With --fit: fit only these blocks of targets.toml (repeatable).")
    ] = None,
) -> None:
    """Calibration against the published targets in the package's targets.toml."""
    from simulation.experiments import calibration as cal

    if not (check_ or fit_ or history_match or ensemble is not None):
        _fail("say --check, --fit, --history-match or --ensemble N (or several)")
    _positive("--replicates", replicates, "the default is 10 for --check, 5 for --fit, 2 for --history-match")
    from simulation.experiments.executors import EXECUTORS

    if executor is not None and executor not in EXECUTORS:
        _fail(f"--executor {executor}: must be one of {', '.join(EXECUTORS)}")
    _positive("--workers", workers, "the default is one per core")
    _positive("--maxfev", maxfev, "the default is 70")
    _positive("--ensemble", ensemble, "e.g. --ensemble 200")
    _positive("--points", points, "the default is 5 per free parameter")
    _positive("--waves", waves, "the default is 5")
    from simulation.experiments.history import MEASURES, WEIGHTINGS

    if weighting not in WEIGHTINGS:
        _fail(f"--weighting {weighting}: must be {' or '.join(WEIGHTINGS)}")
    if implausibility not in MEASURES:
        _fail(f"--implausibility {implausibility}: must be {' or '.join(MEASURES)}")
    if history_match and replicates == 1:
        _fail("--replicates 1: a history match needs at least 2 runs per point (they give the model's own variance)")
    try:
        load_scenario(scenario, set_ or [])
        destination.claim(out, "calibration")
        if history_match or ensemble is not None:
            destination.claim(out / "history", "history match")
    except (ConfigError, DestinationError) as exc:
        _fail(str(exc))
    if fit_:
        record = cal.fit(scenario, replicates or 5, 2000 if seed is None else seed, set_ or [], maxfev=maxfev,
                         workers=workers, blocks=block or None, executor=executor, address=scheduler)
        path = cal.write_record(record, out / "record.json")
        typer.echo(f"loss {record['loss_before']:.3f} -> {record['loss_after']:.3f}; record: {path}")
        for name, value in record["estimates"].items():
            typer.echo(f"  {name} = {value:g}")
        if apply:
            cal.write_record(record, cal.RECORD_FILE)
            typer.echo(
                f"installed as the defaults: {cal.RECORD_FILE} "
                "(re-run the tests; update the regression baseline on purpose)"
            )
    if history_match:
        from simulation.experiments import ensemble_calibration

        try:
            hm = ensemble_calibration.run_history_match(out / "history", scenario, set_ or [], replicates or 2,
                                                    3000 if seed is None else seed, points, waves, workers,
                                                    executor, scheduler, measure=implausibility)
        except ValueError as exc:
            _fail(str(exc))
        typer.echo(ensemble_calibration.format_waves(hm.table))
        typer.echo(f"waves: {out / 'history' / 'waves.csv'}; figures: {out / 'history' / 'figures'}")
    if ensemble is not None:
        from simulation.experiments import ensemble_calibration

        try:
            members, how = ensemble_calibration.make_ensemble(out / "history", ensemble, 4000 if seed is None else seed,
                                                              weighting=weighting)
        except ValueError as exc:
            _fail(str(exc))
        typer.echo(f"{len(members)} members ({how['distinct_members']} distinct) from {how['candidates']} candidates "
                   f"not ruled out; effective sample size of the weights {how['effective_sample_size']:.0f}; "
                   f"{out / 'history' / 'ensemble.parquet'}")
        if apply:
            path = ensemble_calibration.install_ensemble(members, how)
            typer.echo(f"installed as the package's calibrated ensemble: {path} (`careersim compare` now runs "
                       "across it; --point for the point defaults)")
    if check_:
        from simulation.config.params import ensemble_members

        members = [] if point else ensemble_members()
        if members:
            n_members = min(replicates or len(members), len(members))
            needs = cal.plan(cal.load_targets()[0], cal.CHECKS)
            typer.echo(f"runs: {n_members} ensemble members x {scenario}, one seed each"
                       + "".join(f" + the same on {r}" for r in needs if r != cal.CALIBRATED))
            table = cal.check_ensemble(members[:n_members], scenario, 1000 if seed is None else seed, set_ or [],
                                       workers=workers, executor=executor, address=scheduler, checks=cal.CHECKS)
            text = cal.format_check_ensemble(table)
            from simulation.experiments import ensemble_calibration

            ensemble_calibration.predictive_figure(table, out / "figures")
        else:
            n_rep = replicates or 10
            needs = cal.plan(cal.load_targets()[0], cal.CHECKS)
            typer.echo(f"runs: {n_rep} x {scenario}" + "".join(f" + {n_rep} x {r}" for r in needs
                                                              if r != cal.CALIBRATED)
                       + " (contrast scenarios on the same seeds, for the contrast targets and checks)")
            table = cal.check(scenario, n_rep, 1000 if seed is None else seed, set_ or [], workers=workers,
                              executor=executor, address=scheduler, checks=cal.CHECKS)
            text = cal.format_check(table)
        checks = table.attrs.pop("checks")
        table.attrs.pop("values", None)
        tag = "_ensemble" if members else ""  # the point check and the ensemble's are kept apart
        destination.write_file(out / f"check{tag}.csv", lambda tmp: table.to_csv(tmp, index=False))
        destination.write_file(out / f"checks{tag}.csv", lambda tmp: checks.to_csv(tmp, index=False))
        checks_text = cal.format_checks(checks)
        destination.write_text(out / f"check{tag}.md", "```\n" + text + "\n\n" + checks_text + "\n```\n")
        typer.echo(text)
        typer.echo(f"{int(table['within'].sum())} of {len(table)} targets within tolerance; "
                   f"table: {out / f'check{tag}.csv'}")
        typer.echo(checks_text)
        typer.echo(f"{int(checks['holds'].sum())} of {len(checks)} checks hold; table: {out / f'checks{tag}.csv'}")


@app.command()
def patterns(
    replicates: Annotated[int, typer.Option(help="Replicates per scenario (paired seeds).")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of replicate 0.")] = 500,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results/patterns"),
    set_: SetOption = None,
    executor: ExecutorOption = "processes",
    workers: WorkersOption = None,
) -> None:
    """The patterns: the seven of the model specification and one from issue 13, each with its evidence."""
    from simulation.experiments.patterns import format_patterns, run_patterns

    _positive("--replicates", replicates, "the default is 10")
    _positive("--workers", workers, "the default is one per core")
    try:
        load_scenario("status_quo", set_ or [])
        destination.check(out, "patterns")
    except (ConfigError, DestinationError) as exc:
        _fail(str(exc))
    try:
        table = run_patterns(replicates, seed, out, set_ or [], executor, workers)
    except MemoryShortError as exc:
        _fail(str(exc))
    typer.echo(format_patterns(table))
    typer.echo(f"{int(table['holds'].sum())} of {len(table)} statements hold; table: {out / 'patterns.csv'}")


@app.command()
def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Under a minute: skips the cold compile and the 175,000-faculty run.")
    ] = False,
    record: Annotated[
        Optional[Path], typer.Option(help="Also write the output into this Markdown file's generated:bench block.")
    ] = None,
) -> None:
    """Speed and memory: start-up, throughput, the whole of US academic medicine, a sweep."""
    import time

    from simulation.experiments.bench import bench as run_bench, check_record, write_record

    if record is not None:
        try:
            check_record(record)
        except ValueError as exc:
            _fail(str(exc))
    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        typer.echo(line)

    t = time.perf_counter()
    run_bench(quick, out=out)
    out(f"benchmark wall time {time.perf_counter() - t:.0f} s")
    if record is not None:
        write_record(record, lines, quick)
        typer.echo(f"recorded in {record}")


@app.command("app")
def app_(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """The teaching app: the same people under two mentoring models, live in the browser."""
    from simulation.app.serving import serve

    serve(host, port, echo=typer.echo)


@app.command("sweep")
def sweep_(
    sweep_file: Annotated[
        str, typer.Argument(help="Sweep file (e.g. sweeps/capacity_vs_k.toml) or the name of one in sweeps/.")
    ],
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default results/sweeps/<name>).")] = None,
    executor: Annotated[
        str, typer.Option(help="Where tasks run: serial, processes, dask or slurm (the sweep file's cluster section).")
    ] = "processes",
    workers: WorkersOption = None,
    scheduler: AddressOption = None,
    batch: Annotated[
        Optional[int], typer.Option(help="Runs per task (default: batch in the file's run section).")
    ] = None,
    calibration: Annotated[
        Optional[str], typer.Option(help=(
            "point (the point defaults) or ensemble (replicate r of every point on member r mod M of the installed "
            "calibrated ensemble); default: calibration in the sweep file, else point."))
    ] = None,
    shard: Annotated[
        Optional[str],
        typer.Option(help="Run only shard I of N (I from 1 to N), e.g. --shard 3/50: what each array task runs.")
    ] = None,
    shards: Annotated[
        Optional[int],
        typer.Option(help="Shards of --job-array (default: tasks, at most 50); with --status, shows each.")
    ] = None,
    job_array: Annotated[
        bool, typer.Option("--job-array", help="Print a SLURM sbatch script: one array task per shard.")
    ] = False,
    status_: Annotated[
        bool, typer.Option("--status", help="Done, failed and remaining tasks and runs across all shards.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run again the tasks that hold failed runs.")
    ] = False,
    threads: Annotated[
        Optional[int], typer.Option(help=(
            "Numba threads per run (an array task's cores); default: 1 below 4,000 faculty, else the cores "
            "over the runs at once."))
    ] = None,
    set_: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
) -> None:
    """Sweep parameters (grid, LHS, Sobol', Morris) into one Parquet dataset; resumable, shardable."""
    from simulation.experiments.sweeps import (SweepError, default_out, default_shards, format_status,
                                               job_array_script, load_sweep, prepare, run_sweep, status)

    if sum([job_array, status_, shard is not None]) > 1:
        _fail("--job-array, --status and --shard do not go together; give one")
    _positive("--workers", workers, "the default is one per core")
    _positive("--shards", shards, "the default is one per task, at most 50")
    _positive("--threads", threads, "the default is one per run below 4,000 faculty")
    try:
        sw = load_sweep(sweep_file, list(set_ or []), batch, calibration)
    except ConfigError as exc:
        _fail(str(exc))
    folder = out if out is not None else default_out(sw)
    source = "--out" if out is not None else "output folder"
    if status_:
        typer.echo(format_status(sw, status(sw, folder, shards)))
        return
    try:
        if job_array:
            n = shards or default_shards(sw)
            folder = prepare(sw, folder, source)
            (folder / "logs").mkdir(exist_ok=True)  # sbatch writes each array task's log there
            typer.echo(job_array_script(sw, folder, n, list(set_ or []), batch, calibration), nl=False)
            typer.echo(f"{n} array tasks over {sw.n_tasks} tasks ({sw.n_runs} runs); submit: sbatch <this script>; "
                       f"logs: {folder / 'logs'}", err=True)
            return
        res = run_sweep(sw, folder, executor, workers, scheduler, shard, progress=not quiet, retry_failed=retry_failed,
                        threads=threads)
    except (SweepError, DestinationError, MemoryShortError) as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    failed = f", {res.failed} failed" if res.failed else ""
    typer.echo(f"{res.runs} runs in {res.tasks_run} tasks{failed} ({res.skipped_tasks} tasks already done), "
               f"{res.seconds:.0f} s")
    if shard is None:
        typer.echo(format_status(sw, status(sw, res.out)))
    else:
        typer.echo(f"results: {res.out.resolve()}")


@app.command()
def analyze(
    folder: Annotated[Path, typer.Argument(help="A sweep folder (written by `careersim sweep`).")],
    group: Annotated[str, typer.Option(help="Whose outcomes: all, women or men.")] = "all",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Sensitivity analysis of a sweep: tables, figures and analysis/report.html."""
    from simulation.analysis.sweep_analysis import SweepError, analyze as run_analysis, format_summary

    try:
        result = run_analysis(folder, group=group, progress=not quiet)
    except SweepError as exc:
        _fail(str(exc))
    typer.echo(format_summary(result))
    typer.echo(f"report: {result.report}")


@app.command("list")
def list_() -> None:
    """The scenario files in scenarios/, with the question each answers."""
    from simulation.config.resources import scenario_dir

    folder = scenario_dir()
    names = list_scenarios(folder)
    if not names:
        typer.echo(f"no scenarios in {folder}")
        return
    width = max(len(n) for n in names)
    for name in names:
        typer.echo(f"{name:<{width}}  {scenario_question(folder / f'{name}.toml', first_line=True)}")


@app.command()
def params(
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table.")] = False,
) -> None:
    """Every parameter: default, unit, allowed range, source."""
    from simulation.config.params import describe

    rows = describe()
    if markdown:
        typer.echo("| parameter | default | unit | range | meaning | source |")
        typer.echo("|---|---|---|---|---|---|")
    for r in rows:
        rng = f"{r['min']}..{r['max']}" if r["min"] is not None or r["max"] is not None else ""
        if markdown:
            typer.echo(f"| `{r['name']}` | {r['default']} | {r['unit']} | {rng} | {r['meaning']} | {r['source']} |")
        else:
            typer.echo(f"{r['name']} = {r['default']}  [{r['unit']}]  {r['meaning']}  ({r['source']})")


INTERRUPTED = ("interrupted: finished runs are kept and unfinished ones left nothing behind; "
               "run the same command again to finish the rest")


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM (a scheduler's time limit, `kill`): clean up as for Ctrl-C


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from simulation.model import kernel_cache as _cache

        _cache.ensure_fresh()  # once, here in the parent, before any kernel runs (not at import)
        app()  # typer turns Ctrl-C into exit code 130
        code: int | str | None = 0
    except KeyboardInterrupt:
        code = 130
    except SystemExit as exc:
        code = exc.code
    # the work is over (done or interrupted): a late Ctrl-C must not break the shutdown of
    # threads and worker pools, which would print a traceback or hang
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if code == 130:
        typer.echo(INTERRUPTED, err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
