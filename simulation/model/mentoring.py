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
per mentor, the women-mentor policy. Candidates must have room (`support.has_room`).

Senior candidates are drawn from per-institution pools rebuilt each month, bucketed by
rank and gender: [full W, full M, associate W, associate M, assistant W, assistant M].
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from simulation.model.rng import POPULATION_WIDE, Stream, hash3, to_unit32, uniform
from simulation.model.state import (
    ASSISTANT, DROPPED, EXTERNAL, FULL, N_FUNCTIONS, N_GROUPS, N_TIES, NEVER, PEER, PRIMARY,
    REPLACED, SCIENCE, SECONDARY,
)
from simulation.model.support import (
    contact_of, count_tie, discounted, has_room, hours_of, output, quality_of, support_through, tie_factor_of, time_share,
    weight_of,
)

N_BUCKETS = 6
DYAD, COMMITTEE, NETWORK, PEER_MODEL = 0, 1, 2, 3


# a candidate's card: what the search reads about a senior, packed in pool order so that
# looking at a random candidate costs one cache line (16 float32), not a dozen
(CARD_N_PROTEGES, CARD_N_TRAINEES, CARD_MAX_MENTEES, CARD_LOAD_WEIGHT, CARD_RANK, CARD_ADMIN,
 CARD_INSTITUTION, CARD_FEMALE, CARD_SCALE, CARD_PROFILE) = range(10)
CARD_ROW = CARD_PROFILE + N_FUNCTIONS  # the candidate's row (exact in float32 below 2**24 rows)
CARD_WIDTH = 16  # 64 bytes: one cache line (the arrays are 64-byte aligned)
assert CARD_ROW < CARD_WIDTH


@njit(cache=True, inline="always")
def bucket(rank, female):
    """Pool bucket: full W, full M, associate W, associate M, assistant W, assistant M."""
    return (2 - rank) * 2 + (0 if female else 1)


@njit(cache=True, parallel=True)
def build_pools(fs, ins, local_ptr, local_rows, global_ptr, global_positions, cards, card_keys):
    """Active faculty sorted by (institution, bucket), and by bucket overall; the seniors' cards.

    The local pool lists rows; the global pool lists positions in the local pool (so an
    external candidate's card is one lookup away). Institutions are sorted in parallel: each
    owns a block of rows, and every offset is fixed before the blocks are filled.
    """
    rank, female, status, pool_position = fs.rank, fs.female, fs.status, fs.pool_position
    first_row, size = ins.first_row, ins.target_size
    n_inst = first_row.shape[0]
    counts = np.zeros((n_inst, N_BUCKETS), dtype=np.int64)
    for i in prange(n_inst):
        for j in range(first_row[i], first_row[i] + size[i]):
            if status[j] == 0:
                counts[i, bucket(rank[j], female[j])] += 1
    local_fill = np.empty((n_inst, N_BUCKETS), dtype=np.int64)
    global_fill = np.empty((n_inst, N_BUCKETS), dtype=np.int64)
    local_ptr[0] = 0
    for i in range(n_inst):
        for b in range(N_BUCKETS):
            k = i * N_BUCKETS + b
            local_fill[i, b] = local_ptr[k]
            local_ptr[k + 1] = local_ptr[k] + counts[i, b]
    global_ptr[0] = 0
    for b in range(N_BUCKETS):
        running = global_ptr[b]
        for i in range(n_inst):
            global_fill[i, b] = running
            running += counts[i, b]
        global_ptr[b + 1] = running
    for i in prange(n_inst):
        for j in range(first_row[i], first_row[i] + size[i]):
            if status[j] != 0:
                continue
            b = bucket(rank[j], female[j])
            k = local_fill[i, b]
            local_rows[k] = j
            pool_position[j] = k
            global_positions[global_fill[i, b]] = k
            local_fill[i, b] += 1
            global_fill[i, b] += 1
    fill_cards(fs, local_rows, local_ptr[n_inst * N_BUCKETS], cards, card_keys)


