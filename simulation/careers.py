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

import numpy as np
from numba import njit, prange

from .rng import Stream, normal, poisson_inv, uniform
from .state import (
    ASSISTANT, ASSOCIATE, CAREER, FAILED_REVIEW, FULL, N_CAREER_YEARS, N_FUNCTIONS, NETWORKING, NEVER, PEER,
    SCIENCE, SKILLS,
)

# event counters a month's career phase returns
(EV_PUBS, EV_APPLICATIONS, EV_GRANTS, EV_RENEWALS, EV_PROMOTED_ASSOCIATE, EV_PROMOTED_FULL,
 EV_FAILED_REVIEWS) = range(7)
N_EVENTS = 7


@njit(cache=True, inline="always")
def n_peers(fs, kp, i):
    n = 0
    for s in range(kp.n_mentor_slots, fs.tie_mentor.shape[1]):
        if fs.tie_mentor[i, s] >= 0 and fs.tie_kind[i, s] == PEER:
            n += 1
    return n


@njit(cache=True, inline="always")
def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True)
def capital_target(fs, kp, i, month):
    cov = fs.coverage
    x = (
        kp.careers_capital_base
        + kp.careers_capital_science * cov[i, SCIENCE]
        + kp.careers_capital_skills * cov[i, SKILLS]
        + kp.careers_capital_networking * cov[i, NETWORKING]
        + kp.peers_collaboration_gain * min(n_peers(fs, kp, i), 3) / 3.0
        + kp.careers_capital_collaboration * min(fs.n_collaborators[i], 3)
    )
    if fs.award_end[i] > month:
        x += kp.careers_capital_award
    if fs.grant_end[i] > month:
        x += kp.careers_capital_grant
    return fs.talent[i] * kp.careers_capital_by_rank[fs.rank[i]] * x


@njit(cache=True)
def is_cycle_month(kp, month):
    m = month % 12
    for c in kp.grants_cycle_months:
        if c == m:
            return True
    return False


@njit(cache=True)
def advance_careers(fs, kp, keys, active, n_active, month, events):
    """Phase 5 for every active person; adds this month's events to `events`."""
    ck = keys[Stream.CAREERS]
    gk = keys[Stream.GRANTS]
    pk = keys[Stream.PROMOTION]
    cycle = is_cycle_month(kp, month)
    rate = kp.careers_pubs_per_capital_year / 12.0
    ewma = 1.0 / 24.0
    ev_pubs = ev_apps = ev_grants = ev_renewals = ev_assoc = ev_full = ev_failed = 0
    for ii in prange(n_active):
        i = active[ii]
        key = fs.person_key[i]
        career_months = month - fs.hire_month[i]

        # research capital and publications
        fs.capital[i] += (capital_target(fs, kp, i, month) - fs.capital[i]) / kp.careers_capital_months
        n_pubs = poisson_inv(uniform(ck, key, month, 0), rate * fs.capital[i])
        fs.pubs[i] += n_pubs
        fs.pubs_in_rank[i] += n_pubs
        fs.pubs_rate[i] += ewma * (12.0 * n_pubs - fs.pubs_rate[i])
        ev_pubs += n_pubs
        if career_months > 0 and career_months % 12 == 0 and career_months <= 12 * N_CAREER_YEARS:
            fs.pubs_by_year[i, career_months // 12 - 1] = fs.pubs[i]

        # funding: a grant or award ending unreplaced opens a funding gap
        if fs.grant_end[i] == month:
            if uniform(gk, key, month, 2) < kp.grants_p_renewal:
                fs.grant_end[i] = month + kp.grants_grant_months
                fs.n_grants[i] += 1
                ev_renewals += 1
            else:
                fs.funding_gap_until[i] = month + kp.grants_funding_gap_months
        if fs.career_award[i] and fs.award_end[i] == month and fs.grant_end[i] <= month:
            fs.funding_gap_until[i] = month + kp.grants_funding_gap_months
        if cycle and fs.grant_end[i] <= month and career_months >= kp.grants_min_career_months:
            p_apply = kp.grants_p_apply_award if fs.career_award[i] else kp.grants_p_apply_other
            if uniform(gk, key, month, 0) < p_apply:
                fs.n_applications[i] += 1
                ev_apps += 1
                x = (
                    kp.grants_success_intercept
                    + kp.grants_success_pubs * np.log1p(fs.pubs_rate[i])
                    + kp.grants_success_science * fs.coverage[i, SCIENCE]
                    + kp.grants_success_skills * fs.coverage[i, SKILLS]
                    + kp.grants_success_networking * fs.coverage[i, NETWORKING]
                )
                if uniform(gk, key, month, 1) < logistic(x):
                    fs.grant_end[i] = month + kp.grants_grant_months
                    fs.n_grants[i] += 1
                    if fs.month_first_grant[i] == NEVER:
                        fs.month_first_grant[i] = month
                    fs.rejection_streak[i] = 0
                    fs.funding_gap_until[i] = NEVER
                    ev_grants += 1
                else:
                    fs.rejection_streak[i] += 1
                    for f in range(N_FUNCTIONS):
                        fs.need_spike[i, f] += kp.needs_spike_rejection[f] * fs.need_mult[i, f]

        # promotion review
        if fs.next_review[i] == month and fs.rank[i] < FULL:
            years = max(1.0, (month - fs.rank_month[i]) / 12.0)
            held_grant = 1.0 if fs.month_first_grant[i] != NEVER else 0.0
            score = (
                kp.promotion_weight_pubs * fs.pubs_in_rank[i] / years
                + kp.promotion_weight_grant * held_grant
                + kp.promotion_weight_career * fs.coverage[i, CAREER]
                + kp.promotion_noise_sigma * normal(pk, key, month, 0)
            )
            bar = kp.promotion_bar_associate if fs.rank[i] == ASSISTANT else kp.promotion_bar_full
            if score >= bar:
                fs.rank[i] += 1
                fs.rank_month[i] = month
                fs.pubs_in_rank[i] = 0
                fs.n_reviews[i] = 0
                if fs.rank[i] == ASSOCIATE:
                    fs.month_associate[i] = month
                    fs.next_review[i] = month + int(round(12.0 * kp.promotion_review_years_full))
                    ev_assoc += 1
                else:
                    fs.month_full[i] = month
                    fs.next_review[i] = NEVER
                    ev_full += 1
            else:
                fs.n_reviews[i] += 1
                fs.failed_review_month[i] = month
                ev_failed += 1
                if fs.n_reviews[i] >= kp.promotion_max_reviews:
                    fs.next_review[i] = NEVER
                    if fs.rank[i] == ASSISTANT and kp.promotion_up_or_out:
                        fs.exit_request[i] = FAILED_REVIEW
                else:
                    fs.next_review[i] = month + int(round(12.0 * kp.promotion_re_review_years))
    events[EV_PUBS] += ev_pubs
    events[EV_APPLICATIONS] += ev_apps
    events[EV_GRANTS] += ev_grants
    events[EV_RENEWALS] += ev_renewals
    events[EV_PROMOTED_ASSOCIATE] += ev_assoc
    events[EV_PROMOTED_FULL] += ev_full
    events[EV_FAILED_REVIEWS] += ev_failed
