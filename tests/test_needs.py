import numpy as np

from simulation.model.mesa_model import CareerModel
from simulation.config.params import FUNCTIONS

from .conftest import small


def test_needs_follow_the_career_stage():
    m = CareerModel(small("status_quo"))
    for _ in range(36):
        m.step()
    fs, p = m.faculty, m.params
    act = m.active_rows()
    base = fs.need_base[act] / fs.need_mult[act]
    early = act[(fs.rank[act] == 0) & (m.month - fs.rank_month[act] < 12)]
    full = act[(fs.rank[act] == 2) & (m.month - fs.rank_month[act] >= 24)]  # needs adapted to the rank
    early_profile = p.needs.early_assistant.array()
    full_profile = p.needs.full.array()
    # new assistant professors need science and skills most; full professors need little
    mean_early = (fs.need_base[early] / fs.need_mult[early]).mean(0)
    assert np.argmax(mean_early) in (FUNCTIONS.index("science"), FUNCTIONS.index("skills"))
    assert np.allclose((fs.need_base[full] / fs.need_mult[full]).mean(0), full_profile, rtol=0.05)
    assert mean_early.sum() > 3 * full_profile.sum()
    assert np.all(base >= 0) and early_profile.sum() > 0


def test_review_spike_arrives_a_lead_time_before_the_review():
    m = CareerModel(small("status_quo"))
    lead = m.params.needs.review_lead_months
    m.step()
    fs = m.faculty
    target = m.active_rows()[(fs.next_review[m.active_rows()] - (m.month + 1)) == lead]
    target = target[fs.rank[target] == 0]
    assert len(target) > 0
    before = fs.need_spike[target].copy()
    m.step()
    jump = fs.need_spike[target] - before * 0.5 ** (1 / m.params.needs.spike_half_life_months)
    assert np.allclose(jump, m.params.needs.spike_review.array() * fs.need_mult[target], atol=1e-9)
