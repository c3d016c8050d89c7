"""Peer groups, a layer on any mentoring model (`mentoring.peers`, always on for the peer model):
new assistant professors join their institution's open group of the same cohort window."""

from __future__ import annotations

from numba import njit

from simulation.model.mentoring.ties import Tie, add_tie, ties_of
from simulation.model.state import ASSISTANT, N_GROUPS, PEER


@njit(cache=True)
def join_peer_groups(fs, tl, ins, kp, counters, candidates, month):
    """New assistant professors join their institution's open peer group (same cohort window)."""
    tie_arrays = ties_of(fs, tl, counters)
    tie_mentor = fs.tie_mentor
    rank, peer_group, institution, hire_month, status = fs.rank, fs.peer_group, fs.institution, fs.hire_month, fs.status
    person_id = fs.person_id
    group_id, group_n, group_start, group_members = ins.group_id, ins.group_n, ins.group_start, ins.group_members
    group_member_ids = ins.group_member_ids
    first_peer_slot = kp.n_mentor_slots
    n_slots = tie_mentor.shape[1]
    size = kp.peers_group_size
    cohort_months = kp.peers_cohort_months
    for cand in candidates:
        if rank[cand] != ASSISTANT or peer_group[cand] >= 0:
            continue
        inst = institution[cand]
        open_ok = group_id[inst] >= 0 and group_n[inst] < size and hire_month[cand] - group_start[inst] < cohort_months
        if not open_ok:
            group_id[inst] = counters[N_GROUPS]
            counters[N_GROUPS] += 1
            group_start[inst] = hire_month[cand]
            group_n[inst] = 0
        for k in range(group_n[inst]):
            m = group_members[inst, k]
            if status[m] != 0 or person_id[m] != group_member_ids[inst, k]:  # left (the row may be reused)
                continue
            sc = -1
            sm = -1
            for s in range(first_peer_slot, n_slots):
                if sc < 0 and tie_mentor[cand, s] < 0:
                    sc = s
                if sm < 0 and tie_mentor[m, s] < 0:
                    sm = s
            if sc < 0 or sm < 0:
                continue
            add_tie(tie_arrays, Tie(cand, sc, m, PEER, 1.0, month))
            add_tie(tie_arrays, Tie(m, sm, cand, PEER, 1.0, month))
        group_members[inst, group_n[inst]] = cand
        group_member_ids[inst, group_n[inst]] = person_id[cand]
        group_n[inst] += 1
        peer_group[cand] = group_id[inst]