@njit(cache=True, parallel=True)
def fill_cards(fs, local_rows, n, cards, card_keys):
    n_proteges, n_trainees, max_mentees, load_weight = fs.n_proteges, fs.n_trainees, fs.max_mentees, fs.load_weight
    rank, admin_draw, institution, female = fs.rank, fs.admin_draw, fs.institution, fs.female
    scale, profile, person_key = fs.competence_scale, fs.competence_profile, fs.person_key
    for k in prange(n):
        j = local_rows[k]
        if rank[j] == ASSISTANT:
            continue  # never a senior candidate
        cards[k, CARD_N_PROTEGES] = n_proteges[j]
        cards[k, CARD_N_TRAINEES] = n_trainees[j]
        cards[k, CARD_MAX_MENTEES] = max_mentees[j]
        cards[k, CARD_LOAD_WEIGHT] = load_weight[j]
        cards[k, CARD_RANK] = rank[j]
        cards[k, CARD_ADMIN] = admin_draw[j]
        cards[k, CARD_INSTITUTION] = institution[j]
        cards[k, CARD_FEMALE] = 1.0 if female[j] else 0.0
        cards[k, CARD_SCALE] = scale[j]
        for f in range(N_FUNCTIONS):
            cards[k, CARD_PROFILE + f] = profile[j, f]
        cards[k, CARD_ROW] = j
        card_keys[k] = person_key[j]


# --- the mentoring pass's helpers -------------------------------------------------------
#
# The mentoring pass calls small helpers per protege and per candidate. Outside a parallel
# loop, a struct or a tuple of arrays passed into a helper that branches or loops costs an
# atomic reference-count round trip per member and call, which numba does not remove (about
# 13 ns a pair, measured; arrays passed one by one are often spared, but not reliably). So
# `plan_range` and `apply_plans` bind every array once and their helpers are closures over
# those arrays (numba inlines closures without copying what they capture); the shared helpers
# below take numbers, or a few arrays where they run once per tie rather than per candidate.

Consts = namedtuple("Consts", (
    "n_mentor_slots", "model_code", "candidates", "replace_delay", "external_ties", "women_policy",
    "cap_mentees", "max_new_per_search", "reshape_months", "drop_below", "switch_margin",
    "collaboration_after", "share_external", "w_primary", "w_secondary", "w_external", "contact_new",
    "comfortable", "exponent", "admin_loss", "protected_time", "trainee_weight", "discount",
    "mentoring_key", "fit_key",
))


@njit(cache=True)
def consts(kp, keys):
    """The scalar parameters of the mentoring kernels (a tuple of numbers: free to pass around)."""
    return Consts(
        kp.n_mentor_slots, kp.model_code, kp.mentoring_candidates, kp.mentoring_replace_delay_months,
        kp.mentoring_external_ties, kp.mentoring_women_mentor_policy, kp.mentoring_cap_mentees,
        kp.network_max_new_per_search, kp.network_reshape_months, kp.network_drop_below,
        kp.network_switch_margin, kp.network_collaboration_after_months, kp.network_share_external,
        kp.mentoring_weight_primary, kp.mentoring_weight_secondary, kp.mentoring_weight_external,
        kp.contact_by_age[0], kp.mentors_comfortable_load, kp.mentors_overload_exponent,
        kp.mentors_admin_capacity_loss, kp.mentoring_protected_time, kp.mentors_trainee_weight,
        1.0 / (1.0 + kp.mentoring_concordance_gain), keys[Stream.MENTORING], keys[Stream.FIT],
    )


@njit(cache=True, inline="always")
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
def pair_fit(fit_quantiles, fit_key, key_protege, key_mentor):
    """Pair-specific fit of a protege with a mentor: the same pair, the same fit, in every scenario.

    Drawn by inverting the lognormal through a quantile table (the search evaluates many
    candidates, and a table lookup costs far less than a Box-Muller draw and an exponential).
    """
    return fit_quantiles[int(uniform(fit_key, key_protege, key_mentor, 0) * fit_quantiles.shape[0])]


