"""The slurm executor's cluster: dask-jobqueue's `SLURMCluster`, built from a sweep file's
[cluster] section.

    [cluster]
    queue = "debug"                 # partition (sbatch -p); default: the cluster's default one
    account = "my-lab"              # sbatch -A, if the site wants one
    cores = 1                       # cores per job (one Dask worker thread each)
    processes = 1                   # Dask worker processes per job
    memory = "2GB"                  # memory per job
    walltime = "01:00:00"           # per job: workers stop when it runs out
    jobs = 4                        # SLURM jobs to start (workers = jobs x processes)
    job_extra_directives = ["--qos=short"]                 # more #SBATCH lines
    job_script_prologue = ["source /shared/careersim/.venv/bin/activate"]   # run before the worker
    interface = "ib0"               # network interface the scheduler and workers talk over
    python = "/shared/careersim/.venv/bin/python"   # the workers' python; default: this one
    local_directory = "/tmp"        # each worker's scratch space, on its node
    log_directory = "results/sweeps/logs"           # the jobs' stdout and stderr
    dashboard_address = ":8787"     # the scheduler's dashboard; default: loopback, a free port
    start_timeout = 600             # seconds to wait for a first worker before giving up

`slurm_cluster(settings)` is a context manager: it checks the section (an unknown key or a
wrong value stops with one line naming it), starts the cluster's scheduler in this process,
submits `jobs` worker jobs with sbatch and closes everything (cancelling the jobs) on exit:

    with slurm_cluster(settings) as cluster, Client(cluster) as client:
        ...

Runs are seeded by their own parameters, so results are the same as on any other executor.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from simulation.config.scenario import ConfigError


class ClusterError(ConfigError):
    """A [cluster] section that cannot be used, or no SLURM to use it on; one line."""


DEFAULTS: dict[str, Any] = {
    "queue": None,
    "account": None,
    "cores": 1,
    "processes": 1,
    "memory": "2GB",
    "walltime": "01:00:00",
    "jobs": 4,
    "job_extra_directives": [],
    "job_script_prologue": [],
    "job_directives_skip": [],
    "worker_extra_args": [],
    "interface": None,
    "python": None,
    "local_directory": None,
    "log_directory": None,
    "job_name": "careersim",
    "job_cpu": None,
    "job_mem": None,
    "death_timeout": 120,
    "dashboard_address": "127.0.0.1:0",
    "shebang": None,
    "start_timeout": 600,
}

_INTS = {"cores", "processes", "jobs", "job_cpu", "death_timeout", "start_timeout"}
_LISTS = {"job_extra_directives", "job_script_prologue", "job_directives_skip", "worker_extra_args"}
_WALLTIME = re.compile(r"(\d+-)?\d+(:\d{1,2}){0,2}|\d+-\d+")


def _fail(key: str, value: Any, allowed: str) -> ClusterError:
    return ClusterError(f"[cluster] {key} = {value!r}: {allowed}")


def resolve(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The [cluster] section checked and completed with the defaults; raises `ClusterError`
    (one line, naming the key) on an unknown key or a wrong value. Needs no SLURM."""
    settings = dict(settings or {})
    for key in settings:
        if key not in DEFAULTS:
            raise ClusterError(f"[cluster] unknown key {key!r}; allowed: {', '.join(DEFAULTS)}")
    out = {**DEFAULTS, **{k: v for k, v in settings.items()}}
    for key in _INTS:
        v = out[key]
        if v is None and key in ("job_cpu",):
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise _fail(key, v, "a whole number of 1 or more")
    if out["processes"] > out["cores"]:
        raise _fail("processes", out["processes"], f"at most cores ({out['cores']}): each process needs a core")
    for key in _LISTS:
        v = out[key]
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
            raise _fail(key, v, "a list of strings")
        out[key] = list(v)
    for key in ("memory", "job_mem"):
        v = out[key]
        if v is None and key == "job_mem":
            continue
        if not isinstance(v, str):
            raise _fail(key, v, 'a size as a string, e.g. "2GB"')
        from dask.utils import parse_bytes

        try:
            if parse_bytes(v) <= 0:
                raise ValueError
        except (ValueError, TypeError):
            raise _fail(key, v, 'a size, e.g. "2GB" or "512MiB"') from None
    if not isinstance(out["walltime"], str) or not _WALLTIME.fullmatch(out["walltime"]):
        raise _fail("walltime", out["walltime"], 'a SLURM time, e.g. "01:00:00" or "2-00:00:00"')
    for key in ("queue", "account", "interface", "python", "local_directory", "log_directory", "job_name",
                "dashboard_address", "shebang"):
        v = out[key]
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise _fail(key, v, "a non-empty string")
    return out


