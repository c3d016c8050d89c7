"""The network model: up to `network.max_ties` mentors; every `network.reshape_months` the
protege looks at which functions are least met, samples candidates (seniors at the
institution and, when allowed, elsewhere), adds the best, and drops or replaces the least
useful tie. The interface is described in registry.py.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.model.mentoring.planner import (
    action, current_gaps, free_slot, has_woman_mentor, new_kind, plan_drop, plan_recruit, search, weakest_slot,
)
from simulation.model.rng import FIXED, uniform
from simulation.model.state import DROPPED, N_FUNCTIONS, NEVER, REPLACED, Col
from simulation.model.support import contact_of, tie_support_of, weight_of

# what its steps read beyond the shared ones (registry.py): kernel parameters (through `c`), faculty columns (`x`)
PARAMETERS = ("network_max_new_per_search", "network_reshape_months", "network_drop_below", "network_switch_margin",
              "network_collaboration_after_months")
PLANNER_COLUMNS = ("next_search",)
# the per-person state it owns (registry.py copies the declarations into model/state.py)
STATE = (Col("next_search", np.int32, "month of the next network review", fill=NEVER, keep=False),)


def plan_width(params) -> int:
    """Most actions in one plan: a drop per tie, a drop and a start per mentor added, and the
    women-mentor policy's drop and start."""
    return params.network.max_ties + 2 * params.network.max_new_per_search + 2


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    """Mentors assigned: none (the protege recruits them at each review). The first review: at
    hire, or for the initial population staggered over the first interval (MENTORING stream)."""
    fs.committee_size[row] = 0
    fs.next_search[row] = month + (int(uniform(mentoring_key, person_key, FIXED, 1) * kp.network_reshape_months)
                                   if initial else 0)


@njit(cache=True, inline="always")
def due(x, c, i, month):
    """At each review (`next_search`: at hire, or staggered for the initial population)."""
    return x.next_search[i] <= month


@njit(cache=True)
def plan(x, c, p, i, month):
    """The review: drop weak ties, add the best candidates for the least-met functions (replacing
    the weakest tie when full), then the women-mentor policy."""
    tie_start, tie_fit, tie_discount = x.tie_start, x.tie_fit, x.tie_discount
    slot_mentor, slot_kind, slot_value = x.slot_mentor, x.slot_kind, x.slot_value
    gaps, mentor_output, contact_by_age = x.gaps, x.mentor_output, x.contact_by_age
    need_base, need_spike, female = x.need_base, x.need_spike, x.female
    x.next_search[i] = month + c.network_reshape_months
    total_need = current_gaps(x, i)
    for s in range(c.n_mentor_slots):
        j = slot_mentor[s]
        if j < 0:
            continue
        age = month - tie_start[i, s]
        if age >= c.network_reshape_months and slot_value[s] < c.network_drop_below:
            kind = slot_kind[s]
            weight = weight_of(kind, c.mentoring_weight_primary, c.mentoring_weight_secondary,
                               c.mentoring_weight_external)
            contact_ = contact_of(contact_by_age, kind, age)
            for f in range(N_FUNCTIONS):  # what the tie gave comes back into the gaps
                gaps[f] += tie_support_of(mentor_output[j, f], kind, weight, contact_, tie_fit[i, s], 0.0,
                                          c.discount, tie_discount[i, s], f)
            if age >= c.network_collaboration_after_months:
                x.plan_collab[p] += 1
            plan_drop(x, p, s, DROPPED)
    for f in range(N_FUNCTIONS):
        gaps[f] = min(gaps[f], need_base[i, f] + need_spike[i, f])
    draw = np.int64(0)  # typed, not a literal: one compiled search serves every call (see planner.search)
    for _ in range(c.network_max_new_per_search):
        j, score, fit = search(x, c, i, total_need, np.bool_(False), c.mentoring_external_ties, np.bool_(False), draw,
                               month)
        draw += c.mentoring_candidates
        if j < 0 or score < c.network_drop_below:
            break
        s = free_slot(x, c)
        if s < 0:
            w, v = weakest_slot(x, c, c.mentoring_women_mentor_policy and female[i])
            if w < 0 or score <= v * (1.0 + c.network_switch_margin):
                break
            plan_drop(x, p, w, REPLACED)
            s = w
        plan_recruit(x, c, p, i, s, j, fit)
    if c.mentoring_women_mentor_policy and female[i] and not has_woman_mentor(x, c):
        j, score, fit = search(x, c, i, total_need, np.bool_(True), c.mentoring_external_ties, np.bool_(False), draw,
                               month)
        if j >= 0:
            s = free_slot(x, c)
            if s < 0:
                s, v = weakest_slot(x, c, True)
                plan_drop(x, p, s, REPLACED)
            action(x, p, s, j, new_kind(x, c, i, j), fit, 0)  # the policy's mentor, without a gain update