@njit(cache=True, inline="always")
def add_tie(log, person_id, tie_mentor, tie_kind, tie_start, tie_fit, tie_discount, tie_log, tie_value, female,
            counters, i, s, j, kind, fit, month):
    """Start a tie in slot s of protege i (a row; mentor j too), in the tie log (by person id) and
    in the protege's slots."""
    log_protege, log_mentor, log_kind, log_start, log_end, log_end_reason = log
    k = counters[N_TIES]
    counters[N_TIES] = k + 1
    log_protege[k] = person_id[i]
    log_mentor[k] = person_id[j]
    log_kind[k] = kind
    log_start[k] = month
    log_end[k] = NEVER
    log_end_reason[k] = 0
    tie_mentor[i, s] = j
    tie_kind[i, s] = kind
    tie_start[i, s] = month
    tie_fit[i, s] = fit
    tie_discount[i, s] = discounted(female[i], female[j])
    tie_log[i, s] = k
    tie_value[i, s] = 0.0


@njit(cache=True, inline="always")
def close_slot(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, i, s, month, reason):
    """End the tie in slot s of protege i in the log and empty the slot (the protege's side only)."""
    k = tie_log[i, s]
    log_end[k] = month
    log_end_reason[k] = reason
    tie_mentor[i, s] = -1
    tie_kind[i, s] = 0
    tie_log[i, s] = -1
    tie_value[i, s] = 0.0


@njit(cache=True, inline="always")
def end_tie(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind, load_weight,
            pool_position, cards, c, i, s, month, reason):
    """End the tie in slot s of protege i, in the log and in both people's bookkeeping."""
    j = tie_mentor[i, s]
    if j < 0:
        return
    kind = tie_kind[i, s]
    if kind != PEER:
        count_tie(n_proteges, n_by_kind, load_weight, j, kind, -1, c.w_primary, c.w_secondary, c.w_external)
        k = pool_position[j]
        if k >= 0 and k < cards.shape[0]:
            cards[k, CARD_N_PROTEGES] = n_proteges[j]
            cards[k, CARD_LOAD_WEIGHT] = load_weight[j]
    close_slot(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, i, s, month, reason)


@njit(cache=True, inline="always")
def expected_time(quality_by_load, capacity_hours, share_admin, c, rank_j, admin_draw_j, n_proteges_j,
                  n_trainees_j, load_weight_j, kind):
    """Hours per unit weight a mentor would give after taking one more protege of this kind."""
    q = quality_of(quality_by_load, c.comfortable, c.exponent, n_proteges_j + n_trainees_j + 1)
    hours = hours_of(capacity_hours, share_admin, c.admin_loss, c.protected_time, rank_j, admin_draw_j)
    return time_share(hours, q, load_weight_j + weight_of(kind, c.w_primary, c.w_secondary, c.w_external),
                      n_trainees_j, c.trainee_weight)


@njit(cache=True, inline="always")
def new_tie_support(c, kind, fit, output_f, is_discounted, f):
    """Support in function f through a new senior tie (age 0): the formulas of phase 4."""
    factor = tie_factor_of(kind, weight_of(kind, c.w_primary, c.w_secondary, c.w_external), c.contact_new, fit, 0.0)
    return support_through(output_f, factor, c.discount, is_discounted, f)


# --- the two-phase mentoring pass ------------------------------------------------------
#
# A protege's choices depend on which candidates have room, and room changes as proteges
# recruit. The pass is in two phases so that most of its work runs on every core with a
# result that never depends on how many there are:
#
# 1. plan (parallel): every protege whose turn it is decides, on the loads at the start of
#    the month, which ties to drop and which mentors to add, and writes the decision down as
#    a list of actions. Planning reads the shared state and writes only the protege's own
#    plan (and its own next review month).
# 2. apply (serial, in a rotating order): each plan is carried out if every mentor it adds
#    still has room; if one has filled up meanwhile, the protege plans again on the loads
#    of that moment, and that plan is carried out.
#
# The actions of a plan, per protege (by position in the active list): the slot, the mentor's
# row, the tie's kind and fit, and the reason (0: start the tie; DROPPED or REPLACED: end it).

N_PLAN_CHUNKS = 64  # the planning phase's fixed chunks: results never depend on the thread count


def plan_width(n_mentor_slots: int, max_new_per_search: int) -> int:
    """Most actions one plan can hold: a drop per slot, a drop and a start per new mentor, and
    the women-mentor policy's drop and start."""
    return n_mentor_slots + 2 * max(n_mentor_slots, max_new_per_search) + 2


