"""Mentor competence and capacity, and the support each protege receives.

Support to protege p in function f sums over p's ties:

    profile(mentor, f) x competence scale(mentor) x time per unit of tie weight(mentor)
      x tie weight(kind) x contact(age) x concordance(p, mentor, f) x fit(p, mentor)

The competence scale is the mentor's skill x seniority (rank) x experience (x training).
Time per unit of tie weight is the mentor's capacity (hours a month, less administration,
plus protected time), times a quality factor that falls past a comfortable load, divided
by the weighted number of mentees (faculty ties plus trainees). Peers give a fixed peer
profile for a fixed time each; so does a facilitator (a model's `facilitation`: its own
profile for the hours of attention a group meeting gives each member). Coverage = support / need, capped at 1.

The formulas are scalar functions used by the kernels here and by the mentoring search
(which needs the support a candidate *would* give): one function per formula, over plain
numbers and arrays (`weight_of`, `contact_of`, `concordance_of`, `tie_factor_of`, `hours_of`,
`quality_of`, `time_share`, `output`), called with values bound before the loop, and one
function for the support through a tie (`tie_support_of`). Passing a struct (`kp`, `fs`)
into a branching helper inside a serial loop costs an atomic reference-count round trip per
call that numba does not remove (about 13 ns, measured); parallel loops do not pay it.
"""

from __future__ import annotations

import math
import numpy as np
from numba import njit, prange

from simulation.model.memory import prefetch
from simulation.model.rng import poisson_inv
from simulation.model.state import CAREER, EXTERNAL, N_FUNCTIONS, PEER, PRIMARY, PSYCHOSOCIAL, SECONDARY


PREFETCH_AHEAD = 6  # people ahead whose mentors' rows are fetched early (a latency hint only)
PREFETCH_MIN_ACTIVE = 50_000  # below this the rows stay in cache and the hint only costs time


@njit(cache=True, inline="always")
def competence_scale(kp, skill, rank_scale, career_months):
    """The part of a mentor's competence common to all functions."""
    grow = career_months / (12.0 * kp.mentors_experience_years)
    if grow > 1.0:
        grow = 1.0
    c = skill * rank_scale * (kp.mentors_experience_floor + (1.0 - kp.mentors_experience_floor) * grow)
    if kp.mentoring_training:
        c *= 1.0 + kp.mentoring_training_gain
    return c


@njit(cache=True)
def competence(fs, kp, j, f, month):
    """Mentor j's competence in function f (for inspection; kernels use the cached scale)."""
    return fs.competence_profile[j, f] * competence_scale(
        kp, fs.mentor_skill[j], kp.mentors_competence_by_rank[fs.rank[j]], month - fs.hire_month[j])


@njit(cache=True, inline="always")
def weight_of(kind, w_primary, w_secondary, w_external):
    """Contact weight and time share of a tie of this kind (peers: none)."""
    if kind == PRIMARY:
        return w_primary
    if kind == SECONDARY:
        return w_secondary
    if kind == EXTERNAL:
        return w_external
    return 0.0


@njit(cache=True, inline="always")
def count_tie(n_proteges, n_by_kind, load_weight, j, kind, delta, w_primary, w_secondary, w_external):
    """Add (delta = 1) or remove (-1) a faculty protege of this kind from mentor j's load.

    The summed weight is recomputed from the counts, so it is exact however ties come and go.
    """
    n_proteges[j] += delta
    n_by_kind[j, kind - PRIMARY] += delta
    load_weight[j] = n_by_kind[j, 0] * w_primary + n_by_kind[j, 1] * w_secondary + n_by_kind[j, 2] * w_external


def contact_table(floor: float, decay_years: float, n_months: int) -> np.ndarray:
    """Contact left in a senior tie by its age in months: fades from 1 toward a floor."""
    return np.array([floor + (1.0 - floor) * math.exp(-age / (12.0 * decay_years)) for age in range(n_months)])


@njit(cache=True, inline="always")
def contact_of(contact_by_age, kind, age_months):
    """Contact left in a tie of this age (a lookup in `kp.contact_by_age`); peer ties do not fade."""
    if kind == PEER:
        return 1.0
    return contact_by_age[min(age_months, contact_by_age.shape[0] - 1)]


@njit(cache=True, inline="always")
def discounted(female_protege, female_mentor):
    """Whether support in career and psychosocial functions is discounted (a man mentoring a woman)."""
    return female_protege and not female_mentor


@njit(cache=True, inline="always")
def concordance_of(discount, is_discounted, f):
    """For a woman, psychosocial and career support from a man is worth less than from a woman:
    `discount` = 1 / (1 + mentoring.concordance_gain)."""
    if is_discounted and (f == CAREER or f == PSYCHOSOCIAL):
        return discount
    return 1.0


