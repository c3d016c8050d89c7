"""The mentoring models: who mentors whom, month by month.

- dyad: one senior mentor at the same institution, chosen at hire by research fit among
  those with room, kept until one of them leaves, replaced after a delay.
- committee: a fixed team (`committee_size` per person, which may be 1), chosen once to
  cover the protege's needs, members replaced only when they leave.
- network: up to `max_ties` mentors; every `reshape_months` the protege looks at which
  functions are least met, samples candidates (seniors at the institution and, when
  allowed, elsewhere), adds the best, and drops or replaces the least useful tie.
- peer: no senior mentors; same-stage peer groups only.

Layers on any model: peer groups (`mentoring.peers`), external ties, a cap on proteges
per mentor, the women-mentor policy. Candidates must have room (`support.room`).

Senior candidates are drawn from per-institution pools rebuilt each month, bucketed by
rank and gender: [full W, full M, associate W, associate M, assistant W, assistant M].
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .needs import need
from .rng import POPULATION_WIDE, Stream, hash3, to_unit32, uniform
from .state import (
    ASSISTANT, DROPPED, EXTERNAL, FULL, N_FUNCTIONS, N_GROUPS, N_TIES, NEVER, PEER, PRIMARY,
    REPLACED, SCIENCE, SECONDARY,
)
from .support import (
    capacity, discounted, kind_weight, output, quality, room, tie_factor, tie_support, time_per_weight,
)

N_BUCKETS = 6
DYAD, COMMITTEE, NETWORK, PEER_MODEL = 0, 1, 2, 3


# a candidate's card: what the search reads about a senior, packed in pool order so that
# looking at a random candidate costs one or two cache lines, not a dozen
(CARD_N_PROTEGES, CARD_N_TRAINEES, CARD_MAX_MENTEES, CARD_LOAD_WEIGHT, CARD_RANK, CARD_ADMIN,
 CARD_INSTITUTION, CARD_FEMALE, CARD_SCALE, CARD_PROFILE) = range(10)
CARD_WIDTH = CARD_PROFILE + N_FUNCTIONS


@njit(cache=True)
def build_pools(fs, active, n_active, n_inst, local_ptr, local_rows, global_ptr, global_rows, cards):
    """Counting sort of active faculty by (institution, bucket), and by bucket overall; seniors' cards."""
    institution, rank, female, pool_position = fs.institution, fs.rank, fs.female, fs.pool_position
    local_ptr[:] = 0
    global_ptr[:] = 0
    for ii in range(n_active):
        j = active[ii]
        b = (2 - rank[j]) * 2 + (0 if female[j] else 1)
        local_ptr[institution[j] * N_BUCKETS + b + 1] += 1
        global_ptr[b + 1] += 1
    for k in range(1, local_ptr.shape[0]):
        local_ptr[k] += local_ptr[k - 1]
    for k in range(1, global_ptr.shape[0]):
        global_ptr[k] += global_ptr[k - 1]
    lfill = local_ptr[:-1].copy()
    gfill = global_ptr[:-1].copy()
    for ii in range(n_active):
        j = active[ii]
        b = (2 - rank[j]) * 2 + (0 if female[j] else 1)
        k = institution[j] * N_BUCKETS + b
        local_rows[lfill[k]] = j
        pool_position[j] = lfill[k]
        lfill[k] += 1
        global_rows[gfill[b]] = j
        gfill[b] += 1
    fill_cards(fs, local_rows, n_active, cards)


@njit(cache=True, parallel=True)
def fill_cards(fs, local_rows, n, cards):
    n_proteges, n_trainees, max_mentees, load_weight = fs.n_proteges, fs.n_trainees, fs.max_mentees, fs.load_weight
    rank, admin_draw, institution, female = fs.rank, fs.admin_draw, fs.institution, fs.female
    scale, profile = fs.competence_scale, fs.competence_profile
    for k in prange(n):
        j = local_rows[k]
        if rank[j] == ASSISTANT:
            continue  # never a senior candidate
        c = cards[k]
        c[CARD_N_PROTEGES] = n_proteges[j]
        c[CARD_N_TRAINEES] = n_trainees[j]
        c[CARD_MAX_MENTEES] = max_mentees[j]
        c[CARD_LOAD_WEIGHT] = load_weight[j]
        c[CARD_RANK] = rank[j]
        c[CARD_ADMIN] = admin_draw[j]
        c[CARD_INSTITUTION] = institution[j]
        c[CARD_FEMALE] = 1.0 if female[j] else 0.0
        c[CARD_SCALE] = scale[j]
        for f in range(N_FUNCTIONS):
            c[CARD_PROFILE + f] = profile[j, f]


