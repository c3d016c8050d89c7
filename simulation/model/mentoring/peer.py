"""The peer model: no senior mentors; same-stage peer groups only (groups.py, always on for
this model). The interface is described in registry.py."""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def at_hire(kp, mentoring_key, person_key, female):
    """Mentors assigned: none."""
    return 0


@njit(cache=True, inline="always")
def due(x, c, i, month):
    """Never: no senior mentors to plan for."""
    return False


@njit(cache=True)
def plan(x, c, p, i, month):
    return
