"""Many runs: interchangeable executors around the same one-run function.

A `RunSpec` is a resolved scenario and the folder its result goes to. `run_many` hands
specs to an executor (serial, local processes, or a Dask cluster) and shows progress.
Each run writes its own folder atomically and a run whose folder already holds a
complete result for the same parameters is skipped, so an interrupted sweep resumes
where it stopped and loses no finished work. Every run is seeded by its own parameters,
so results do not depend on the executor or the number of workers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from simulation.model import footprint
from simulation.util.destination import remove_leftovers
from simulation.config.params import Params
from simulation.util.progress import Progress, step
from simulation.run.results import run_id


@dataclass(frozen=True)
class RunSpec:
    params: Params
    out: Path
    labels: dict[str, Any] = field(default_factory=dict)


def finished_manifest(spec: RunSpec) -> dict | None:
    """The manifest in `spec.out` if it holds the finished result of these exact parameters."""
    manifest = Path(spec.out) / "manifest.json"
    if not manifest.exists():
        return None
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("run_id") == run_id(spec.params) else None


def is_complete(spec: RunSpec) -> bool:
    """Whether `spec.out` already holds the finished result of these exact parameters."""
    return finished_manifest(spec) is not None


def code_version() -> str:
    """This careersim's version and git commit, as run manifests record them."""
    from simulation.run.results import git_commit, versions

    return f"careersim {versions()['careersim']}, commit {git_commit() or 'unknown'}"


def other_versions(manifests: Iterable[dict]) -> int:
    """How many finished runs (their manifests) were made by another careersim version or
    commit than this one (a resumed comparison would mix them)."""
    mine = code_version()
    return sum(f"careersim {m.get('versions', {}).get('careersim')}, commit {m.get('git_commit') or 'unknown'}"
               != mine for m in manifests)


def execute(spec: RunSpec, threads: int | None = None) -> str:
    """Run one spec (unless already done) and return its folder. Runs in any worker."""
    if not is_complete(spec):
        from simulation.run.simulate import simulate

        simulate(spec.params, threads=threads).save(spec.out)
    return str(spec.out)


def _serial(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None, address: Any) -> Iterator[Any]:
    for item in items:
        yield fn(item)


_WATCHING: list[int] = []