@njit(cache=True)
def pick_from(ptr, base, senior_buckets, women_only, u):
    """A pool position drawn uniformly from the senior buckets (or their women's buckets) at `base`."""
    if not women_only:
        lo = ptr[base]
        n = ptr[base + senior_buckets] - lo
        if n <= 0:
            return -1
        return lo + int(u * n)
    n0 = ptr[base + 1] - ptr[base]
    n2 = ptr[base + 3] - ptr[base + 2] if senior_buckets == 4 else 0
    n = n0 + n2
    if n <= 0:
        return -1
    r = int(u * n)
    if r < n0:
        return ptr[base] + r
    return ptr[base + 2] + r - n0


def fit_table(sigma: float, n: int = 4096) -> np.ndarray:
    """Quantiles of the pair-fit distribution (lognormal, mean 1) at the midpoints of n equal bins."""
    from scipy.stats import norm

    z = norm.ppf((np.arange(n) + 0.5) / n)
    return np.exp(sigma * z - 0.5 * sigma * sigma)


@njit(cache=True, inline="always")
def pair_fit(kp, fit_key, key_protege, key_mentor):
    """Pair-specific fit of a protege with a mentor: the same pair, the same fit, in every scenario.

    Drawn by inverting the lognormal through a quantile table (the search evaluates many
    candidates, and a table lookup costs far less than a Box-Muller draw and an exponential).
    """
    table = kp.fit_quantiles
    return table[int(uniform(fit_key, key_protege, key_mentor, 0) * table.shape[0])]


@njit(cache=True)
def n_mentors(fs, kp, i):
    n = 0
    for s in range(kp.n_mentor_slots):
        if fs.tie_mentor[i, s] >= 0:
            n += 1
    return n


@njit(cache=True)
def has_woman_mentor(fs, kp, i):
    for s in range(kp.n_mentor_slots):
        j = fs.tie_mentor[i, s]
        if j >= 0 and fs.female[j]:
            return True
    return False


@njit(cache=True)
def has_primary(fs, kp, i):
    for s in range(kp.n_mentor_slots):
        if fs.tie_mentor[i, s] >= 0 and fs.tie_kind[i, s] == PRIMARY:
            return True
    return False


@njit(cache=True)
def add_tie(fs, tl, counters, i, s, j, kind, fit, month):
    k = counters[N_TIES]
    counters[N_TIES] = k + 1
    tl.protege[k] = i
    tl.mentor[k] = j
    tl.kind[k] = kind
    tl.start_month[k] = month
    tl.end_month[k] = NEVER
    tl.end_reason[k] = 0
    fs.tie_mentor[i, s] = j
    fs.tie_kind[i, s] = kind
    fs.tie_start[i, s] = month
    fs.tie_fit[i, s] = fit
    fs.tie_discount[i, s] = discounted(fs.female[i], fs.female[j])
    fs.tie_log[i, s] = k
    fs.tie_value[i, s] = 0.0


@njit(cache=True)
def add_mentor(fs, tl, kp, cards, counters, i, s, j, kind, fit, month):
    add_tie(fs, tl, counters, i, s, j, kind, fit, month)
    w = kind_weight(kp, kind)
    fs.n_proteges[j] += 1
    fs.load_weight[j] += w
    fs.n_ties_formed[i] += 1
    k = fs.pool_position[j]
    cards[k, CARD_N_PROTEGES] += 1
    cards[k, CARD_LOAD_WEIGHT] += w


@njit(cache=True)
def end_tie(fs, tl, kp, cards, i, s, month, reason):
    """End the tie in slot s of protege i, in the log and in both people's bookkeeping."""
    j = fs.tie_mentor[i, s]
    if j < 0:
        return
    k = fs.tie_log[i, s]
    tl.end_month[k] = month
    tl.end_reason[k] = reason
    kind = fs.tie_kind[i, s]
    if kind != PEER:
        w = kind_weight(kp, kind)
        fs.n_proteges[j] -= 1
        fs.load_weight[j] -= w
        k = fs.pool_position[j]
        if k >= 0 and k < cards.shape[0]:
            cards[k, CARD_N_PROTEGES] -= 1
            cards[k, CARD_LOAD_WEIGHT] -= w
    fs.tie_mentor[i, s] = -1
    fs.tie_kind[i, s] = 0
    fs.tie_log[i, s] = -1
    fs.tie_value[i, s] = 0.0


