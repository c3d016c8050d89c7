"""Running a sweep: its output folder (sweep.json, design.parquet), shards, what is left to do,
the run itself on an executor, and reading the dataset and its status back.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.util import destination
from simulation.analysis.sweep_analysis import unique_runs
from simulation.config.params import calibration_record
from simulation.experiments.sweeps.load import Sweep, SweepError
from simulation.experiments.sweeps.slurm import cluster_settings, cluster_threads, slurm_settings
from simulation.experiments.sweeps.tasks import biggest_params, finished_tasks, make_task, run_task


def default_out(sweep: Sweep) -> Path:
    """The output folder when none is given: results/sweeps/<name>."""
    return Path("results") / "sweeps" / sweep.name


def plan_id(sweep: Sweep) -> str:
    """What makes two invocations the same sweep: same runs with the same settings and tasks."""
    design = sweep.design()
    ident = {
        "base": sweep.base_data, "fixed": list(sweep.fixed), "seed": sweep.spec.seed,
        "replicates": sweep.spec.replicates, "models": sweep.models, "outcomes": sweep.outcomes,
        "parameters": [p.as_dict() for p in sweep.parameters], "batch": sweep.batch,
        "design": hashlib.sha256(design.to_numpy(dtype=float).tobytes()).hexdigest(),
    }
    if sweep.common_seeds:  # (a sweep with independent seeds keeps the id it had before common random numbers)
        ident["seeds"] = "common"
    if sweep.ensemble:  # (a point sweep's id is as it was before ensembles)
        ident["calibration"] = {"mode": "ensemble", "members": list(sweep.members)}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def manifest(sweep: Sweep) -> dict:
    """What sweep.json records: the file, the design, the rules of seeds, members and tasks, versions."""
    from simulation.run.results import git_commit, versions

    d = sweep.spec.design
    design: dict[str, Any] = {"kind": d.kind, "parameters": [p.as_dict() for p in sweep.parameters],
                              "n": d.n, "levels": (d.levels or 4) if d.kind == "morris" else d.levels,
                              "calc_second_order": bool(d.calc_second_order)}
    if d.kind in ("sobol", "morris"):
        design["salib_problem"] = sweep.salib_problem()
    return {
        "name": sweep.name, "description": sweep.spec.description, "sweep_file": sweep.text,
        "sweep_path": str(sweep.file.resolve()), "base": sweep.spec.base, "base_file": str(sweep.base_file),
        "seed": sweep.spec.seed, "replicates": sweep.spec.replicates, "models": sweep.models,
        "outcomes": sweep.outcomes, "fixed": list(sweep.fixed), "design": design,
        "calibration": sweep.calibration, "ensemble": ensemble_manifest(sweep),
        "horizon_years": None if "horizon_years" in sweep.names else sweep.min_horizon,
        "n_points": sweep.n_points, "n_runs": sweep.n_runs, "n_tasks": sweep.n_tasks, "batch": sweep.batch,
        "seeds": sweep.spec.seeds,
        "seed_rule": ("SeedSequence(entropy=seed, spawn_key=(0, replicate)).generate_state(1, uint64)[0] >> 2: "
                      "common random numbers, replicate r has the same seed at every point" if sweep.common_seeds else
                      "SeedSequence(entropy=seed, spawn_key=(point, replicate)).generate_state(1, uint64)[0] >> 2"),
        "member_rule": ("replicate r of every point runs on ensemble member r mod M (its values at the level of "
                        "the defaults)" if sweep.ensemble else None),
        "task_rule": "run r (point-major, then replicate, then model) is in task r // batch; "
                     "task t is in shard (t mod N) + 1 of N; runs/shard=k: the shard that ran it (0: no --shard)",
        "plan_id": plan_id(sweep), "versions": versions(), "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def ensemble_manifest(sweep: Sweep) -> dict | None:
    """The ensemble a sweep runs on (None for a point sweep): its members' values and how the
    installed record made them."""
    if not sweep.ensemble:
        return None
    ensemble = calibration_record().get("ensemble") or {}
    return {"members": len(sweep.members), "member_values": list(sweep.members),
            "method": str(ensemble.get("method", "")), "created_utc": ensemble.get("created_utc"),
            "members_used": min(len(sweep.members), sweep.spec.replicates)}


def prepare(sweep: Sweep, out: str | Path, source: str = "--out") -> Path:
    """Claim the output folder and write sweep.json and design.parquet (or check that the
    folder holds this same sweep).

    Parameters
    ----------
    sweep : Sweep
        From `load_sweep`.
    out : str or Path
        The output folder.
    source : str
        How messages name the folder ("--out" or "output folder").

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    SweepError
        The folder holds a different sweep (what differs is said).
    """
    out = destination.claim(out, "sweep", source)
    path = out / "sweep.json"
    pid = plan_id(sweep)
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("plan_id") != pid:
            what = []
            if old.get("calibration", "point") != sweep.calibration:
                what.append(f"calibration {old.get('calibration', 'point')} there, {sweep.calibration} now")
            elif sweep.ensemble and (old.get("ensemble") or {}).get("member_values") != list(sweep.members):
                what.append("a different calibrated ensemble")
            if old.get("seeds", "independent") != sweep.spec.seeds:
                what.append(f"seeds {old.get('seeds', 'independent')} there"
                            + (" (made before sweeps ran on common random numbers)" if "seeds" not in old else "")
                            + f", {sweep.spec.seeds} now; seeds = \"{old.get('seeds', 'independent')}\" in the file "
                            "resumes it")
            if old.get("batch") not in (None, sweep.batch):
                what.append(f"batch {old.get('batch')} there, {sweep.batch} now")
            if old.get("fixed") not in (None, list(sweep.fixed)):
                what.append("different fixed settings or --set")
            if old.get("sweep_file") not in (None, sweep.text):
                what.append("a different sweep file")
            raise SweepError(f"{source} {out}: holds a different sweep ({'; '.join(what) or old.get('name', '?')}); "
                             "its finished tasks would not match. Run with the same file and options, "
                             "or give a new --out")
    else:
        destination.write_text(path, json.dumps(manifest(sweep), indent=2, default=str) + "\n")
    if not (out / "design.parquet").exists():
        destination.write_parquet(sweep.design(), out / "design.parquet")
    (out / "runs").mkdir(exist_ok=True)
    return out


def _parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if shard is None or isinstance(shard, tuple):
        return shard
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(shard))
    if not m:
        raise SweepError(f"--shard {shard}: expected I/N, e.g. --shard 3/50 (shard I of N, I from 1 to N)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise SweepError(f"--shard {shard}: I must be from 1 to N (shards are numbered from 1), and N at least 1")
    return i, n


def shard_tasks(n_tasks: int, shard: tuple[int, int] | None) -> list[int]:
    """The tasks of shard (i, n): t with t mod n = i - 1; every task without a shard."""
    if shard is None:
        return list(range(n_tasks))
    i, n = shard
    return list(range(i - 1, n_tasks, n))


@dataclass
class SweepRun:
    """What `run_sweep` did: the folder, tasks and runs run, failed runs, tasks already done, seconds."""

    out: Path
    tasks_run: int
    runs: int
    failed: int
    skipped_tasks: int
    seconds: float


def _failed_tasks(files: dict[int, list[Path]]) -> set[int]:
    import pyarrow.parquet as pq

    bad = set()
    for t, paths in files.items():
        for f in paths:
            status = pq.read_table(f, columns=["status"]).column("status").to_pylist()
            if "failed" in status:
                bad.add(t)
    return bad


def run_sweep(
    sweep: Sweep,
    out: str | Path | None = None,
    executor: str = "processes",
    workers: int | None = None,
    address: Any = None,
    shard: str | tuple[int, int] | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    threads: int | None = None,
) -> SweepRun:
    """Run what is not finished yet of the sweep (or of one shard of it).

    Parameters
    ----------
    sweep : Sweep
        From `load_sweep`.
    out : str or Path, optional
        The output folder; default results/sweeps/<name> (`default_out`).
    executor : str
        "processes", "serial", "dask" or "slurm" (`executors.EXECUTORS`).
    workers : int, optional
        Parallel workers; default one per core.
    address : optional
        A Dask scheduler's address (or cluster) for executor "dask".
    shard : str or (int, int), optional
        "I/N": run only shard I of N (tasks t with t mod N = I - 1).
    progress : bool
        Show a progress bar.
    retry_failed : bool
        Run again the tasks that hold failed runs.
    threads : int, optional
        Numba threads per run (an array task's --threads, its cores); default: one per run below
        `simulate.ONE_THREAD_BELOW` faculty, else the cores over the parallel runs.

    Returns
    -------
    SweepRun
        The folder and what ran, failed and was already done.
    """
    from simulation.experiments.executors import EXECUTORS, compile_kernels, is_remote, map_tasks
    from simulation.model import footprint
    from simulation.util.progress import Progress, step

    t0 = time.perf_counter()
    shard = _parse_shard(shard)
    if executor not in EXECUTORS:
        raise SweepError(f"--executor {executor}: must be one of {', '.join(EXECUTORS)}")
    source = "--out" if out is not None else "output folder"
    if executor == "slurm":  # SLURM asked first: a section it would refuse stops here, nothing written or submitted
        try:
            from simulation.experiments.cluster import check_slurm
        except ImportError as exc:
            raise SweepError(f"--executor slurm needs simulation.experiments.cluster and dask-jobqueue ({exc}); "
                             "or use --job-array") from None
        check_slurm(slurm_settings(sweep, out if out is not None else default_out(sweep)))
    out = prepare(sweep, out if out is not None else default_out(sweep), source)
    runs_dir = out / "runs"
    destination.remove_leftovers([out, runs_dir, *runs_dir.glob("shard=*")])
    files = finished_tasks(out)
    mine = shard_tasks(sweep.n_tasks, shard)
    done = set(files)
    if retry_failed:
        done -= _failed_tasks({t: files[t] for t in mine if t in files})
    todo = [t for t in mine if t not in done]
    total = sum(len(sweep.task_runs(t)) for t in mine)
    initial = total - sum(len(sweep.task_runs(t)) for t in todo)
    cluster_ctx = None
    if executor == "slurm":
        try:
            from simulation.experiments.cluster import slurm_cluster
        except ImportError as exc:
            raise SweepError(f"--executor slurm needs simulation.experiments.cluster and dask-jobqueue ({exc}); "
                             "or use --job-array") from None
        settings = slurm_settings(sweep, out)
        cluster_ctx = slurm_cluster(settings, say=lambda text: step(text))  # job ids and waits: said even with -q
    local = cluster_ctx is None and not is_remote(executor, address)
    asked = threads
    if threads is not None and threads < 1:
        raise SweepError(f"--threads {threads}: must be at least 1 (numba threads per run)")
    if todo and local:
        parallel = 1 if executor == "serial" else min(len(todo), workers or _cpus())
        probe = make_task(sweep, out, todo[0], 0)
        first = probe.params(probe.runs[0])
        biggest = biggest_params(sweep)
        footprint.check(biggest or first, parallel)
        compile_kernels(first, progress)
        if executor == "processes" and asked is None:
            threads = max(1, _cpus() // parallel)
    if executor == "slurm" and asked is None:  # each worker process runs one task at a time on its cores
        threads = cluster_threads(cluster_settings(sweep))
    if executor != "serial":
        threads = threads or 1
    tasks = [make_task(sweep, out, t, shard[0] if shard else 0, threads) for t in todo]
    label = f"sweep {sweep.name}" + (f" shard {shard[0]}/{shard[1]}" if shard else "")
    failed = ran = 0
    with Progress(total, label, "run", initial=initial, enabled=progress) as bar:
        if tasks:
            def consume(executor_: str, address_: Any) -> None:
                nonlocal failed, ran
                for res in map_tasks(run_task, tasks, executor_, workers, address_):
                    for old in files.get(res["task"], []):  # a retried task: its older file goes
                        if str(old.resolve()) != res["path"]:
                            old.unlink(missing_ok=True)
                    ran += res["runs"]
                    if res["failed"]:
                        failed += res["failed"]
                        bar.desc = f"{label} ({failed} failed)"
                        if bar.bar is not None:
                            bar.bar.set_description(bar.desc)
                    bar.update(res["runs"])

            if cluster_ctx is not None:
                with cluster_ctx as cluster:  # started and scaled to [cluster] jobs by slurm_cluster
                    consume("dask", cluster)
            else:
                consume(executor, address)
    if failed:
        step(f"{failed} of {ran} runs failed; their rows have status \"failed\" and the error", progress)
    return SweepRun(out, len(tasks), ran, failed, len(mine) - len(todo), time.perf_counter() - t0)


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def read_runs(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every row of a sweep's dataset.

    Parameters
    ----------
    out : str or Path
        The sweep's folder.
    columns : list of str, optional
        Only these columns; default all.

    Returns
    -------
    pandas.DataFrame
        One row per point x replicate x model x group (the `shard` partition column dropped, a
        task written twice read once), sorted by point, replicate, model and group; empty when no
        task has finished.
    """
    import pyarrow.dataset as ds

    runs = Path(out) / "runs"
    if not finished_tasks(out):
        return pd.DataFrame()
    table = ds.dataset(runs, format="parquet", partitioning="hive").to_table(columns=columns)
    frame = table.to_pandas()
    frame = frame.drop(columns=[c for c in ("shard",) if c in frame.columns])
    frame = unique_runs(frame)
    order = {"all": 0, "women": 1, "men": 2}
    keys = [c for c in ("point", "replicate", "model", "group") if c in frame.columns]
    if keys:
        frame = frame.assign(_g=frame["group"].map(order) if "group" in frame.columns else 0)
        frame = frame.sort_values([k if k != "group" else "_g" for k in keys], kind="stable").drop(columns="_g")
    return frame.reset_index(drop=True)


def status(sweep: Sweep, out: str | Path, shards: int | None = None) -> dict:
    """Done, failed and remaining tasks and runs, across every shard folder.

    Parameters
    ----------
    sweep : Sweep
        From `load_sweep`.
    out : str or Path
        The sweep's folder.
    shards : int, optional
        Also count each of this many shards' finished tasks.

    Returns
    -------
    dict
        Counts of tasks and runs (done, ok, failed, remaining), whether the folder holds this
        sweep, the machines the tasks ran on; `format_status` writes it as text.
    """
    import pyarrow.dataset as ds

    out = Path(out)
    files = finished_tasks(out)
    info = {"out": str(out.resolve()), "n_points": sweep.n_points, "n_runs": sweep.n_runs,
            "n_tasks": sweep.n_tasks, "batch": sweep.batch, "tasks_done": 0, "runs_ok": 0,
            "runs_failed": 0, "tasks_with_failures": 0, "tasks_remaining": sweep.n_tasks,
            "runs_remaining": sweep.n_runs, "duplicates": 0, "started": (out / "sweep.json").exists()}
    if (out / "sweep.json").exists():
        try:
            old = json.loads((out / "sweep.json").read_text())
            info["same_sweep"] = old.get("plan_id") == plan_id(sweep)
        except (OSError, ValueError):
            info["same_sweep"] = False
    valid = {t: p for t, p in files.items() if t < sweep.n_tasks}
    info["duplicates"] = sum(len(p) - 1 for p in valid.values())
    if valid:
        paths = [str(p[0]) for p in valid.values()]
        table = ds.dataset(paths, format="parquet").to_table(
            columns=["point", "replicate", "model", "status"], filter=ds.field("group") == "all").to_pandas()
        info["runs_ok"] = int((table["status"] == "ok").sum())
        info["runs_failed"] = int((table["status"] == "failed").sum())
        info["tasks_done"] = len(valid)
        bad_runs = table[table["status"] == "failed"]
        if len(bad_runs):
            info["tasks_with_failures"] = len({_task_of(sweep, r) for r in bad_runs.itertuples()})
        done_runs = sum(len(sweep.task_runs(t)) for t in valid)
        info["tasks_remaining"] = sweep.n_tasks - len(valid)
        info["runs_remaining"] = sweep.n_runs - done_runs
    from simulation.analysis.sweep_analysis import machines_text, task_machines

    info["machines"] = machines_text(task_machines(out)) if valid else None
    if shards:
        per = []
        for i in range(1, shards + 1):
            ts = shard_tasks(sweep.n_tasks, (i, shards))
            per.append((i, sum(t in valid for t in ts), len(ts)))
        info["shards"] = per
    return info


def _task_of(sweep: Sweep, row) -> int:
    models = sweep.models or [""]
    m = models.index(row.model) if row.model in models else 0
    r = row.point * sweep.runs_per_point + row.replicate * len(models) + m
    return r // sweep.batch


def format_status(sweep: Sweep, info: dict) -> str:
    """`status(...)` as the lines `careersim sweep --status` prints."""
    models = f" x {len(sweep.models)} models" if sweep.models else ""
    lines = [f"sweep {sweep.name}: {info['n_points']} points x {sweep.spec.replicates} replicates{models} = "
             f"{info['n_runs']} runs in {info['n_tasks']} tasks of up to {info['batch']} runs"]
    if sweep.ensemble:
        lines.append(f"calibration: the calibrated ensemble's {len(sweep.members)} members "
                     "(replicate r of every point on member r mod "
                     f"{len(sweep.members)}; {min(len(sweep.members), sweep.spec.replicates)} used)")
    if not info["started"]:
        lines.append("not started: no results yet")
    elif info.get("same_sweep") is False:
        lines.append("warning: the folder holds a different sweep (other file, --set, --batch or --calibration); "
                     "the counts below may not match it")
    done_runs = info["runs_ok"] + info["runs_failed"]
    lines.append(f"done: {info['tasks_done']} tasks, {done_runs} runs ({info['runs_ok']} ok, "
                 f"{info['runs_failed']} failed"
                 + (f" in {info['tasks_with_failures']} tasks" if info["runs_failed"] else "") + ")")
    lines.append(f"remaining: {info['tasks_remaining']} tasks, {info['runs_remaining']} runs")
    if info["duplicates"]:
        lines.append(f"warning: {info['duplicates']} tasks have more than one file (were shards run twice at once?)")
    if info.get("shards"):
        complete = sum(d == n for _, d, n in info["shards"])
        partial = [f"{i} ({d}/{n})" for i, d, n in info["shards"] if 0 < d < n]
        empty = [str(i) for i, d, n in info["shards"] if d == 0 and n > 0]
        text = f"shards: {complete} of {len(info['shards'])} complete"
        if partial:
            text += "; partly done: " + ", ".join(partial[:20]) + (" ..." if len(partial) > 20 else "")
        if empty:
            text += ("; no task finished (not started, or stopped before its first task ended): "
                     + ", ".join(empty[:30]) + (" ..." if len(empty) > 30 else ""))
        lines.append(text)
    if info["runs_failed"]:
        lines.append("failed runs keep their error in the `error` column; --retry-failed runs their tasks again")
    if info.get("machines"):
        lines.append(f"note: {info['machines']}")
    lines.append(
        f"results: {info['out']} (sweep.json, design.parquet, runs/: Parquet dataset, Hive-partitioned by shard)"
    )
    return "\n".join(lines)
