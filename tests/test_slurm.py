"""The slurm executor on a real SLURM cluster (one node, started by `.ci/slurm.sh start`).

Without `sinfo` and outside CI these tests skip; under CI (CI set) they must run, and fail with
squeue, sinfo and the jobs' logs when SLURM does not do what they expect.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation.run.results import Result
from simulation.experiments.executors import RunSpec, compile_kernels, run_many

from .conftest import small

IN_CI = bool(os.environ.get("CI"))
TIMEOUT = 240  # seconds for any one SLURM step: workers up, runs done, an array finished

if shutil.which("sinfo") is None and not IN_CI:
    pytest.skip("needs a SLURM cluster: sinfo not found on PATH (`bash .ci/slurm.sh start` makes a "
                "one-node one; under CI these tests run)", allow_module_level=True)


def _cmd(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return (done.stdout + done.stderr).strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{' '.join(args)}: {exc}"


def _diagnose(logs: Path | None = None) -> str:
    """squeue, sinfo, the node's state and the jobs' logs, for a failure message."""
    parts = ["--- squeue", _cmd("squeue", "-a", "-o", "%.10i %.9P %.20j %.8T %.10M %R"),
             "--- sinfo", _cmd("sinfo", "-N", "-l")]
    if logs is not None and logs.exists():
        for f in sorted(logs.rglob("*"))[-12:]:
            if f.is_file():
                text = f.read_text(errors="replace")
                parts += [f"--- {f.name}", text[-3000:]]
    for f in (Path("/var/log/slurm/slurmctld.log"), Path("/var/log/slurm/slurmd.log")):
        if f.exists():
            parts += [f"--- {f} (last lines)", "\n".join(f.read_text(errors="replace").splitlines()[-15:])]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def slurm():
    """The cluster's default partition, once `sinfo` shows a usable node."""
    deadline = time.monotonic() + 60
    while True:
        out = _cmd("sinfo", "-h", "-o", "%P %T")
        states = [line.split() for line in out.splitlines() if len(line.split()) == 2]
        if any(s.rstrip("*~#") in ("idle", "mixed", "allocated", "completing") for _, s in states):
            break
        if time.monotonic() > deadline:
            message = f"no SLURM node up after 60 s; `bash .ci/slurm.sh start` starts one\n{_diagnose()}"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message.splitlines()[0])
        time.sleep(1)
    default = next((p.rstrip("*") for p, _ in states if p.endswith("*")), states[0][0].rstrip("*"))
    if importlib.util.find_spec("dask_jobqueue") is not None:
        # dask-jobqueue sets a SIGINT handler when first imported, which only the main thread may do; the
        # tests run the executor in a thread (to fail with SLURM's state on a hang), so import it here
        import dask_jobqueue  # noqa: F401
    return default


