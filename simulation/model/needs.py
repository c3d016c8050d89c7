"""Needs: each function's need moves toward its career-stage profile; events add spikes.

need = need_base + need_spike, in support units per month (the units of support, so that
coverage = support / need is meaningful). Rejection spikes are added where rejections
happen (careers); the review spike is added here, `review_lead_months` before a review.
"""

from __future__ import annotations

import math

from numba import njit, prange

from simulation.model.state import ASSISTANT, ASSOCIATE, FULL, N_FUNCTIONS


@njit(cache=True, inline="always")
def stage_target(profiles, review_months, rank, months_in_rank, f):
    """The need profile of a career stage in function f.

    `profiles` rows: early assistant, late assistant, associate, full. An assistant
    professor moves linearly from the early to the late profile until the review.
    """
    if rank == ASSISTANT:
        x = months_in_rank / review_months
        if x > 1.0:
            x = 1.0
        return (1.0 - x) * profiles[0, f] + x * profiles[1, f]
    if rank == ASSOCIATE:
        return profiles[2, f]
    return profiles[3, f]


@njit(cache=True, inline="always")
def need(fs, i, f):
    return fs.need_base[i, f] + fs.need_spike[i, f]


@njit(cache=True, parallel=True)
def update_needs(fs, kp, active, n_active, month):
    """Phase 2 for every active person."""
    need_base, need_spike, need_mult = fs.need_base, fs.need_spike, fs.need_mult
    rank, rank_month, next_review = fs.rank, fs.rank_month, fs.next_review
    profiles, spike_review = kp.need_profiles, kp.needs_spike_review
    review_months = 12.0 * kp.promotion_review_years_associate
    lead = kp.needs_review_lead_months
    adapt = 1.0 - math.exp(-1.0 / kp.needs_adapt_months)
    keep = 0.5 ** (1.0 / kp.needs_spike_half_life_months)
    for ii in prange(n_active):
        i = active[ii]
        r = rank[i]
        in_rank = month - rank_month[i]
        review_soon = r < FULL and next_review[i] - month == lead
        for f in range(N_FUNCTIONS):
            target = stage_target(profiles, review_months, r, in_rank, f) * need_mult[i, f]
            need_base[i, f] += adapt * (target - need_base[i, f])
            spike = need_spike[i, f] * keep
            if review_soon:
                spike += spike_review[f] * need_mult[i, f]
            need_spike[i, f] = spike
