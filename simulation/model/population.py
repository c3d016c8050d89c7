"""Institutions, the initial population and new hires.

A person's traits are drawn from the TRAITS stream keyed by their `person_key`, so the
same person is the same in every scenario. The initial population is person 0..n-1; the
k-th hire of institution i has key (i + 1) << 40 | k, whatever month they are hired in.
Each institution owns a block of rows (its positions); a hire takes a vacant row of the
institution's block, the lowest first.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.model.mentoring import at_hire as mentoring_at_hire
from simulation.model.needs import stage_target
from simulation.model.rng import FIXED, Stream, gamma, normal, uniform
from simulation.model.state import ACTIVE, ASSISTANT, ASSOCIATE, FULL, N_FUNCTIONS, N_PEOPLE, NEVER, VACANT
from simulation.model.support import competence_scale, trainees

HIRE_KEY_SHIFT = 40


@njit(cache=True)
def institution_sizes(key, n_faculty, n_institutions, cv, min_size):
    """Positions per institution: lognormal with the given CV, summing to n_faculty."""
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    raw = np.empty(n_institutions)
    for i in range(n_institutions):
        raw[i] = math.exp(sigma * normal(key, i, 0, 0))
    free = n_faculty - min_size * n_institutions
    sizes = np.empty(n_institutions, dtype=np.int32)
    share = raw / raw.sum()
    total = 0
    for i in range(n_institutions):
        sizes[i] = min_size + int(np.floor(share[i] * free))
        total += sizes[i]
    # hand out the rounding remainder to the largest institutions first
    order = np.argsort(-share)
    k = 0
    while total < n_faculty:
        sizes[order[k % n_institutions]] += 1
        total += 1
        k += 1
    return sizes


@njit(cache=True)
def first_review(kp, rank, rank_month, month, shift, extension, care_start):
    """Month of the next promotion review for someone in `rank` since `rank_month`, and reviews already past.

    The clock is the rank's nominal years plus this person's `shift` (months); an assistant whose
    years with young children begin before the review has it moved by their clock `extension`."""
    if rank == FULL:
        return NEVER, 0
    years = kp.promotion_review_years_associate if rank == ASSISTANT else kp.promotion_review_years_full
    review = rank_month + int(round(12.0 * years)) + shift
    if rank == ASSISTANT and care_start != NEVER and care_start < review:
        review += extension
    n_past = 0
    step = int(round(12.0 * kp.promotion_re_review_years))
    while review < month:
        review += step
        n_past += 1
    if n_past >= kp.promotion_max_reviews:
        return NEVER, kp.promotion_max_reviews
    return review, n_past


@njit(cache=True)
def init_person(fs, kp, keys, row, person_id, person_key, inst, rank, hire_month, rank_month, month, initial,
                p_female, p_award):
    """Fill a vacant row for a new person: fixed traits from the TRAITS stream, state at `month`."""
    tk = keys[Stream.TRAITS]
    fs.person_id[row] = person_id
    fs.person_key[row] = person_key
    fs.institution[row] = inst
    fs.female[row] = uniform(tk, person_key, 0, 0) < p_female
    fs.hire_month[row] = hire_month
    fs.initial[row] = initial
    award = uniform(tk, person_key, 1, 0) < p_award
    fs.career_award[row] = award
    z = normal(tk, person_key, 2, 0) + (kp.careers_career_award_talent if award else 0.0)
    s = kp.careers_talent_sigma
    fs.talent[row] = math.exp(s * z - 0.5 * s * s)
    total = 0.0
    for f in range(N_FUNCTIONS):
        sn = kp.needs_individual_sigma
        fs.need_mult[row, f] = math.exp(sn * normal(tk, person_key, 3, f) - 0.5 * sn * sn)
        g = gamma(tk, person_key, 4, f, kp.mentors_concentration)
        fs.competence_profile[row, f] = g
        total += g
    for f in range(N_FUNCTIONS):
        fs.competence_profile[row, f] = N_FUNCTIONS * fs.competence_profile[row, f] / total
    ss = kp.mentors_skill_sigma
    fs.mentor_skill[row] = math.exp(ss * normal(tk, person_key, 5, 0) - 0.5 * ss * ss)
    fs.admin_draw[row] = uniform(tk, person_key, 6, 0)
    fs.trainee_draw[row] = uniform(tk, person_key, 7, 0)
    k = kp.mentors_trainees_dispersion
    fs.trainee_scale[row] = gamma(tk, person_key, 9, 0, k) / k
    fs.max_mentees[row] = kp.mentors_max_mentees_median * math.exp(
        kp.mentors_max_mentees_sigma * normal(tk, person_key, 8, 0)
    )
    # the mentoring model's set-up of the state it owns (mentors assigned, a first review; MENTORING stream)
    mentoring_at_hire(kp.model_code, fs, kp, keys[Stream.MENTORING], row, person_key, month, initial)

    fs.rank[row] = rank
    fs.rank_month[row] = rank_month
    fs.n_trainees[row] = trainees(kp, rank, fs.trainee_draw[row], fs.trainee_scale[row])
    fs.competence_scale[row] = competence_scale(kp, fs.mentor_skill[row], kp.mentors_competence_by_rank[rank],
                                                month - hire_month)
    if rank >= ASSOCIATE:
        fs.month_associate[row] = (rank_month if rank == ASSOCIATE
                                   else rank_month - int(12 * kp.promotion_review_years_full))
    if rank == FULL:
        fs.month_full[row] = rank_month
    # caregiving (TRAITS stream): whether the early career has years with young children, when they
    # begin, and the share of research time the extra caregiving hours take; women and men differ
    # only through caregiving.extra_hours_* and extension_share_* (the draws are the same)
    if uniform(tk, person_key, 10, 0) < kp.caregiving_share_parents:
        lo, hi = kp.caregiving_start_years[0], kp.caregiving_start_years[1]
        start = hire_month + int(round(12.0 * (lo + (hi - lo) * uniform(tk, person_key, 10, 1))))
        fs.care_start[row] = start
        fs.care_end[row] = start + int(round(12.0 * kp.caregiving_years))
        extra = kp.caregiving_extra_hours_women if fs.female[row] else kp.caregiving_extra_hours_men
        fs.care_load[row] = min(0.9, extra / kp.caregiving_research_hours)
    # the promotion clock (PROMOTION stream): spread around the nominal years; a parent's clock may be
    # extended (TRAITS stream)
    pk = keys[Stream.PROMOTION]
    shift = int(round(12.0 * kp.promotion_clock_spread_years * (2.0 * uniform(pk, person_key, FIXED, 0) - 1.0)))
    fs.clock_shift[row] = shift
    extension = 0
    if fs.care_start[row] != NEVER:
        share = kp.caregiving_extension_share_women if fs.female[row] else kp.caregiving_extension_share_men
        if uniform(tk, person_key, 10, 2) < share:
            extension = int(round(12.0 * kp.caregiving_extension_years))
    review, n_past = first_review(kp, rank, rank_month, month, shift, extension, fs.care_start[row])
    fs.next_review[row] = review
    fs.n_reviews[row] = n_past
    fs.status[row] = 0
    review_months = 12.0 * kp.promotion_review_years_associate
    for f in range(N_FUNCTIONS):
        fs.need_base[row, f] = stage_target(kp.need_profiles, review_months, rank, month - rank_month, f) \
            * fs.need_mult[row, f]
    # research: capital starts at its unsupported level; past output for the initial population
    cap0 = fs.talent[row] * kp.careers_capital_base * kp.careers_capital_by_rank[rank]
    fs.capital[row] = cap0
    fs.pubs_rate[row] = cap0 * kp.careers_pubs_per_capital_year
    years = (month - hire_month) / 12.0
    fs.pubs[row] = int(round(fs.pubs_rate[row] * years))
    fs.pubs_in_rank[row] = int(round(fs.pubs_rate[row] * (month - rank_month) / 12.0))
    if award:
        fs.award_end[row] = hire_month + kp.grants_career_award_months


@njit(cache=True)
def draw_initial(keys, kp, sizes):
    """Rank, hire month and rank month of the initial population (POPULATION stream)."""
    pk = keys[Stream.POPULATION]
    n = sizes.sum()
    inst = np.empty(n, dtype=np.int32)
    rank = np.empty(n, dtype=np.int8)
    hire_month = np.empty(n, dtype=np.int32)
    rank_month = np.empty(n, dtype=np.int32)
    p_female = np.empty(n)
    p = 0
    for i in range(sizes.shape[0]):
        for _ in range(sizes[i]):
            inst[p] = i
            u = uniform(pk, p, 1, 0)
            r = ASSISTANT
            if u >= kp.population_share_rank[0]:
                r = ASSOCIATE
            if u >= kp.population_share_rank[0] + kp.population_share_rank[1]:
                r = FULL
            rank[p] = r
            lo = kp.population_career_years_min[r]
            hi = kp.population_career_years_max[r]
            years = lo + (hi - lo) * uniform(pk, p, 2, 0)
            career = int(12.0 * years)
            hire_month[p] = -career
            # months in rank: associates were promoted 5-7 years in; full professors 11-14
            if r == ASSISTANT:
                in_rank = career
            else:
                span = kp.population_years_to_associate if r == ASSOCIATE else kp.population_years_to_full
                promoted_at = span[0] + (span[1] - span[0]) * uniform(pk, p, 3, 0)
                in_rank = max(0, career - int(12.0 * promoted_at))
            rank_month[p] = -in_rank
            p_female[p] = kp.population_share_women[r]
            p += 1
    return inst, rank, hire_month, rank_month, p_female


@njit(cache=True)
def add_initial(fs, ins, kp, keys, counters, inst, rank, hire_month, rank_month, p_female):
    """Fill the initial population's rows (person p in row p: the blocks are in institution order)."""
    n = inst.shape[0]
    for p in range(n):
        init_person(fs, kp, keys, p, p, np.uint64(p), inst[p], rank[p], hire_month[p],
                    rank_month[p], 0, True, p_female[p], kp.hiring_share_career_award)
        ins.n_active[inst[p]] += 1
    counters[N_PEOPLE] = n