def plan_buffers(n_positions: int, n_mentor_slots: int, max_new_per_search: int) -> tuple:
    """The plans' arrays, one row per position in the active list (allocated once per model)."""
    w = plan_width(n_mentor_slots, max_new_per_search)
    return (
        np.zeros(n_positions, dtype=np.int32),  # number of actions
        np.zeros(n_positions, dtype=np.int32),  # former mentors who become collaborators
        np.zeros((n_positions, w), dtype=np.int8),  # slot
        np.zeros((n_positions, w), dtype=np.int32),  # mentor's row
        np.zeros((n_positions, w), dtype=np.int8),  # kind
        np.zeros((n_positions, w), dtype=np.float64),  # fit
        np.zeros((n_positions, w), dtype=np.int8),  # 0: start the tie, else the reason it ends
    )


def maintain_ties(fs, tl, kp, keys, counters, pools, plans, active, n_active, month):
    """Phase 3: every active protege's ties, per the mentoring model (the two-phase pass above).

    - dyad and committee: fill missing assigned mentors, at hire or after the replacement delay;
    - network: at each review, drop weak ties, add the best candidates for the least-met
      functions (replacing the weakest tie when full), then apply the women-mentor policy;
    - full professors no longer have mentors: their ties end.
    """
    plan_all(fs, kp, keys, pools, plans, active, n_active, month)
    apply_plans(fs, tl, kp, keys, counters, pools, plans, active, n_active, month)


@njit(cache=True, parallel=True)
def plan_all(fs, kp, keys, pools, plans, active, n_active, month):
    """Phase 1 of the pass: every protege's plan, on the loads at the start of the month, in
    fixed chunks of the active list run in parallel."""
    chunk = (n_active + N_PLAN_CHUNKS - 1) // N_PLAN_CHUNKS
    for q in prange(N_PLAN_CHUNKS):
        plan_range(fs, kp, keys, pools, plans, active, q * chunk, min(n_active, (q + 1) * chunk), month)


