"""Exits: attrition, failed review and retirement, requested by any phase and applied once.

The monthly attrition hazard is front-loaded (highest at hire, falling toward a floor),
bumped around a promotion review and after a failed one, and raised by unmet
psychosocial and career need, low satisfaction, funding lost unreplaced, and rejections
in a row; career-award holders (committed researchers) have a lower hazard. Retirement
rises late in a career. Applying an exit cuts every tie of the person who left.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .mentoring import end_tie
from .rng import Stream, uniform
from .state import (
    ACTIVE, FULL, LEFT, MENTOR_LEFT, NEVER, PEER, PROTEGE_LEFT, RETIRED,
)
from .support import unmet_key, unmet_share


@njit(cache=True)
def attrition_hazard(fs, kp, i, month):
    """Annual hazard of leaving academia for person i this month."""
    years = (month - fs.hire_month[i]) / 12.0
    h = kp.exits_hazard_floor + (kp.exits_hazard_initial - kp.exits_hazard_floor) * np.exp(
        -years / kp.exits_hazard_decay_years
    )
    if fs.rank[i] < FULL and fs.next_review[i] != NEVER and 0 <= fs.next_review[i] - month < 12:
        h *= kp.exits_review_hazard_ratio
    if month - fs.failed_review_month[i] < kp.promotion_failed_review_months:
        h *= kp.promotion_failed_review_hazard_ratio
    if fs.funding_gap_until[i] > month:
        h *= kp.exits_funding_loss_hazard_ratio
    if fs.career_award[i]:
        h *= kp.exits_career_award_hazard_ratio
    x = (
        kp.exits_unmet_effect * unmet_key(fs, kp, i)
        + kp.exits_satisfaction_effect * (1.0 - fs.satisfaction[i])
        + kp.exits_rejection_effect * min(fs.rejection_streak[i], 4)
    )
    return h * np.exp(x)


@njit(cache=True)
def retirement_hazard(fs, kp, i, month):
    years = (month - fs.hire_month[i]) / 12.0
    return kp.exits_retirement_max / (
        1.0 + np.exp(-(years - kp.exits_retirement_midpoint_years) / kp.exits_retirement_spread_years)
    )


@njit(cache=True)
def request_exits(fs, kp, keys, active, n_active, month):
    """Phase 6a: satisfaction, then retirement and attrition requests (EXITS stream)."""
    ek = keys[Stream.EXITS]
    keep = np.exp(-1.0 / kp.exits_satisfaction_months)
    for ii in prange(n_active):
        i = active[ii]
        met = 1.0 - min(1.0, unmet_share(fs, kp, i))
        fs.satisfaction[i] = keep * fs.satisfaction[i] + (1.0 - keep) * met
        if fs.exit_request[i] != ACTIVE:
            continue
        key = fs.person_key[i]
        if uniform(ek, key, month, 1) < 1.0 - np.exp(-retirement_hazard(fs, kp, i, month) / 12.0):
            fs.exit_request[i] = RETIRED
        elif uniform(ek, key, month, 0) < 1.0 - np.exp(-attrition_hazard(fs, kp, i, month) / 12.0):
            fs.exit_request[i] = LEFT


@njit(cache=True)
def apply_exits(fs, tl, ins, kp, active, n_active, month, exits_by_reason):
    """Phase 6b: apply requested exits once, cut ties to and from those who left, compact `active`."""
    n_slots = fs.tie_mentor.shape[1]
    for ii in range(n_active):
        i = active[ii]
        reason = fs.exit_request[i]
        if reason == ACTIVE:
            continue
        fs.status[i] = reason
        fs.exit_month[i] = month
        fs.exit_request[i] = ACTIVE
        ins.n_active[fs.institution[i]] -= 1
        exits_by_reason[reason] += 1
        for s in range(n_slots):
            end_tie(fs, tl, kp, i, s, month, PROTEGE_LEFT)
    kept = 0
    for ii in range(n_active):
        i = active[ii]
        if fs.status[i] != ACTIVE:
            continue
        for s in range(n_slots):
            j = fs.tie_mentor[i, s]
            if j >= 0 and fs.status[j] != ACTIVE:
                if fs.tie_kind[i, s] != PEER:
                    fs.n_mentor_losses[i] += 1
                    fs.value_lost[i] += fs.tie_value[i, s]
                    fs.mentor_lost_month[i] = month
                end_tie(fs, tl, kp, i, s, month, MENTOR_LEFT)
        active[kept] = i
        kept += 1
    return kept
