"""The kernels run as plain Python (NUMBA_DISABLE_JIT=1, for stepping through them in a debugger)
and give exactly what the compiled kernels give, under every mentoring model.

Plain Python cannot call a structref's constructor (it would call itself through its jitted
one), so each structref the kernels build has a namedtuple stand-in without the JIT; this test
fails if one is missing, and if the compiled and plain kernels ever compute different numbers.
"""

from __future__ import annotations

import os

import pandas as pd

from simulation.config.scenario import load_scenario
from simulation.run.simulate import simulate

from .every_model import cases, run_every_model, tables

TINY = ["population.n_faculty=60", "population.n_institutions=2", "horizon_years=2"]


def test_plain_python_kernels_give_what_the_compiled_ones_give(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    run_every_model(tmp_path, TINY, 5, {**env, "NUMBA_DISABLE_JIT": "1"}, ("-W", "error::RuntimeWarning"), timeout=600)
    for i, (scenario, sets) in enumerate(cases()):
        compiled = simulate(load_scenario(scenario, [*sets, *TINY], seed=5))
        assert compiled.params.mentoring.model == (sets[0].split("=")[1] if sets else "network")
        assert (len(compiled.ties) > 0) == (compiled.params.n_mentor_slots + compiled.params.n_peer_slots > 0)
        for t, plain in tables(tmp_path, i).items():
            if len(plain) == 0:  # parquet keeps an empty table's columns, not its categories
                assert len(getattr(compiled, t)) == 0 and list(plain.columns) == list(getattr(compiled, t).columns)
                continue
            pd.testing.assert_frame_equal(getattr(compiled, t), plain, check_exact=True, obj=f"{scenario} {sets} {t}")
