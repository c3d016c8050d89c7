"""SLURM: the job-array script (one array task per shard) and the slurm executor's [cluster]
settings, each sized from the sweep's biggest run.
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from pathlib import Path

from simulation.experiments.sweeps.load import Sweep, SweepError
from simulation.experiments.sweeps.tasks import biggest_params, make_task


DEFAULT_MAX_SHARDS = 50


def default_shards(sweep: Sweep) -> int:
    """Array tasks when --shards is not given: one per task, at most DEFAULT_MAX_SHARDS."""
    return max(1, min(sweep.n_tasks, DEFAULT_MAX_SHARDS))


def cluster_threads(settings: dict) -> int:
    """Numba threads per run for the slurm executor: a job's cores over its worker processes."""
    cores, processes = settings.get("cores") or 1, settings.get("processes") or 1
    return max(1, cores // processes)


def slurm_settings(sweep: Sweep, out: str | Path) -> dict:
    """The slurm executor's [cluster] settings: the file's, with what it leaves out sized for the
    sweep: the workers' logs in the sweep folder's logs/, cores as an array task would ask for
    (`array_resources`) and memory per job for its worker processes' runs (footprint estimate)."""
    settings = cluster_settings(sweep)
    settings.setdefault("log_directory", str((Path(out) / "logs").resolve()))
    if "cores" not in settings or "memory" not in settings:
        need = array_resources(sweep)
        processes = settings.get("processes") or 1
        settings.setdefault("cores", max(need["cores"], processes))
        settings.setdefault("memory", f"{need['memory_mb'] * processes}MiB")
    return settings


def cluster_settings(sweep: Sweep) -> dict:
    """The [cluster] section as given (unset keys left out), for `cluster.slurm_cluster`."""
    return sweep.spec.cluster.model_dump(exclude_unset=True)


def _mem_mb(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTPkmgtp]?)(i?)[Bb]?\s*", text)
    if not m:
        raise SweepError(f"cluster.memory = {text!r}: not an amount such as 4GB")
    number, unit = float(m.group(1)), m.group(2).upper()
    power = " KMGTP".index(unit) if unit else 0  # as SLURM reads them: 1G = 1024M
    return max(1, math.ceil(number * 1024.0 ** (power - 2)))


def launcher(python: str | None = None, prologue: bool = False) -> list[str]:
    """How an array task starts careersim: `<python> -m simulation` with [cluster] python; plain
    `careersim` when a prologue sets up the environment; otherwise this environment's own
    launcher by its absolute path (a shared file system), or `<this python> -m simulation`."""
    if python:
        return [*shlex.split(python), "-m", "simulation"]
    if prologue:
        return ["careersim"]
    mine = Path(sys.executable).parent / "careersim"
    return [str(mine)] if mine.is_file() else [sys.executable, "-m", "simulation"]


BIG_RUN_CORES = 4  # cores an array task asks for when its runs are above the one-thread threshold
MEMORY_MARGIN = 1.5  # the footprint estimate times this, plus the interpreter and libraries
BASE_MEMORY_MB = 1024


def array_resources(sweep: Sweep) -> dict:
    """What one array task needs, from the sweep's biggest run: cores (the [cluster] cores, else
    1 below `simulate.ONE_THREAD_BELOW` faculty and BIG_RUN_CORES at or above it, where numba's
    threads pay, at most a node's CPUs where sinfo answers) and memory in MB (the [cluster]
    memory, else careersim's footprint estimate of that run with a margin, rounded up to 256 MB)."""
    from simulation.model.footprint import estimate_bytes
    from simulation.run.simulate import ONE_THREAD_BELOW

    c = sweep.spec.cluster
    probe = make_task(sweep, Path("."), 0, 0)
    biggest = biggest_params(sweep) or probe.params(probe.runs[0])
    estimate = estimate_bytes(biggest)
    cores = c.cores or (min(BIG_RUN_CORES, _node_cpus(c.queue) or BIG_RUN_CORES)
                        if biggest.population.n_faculty >= ONE_THREAD_BELOW else 1)
    memory = (_mem_mb(c.memory) if c.memory else
              256 * math.ceil((MEMORY_MARGIN * estimate / 2**20 + BASE_MEMORY_MB) / 256))
    return {"cores": cores, "memory_mb": memory, "estimate_mb": math.ceil(estimate / 2**20),
            "n_faculty": biggest.population.n_faculty, "horizon_years": biggest.horizon_years}