@njit(cache=True, inline="always")
def expected_time(kp, rank_j, admin_draw_j, n_proteges_j, n_trainees_j, load_weight_j, kind):
    """Hours per unit weight a mentor would give after taking one more protege of this kind."""
    q = quality(kp, n_proteges_j + n_trainees_j + 1)
    return time_per_weight(kp, capacity(kp, rank_j, admin_draw_j), q, load_weight_j + kind_weight(kp, kind),
                           n_trainees_j)


@njit(cache=True)
def gain(fs, kp, i, j, kind, fit, gaps, total_need, take):
    """Share of i's need that j would newly cover; optionally subtract it from `gaps`."""
    t = expected_time(kp, fs.rank[j], fs.admin_draw[j], fs.n_proteges[j], fs.n_trainees[j], fs.load_weight[j], kind)
    return coverage_gain(kp, kind, fit, fs.competence_scale[j], t, fs.competence_profile, j,
                         discounted(fs.female[i], fs.female[j]), gaps, total_need, take)


@njit(cache=True, inline="always")
def coverage_gain(kp, kind, fit, scale_j, tpw_j, profile, j, disc, gaps, total_need, take):
    """Share of need a new tie would cover beyond `gaps` (the same formulas as support)."""
    factor = tie_factor(kp, kind, fit, 0)
    g = 0.0
    for f in range(N_FUNCTIONS):
        covered = min(gaps[f], tie_support(kp, kind, factor, output(profile[j, f], scale_j, tpw_j), disc, f))
        g += covered
        if take:
            gaps[f] -= covered
    return g / total_need if total_need > 0.0 else 0.0


@njit(cache=True)
def search(fs, kp, keys, pools, i, month, gaps, total_need, women_only, allow_external, by_fit, draw0):
    """Best candidate with room from a sample, by coverage gain (or research fit); -1 if none."""
    local_ptr, local_rows, global_ptr, global_rows, cards = pools
    institution, tie_mentor, person_key, female = fs.institution, fs.tie_mentor, fs.person_key, fs.female
    pool_position = fs.pool_position
    mk, fk = keys[Stream.MENTORING], keys[Stream.FIT]
    key = person_key[i]
    senior_buckets = 4 if fs.rank[i] == ASSISTANT else 2
    inst = institution[i]
    woman = female[i]
    n_slots = tie_mentor.shape[1]
    best = -1
    best_score = -1.0
    best_fit = 1.0
    for c in range(kp.mentoring_candidates):
        h = hash3(mk, key, month, draw0 + c)  # one hash, two uniforms: where to look, whom to pick
        external = allow_external and to_unit32(h >> np.uint64(32)) < kp.network_share_external
        u = to_unit32(h & np.uint64(0xFFFFFFFF))
        if external:
            g = pick_from(global_ptr, 0, senior_buckets, women_only, u)
            if g < 0:
                continue
            j = global_rows[g]
            k = pool_position[j]
            if cards[k, CARD_INSTITUTION] == inst:
                continue
        else:
            k = pick_from(local_ptr, inst * N_BUCKETS, senior_buckets, women_only, u)
            if k < 0:
                continue
            j = local_rows[k]
        card = cards[k]
        if j == i or not room(kp, card[CARD_N_PROTEGES], card[CARD_N_TRAINEES], card[CARD_MAX_MENTEES]):
            continue
        already = False
        for s in range(n_slots):
            if tie_mentor[i, s] == j:
                already = True
        if already:
            continue
        fit = pair_fit(kp, fk, key, person_key[j])
        kind = EXTERNAL if external else SECONDARY
        if by_fit:  # research fit: the pair's fit times the mentor's science competence
            score = fit * card[CARD_PROFILE + SCIENCE] * card[CARD_SCALE]
        else:
            t = expected_time(kp, int(card[CARD_RANK]), card[CARD_ADMIN], int(card[CARD_N_PROTEGES]),
                              int(card[CARD_N_TRAINEES]), card[CARD_LOAD_WEIGHT], kind)
            factor = tie_factor(kp, kind, fit, 0)
            disc = discounted(woman, card[CARD_FEMALE] > 0.5)
            g = 0.0
            for f in range(N_FUNCTIONS):
                x = tie_support(kp, kind, factor, output(card[CARD_PROFILE + f], card[CARD_SCALE], t), disc, f)
                g += min(gaps[f], x)
            score = g / total_need if total_need > 0.0 else 0.0
        if score > best_score:
            best, best_score, best_fit = j, score, fit
    return best, best_score, best_fit


