"""Candidate pools and cards: who a protege can find, and what the search reads about them.

Senior candidates are drawn from per-institution pools rebuilt each month (at the start of
the ties phase, before any tie changes), bucketed by rank and gender: [full W, full M,
associate W, associate M, assistant W, assistant M]. Only the mentoring package reads the
pools and cards: when a tie starts or ends in the mentoring pass, the mentor's card is
updated (`note_load`); ties ended by other phases need not, as the cards are rebuilt before
they are read again.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from simulation.model.state import ASSISTANT, N_FUNCTIONS, aligned_zeros

N_BUCKETS = 6


# a candidate's card: what the search reads about a senior, packed in pool order so that
# looking at a random candidate costs one cache line (16 float32), not a dozen
(CARD_N_PROTEGES, CARD_N_TRAINEES, CARD_MAX_MENTEES, CARD_LOAD_WEIGHT, CARD_RANK, CARD_ADMIN,
 CARD_INSTITUTION, CARD_FEMALE, CARD_SCALE, CARD_PROFILE) = range(10)
CARD_ROW = CARD_PROFILE + N_FUNCTIONS  # the candidate's row (exact in float32 below 2**24 rows)
CARD_WIDTH = 16  # 64 bytes: one cache line (the arrays are 64-byte aligned)
assert CARD_ROW < CARD_WIDTH


Pools = namedtuple("Pools", (
    "local_ptr",  # start of each (institution, bucket) in the local pool, and the end
    "local_rows",  # the local pool: active rows by (institution, bucket)
    "global_ptr",  # start of each bucket in the global pool, and the end
    "global_positions",  # the global pool: positions in the local pool, by bucket
    "cards",  # the seniors' cards, in local pool order (one cache line each)
    "card_keys",  # the candidates' person keys, in local pool order
    "pool_position",  # by row: position in the local pool (its card), -1 if none
))


def new_pools(n_institutions: int, n_positions: int) -> Pools:
    """The pools' arrays (allocated once per model; `build_pools` fills them each month).

    Parameters
    ----------
    n_institutions : int
        Institutions in the model.
    n_positions : int
        Faculty positions (rows) in the model.

    Returns
    -------
    Pools
        A named tuple of arrays (its fields are described where `Pools` is declared).
    """
    return Pools(
        local_ptr=np.zeros(n_institutions * N_BUCKETS + 1, dtype=np.int64),
        local_rows=np.zeros(n_positions, dtype=np.int32),
        global_ptr=np.zeros(N_BUCKETS + 1, dtype=np.int64),
        global_positions=np.zeros(n_positions, dtype=np.int32),
        cards=aligned_zeros((n_positions, CARD_WIDTH), np.float32),
        card_keys=np.zeros(n_positions, dtype=np.uint64),
        pool_position=np.full(n_positions, -1, dtype=np.int32),
    )


def pools_bytes_per_position() -> int:
    """Bytes of the pools' arrays per position (for the memory estimate; the pointers are few)."""
    return 4 + 4 + 4 * CARD_WIDTH + 8 + 4


@njit(cache=True, inline="always")
def bucket(rank, female):
    """Pool bucket: full W, full M, associate W, associate M, assistant W, assistant M."""
    return (2 - rank) * 2 + (0 if female else 1)


@njit(cache=True, parallel=True)
def build_pools(fs, ins, local_ptr, local_rows, global_ptr, global_positions, cards, card_keys, pool_position):
    """Active faculty sorted by (institution, bucket), and by bucket overall; the seniors' cards.

    The local pool lists rows; the global pool lists positions in the local pool (so an
    external candidate's card is one lookup away); `pool_position` gives each active row's
    position in the local pool (its card). Institutions are sorted in parallel: each owns a
    block of rows, and every offset is fixed before the blocks are filled.
    """
    rank, female, status = fs.rank, fs.female, fs.status
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


@njit(cache=True, inline="always")
def note_load(cards, pool_position, n_proteges, load_weight, j):
    """Copy mentor j's new load into j's card (after a tie of theirs starts or ends)."""
    k = pool_position[j]
    if k >= 0 and k < cards.shape[0]:
        cards[k, CARD_N_PROTEGES] = n_proteges[j]
        cards[k, CARD_LOAD_WEIGHT] = load_weight[j]
