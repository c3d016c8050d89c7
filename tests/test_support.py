import numpy as np
from numba import njit

from simulation.model.mesa_model import CareerModel
from simulation.model.kernel_params import kernel_params
from simulation.model.state import CAREER, PSYCHOSOCIAL, SCIENCE
from simulation.model.support import competence, concordance_of, contact_of, discounted, quality_of

from .conftest import small


def _model(*sets, months=24):
    m = CareerModel(small("status_quo", *sets))
    for _ in range(months):
        m.step()
    return m


@njit
def quality(kp, load):
    return quality_of(kp.quality_by_load, kp.mentors_comfortable_load, kp.mentors_overload_exponent, load)


@njit
def concordance(kp, is_discounted, f):
    return concordance_of(1.0 / (1.0 + kp.mentoring_concordance_gain), is_discounted, f)


@njit
def contact(kp, kind, age):
    return contact_of(kp.contact_by_age, kind, age)


def test_quality_falls_past_the_comfortable_load():
    kp = kernel_params(small("status_quo"))
    c = int(small("status_quo").mentors.comfortable_load)
    assert quality(kp, c) == 1.0 and quality(kp, c - 2) == 1.0
    assert 1.0 > quality(kp, c + 1) > quality(kp, c + 5) > 0
    assert np.isclose(quality(kp, 2 * c), 0.5 ** small("status_quo").mentors.overload_exponent)
    assert np.isclose(quality(kp, 1000), (c / 1000) ** small("status_quo").mentors.overload_exponent)  # past the table


def test_time_per_mentee_falls_as_load_rises():
    m = _model()
    fs = m.faculty
    act = m.active_rows()
    mentors = act[(fs.n_proteges[act] > 0) & (fs.rank[act] == 2)]
    load = fs.load_weight[mentors] + fs.n_trainees[mentors] * m.params.mentors.trainee_weight
    assert np.corrcoef(load, fs.time_per_weight[mentors])[0, 1] < -0.3


def test_competence_is_concentrated_and_grows_with_rank():
    m = _model(months=1)
    fs = m.faculty
    prof = fs.competence_profile[m.active_rows()]
    assert np.allclose(prof.sum(1), 5)
    # few seniors are strong in every function
    top_share = np.sort(prof, axis=1)[:, -2:].sum(1) / 5
    assert np.median(top_share) > 0.6
    kp = m.kp
    act = m.active_rows()
    seniors = act[fs.rank[act] == 2][:50]
    juniors = act[fs.rank[act] == 0][:50]
    c_s = np.mean([competence(fs.cols, kp, j, SCIENCE, 0) / fs.competence_profile[j, SCIENCE] / fs.mentor_skill[j]
                   for j in seniors])
    c_j = np.mean([competence(fs.cols, kp, j, SCIENCE, 0) / fs.competence_profile[j, SCIENCE] / fs.mentor_skill[j]
                   for j in juniors])
    assert c_s > c_j


def test_concordance_discounts_mens_support_to_women_in_career_and_psychosocial():
    kp = kernel_params(small("status_quo"))
    gain = small("status_quo").mentoring.concordance_gain
    woman_woman, woman_man, man_woman = discounted(True, True), discounted(True, False), discounted(False, True)
    assert not woman_woman and woman_man and not man_woman
    assert concordance(kp, woman_woman, CAREER) == 1.0
    assert np.isclose(concordance(kp, woman_man, PSYCHOSOCIAL), 1 / (1 + gain))
    assert np.isclose(concordance(kp, woman_man, CAREER), 1 / (1 + gain))
    assert concordance(kp, woman_man, SCIENCE) == 1.0
    assert concordance(kp, man_woman, CAREER) == 1.0


def test_senior_contact_decays_to_its_floor_and_peers_do_not():
    kp = kernel_params(small("status_quo"))
    floor = small("status_quo").mentoring.tie_contact_floor
    assert contact(kp, 1, 0) == 1.0
    assert contact(kp, 1, 600) < 0.5 and contact(kp, 1, 6000) >= floor
    assert contact(kp, 4, 600) == 1.0


def test_coverage_is_support_over_need_capped_at_one():
    m = _model()
    fs = m.faculty
    act = m.active_rows()
    need = fs.need_base[act] + fs.need_spike[act]
    expected = np.minimum(1.0, fs.support[act] / need)
    assert np.allclose(fs.coverage[act], expected)
    assert np.all((fs.coverage[act] >= 0) & (fs.coverage[act] <= 1))