@njit(cache=True)
def hire(fs, ins, kp, keys, counters, month, vacancies, hired):
    """Fill each institution's vacancies with new assistant professors; their rows go to `hired`.

    Returns how many were hired. Vacant rows are taken lowest first within each block.
    """
    status = fs.status
    n = 0
    for i in range(vacancies.shape[0]):
        left = vacancies[i]
        row = ins.first_row[i]
        end = row + ins.target_size[i]
        while left > 0 and row < end:
            if status[row] == VACANT:
                seq = ins.hire_seq[i]
                ins.hire_seq[i] = seq + 1
                key = (np.uint64(i + 1) << np.uint64(HIRE_KEY_SHIFT)) | np.uint64(seq)
                init_person(fs, kp, keys, row, counters[N_PEOPLE], key, i, ASSISTANT, month, month, month, False,
                            kp.hiring_share_women, kp.hiring_share_career_award)
                counters[N_PEOPLE] += 1
                ins.n_active[i] += 1
                hired[n] = row
                n += 1
                left -= 1
            row += 1
    return n


@njit(cache=True)
def active_rows(status, active):
    """The occupied rows, in row order, into `active`; returns how many."""
    n = 0
    for row in range(status.shape[0]):
        if status[row] == ACTIVE:
            active[n] = row
            n += 1
    return n
