"""A user's files are sacred: careersim writes only into new folders or folders it wrote."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.util import destination
from simulation.cli import app
from simulation.util.destination import DestinationError
from simulation.run.results import Result

runner = CliRunner()
TINY = ["--set", "population.n_faculty=100", "--set", "population.n_institutions=2", "--set", "horizon_years=2"]

# every command that takes --out, as a user would type it (tiny, so that a wrong acceptance
# would still finish quickly and show up as a changed folder rather than a slow test)
COMMANDS = {
    "run": ["run", "dyad", *TINY, "-q"],
    "compare": ["compare", "dyad", "network", "--replicates", "1", "--executor", "serial", *TINY, "-q"],
    "calibrate": ["calibrate", "--check", "--replicates", "1", "--workers", "1", *TINY],
    "patterns": ["patterns", "--replicates", "1", "--executor", "serial", *TINY],
}


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below `folder` with its content (None for folders)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def tiny_result(seed: int = 1) -> Result:
    people = pd.DataFrame({"faculty_id": range(5), "pubs": [seed] * 5})
    return Result(series=pd.DataFrame({"month": range(3)}), people=people, ties=pd.DataFrame({"a": [1]}),
                  manifest={"run_id": f"seed{seed}-x", "seed": seed, "params": {}})


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_holding_a_users_file_survives_every_command_that_takes_out(tmp_path, command):
    user = tmp_path / "my-project"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("my notes\n")
    (user / "sub" / "data.csv").write_text("1,2\n")
    (tmp_path / "file.txt").write_text("keep me\n")
    before = tree(tmp_path)
    for target in (user, tmp_path / "file.txt", user / "notes.txt" / "below"):
        r = runner.invoke(app, [*COMMANDS[command], "--out", str(target)])
        assert r.exit_code == 2, (command, target, r.output)
        line = r.output.strip()
        assert line.startswith("error: --out ") and str(target) in line and "\n" not in line, line
        assert "Traceback" not in r.output
        assert tree(tmp_path) == before, f"{command} --out {target} changed the disk"


@pytest.mark.parametrize("target", [".", ".."])
def test_out_dot_and_dotdot_are_refused_before_anything_runs(tmp_path, target):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "x.txt").write_text("x")
    (tmp_path / "a" / "y.txt").write_text("y")
    before = tree(tmp_path)
    r = subprocess.run([sys.executable, "-m", "simulation", "run", "dyad", *TINY, "--out", target],
                       cwd=work, capture_output=True, text=True)
    assert r.returncode == 2 and "careersim did not write it" in r.stderr and "Traceback" not in r.stderr
    assert tree(tmp_path) == before


def test_a_place_where_no_folder_can_be_made_is_refused_first(tmp_path):
    with pytest.raises(DestinationError, match="cannot create a folder in /proc"):
        destination.check("/proc/careersim-x/out", "run")
    r = runner.invoke(app, ["compare", "dyad", *TINY, "--out", "/proc/x"])
    assert r.exit_code == 2 and "cannot create a folder" in r.output


def test_rerun_into_its_own_folder_replaces_only_its_own_files(tmp_path):
    out = tmp_path / "demo"
    r = runner.invoke(app, ["run", "dyad", *TINY, "--seed", "3", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    (out / "my-notes.md").write_text("what I saw\n")
    r = runner.invoke(app, ["run", "dyad", *TINY, "--seed", "4", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert (out / "my-notes.md").read_text() == "what I saw\n"
    assert json.loads((out / "manifest.json").read_text())["seed"] == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_an_empty_folder_may_be_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    tiny_result().save(out)
    assert Result.load(out).manifest["seed"] == 1


def test_a_careersim_folder_of_another_kind_is_refused(tmp_path):
    tiny_result().save(tmp_path / "run")
    with pytest.raises(DestinationError, match="holds a careersim run, not a comparison"):
        destination.check(tmp_path / "run", "comparison")
    destination.claim(tmp_path / "cmp", "comparison")
    with pytest.raises(DestinationError, match="holds a careersim comparison, not a run"):
        tiny_result().save(tmp_path / "cmp")


def test_folders_written_before_markers_existed_are_still_recognised(tmp_path):
    legacy = tmp_path / "old"
    legacy.mkdir()
    (legacy / "manifest.json").write_text(json.dumps({"run_id": "seed1-abc", "params": {}, "versions": {},
                                                      "phase_seconds": {}}))
    (legacy / "people.parquet").write_bytes(b"old")
    tiny_result(2).save(legacy)
    assert Result.load(legacy).manifest["seed"] == 2
    cal = tmp_path / "cal"
    cal.mkdir()
    (cal / "record.json").write_text(json.dumps({"estimates": {}, "loss_before": 1, "loss_after": 0.5}))
    assert destination.check(cal, "calibration") == cal


@pytest.mark.parametrize("files", [
    {"manifest.json": '{"name": "a web app"}'},
    {"manifest.json": '{"run_id": 7}'},  # a common key alone is not careersim's sign
    {"check.csv": "a\n", "check.md": "b\n"},  # nor are common file names
    {"patterns.csv": "a\n", "patterns.md": "b\n"},
    {"record.json": '{"estimates": [1, 2]}'},
])
def test_a_users_files_with_names_careersim_also_uses_are_never_taken_for_its_own(tmp_path, files):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    before = tree(tmp_path)
    for kind in destination.KINDS:
        with pytest.raises(DestinationError, match="did not write it"):
            destination.check(folder, kind)
    assert tree(tmp_path) == before


def test_written_files_are_readable_as_a_plain_write_would_make_them(tmp_path):
    mask = os.umask(0o022)
    try:
        destination.write_text(tmp_path / "a.txt", "x")
        tiny_result().save(tmp_path / "run")
    finally:
        os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "run" / "manifest.json").stat().st_mode & 0o777 == 0o644


def test_concurrent_saves_into_one_folder_all_succeed(tmp_path):
    out = tmp_path / "run"
    n = 12
    barrier = threading.Barrier(n)

    def save(_):
        barrier.wait()
        return tiny_result().save(out)

    with ThreadPoolExecutor(n) as pool:
        assert list(pool.map(save, range(n))) == [out] * n
    assert Result.load(out).manifest["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_leftovers_of_dead_processes_are_removed_and_those_of_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    host = socket.gethostname()
    stale = tmp_path / f".rep001{destination.TMP_TAG}{host}.{dead_pid}.abc123"
    live = tmp_path / f".rep002{destination.TMP_TAG}{host}.{os.getpid()}.def456"
    other_host = tmp_path / f".rep003{destination.TMP_TAG}elsewhere.example.{dead_pid}.ghi789"
    stale_file = tmp_path / f".outcomes.parquet{destination.TMP_TAG}{host}.{dead_pid}.zz"
    for d in (stale, live, other_host):
        d.mkdir()
        (d / "people.parquet").write_bytes(b"partial")
    stale_file.write_bytes(b"partial")
    (tmp_path / ".hidden-user-folder").mkdir()
    removed = destination.remove_leftovers([tmp_path])
    assert sorted(removed) == sorted([stale, stale_file])
    assert live.exists() and other_host.exists() and (tmp_path / ".hidden-user-folder").exists()


def test_atomic_writes_leave_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        destination.write_file(target, broken)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_bench_record_refuses_what_is_not_a_text_file_before_benchmarking(tmp_path):
    binary = tmp_path / "photo.md"
    binary.write_bytes(bytes(range(256)))
    before = tree(tmp_path)
    for target, words in ((tmp_path, "is not a file"), (binary, "cannot be read as text"),
                          (tmp_path / "no" / "x.md", "does not exist")):
        r = runner.invoke(app, ["bench", "--quick", "--record", str(target)])
        assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output
    assert tree(tmp_path) == before
