"""Faults: a comparison interrupted (SIGINT) or killed (SIGKILL) at random moments, then run
again, ends with tables identical to an uninterrupted run; no half-written or duplicate runs
are left, and no worker outlives its parent."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from simulation.util.destination import TMP_TAG

# --point: 4 replicates of one parameter set (across the ensemble, runs resume the same way)
ARGS = ["compare", "dyad", "network", "--point", "--replicates", "4", "--seed", "11", "--executor", "processes",
        "--workers", "2", "--quiet", "--set", "population.n_faculty=1500", "--set", "population.n_institutions=3",
        "--set", "horizon_years=15", "--no-decomposition"]  # the reruns resume the same way (tests/test_gaps.py)
TABLES = ("outcomes.parquet", "differences.parquet", "hazard_ratios.parquet")
# the order and kind of the faults: parent only, as a user's Ctrl-C to one process or a kill -9
FAULTS = (signal.SIGINT, signal.SIGKILL, signal.SIGINT, signal.SIGKILL, signal.SIGINT, signal.SIGINT)
FAULT_RUNS: list[tuple[str, float, int]] = []  # (signal, seconds after start, exit code): for the record


def careersim(out: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulation", *ARGS, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def fault(proc: subprocess.Popen, sig: signal.Signals, delay: float, so_far: list) -> tuple[str, list]:
    """After `delay` seconds, send `sig` to the parent alone; wait for it to end (its pipes
    close only when its workers are gone too). Returns its stderr and the workers it had."""
    time.sleep(delay)
    try:
        workers = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        workers = []
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        stacks = subprocess.run(["py-spy", "dump", "--pid", str(proc.pid)], capture_output=True, text=True).stdout \
            if shutil.which("py-spy") else "(py-spy not installed)"
        proc.kill()
        pytest.fail(f"did not end within 120 s of {sig.name} at {delay:.1f} s (earlier: {so_far}):\n{stacks}")
    return err, workers


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if TMP_TAG in p.name]


def run_folders(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in (folder / "runs").glob("*/*"))


@pytest.mark.slow
def test_interrupted_and_killed_comparisons_resume_to_identical_tables(tmp_path):
    ref = tmp_path / "reference"
    done = careersim(ref)
    _, err = done.communicate(timeout=900)
    assert done.returncode == 0, err
    # the faults' delays are drawn within the time a warm run takes (the first run may have
    # compiled or loaded the kernels, which would put most faults after the end of later runs)
    t0 = time.perf_counter()
    warm = careersim(tmp_path / "warm")
    _, err = warm.communicate(timeout=900)
    assert warm.returncode == 0, err
    duration = time.perf_counter() - t0
    for table in TABLES:  # and the same comparison gives the same tables
        pd.testing.assert_frame_equal(pd.read_parquet(ref / table), pd.read_parquet(tmp_path / "warm" / table),
                                      check_exact=True)

    cut = tmp_path / "interrupted"
    rng = random.Random(20261202)
    interrupted = 0
    for sig in FAULTS:
        proc = careersim(cut)
        delay = rng.uniform(0.5, 0.8 * duration)  # resumed runs have less left to do
        err, workers = fault(proc, sig, delay, FAULT_RUNS)
        FAULT_RUNS.append((sig.name, round(delay, 1), proc.returncode))
        if proc.returncode == 0:  # it finished before the fault: fine, nothing to check
            continue
        interrupted += 1
        assert "Traceback" not in err, err
        if sig == signal.SIGINT:
            # 130 with the message; a signal that lands while the interpreter itself starts or
            # shuts down ends it as the signal would (-2), silently: both lose nothing
            assert proc.returncode in (130, -signal.SIGINT), (FAULT_RUNS, err)
            if proc.returncode == 130:
                assert "interrupted: finished runs are kept" in err or "interrupted while starting" in err
        else:
            assert proc.returncode == -signal.SIGKILL
        # no orphans: every worker dies with its parent
        gone, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"workers outlived their parent after {sig.name}: {alive}"
    assert interrupted >= 3, f"too few faults landed mid-run: {FAULT_RUNS}"

    proc = careersim(cut)  # finish the rest
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    assert not leftovers(cut), leftovers(cut)
    assert run_folders(cut) == run_folders(ref) == sorted(
        f"runs/{s}/rep{r:03d}" for s in ("dyad", "network") for r in range(4))
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(cut / name), pd.read_parquet(ref / name), check_exact=True)
    for run in run_folders(ref):
        pd.testing.assert_frame_equal(pd.read_parquet(cut / run / "people.parquet"),
                                      pd.read_parquet(ref / run / "people.parquet"), check_exact=True)
    assert (cut / "report.html").exists()
    print(f"\nfault runs (signal, seconds after start, exit code): {FAULT_RUNS}; uninterrupted {duration:.0f} s")


def test_ctrl_c_during_the_runs_says_that_finished_runs_are_kept(tmp_path):
    out = tmp_path / "cmp"
    proc = careersim(out)
    deadline = time.time() + 300
    while not list((out / "runs").glob("*/rep*")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the comparison ended before a run was saved"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.splitlines() == ["comparing at the point calibration (--point): 4 replicates per scenario; its "
                                "intervals carry chance only, not the calibration's uncertainty",
                                "interrupted: finished runs are kept and unfinished ones left nothing behind; "
                                "run the same command again to finish the rest"]
    assert "Traceback" not in err


SWEEP = """\
# a small grid for the fault test: 4 points x 3 replicates x 2 models = 24 runs in 12 tasks
base = "network"
seed = 9
replicates = 3
models = ["dyad", "network"]
outcomes = ["retention_5y", "pubs_per_faculty_year", "share_months_hole"]

[fixed]
"population.n_faculty" = 800
"population.n_institutions" = 2
horizon_years = 12

[parameters."network.max_ties"]
values = [1, 2, 3, 4]

[run]
batch = 2
"""


def careersim_sweep(file: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulation", "sweep", str(file), "--out", str(out),
                             "--executor", "processes", "--workers", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_interrupted_and_killed_sweeps_resume_to_identical_rows(tmp_path):
    from simulation.experiments.sweeps import read_runs

    file = tmp_path / "faults.toml"
    file.write_text(SWEEP)
    ref = tmp_path / "reference"
    t0 = time.perf_counter()
    proc = careersim_sweep(file, ref)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    duration = time.perf_counter() - t0

    cut = tmp_path / "interrupted"
    rng = random.Random(7)
    landed = []
    for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGKILL, signal.SIGINT):
        proc = careersim_sweep(file, cut)
        delay = rng.uniform(0.5, 0.8 * duration)  # resumed runs have less left to do
        err, workers = fault(proc, sig, delay, landed)
        landed.append((sig.name, round(delay, 1), proc.returncode))
        if proc.returncode == 0:
            continue
        assert "Traceback" not in err, err
        _, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"workers outlived their parent after {sig.name}: {alive}"
    proc = careersim_sweep(file, cut)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    assert not leftovers(cut), leftovers(cut)
    pd.testing.assert_frame_equal(read_runs(cut), read_runs(ref), check_exact=True)
    assert len(read_runs(cut)) == 24 * 3  # no duplicates: one row per run and group
    print(f"\nsweep fault runs (signal, seconds after start, exit code): {landed}; uninterrupted {duration:.0f} s")