@njit(cache=True)
def free_slot(fs, kp, i):
    for s in range(kp.n_mentor_slots):
        if fs.tie_mentor[i, s] < 0:
            return s
    return -1


@njit(cache=True)
def weakest_slot(fs, kp, i, skip_women):
    w = -1
    v = 1e300
    for s in range(kp.n_mentor_slots):
        j = fs.tie_mentor[i, s]
        if j >= 0 and fs.tie_value[i, s] < v and not (skip_women and fs.female[j]):
            w = s
            v = fs.tie_value[i, s]
    return w, v


@njit(cache=True)
def new_kind(fs, kp, i, j):
    if fs.institution[j] != fs.institution[i]:
        return EXTERNAL
    return SECONDARY if has_primary(fs, kp, i) else PRIMARY


@njit(cache=True)
def current_gaps(fs, i, gaps):
    total = 0.0
    for f in range(N_FUNCTIONS):
        nd = need(fs, i, f)
        gaps[f] = max(0.0, nd - fs.support[i, f])
        total += nd
    return total


@njit(cache=True)
def assign_missing(fs, tl, kp, keys, counters, pools, i, month, gaps):
    """Dyad and committee: fill missing assigned mentors (at hire, or after the replacement delay)."""
    target = fs.committee_size[i]
    n_m = n_mentors(fs, kp, i)
    if n_m >= target:
        return
    if fs.n_ties_formed[i] > 0 and month - fs.mentor_lost_month[i] < kp.mentoring_replace_delay_months:
        return
    total_need = current_gaps(fs, i, gaps)
    allow_external = kp.mentoring_external_ties and kp.model_code == COMMITTEE
    draw = 0
    while n_m < target:
        want_woman = kp.mentoring_women_mentor_policy and fs.female[i] and not has_woman_mentor(fs, kp, i)
        by_fit = target == 1
        j, score, fit = search(fs, kp, keys, pools, i, month, gaps, total_need, want_woman, allow_external, by_fit, draw)
        draw += kp.mentoring_candidates
        if j < 0 and want_woman:
            j, score, fit = search(fs, kp, keys, pools, i, month, gaps, total_need, False, allow_external, by_fit, draw)
            draw += kp.mentoring_candidates
        if j < 0:
            return
        kind = new_kind(fs, kp, i, j)
        gain(fs, kp, i, j, kind, fit, gaps, total_need, True)
        add_mentor(fs, tl, kp, pools[4], counters, i, free_slot(fs, kp, i), j, kind, fit, month)
        n_m += 1


@njit(cache=True)
def review_network(fs, tl, kp, keys, counters, pools, i, month, gaps):
    """Network: drop weak ties, add the best candidates for the least-met functions, replace if full."""
    fs.next_search[i] = month + kp.network_reshape_months
    total_need = current_gaps(fs, i, gaps)
    for s in range(kp.n_mentor_slots):
        j = fs.tie_mentor[i, s]
        if j < 0:
            continue
        age = month - fs.tie_start[i, s]
        if age >= kp.network_reshape_months and fs.tie_value[i, s] < kp.network_drop_below:
            kind = fs.tie_kind[i, s]
            factor = tie_factor(kp, kind, fs.tie_fit[i, s], age)
            for f in range(N_FUNCTIONS):
                gaps[f] += tie_support(kp, kind, factor, fs.mentor_output[j, f], fs.tie_discount[i, s], f)
            if age >= kp.network_collaboration_after_months:
                fs.n_collaborators[i] += 1
            end_tie(fs, tl, kp, pools[4], i, s, month, DROPPED)
    for f in range(N_FUNCTIONS):
        gaps[f] = min(gaps[f], need(fs, i, f))
    draw = 0
    for _ in range(kp.network_max_new_per_search):
        j, score, fit = search(fs, kp, keys, pools, i, month, gaps, total_need, False,
                               kp.mentoring_external_ties, False, draw)
        draw += kp.mentoring_candidates
        if j < 0 or score < kp.network_drop_below:
            break
        s = free_slot(fs, kp, i)
        if s < 0:
            w, v = weakest_slot(fs, kp, i, kp.mentoring_women_mentor_policy and fs.female[i])
            if w < 0 or score <= v * (1.0 + kp.network_switch_margin):
                break
            end_tie(fs, tl, kp, pools[4], i, w, month, REPLACED)
            s = w
        kind = new_kind(fs, kp, i, j)
        gain(fs, kp, i, j, kind, fit, gaps, total_need, True)
        add_mentor(fs, tl, kp, pools[4], counters, i, s, j, kind, fit, month)
    if kp.mentoring_women_mentor_policy and fs.female[i] and not has_woman_mentor(fs, kp, i):
        j, score, fit = search(fs, kp, keys, pools, i, month, gaps, total_need, True,
                               kp.mentoring_external_ties, False, draw)
        if j >= 0:
            s = free_slot(fs, kp, i)
            if s < 0:
                s, v = weakest_slot(fs, kp, i, True)
                end_tie(fs, tl, kp, pools[4], i, s, month, REPLACED)
            kind = new_kind(fs, kp, i, j)
            add_mentor(fs, tl, kp, pools[4], counters, i, s, j, kind, fit, month)


