"""One pure function runs one simulation: parameters in, a `Result` out.

The command line, comparisons, sweeps, notebooks and the teaching app all call `simulate`.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from simulation.util import destination
from simulation.model import footprint
from simulation.model.mesa_model import PHASE_NAMES, CareerModel
from simulation.config.params import Params
from simulation.util.progress import Progress, step
from simulation.model.recorder import Recorder, people_table, ties_table
from simulation.run.results import Result, default_run_dir, git_commit, run_id, versions


@contextmanager
def numba_threads(threads: int | None):
    """Run with this many numba threads (results do not depend on it), then restore.

    Parameters
    ----------
    threads : int or None
        Numba threads inside the block (clipped to 1..NUMBA_NUM_THREADS); None leaves them as they are.

    Yields
    ------
    int
        The number of threads in effect inside the block.
    """
    import numba

    if threads is None:
        yield numba.get_num_threads()
        return
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield numba.get_num_threads()
    finally:
        numba.set_num_threads(before)


COMPILING = "compiling the simulation kernels (once; about two minutes on 2 cores, then cached)"

# below this many faculty, waking threads for each parallel phase costs more than it saves
# (measured: 2,000 faculty run faster on one thread, 10,000 faster on two)
ONE_THREAD_BELOW = 4_000


def simulate(params: Params, *, progress: bool = False, scenario_file: str | None = None,
             threads: int | None = None) -> Result:
    """Run one scenario to its horizon and return its tables and manifest.

    Parameters
    ----------
    params : Params
        The resolved scenario (`simulation.load_scenario` makes one from a file and overrides).
    progress : bool, optional
        Show a progress bar by month.
    scenario_file : str, optional
        The file the scenario came from, recorded in the manifest.
    threads : int, optional
        Numba threads for the per-person phases (default: one for populations below
        `ONE_THREAD_BELOW`, all cores otherwise). Every draw is keyed by person and month, so the
        tables are bit-identical for any thread count.

    Returns
    -------
    Result
        `people` (one row per person ever present), `ties` (one row per tie), `series` (one row
        per month) and `manifest` (the parameters, versions, timings and counts of the run).

    Examples
    --------
    >>> from simulation import load_scenario
    >>> result = simulate(load_scenario("network", ["population.n_faculty=300", "horizon_years=5"]))
    >>> result.people.columns[:3].tolist()
    ['faculty_id', 'person_key', 'institution']
    """
    if threads is None and params.population.n_faculty < ONE_THREAD_BELOW:
        threads = 1
    with numba_threads(threads) as n_threads:
        result = _simulate(params, progress, scenario_file)
    result.manifest["threads"] = n_threads
    return result


def _simulate(params: Params, progress: bool, scenario_file: str | None) -> Result:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    model = CareerModel(params)
    recorder = Recorder(params.n_months)
    record_seconds = 0.0
    with Progress(params.n_months, params.name, "month", enabled=progress) as bar:
        for _ in range(params.n_months):
            model.step()
            t = time.perf_counter()
            recorder.record(model, model.last_hired, model.last_exits, model.last_events)
            record_seconds += time.perf_counter() - t
            bar.update(1)
    t_tables = time.perf_counter()
    result = Result(
        series=recorder.series_table(),
        people=people_table(model, recorder),
        ties=ties_table(model),
    )
    phase_seconds = {**model.phase_seconds, "record": record_seconds,
                     "tables": time.perf_counter() - t_tables}
    result.manifest = {
        "scenario": params.name,
        "scenario_file": scenario_file,
        "description": params.description,
        "run_id": run_id(params),
        "seed": params.seed,
        "params": params.model_dump(mode="json"),
        "versions": versions(),
        "git_commit": git_commit(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "phase_seconds": {k: round(v, 4) for k, v in phase_seconds.items()},
        "n_months": params.n_months,
        "n_people": len(result.people),
        "n_ties": len(result.ties),
        "phases": list(PHASE_NAMES) + ["record"],
    }
    return result


def run(params: Params, out: str | Path | None = None, *, progress: bool = False,
        scenario_file: str | None = None, root: str | Path = "results",
        threads: int | None = None) -> tuple[Result, Path]:
    """Simulate and write the result to `out` (default results/<scenario>/<run-id>/).

    The destination is checked before the simulation starts: it must be new, empty, or a
    run folder careersim wrote (`destination.DestinationError` otherwise); so is the memory
    the run needs (`footprint.MemoryShortError` if it cannot fit).

    Parameters
    ----------
    params : Params
        The resolved scenario.
    out : str or Path, optional
        The run folder to write; default `default_run_dir(params, root)`.
    progress : bool, optional
        Show a progress bar, and say when the kernels are being compiled.
    scenario_file : str, optional
        The file the scenario came from, recorded in the manifest.
    root : str or Path, optional
        The results folder under which the default run folder is made.
    threads : int, optional
        Numba threads (see `simulate`).

    Returns
    -------
    tuple of (Result, Path)
        The result, and the folder it was written to.
    """
    folder = Path(out) if out is not None else default_run_dir(params, root)
    source = "--out" if out is not None else "output folder"
    destination.check(folder, "run", source)
    footprint.check(params)
    from simulation.model import kernel_cache as _cache

    if not _cache.is_warm():
        step(COMPILING, progress)
    result = simulate(params, progress=progress, scenario_file=scenario_file, threads=threads)
    destination.remove_leftovers([folder.parent])
    result.save(folder, source)
    return result, folder
