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
from collections.abc import Iterator, Mapping
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
}

_INTS = {"cores", "processes", "jobs", "job_cpu", "death_timeout"}
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
    """The `SLURMCluster` keyword arguments for a [cluster] section, and the number of jobs."""
    s = resolve(settings)
    jobs = s.pop("jobs")
    dashboard = s.pop("dashboard_address")
    kwargs = {k: v for k, v in s.items() if v is not None and v != []}
    # the scheduler's web server listens on loopback (a free port) unless told otherwise, e.g.
    # dashboard_address = ":8787" (on every interface)
    kwargs["scheduler_options"] = {"dashboard_address": dashboard}
    return kwargs, jobs


@contextmanager
def slurm_cluster(settings: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A `dask_jobqueue.SLURMCluster` from a sweep file's [cluster] section, scaled to its
    `jobs`; closed (its jobs cancelled) on exit."""
    kwargs, jobs = cluster_kwargs(settings)
    if shutil.which("sbatch") is None:
        raise ClusterError("the slurm executor needs a SLURM cluster: sbatch not found on PATH")
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ClusterError('the slurm executor needs dask-jobqueue: pip install -e ".[cluster]"') from None
    cluster = SLURMCluster(**kwargs)
    try:
        cluster.scale(jobs=jobs)
        yield cluster
    finally:
        cluster.close()
