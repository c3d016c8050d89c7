"""Careers: research capital, publications, grants, promotion reviews.

Research capital moves toward a target set by talent, rank, mentoring coverage (science,
skills, networking), peer collaboration, former mentors turned collaborators, the
protected time of a career-development award and an independent grant. Publications are
Poisson in capital. Grant decisions come in three cycles a year; success depends on recent
publications and on science, skills (grant writing) and networking support. Reviews come on
a clock and weigh publications, grants and career support (sponsorship); failing the last
review for associate professor means leaving where the track is up-or-out.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit, prange

from simulation.model.rng import Stream, normal, poisson_inv, uniform
from simulation.model.state import (
    ASSISTANT, ASSOCIATE, CAREER, FAILED_REVIEW, FULL, N_CAREER_YEARS, N_FUNCTIONS, NETWORKING, NEVER,
    PEER, SCIENCE, SKILLS,
)
from simulation.model.support import trainees

# The events a month's career phase counts into its events buffer, for the recorder (each named
# as the monthly series it becomes); EV.pubs, ... are their places in the buffer.
EVENTS = ("pubs", "n_applications", "n_grants_won", "n_renewals", "n_promoted_associate", "n_promoted_full",
          "n_failed_reviews")
N_EVENTS = len(EVENTS)
EV = namedtuple("CareerEvents", EVENTS)(*range(N_EVENTS))


@njit(cache=True, inline="always")
def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, inline="always")
def capital_target(kp, talent, rank_scale, cov_science, cov_skills, cov_networking, n_peers,
                   n_collaborators, on_award, has_grant, startup, care_load):
    """Research capital a person's support, collaborations and funding can sustain.

    `startup`: capital from start-up resources (in the first years); `care_load`: the share of
    research time extra caregiving takes (in the years with young children)."""
    x = (
        kp.careers_capital_base
        + kp.careers_capital_science * cov_science
        + kp.careers_capital_skills * cov_skills
        + kp.careers_capital_networking * cov_networking
        + kp.peers_collaboration_gain * min(n_peers, 3) / 3.0
        + kp.careers_capital_collaboration * min(n_collaborators, 3)
    )
    if on_award:
        x += kp.careers_capital_award
    if has_grant:
        x += kp.careers_capital_grant
    return talent * rank_scale * (x + startup) * (1.0 - care_load)


@njit(cache=True, inline="always")
def grant_success(kp, pubs_rate, cov_science, cov_skills, cov_networking):
    """Probability an independent-grant application succeeds."""
    return logistic(
        kp.grants_success_intercept
        + kp.grants_success_pubs * math.log1p(pubs_rate)
        + kp.grants_success_science * cov_science
        + kp.grants_success_skills * cov_skills
        + kp.grants_success_networking * cov_networking
    )


@njit(cache=True, inline="always")
def review_score(kp, pubs_in_rank, years_in_rank, held_grant, cov_career, noise):
    """A promotion review's score: publications per year in rank, grants, sponsorship, judgement."""
    return (
        kp.promotion_weight_pubs * pubs_in_rank / max(1.0, years_in_rank)
        + kp.promotion_weight_grant * (1.0 if held_grant else 0.0)
        + kp.promotion_weight_career * cov_career
        + kp.promotion_noise_sigma * noise
    )


@njit(cache=True)
def is_cycle_month(kp, month):
    m = month % 12
    for c in kp.grants_cycle_months:
        if c == m:
            return True
    return False


