"""Every mentoring model (and the network with peers) run in a child process, whose environment a
test sets: the plain-Python kernels (tests/test_plain_kernels.py) or another processor
(tests/test_processors.py). The child writes each case's tables and the machine it ran on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from simulation.config.params import MODELS

ROOT = Path(__file__).resolve().parent.parent
# one scenario per mentoring model, and the network with peers
CASES = [(m, [f"mentoring.model={m}"]) for m in MODELS] + [("network_peers", [])]
TABLES = ("people", "ties", "series")

SCRIPT = """
import json, sys
from pathlib import Path
from simulation.config.scenario import load_scenario
from simulation.run.results import machine
from simulation.run.simulate import simulate
out = Path(sys.argv[1])
cases, sets, seed, tables = json.loads(sys.argv[2])
for i, (scenario, own) in enumerate(cases):
    r = simulate(load_scenario(scenario, [*own, *sets], seed=seed))
    for t in tables:
        getattr(r, t).to_parquet(out / f"{i}_{t}.parquet")
(out / "machine.json").write_text(json.dumps(machine()))
"""


def scenario_of(model: str) -> str:
    """The model's own scenario file if it has one, else the status quo (its model is then set)."""
    return model if (ROOT / "scenarios" / f"{model}.toml").exists() else "status_quo"


def cases() -> list[tuple[str, list[str]]]:
    """(scenario, its own --set) per case."""
    return [(scenario_of(name), own) for name, own in CASES]


def run_every_model(out: Path, sets: list[str], seed: int, env: dict[str, str], python_args: tuple[str, ...] = (),
                    timeout: float = 1200) -> dict:
    """Run every case with `sets` and `seed` in a child process with environment `env`, writing
    `out/<case>_<table>.parquet`; return the child's `machine()`."""
    args = json.dumps([cases(), sets, seed, TABLES])
    r = subprocess.run([sys.executable, *python_args, "-c", SCRIPT, str(out), args], cwd=ROOT,
                       env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((out / "machine.json").read_text())


def tables(out: Path, i: int) -> dict[str, pd.DataFrame]:
    """Case i's tables as the child wrote them."""
    return {t: pd.read_parquet(out / f"{i}_{t}.parquet") for t in TABLES}
