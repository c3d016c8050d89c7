"""A protege's plan for the month: the steps every mentoring model plans with.

The planning phase (`two_phase.plan_range`) binds every array once into a `Planner` (the
state it reads, the pools, the plans it writes, and its scratch), and the models' `plan`
functions (dyad.py, committee.py, network.py) build a protege's plan from the steps here:
find the unmet needs, search the candidates, recruit, drop. The arrays are bound once per
kernel call, not once per candidate; the small steps are inlined, and the search and the
recruit are compiled once and called (a structref passes as one pointer).

The scratch holds the protege's unmet needs (`gaps`), the support a recruit would give
(`gains`), the search's draws, and the protege's slots as the plan so far leaves them
(mentor, kind, last month's value).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import config as numba_config
from numba import njit
from numba.core import types
from numba.experimental import structref

from simulation.model.mentoring.consts import consts
from simulation.model.mentoring.pools import (
    CARD_ADMIN, CARD_FEMALE, CARD_INSTITUTION, CARD_LOAD_WEIGHT, CARD_MAX_MENTEES, CARD_N_PROTEGES,
    CARD_N_TRAINEES, CARD_PROFILE, CARD_RANK, CARD_ROW, CARD_SCALE, N_BUCKETS, pick_from,
)
from simulation.model.rng import hash3, to_unit32, uniform
from simulation.model.state import ASSISTANT, EXTERNAL, N_FUNCTIONS, PRIMARY, SCIENCE, SECONDARY
from simulation.model.support import (
    discounted, has_room, hours_of, output, quality_of, tie_support_of, time_share, weight_of,
)

# The Planner's fields, declared by name: the faculty columns every model's steps read (and the
# columns the models' modules declare, `PLANNER_COLUMNS`, after them), then the other fields and
# how each is bound. `PLANNER_FIELDS` and the `planner` constructor are generated from these by
# registry.py (`planner_source`; run `python -m simulation.model.regenerate` after changing one).
COMMON_COLUMNS = (  # the people (read; a model may write its own columns for the protege under review)
    "institution", "rank", "female", "person_key", "tie_mentor", "tie_kind", "tie_start", "tie_fit",
    "tie_discount", "tie_value", "n_proteges", "load_weight", "n_ties_formed", "need_base", "need_spike",
    "support", "mentor_output", "competence_scale", "competence_profile", "admin_draw", "n_trainees",
)
BOUND_AS = {  # field: expression (of fs, kp, pools, plans, n_candidates, n_all_slots)
    # the parameters' tables
    "fit_quantiles": "kp.fit_quantiles", "quality_by_load": "kp.quality_by_load",
    "contact_by_age": "kp.contact_by_age", "capacity_hours": "kp.mentors_capacity_hours",
    "share_admin": "kp.mentors_share_admin",
    # the candidate pools
    "local_ptr": "pools.local_ptr", "global_ptr": "pools.global_ptr", "global_positions": "pools.global_positions",
    "cards": "pools.cards", "card_keys": "pools.card_keys",
    # the plans (written at the protege's position)
    "plan_n": "plans.n", "plan_collab": "plans.collab", "plan_slot": "plans.slot", "plan_mentor": "plans.mentor",
    "plan_kind": "plans.kind", "plan_fit": "plans.fit", "plan_reason": "plans.reason",
    # scratch: unmet needs, a recruit's gains, the search's draws, the slots as the plan leaves them
    "gaps": "np.zeros(N_FUNCTIONS)", "gains": "np.zeros(N_FUNCTIONS)",
    "picked": "np.empty(n_candidates, dtype=np.int64)",  # card position
    "is_external": "np.empty(n_candidates, dtype=np.bool_)",
    "picked_row": "np.empty(n_candidates, dtype=np.float32)",
    "picked_key": "np.empty(n_candidates, dtype=np.uint64)",
    "slot_mentor": "np.empty(n_all_slots, dtype=np.int32)",
    "slot_kind": "np.empty(n_all_slots, dtype=np.int8)",
    "slot_value": "np.empty(n_all_slots)",
}
REGION = "planner"  # the generated region (codegen.py)

# --- generated: planner (python -m simulation.model.regenerate); do not edit ---


PLANNER_FIELDS = (
    "institution", "rank", "female", "person_key", "tie_mentor", "tie_kind", "tie_start", "tie_fit",
    "tie_discount", "tie_value", "n_proteges", "load_weight", "n_ties_formed", "need_base", "need_spike",
    "support", "mentor_output", "competence_scale", "competence_profile", "admin_draw", "n_trainees",
    "committee_size", "mentor_lost_month", "next_search", "fit_quantiles", "quality_by_load", "contact_by_age",
    "capacity_hours", "share_admin", "local_ptr", "global_ptr", "global_positions", "cards", "card_keys", "plan_n",
    "plan_collab", "plan_slot", "plan_mentor", "plan_kind", "plan_fit", "plan_reason", "gaps", "gains", "picked",
    "is_external", "picked_row", "picked_key", "slot_mentor", "slot_kind", "slot_value",
)


@njit(cache=True, inline="always")
def planner(fs, kp, pools, plans, n_candidates):
    """The planning phase's arrays, bound once, with fresh scratch."""
    n_all_slots = fs.tie_mentor.shape[1]
    return _new_planner(
        fs.institution, fs.rank, fs.female, fs.person_key, fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit,
        fs.tie_discount, fs.tie_value, fs.n_proteges, fs.load_weight, fs.n_ties_formed, fs.need_base,
        fs.need_spike, fs.support, fs.mentor_output, fs.competence_scale, fs.competence_profile, fs.admin_draw,
        fs.n_trainees, fs.committee_size, fs.mentor_lost_month, fs.next_search, kp.fit_quantiles,
        kp.quality_by_load, kp.contact_by_age, kp.mentors_capacity_hours, kp.mentors_share_admin, pools.local_ptr,
        pools.global_ptr, pools.global_positions, pools.cards, pools.card_keys, plans.n, plans.collab, plans.slot,
        plans.mentor, plans.kind, plans.fit, plans.reason, np.zeros(N_FUNCTIONS), np.zeros(N_FUNCTIONS),
        np.empty(n_candidates, dtype=np.int64), np.empty(n_candidates, dtype=np.bool_),
        np.empty(n_candidates, dtype=np.float32), np.empty(n_candidates, dtype=np.uint64),
        np.empty(n_all_slots, dtype=np.int32), np.empty(n_all_slots, dtype=np.int8), np.empty(n_all_slots),
    )


