"""The facilitated-peer model: junior faculty (assistant professors) meet in groups of
`facilitated_peer.group_size`, each group with one senior facilitator (an associate or full
professor at the same institution) who leads at most `facilitated_peer.facilitator_groups` groups
at a time (Pololi et al., Acad Med 2002; Kashiwagi, Varkey & Cook, Acad Med 2013).

Each month, in its serial step (`arrange`, before the plans):

1. every senior's groups are recounted (a group counts while a member still has the tie to its
   facilitator), so the capacity frees up as groups end;
2. at each institution, a group whose facilitator has left gets a new one, if a senior has room;
3. while `group_size` assistant professors without a group are waiting (longest-serving first) and a
   senior has room, they form a group with the senior who leads the fewest groups (ties broken by a
   draw): each member gets a tie to the facilitator (a secondary senior tie, counted in the
   facilitator's load, in the member's one mentor slot) and a peer tie to every other member (in
   the peer slots). When seniors are scarce, juniors wait without a group.

Support through the ties: peers as in any peer group (support.py: `peers.profile` for
`peers.hours_per_peer`); the facilitator gives a fixed profile, `facilitated_peer.gives`, for
the hours of attention a meeting gives each member (`meetings_per_month x hours_per_meeting /
group_size`), times the pair's fit and the concordance factor (`support.fixed_support_of`,
switched on by this model's `facilitation` entry in config/params.py). A group keeps meeting while
it has members; members promoted stay in it (a full professor's tie to the facilitator ends, as
every full professor's mentor ties do). The model plans nothing in the two-phase pass. The
interface is described in registry.py.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.model.mentoring.planner import pair_fit
from simulation.model.mentoring.ties import Tie, add_tie, ties_of
from simulation.model.rng import Stream, uniform
from simulation.model.state import ACTIVE, ASSISTANT, FULL, N_GROUPS, PEER, SECONDARY, Col
from simulation.model.support import count_tie

PARAMETERS: tuple[str, ...] = ()  # its steps read `kp` directly (the serial step), not `Consts`
PLANNER_COLUMNS: tuple[str, ...] = ()
STATE = (
    Col("facilitated_group", np.int32, "facilitated peer group a junior belongs to (-1 none)", fill=-1, keep=False),
    Col("groups_facilitated", np.int32, "facilitated peer groups a senior leads (recounted monthly)", keep=False),
)
FACILITATOR_SLOT = 0  # the member's one mentor slot


def plan_width(params) -> int:
    """Most actions in one plan: none (the groups form in `arrange`)."""
    return 0


@njit(cache=True, inline="always")
def at_hire(fs, kp, mentoring_key, row, person_key, month, initial):
    """No assigned mentors; no group yet."""
    fs.committee_size[row] = 0
    fs.facilitated_group[row] = -1
    fs.groups_facilitated[row] = 0


@njit(cache=True, inline="always")
def due(x, c, i, month):
    """Never: the groups form in the serial step."""
    return False


@njit(cache=True)
def plan(x, c, p, i, month):
    return


@njit(cache=True)
def pick_facilitator(fs, kp, mentoring_key, rows, month):
    """The senior among `rows` with room who leads the fewest groups (ties: the lowest draw); -1 if none.

    A facilitator is an active associate or full professor, not in a group themselves, leading
    fewer than `facilitated_peer_facilitator_groups` groups."""
    best = -1
    best_n = 1 << 30
    best_u = 2.0
    for j in rows:
        if fs.status[j] != ACTIVE or fs.rank[j] == ASSISTANT or fs.facilitated_group[j] >= 0:
            continue
        n = fs.groups_facilitated[j]
        if n >= kp.facilitated_peer_facilitator_groups:
            continue
        u = uniform(mentoring_key, fs.person_key[j], month, 3)
        if n < best_n or (n == best_n and u < best_u):
            best, best_n, best_u = j, n, u
    return best


@njit(cache=True)
def facilitate(fs, kp, keys, tie_arrays, members, j, month):
    """Start each member's tie to facilitator j (a secondary senior tie, in j's load)."""
    for a in members:
        fit = pair_fit(kp.fit_quantiles, keys[Stream.FIT], fs.person_key[a], fs.person_key[j])
        add_tie(tie_arrays, Tie(a, FACILITATOR_SLOT, j, SECONDARY, fit, month))
        count_tie(fs.n_proteges, fs.n_by_kind, fs.load_weight, j, SECONDARY, 1, kp.mentoring_weight_primary,
                  kp.mentoring_weight_secondary, kp.mentoring_weight_external)
        fs.n_ties_formed[a] += 1
    fs.groups_facilitated[j] += 1


@njit(cache=True)
def arrange(fs, tl, kp, keys, counters, active, n_active, month):
    """The month's group bookkeeping (module docstring): recount, re-facilitate, form new groups."""
    tie_arrays = ties_of(fs, tl, counters)
    mentoring_key = keys[Stream.MENTORING]
    tie_mentor, tie_kind = fs.tie_mentor, fs.tie_kind
    group, institution = fs.facilitated_group, fs.institution
    size = kp.facilitated_peer_group_size
    n_slots = tie_mentor.shape[1]
    first_peer_slot = kp.n_mentor_slots
    # 1. each group's facilitator (from any member's tie) and each senior's groups
    n_groups = counters[N_GROUPS]
    group_facilitator = np.full(n_groups, -1, dtype=np.int64)
    for ii in range(n_active):
        i = active[ii]
        fs.groups_facilitated[i] = 0
        g = group[i]
        j = tie_mentor[i, FACILITATOR_SLOT]
        if g >= 0 and j >= 0 and tie_kind[i, FACILITATOR_SLOT] == SECONDARY:
            group_facilitator[g] = j
    for g in range(n_groups):
        if group_facilitator[g] >= 0:
            fs.groups_facilitated[group_facilitator[g]] += 1
    # 2-3. institution by institution (the active rows are in row order, institutions in blocks)
    lo = 0
    while lo < n_active:
        hi = lo
        inst = institution[active[lo]]
        while hi < n_active and institution[active[hi]] == inst:
            hi += 1
        rows = active[lo:hi]
        # 2. groups whose facilitator left: a new one, if a senior has room
        for ii in range(rows.shape[0]):
            g = group[rows[ii]]
            if g < 0 or group_facilitator[g] >= 0:
                continue
            j = pick_facilitator(fs, kp, mentoring_key, rows, month)
            if j < 0:
                break
            n_members = 0
            members = np.empty(rows.shape[0], dtype=np.int64)
            for kk in range(ii, rows.shape[0]):
                m = rows[kk]
                if group[m] == g and tie_mentor[m, FACILITATOR_SLOT] < 0 and fs.rank[m] != FULL:
                    members[n_members] = m
                    n_members += 1
            facilitate(fs, kp, keys, tie_arrays, members[:n_members], j, month)
            group_facilitator[g] = j
        # 3. new groups of the stated size from the juniors waiting, longest-serving first
        n_waiting = 0
        waiting = np.empty(rows.shape[0], dtype=np.int64)
        for ii in range(rows.shape[0]):
            i = rows[ii]
            if fs.rank[i] == ASSISTANT and group[i] < 0:
                waiting[n_waiting] = i
                n_waiting += 1
        waiting = waiting[:n_waiting]
        waiting = waiting[np.argsort(fs.hire_month[waiting], kind="mergesort")]
        start = 0
        while n_waiting - start >= size:
            j = pick_facilitator(fs, kp, mentoring_key, rows, month)
            if j < 0:
                break  # seniors are scarce: the rest wait
            members = waiting[start:start + size]
            g = counters[N_GROUPS]
            counters[N_GROUPS] += 1
            for a in members:
                group[a] = g
            facilitate(fs, kp, keys, tie_arrays, members, j, month)
            for a in members:  # a peer tie to every other member, in the peer slots
                for b in members:
                    if a == b:
                        continue
                    for s in range(first_peer_slot, n_slots):
                        if tie_mentor[a, s] < 0:
                            add_tie(tie_arrays, Tie(a, s, b, PEER, 1.0, month))
                            break
            start += size
        lo = hi