@njit(cache=True, inline="always")
def tie_factor_of(kind, weight, contact_, fit, peer_hours):
    """What a tie multiplies its source by: tie weight x contact x fit (peers: hours x fit)."""
    if kind == PEER:
        return peer_hours * fit
    return weight * contact_ * fit


@njit(cache=True, inline="always")
def output(profile_f, scale, time_per_weight):
    """A mentor's support per unit of tie factor in one function: competence x time."""
    return profile_f * scale * time_per_weight


@njit(cache=True, inline="always")
def tie_support_of(source_f, kind, weight, contact_, fit, peer_hours, discount, is_discounted, f):
    """Support in function f through one tie: source x tie factor x concordance (ODD 7.6).

    The one formula of a tie's support: the support phase (`update_support`) gives each tie's
    support with it, and the mentoring search predicts with it the support a tie it considers
    would give (the source then is the mentor's output after taking the protege on); the app's
    person panel shows it. The source is the mentor's output in f, or the peer profile for a
    peer tie."""
    factor = tie_factor_of(kind, weight, contact_, fit, peer_hours)
    return source_f * factor * concordance_of(discount, is_discounted, f)


@njit(cache=True, inline="always")
def fixed_support_of(profile_f, fit, hours, discount, is_discounted, f):
    """Support in function f through a senior tie that gives a fixed profile for fixed hours (a
    facilitator, `MentoringModel.facilitation`): profile x hours x fit x concordance, whatever the
    senior's competence and load; it does not fade with the tie's age."""
    return profile_f * hours * fit * concordance_of(discount, is_discounted, f)


@njit(cache=True, inline="always")
def hours_of(hours_by_rank, share_admin, admin_loss, protected_time, rank, admin_draw):
    """Mentoring hours a month of a faculty member of this rank, less administration, plus protected time."""
    hours = hours_by_rank[rank]
    if admin_draw < share_admin[rank]:
        hours *= 1.0 - admin_loss
    return hours * (1.0 + protected_time)


@njit(cache=True, inline="always")
def trainees(kp, rank, trainee_draw, trainee_scale):
    """Non-faculty mentees: Poisson with the rank's mean times the person's scale (gamma-Poisson),
    by inversion of a fixed uniform."""
    return poisson_inv(trainee_draw, kp.mentors_trainees_mean[rank] * trainee_scale)


def quality_table(comfortable: float, exponent: float, max_load: int = 256) -> np.ndarray:
    """Mentoring quality by number of mentees: 1 up to the comfortable load, then (comfortable/load)^exponent."""
    return np.array([1.0 if load <= comfortable else (comfortable / max(float(load), 1e-9)) ** exponent
                     for load in range(max_load + 1)])


@njit(cache=True, inline="always")
def quality_of(quality_by_load, comfortable, exponent, load):
    """Mentoring quality at this number of mentees (a lookup in `kp.quality_by_load`)."""
    if load < quality_by_load.shape[0]:
        return quality_by_load[load]
    return (comfortable / load) ** exponent


@njit(cache=True, inline="always")
def time_share(hours, q, load_weight, n_trainees, trainee_weight):
    """Hours a month per unit of tie weight: a trainee counts `trainee_weight` units."""
    denom = load_weight + n_trainees * trainee_weight
    return hours * q / denom if denom > 0.0 else hours * q


@njit(cache=True, inline="always")
def has_room(cap_mentees, n_proteges, n_trainees, max_mentees):
    """Whether a mentor with these loads will take one more faculty protege (cap 0: no cap)."""
    if cap_mentees > 0 and n_proteges >= cap_mentees:
        return False
    return n_proteges + n_trainees + 1 <= max_mentees


