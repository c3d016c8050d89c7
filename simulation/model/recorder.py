"""Observation: what a run records, kept apart from what advances the model.

The model advances; the recorder observes. Each month, after the model's step, the recorder's
kernel reads the model's state and this month's events (hires, exits by reason and the career
events, which the phases count into the model's events buffers) and writes one row of
model-level quantities (declared once in `SERIES`; their columns in the row are generated from
that list) and adds to each protege's and mentor's running summaries. The summaries are the
observation columns (`state.OBSERVATION_COLUMNS`): a table the recorder owns, one row per
faculty position, archived with the leavers' faculty rows. No phase of the model reads or
writes them. At the end the recorder turns state, observation, series and tie log into three
tables: the monthly series, one row per person ever present, one row per tie.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pandas as pd
from numba import njit, prange

from simulation.model.careers import EVENTS
from simulation.config.params import FUNCTIONS, RANKS, STAGES
from simulation.model.state import (
    ASSOCIATE, EXIT_REASONS, FAILED_REVIEW, FULL, LEFT, N_CAREER_YEARS, N_FUNCTIONS, NEVER,
    OBSERVATION_COLUMNS, PEER, RETIRED, TIE_END_REASONS, TIE_KINDS, ObservationTuple, Table, archive_observation,
)
from simulation.model.support import unmet_share


SERIES: tuple[tuple[str, str], ...] = (
    ("n_active", "active faculty"),
    ("n_assistant_women", "active women assistant professors"),
    ("n_assistant_men", "active men assistant professors"),
    ("n_associate_women", "active women associate professors"),
    ("n_associate_men", "active men associate professors"),
    ("n_full_women", "active women full professors"),
    ("n_full_men", "active men full professors"),
    ("n_hired", "assistant professors hired this month"),
    ("n_left", "left academia this month"),
    ("n_failed_review", "left after a failed review this month"),
    ("n_retired", "retired this month"),
    ("n_proteges", "active assistant and associate professors"),
    ("mean_mentors", "mentors (not peers) per protege"),
    ("share_no_mentor", "proteges without a mentor"),
    ("share_multiple_mentors", "proteges with more than one mentor"),
    ("mean_peers", "peers per protege"),
    ("share_women_with_woman_mentor", "women proteges with at least one woman mentor"),
    ("share_hole", "proteges with at least one badly uncovered function"),
    ("share_all_covered", "proteges with every function at least `recording.covered_threshold` covered"),
    ("mean_unmet", "unmet need of proteges, as a share of a new assistant professor's need"),
    *(
        (f"{kind}_{stage}_{f}", f"mean {kind} in {f}, {stage.replace('_', ' ')} professors")
        for stage in STAGES for kind in ("coverage", "need") for f in FUNCTIONS
    ),
    *((f"mean_load_{r}", f"mean mentees of all kinds, {r} professors") for r in RANKS),
    *((f"mean_proteges_{r}", f"mean faculty proteges, {r} professors") for r in RANKS),
    ("load_p25", "25th percentile (mid-distribution) of mentees of all kinds, among faculty with any"),
    ("load_median", "median (mid-distribution) of mentees of all kinds, among faculty with any"),
    ("load_p75", "75th percentile (mid-distribution) of mentees of all kinds, among faculty with any"),
    ("share_seniors_overloaded", "associate and full professors past the comfortable load"),
    ("share_seniors_strong_all", "associate and full professors strong in all five functions"),
    ("mean_hours_per_protege", "mentoring hours a month per primary-weight protege, among mentors"),
    ("pubs", "publications this month"),
    ("n_grant_holders", "active faculty holding an independent grant"),
    ("n_award_holders", "active faculty on a career-development award"),
    ("n_applications", "independent-grant applications this month"),
    ("n_grants_won", "new independent grants this month"),
    ("n_renewals", "grants renewed this month"),
    ("n_promoted_associate", "promotions to associate this month"),
    ("n_promoted_full", "promotions to full this month"),
    ("n_failed_reviews", "failed promotion reviews this month"),
    ("mean_satisfaction", "mean satisfaction of active faculty"),
    ("n_mentor_ties", "active mentor (not peer) ties"),
)
SERIES_NAMES = tuple(name for name, _ in SERIES)
N_SERIES = len(SERIES_NAMES)
# Each series' column in a row, generated from SERIES: S.n_active, S.pubs, ... (the kernels read
# these as constants). Groups of series the kernel fills from one array are found by name, so
# their order in SERIES is free.
SeriesIndex = namedtuple("SeriesIndex", SERIES_NAMES)
S = SeriesIndex(*range(N_SERIES))
# head counts by rank and gender: women at 2 x rank, men next
IX_RANK_GENDER = np.array([getattr(S, f"n_{r}_{g}") for r in RANKS for g in ("women", "men")])
IX_LOAD_RANK = np.array([getattr(S, f"mean_load_{r}") for r in RANKS])
IX_PROTEGES_RANK = np.array([getattr(S, f"mean_proteges_{r}") for r in RANKS])
# by stage: coverage per function, then need per function
IX_STAGE = np.array([[getattr(S, f"{kind}_{stage}_{f}") for kind in ("coverage", "need") for f in FUNCTIONS]
                     for stage in STAGES])
# shares and means over all proteges
IX_PER_PROTEGE = np.array([S.mean_mentors, S.share_no_mentor, S.share_multiple_mentors, S.mean_peers, S.share_hole,
                           S.share_all_covered, S.mean_unmet])
# this month's events: exits by reason code (state.EXIT_REASONS), and the career phase's events
# (careers.EVENTS, named as their series)
EXIT_SERIES = {LEFT: "n_left", FAILED_REVIEW: "n_failed_review", RETIRED: "n_retired"}
IX_EXITS = np.array([getattr(S, EXIT_SERIES[code]) if code in EXIT_SERIES else -1
                     for code in range(len(EXIT_REASONS))])
IX_EVENTS = np.array([getattr(S, name) for name in EVENTS])
N_LOAD_BINS = 128

# the recorder's place after the model's phases (mesa_model.PHASES), for the ODD's phase table:
# name, kernels, what it does, what it reads, what it writes
RECORD_PHASE = ("record", "Recorder.record, state.archive_observation, recorder.record_month",
                ("archives the leavers' observation rows; writes one row of the monthly series and adds to each "
                 "person's running summaries (outside the model: observing does not change the state)"),
                ("the faculty columns and tie slots; this month's hires, exits by reason, career events and "
                 "mentor losses"),
                "the monthly series; the observation columns and their archive")


@njit(cache=True)
def _quantile_from_hist(hist, total, q):
    """Mid-distribution quantile of integer counts (Parzen): interpolates between the points
    (k, F(k) - f(k)/2), so it moves smoothly with the distribution instead of jumping by whole mentees."""
    prev_k = -1.0
    prev_g = 0.0
    acc = 0.0
    for k in range(hist.shape[0]):
        if hist[k] <= 0:
            continue
        f = hist[k] / total
        g = acc + 0.5 * f
        if g >= q:
            if prev_k < 0:
                return float(k)
            return prev_k + (k - prev_k) * (q - prev_g) / (g - prev_g)
        acc += f
        prev_k = float(k)
        prev_g = g
    return prev_k


MAX_CHUNKS = 64
CHUNK_SIZE = 4096  # chunks depend on the data only, so sums come out the same for any number of threads
(C_STAGE, C_RANK, C_WOMEN_PROTEGES, C_MENTORING, C_SENIORS, C_HOURS) = (0, 3, 6, 7, 8, 9)
N_COUNTS = 10


@njit(cache=True, parallel=True)
def record_month(fs, ob, kp, active, n_active, month, row, n_hired, exits, events, losses):
    """Phase 7: one row of the monthly series, and each person's running summaries.

    Reads the faculty columns `fs` and this month's events (`n_hired`, `exits` by reason code,
    the career phase's `events`, the exits phase's `losses`, which hold this month's losses when
    anyone left); writes only `row` and the observation columns `ob`.
    Active people are split into chunks (their number set by the head count, not the threads)
    summed in a fixed order, so the row is bit-identical for any number of threads.
    """
    rank, female, rank_month = fs.rank, fs.female, fs.rank_month
    n_proteges, n_trainees, tpw = fs.n_proteges, fs.n_trainees, fs.time_per_weight
    profile, scale, satisfaction = fs.competence_profile, fs.competence_scale, fs.satisfaction
    grant_end, award_end, career_award = fs.grant_end, fs.award_end, fs.career_award
    tie_mentor, tie_kind, coverage = fs.tie_mentor, fs.tie_kind, fs.coverage
    need_base, need_spike, quality = fs.need_base, fs.need_spike, fs.quality
    mentor_months, sum_load, no_mentor_months = ob.mentor_months, ob.sum_load, ob.no_mentor_months
    sum_hours, sum_quality = ob.sum_hours, ob.sum_quality
    n_mentor_losses, value_lost, support_share_lost = ob.n_mentor_losses, ob.value_lost, ob.support_share_lost
    woman_mentor_months, hole_months, sum_coverage = ob.woman_mentor_months, ob.hole_months, ob.sum_coverage
    obs_months, sum_unmet, sum_mentors, sum_peers, max_mentors = (
        ob.obs_months, ob.sum_unmet, ob.sum_mentors, ob.sum_peers, ob.max_mentors)
    n_slots = tie_mentor.shape[1]
    anyone_left = exits.sum() > 0  # the exits phase cut ties (and wrote `losses`) only then
    review_months = 12.0 * kp.promotion_review_years_associate
    strong = kp.mentors_strong_threshold
    n_chunks = min(MAX_CHUNKS, max(1, n_active // CHUNK_SIZE))
    partial = np.zeros((n_chunks, N_SERIES))
    hists = np.zeros((n_chunks, N_LOAD_BINS))
    counts = np.zeros((n_chunks, N_COUNTS))
    hole_threshold, hole_min_need = kp.recording_hole_threshold, kp.recording_hole_min_need
    covered_threshold, comfortable = kp.recording_covered_threshold, kp.mentors_comfortable_load
    w_primary = kp.mentoring_weight_primary
    for c in prange(n_chunks):
        acc = partial[c]
        hist = hists[c]
        cnt = counts[c]
        # sums in locals, written to the chunk's row once: chunks' rows share cache lines, and
        # adding to them person by person makes the threads fight over those lines (with two
        # threads this pass ran about a quarter slower, measured); same order, same sums
        by_rank_gender = np.zeros(6)
        load_by_rank = np.zeros(3)
        proteges_by_rank = np.zeros(3)
        by_stage = np.zeros((3, 2 * N_FUNCTIONS))
        n_stage = np.zeros(3)
        n_rank = np.zeros(3)
        n_mentoring = hours = n_seniors = overloaded = strong_all = sat = grant_holders = award_holders = 0.0
        n_prot = mentors = peers = no_mentor = multi = n_women_prot = woman_mentor = all_cov = holes = unmet = 0.0
        nd = np.empty(N_FUNCTIONS)
        for ii in range(c * n_active // n_chunks, (c + 1) * n_active // n_chunks):
            i = active[ii]
            for s in range(n_slots if anyone_left else 0):  # mentors lost, slot by slot as the exits phase cut them
                if not np.isnan(losses[i, s, 0]):
                    n_mentor_losses[i] += 1
                    value_lost[i] += losses[i, s, 0]
                    support_share_lost[i] += losses[i, s, 1]
            r = rank[i]
            by_rank_gender[2 * r + (0 if female[i] else 1)] += 1
            n_rank[r] += 1
            load = n_proteges[i] + n_trainees[i]
            load_by_rank[r] += load
            proteges_by_rank[r] += n_proteges[i]
            if load > 0:
                hist[min(load, N_LOAD_BINS - 1)] += 1
            if n_proteges[i] > 0:
                n_mentoring += 1
                hours += tpw[i] * w_primary
                mentor_months[i] += 1
                sum_load[i] += load
                sum_hours[i] += tpw[i] * w_primary
                sum_quality[i] += quality[i]
            if r >= ASSOCIATE:
                n_seniors += 1
                if load > comfortable:
                    overloaded += 1
                weakest = profile[i, 0]
                for f in range(1, N_FUNCTIONS):
                    weakest = min(weakest, profile[i, f])
                if weakest * scale[i] >= strong:
                    strong_all += 1
            sat += satisfaction[i]
            if grant_end[i] > month:
                grant_holders += 1
            if career_award[i] and award_end[i] > month:
                award_holders += 1
            if r == FULL:
                continue

            # a protege
            n_m = 0
            n_p = 0
            woman = False
            for s in range(n_slots):
                j = tie_mentor[i, s]
                if j < 0:
                    continue
                if tie_kind[i, s] == PEER:
                    n_p += 1
                else:
                    n_m += 1
                    if female[j]:
                        woman = True
            n_prot += 1
            mentors += n_m
            peers += n_p
            if n_m == 0:
                no_mentor += 1
                no_mentor_months[i] += 1
            if n_m > 1:
                multi += 1
            if female[i]:
                n_women_prot += 1
                if woman:
                    woman_mentor += 1
            if woman:
                woman_mentor_months[i] += 1
            hole = False
            all_covered = True
            for f in range(N_FUNCTIONS):
                nd[f] = need_base[i, f] + need_spike[i, f]
                cov = coverage[i, f]
                if nd[f] >= hole_min_need and cov < hole_threshold:
                    hole = True
                if cov < covered_threshold:
                    all_covered = False
            u = unmet_share(kp, need_base, need_spike, coverage, i)
            if all_covered:
                all_cov += 1
            if hole:
                holes += 1
                hole_months[i] += 1
            unmet += u
            stage = 2 if r == ASSOCIATE else (0 if month - rank_month[i] < 0.5 * review_months else 1)
            n_stage[stage] += 1
            for f in range(N_FUNCTIONS):
                by_stage[stage, f] += coverage[i, f]
                by_stage[stage, N_FUNCTIONS + f] += nd[f]
                sum_coverage[i, f] += coverage[i, f]
            obs_months[i] += 1
            sum_unmet[i] += u
            sum_mentors[i] += n_m
            sum_peers[i] += n_p
            if n_m > max_mentors[i]:
                max_mentors[i] = n_m
        for k in range(6):
            acc[IX_RANK_GENDER[k]] = by_rank_gender[k]
        for r in range(3):
            acc[IX_LOAD_RANK[r]] = load_by_rank[r]
            acc[IX_PROTEGES_RANK[r]] = proteges_by_rank[r]
            cnt[C_RANK + r] = n_rank[r]
            cnt[C_STAGE + r] = n_stage[r]
            for k in range(2 * N_FUNCTIONS):
                acc[IX_STAGE[r, k]] = by_stage[r, k]
        cnt[C_MENTORING] = n_mentoring
        cnt[C_HOURS] = hours
        cnt[C_SENIORS] = n_seniors
        cnt[C_WOMEN_PROTEGES] = n_women_prot
        acc[S.share_seniors_overloaded] = overloaded
        acc[S.share_seniors_strong_all] = strong_all
        acc[S.mean_satisfaction] = sat
        acc[S.n_grant_holders] = grant_holders
        acc[S.n_award_holders] = award_holders
        acc[S.n_proteges] = n_prot
        acc[S.mean_mentors] = mentors
        acc[S.n_mentor_ties] = mentors
        acc[S.mean_peers] = peers
        acc[S.share_no_mentor] = no_mentor
        acc[S.share_multiple_mentors] = multi
        acc[S.share_women_with_woman_mentor] = woman_mentor
        acc[S.share_all_covered] = all_cov
        acc[S.share_hole] = holes
        acc[S.mean_unmet] = unmet

    row[:] = 0.0
    hist = np.zeros(N_LOAD_BINS)
    cnt = np.zeros(N_COUNTS)
    for c in range(n_chunks):
        row += partial[c]
        hist += hists[c]
        cnt += counts[c]
    row[S.n_active] = n_active
    row[S.n_hired] = n_hired
    for code in range(IX_EXITS.shape[0]):
        if IX_EXITS[code] >= 0:
            row[IX_EXITS[code]] = exits[code]
    for e in range(IX_EVENTS.shape[0]):
        row[IX_EVENTS[e]] = events[e]
    n_stage = cnt[C_STAGE:C_STAGE + 3]
    n_rank = cnt[C_RANK:C_RANK + 3]
    n_women_proteges = cnt[C_WOMEN_PROTEGES]
    n_mentoring = cnt[C_MENTORING]
    n_seniors = cnt[C_SENIORS]
    hours_sum = cnt[C_HOURS]

    n_prot = row[S.n_proteges]
    if n_prot > 0:
        for k in IX_PER_PROTEGE:
            row[k] /= n_prot
    if n_women_proteges > 0:
        row[S.share_women_with_woman_mentor] /= n_women_proteges
    for stage in range(3):
        for k in range(2 * N_FUNCTIONS):
            ix = IX_STAGE[stage, k]
            row[ix] = row[ix] / n_stage[stage] if n_stage[stage] > 0 else np.nan
    for r in range(3):
        ix, jx = IX_LOAD_RANK[r], IX_PROTEGES_RANK[r]
        row[ix] = row[ix] / n_rank[r] if n_rank[r] > 0 else np.nan
        row[jx] = row[jx] / n_rank[r] if n_rank[r] > 0 else np.nan
    total = hist.sum()
    if total > 0:
        row[S.load_p25] = _quantile_from_hist(hist, total, 0.25)
        row[S.load_median] = _quantile_from_hist(hist, total, 0.5)
        row[S.load_p75] = _quantile_from_hist(hist, total, 0.75)
    if n_seniors > 0:
        row[S.share_seniors_overloaded] /= n_seniors
        row[S.share_seniors_strong_all] /= n_seniors
    row[S.mean_hours_per_protege] = hours_sum / n_mentoring if n_mentoring > 0 else np.nan
    if n_active > 0:
        row[S.mean_satisfaction] /= n_active


class Recorder:
    """Observes a model month by month: the monthly series and the observation columns (live
    rows beside the model's positions, and an archive beside the model's archive); builds the
    three tables at the end. It must observe every month, right after the model's step."""

    def __init__(self, n_months: int):
        self.series = np.full((n_months, N_SERIES), np.nan)
        self.n_recorded = 0
        self.live: Table | None = None  # made on first use, sized like the model's tables
        self.archive: Table | None = None

    def _tables(self, model) -> None:
        if self.live is None:
            self.live = Table(OBSERVATION_COLUMNS, ObservationTuple, model.faculty.capacity)
            self.live.n = model.faculty.n
            self.archive = Table(OBSERVATION_COLUMNS, ObservationTuple, model.archive.capacity, filled=False)

    def record(self, model, n_hired: int, exits: np.ndarray, events: np.ndarray) -> None:
        self._tables(model)
        # this month's leavers: their summaries go to the archive row their faculty columns went to
        n_left = model.archive.n - self.archive.n
        if n_left != int(exits.sum()):
            raise RuntimeError(f"month {model.month}: {n_left} rows archived since the last observation, "
                               f"{int(exits.sum())} people left this month; the recorder must observe every month")
        if n_left:
            self.archive.ensure(n_left)
            archive_observation(self.live.cols, self.archive.cols, model.left, n_left, self.archive.n)
            self.archive.n += n_left
        month = model.month
        record_month(model.faculty.cols, self.live.cols, model.kp, model.active, model.n_active, month,
                     self.series[month], n_hired, exits, events, model.last_losses)
        self.n_recorded = month + 1

    def columns(self, model, in_post: bool) -> dict[str, np.ndarray]:
        """The observation arrays holding a person's row: the live rows (the row of their position)
        while they are in post, the archive (the row of their archived faculty columns) once they
        have left."""
        self._tables(model)
        return self.live.arrays if in_post else self.archive.arrays

    def everyone(self, model):
        """The observation columns for everyone ever present, by person id (as `model.everyone()`)."""
        self._tables(model)
        return model.everyone((self.live.arrays, self.archive.arrays))

    def series_table(self) -> pd.DataFrame:
        df = pd.DataFrame(self.series[: self.n_recorded], columns=list(SERIES_NAMES))
        df.insert(0, "month", np.arange(self.n_recorded, dtype=np.int32))
        df.insert(1, "year", df["month"] / 12.0)
        count_cols = [c for c in SERIES_NAMES if c.startswith("n_") or c == "pubs"]
        df[count_cols] = df[count_cols].astype(np.int64)
        return df


