"""The committee model: a fixed team (`committee.size` per person, or a single mentor, by a draw
at hire), chosen once to cover the protege's needs, members replaced only when they leave.

The interface of a mentoring model (see registry.py): `at_hire` (how many mentors the model
assigns a new person), `due` (whether it is the protege's turn this month) and `plan` (the
protege's plan at that turn). A committee plans at hire, every month until its first mentor
is found, and after the replacement delay once a mentor has left.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.model.mentoring.planner import (
    current_gaps, free_slot, has_woman_mentor, n_mentors, plan_recruit, search,
)
from simulation.model.rng import FIXED, uniform

# what its steps read beyond the shared ones (registry.py): kernel parameters (through `c`), faculty columns (`x`)
PARAMETERS = ("mentoring_replace_delay_months",)
PLANNER_COLUMNS = ("committee_size", "mentor_lost_month")
STATE = ()  # per-person state of its own: none (committee_size and mentor_lost_month are shared)


def plan_width(params) -> int:
    """Most actions in one plan: a start per member (a plan only fills free slots)."""
    return params.committee.size


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    """Mentors assigned: a committee with the share for career-award holders of the person's gender
    (the figures describe K awardees) or the share for everyone else, else a single mentor
    (MENTORING stream)."""
    if fs.career_award[row]:
        p_multi = kp.committee_share_multi_women if fs.female[row] else kp.committee_share_multi_men
    else:
        p_multi = kp.committee_share_multi_other
    fs.committee_size[row] = kp.committee_size if uniform(mentoring_key, person_key, FIXED, 0) < p_multi else 1


@njit(cache=True, inline="always")
def assigned_due(x, c, i, month):
    """Whether protege i misses assigned mentors and may look for them now: never had a tie yet,
    or the replacement delay has passed since a mentor left."""
    tie_mentor = x.tie_mentor
    n_m = 0
    for s in range(c.n_mentor_slots):
        if tie_mentor[i, s] >= 0:
            n_m += 1
    return n_m < x.committee_size[i] and (x.n_ties_formed[i] == 0
                                          or month - x.mentor_lost_month[i] >= c.mentoring_replace_delay_months)


@njit(cache=True)
def fill_assigned(x, c, p, i, month, allow_external):
    """Fill protege i's missing assigned mentors: a single mentor by research fit, a committee by
    coverage of the needs; the women-mentor policy searches women first."""
    female = x.female
    target = x.committee_size[i]
    n_m = n_mentors(x, c)
    total_need = current_gaps(x, i)
    by_fit = target == 1
    draw = np.int64(0)  # typed, not a literal: one compiled search serves every call (see planner.search)
    while n_m < target:
        want_woman = c.mentoring_women_mentor_policy and female[i] and not has_woman_mentor(x, c)
        j, score, fit = search(x, c, i, total_need, want_woman, allow_external, by_fit, draw, month)
        draw += c.mentoring_candidates
        if j < 0 and want_woman:
            j, score, fit = search(x, c, i, total_need, np.bool_(False), allow_external, by_fit, draw, month)
            draw += c.mentoring_candidates
        if j < 0:
            return
        plan_recruit(x, c, p, i, free_slot(x, c), j, fit)
        n_m += 1


@njit(cache=True, inline="always")
def due(x, c, i, month):
    return assigned_due(x, c, i, month)


@njit(cache=True)
def plan(x, c, p, i, month):
    """Fill the committee; external members only if `mentoring.external_ties`."""
    fill_assigned(x, c, p, i, month, c.mentoring_external_ties)