@njit(cache=True, parallel=True)
def update_loads(fs, kp, active, n_active, month):
    """Phase 4a: each mentor's quality, time per unit weight, competence and output per function.

    Loads (faculty proteges and their summed weight) are kept as ties start and end.
    """
    n_proteges, load_weight, n_trainees = fs.n_proteges, fs.load_weight, fs.n_trainees
    quality_, tpw, scale, mentor_output = fs.quality, fs.time_per_weight, fs.competence_scale, fs.mentor_output
    rank, admin_draw, profile = fs.rank, fs.admin_draw, fs.competence_profile
    skill, hire_month = fs.mentor_skill, fs.hire_month
    by_rank = kp.mentors_competence_by_rank
    quality_by_load, comfortable = kp.quality_by_load, kp.mentors_comfortable_load
    exponent, hours_by_rank = kp.mentors_overload_exponent, kp.mentors_capacity_hours
    share_admin = kp.mentors_share_admin
    admin_loss = kp.mentors_admin_capacity_loss
    protected_time, trainee_weight = kp.mentoring_protected_time, kp.mentors_trainee_weight
    for ii in prange(n_active):
        j = active[ii]
        r = rank[j]
        n_tr = n_trainees[j]  # set at hire and at promotion
        q = quality_of(quality_by_load, comfortable, exponent, n_proteges[j] + n_tr)
        quality_[j] = q
        hours = hours_of(hours_by_rank, share_admin, admin_loss, protected_time, r, admin_draw[j])
        tpw[j] = time_share(hours, q, load_weight[j], n_tr, trainee_weight)
        scale[j] = competence_scale(kp, skill[j], by_rank[r], month - hire_month[j])
        if n_proteges[j] > 0:
            for f in range(N_FUNCTIONS):
                mentor_output[j, f] = output(profile[j, f], scale[j], tpw[j])


@njit(cache=True, parallel=True)
def update_support(fs, kp, active, n_active, month):
    """Phase 4b: support and coverage per function for every active person; each tie's value."""
    support, coverage, need_base, need_spike = fs.support, fs.coverage, fs.need_base, fs.need_spike
    tie_mentor, tie_kind, tie_start, tie_fit, tie_value, tie_discount = (
        fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit, fs.tie_value, fs.tie_discount)
    mentor_output = fs.mentor_output
    w_primary, w_secondary = kp.mentoring_weight_primary, kp.mentoring_weight_secondary
    w_external = kp.mentoring_weight_external
    contact_by_age, peer_hours, peers_profile = kp.contact_by_age, kp.peers_hours_per_peer, kp.peers_profile
    # a model's senior ties may give a fixed profile for fixed hours (a facilitator; kernel_params)
    senior_fixed, fixed_profile, fixed_hours = kp.senior_fixed, kp.senior_fixed_profile, kp.senior_fixed_hours
    discount = 1.0 / (1.0 + kp.mentoring_concordance_gain)
    n_slots = tie_mentor.shape[1]
    hint = n_active >= PREFETCH_MIN_ACTIVE
    for ii in prange(n_active):
        if hint and ii + PREFETCH_AHEAD < n_active:  # the mentors of someone a few places ahead
            ahead = active[ii + PREFETCH_AHEAD]
            for s in range(n_slots):
                j = tie_mentor[ahead, s]
                if j >= 0:
                    prefetch(mentor_output, j)
        i = active[ii]
        total_need = 0.0
        for f in range(N_FUNCTIONS):
            support[i, f] = 0.0
            total_need += need_base[i, f] + need_spike[i, f]
        for s in range(n_slots):
            j = tie_mentor[i, s]
            if j < 0:
                continue
            kind = tie_kind[i, s]
            weight = weight_of(kind, w_primary, w_secondary, w_external)
            contact_ = contact_of(contact_by_age, kind, month - tie_start[i, s])
            fit, is_discounted = tie_fit[i, s], tie_discount[i, s]
            value = 0.0
            for f in range(N_FUNCTIONS):
                if senior_fixed and kind != PEER:
                    x = fixed_support_of(fixed_profile[f], fit, fixed_hours, discount, is_discounted, f)
                else:
                    source = peers_profile[f] if kind == PEER else mentor_output[j, f]
                    x = tie_support_of(source, kind, weight, contact_, fit, peer_hours, discount, is_discounted, f)
                support[i, f] += x
                value += min(x, need_base[i, f] + need_spike[i, f])
            tie_value[i, s] = value / total_need if total_need > 0.0 else 0.0
        for f in range(N_FUNCTIONS):
            nd = need_base[i, f] + need_spike[i, f]
            coverage[i, f] = min(1.0, support[i, f] / nd) if nd > 1e-9 else 1.0


@njit(cache=True, inline="always")
def unmet_share(kp, need_base, need_spike, coverage, i):
    """Unmet need of person i, as a share of a new assistant professor's total need."""
    gap = 0.0
    for f in range(N_FUNCTIONS):
        gap += (need_base[i, f] + need_spike[i, f]) * (1.0 - coverage[i, f])
    return gap / kp.need_reference_total


@njit(cache=True, inline="always")
def unmet_key(kp, need_base, need_spike, coverage, i):
    """Unmet psychosocial and career need, as a share of a new assistant professor's."""
    gap = 0.0
    for f in (CAREER, PSYCHOSOCIAL):
        gap += (need_base[i, f] + need_spike[i, f]) * (1.0 - coverage[i, f])
    return gap / kp.need_reference_key
