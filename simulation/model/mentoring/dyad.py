"""The dyad model: one senior mentor at the same institution, chosen at hire by research fit
among those with room, kept until one of them leaves, replaced after a delay.

A dyad is a committee of one that never looks outside the institution: it plans with the
committee's steps (committee.py). The interface is described in registry.py.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.model.mentoring.committee import assigned_due, fill_assigned

# what its steps read beyond the shared ones (registry.py): kernel parameters (through `c`), faculty columns (`x`)
PARAMETERS = ("mentoring_replace_delay_months",)
PLANNER_COLUMNS = ("committee_size", "mentor_lost_month")
STATE = ()  # per-person state of its own: none (committee_size and mentor_lost_month are shared)


def plan_width(params) -> int:
    """Most actions in one plan: the one mentor's start."""
    return 1


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    """Mentors assigned: one."""
    fs.committee_size[row] = 1


@njit(cache=True, inline="always")
def due(x, c, i, month):
    return assigned_due(x, c, i, month)


@njit(cache=True)
def plan(x, c, p, i, month):
    """Find the mentor (by research fit, at the protege's institution)."""
    fill_assigned(x, c, p, i, month, np.bool_(False))  # typed, not a literal: one compiled fill