# --- end of generated planner ---


@structref.register
class PlannerType(types.StructRef):
    """The Planner's numba type: a reference to one struct of arrays. A tuple of ~50 arrays would
    be copied, with a reference count per array, at every inlined step it is passed to."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Planner(structref.StructRefProxy):
    """The planning phase's arrays (PLANNER_FIELDS), bound once per kernel call."""


structref.define_proxy(Planner, PlannerType, PLANNER_FIELDS)

# without the JIT (NUMBA_DISABLE_JIT=1) the kernels are plain Python, and a structref's Python
# constructor would call itself through its jitted one: plain kernels read a namedtuple
_new_planner = namedtuple("PlannerTuple", PLANNER_FIELDS) if numba_config.DISABLE_JIT else Planner


# --- the support a new tie would give ---------------------------------------------------

def fit_table(sigma: float, n: int = 4096) -> np.ndarray:
    """Quantiles of the pair-fit distribution (lognormal, mean 1) at the midpoints of n equal bins."""
    from scipy.stats import norm

    z = norm.ppf((np.arange(n) + 0.5) / n)
    return np.array([math.exp(sigma * float(q) - 0.5 * sigma * sigma) for q in z])


@njit(cache=True, inline="always")
def pair_fit(fit_quantiles, fit_key, key_protege, key_mentor):
    """Pair-specific fit of a protege with a mentor: the same pair, the same fit, in every scenario.

    Drawn by inverting the lognormal through a quantile table (the search evaluates many
    candidates, and a table lookup costs far less than a Box-Muller draw and an exponential).
    """
    return fit_quantiles[int(uniform(fit_key, key_protege, key_mentor, 0) * fit_quantiles.shape[0])]


@njit(cache=True, inline="always")
def expected_time(quality_by_load, capacity_hours, share_admin, c, rank_j, admin_draw_j, n_proteges_j,
                  n_trainees_j, load_weight_j, kind):
    """Hours per unit weight a mentor would give after taking one more protege of this kind
    (the support phase's `time_share`, at the load the tie would make)."""
    q = quality_of(quality_by_load, c.mentors_comfortable_load, c.mentors_overload_exponent,
                   n_proteges_j + n_trainees_j + 1)
    hours = hours_of(capacity_hours, share_admin, c.mentors_admin_capacity_loss, c.mentoring_protected_time, rank_j,
                     admin_draw_j)
    weight = weight_of(kind, c.mentoring_weight_primary, c.mentoring_weight_secondary, c.mentoring_weight_external)
    return time_share(hours, q, load_weight_j + weight, n_trainees_j, c.mentors_trainee_weight)


@njit(cache=True, inline="always")
def new_tie_support(c, kind, fit, output_f, is_discounted, f):
    """Support in function f through a new senior tie (age 0), from the mentor's output: `tie_support_of`."""
    weight = weight_of(kind, c.mentoring_weight_primary, c.mentoring_weight_secondary, c.mentoring_weight_external)
    return tie_support_of(output_f, kind, weight, c.contact_new, fit, 0.0, c.discount, is_discounted, f)


