"""The kernels run as plain Python (NUMBA_DISABLE_JIT=1, for stepping through them in a debugger)
and give exactly what the compiled kernels give, under every mentoring model.

Plain Python cannot call a structref's constructor (it would call itself through its jitted
one), so each structref the kernels build has a namedtuple stand-in without the JIT; this test
fails if one is missing, and if the compiled and plain kernels ever compute different numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from simulation.config.params import MODELS
from simulation.config.scenario import load_scenario
from simulation.run.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
TINY = ["population.n_faculty=60", "population.n_institutions=2", "horizon_years=2"]
# one scenario per mentoring model, and the network with peers
CASES = [(m, [f"mentoring.model={m}"]) for m in MODELS] + [("network_peers", [])]
TABLES = ("people", "ties", "series")

PLAIN = """
import json
import sys
from pathlib import Path
from simulation.config.scenario import load_scenario
from simulation.run.simulate import simulate
out = Path(sys.argv[1])
cases, tiny, tables = json.loads(sys.argv[2])
for i, (scenario, sets) in enumerate(cases):
    r = simulate(load_scenario(scenario, [*sets, *tiny], seed=5))
    for t in tables:
        getattr(r, t).to_parquet(out / f"{i}_{t}.parquet")
"""


def _scenario(model: str) -> str:
    return model if (ROOT / "scenarios" / f"{model}.toml").exists() else "status_quo"


def test_plain_python_kernels_give_what_the_compiled_ones_give(tmp_path):
    cases = [(_scenario(name), sets) for name, sets in CASES]
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", PLAIN, str(tmp_path),
                        json.dumps([cases, TINY, TABLES])], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    for i, (scenario, sets) in enumerate(cases):
        compiled = simulate(load_scenario(scenario, [*sets, *TINY], seed=5))
        assert compiled.params.mentoring.model == (sets[0].split("=")[1] if sets else "network")
        assert (len(compiled.ties) > 0) == (compiled.params.n_mentor_slots + compiled.params.n_peer_slots > 0)
        for t in TABLES:
            plain = pd.read_parquet(tmp_path / f"{i}_{t}.parquet")
            if len(plain) == 0:  # parquet keeps an empty table's columns, not its categories
                assert len(getattr(compiled, t)) == 0 and list(plain.columns) == list(getattr(compiled, t).columns)
                continue
            pd.testing.assert_frame_equal(getattr(compiled, t), plain, check_exact=True, obj=f"{scenario} {sets} {t}")
