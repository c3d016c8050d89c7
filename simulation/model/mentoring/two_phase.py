"""Phase 3's mentoring pass, in two phases: plans in parallel, carried out serially.

Each protege's plan is made by their mentoring model (registry.py, one module per model),
from the planner's steps (planner.py).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from simulation.model.mentoring import registry
from simulation.model.mentoring.consts import consts
from simulation.model.mentoring.planner import planner
from simulation.model.mentoring.pools import note_load
from simulation.model.mentoring.ties import Tie, add_tie, end_tie, ties_of
from simulation.model.rng import POPULATION_WIDE, uniform
from simulation.model.state import DROPPED, FULL
from simulation.model.support import count_tie, has_room


# --- the two-phase mentoring pass ------------------------------------------------------
#
# A protege's choices depend on which candidates have room, and room changes as proteges
# recruit. The pass is in two phases so that most of its work runs on every core with a
# result that never depends on how many there are:
#
# 1. plan (parallel): every protege whose turn it is decides, on the loads at the start of
#    the month, which ties to drop and which mentors to add, and writes the decision down as
#    a list of actions. Planning reads the shared state and writes only the protege's own
#    plan (and its own next review month).
# 2. apply (serial, in a rotating order): each plan is carried out if every mentor it adds
#    still has room; if one has filled up meanwhile, the protege plans again on the loads
#    of that moment, and that plan is carried out.
#
# The actions of a plan, per protege (by position in the active list): the slot, the mentor's
# row, the tie's kind and fit, and the reason (0: start the tie; DROPPED or REPLACED: end it).

N_PLAN_CHUNKS = 64  # the planning phase's fixed chunks: results never depend on the thread count

Plans = namedtuple("Plans", (
    "n",  # actions in each plan
    "collab",  # former mentors who become collaborators
    "slot",  # per action: the slot
    "mentor",  # per action: the mentor's row
    "kind",  # per action: the tie's kind
    "fit",  # per action: the pair's fit
    "reason",  # per action: 0 start the tie, else the reason it ends
))


def plan_buffers(n_positions: int, width: int) -> Plans:
    """The plans' arrays, one row per position in the active list (allocated once per model).

    Parameters
    ----------
    n_positions : int
        Rows: positions in the active list (the model's faculty positions).
    width : int
        Most actions one plan can hold: the model's `registry.plan_width(params)`. A plan that
        would hold more stops the run (`planner.action` checks).

    Returns
    -------
    Plans
        A named tuple of arrays (its fields are described where `Plans` is declared).
    """
    return Plans(
        n=np.zeros(n_positions, dtype=np.int32),
        collab=np.zeros(n_positions, dtype=np.int32),
        slot=np.zeros((n_positions, width), dtype=np.int8),
        mentor=np.zeros((n_positions, width), dtype=np.int32),
        kind=np.zeros((n_positions, width), dtype=np.int8),
        fit=np.zeros((n_positions, width), dtype=np.float64),
        reason=np.zeros((n_positions, width), dtype=np.int8),
    )


def maintain_ties(fs, tl, kp, keys, counters, pools, plans, active, n_active, month):
    """Phase 3: every active protege's ties, per the mentoring model (the two-phase pass above).

    - dyad and committee: fill missing assigned mentors, at hire or after the replacement delay;
    - network: at each review, drop weak ties, add the best candidates for the least-met
      functions (replacing the weakest tie when full), then apply the women-mentor policy;
    - full professors no longer have mentors: their ties end.
    """
    plan_all(fs, kp, keys, pools, plans, active, n_active, month)
    apply_plans(fs, tl, kp, keys, counters, pools, plans, active, n_active, month)


@njit(cache=True, parallel=True)
def plan_all(fs, kp, keys, pools, plans, active, n_active, month):
    """Phase 1 of the pass: every protege's plan, on the loads at the start of the month, in
    fixed chunks of the active list run in parallel."""
    chunk = (n_active + N_PLAN_CHUNKS - 1) // N_PLAN_CHUNKS
    for q in prange(N_PLAN_CHUNKS):
        plan_range(fs, kp, keys, pools, plans, active, q * chunk, min(n_active, (q + 1) * chunk), month)


@njit(cache=True)
def plan_range(fs, kp, keys, pools, plans, active, lo, hi, month):
    """The plans of the proteges at positions lo..hi-1 of the active list, on the loads as they
    stand. Reads the shared state; writes only these plans (and these proteges' next review)."""
    c = consts(kp, keys)
    x = planner(fs, kp, pools, plans, c.mentoring_candidates)
    plan_n, plan_collab = x.plan_n, x.plan_collab
    rank, tie_mentor, tie_kind, tie_value = x.rank, x.tie_mentor, x.tie_kind, x.tie_value
    slot_mentor, slot_kind, slot_value = x.slot_mentor, x.slot_kind, x.slot_value
    n_all_slots = tie_mentor.shape[1]
    code = c.model_code
    for p in range(lo, hi):
        # protege i's plan for this month at position p, on the loads as they stand (nothing if
        # it is not i's turn)
        i = active[p]
        plan_n[p] = 0
        plan_collab[p] = 0
        if rank[i] == FULL:
            continue
        if not registry.due(code, x, c, i, month):
            continue
        for s in range(n_all_slots):
            slot_mentor[s] = tie_mentor[i, s]
            slot_kind[s] = tie_kind[i, s]
            slot_value[s] = tie_value[i, s]
        registry.plan(code, x, c, p, i, month)


@njit(cache=True)
def apply_plans(fs, tl, kp, keys, counters, pools, plans, active, n_active, month):
    """Phase 2 of the pass, serial: the plans carried out in a rotating order; a plan whose new
    mentor has filled up meanwhile is made again on the loads of that moment."""
    c = consts(kp, keys)
    cards, pool_position = pools.cards, pools.pool_position
    plan_n, plan_collab, plan_slot, plan_mentor = plans.n, plans.collab, plans.slot, plans.mentor
    plan_kind, plan_fit, plan_reason = plans.kind, plans.fit, plans.reason
    tie_arrays = ties_of(fs, tl, counters)
    log_end, log_end_reason = tl.end_month, tl.end_reason
    rank = fs.rank
    tie_mentor, tie_kind, tie_log, tie_value = fs.tie_mentor, fs.tie_kind, fs.tie_log, fs.tie_value
    n_proteges, n_by_kind, load_weight = fs.n_proteges, fs.n_by_kind, fs.load_weight
    n_ties_formed, max_mentees = fs.n_ties_formed, fs.max_mentees
    n_trainees, n_collaborators = fs.n_trainees, fs.n_collaborators
    n_slots = c.n_mentor_slots

    def drop(i, s, reason):
        j = end_tie(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind,
                    load_weight, c.mentoring_weight_primary, c.mentoring_weight_secondary,
                    c.mentoring_weight_external, i, s, month, reason)
        if j >= 0:
            note_load(cards, pool_position, n_proteges, load_weight, j)

    def attach(i, s, j, kind, fit):
        """Start j's tie as i's mentor in slot s and add it to j's load (and card)."""
        add_tie(tie_arrays, Tie(i, s, j, kind, fit, month))
        count_tie(n_proteges, n_by_kind, load_weight, j, kind, 1, c.mentoring_weight_primary,
                  c.mentoring_weight_secondary, c.mentoring_weight_external)
        n_ties_formed[i] += 1
        note_load(cards, pool_position, n_proteges, load_weight, j)

    def still_possible(p):
        """Whether every mentor the plan adds still has room."""
        for a in range(plan_n[p]):
            j = plan_mentor[p, a]
            if plan_reason[p, a] == 0 and not has_room(c.mentoring_cap_mentees, n_proteges[j], n_trainees[j],
                                                       max_mentees[j]):
                return False
        return True

    def carry_out(p, i):
        for a in range(plan_n[p]):
            if plan_reason[p, a] == 0:
                attach(i, plan_slot[p, a], plan_mentor[p, a], plan_kind[p, a], plan_fit[p, a])
            else:
                drop(i, plan_slot[p, a], plan_reason[p, a])
        n_collaborators[i] += plan_collab[p]

    # 2. apply, serially, in a rotating order; a plan whose new mentor has filled up is made again
    offset = int(uniform(c.mentoring_key, POPULATION_WIDE, month, 0) * n_active) if n_active > 0 else 0
    for t in range(n_active):
        p = offset + t
        if p >= n_active:
            p -= n_active
        i = active[p]
        if rank[i] == FULL:  # full professors no longer have mentors
            for s in range(n_slots):
                if tie_mentor[i, s] >= 0:
                    drop(i, s, DROPPED)
        elif plan_n[p] > 0:
            if not still_possible(p):
                plan_range(fs, kp, keys, pools, plans, active, p, p + 1, month)
            carry_out(p, i)
