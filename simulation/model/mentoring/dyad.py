"""The dyad model: one senior mentor at the same institution, chosen at hire by research fit
among those with room, kept until one of them leaves, replaced after a delay.

A dyad is a committee of one that never looks outside the institution: it plans with the
committee's steps (committee.py). The interface is described in registry.py.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.model.mentoring.committee import assigned_due, fill_assigned


@njit(cache=True, inline="always")
def at_hire(kp, mentoring_key, person_key, female, award):
    """Mentors assigned: one."""
    return 1


@njit(cache=True, inline="always")
def due(x, c, i, month):
    return assigned_due(x, c, i, month)


@njit(cache=True)
def plan(x, c, p, i, month):
    """Find the mentor (by research fit, at the protege's institution)."""
    fill_assigned(x, c, p, i, month, np.bool_(False))  # typed, not a literal: one compiled fill