def _within(seconds: float, what: str, fn, logs: Path | None = None):
    """fn() in a thread; fail with SLURM's state and the jobs' logs if it takes longer."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{what}: not done after {seconds:.0f} s\n{_diagnose(logs)}")
    if "error" in box:
        raise AssertionError(f"{what} failed: {box['error']!r}\n{_diagnose(logs)}") from box["error"]
    return box.get("value")


def _specs(root: Path, n: int = 3) -> list[RunSpec]:
    return [RunSpec(small("network", "population.n_faculty=200", "horizon_years=4", seed=40 + k),
                    root / f"run{k}") for k in range(n)]


def _people(folders) -> list[pd.DataFrame]:
    return [Result.load(f).people for f in folders]


def _settings(partition: str, logs: Path, jobs: int = 2) -> dict:
    return dict(queue=partition, cores=1, processes=1, memory="1GB", walltime="00:30:00", jobs=jobs,
                interface="lo", log_directory=str(logs), local_directory=str(logs / "scratch"))


def test_runs_on_a_slurm_cluster_match_serial(slurm, tmp_path):
    if not IN_CI:
        pytest.importorskip("dask_jobqueue", reason="needs dask-jobqueue (the cluster or test extra)")
    from distributed import Client

    from simulation.experiments.cluster import slurm_cluster

    specs = _specs(tmp_path / "slurm")
    compile_kernels(specs[0].params, progress=False)  # the workers load the kernels from the cache
    serial = run_many(_specs(tmp_path / "serial"), executor="serial", progress=False)
    logs = tmp_path / "logs"
    t0 = time.perf_counter()
    with slurm_cluster(_settings(slurm, logs)) as cluster:
        assert "#SBATCH" in cluster.job_script() and f"-p {slurm}" in cluster.job_script()
        with Client(cluster) as client:
            _within(TIMEOUT, "two SLURM workers starting", lambda: client.wait_for_workers(2), logs)
            up = time.perf_counter() - t0
            jobs = {w.get("name") for w in client.scheduler_info()["workers"].values()}
            assert len(jobs) == 2, jobs
            folders = _within(TIMEOUT, "three runs on the SLURM workers",
                              lambda: run_many(specs, executor="dask", address=cluster.scheduler_address,
                                               progress=False), logs)
    total = time.perf_counter() - t0
    print(f"\nSLURMCluster: 2 workers up in {up:.1f} s; 3 runs and shutdown in {total - up:.1f} s")
    for a, b in zip(_people(serial), _people(folders)):
        pd.testing.assert_frame_equal(a, b)
    # the cluster's jobs are gone once it is closed
    deadline = time.monotonic() + 30
    while _cmd("squeue", "-h", "-n", "careersim", "-t", "PD,R") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _cmd("squeue", "-h", "-n", "careersim", "-t", "PD,R"), _diagnose(logs)


def test_slurm_executor_gives_the_same_results(slurm, tmp_path, monkeypatch):
    from simulation.experiments import executors as sweep

    if "slurm" not in sweep._RUNNERS:
        pytest.skip("simulation.experiments.executors has no slurm executor")
    logs = tmp_path / "logs"
    specs = _specs(tmp_path / "slurm", 2)
    compile_kernels(specs[0].params, progress=False)
    serial = run_many(_specs(tmp_path / "serial", 2), executor="serial", progress=False)
    # the settings: the module's default (a [cluster] mapping as `address` works too)
    monkeypatch.setattr(sweep, "SLURM_SETTINGS", _settings(slurm, logs))
    folders = _within(TIMEOUT, "run_many(executor='slurm')",
                      lambda: run_many(specs, executor="slurm", progress=False), logs)
    for a, b in zip(_people(serial), _people(folders)):
        pd.testing.assert_frame_equal(a, b)


def test_cluster_section_is_checked_without_slurm(monkeypatch):
    from simulation.experiments.cluster import ClusterError, resolve, slurm_cluster

    assert resolve({})["cores"] == 1
    with pytest.raises(ClusterError, match=r"unknown key 'cpus'"):
        resolve({"cpus": 4})
    with pytest.raises(ClusterError, match=r"\[cluster\] jobs = 0"):
        resolve({"jobs": 0})
    with pytest.raises(ClusterError, match=r"\[cluster\] memory = 'lots'"):
        resolve({"memory": "lots"})
    with pytest.raises(ClusterError, match="walltime"):
        resolve({"walltime": "an hour"})
    assert resolve({"job_script_prologue": "module load python"})["job_script_prologue"] == ["module load python"]
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ClusterError, match="sbatch not found on PATH"):
        with slurm_cluster({"jobs": 1}):
            pass


# --- a sweep as a SLURM job array -------------------------------------------------------------

TINY_SWEEP = """\
# a tiny sweep for the job-array test: 2 points x 2 replicates, 4 tasks of one run
description = "tiny sweep (tests/test_slurm.py)"
base = "network"
seed = 11
replicates = 2

[fixed]
"population.n_faculty" = 200
"population.n_institutions" = 4
horizon_years = 6

[parameters."network.max_ties"]
values = [2, 3]

[design]
kind = "grid"

[run]
batch = 1
"""

needs_sweeps = pytest.mark.skipif(importlib.util.find_spec("simulation.experiments.sweeps") is None,
                                  reason="needs simulation.experiments.sweeps")


def _careersim(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny sweep's file and its results run locally (serial), to compare with SLURM's."""
    folder = tmp_path_factory.mktemp("tiny")
    sweep_file = folder / "tiny.toml"
    sweep_file.write_text(TINY_SWEEP)
    local = _careersim("sweep", str(sweep_file), "--executor", "serial", "--out", str(folder / "local"), "-q")
    assert local.returncode == 0, local.stdout + local.stderr
    return sweep_file, folder / "local"


