"""The mentoring models by code, and the calls that dispatch to a model's module.

A model is named in `simulation.config.params.MENTORING_MODELS` (the parameters' registry: its
name, its mentor slots per person from the parameters, whether peer groups are always on); its
code in the kernels is its position there (`MODELS`). Each model is a module here with the
same interface, three numba functions (`at_hire` and `due` are small and inlined into the
kernels that call them; `plan` is compiled once and called):

- `at_hire(kp, mentoring_key, person_key, female, award)`: how many mentors the model assigns a new
  person (`committee_size`; 0 if the model assigns none), from the MENTORING stream;
- `due(x, c, i, month)`: whether protege i plans this month (the first ties at hire, a
  replacement once a mentor has left, a review);
- `plan(x, c, p, i, month)`: protege i's plan at that turn, at position p of the active list,
  built from the planner's steps (planner.py: `x` is the `Planner`, `c` the `Consts`).

When a mentor leaves, the exits phase ends the tie and stamps `mentor_lost_month`; the models
see it through `due` (dyad and committee: a replacement after the delay).

Adding a model: its module here, its entry in `MENTORING_MODELS`, its code and one line per
function below, and a scenario file.
"""

from __future__ import annotations

from numba import njit

from simulation.config.params import MODELS
from simulation.model.mentoring import committee, dyad, network, none, peer

DYAD, COMMITTEE, NETWORK, PEER_MODEL, NO_MENTOR = (
    MODELS.index(m) for m in ("dyad", "committee", "network", "peer", "none"))


@njit(cache=True, inline="always")
def at_hire(code, kp, mentoring_key, person_key, female, award):
    """Mentors the model assigns a new person."""
    if code == DYAD:
        return dyad.at_hire(kp, mentoring_key, person_key, female, award)
    if code == COMMITTEE:
        return committee.at_hire(kp, mentoring_key, person_key, female, award)
    if code == NETWORK:
        return network.at_hire(kp, mentoring_key, person_key, female, award)
    if code == PEER_MODEL:
        return peer.at_hire(kp, mentoring_key, person_key, female, award)
    return none.at_hire(kp, mentoring_key, person_key, female, award)


@njit(cache=True, inline="always")
def due(code, x, c, i, month):
    """Whether protege i plans this month under the model."""
    if code == DYAD:
        return dyad.due(x, c, i, month)
    if code == COMMITTEE:
        return committee.due(x, c, i, month)
    if code == NETWORK:
        return network.due(x, c, i, month)
    if code == PEER_MODEL:
        return peer.due(x, c, i, month)
    return none.due(x, c, i, month)


@njit(cache=True, inline="always")
def plan(code, x, c, p, i, month):
    """Protege i's plan at this turn under the model."""
    if code == DYAD:
        dyad.plan(x, c, p, i, month)
    elif code == COMMITTEE:
        committee.plan(x, c, p, i, month)
    elif code == NETWORK:
        network.plan(x, c, p, i, month)
    elif code == PEER_MODEL:
        peer.plan(x, c, p, i, month)
    else:
        none.plan(x, c, p, i, month)