@njit(cache=True)
def plan_range(fs, kp, keys, pools, plans, active, lo, hi, month):
    """The plans of the proteges at positions lo..hi-1 of the active list, on the loads as they
    stand. Reads the shared state; writes only these plans (and these proteges' next review)."""
    c = consts(kp, keys)
    local_ptr, local_rows, global_ptr, global_positions, cards, card_keys = pools
    plan_n, plan_collab, plan_slot, plan_mentor, plan_kind, plan_fit, plan_reason = plans
    institution, rank, female, person_key = fs.institution, fs.rank, fs.female, fs.person_key
    tie_mentor, tie_kind, tie_start, tie_fit = fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit
    tie_discount, tie_value = fs.tie_discount, fs.tie_value
    n_proteges, load_weight, n_ties_formed = fs.n_proteges, fs.load_weight, fs.n_ties_formed
    need_base, need_spike, support, mentor_output = fs.need_base, fs.need_spike, fs.support, fs.mentor_output
    competence_scale, competence_profile = fs.competence_scale, fs.competence_profile
    admin_draw, n_trainees = fs.admin_draw, fs.n_trainees
    committee_size, mentor_lost_month, next_search = fs.committee_size, fs.mentor_lost_month, fs.next_search
    fit_quantiles, quality_by_load, contact_by_age = kp.fit_quantiles, kp.quality_by_load, kp.contact_by_age
    capacity_hours, share_admin = kp.mentors_capacity_hours, kp.mentors_share_admin
    n_slots = c.n_mentor_slots
    n_all_slots = tie_mentor.shape[1]
    assigned = c.model_code == DYAD or c.model_code == COMMITTEE
    network = c.model_code == NETWORK

    # scratch: the protege's unmet needs, the search's draws, and the protege's slots as the
    # plan so far leaves them (mentor, kind, last month's value)
    gaps = np.zeros(N_FUNCTIONS)
    picked = np.empty(c.candidates, dtype=np.int64)  # card position
    is_external = np.empty(c.candidates, dtype=np.bool_)
    picked_row = np.empty(c.candidates, dtype=np.float32)
    picked_key = np.empty(c.candidates, dtype=np.uint64)
    slot_mentor = np.empty(n_all_slots, dtype=np.int32)
    slot_kind = np.empty(n_all_slots, dtype=np.int8)
    slot_value = np.empty(n_all_slots)

    def n_mentors():
        n = 0
        for s in range(n_slots):
            if slot_mentor[s] >= 0:
                n += 1
        return n

    def has_woman_mentor():
        for s in range(n_slots):
            j = slot_mentor[s]
            if j >= 0 and female[j]:
                return True
        return False

    def free_slot():
        for s in range(n_slots):
            if slot_mentor[s] < 0:
                return s
        return -1

    def weakest_slot(skip_women):
        w = -1
        v = 1e300
        for s in range(n_slots):
            j = slot_mentor[s]
            if j >= 0 and slot_value[s] < v and not (skip_women and female[j]):
                w = s
                v = slot_value[s]
        return w, v

    def new_kind(i, j):
        """External if j is at another institution; else primary unless i has one already."""
        if institution[j] != institution[i]:
            return EXTERNAL
        for s in range(n_slots):
            if slot_mentor[s] >= 0 and slot_kind[s] == PRIMARY:
                return SECONDARY
        return PRIMARY

    def current_gaps(i):
        """Unmet need per function (this month's need, last month's support) into `gaps`; total need."""
        total = 0.0
        for f in range(N_FUNCTIONS):
            nd = need_base[i, f] + need_spike[i, f]
            gaps[f] = max(0.0, nd - support[i, f])
            total += nd
        return total

    def action(p, s, j, kind, fit, reason):
        a = plan_n[p]
        plan_slot[p, a] = s
        plan_mentor[p, a] = j
        plan_kind[p, a] = kind
        plan_fit[p, a] = fit
        plan_reason[p, a] = reason
        plan_n[p] = a + 1
        slot_mentor[s] = j
        slot_kind[s] = kind
        slot_value[s] = 0.0

    def plan_drop(p, s, reason):
        action(p, s, -1, 0, 0.0, reason)

    def plan_recruit(p, i, s, j, fit):
        """Plan j as i's mentor in slot s, first taking what j newly covers out of `gaps`."""
        kind = new_kind(i, j)
        t = expected_time(quality_by_load, capacity_hours, share_admin, c, rank[j], admin_draw[j], n_proteges[j],
                          n_trainees[j], load_weight[j], kind)
        disc = discounted(female[i], female[j])
        scale = competence_scale[j]
        for f in range(N_FUNCTIONS):
            x = new_tie_support(c, kind, fit, output(competence_profile[j, f], scale, t), disc, f)
            gaps[f] -= min(gaps[f], x)
        action(p, s, j, kind, fit, 0)

    def search(i, total_need, women_only, allow_external, by_fit, draw0):
        """Best candidate with room from a sample, by coverage gain (or research fit); -1 if none.

        Candidates are read from their cards (packed in pool order): a look costs a cache line.
        A first pass draws every candidate and loads their cards' first words, so the memory
        waits overlap; the second pass scores them in order.
        """
        key = person_key[i]
        senior_buckets = 4 if rank[i] == ASSISTANT else 2
        inst = institution[i]
        woman = female[i]
        for cand in range(c.candidates):
            h = hash3(c.mentoring_key, key, month, draw0 + cand)  # one hash, two uniforms: where, whom
            external = allow_external and to_unit32(h >> np.uint64(32)) < c.share_external
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
        for cand in range(c.candidates):
            k = picked[cand]
            if k < 0:
                continue
            external = is_external[cand]
            if external and cards[k, CARD_INSTITUTION] == inst:
                continue
            j = int(picked_row[cand])
            if j == i or not has_room(c.cap_mentees, cards[k, CARD_N_PROTEGES], cards[k, CARD_N_TRAINEES],
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
                    x = new_tie_support(c, kind, fit, output(cards[k, CARD_PROFILE + f], cards[k, CARD_SCALE], t),
                                        disc, f)
                    g += min(gaps[f], x)
                score = g / total_need if total_need > 0.0 else 0.0
            if score > best_score:
                best, best_score, best_fit = j, score, fit
        return best, best_score, best_fit

    def plan_assigned(p, i):
        """Dyad and committee: fill missing assigned mentors (at hire, or after the replacement delay)."""
        target = committee_size[i]
        n_m = n_mentors()
        total_need = current_gaps(i)
        allow_external = c.external_ties and c.model_code == COMMITTEE
        by_fit = target == 1
        draw = 0
        while n_m < target:
            want_woman = c.women_policy and female[i] and not has_woman_mentor()
            j, score, fit = search(i, total_need, want_woman, allow_external, by_fit, draw)
            draw += c.candidates
            if j < 0 and want_woman:
                j, score, fit = search(i, total_need, False, allow_external, by_fit, draw)
                draw += c.candidates
            if j < 0:
                return
            plan_recruit(p, i, free_slot(), j, fit)
            n_m += 1

    def plan_review(p, i):
        """Network: drop weak ties, add the best candidates for the least-met functions, replace if full."""
        next_search[i] = month + c.reshape_months
        total_need = current_gaps(i)
        for s in range(n_slots):
            j = slot_mentor[s]
            if j < 0:
                continue
            age = month - tie_start[i, s]
            if age >= c.reshape_months and slot_value[s] < c.drop_below:
                kind = slot_kind[s]
                factor = tie_factor_of(kind, weight_of(kind, c.w_primary, c.w_secondary, c.w_external),
                                       contact_of(contact_by_age, kind, age), tie_fit[i, s], 0.0)
                for f in range(N_FUNCTIONS):
                    gaps[f] += support_through(mentor_output[j, f], factor, c.discount, tie_discount[i, s], f)
                if age >= c.collaboration_after:
                    plan_collab[p] += 1
                plan_drop(p, s, DROPPED)
        for f in range(N_FUNCTIONS):
            gaps[f] = min(gaps[f], need_base[i, f] + need_spike[i, f])
        draw = 0
        for _ in range(c.max_new_per_search):
            j, score, fit = search(i, total_need, False, c.external_ties, False, draw)
            draw += c.candidates
            if j < 0 or score < c.drop_below:
                break
            s = free_slot()
            if s < 0:
                w, v = weakest_slot(c.women_policy and female[i])
                if w < 0 or score <= v * (1.0 + c.switch_margin):
                    break
                plan_drop(p, w, REPLACED)
                s = w
            plan_recruit(p, i, s, j, fit)
        if c.women_policy and female[i] and not has_woman_mentor():
            j, score, fit = search(i, total_need, True, c.external_ties, False, draw)
            if j >= 0:
                s = free_slot()
                if s < 0:
                    s, v = weakest_slot(True)
                    plan_drop(p, s, REPLACED)
                action(p, s, j, new_kind(i, j), fit, 0)  # the policy's mentor, without a gain update

    def plan(p, i):
        """Protege i's plan for this month at position p, on the loads as they stand (nothing if
        it is not i's turn)."""
        plan_n[p] = 0
        plan_collab[p] = 0
        if rank[i] == FULL:
            return
        if assigned:
            n_m = 0
            for s in range(n_slots):
                if tie_mentor[i, s] >= 0:
                    n_m += 1
            due = n_m < committee_size[i] and (n_ties_formed[i] == 0 or month - mentor_lost_month[i] >= c.replace_delay)
        else:
            due = network and next_search[i] <= month
        if not due:
            return
        for s in range(n_all_slots):
            slot_mentor[s] = tie_mentor[i, s]
            slot_kind[s] = tie_kind[i, s]
            slot_value[s] = tie_value[i, s]
        if assigned:
            plan_assigned(p, i)
        else:
            plan_review(p, i)

    for p in range(lo, hi):
        plan(p, active[p])


@njit(cache=True)
def apply_plans(fs, tl, kp, keys, counters, pools, plans, active, n_active, month):
    """Phase 2 of the pass, serial: the plans carried out in a rotating order; a plan whose new
    mentor has filled up meanwhile is made again on the loads of that moment."""
    c = consts(kp, keys)
    cards = pools[4]
    plan_n, plan_collab, plan_slot, plan_mentor, plan_kind, plan_fit, plan_reason = plans
    log = (tl.protege, tl.mentor, tl.kind, tl.start_month, tl.end_month, tl.end_reason)
    log_end, log_end_reason = tl.end_month, tl.end_reason
    rank, female, person_id = fs.rank, fs.female, fs.person_id
    tie_mentor, tie_kind, tie_start, tie_fit = fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit
    tie_discount, tie_log, tie_value = fs.tie_discount, fs.tie_log, fs.tie_value
    n_proteges, n_by_kind, load_weight = fs.n_proteges, fs.n_by_kind, fs.load_weight
    n_ties_formed, pool_position, max_mentees = fs.n_ties_formed, fs.pool_position, fs.max_mentees
    n_trainees, n_collaborators = fs.n_trainees, fs.n_collaborators
    n_slots = c.n_mentor_slots

    def drop(i, s, reason):
        end_tie(log_end, log_end_reason, tie_mentor, tie_kind, tie_log, tie_value, n_proteges, n_by_kind, load_weight,
                pool_position, cards, c, i, s, month, reason)

    def attach(i, s, j, kind, fit):
        """Start j's tie as i's mentor in slot s and add it to j's load (and card)."""
        add_tie(log, person_id, tie_mentor, tie_kind, tie_start, tie_fit, tie_discount, tie_log, tie_value, female,
                counters, i, s, j, kind, fit, month)
        count_tie(n_proteges, n_by_kind, load_weight, j, kind, 1, c.w_primary, c.w_secondary, c.w_external)
        n_ties_formed[i] += 1
        k = pool_position[j]
        cards[k, CARD_N_PROTEGES] = n_proteges[j]
        cards[k, CARD_LOAD_WEIGHT] = load_weight[j]

    def still_possible(p):
        """Whether every mentor the plan adds still has room."""
        for a in range(plan_n[p]):
            j = plan_mentor[p, a]
            if plan_reason[p, a] == 0 and not has_room(c.cap_mentees, n_proteges[j], n_trainees[j], max_mentees[j]):
                return False
        return True

    def carry_out(p, i):
        for a in range(plan_n[p]):
            if plan_reason[p, a] == 0:
                attach(i, plan_slot[p, a], plan_mentor[p, a], plan_kind[p, a], plan_fit[p, a])
            else:
                drop(i, plan_slot[p, a], plan_reason[p, a])
        n_collaborators[i] += plan_collab[p]

    # 2. apply, serially, in a rotating order; a plan whose new mentor has filled up is made again
    offset = int(uniform(c.mentoring_key, POPULATION_WIDE, month, 0) * n_active) if n_active > 0 else 0
    for t in range(n_active):
        p = offset + t
        if p >= n_active:
            p -= n_active
        i = active[p]
        if rank[i] == FULL:  # full professors no longer have mentors
            for s in range(n_slots):
                if tie_mentor[i, s] >= 0:
                    drop(i, s, DROPPED)
        elif plan_n[p] > 0:
            if not still_possible(p):
                plan_range(fs, kp, keys, pools, plans, active, p, p + 1, month)
            carry_out(p, i)


@njit(cache=True)
def join_peer_groups(fs, tl, ins, kp, counters, candidates, month):
    """New assistant professors join their institution's open peer group (same cohort window)."""
    log = (tl.protege, tl.mentor, tl.kind, tl.start_month, tl.end_month, tl.end_reason)
    tie_mentor, tie_kind, tie_start, tie_fit = fs.tie_mentor, fs.tie_kind, fs.tie_start, fs.tie_fit
    tie_discount, tie_log, tie_value, female = fs.tie_discount, fs.tie_log, fs.tie_value, fs.female
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
            add_tie(log, person_id, tie_mentor, tie_kind, tie_start, tie_fit, tie_discount, tie_log, tie_value,
                    female, counters, cand, sc, m, PEER, 1.0, month)
            add_tie(log, person_id, tie_mentor, tie_kind, tie_start, tie_fit, tie_discount, tie_log, tie_value,
                    female, counters, m, sm, cand, PEER, 1.0, month)
        group_members[inst, group_n[inst]] = cand
        group_member_ids[inst, group_n[inst]] = person_id[cand]
        group_n[inst] += 1
        peer_group[cand] = group_id[inst]
