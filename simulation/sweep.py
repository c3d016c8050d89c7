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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import footprint
from .destination import remove_leftovers
from .params import Params
from .progress import Progress, step
from .results import run_id

EXECUTORS = ("serial", "processes", "dask")


@dataclass(frozen=True)
class RunSpec:
    params: Params
    out: Path
    labels: dict[str, Any] = field(default_factory=dict)


def is_complete(spec: RunSpec) -> bool:
    """Whether `spec.out` already holds the finished result of these exact parameters."""
    manifest = Path(spec.out) / "manifest.json"
    if not manifest.exists():
        return False
    try:
        return json.loads(manifest.read_text()).get("run_id") == run_id(spec.params)
    except (OSError, ValueError):
        return False


def execute(spec: RunSpec, threads: int | None = None) -> str:
    """Run one spec (unless already done) and return its folder. Runs in any worker."""
    if not is_complete(spec):
        from .run import simulate

        simulate(spec.params, threads=threads).save(spec.out)
    return str(spec.out)


def _serial(specs: Sequence[RunSpec], workers: int | None, address: str | None) -> Iterator[str]:
    for spec in specs:
        yield execute(spec)


_WATCHING: list[int] = []


def die_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone (even after
    a SIGKILL), instead of running on as an orphan. Idempotent."""
    if _WATCHING:
        return
    parent = os.getppid()
    _WATCHING.append(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(1)

    threading.Thread(target=watch, name="careersim-parent-watch", daemon=True).start()


def _in_worker(spec: RunSpec, threads: int | None) -> str:
    die_with_parent()
    return execute(spec, threads)


def _processes(specs: Sequence[RunSpec], workers: int | None, address: str | None) -> Iterator[str]:
    from joblib import Parallel, delayed

    n = workers or os.cpu_count() or 1
    threads = max(1, (os.cpu_count() or 1) // n)  # runs in parallel: no oversubscription
    # interrupted, joblib stops the workers at once; a run cut short leaves only a temporary
    # folder, which the next run_many removes
    parallel = Parallel(n_jobs=n, return_as="generator_unordered", backend="loky")
    yield from parallel(delayed(_in_worker)(spec, threads) for spec in specs)


def _dask(specs: Sequence[RunSpec], workers: int | None, address: str | None) -> Iterator[str]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask executor needs `pip install careersim[cluster]`") from exc
    if address:
        client = Client(address)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(execute, list(specs), threads=1, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


_RUNNERS = {"serial": _serial, "processes": _processes, "dask": _dask}


def compile_kernels(params: Params, progress: bool = True) -> float:
    """Compile (or load) every kernel in this process before workers start, so that they load
    them from the on-disk cache instead of each compiling them again. Says so when it compiles."""
    from . import _cache
    from .run import simulate

    cold = not _cache.is_warm()
    if cold:
        step("compiling the simulation kernels (once; about a minute on 2 cores, then cached)", progress)
    t = time.perf_counter()
    data = params.model_dump()
    pop = data["population"]
    pop["n_faculty"] = max(40, pop["n_institutions"] * pop["min_institution_size"])
    data["horizon_years"] = 2
    simulate(Params.model_validate(data), threads=1)
    seconds = time.perf_counter() - t
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
    if executor not in _RUNNERS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    specs = list(specs)
    # what processes that died (interrupted, killed) left half-written on this host
    remove_leftovers(Path(s.out).parent for s in specs)
    todo = [s for s in specs if not is_complete(s)]
    if todo and not (executor == "dask" and address):  # runs on this machine: will they fit?
        parallel = 1 if executor == "serial" else min(len(todo), workers or os.cpu_count() or 1)
        footprint.check(max((s.params for s in todo), key=footprint.estimate_bytes), parallel)
        compile_kernels(todo[0].params, progress)
    with Progress(len(specs), desc, "run", initial=len(specs) - len(todo), enabled=progress) as bar:
        if todo:
            if executor != "serial" and len(todo) == 1:
                executor = "serial"
            for _ in _RUNNERS[executor](todo, workers, address):
                bar.update(1)
    return [Path(s.out) for s in specs]
