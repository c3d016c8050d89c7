"""Tie bookkeeping: a tie starts or ends in the tie log, in the protege's slots and in the
mentor's load. Used by the mentoring pass, the peer groups, and the exits phase."""

from __future__ import annotations

from collections import namedtuple

from numba import njit

from simulation.model.state import NEVER, N_TIES, PEER
from simulation.model.support import count_tie, discounted


Tie = namedtuple("Tie", (
    "protege",  # the protege's row
    "slot",  # the protege's slot it takes
    "mentor",  # the mentor's (or peer's) row
    "kind",  # PRIMARY, SECONDARY, EXTERNAL or PEER
    "fit",  # the pair's fit
    "month",  # the month it starts
))

# the arrays a new tie is written to, bound once per kernel call (`ties_of`)
TieArrays = namedtuple("TieArrays", (
    "log_protege", "log_mentor", "log_kind", "log_start", "log_end", "log_end_reason",  # the tie log
    "person_id", "female",  # the people
    "tie_mentor", "tie_kind", "tie_start", "tie_fit", "tie_discount", "tie_log", "tie_value",  # the slots
    "counters",  # the month-level counters (N_TIES: rows of the tie log)
))


@njit(cache=True, inline="always")
def ties_of(fs, tl, counters):
    """The arrays `add_tie` writes, bound once (reading them through the structs at each tie
    would cost a reference count per array)."""
    return TieArrays(tl.protege, tl.mentor, tl.kind, tl.start_month, tl.end_month, tl.end_reason,
                     fs.person_id, fs.female,
                     fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit, fs.tie_discount, fs.tie_log, fs.tie_value,
                     counters)


@njit(cache=True, inline="always")
def add_tie(t, tie):
    """Start `tie` (a `Tie`) in the tie log (by person id) and in the protege's slot (`t`: the
    `TieArrays`). The protege's side only: a senior mentor's load is counted by the caller."""
    i, s, j = tie.protege, tie.slot, tie.mentor
    counters = t.counters
    k = counters[N_TIES]
    counters[N_TIES] = k + 1
    t.log_protege[k] = t.person_id[i]
    t.log_mentor[k] = t.person_id[j]
    t.log_kind[k] = tie.kind
    t.log_start[k] = tie.month
    t.log_end[k] = NEVER
    t.log_end_reason[k] = 0
    t.tie_mentor[i, s] = j
    t.tie_kind[i, s] = tie.kind
    t.tie_start[i, s] = tie.month
    t.tie_fit[i, s] = tie.fit
    t.tie_discount[i, s] = discounted(t.female[i], t.female[j])
    t.tie_log[i, s] = k
    t.tie_value[i, s] = 0.0


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