def _months(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Month columns with NEVER as missing."""
    return pd.arrays.IntegerArray(values.astype(np.int32), values == NEVER)


def _counts_by_year(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Cumulative counts by career year, missing (-1) where the year was not reached."""
    return pd.arrays.IntegerArray(values.astype(np.int32), values < 0)


def people_table(model, recorder: Recorder | None = None) -> pd.DataFrame:
    """One row per person ever present (in person-id order), with outcomes and mentoring summaries.

    `recorder`: the recorder that observed every month of the run. Without one, the summaries
    are those of a run nobody observed (no month observed: counts 0, means missing)."""
    fs = model.everyone()
    if recorder is None:
        recorder = Recorder(0)
        recorder._tables(model)
        recorder.archive = Table(OBSERVATION_COLUMNS, ObservationTuple, model.archive.n)
        recorder.archive.n = model.archive.n
    ob = recorder.everyone(model)
    n_months = model.month + 1
    pubs_by_year = fs.pubs_by_year
    obs = ob.obs_months.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_obs = lambda x: np.where(obs > 0, x / np.maximum(obs, 1), np.nan)  # noqa: E731
        mentor_months = ob.mentor_months.astype(np.float64)
        df = pd.DataFrame({
            "faculty_id": np.arange(fs.n, dtype=np.int32),
            "person_key": fs.person_key,
            "institution": fs.institution,
            "institution_size": model.institutions.target_size[fs.institution],
            "gender": pd.Categorical(np.where(fs.female, "women", "men"), categories=["women", "men"]),
            "initial": fs.initial,
            "hire_month": fs.hire_month,
            "career_award": fs.career_award,
            "talent": fs.talent,
            "rank": pd.Categorical.from_codes(fs.rank.astype(np.int64), categories=list(RANKS)),
            "month_associate": _months(fs.month_associate),
            "month_full": _months(fs.month_full),
            "exit_month": _months(fs.exit_month),
            "exit_reason": pd.Categorical.from_codes(fs.status.astype(np.int64), categories=list(EXIT_REASONS)),
            "censored": fs.status == 0,
            "end_month": np.where(fs.status == 0, n_months, fs.exit_month).astype(np.int32),
            "pubs": fs.pubs,
            **{f"pubs_y{y + 1}": _counts_by_year(pubs_by_year[:, y]) for y in range(N_CAREER_YEARS)},
            "month_first_grant": _months(fs.month_first_grant),
            "n_grants": fs.n_grants,
            "n_applications": fs.n_applications,
            "committee_size": fs.committee_size,
            "care_start": _months(fs.care_start),
            "care_load": fs.care_load,
            "peer_group": fs.peer_group,
            "months_as_protege": ob.obs_months,
            "mean_mentors": per_obs(ob.sum_mentors),
            "max_mentors": ob.max_mentors,
            "mean_peers": per_obs(ob.sum_peers),
            "share_months_no_mentor": per_obs(ob.no_mentor_months),
            "share_months_woman_mentor": per_obs(ob.woman_mentor_months),
            "share_months_hole": per_obs(ob.hole_months),
            "mean_unmet": per_obs(ob.sum_unmet),
            **{f"mean_coverage_{f}": per_obs(ob.sum_coverage[:, k]) for k, f in enumerate(FUNCTIONS)},
            "n_ties_formed": fs.n_ties_formed,
            **_ties_by_kind(model),
            "n_mentor_losses": ob.n_mentor_losses,
            "need_share_lost_to_mentor_exits": ob.value_lost,
            "support_share_lost_per_mentor_exit": np.where(ob.n_mentor_losses > 0, ob.support_share_lost
                                                           / np.maximum(ob.n_mentor_losses, 1), np.nan),
            "n_collaborators": fs.n_collaborators,
            "months_mentoring": ob.mentor_months,
            "mean_load_when_mentoring": np.where(mentor_months > 0, ob.sum_load / np.maximum(mentor_months, 1), np.nan),
            "mean_hours_per_protege": np.where(mentor_months > 0, ob.sum_hours / np.maximum(mentor_months, 1), np.nan),
            "mean_quality_when_mentoring": np.where(mentor_months > 0, ob.sum_quality / np.maximum(mentor_months, 1),
                                                    np.nan),
            "n_proteges_final": fs.of_active("n_proteges").astype(np.int32),
            "n_trainees_final": fs.of_active("n_trainees").astype(np.int32),
        })
    return df


def _ties_by_kind(model) -> dict[str, np.ndarray]:
    """Ties each person formed as a protege, by kind (from the tie log)."""
    tl = model.ties
    out = {}
    for code, kind in enumerate(TIE_KINDS):
        if kind == "none":
            continue
        out[f"n_ties_{kind}"] = np.bincount(tl.protege[tl.kind == code], minlength=model.n_people).astype(np.int32)
    return out


def ties_table(model) -> pd.DataFrame:
    tl = model.ties
    return pd.DataFrame({
        "protege": tl.protege,
        "mentor": tl.mentor,
        "kind": pd.Categorical.from_codes(tl.kind.astype(np.int64), categories=list(TIE_KINDS)),
        "start_month": tl.start_month,
        "end_month": _months(tl.end_month),
        "end_reason": pd.Categorical.from_codes(tl.end_reason.astype(np.int64), categories=list(TIE_END_REASONS)),
    })