@njit(cache=True, inline="always")
def predicted_support(c, quality_by_load, capacity_hours, share_admin, rank, admin_draw, n_proteges, n_trainees,
                      load_weight, female, competence_scale, competence_profile, i, j, kind, fit, out):
    """The support per function (into `out`) that protege i would receive through a new tie of
    this kind with mentor j, on j's load as it stands: what a recruit newly covers."""
    t = expected_time(quality_by_load, capacity_hours, share_admin, c, rank[j], admin_draw[j], n_proteges[j],
                      n_trainees[j], load_weight[j], kind)
    disc = discounted(female[i], female[j])
    scale = competence_scale[j]
    for f in range(N_FUNCTIONS):
        out[f] = new_tie_support(c, kind, fit, output(competence_profile[j, f], scale, t), disc, f)


@njit(cache=True)
def predict_support(fs, kp, keys, i, j, kind, fit):
    """`predicted_support` over the model's state, for inspection and tests."""
    out = np.zeros(N_FUNCTIONS)
    predicted_support(consts(kp, keys), kp.quality_by_load, kp.mentors_capacity_hours, kp.mentors_share_admin,
                      fs.rank, fs.admin_draw, fs.n_proteges, fs.n_trainees, fs.load_weight, fs.female,
                      fs.competence_scale, fs.competence_profile, i, j, kind, fit, out)
    return out


# --- the protege's slots as the plan leaves them ----------------------------------------

@njit(cache=True, inline="always")
def n_mentors(x, c):
    slot_mentor = x.slot_mentor
    n = 0
    for s in range(c.n_mentor_slots):
        if slot_mentor[s] >= 0:
            n += 1
    return n


@njit(cache=True, inline="always")
def has_woman_mentor(x, c):
    slot_mentor, female = x.slot_mentor, x.female
    for s in range(c.n_mentor_slots):
        j = slot_mentor[s]
        if j >= 0 and female[j]:
            return True
    return False


@njit(cache=True, inline="always")
def free_slot(x, c):
    slot_mentor = x.slot_mentor
    for s in range(c.n_mentor_slots):
        if slot_mentor[s] < 0:
            return s
    return -1


@njit(cache=True, inline="always")
def weakest_slot(x, c, skip_women):
    slot_mentor, slot_value, female = x.slot_mentor, x.slot_value, x.female
    w = -1
    v = 1e300
    for s in range(c.n_mentor_slots):
        j = slot_mentor[s]
        if j >= 0 and slot_value[s] < v and not (skip_women and female[j]):
            w = s
            v = slot_value[s]
    return w, v


@njit(cache=True, inline="always")
def new_kind(x, c, i, j):
    """External if j is at another institution; else primary unless i has one already."""
    institution, slot_mentor, slot_kind = x.institution, x.slot_mentor, x.slot_kind
    if institution[j] != institution[i]:
        return EXTERNAL
    for s in range(c.n_mentor_slots):
        if slot_mentor[s] >= 0 and slot_kind[s] == PRIMARY:
            return SECONDARY
    return PRIMARY


@njit(cache=True, inline="always")
def current_gaps(x, i):
    """Unmet need per function (this month's need, last month's support) into `gaps`; total need."""
    need_base, need_spike, support, gaps = x.need_base, x.need_spike, x.support, x.gaps
    total = 0.0
    for f in range(N_FUNCTIONS):
        nd = need_base[i, f] + need_spike[i, f]
        gaps[f] = max(0.0, nd - support[i, f])
        total += nd
    return total


# --- the plan's actions -----------------------------------------------------------------

@njit(cache=True, inline="always")
def action(x, p, s, j, kind, fit, reason):
    """Append an action to the plan at position p (reason 0: start a tie with j in slot s; else end
    the tie in slot s for that reason), and leave slot s as it makes it.

    A plan has room for the most actions its model can plan (`registry.plan_width`); one more
    means that bound is wrong, and stops the run rather than write past the buffer."""
    plan_n = x.plan_n
    a = plan_n[p]
    if a >= x.plan_slot.shape[1]:
        raise IndexError("a mentoring plan has more actions than its model's plan_width allows")
    x.plan_slot[p, a] = s
    x.plan_mentor[p, a] = j
    x.plan_kind[p, a] = kind
    x.plan_fit[p, a] = fit
    x.plan_reason[p, a] = reason
    plan_n[p] = a + 1
    x.slot_mentor[s] = j
    x.slot_kind[s] = kind
    x.slot_value[s] = 0.0


@njit(cache=True, inline="always")
def plan_drop(x, p, s, reason):
    action(x, p, s, -1, 0, 0.0, reason)


