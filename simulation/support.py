"""Mentor competence and capacity, and the support each protege receives.

Support to protege p in function f sums over p's ties:

    competence(mentor, f) x time per unit of tie weight x tie weight(kind)
      x contact(age) x concordance(p, mentor, f) x fit(p, mentor)

Time per unit of tie weight is the mentor's capacity (hours a month, less administration,
plus protected time), times a quality factor that falls past a comfortable load, divided
by the weighted number of mentees (faculty ties plus trainees). Peers give a fixed peer
profile for a fixed time each. Coverage = support / need, capped at 1.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .needs import need
from .rng import poisson_inv
from .state import CAREER, EXTERNAL, N_FUNCTIONS, PEER, PRIMARY, PSYCHOSOCIAL, SECONDARY


@njit(cache=True, inline="always")
def competence(fs, kp, j, f, month):
    """Mentor j's competence in function f: profile x skill x seniority x experience."""
    years = (month - fs.hire_month[j]) / 12.0
    grow = years / kp.mentors_experience_years
    if grow > 1.0:
        grow = 1.0
    exp_factor = kp.mentors_experience_floor + (1.0 - kp.mentors_experience_floor) * grow
    c = fs.competence_profile[j, f] * fs.mentor_skill[j] * kp.mentors_competence_by_rank[fs.rank[j]] * exp_factor
    if kp.mentoring_training:
        c *= 1.0 + kp.mentoring_training_gain
    return c


@njit(cache=True, inline="always")
def kind_weight(kp, kind):
    if kind == PRIMARY:
        return kp.mentoring_weight_primary
    if kind == SECONDARY:
        return kp.mentoring_weight_secondary
    if kind == EXTERNAL:
        return kp.mentoring_weight_external
    return 0.0


@njit(cache=True, inline="always")
def contact(kp, kind, age_months):
    """Contact left in a tie of this age: senior ties fade toward a floor; peer ties do not."""
    if kind == PEER:
        return 1.0
    floor = kp.mentoring_tie_contact_floor
    return floor + (1.0 - floor) * np.exp(-age_months / (12.0 * kp.mentoring_tie_decay_years))


@njit(cache=True, inline="always")
def concordance(fs, kp, i, j, f):
    """For a woman, psychosocial and career support from a man is worth less than from a woman."""
    if fs.female[i] and not fs.female[j] and (f == CAREER or f == PSYCHOSOCIAL):
        return 1.0 / (1.0 + kp.mentoring_concordance_gain)
    return 1.0


@njit(cache=True, inline="always")
def tie_support(fs, kp, i, j, kind, fit, age_months, f, month, time_per_weight):
    """Support protege i gets in function f from j through one tie."""
    if kind == PEER:
        base = kp.peers_profile[f] * kp.peers_hours_per_peer
    else:
        base = competence(fs, kp, j, f, month) * time_per_weight * kind_weight(kp, kind)
    return base * contact(kp, kind, age_months) * concordance(fs, kp, i, j, f) * fit


@njit(cache=True, inline="always")
def capacity(fs, kp, j):
    """Mentor j's mentoring hours a month."""
    rank = fs.rank[j]
    hours = kp.mentors_capacity_hours[rank]
    if fs.admin_draw[j] < kp.mentors_share_admin[rank]:
        hours *= 1.0 - kp.mentors_admin_capacity_loss
    return hours * (1.0 + kp.mentoring_protected_time)


@njit(cache=True, inline="always")
def trainees(fs, kp, j):
    return poisson_inv(fs.trainee_draw[j], kp.mentors_trainees_mean[fs.rank[j]])


@njit(cache=True, inline="always")
def quality(kp, load):
    comfortable = kp.mentors_comfortable_load
    if load <= comfortable:
        return 1.0
    return (comfortable / load) ** kp.mentors_overload_exponent


@njit(cache=True, inline="always")
def has_room(fs, kp, j):
    """Whether mentor j will take one more faculty protege."""
    if kp.mentoring_cap_mentees > 0 and fs.n_proteges[j] >= kp.mentoring_cap_mentees:
        return False
    return fs.n_proteges[j] + fs.n_trainees[j] + 1 <= fs.max_mentees[j]


@njit(cache=True)
def update_loads(fs, kp, active, n_active):
    """Count each mentor's proteges and trainees; set time per unit weight and quality."""
    for ii in range(n_active):
        j = active[ii]
        fs.n_proteges[j] = 0
        fs.load_weight[j] = 0.0
    for ii in range(n_active):
        i = active[ii]
        for s in range(fs.tie_mentor.shape[1]):
            j = fs.tie_mentor[i, s]
            if j >= 0 and fs.tie_kind[i, s] != PEER:
                fs.n_proteges[j] += 1
                fs.load_weight[j] += kind_weight(kp, fs.tie_kind[i, s])
    for ii in prange(n_active):
        j = active[ii]
        n_tr = trainees(fs, kp, j)
        fs.n_trainees[j] = n_tr
        q = quality(kp, fs.n_proteges[j] + n_tr)
        fs.quality[j] = q
        denom = fs.load_weight[j] + n_tr * kp.mentors_trainee_weight
        fs.time_per_weight[j] = capacity(fs, kp, j) * q / denom if denom > 0.0 else capacity(fs, kp, j) * q


@njit(cache=True)
def update_support(fs, kp, active, n_active, month):
    """Support and coverage per function for every active person; each tie's value."""
    n_slots = fs.tie_mentor.shape[1]
    for ii in prange(n_active):
        i = active[ii]
        total_need = 0.0
        for f in range(N_FUNCTIONS):
            fs.support[i, f] = 0.0
            total_need += need(fs, i, f)
        for s in range(n_slots):
            j = fs.tie_mentor[i, s]
            if j < 0:
                continue
            kind = fs.tie_kind[i, s]
            age = month - fs.tie_start[i, s]
            value = 0.0
            for f in range(N_FUNCTIONS):
                x = tie_support(fs, kp, i, j, kind, fs.tie_fit[i, s], age, f, month, fs.time_per_weight[j])
                fs.support[i, f] += x
                value += min(x, need(fs, i, f))
            fs.tie_value[i, s] = value / total_need if total_need > 0.0 else 0.0
        for f in range(N_FUNCTIONS):
            nd = need(fs, i, f)
            fs.coverage[i, f] = min(1.0, fs.support[i, f] / nd) if nd > 1e-9 else 1.0


@njit(cache=True, inline="always")
def unmet_share(fs, kp, i):
    """Unmet need of person i, as a share of a new assistant professor's total need."""
    ref = 0.0
    gap = 0.0
    for f in range(N_FUNCTIONS):
        ref += kp.needs_early_assistant[f]
        gap += need(fs, i, f) * (1.0 - fs.coverage[i, f])
    return gap / ref if ref > 0.0 else 0.0


@njit(cache=True, inline="always")
def unmet_key(fs, kp, i):
    """Unmet psychosocial and career need, as a share of a new assistant professor's."""
    ref = kp.needs_early_assistant[CAREER] + kp.needs_early_assistant[PSYCHOSOCIAL]
    gap = need(fs, i, CAREER) * (1.0 - fs.coverage[i, CAREER]) + need(fs, i, PSYCHOSOCIAL) * (
        1.0 - fs.coverage[i, PSYCHOSOCIAL]
    )
    return gap / ref if ref > 0.0 else 0.0

