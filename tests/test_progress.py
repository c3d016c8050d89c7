"""Progress a person can see when the output is not a terminal, and comparisons that each get
a folder of their own."""

from __future__ import annotations

import io
import re
import time

from typer.testing import CliRunner

from simulation.util import progress
from simulation.cli import app
from simulation.experiments.compare import DEFAULT_REPLICATES, DEFAULT_SCENARIOS, default_folder

LINE = re.compile(r"^\d\d:\d\d:\d\d comparison: (\d+)/(\d+) runs \((\d+)%\)")


def test_plain_lines_every_tenth_when_not_a_terminal(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(progress, "_stream", lambda: err)
    with progress.Progress(40, "comparison", "run", delay=0) as bar:
        for _ in range(40):
            bar.update(1)
    counts = [int(m.group(1)) for m in map(LINE.match, err.getvalue().splitlines()) if m]
    assert counts == list(range(4, 41, 4)), err.getvalue()
    assert err.getvalue().splitlines()[-1].endswith(" s")  # the last line gives the time taken


def test_a_line_every_few_seconds_even_while_nothing_finishes(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(progress, "_stream", lambda: err)
    with progress.Progress(3, "comparison", "run", delay=0, every_seconds=1.0):
        time.sleep(2.6)
    lines = [m for m in map(LINE.match, err.getvalue().splitlines()) if m]
    assert len(lines) >= 2 and all(m.group(1) == "0" for m in lines)


def test_short_work_prints_nothing_and_steps_are_timestamped(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(progress, "_stream", lambda: err)
    with progress.Progress(5, "comparison", "run") as bar:  # done within the 2 s delay
        bar.update(5)
    assert err.getvalue() == ""
    progress.step("drawing the figures")
    assert re.fullmatch(r"\d\d:\d\d:\d\d drawing the figures\n", err.getvalue())


def test_compare_says_what_it_does_when_piped(tmp_path):
    r = CliRunner().invoke(app, ["compare", "dyad", "network", "--replicates", "2", "--executor", "serial",
                                 "--set", "population.n_faculty=100", "--set", "population.n_institutions=2",
                                 "--set", "horizon_years=3", "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    # across the installed ensemble: 2 members x 2 seeds per scenario
    assert r.output.startswith("comparing across the calibrated ensemble: 2 of its ")
    assert re.search(r"^\d\d:\d\d:\d\d analysing 8 runs and \d+ decomposition reruns", r.output, re.M)
    assert re.search(r"^\d\d:\d\d:\d\d drawing the figures and writing the report", r.output, re.M)


def test_each_comparison_has_a_folder_of_its_own():
    assert default_folder() == default_folder(list(DEFAULT_SCENARIOS), DEFAULT_REPLICATES, 1) \
        == default_folder().parent / "default"
    a = default_folder(["dyad", "network"], 16, 1, "dyad", ["population.n_institutions=40"])
    assert a == default_folder(["dyad", "network"], 16, 1, "dyad", ["population.n_institutions=40"])
    assert a.name.startswith("dyad-vs-network-")
    others = {default_folder(["dyad", "network"], 16, 1, "dyad"),
              default_folder(["dyad", "network"], 8, 1, "dyad", ["population.n_institutions=40"]),
              default_folder(["dyad", "network"], 16, 2, "dyad", ["population.n_institutions=40"]),
              default_folder(["dyad", "network"], 16, 1, "network", ["population.n_institutions=40"]),
              default_folder(["network", "dyad"], 16, 1, "dyad", ["population.n_institutions=40"])}
    assert a not in others and len(others) == 5
