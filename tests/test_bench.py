"""`careersim bench` reports a run's phase timings in the order the model runs its phases."""

from simulation.experiments.bench import by_phase
from simulation.model.mesa_model import PHASE_NAMES


def test_phase_timings_follow_the_models_phase_list_then_record_and_tables():
    seconds = {"tables": 0.1, "record": 0.2, **{name: float(k) for k, name in enumerate(reversed(PHASE_NAMES))},
               "elsewhere": 0.3}
    ordered = by_phase(seconds)
    assert list(ordered) == [*PHASE_NAMES, "record", "tables", "elsewhere"]
    assert ordered == seconds  # the same figures, only in order