@njit(cache=True, parallel=True)
def advance_careers(fs, kp, keys, active, n_active, month, events):
    """Phase 5 for every active person; adds this month's events to the buffer `events` (EVENTS)."""
    person_key, hire_month, rank, rank_month = fs.person_key, fs.hire_month, fs.rank, fs.rank_month
    talent, capital, coverage = fs.talent, fs.capital, fs.coverage
    pubs, pubs_in_rank, pubs_rate, pubs_by_year = fs.pubs, fs.pubs_in_rank, fs.pubs_rate, fs.pubs_by_year
    tie_mentor, tie_kind, n_collaborators = fs.tie_mentor, fs.tie_kind, fs.n_collaborators
    award_end, grant_end, career_award = fs.award_end, fs.grant_end, fs.career_award
    month_first_grant, funding_gap_until = fs.month_first_grant, fs.funding_gap_until
    n_applications, n_grants, rejection_streak = fs.n_applications, fs.n_grants, fs.rejection_streak
    need_spike, need_mult = fs.need_spike, fs.need_mult
    female, care_start, care_end, care_load = fs.female, fs.care_start, fs.care_end, fs.care_load
    clock_shift = fs.clock_shift
    next_review, n_reviews, failed_review_month = fs.next_review, fs.n_reviews, fs.failed_review_month
    month_associate, month_full, exit_request = fs.month_associate, fs.month_full, fs.exit_request
    n_trainees, trainee_draw, trainee_scale = fs.n_trainees, fs.trainee_draw, fs.trainee_scale
    capital_by_rank, spike_rejection = kp.careers_capital_by_rank, kp.needs_spike_rejection
    ck, gk, pk = keys[Stream.CAREERS], keys[Stream.GRANTS], keys[Stream.PROMOTION]
    cycle = is_cycle_month(kp, month)
    rate = kp.careers_pubs_per_capital_year / 12.0
    startup_months = 12.0 * kp.startup_years
    startup_women = kp.startup_capital * kp.startup_women_ratio
    early_months = int(round(12.0 * kp.promotion_early_years))
    ewma = 1.0 / 24.0
    first_peer_slot = kp.n_mentor_slots
    n_slots = tie_mentor.shape[1]
    ev_pubs = ev_apps = ev_grants = ev_renewals = ev_assoc = ev_full = ev_failed = 0
    for ii in prange(n_active):
        i = active[ii]
        key = person_key[i]
        career_months = month - hire_month[i]

        # research capital and publications
        n_peers = 0
        for s in range(first_peer_slot, n_slots):
            if tie_mentor[i, s] >= 0 and tie_kind[i, s] == PEER:
                n_peers += 1
        startup = 0.0
        if career_months < startup_months:
            startup = startup_women if female[i] else kp.startup_capital
        caring = care_load[i] if care_start[i] <= month < care_end[i] else 0.0
        target = capital_target(kp, talent[i], capital_by_rank[rank[i]], coverage[i, SCIENCE], coverage[i, SKILLS],
                                coverage[i, NETWORKING], n_peers, n_collaborators[i], award_end[i] > month,
                                grant_end[i] > month, startup, caring)
        capital[i] += (target - capital[i]) / kp.careers_capital_months
        n_pubs = poisson_inv(uniform(ck, key, month, 0), rate * capital[i])
        pubs[i] += n_pubs
        pubs_in_rank[i] += n_pubs
        pubs_rate[i] += ewma * (12.0 * n_pubs - pubs_rate[i])
        ev_pubs += n_pubs
        if career_months > 0 and career_months % 12 == 0 and career_months <= 12 * N_CAREER_YEARS:
            pubs_by_year[i, career_months // 12 - 1] = pubs[i]

        # funding: a grant or award ending unreplaced opens a funding gap
        if grant_end[i] == month:
            if uniform(gk, key, month, 2) < kp.grants_p_renewal:
                grant_end[i] = month + kp.grants_grant_months
                n_grants[i] += 1
                ev_renewals += 1
            else:
                funding_gap_until[i] = month + kp.grants_funding_gap_months
        if career_award[i] and award_end[i] == month and grant_end[i] <= month:
            funding_gap_until[i] = month + kp.grants_funding_gap_months
        if cycle and grant_end[i] <= month and career_months >= kp.grants_min_career_months:
            p_apply = kp.grants_p_apply_award if career_award[i] else kp.grants_p_apply_other
            if female[i]:
                p_apply *= kp.grants_apply_ratio_women
            if uniform(gk, key, month, 0) < p_apply:
                n_applications[i] += 1
                ev_apps += 1
                p = grant_success(kp, pubs_rate[i], coverage[i, SCIENCE], coverage[i, SKILLS], coverage[i, NETWORKING])
                if uniform(gk, key, month, 1) < p:
                    grant_end[i] = month + kp.grants_grant_months
                    n_grants[i] += 1
                    if month_first_grant[i] == NEVER:
                        month_first_grant[i] = month
                    rejection_streak[i] = 0
                    funding_gap_until[i] = NEVER
                    ev_grants += 1
                else:
                    rejection_streak[i] += 1
                    for f in range(N_FUNCTIONS):
                        need_spike[i, f] += spike_rejection[f] * need_mult[i, f]

        # early promotion: a strong candidate, not yet reviewed in this rank, within early_years of the
        # clock, is put up now if the expected score (judgement aside) clears the bar by the margin
        if (rank[i] < FULL and n_reviews[i] == 0 and next_review[i] > month
                and next_review[i] - month <= early_months):
            expected = review_score(kp, pubs_in_rank[i], (month - rank_month[i]) / 12.0,
                                    month_first_grant[i] != NEVER, coverage[i, CAREER], 0.0)
            bar = kp.promotion_bar_associate if rank[i] == ASSISTANT else kp.promotion_bar_full
            if expected >= bar + kp.promotion_early_margin:
                next_review[i] = month

        # promotion review
        if next_review[i] == month and rank[i] < FULL:
            score = review_score(kp, pubs_in_rank[i], (month - rank_month[i]) / 12.0,
                                 month_first_grant[i] != NEVER, coverage[i, CAREER], normal(pk, key, month, 0))
            bar = kp.promotion_bar_associate if rank[i] == ASSISTANT else kp.promotion_bar_full
            if score >= bar:
                rank[i] += 1
                rank_month[i] = month
                n_trainees[i] = trainees(kp, rank[i], trainee_draw[i], trainee_scale[i])
                pubs_in_rank[i] = 0
                n_reviews[i] = 0
                if rank[i] == ASSOCIATE:
                    month_associate[i] = month
                    next_review[i] = month + int(round(12.0 * kp.promotion_review_years_full)) + clock_shift[i]
                    ev_assoc += 1
                else:
                    month_full[i] = month
                    next_review[i] = NEVER
                    ev_full += 1
            else:
                n_reviews[i] += 1
                failed_review_month[i] = month
                ev_failed += 1
                if n_reviews[i] >= kp.promotion_max_reviews:
                    next_review[i] = NEVER
                    if rank[i] == ASSISTANT and kp.promotion_up_or_out:
                        exit_request[i] = FAILED_REVIEW
                else:
                    next_review[i] = month + int(round(12.0 * kp.promotion_re_review_years))
    events[EV.pubs] += ev_pubs
    events[EV.n_applications] += ev_apps
    events[EV.n_grants_won] += ev_grants
    events[EV.n_renewals] += ev_renewals
    events[EV.n_promoted_associate] += ev_assoc
    events[EV.n_promoted_full] += ev_full
    events[EV.n_failed_reviews] += ev_failed
