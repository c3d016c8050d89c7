"""One formula for a tie's support: what the mentoring search predicts a new tie would give is
what the support phase then gives the protege through it (ties set by hand)."""

import numpy as np
import pytest

from simulation.model import mentoring, support
from simulation.model.mesa_model import CareerModel
from simulation.model.state import ASSISTANT, EXTERNAL, FULL, PRIMARY, SECONDARY

from .conftest import small


def _model_with_a_pair():
    """A small model a few months in, and a woman assistant professor i with no ties and a man
    full professor j with no proteges and trainees up to the comfortable load."""
    m = CareerModel(small("network"))
    for _ in range(3):
        m.step()
    fs = m.faculty
    act = m.active_rows()
    i = int(act[(fs.rank[act] == ASSISTANT) & fs.female[act]][0])
    j = int(act[(fs.rank[act] == FULL) & ~fs.female[act]][0])
    for row in (i, j):
        fs.tie_mentor[row, :] = -1
        fs.tie_kind[row, :] = 0
    fs.n_proteges[j] = 0
    fs.n_by_kind[j, :] = 0
    fs.load_weight[j] = 0.0
    fs.n_trainees[j] = int(m.params.mentors.comfortable_load)  # one more mentee and quality falls
    return m, i, j


@pytest.mark.parametrize("kind", [PRIMARY, SECONDARY, EXTERNAL])
def test_the_support_the_search_predicts_is_the_support_the_support_phase_gives(kind):
    m, i, j = _model_with_a_pair()
    fs, kp, month, fit = m.faculty, m.kp, m.month, 0.83
    # j's competence this month, as the search would read it
    support.update_loads(fs.cols, kp, np.array([j], dtype=np.int32), 1, month)
    predicted = mentoring.predict_support(fs.cols, kp, m.keys, i, j, kind, fit)
    # the tie, set by hand: slot 0 of i, starting this month, and j's load
    fs.tie_mentor[i, 0] = j
    fs.tie_kind[i, 0] = kind
    fs.tie_start[i, 0] = month
    fs.tie_fit[i, 0] = fit
    fs.tie_discount[i, 0] = support.discounted(bool(fs.female[i]), bool(fs.female[j]))
    p = m.params.mentoring
    support.count_tie(fs.n_proteges, fs.n_by_kind, fs.load_weight, j, kind, 1, p.weight_primary, p.weight_secondary,
                      p.weight_external)
    rows = np.array([i, j], dtype=np.int32)
    support.update_loads(fs.cols, kp, rows, 2, month)
    support.update_support(fs.cols, kp, rows[:1], 1, month)
    assert fs.quality[j] < 1.0  # the load the tie makes is past the comfortable one
    assert fs.tie_discount[i, 0]  # a man mentoring a woman: career and psychosocial support discounted
    assert (predicted > 0).all()
    assert np.array_equal(fs.support[i], predicted), (fs.support[i], predicted)
