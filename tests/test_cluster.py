"""The slurm executor's waiting for workers, without SLURM: job ids said, a clear end after the timeout."""

from __future__ import annotations

import types

import pytest

from simulation.experiments import cluster as cl


def _fake(ids, workers_after: float | None):
    """A stand-in SLURMCluster: jobs with ids, and workers that join after some seconds (or never)."""
    import time

    t0 = time.monotonic()
    fake = types.SimpleNamespace(workers={i: types.SimpleNamespace(job_id=j) for i, j in enumerate(ids)})

    class Info(dict):
        def get(self, key, default=None):
            if key == "workers" and workers_after is not None and time.monotonic() - t0 >= workers_after:
                return {"tcp://w": {}}
            return {}

    fake.scheduler_info = Info()
    return fake


def test_waiting_says_the_job_ids_and_when_a_worker_joins():
    said = []
    cl.wait_for_workers(_fake(["101", "102"], 0.3), timeout=10, say=said.append, poll=0.05)
    assert said[0] == "slurm: submitted 2 worker jobs: 101, 102; waiting for them to start"
    assert said[-1].startswith("slurm: 1 worker joined after")


def test_no_worker_in_time_is_one_clear_line_naming_the_jobs(monkeypatch):
    monkeypatch.setattr(cl, "_job_states", lambda ids: "101 PENDING Resources")
    with pytest.raises(cl.ClusterError) as e:
        cl.wait_for_workers(_fake(["101"], None), timeout=0.3, say=lambda text: None, poll=0.05)
    msg = str(e.value)
    assert "\n" not in msg and "no worker joined within 0 s" in msg and "101 PENDING Resources" in msg
    assert "start_timeout" in msg


def test_workers_run_one_task_per_process_on_the_cores_they_have():
    kwargs, jobs = cl.cluster_kwargs({"cores": 4, "processes": 2, "jobs": 3})
    assert jobs == 3 and kwargs["worker_extra_args"][-2:] == ["--nthreads", "1"]
    assert kwargs["job_script_prologue"][0] == "export NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=1"
    assert "start_timeout" not in kwargs
    with pytest.raises(cl.ClusterError, match="start_timeout = 0"):
        cl.resolve({"start_timeout": 0})