def die_with_parent(parent: int | None = None) -> None:
    """In a worker process: exit as soon as `parent` (default: the process that started it) is
    gone (even after a SIGKILL), instead of running on as an orphan. Idempotent."""
    if _WATCHING:
        return
    parent = parent or os.getppid()
    _WATCHING.append(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(1)

    threading.Thread(target=watch, name="careersim-parent-watch", daemon=True).start()


def _in_worker(fn: Callable[[Any], Any], item: Any) -> Any:
    die_with_parent()
    return fn(item)


def _processes(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None, address: Any) -> Iterator[Any]:
    from joblib import Parallel, delayed, parallel_config

    n = workers or os.cpu_count() or 1
    # interrupted, joblib stops the workers at once; a run cut short leaves only a temporary
    # folder or file, which the next run removes. Each worker watches its parent from the
    # moment it starts (idle workers too), so none outlives a parent that was killed.
    with parallel_config(backend="loky", initializer=die_with_parent, initargs=(os.getpid(),)):
        parallel = Parallel(n_jobs=n, return_as="generator_unordered")
        yield from parallel(delayed(_in_worker)(fn, item) for item in items)


@contextmanager
def dask_client(address: Any = None, workers: int | None = None):
    """A `distributed.Client` for `address`: an existing Client (used as it is, left open), a
    cluster object (a LocalCluster, dask-jobqueue's SLURMCluster...; left running), a scheduler
    address such as tcp://host:8786, or None for a LocalCluster of `workers` processes (closed
    at the end)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask executor needs `pip install careersim[cluster]`") from exc
    if isinstance(address, Client):
        yield address
        return
    cluster = None
    if address is None or (isinstance(address, str) and not address):
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(address)  # an address, or a cluster object someone else owns
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc}); is it running, "
                             "and is the address right (e.g. tcp://10.0.0.5:8786)?") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None, address: Any) -> Iterator[Any]:
    from distributed import as_completed

    with dask_client(address, workers) as client:
        futures = client.map(fn, list(items), pure=False)
        for future in as_completed(futures):
            yield future.result()


def is_remote(executor: str, address: Any) -> bool:
    """Whether the work runs on other machines (a Dask scheduler or cluster given): then this
    machine's memory and compiled kernels do not matter."""
    if executor == "slurm":  # SLURM jobs, on whichever nodes the cluster gives them
        return True
    return executor == "dask" and address is not None and not (isinstance(address, str) and not address)


def map_tasks(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    executor: str = "processes",
    workers: int | None = None,
    address: Any = None,
    progress: bool = False,
    desc: str = "tasks",
) -> Iterator[Any]:
    """`fn(item)` for every item on an executor; yields the results as they finish (in any
    order). `fn` and the items must pickle (processes, dask). `address` (dask only): a
    scheduler address, a `distributed.Client` or a cluster object; None starts a LocalCluster
    of `workers` processes. With `progress`, counts finished items."""
    check_executor(executor)  # said at once, not at the first result
    items = list(items)
    if executor != "serial" and len(items) == 1:
        executor = "serial"
    return _mapped(fn, items, executor, workers, address, progress, desc)


def _mapped(fn: Callable[[Any], Any], items: list[Any], executor: str, workers: int | None, address: Any,
            progress: bool, desc: str) -> Iterator[Any]:
    with Progress(len(items), desc, "task", enabled=progress) as bar:
        if items:
            for result in _RUNNERS[executor](fn, items, workers, address):
                bar.update(1)
                yield result


# executor "slurm": the [cluster] settings (see simulation.experiments.cluster) its SLURMCluster is built from,
# unless `address` is such a mapping itself
SLURM_SETTINGS: dict[str, Any] = {}


def _slurm(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None, address: Any) -> Iterator[Any]:
    """Dask workers in SLURM jobs: dask-jobqueue's SLURMCluster, scaled to the settings' `jobs`,
    cancelled at the end; then as the dask executor with that cluster."""
    from simulation.experiments.cluster import slurm_cluster

    settings = address if isinstance(address, Mapping) else SLURM_SETTINGS
    with slurm_cluster(settings) as cluster:
        yield from _dask(fn, items, workers, cluster)


_RUNNERS = {"serial": _serial, "processes": _processes, "dask": _dask, "slurm": _slurm}
EXECUTORS = tuple(_RUNNERS)


def check_executor(executor: str) -> None:
    if executor not in _RUNNERS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")


_COMPILED: list[bool] = []  # this process has compiled or loaded the kernels


def compile_kernels(params: Params, progress: bool = True) -> float:
    """Compile (or load) every kernel in this process before workers start, so that they load
    them from the on-disk cache instead of each compiling them again. Says so when it compiles."""
    from simulation.model import kernel_cache as _cache
    from simulation.run.simulate import COMPILING, simulate

    if _COMPILED:  # once per process (calibration evaluates many batches)
        return 0.0
    cold = not _cache.is_warm()
    if cold:
        step(COMPILING, progress)
    t = time.perf_counter()
    data = params.model_dump()
    pop = data["population"]
    pop["n_faculty"] = max(40, pop["n_institutions"] * pop["min_institution_size"])
    data["horizon_years"] = 2
    simulate(Params.model_validate(data), threads=1)
    seconds = time.perf_counter() - t
    _COMPILED.append(True)
    if cold:
        step(f"kernels compiled in {seconds:.0f} s", progress)
    return seconds


def run_many(
    specs: Iterable[RunSpec],
    executor: str = "processes",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    desc: str = "runs",
) -> list[Path]:
    """Run every spec; return their folders in the order given."""
    check_executor(executor)
    specs = list(specs)
    # what processes that died (interrupted, killed) left half-written on this host
    remove_leftovers(Path(s.out).parent for s in specs)
    finished = [finished_manifest(s) for s in specs]
    todo = [s for s, m in zip(specs, finished) if m is None]
    mixed = other_versions(m for m in finished if m is not None)
    if mixed:
        step(f"note: {mixed} finished runs kept from an earlier start were made by another version of careersim "
             f"than this one ({code_version()}); the results mix the two: give a new --out to run them all "
             "with this version", progress)
    if todo and not is_remote(executor, address):  # runs on this machine: will they fit?
        parallel = 1 if executor == "serial" else min(len(todo), workers or os.cpu_count() or 1)
        footprint.check(max((s.params for s in todo), key=footprint.estimate_bytes), parallel)
        compile_kernels(todo[0].params, progress)
    with Progress(len(specs), desc, "run", initial=len(specs) - len(todo), enabled=progress) as bar:
        if todo:
            if executor != "serial" and len(todo) == 1:
                executor = "serial"
            if executor == "processes":  # runs in parallel: no oversubscription
                n = workers or os.cpu_count() or 1
                fn = partial(execute, threads=max(1, (os.cpu_count() or 1) // n))
            else:
                fn = partial(execute, threads=1) if executor in ("dask", "slurm") else execute
            for _ in _RUNNERS[executor](fn, todo, workers, address):
                bar.update(1)
    return [Path(s.out) for s in specs]
