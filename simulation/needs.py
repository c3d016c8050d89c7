"""Needs: each function's need moves toward its career-stage profile; events add spikes.

need = need_base + need_spike, in support units per month (the units of support, so that
coverage = support / need is meaningful). Rejection spikes are added where rejections
happen (careers); the review spike is added here, `review_lead_months` before a review.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .state import ASSISTANT, ASSOCIATE, FULL, N_FUNCTIONS


@njit(cache=True)
def stage_target(kp, rank, months_in_rank, f):
    """The need profile of a career stage, in function f."""
    if rank == ASSISTANT:
        x = months_in_rank / (12.0 * kp.promotion_review_years_associate)
        if x > 1.0:
            x = 1.0
        return (1.0 - x) * kp.needs_early_assistant[f] + x * kp.needs_late_assistant[f]
    if rank == ASSOCIATE:
        return kp.needs_associate[f]
    return kp.needs_full[f]


@njit(cache=True, inline="always")
def need(fs, i, f):
    return fs.need_base[i, f] + fs.need_spike[i, f]


@njit(cache=True, parallel=False)
def update_needs(fs, kp, active, n_active, month):
    adapt = 1.0 - np.exp(-1.0 / kp.needs_adapt_months)
    keep = 0.5 ** (1.0 / kp.needs_spike_half_life_months)
    for ii in prange(n_active):
        i = active[ii]
        rank = fs.rank[i]
        in_rank = month - fs.rank_month[i]
        review_soon = rank < FULL and fs.next_review[i] - month == kp.needs_review_lead_months
        for f in range(N_FUNCTIONS):
            target = stage_target(kp, rank, in_rank, f) * fs.need_mult[i, f]
            fs.need_base[i, f] += adapt * (target - fs.need_base[i, f])
            spike = fs.need_spike[i, f] * keep
            if review_soon:
                spike += kp.needs_spike_review[f] * fs.need_mult[i, f]
            fs.need_spike[i, f] = spike
