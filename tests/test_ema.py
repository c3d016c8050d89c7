"""EMA Workbench runs careersim: `simulation.experiments.sweeps.model` as the function of an ema_workbench
ReplicatorModel (4 scenarios x 2 replicates of a tiny institution, a few seconds)."""

from __future__ import annotations

import importlib.util
import math
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # "ipyparallel not installed - IpyparalleEvaluator not available"
    warnings.simplefilter("ignore")
    ema = pytest.importorskip("ema_workbench", reason='needs ema_workbench: pip install -e ".[ema]"')

if importlib.util.find_spec("simulation.experiments.sweeps") is None:
    pytest.skip("needs simulation.experiments.sweeps (its model(**kwargs) is the adaptor for EMA Workbench)",
                allow_module_level=True)
sweeps = pytest.importorskip("simulation.experiments.sweeps")
if not hasattr(sweeps, "model"):
    pytest.skip("needs simulation.experiments.sweeps.model(**kwargs), the adaptor for EMA Workbench",
                allow_module_level=True)

# what every experiment shares: a tiny institution, so that 8 runs take a few seconds
CONSTANTS = {"base": "network", "seed": 5, "population__n_faculty": 200, "population__n_institutions": 4,
             "horizon_years": 6}
WANTED = ["retention_5y", "pubs_per_faculty_year", "mean_unmet", "mean_mentors"]


def _numeric(outcomes: dict) -> list[str]:
    return [k for k, v in outcomes.items()
            if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and math.isfinite(v)]


def test_ema_workbench_runs_careersim_as_a_replicator_model():
    from ema_workbench import (Constant, IntegerParameter, RealParameter, ReplicatorModel, ScalarOutcome,
                               SequentialEvaluator, perform_experiments)

    probe = sweeps.model(**CONSTANTS, replicate=0)  # what the adaptor returns: outcome name -> value
    assert isinstance(probe, dict) and probe, probe
    numeric = _numeric(probe)
    names = [n for n in WANTED if n in numeric] or numeric[:4]
    assert names, f"no numeric outcome in {probe}"

    model = ReplicatorModel("careersim", function=sweeps.model)
    model.uncertainties = [IntegerParameter("network__max_ties", 1, 4),
                           RealParameter("hiring__share_women", 0.3, 0.6)]
    model.constants = [Constant(k, v) for k, v in CONSTANTS.items()]
    model.replications = [{"replicate": 0}, {"replicate": 1}]
    model.outcomes = [ScalarOutcome(n, function=np.mean) for n in names]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=4, evaluator=evaluator)

    assert len(experiments) == 4
    assert set(outcomes) == set(names)
    for n in names:
        assert outcomes[n].shape == (4,) and np.isfinite(outcomes[n]).all(), (n, outcomes[n])
    # the workbench's numbers are careersim's: the first experiment again, by hand
    first = experiments.iloc[0]
    kwargs = {**CONSTANTS, "network__max_ties": int(first["network__max_ties"]),
              "hiring__share_women": float(first["hiring__share_women"])}
    again = [sweeps.model(**kwargs, replicate=r) for r in (0, 1)]
    for n in names:
        assert outcomes[n][0] == pytest.approx(np.mean([a[n] for a in again]), rel=1e-12, abs=1e-12), n
