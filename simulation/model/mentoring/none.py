"""No formal mentoring: nobody is assigned a mentor or searches for one (peer groups only if the
scenario turns them on with `mentoring.peers`). The baseline against which the effect of being
mentored at all is measured. The peer model (peer.py) runs these kernels with its peer groups
always on. The interface is described in registry.py."""

from __future__ import annotations

from numba import njit

# what its steps read beyond the shared ones (registry.py): nothing
PARAMETERS: tuple[str, ...] = ()
PLANNER_COLUMNS: tuple[str, ...] = ()
STATE = ()  # per-person state of its own: none


def plan_width(params) -> int:
    """Most actions in one plan: none."""
    return 0


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    """Mentors assigned: none."""
    fs.committee_size[row] = 0


@njit(cache=True, inline="always")
def due(x, c, i, month):
    """Never: there is no mentoring to plan."""
    return False


@njit(cache=True)
def plan(x, c, p, i, month):
    return