@njit(cache=True)
def maintain_ties(fs, tl, kp, keys, counters, pools, active, n_active, month):
    """Phase 3: every active protege's ties, per the mentoring model, in a rotating order."""
    rank, tie_mentor, next_search = fs.rank, fs.tie_mentor, fs.next_search
    committee_size, mentor_lost_month, n_ties_formed = fs.committee_size, fs.mentor_lost_month, fs.n_ties_formed
    n_slots = kp.n_mentor_slots
    gaps = np.zeros(N_FUNCTIONS)
    offset = int(uniform(keys[Stream.MENTORING], POPULATION_WIDE, month, 0) * n_active) if n_active > 0 else 0
    for t in range(n_active):
        i = active[(offset + t) % n_active]
        if rank[i] == FULL:  # full professors no longer have mentors
            for s in range(n_slots):
                if tie_mentor[i, s] >= 0:
                    end_tie(fs, tl, kp, pools[4], i, s, month, DROPPED)
            continue
        if kp.model_code == DYAD or kp.model_code == COMMITTEE:
            n_m = 0
            for s in range(n_slots):
                if tie_mentor[i, s] >= 0:
                    n_m += 1
            waited = n_ties_formed[i] == 0 or month - mentor_lost_month[i] >= kp.mentoring_replace_delay_months
            if n_m < committee_size[i] and waited:
                assign_missing(fs, tl, kp, keys, counters, pools, i, month, gaps)
        elif kp.model_code == NETWORK:
            if next_search[i] <= month:
                review_network(fs, tl, kp, keys, counters, pools, i, month, gaps)


@njit(cache=True)
def join_peer_groups(fs, tl, ins, kp, counters, candidates, month):
    """New assistant professors join their institution's open peer group (same cohort window)."""
    first_peer_slot = kp.n_mentor_slots
    n_slots = fs.tie_mentor.shape[1]
    size = kp.peers_group_size
    for c in candidates:
        if fs.rank[c] != ASSISTANT or fs.peer_group[c] >= 0:
            continue
        inst = fs.institution[c]
        open_ok = (
            ins.group_id[inst] >= 0
            and ins.group_n[inst] < size
            and fs.hire_month[c] - ins.group_start[inst] < kp.peers_cohort_months
        )
        if not open_ok:
            ins.group_id[inst] = counters[N_GROUPS]
            counters[N_GROUPS] += 1
            ins.group_start[inst] = fs.hire_month[c]
            ins.group_n[inst] = 0
        for k in range(ins.group_n[inst]):
            m = ins.group_members[inst, k]
            if fs.status[m] != 0:
                continue
            sc = -1
            sm = -1
            for s in range(first_peer_slot, n_slots):
                if sc < 0 and fs.tie_mentor[c, s] < 0:
                    sc = s
                if sm < 0 and fs.tie_mentor[m, s] < 0:
                    sm = s
            if sc < 0 or sm < 0:
                continue
            add_tie(fs, tl, counters, c, sc, m, PEER, 1.0, month)
            add_tie(fs, tl, counters, m, sm, c, PEER, 1.0, month)
        ins.group_members[inst, ins.group_n[inst]] = c
        ins.group_n[inst] += 1
        fs.peer_group[c] = ins.group_id[inst]