def cluster_kwargs(settings: Mapping[str, Any] | None) -> tuple[dict[str, Any], int]:
    """The `SLURMCluster` keyword arguments for a [cluster] section, and the number of jobs.

    Each worker process runs one task at a time (`--nthreads 1`) with numba threads for the
    job's cores over its processes (NUMBA_NUM_THREADS, set before the worker starts), so a job
    uses the cores it asked for and no more."""
    s = resolve(settings)
    jobs = s.pop("jobs")
    dashboard = s.pop("dashboard_address")
    s.pop("start_timeout")
    threads = max(1, s["cores"] // s["processes"])
    s["worker_extra_args"] = [*s["worker_extra_args"], "--nthreads", "1"]
    s["job_script_prologue"] = [f"export NUMBA_NUM_THREADS={threads} OMP_NUM_THREADS=1", *s["job_script_prologue"]]
    kwargs = {k: v for k, v in s.items() if v is not None and v != []}
    # the scheduler's web server listens on loopback (a free port) unless told otherwise, e.g.
    # dashboard_address = ":8787" (on every interface)
    kwargs["scheduler_options"] = {"dashboard_address": dashboard}
    return kwargs, jobs


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ClusterError(f"{args[0]}: could not ask SLURM ({exc})") from None


def _first_error(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    errors = [x for x in lines if "error" in x.lower()]
    return (errors or lines or ["no message"])[0]


def check_slurm(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Ask SLURM, before anything is submitted, whether it would take a worker job of these
    settings: the partition exists (sinfo), and `sbatch --test-only` accepts the partition,
    account, time, memory and cores. Raises `ClusterError` with one line naming what it refused."""
    s = resolve(settings)
    for tool in ("sbatch", "sinfo"):
        if shutil.which(tool) is None:
            raise ClusterError(f"the slurm executor needs a SLURM cluster: {tool} not found on PATH")
    parts = _run(["sinfo", "-h", "-o", "%P"])
    names = sorted({p.strip().rstrip("*") for p in parts.stdout.split() if p.strip()})
    if s["queue"] and parts.returncode == 0 and s["queue"] not in names:
        raise ClusterError(f"[cluster] queue = {s['queue']!r}: no such partition on this cluster (sinfo lists: "
                           f"{', '.join(names) or 'none'}); name one of them, or leave queue out for the default; "
                           "nothing was submitted")
    from dask.utils import parse_bytes

    args = ["sbatch", "--test-only", "--ntasks=1", f"--cpus-per-task={s['job_cpu'] or s['cores']}",
            f"--time={s['walltime']}", f"--mem={max(1, parse_bytes(s['job_mem'] or s['memory']) // 2**20)}M",
            f"--job-name={s['job_name']}"]
    if s["queue"]:
        args.append(f"--partition={s['queue']}")
    if s["account"]:
        args.append(f"--account={s['account']}")
    args += [d if not d.startswith("#SBATCH") else d.removeprefix("#SBATCH").strip() for d in s["job_extra_directives"]]
    test = _run([*args, "--wrap", "true"])
    if test.returncode != 0:
        shown = {k: s[k] for k in ("queue", "account", "cores", "memory", "walltime") if s[k] is not None}
        raise ClusterError(f"[cluster] {', '.join(f'{k} = {v!r}' for k, v in shown.items())}: SLURM would not "
                           f"take these jobs (sbatch --test-only: {_first_error(test.stdout + test.stderr)}); "
                           "fix the [cluster] section; nothing was submitted")
    return s


def job_ids(cluster: Any) -> list[str]:
    """The SLURM job ids of a SLURMCluster's submitted jobs (those sbatch has answered)."""
    return sorted(str(j.job_id) for j in list(getattr(cluster, "workers", {}).values())
                  if getattr(j, "job_id", None))


def _job_states(ids: list[str]) -> str:
    if not ids or shutil.which("squeue") is None:
        return ""
    done = _run(["squeue", "-h", "-j", ",".join(ids), "-o", "%i %T %r"], timeout=30)
    return "; ".join(x.strip() for x in done.stdout.splitlines() if x.strip())


def wait_for_workers(cluster: Any, timeout: float, say: Callable[[str], None], poll: float = 2.0) -> None:
    """Say the job ids once sbatch has given them, then that the jobs are waiting for workers
    (with their states every 30 s), until a first worker joins; after `timeout` seconds, a
    `ClusterError` saying which jobs never started and why SLURM says they wait."""
    t0 = time.monotonic()
    shown: list[str] = []
    last = 0.0
    while True:
        ids = job_ids(cluster)
        if ids and ids != shown:
            say(f"slurm: submitted {len(ids)} worker job{'s' if len(ids) > 1 else ''}: {', '.join(ids)}; "
                f"waiting for {'them' if len(ids) > 1 else 'it'} to start")
            shown = ids
        workers = len(cluster.scheduler_info.get("workers", {}))
        if workers:
            say(f"slurm: {workers} worker{'s' if workers > 1 else ''} joined after {time.monotonic() - t0:.0f} s")
            return
        elapsed = time.monotonic() - t0
        if elapsed > timeout:
            states = _job_states(ids)
            raise ClusterError(f"slurm: no worker joined within {timeout:.0f} s (start_timeout); jobs "
                               f"{', '.join(ids) or 'not even submitted'}" + (f" are: {states}" if states else "")
                               + "; they are cancelled. Check the queue (squeue), the partition and the worker "
                               "logs, or raise [cluster] start_timeout")
        if elapsed - last >= 30:
            states = _job_states(ids)
            say(f"slurm: waiting for workers ({elapsed:.0f} s)" + (f": {states}" if states else ""))
            last = elapsed
        time.sleep(poll)


@contextmanager
def slurm_cluster(settings: Mapping[str, Any] | None = None, say: Callable[[str], None] | None = None,
                  wait: bool = True) -> Iterator[Any]:
    """A `dask_jobqueue.SLURMCluster` from a sweep file's [cluster] section, scaled to its
    `jobs`; closed (its jobs cancelled) on exit. SLURM is asked first (`check_slurm`: nothing is
    submitted if it would refuse), then the job ids are said and, with `wait`, the first worker
    awaited for [cluster] start_timeout seconds (600 by default)."""
    kwargs, jobs = cluster_kwargs(settings)
    timeout = resolve(settings)["start_timeout"]
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ClusterError('the slurm executor needs dask-jobqueue: pip install -e ".[cluster]"') from None
    check_slurm(settings)
    say = say or (lambda text: None)
    cluster = SLURMCluster(**kwargs)
    try:
        cluster.scale(jobs=jobs)
        if wait:
            wait_for_workers(cluster, timeout, say)
        yield cluster
    finally:
        cluster.close()
