"""Exits: attrition, failed review and retirement, requested by any phase and applied once.

The monthly attrition hazard is front-loaded (highest at hire, falling toward a floor),
raised in the year before a promotion review and after a failed one, and by unmet
psychosocial and career need, low satisfaction, funding lost unreplaced, rejections in
a row, and the caregiving load in the years with young children (work-life exits);
career-award holders (committed researchers) have a lower hazard. Retirement rises late in a
career. Applying an exit cuts every tie of the person who left.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from simulation.model.mentoring import close_slot, end_ties_of_leaver
from simulation.model.rng import Stream, uniform
from simulation.model.state import ACTIVE, FULL, LEFT, MENTOR_LEFT, NEVER, PEER, PROTEGE_LEFT, RETIRED
from simulation.model.support import unmet_key, unmet_share


def baseline_hazard_table(initial: float, floor: float, decay_years: float, n_months: int) -> np.ndarray:
    """Annual attrition hazard by career month before any multiplier: front-loaded."""
    return np.array([floor + (initial - floor) * math.exp(-(m / 12.0) / decay_years) for m in range(n_months)])


def retirement_table(maximum: float, midpoint_years: float, spread_years: float, n_months: int) -> np.ndarray:
    """Monthly probability of retiring by career month: a logistic rise late in a career."""
    annual = [maximum / (1.0 + math.exp(-(m / 12.0 - midpoint_years) / spread_years)) for m in range(n_months)]
    return np.array([1.0 - math.exp(-a / 12.0) for a in annual])


@njit(cache=True, inline="always")
def attrition_hazard(kp, career_months, months_to_review, months_since_failed, funding_gap, award,
                     unmet, satisfaction, streak, care_load):
    """Annual hazard of leaving academia (`care_load`: the caregiving load now, 0 outside the years
    with young children: work-life exits)."""
    table = kp.attrition_by_career_month
    h = table[min(career_months, table.shape[0] - 1)]
    if 0 <= months_to_review < 12:
        h *= kp.exits_review_hazard_ratio
    if months_since_failed < kp.promotion_failed_review_months:
        h *= kp.promotion_failed_review_hazard_ratio
    if funding_gap:
        h *= kp.exits_funding_loss_hazard_ratio
    if award:
        h *= kp.exits_career_award_hazard_ratio
    x = (
        kp.exits_unmet_effect * unmet
        + kp.exits_satisfaction_effect * (1.0 - satisfaction)
        + kp.exits_rejection_effect * min(streak, 4)
        + kp.caregiving_exit_effect * care_load
    )
    return h * math.exp(x)


@njit(cache=True, parallel=True)
def request_exits(fs, kp, keys, active, n_active, month):
    """Phase 6a: satisfaction, then retirement and attrition requests (EXITS stream).

    One uniform decides both competing risks: below the retirement probability, retire;
    above it but below the sum, leave.
    """
    need_base, need_spike, coverage, satisfaction = fs.need_base, fs.need_spike, fs.coverage, fs.satisfaction
    exit_request, person_key, hire_month, rank = fs.exit_request, fs.person_key, fs.hire_month, fs.rank
    next_review, failed_review_month, funding_gap_until = fs.next_review, fs.failed_review_month, fs.funding_gap_until
    career_award, rejection_streak = fs.career_award, fs.rejection_streak
    care_start, care_end, care_load = fs.care_start, fs.care_end, fs.care_load
    retire = kp.retirement_by_career_month
    ek = keys[Stream.EXITS]
    keep = math.exp(-1.0 / kp.exits_satisfaction_months)
    for ii in prange(n_active):
        i = active[ii]
        met = 1.0 - min(1.0, unmet_share(kp, need_base, need_spike, coverage, i))
        satisfaction[i] = keep * satisfaction[i] + (1.0 - keep) * met
        if exit_request[i] != ACTIVE:
            continue
        career_months = month - hire_month[i]
        u = uniform(ek, person_key[i], month, 0)
        p_retire = retire[min(career_months, retire.shape[0] - 1)]
        if u < p_retire:
            exit_request[i] = RETIRED
            continue
        to_review = next_review[i] - month if rank[i] < FULL and next_review[i] != NEVER else -1
        h = attrition_hazard(kp, career_months, to_review, month - failed_review_month[i],
                             funding_gap_until[i] > month, career_award[i],
                             unmet_key(kp, need_base, need_spike, coverage, i), satisfaction[i],
                             rejection_streak[i], care_load[i] if care_start[i] <= month < care_end[i] else 0.0)
        if u < p_retire + 1.0 - math.exp(-h / 12.0):
            exit_request[i] = LEFT


@njit(cache=True)
def apply_exits(fs, tl, ins, kp, active, n_active, month, exits_by_reason, left, losses):
    """Phase 6b: apply requested exits once, cut ties to and from those who left, compact `active`.

    The leavers' rows go to `left` (in row order), for the archive; returns the active count.
    """
    log_end, log_end_reason, tie_log = tl.end_month, tl.end_reason, fs.tie_log
    w_primary, w_secondary = kp.mentoring_weight_primary, kp.mentoring_weight_secondary
    w_external = kp.mentoring_weight_external
    n_proteges, n_by_kind, load_weight = fs.n_proteges, fs.n_by_kind, fs.load_weight
    status, exit_request, exit_month, institution = fs.status, fs.exit_request, fs.exit_month, fs.institution
    tie_mentor, tie_kind, tie_value = fs.tie_mentor, fs.tie_kind, fs.tie_value
    ins_active = ins.n_active
    n_left = 0
    for ii in range(n_active):
        i = active[ii]
        reason = exit_request[i]
        if reason == ACTIVE:
            continue
        left[n_left] = i
        n_left += 1
        status[i] = reason
        exit_month[i] = month
        exit_request[i] = ACTIVE
        ins_active[institution[i]] -= 1
        exits_by_reason[reason] += 1
        end_ties_of_leaver(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind,
                           load_weight, w_primary, w_secondary, w_external, i, month, PROTEGE_LEFT)
    if n_left == 0:
        return n_active
    cut_ties_to_leavers(fs, tl, kp, active, n_active, month, losses)
    kept = 0
    for ii in range(n_active):
        i = active[ii]
        if status[i] == ACTIVE:
            active[kept] = i
            kept += 1
    return kept


@njit(cache=True, parallel=True)
def cut_ties_to_leavers(fs, tl, kp, active, n_active, month, losses):
    """Every tie whose mentor (or peer) left this month ends, with what the protege lost.

    What was lost goes to this month's buffer `losses` (positions x slots x 2), slot by slot: the
    tie's value and its share of all i's mentors' value, NaN where nothing was lost; every active
    row is rewritten, so the buffer holds this month's losses whenever someone left (the recorder
    adds them to its summaries in the same order).

    Each protege changes only their own row and their ties' log entries, so this runs in
    parallel. The leaver's own bookkeeping is not updated: their row is archived and cleared.
    """
    log_end, log_end_reason, tie_log = tl.end_month, tl.end_reason, fs.tie_log
    status, tie_mentor, tie_kind, tie_value = fs.status, fs.tie_mentor, fs.tie_kind, fs.tie_value
    mentor_lost_month = fs.mentor_lost_month
    n_slots = tie_mentor.shape[1]
    n_mentor_slots = kp.n_mentor_slots
    for ii in prange(n_active):
        i = active[ii]
        if status[i] != ACTIVE:
            continue
        mentors_value = -1.0  # what all of i's mentors covered before any tie is cut (pattern 3)
        for s in range(n_slots):
            losses[i, s, 0] = np.nan
            losses[i, s, 1] = np.nan
            j = tie_mentor[i, s]
            if j >= 0 and status[j] != ACTIVE:
                if tie_kind[i, s] != PEER:
                    if mentors_value < 0.0:  # the first departure: no tie of i has been cut yet
                        mentors_value = 0.0
                        for s2 in range(n_mentor_slots):
                            if tie_mentor[i, s2] >= 0:
                                mentors_value += tie_value[i, s2]
                    losses[i, s, 0] = tie_value[i, s]
                    losses[i, s, 1] = tie_value[i, s] / mentors_value if mentors_value > 0.0 else 1.0
                    mentor_lost_month[i] = month
                close_slot(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, i, s, month, MENTOR_LEFT)