@needs_sweeps
def test_sweep_as_a_job_array_matches_a_local_run(slurm, tiny, tmp_path):
    from simulation.experiments.sweeps import read_runs

    sweep_file, local_out = tiny
    array_out = tmp_path / "array"
    made = _careersim("sweep", str(sweep_file), "--job-array", "--shards", "2", "--out", str(array_out))
    assert made.returncode == 0, made.stdout + made.stderr
    script = made.stdout
    assert script.startswith("#!") and "#SBATCH --array=1-2" in script, script
    assert "--shard $SLURM_ARRAY_TASK_ID/2" in script and "--executor serial" in script, script
    script_file = tmp_path / "tiny.sbatch"
    script_file.write_text(script)
    logs = array_out / "logs"
    t0 = time.perf_counter()
    try:
        # --wait: sbatch returns when every array task has ended, non-zero if any failed
        submit = subprocess.run(["sbatch", "--parsable", "--wait", "-p", slurm, str(script_file)],
                                capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        subprocess.run(["scancel", "-n", "careersim-tiny"], capture_output=True)
        pytest.fail(f"the job array did not finish in {TIMEOUT} s\n{script}\n{_diagnose(logs)}")
    assert submit.returncode == 0, (f"the job array failed (sbatch exit {submit.returncode}): "
                                    f"{submit.stdout}{submit.stderr}\n{script}\n{_diagnose(logs)}")
    print(f"\njob array of 2 tasks (4 runs): {time.perf_counter() - t0:.1f} s from submission to the end")
    status = _careersim("sweep", str(sweep_file), "--out", str(array_out), "--status", "--shards", "2")
    assert "shards: 2 of 2 complete" in status.stdout, status.stdout + status.stderr + _diagnose(logs)
    a, b = read_runs(array_out), read_runs(local_out)
    assert len(a) == 12 and (a["status"] == "ok").all(), a
    pd.testing.assert_frame_equal(a, b)
    # each array task ran its own shard
    shards = sorted(p.name for p in (array_out / "runs").glob("shard=*") if any(p.iterdir()))
    assert shards == ["shard=1", "shard=2"], shards


@needs_sweeps
def test_sweep_on_the_slurm_executor_matches_a_local_run(slurm, tiny, tmp_path):
    from simulation.experiments.sweeps import read_runs

    sweep_file, local_out = tiny
    logs = tmp_path / "logs"
    cluster = (f'\n[cluster]\nqueue = "{slurm}"\njobs = 2\ncores = 1\nprocesses = 1\nmemory = "1GB"\n'
               f'walltime = "00:30:00"\ninterface = "lo"\nlog_directory = "{logs}"\n')
    with_cluster = tmp_path / "tiny.toml"
    with_cluster.write_text(TINY_SWEEP + cluster)
    out = tmp_path / "slurm"
    t0 = time.perf_counter()
    try:
        done = _careersim("sweep", str(with_cluster), "--executor", "slurm", "--out", str(out), "-q")
    except subprocess.TimeoutExpired:
        pytest.fail(f"careersim sweep --executor slurm: not done after {TIMEOUT} s\n{_diagnose(logs)}")
    assert done.returncode == 0, done.stdout + done.stderr + _diagnose(logs)
    print(f"\nsweep --executor slurm (2 jobs, 4 runs): {time.perf_counter() - t0:.1f} s")
    pd.testing.assert_frame_equal(read_runs(out), read_runs(local_out))


BIG_SWEEP = """\
base = "network"
seed = 3
replicates = 1
outcomes = ["pubs_per_faculty_year"]

[fixed]
"population.n_faculty" = 4000
"population.n_institutions" = 4
horizon_years = 1

[parameters."network.max_ties"]
values = [1, 2]

[run]
batch = 1

[cluster]
cores = 2
walltime = "00:20:00"
"""


@needs_sweeps
@pytest.mark.parametrize("cores", [1, 2])  # 1: below what numba would take by itself at 4,000 faculty (every core)
def test_a_job_array_above_the_one_thread_threshold_runs_each_task_on_the_threads_it_asked_for(slurm, tmp_path,
                                                                                                 cores):
    from simulation.experiments.sweeps import read_task_record
    from simulation.run.simulate import ONE_THREAD_BELOW

    assert ONE_THREAD_BELOW <= 4000 and (os.cpu_count() or 1) >= 2
    sweep_file = tmp_path / "big.toml"
    sweep_file.write_text(BIG_SWEEP.replace("cores = 2", f"cores = {cores}"))
    out = tmp_path / "big"
    made = _careersim("sweep", str(sweep_file), "--job-array", "--shards", "2", "--out", str(out))
    assert made.returncode == 0, made.stdout + made.stderr
    script = made.stdout
    assert f"#SBATCH --cpus-per-task={cores}" in script and "export NUMBA_NUM_THREADS=${SLURM_CPUS_PER_TASK" in script
    assert "--threads $NUMBA_NUM_THREADS" in script, script
    (tmp_path / "big.sbatch").write_text(script)
    logs = out / "logs"
    try:
        submit = subprocess.run(["sbatch", "--parsable", "--wait", "-p", slurm, str(tmp_path / "big.sbatch")],
                                capture_output=True, text=True, timeout=2 * TIMEOUT, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        subprocess.run(["scancel", "-n", "careersim-big"], capture_output=True)
        pytest.fail(f"the job array did not finish in {2 * TIMEOUT} s\n{_diagnose(logs)}")
    assert submit.returncode == 0, submit.stdout + submit.stderr + _diagnose(logs)
    files = sorted((out / "runs").glob("shard=*/task-*.parquet"))
    assert len(files) == 2
    # the threads numba ran each run with, as seen inside the task
    assert [read_task_record(f)["threads"] for f in files] == [[cores], [cores]]


@needs_sweeps
def test_the_slurm_executor_refuses_a_partition_that_does_not_exist_before_submitting(slurm, tiny, tmp_path):
    sweep_file, _ = tiny
    bad = tmp_path / "bad.toml"
    bad.write_text(sweep_file.read_text() + '\n[cluster]\nqueue = "no-such-partition"\njobs = 1\n')
    before = _cmd("squeue", "-h", "-o", "%i")
    done = _careersim("sweep", str(bad), "--executor", "slurm", "--out", str(tmp_path / "out"), timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "no-such-partition" in lines[0] and "no such partition" in lines[0], lines
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
    assert _cmd("squeue", "-h", "-o", "%i") == before  # nothing submitted
