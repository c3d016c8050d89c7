"""Tie bookkeeping: a tie starts or ends in the tie log, in the protege's slots and in the
mentor's load. Used by the mentoring pass, the peer groups, and the exits phase."""

from __future__ import annotations

from numba import njit

from simulation.model.state import NEVER, N_TIES, PEER
from simulation.model.support import count_tie, discounted


@njit(cache=True, inline="always")
def add_tie(log, person_id, tie_mentor, tie_kind, tie_start, tie_fit, tie_discount, tie_log, tie_value, female,
            counters, i, s, j, kind, fit, month):
    """Start a tie in slot s of protege i (a row; mentor j too), in the tie log (by person id) and
    in the protege's slots."""
    log_protege, log_mentor, log_kind, log_start, log_end, log_end_reason = log
    k = counters[N_TIES]
    counters[N_TIES] = k + 1
    log_protege[k] = person_id[i]
    log_mentor[k] = person_id[j]
    log_kind[k] = kind
    log_start[k] = month
    log_end[k] = NEVER
    log_end_reason[k] = 0
    tie_mentor[i, s] = j
    tie_kind[i, s] = kind
    tie_start[i, s] = month
    tie_fit[i, s] = fit
    tie_discount[i, s] = discounted(female[i], female[j])
    tie_log[i, s] = k
    tie_value[i, s] = 0.0


@njit(cache=True, inline="always")
def close_slot(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, i, s, month, reason):
    """End the tie in slot s of protege i in the log and empty the slot (the protege's side only)."""
    k = tie_log[i, s]
    log_end[k] = month
    log_end_reason[k] = reason
    tie_mentor[i, s] = -1
    tie_kind[i, s] = 0
    tie_log[i, s] = -1
    tie_value[i, s] = 0.0


@njit(cache=True, inline="always")
def end_tie(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind, load_weight,
            w_primary, w_secondary, w_external, i, s, month, reason):
    """End the tie in slot s of protege i, in the log and in both people's bookkeeping.

    Returns the mentor's row if a senior tie ended (their load fell), else -1."""
    j = tie_mentor[i, s]
    if j < 0:
        return -1
    kind = tie_kind[i, s]
    lighter = -1
    if kind != PEER:
        count_tie(n_proteges, n_by_kind, load_weight, j, kind, -1, w_primary, w_secondary, w_external)
        lighter = j
    close_slot(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, i, s, month, reason)
    return lighter


@njit(cache=True, inline="always")
def end_ties_of_leaver(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind,
                       load_weight, w_primary, w_secondary, w_external, i, month, reason):
    """Someone leaves: every tie in their slots ends (with this reason), and their mentors' loads fall.

    Ties from others to the leaver are ended by the protege (`close_slot`, phase 6)."""
    for s in range(tie_mentor.shape[1]):
        if tie_mentor[i, s] >= 0:
            end_tie(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind,
                    load_weight, w_primary, w_secondary, w_external, i, s, month, reason)
