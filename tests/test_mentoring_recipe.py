"""The recipe "add a mentoring model" (docs/ARCHITECTURE.md), followed on a copy of the package.

A throwaway model, `solo` (one mentor, found by research fit after a wait of `solo.wait_months`
since hire or since the last search; its own parameter and its own state column), is added to a
copy of the source tree by the recipe's steps only (its module, its entry and section in the
schema, its scenario file); `python -m simulation.model.regenerate`
writes the generated code; then the copy runs it through `simulate` and `compare`. The test
checks which files the recipe touched (the count the recipe states) and that the package's own
files are untouched. Numba kernels are cached by source file, so the generated code has to be
written into the copy's files: a model cannot be registered at run time without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SOLO = '''"""solo: one mentor, found by research fit once `solo.wait_months` have passed since hire or since
the last search (a throwaway model of tests/test_mentoring_recipe.py)."""

import numpy as np
from numba import njit

from simulation.model.mentoring.planner import current_gaps, plan_recruit, search
from simulation.model.state import NEVER, Col

PARAMETERS = ("solo_wait_months",)
PLANNER_COLUMNS = ("solo_since",)
STATE = (Col("solo_since", np.int32, "month of the solo model's last search", fill=NEVER, keep=False),)


def plan_width(params) -> int:
    return 1


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    fs.committee_size[row] = 0
    fs.solo_since[row] = month


@njit(cache=True, inline="always")
def due(x, c, i, month):
    return x.tie_mentor[i, 0] < 0 and month - x.solo_since[i] >= c.solo_wait_months


@njit(cache=True)
def plan(x, c, p, i, month):
    total = current_gaps(x, i)
    j, score, fit = search(x, c, i, total, np.bool_(False), np.bool_(False), np.bool_(True), np.int64(0), month)
    if j >= 0:
        plan_recruit(x, c, p, i, 0, j, fit)
    x.solo_since[i] = month
'''

# the recipe's edits: (file, text after which to insert, what to insert)
EDITS = [
    ("simulation/config/params.py",
     '    "none": MentoringModel(lambda p: 0, lambda params, short: "no formal mentor"),\n',
     '    "solo": MentoringModel(lambda p: 1, lambda params, short: "one mentor, after a wait"),\n'),
    ("simulation/config/params.py", "class Careers(Section):", ""),  # the section goes before this class
    ("simulation/config/params.py", "    recording: Recording = Field(default_factory=Recording)\n",
     "    solo: Solo = Field(default_factory=Solo)\n"),
]
SECTION = '''class Solo(Section):
    wait_months: Int = P(6, "months", "Months a solo protege waits before (another) search", ASSUMPTION, ge=0, le=120)


'''


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _apply_recipe(tree: Path) -> None:
    (tree / "simulation/model/mentoring/solo.py").write_text(SOLO)
    for path, after, insert in EDITS:
        f = tree / path
        text = f.read_text()
        assert text.count(after) == 1, (path, after)
        if after == "class Careers(Section):":
            text = text.replace(after, SECTION + after)
        else:
            text = text.replace(after, after + insert)
        f.write_text(text)
    (tree / "scenarios/solo.toml").write_text('extends = "status_quo"\ndescription = "One mentor, after a wait"\n\n'
                                              '[mentoring]\nmodel = "solo"\n')


RUN = """
import json, sys
from pathlib import Path
from simulation.config.scenario import load_scenario
from simulation.run.simulate import simulate
from simulation.experiments.compare import compare
from simulation.config.params import describe
tiny = ["population.n_faculty=300", "population.n_institutions=2", "horizon_years=6"]
out = {}
for wait in (0, 36):
    r = simulate(load_scenario("solo", [*tiny, f"solo.wait_months={wait}"], seed=4))
    senior = r.ties[r.ties["kind"] != "peer"]
    out[wait] = {"n_senior": int(len(senior)), "first_start": int(senior["start_month"].min()) if len(senior) else -1,
                 "kinds": sorted(set(senior["kind"].astype(str)))}
comp = compare(["dyad", "solo"], replicates=1, seed=3, out=Path(sys.argv[1]) / "cmp", sets=tiny,
               executor="serial", progress=False, decomposition=False)
out["compared"] = sorted(set(comp.outcomes["scenario"].astype(str)))
out["saved"] = sorted(p.name for p in (Path(sys.argv[1]) / "cmp").iterdir())
out["params"] = [row["name"] for row in describe() if row["name"].startswith("solo.")]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_model_added_by_the_recipe_runs_through_simulate_and_compare(tmp_path):
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "simulation", tree / "simulation", ignore=ignore)
    shutil.copytree(ROOT / "scenarios", tree / "scenarios", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    package_before = _digest(ROOT / "simulation")
    before = _digest(tree)
    _apply_recipe(tree)
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    r = subprocess.run([sys.executable, "-m", "simulation.model.regenerate"], cwd=tree, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    after = _digest(tree)
    touched = sorted(k for k in after if before.get(k) != after[k])
    # the recipe's files: the model (with its state column) and the schema (its registration, its
    # section), the scenario; and the regions regenerated in registry.py (imports, dispatch),
    # consts.py, planner.py and state.py (the model's column, the archive kernels)
    assert touched == ["scenarios/solo.toml", "simulation/config/params.py", "simulation/model/mentoring/consts.py",
                       "simulation/model/mentoring/planner.py", "simulation/model/mentoring/registry.py",
                       "simulation/model/mentoring/solo.py", "simulation/model/state.py"]
    r = subprocess.run([sys.executable, "-c", RUN, str(tmp_path)], cwd=tree, env=env, capture_output=True,
                       text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["params"] == ["solo.wait_months"]
    # its parameter acts: without a wait the first mentors start in month 0, with one not before month 36
    assert out["0"]["n_senior"] > 0 and out["0"]["first_start"] == 0
    assert out["36"]["first_start"] >= 36 and out["36"]["n_senior"] < out["0"]["n_senior"]
    assert set(out["0"]["kinds"]) <= {"primary"}  # one mentor, at the institution
    assert out["compared"] == ["dyad", "solo"] and "outcomes.parquet" in out["saved"]
    assert _digest(ROOT / "simulation") == package_before  # the package itself untouched