def _node_cpus(queue: str | None) -> int | None:
    """The most CPUs a node of the partition has (sinfo), or None without SLURM here."""
    import shutil
    import subprocess

    if shutil.which("sinfo") is None:
        return None
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%c", *(["-p", queue] if queue else [])], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    cpus = [int(x.rstrip("+")) for x in done.stdout.split() if x.rstrip("+").isdigit()]
    return max(cpus) if cpus else None


def job_array_script(sweep: Sweep, out: str | Path, shards: int, sets: list[str] | tuple[str, ...] = (),
                     batch: int | None = None, calibration: str | None = None) -> str:
    """A ready sbatch script: one array task per shard, each running `careersim sweep --shard`
    with as many numba threads as the cores it asks for.

    Parameters
    ----------
    sweep : Sweep
        From `load_sweep`; its [cluster] section sets queue, account, walltime, prologue...
    out : str or Path
        The sweep's folder (its logs/ gets the array tasks' output).
    shards : int
        Array tasks.
    sets, batch, calibration
        The --set, --batch and --calibration each array task passes on.

    Returns
    -------
    str
        The script, for `sbatch`.
    """
    c = sweep.spec.cluster
    need = array_resources(sweep)
    out = Path(out).resolve()
    logs = out / "logs"
    throttle = f"%{c.jobs}" if c.jobs else ""
    lines = ["#!/bin/bash",
             f"# careersim sweep {sweep.name}: {sweep.n_runs} runs in {sweep.n_tasks} tasks, {shards} array tasks",
             f"# submit: sbatch this-file; progress: careersim sweep {shlex.quote(str(sweep.file.resolve()))} "
             f"--out {shlex.quote(str(out))} --status --shards {shards}",
             f"#SBATCH --job-name=careersim-{sweep.name}",
             f"#SBATCH --array=1-{shards}{throttle}",
             f"#SBATCH --output={logs}/%x-%A_%a.out",
             f"# each task: {need['cores']} core{'s' if need['cores'] > 1 else ''} (numba threads per run), "
             f"{need['memory_mb']}M" + ("" if c.memory else f" (careersim's estimate for its biggest run, "
                                                           f"{need['n_faculty']} faculty over {need['horizon_years']} "
                                                           f"years: {need['estimate_mb']}M, with a margin)"),
             "#SBATCH --ntasks=1",
             f"#SBATCH --cpus-per-task={need['cores']}"]
    if c.walltime:
        lines.append(f"#SBATCH --time={c.walltime}")
    lines.append(f"#SBATCH --mem={need['memory_mb']}M")
    if c.queue:
        lines.append(f"#SBATCH --partition={c.queue}")
    if c.account:
        lines.append(f"#SBATCH --account={c.account}")
    for extra in c.job_extra_directives:
        lines.append(extra if extra.startswith("#SBATCH") else f"#SBATCH {extra}")
    # numba sizes its thread pool from the node's cores unless told: keep it to the cores asked for
    lines += ["", "set -eo pipefail", *c.job_script_prologue,
              "export NUMBA_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} OMP_NUM_THREADS=1"]
    command = launcher(c.python, any(line.strip() and not line.lstrip().startswith("#")
                                     for line in c.job_script_prologue))
    command += ["sweep", str(sweep.file.resolve()), "--shard", f"$SLURM_ARRAY_TASK_ID/{shards}",
                "--out", str(out), "--executor", "serial", "--threads", "$NUMBA_NUM_THREADS"]
    for s in sets:
        command += ["--set", s]
    if batch is not None:
        command += ["--batch", str(batch)]
    if calibration is not None:
        command += ["--calibration", calibration]
    lines.append(" ".join(a if a.startswith(("$SLURM", "$NUMBA")) else shlex.quote(a) for a in command))
    return "\n".join(lines) + "\n"