@njit(cache=True)
def plan_recruit(x, c, p, i, s, j, fit):
    """Plan j as i's mentor in slot s, first taking what j newly covers out of `gaps`."""
    kind = new_kind(x, c, i, j)
    gaps, gains = x.gaps, x.gains
    predicted_support(c, x.quality_by_load, x.capacity_hours, x.share_admin, x.rank, x.admin_draw, x.n_proteges,
                      x.n_trainees, x.load_weight, x.female, x.competence_scale, x.competence_profile, i, j, kind,
                      fit, gains)
    for f in range(N_FUNCTIONS):
        gaps[f] -= min(gaps[f], gains[f])
    action(x, p, s, j, kind, fit, 0)


# --- the search -------------------------------------------------------------------------

@njit(cache=True)
def search(x, c, i, total_need, women_only, allow_external, by_fit, draw0, month):
    """Best candidate with room from a sample, by coverage gain (or research fit); -1 if none.

    Compiled once and called (not inlined), with typed flags and draw numbers: numba compiles a
    function anew for each literal argument (`False`, `0`), and inlined or specialised copies of
    the search were most of the cold compile.

    Candidates are read from their cards (packed in pool order): a look costs a cache line.
    A first pass draws every candidate and loads their cards' first words, so the memory
    waits overlap; the second pass scores them in order. The gain is `predicted_support`
    computed from the card (whose numbers are float32).
    """
    institution, rank, female, person_key = x.institution, x.rank, x.female, x.person_key
    local_ptr, global_ptr, global_positions, cards, card_keys = (
        x.local_ptr, x.global_ptr, x.global_positions, x.cards, x.card_keys)
    picked, is_external, picked_row, picked_key = x.picked, x.is_external, x.picked_row, x.picked_key
    slot_mentor, gaps, fit_quantiles = x.slot_mentor, x.gaps, x.fit_quantiles
    quality_by_load, capacity_hours, share_admin = x.quality_by_load, x.capacity_hours, x.share_admin
    n_all_slots = slot_mentor.shape[0]
    key = person_key[i]
    senior_buckets = 4 if rank[i] == ASSISTANT else 2
    inst = institution[i]
    woman = female[i]
    for cand in range(c.mentoring_candidates):
        h = hash3(c.mentoring_key, key, month, draw0 + cand)  # one hash, two uniforms: where, whom
        external = allow_external and to_unit32(h >> np.uint64(32)) < c.network_share_external
        u = to_unit32(h & np.uint64(0xFFFFFFFF))
        if external:
            g = pick_from(global_ptr, 0, senior_buckets, women_only, u)
            k = global_positions[g] if g >= 0 else -1
        else:
            k = pick_from(local_ptr, inst * N_BUCKETS, senior_buckets, women_only, u)
        picked[cand] = k
        is_external[cand] = external
        if k >= 0:
            picked_row[cand] = cards[k, CARD_ROW]
            picked_key[cand] = card_keys[k]
    best = -1
    best_score = -1.0
    best_fit = 1.0
    for cand in range(c.mentoring_candidates):
        k = picked[cand]
        if k < 0:
            continue
        external = is_external[cand]
        if external and cards[k, CARD_INSTITUTION] == inst:
            continue
        j = int(picked_row[cand])
        if j == i or not has_room(c.mentoring_cap_mentees, cards[k, CARD_N_PROTEGES], cards[k, CARD_N_TRAINEES],
                                  cards[k, CARD_MAX_MENTEES]):
            continue
        already = False
        for s in range(n_all_slots):
            if slot_mentor[s] == j:
                already = True
        if already:
            continue
        fit = pair_fit(fit_quantiles, c.fit_key, key, picked_key[cand])
        kind = EXTERNAL if external else SECONDARY
        if by_fit:  # research fit: the pair's fit times the mentor's science competence
            score = fit * cards[k, CARD_PROFILE + SCIENCE] * cards[k, CARD_SCALE]
        else:
            t = expected_time(quality_by_load, capacity_hours, share_admin, c, int(cards[k, CARD_RANK]),
                              cards[k, CARD_ADMIN], int(cards[k, CARD_N_PROTEGES]),
                              int(cards[k, CARD_N_TRAINEES]), cards[k, CARD_LOAD_WEIGHT], kind)
            disc = discounted(woman, cards[k, CARD_FEMALE] > 0.5)
            g = 0.0
            for f in range(N_FUNCTIONS):
                x_f = new_tie_support(c, kind, fit, output(cards[k, CARD_PROFILE + f], cards[k, CARD_SCALE], t),
                                      disc, f)
                g += min(gaps[f], x_f)
            score = g / total_need if total_need > 0.0 else 0.0
        if score > best_score:
            best, best_score, best_fit = j, score, fit
    return best, best_score, best_fit
