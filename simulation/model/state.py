"""Every piece of per-agent state, declared once: name, dtype, shape and meaning (a column only one
mentoring model uses is declared in that model's module and copied here, `MODEL_COLUMNS`).

Faculty state is a set of numpy columns with one row per faculty position. Each institution
owns a contiguous block of rows, so colleagues (and most mentors) sit close together in
memory, and the columns stay dense however long the run. A person keeps their row for their
whole tenure; when they leave, the columns that outlive a tenure (`keep`) are copied to the
archive (one row per departed person) and their row is cleared for the next hire. `person_id` (order of
first appearance) identifies people in the tie log and the output tables.

Tie slots are (row x slot) columns. The observation columns (the recorder's per-person
summaries: a table of their own beside the faculty columns, with the same rows), the tie log,
institutions and month-level counters are declared here too. Nothing else in the package
allocates per-agent arrays. Tables grow by doubling (`ensure`) outside the kernels, and the
kernels see the columns through a struct (`.cols`).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import config as numba_config
from numba import njit, prange, types
from numba.experimental import structref

from simulation.config.params import FUNCTIONS
from simulation.model import codegen

N_FUNCTIONS = len(FUNCTIONS)
N_CAREER_YEARS = 15  # career years with a publication count in the people table
SCIENCE, SKILLS, CAREER, NETWORKING, PSYCHOSOCIAL = range(N_FUNCTIONS)

ASSISTANT, ASSOCIATE, FULL = 0, 1, 2

# status: 0 active, otherwise the exit reason; a position without an occupant is vacant
ACTIVE, LEFT, FAILED_REVIEW, RETIRED = 0, 1, 2, 3
VACANT = -1
EXIT_REASONS = ("active", "left academia", "failed review", "retired")

# tie kinds
NO_TIE, PRIMARY, SECONDARY, EXTERNAL, PEER = 0, 1, 2, 3, 4
TIE_KINDS = ("none", "primary", "secondary", "external", "peer")

# why a tie ended
ONGOING, PROTEGE_LEFT, MENTOR_LEFT, DROPPED, REPLACED = 0, 1, 2, 3, 4
TIE_END_REASONS = ("ongoing", "protege left", "mentor left", "dropped", "replaced")

NEVER = -(2**30)  # a month that never happened


@dataclass(frozen=True)
class Col:
    name: str
    dtype: type
    meaning: str
    width: str = ""  # "" one value, "F" one per function, "K" one per tie slot, "Y" one per career year,
    #                  "S" one per senior tie kind (primary, secondary, external)
    fill: float | int | bool = 0
    keep: bool = True  # copied to the archive when the person leaves (False: this month's state only)


CORE_COLUMNS: tuple[Col, ...] = (
    # identity and fixed traits
    Col("person_id", np.int32, "identity in the tie log and output tables (order of first appearance)", fill=-1),
    Col("person_key", np.uint64, "identity for random draws: the same person has the same key in every scenario"),
    Col("institution", np.int32, "institution index"),
    Col("female", np.bool_, "woman"),
    Col("hire_month", np.int32, "month of first faculty appointment (negative: before the run)"),
    Col("initial", np.bool_, "in the initial population (hired before the run)"),
    Col("talent", np.float64, "research talent multiplier (lognormal)"),
    Col("need_mult", np.float64, "individual need multiplier per function", "F", 1.0),
    Col("competence_profile", np.float64, "share of mentoring competence in each function, times 5 (Dirichlet)", "F"),
    Col("mentor_skill", np.float64, "overall mentoring skill multiplier (lognormal)", fill=1.0),
    Col("admin_draw", np.float64, "uniform deciding an administrative role (compared with the rank's share)"),
    Col("trainee_draw", np.float64, "uniform deciding the number of trainee mentees (Poisson by inversion)"),
    Col("trainee_scale", np.float64, "this person's multiplier of the rank's mean trainees (gamma, mean 1)", fill=1.0),
    Col("max_mentees", np.float64, "most mentees of any kind this person will accept"),
    Col("career_award", np.bool_, "holds (or held) a career-development award"),
    Col("committee_size", np.int8, "mentors assigned under the dyad or committee model"),
    Col("care_start", np.int32, "month the years with young children begin (NEVER: not a parent)", fill=NEVER),
    Col("care_end", np.int32, "month the years with young children end (NEVER: not a parent)", fill=NEVER),
    Col("care_load", np.float64, "share of research time taken by extra caregiving in those years"),
    Col("clock_shift", np.int32, "months this person's promotion clocks run longer (+) or shorter (-) than nominal",
        keep=False),
    # rank and status
    Col("rank", np.int8, "0 assistant, 1 associate, 2 full"),
    Col("rank_month", np.int32, "month the current rank began", keep=False),
    Col("month_associate", np.int32, "month promoted to associate (NEVER if not)", fill=NEVER),
    Col("month_full", np.int32, "month promoted to full (NEVER if not)", fill=NEVER),
    Col("next_review", np.int32, "month of the next promotion review", fill=NEVER, keep=False),
    Col("n_reviews", np.int8, "reviews taken in the current rank", keep=False),
    Col("failed_review_month", np.int32, "month of the last failed review", fill=NEVER, keep=False),
    Col("status", np.int8, "0 active; otherwise the exit reason (-1: a vacant position)", fill=VACANT),
    Col("exit_month", np.int32, "month of exit (NEVER while active)", fill=NEVER),
    Col("exit_request", np.int8, "exit requested this month (reason code), applied once in the exits phase",
        keep=False),
    # needs and support
    Col("need_base", np.float64, "need per function, following the career stage", "F", keep=False),
    Col("need_spike", np.float64, "short-lived extra need per function from events", "F", keep=False),
    Col("support", np.float64, "support received this month per function", "F", keep=False),
    Col("coverage", np.float64, "support / need per function, capped at 1", "F", 1.0, keep=False),
    Col("satisfaction", np.float64, "moving average of need-weighted coverage", fill=0.7, keep=False),
    # as a mentor
    Col("n_proteges", np.int32, "faculty proteges this month (senior and external ties)", keep=False),
    Col("n_trainees", np.int32, "non-faculty mentees this month", keep=False),
    Col("n_by_kind", np.int32, "faculty proteges by tie kind: primary, secondary, external", "S", keep=False),
    Col("load_weight", np.float64, "summed tie weight of faculty proteges (from n_by_kind, exact)", keep=False),
    Col("time_per_weight", np.float64, "mentoring hours per unit of tie weight this month", keep=False),
    Col("quality", np.float64, "mentoring quality this month (falls past the comfortable load)", fill=1.0, keep=False),
    Col("competence_scale", np.float64,
        "competence common to all functions this month (skill x seniority x experience)", keep=False),
    Col("mentor_output", np.float64, "support per unit of tie factor this month, per function (competence x time)", "F",
        keep=False),
    # research career
    Col("capital", np.float64, "research capital (latent productivity)", keep=False),
    Col("pubs", np.int32, "publications, cumulative"),
    Col("pubs_in_rank", np.int32, "publications in the current rank", keep=False),
    Col("pubs_rate", np.float64, "recent publications per year (moving average)", keep=False),
    Col("pubs_by_year", np.int32, "cumulative publications at each of the first career years (-1 if not reached)",
        "Y", -1),
    Col("award_end", np.int32, "month the career-development award ends", fill=NEVER, keep=False),
    Col("grant_end", np.int32, "month the independent grant ends", fill=NEVER, keep=False),
    Col("month_first_grant", np.int32, "month of the first independent grant", fill=NEVER),
    Col("funding_gap_until", np.int32, "month until which lost funding raises the exit hazard", fill=NEVER, keep=False),
    Col("n_applications", np.int16, "independent-grant applications"),
    Col("n_grants", np.int16, "independent grants won (renewals included)"),
    Col("rejection_streak", np.int16, "rejections in a row", keep=False),
    Col("n_collaborators", np.int16, "former mentors turned collaborators"),
    # tie slots
    Col("tie_mentor", np.int32, "row of the mentor (or peer) in each slot, -1 if empty", "K", -1, keep=False),
    Col("tie_kind", np.int8, "kind of tie in each slot", "K", keep=False),
    Col("tie_start", np.int32, "month each tie began", "K", keep=False),
    Col("tie_fit", np.float64, "pair-specific fit of each tie", "K", 1.0, keep=False),
    Col("tie_discount", np.bool_, "a man mentoring a woman: career and psychosocial support discounted", "K",
        keep=False),
    Col("tie_log", np.int32, "row of each tie in the tie log", "K", -1, keep=False),
    Col("tie_value", np.float64, "share of need this tie covered last month", "K", keep=False),
    Col("mentor_lost_month", np.int32, "month an assigned mentor was lost (drives replacement)", fill=NEVER,
        keep=False),
    Col("peer_group", np.int32, "peer group id (-1 none)", fill=-1),
    # counts kept by the ties and exits phases: n_ties_formed also decides whether a protege is due a
    # first assignment (mentoring.py); the three losses are written when a mentor leaves (exits.py)
    Col("n_ties_formed", np.int16, "mentor ties formed as a protege"),
)

# The per-person state the mentoring models own: each model's module declares its columns (`STATE`),
# and mentoring/registry.py generates this copy of them here (`state_source`), where the tables are
# built (the model modules import this one, so it cannot import them).
MODEL_STATE = "model state columns"  # the generated region (codegen.py)
# --- generated: model state columns (python -m simulation.model.regenerate); do not edit ---


MODEL_COLUMNS: tuple[Col, ...] = (
    Col("next_search", np.int32, "month of the next network review", fill=NEVER, keep=False),
    Col("facilitated_group", np.int32, "facilitated peer group a junior belongs to (-1 none)", fill=-1, keep=False),
    Col("groups_facilitated", np.int32, "facilitated peer groups a senior leads (recounted monthly)", keep=False),
)


# --- end of generated model state columns ---

FACULTY_COLUMNS: tuple[Col, ...] = CORE_COLUMNS + MODEL_COLUMNS

# Observation: per-person summaries that only the recorder writes (recorder.py). One row per
# faculty position, like the faculty columns, but a table of its own: the model's phases neither
# read nor write it. Its rows are archived and cleared with the faculty rows, to the same archive row.
OBSERVATION_COLUMNS: tuple[Col, ...] = (
    Col("obs_months", np.int32, "months observed as a protege (assistant or associate)"),
    Col("sum_coverage", np.float64, "coverage per function summed over months as a protege", "F"),
    Col("sum_unmet", np.float64, "need-weighted unmet share summed over months as a protege"),
    Col("hole_months", np.int32, "months with at least one badly uncovered function"),
    Col("sum_mentors", np.float64, "mentors (not peers) summed over months as a protege"),
    Col("max_mentors", np.int8, "most mentors (not peers) at once"),
    Col("no_mentor_months", np.int32, "months as a protege without any mentor"),
    Col("woman_mentor_months", np.int32, "months as a protege with at least one woman mentor"),
    Col("sum_peers", np.float64, "peers summed over months as a protege"),
    Col("mentor_months", np.int32, "months with at least one faculty protege"),
    Col("sum_load", np.float64, "mentees of all kinds summed over months with a faculty protege"),
    Col("sum_hours", np.float64, "hours per primary-weight protege summed over months with a faculty protege"),
    Col("sum_quality", np.float64, "mentoring quality summed over months with a faculty protege"),
    Col("n_mentor_losses", np.int16, "mentor ties lost because the mentor left"),
    Col("value_lost", np.float64, "share of need covered by mentors at the moment they left"),
    Col("support_share_lost", np.float64,
        "share of all mentors' support that each departing mentor gave, summed over losses"),
)

TIE_LOG_COLUMNS: tuple[Col, ...] = (
    Col("protege", np.int32, "person id of the protege"),
    Col("mentor", np.int32, "person id of the mentor or peer"),
    Col("kind", np.int8, "primary, secondary, external or peer"),
    Col("start_month", np.int32, "month the tie began"),
    Col("end_month", np.int32, "month the tie ended (NEVER if ongoing)", fill=NEVER),
    Col("end_reason", np.int8, "why it ended"),
)

INSTITUTION_COLUMNS: tuple[Col, ...] = (
    Col("target_size", np.int32, "faculty positions"),
    Col("first_row", np.int32, "first row of the institution's block of positions"),
    Col("n_active", np.int32, "active faculty"),
    Col("hire_seq", np.int64, "hires so far (the n-th hire is the same person in every scenario)"),
    Col("group_id", np.int32, "id of the open peer group", fill=-1),
    Col("group_start", np.int32, "month the open peer group formed", fill=NEVER),
    Col("group_n", np.int32, "members in the open peer group"),
    Col("group_members", np.int32, "rows of the open peer group's members", "K", -1),
    Col("group_member_ids", np.int32, "person ids of the open peer group's members (rows are reused)", "K", -1),
)

# month-level counters shared by the kernels
N_PEOPLE, N_TIES, N_GROUPS = 0, 1, 2
N_COUNTERS = 3

def _names(columns: tuple[Col, ...]) -> list[str]:
    return [c.name for c in columns]


class _StructType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class FacultyType(_StructType):
    pass


@structref.register
class ObservationType(_StructType):
    pass


@structref.register
class TieLogType(_StructType):
    pass


@structref.register
class InstitutionType(_StructType):
    pass


class FacultyCols(structref.StructRefProxy):
    """The faculty columns as the kernels see them."""


class ObservationCols(structref.StructRefProxy):
    """The observation columns as the recorder's kernels see them."""


class TieLogCols(structref.StructRefProxy):
    """The tie log as the kernels see it."""


class InstitutionCols(structref.StructRefProxy):
    """The institution columns as the kernels see them."""


FacultyTuple = namedtuple("FacultyTuple", _names(FACULTY_COLUMNS))
ObservationTuple = namedtuple("ObservationTuple", _names(OBSERVATION_COLUMNS))
TieLogTuple = namedtuple("TieLogTuple", _names(TIE_LOG_COLUMNS))
InstitutionTuple = namedtuple("InstitutionTuple", _names(INSTITUTION_COLUMNS))

structref.define_constructor(FacultyCols, FacultyType, _names(FACULTY_COLUMNS))
structref.define_boxing(FacultyType, FacultyCols)
structref.define_constructor(ObservationCols, ObservationType, _names(OBSERVATION_COLUMNS))
structref.define_boxing(ObservationType, ObservationCols)
structref.define_constructor(TieLogCols, TieLogType, _names(TIE_LOG_COLUMNS))
structref.define_boxing(TieLogType, TieLogCols)
structref.define_constructor(InstitutionCols, InstitutionType, _names(INSTITUTION_COLUMNS))
structref.define_boxing(InstitutionType, InstitutionCols)


# built inside cached kernels, so a warm start does not recompile the constructors
@njit(cache=True)
def _faculty_struct(t):
    return FacultyCols(*t)


@njit(cache=True)
def _observation_struct(t):
    return ObservationCols(*t)


@njit(cache=True)
def _tie_log_struct(t):
    return TieLogCols(*t)


@njit(cache=True)
def _institution_struct(t):
    return InstitutionCols(*t)


_STRUCTS = {
    FacultyTuple: _faculty_struct,
    ObservationTuple: _observation_struct,
    TieLogTuple: _tie_log_struct,
    InstitutionTuple: _institution_struct,
}


def aligned_empty(shape: tuple[int, ...], dtype, align: int = 64) -> np.ndarray:
    """An uninitialised array whose first element sits on an `align`-byte boundary (a 64-byte
    row is one cache line)."""
    itemsize = np.dtype(dtype).itemsize
    n = int(np.prod(shape))
    buf = np.empty(n + align // itemsize, dtype=dtype)
    offset = (-buf.ctypes.data % align) // itemsize
    return buf[offset: offset + n].reshape(shape)


def aligned_zeros(shape: tuple[int, ...], dtype, align: int = 64) -> np.ndarray:
    out = aligned_empty(shape, dtype, align)
    out.fill(0)
    return out


def archive_capacity(n_positions: int, horizon_years: int) -> int:
    """Rows the archive of leavers starts with: about the leavers of the whole run (attrition
    and retirement come to 5-7% of positions a year; 10% is allowed). It grows if need be."""
    return int(n_positions * (0.1 * horizon_years + 0.2)) + 64


def slot_width(n_slots: int) -> int:
    """Columns of the per-slot state (ties, the mentor-loss buffer): at least one, so that a model
    with no slots (none) still has well-formed 2-D arrays."""
    return max(1, n_slots)


class Table:
    """A growable set of columns declared by `Col`s; `.cols` is the view the kernels get."""

    def __init__(self, columns: tuple[Col, ...], tuple_type: type, capacity: int, n_slots: int = 1,
                 filled: bool = True):
        self.columns = columns
        self.filled = filled
        self.tuple_type = tuple_type
        self.n_slots = slot_width(n_slots)
        self.capacity = 0
        self.n = 0
        self.arrays: dict[str, np.ndarray] = {}
        self._grow(max(capacity, 1))

    def _shape(self, col: Col, rows: int) -> tuple[int, ...]:
        return {"": (rows,), "F": (rows, N_FUNCTIONS), "K": (rows, self.n_slots),
                "Y": (rows, N_CAREER_YEARS), "S": (rows, 3)}[col.width]

    def _grow(self, capacity: int) -> None:
        for col in self.columns:
            new = aligned_empty(self._shape(col, capacity), col.dtype)
            if self.filled:  # (the archive's rows are written whole before they are read)
                new.fill(col.fill)
            old = self.arrays.get(col.name)
            if old is not None:
                new[: self.capacity] = old
            self.arrays[col.name] = new
        self.capacity = capacity
        view = self.tuple_type(**self.arrays)
        # without the JIT (NUMBA_DISABLE_JIT=1) kernels are plain Python and read the namedtuple
        self.cols = view if numba_config.DISABLE_JIT else _STRUCTS[self.tuple_type](view)

    def ensure(self, extra: int) -> None:
        """Room for `extra` more rows beyond `n`."""
        need = self.n + extra
        if need > self.capacity:
            self._grow(max(need, 2 * self.capacity))

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            return arrays[name][: self.n]
        raise AttributeError(name)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


POSITION_COLUMNS = ("institution",)  # describe the position, so a vacant row keeps them


# The two archive kernels below are generated from the declarations above (`archive_source`):
# one copy per column with `keep` (the others are not bound from the archive) and one clear
# (back to `fill`, except POSITION_COLUMNS) per column. After declaring a column, run
# `python -m simulation.model.regenerate` to regenerate them; tests/test_state.py fails while the
# kernels in this file differ from what the declarations generate. Arrays are bound before the
# loop (reading them through the structs inside it would cost reference counting), and copied
# element by element (a slice would be a view, reference-counted).

REGION = "archive kernels"  # the generated region (codegen.py)

ARCHIVE_KERNELS = (  # (kernel, the columns it moves, its docstring)
    ("archive_rows", "FACULTY_COLUMNS",
     "Copy rows[:n] of the live faculty table (the kept columns) to the archive from row k0,\n"
     "    then clear them (every column back to its fill value, the position vacant)."),
    ("archive_observation", "OBSERVATION_COLUMNS",
     "Copy rows[:n] of the live observation table to its archive from row k0 (the row the same\n"
     "    people's faculty columns went to), then clear them for the next occupant."),
)


def fill_literal(fill) -> str:
    """A fill value as source: NEVER by name."""
    if fill == NEVER and not isinstance(fill, (bool, float)):
        return "NEVER"
    return repr(int(fill)) if isinstance(fill, bool) else repr(fill)


def archive_source() -> str:
    """The source of the archive kernels, generated from the column declarations (see above)."""
    out = []
    for kernel, columns_name, doc in ARCHIVE_KERNELS:
        columns = globals()[columns_name]
        out += ["@njit(cache=True, parallel=True)", f"def {kernel}(live, archive, rows, n, k0):", f'    """{doc}"""']
        for c in columns:
            if c.keep:
                out.append(f"    a_{c.name}, l_{c.name} = archive.{c.name}, live.{c.name}")
            else:
                out.append(f"    l_{c.name} = live.{c.name}")
        out += ["    for m in prange(n):", "        r = rows[m]", "        k = k0 + m"]
        for c in columns:
            clear = c.name not in POSITION_COLUMNS
            fill = fill_literal(c.fill)
            if c.width:
                if not (c.keep or clear):
                    continue
                out.append(f"        for q in range(l_{c.name}.shape[1]):")
                if c.keep:
                    out.append(f"            a_{c.name}[k, q] = l_{c.name}[r, q]")
                if clear:
                    out.append(f"            l_{c.name}[r, q] = {fill}")
            else:
                if c.keep:
                    out.append(f"        a_{c.name}[k] = l_{c.name}[r]")
                if clear:
                    out.append(f"        l_{c.name}[r] = {fill}")
        out += ["", ""]
    return "\n".join(out[:-2]) + "\n"


def write_archive_kernels() -> bool:
    """Regenerate the archive kernels in this file; returns whether they changed."""
    return codegen.write(__file__, REGION, archive_source())


# --- generated: archive kernels (python -m simulation.model.regenerate); do not edit ---


@njit(cache=True, parallel=True)
def archive_rows(live, archive, rows, n, k0):
    """Copy rows[:n] of the live faculty table (the kept columns) to the archive from row k0,
    then clear them (every column back to its fill value, the position vacant)."""
    a_person_id, l_person_id = archive.person_id, live.person_id
    a_person_key, l_person_key = archive.person_key, live.person_key
    a_institution, l_institution = archive.institution, live.institution
    a_female, l_female = archive.female, live.female
    a_hire_month, l_hire_month = archive.hire_month, live.hire_month
    a_initial, l_initial = archive.initial, live.initial
    a_talent, l_talent = archive.talent, live.talent
    a_need_mult, l_need_mult = archive.need_mult, live.need_mult
    a_competence_profile, l_competence_profile = archive.competence_profile, live.competence_profile
    a_mentor_skill, l_mentor_skill = archive.mentor_skill, live.mentor_skill
    a_admin_draw, l_admin_draw = archive.admin_draw, live.admin_draw
    a_trainee_draw, l_trainee_draw = archive.trainee_draw, live.trainee_draw
    a_trainee_scale, l_trainee_scale = archive.trainee_scale, live.trainee_scale
    a_max_mentees, l_max_mentees = archive.max_mentees, live.max_mentees
    a_career_award, l_career_award = archive.career_award, live.career_award
    a_committee_size, l_committee_size = archive.committee_size, live.committee_size
    a_care_start, l_care_start = archive.care_start, live.care_start
    a_care_end, l_care_end = archive.care_end, live.care_end
    a_care_load, l_care_load = archive.care_load, live.care_load
    l_clock_shift = live.clock_shift
    a_rank, l_rank = archive.rank, live.rank
    l_rank_month = live.rank_month
    a_month_associate, l_month_associate = archive.month_associate, live.month_associate
    a_month_full, l_month_full = archive.month_full, live.month_full
    l_next_review = live.next_review
    l_n_reviews = live.n_reviews
    l_failed_review_month = live.failed_review_month
    a_status, l_status = archive.status, live.status
    a_exit_month, l_exit_month = archive.exit_month, live.exit_month
    l_exit_request = live.exit_request
    l_need_base = live.need_base
    l_need_spike = live.need_spike
    l_support = live.support
    l_coverage = live.coverage
    l_satisfaction = live.satisfaction
    l_n_proteges = live.n_proteges
    l_n_trainees = live.n_trainees
    l_n_by_kind = live.n_by_kind
    l_load_weight = live.load_weight
    l_time_per_weight = live.time_per_weight
    l_quality = live.quality
    l_competence_scale = live.competence_scale
    l_mentor_output = live.mentor_output
    l_capital = live.capital
    a_pubs, l_pubs = archive.pubs, live.pubs
    l_pubs_in_rank = live.pubs_in_rank
    l_pubs_rate = live.pubs_rate
    a_pubs_by_year, l_pubs_by_year = archive.pubs_by_year, live.pubs_by_year
    l_award_end = live.award_end
    l_grant_end = live.grant_end
    a_month_first_grant, l_month_first_grant = archive.month_first_grant, live.month_first_grant
    l_funding_gap_until = live.funding_gap_until
    a_n_applications, l_n_applications = archive.n_applications, live.n_applications
    a_n_grants, l_n_grants = archive.n_grants, live.n_grants
    l_rejection_streak = live.rejection_streak
    a_n_collaborators, l_n_collaborators = archive.n_collaborators, live.n_collaborators
    l_tie_mentor = live.tie_mentor
    l_tie_kind = live.tie_kind
    l_tie_start = live.tie_start
    l_tie_fit = live.tie_fit
    l_tie_discount = live.tie_discount
    l_tie_log = live.tie_log
    l_tie_value = live.tie_value
    l_mentor_lost_month = live.mentor_lost_month
    a_peer_group, l_peer_group = archive.peer_group, live.peer_group
    a_n_ties_formed, l_n_ties_formed = archive.n_ties_formed, live.n_ties_formed
    l_next_search = live.next_search
    l_facilitated_group = live.facilitated_group
    l_groups_facilitated = live.groups_facilitated
    for m in prange(n):
        r = rows[m]
        k = k0 + m
        a_person_id[k] = l_person_id[r]
        l_person_id[r] = -1
        a_person_key[k] = l_person_key[r]
        l_person_key[r] = 0
        a_institution[k] = l_institution[r]
        a_female[k] = l_female[r]
        l_female[r] = 0
        a_hire_month[k] = l_hire_month[r]
        l_hire_month[r] = 0
        a_initial[k] = l_initial[r]
        l_initial[r] = 0
        a_talent[k] = l_talent[r]
        l_talent[r] = 0
        for q in range(l_need_mult.shape[1]):
            a_need_mult[k, q] = l_need_mult[r, q]
            l_need_mult[r, q] = 1.0
        for q in range(l_competence_profile.shape[1]):
            a_competence_profile[k, q] = l_competence_profile[r, q]
            l_competence_profile[r, q] = 0
        a_mentor_skill[k] = l_mentor_skill[r]
        l_mentor_skill[r] = 1.0
        a_admin_draw[k] = l_admin_draw[r]
        l_admin_draw[r] = 0
        a_trainee_draw[k] = l_trainee_draw[r]
        l_trainee_draw[r] = 0
        a_trainee_scale[k] = l_trainee_scale[r]
        l_trainee_scale[r] = 1.0
        a_max_mentees[k] = l_max_mentees[r]
        l_max_mentees[r] = 0
        a_career_award[k] = l_career_award[r]
        l_career_award[r] = 0
        a_committee_size[k] = l_committee_size[r]
        l_committee_size[r] = 0
        a_care_start[k] = l_care_start[r]
        l_care_start[r] = NEVER
        a_care_end[k] = l_care_end[r]
        l_care_end[r] = NEVER
        a_care_load[k] = l_care_load[r]
        l_care_load[r] = 0
        l_clock_shift[r] = 0
        a_rank[k] = l_rank[r]
        l_rank[r] = 0
        l_rank_month[r] = 0
        a_month_associate[k] = l_month_associate[r]
        l_month_associate[r] = NEVER
        a_month_full[k] = l_month_full[r]
        l_month_full[r] = NEVER
        l_next_review[r] = NEVER
        l_n_reviews[r] = 0
        l_failed_review_month[r] = NEVER
        a_status[k] = l_status[r]
        l_status[r] = -1
        a_exit_month[k] = l_exit_month[r]
        l_exit_month[r] = NEVER
        l_exit_request[r] = 0
        for q in range(l_need_base.shape[1]):
            l_need_base[r, q] = 0
        for q in range(l_need_spike.shape[1]):
            l_need_spike[r, q] = 0
        for q in range(l_support.shape[1]):
            l_support[r, q] = 0
        for q in range(l_coverage.shape[1]):
            l_coverage[r, q] = 1.0
        l_satisfaction[r] = 0.7
        l_n_proteges[r] = 0
        l_n_trainees[r] = 0
        for q in range(l_n_by_kind.shape[1]):
            l_n_by_kind[r, q] = 0
        l_load_weight[r] = 0
        l_time_per_weight[r] = 0
        l_quality[r] = 1.0
        l_competence_scale[r] = 0
        for q in range(l_mentor_output.shape[1]):
            l_mentor_output[r, q] = 0
        l_capital[r] = 0
        a_pubs[k] = l_pubs[r]
        l_pubs[r] = 0
        l_pubs_in_rank[r] = 0
        l_pubs_rate[r] = 0
        for q in range(l_pubs_by_year.shape[1]):
            a_pubs_by_year[k, q] = l_pubs_by_year[r, q]
            l_pubs_by_year[r, q] = -1
        l_award_end[r] = NEVER
        l_grant_end[r] = NEVER
        a_month_first_grant[k] = l_month_first_grant[r]
        l_month_first_grant[r] = NEVER
        l_funding_gap_until[r] = NEVER
        a_n_applications[k] = l_n_applications[r]
        l_n_applications[r] = 0
        a_n_grants[k] = l_n_grants[r]
        l_n_grants[r] = 0
        l_rejection_streak[r] = 0
        a_n_collaborators[k] = l_n_collaborators[r]
        l_n_collaborators[r] = 0
        for q in range(l_tie_mentor.shape[1]):
            l_tie_mentor[r, q] = -1
        for q in range(l_tie_kind.shape[1]):
            l_tie_kind[r, q] = 0
        for q in range(l_tie_start.shape[1]):
            l_tie_start[r, q] = 0
        for q in range(l_tie_fit.shape[1]):
            l_tie_fit[r, q] = 1.0
        for q in range(l_tie_discount.shape[1]):
            l_tie_discount[r, q] = 0
        for q in range(l_tie_log.shape[1]):
            l_tie_log[r, q] = -1
        for q in range(l_tie_value.shape[1]):
            l_tie_value[r, q] = 0
        l_mentor_lost_month[r] = NEVER
        a_peer_group[k] = l_peer_group[r]
        l_peer_group[r] = -1
        a_n_ties_formed[k] = l_n_ties_formed[r]
        l_n_ties_formed[r] = 0
        l_next_search[r] = NEVER
        l_facilitated_group[r] = -1
        l_groups_facilitated[r] = 0


@njit(cache=True, parallel=True)
def archive_observation(live, archive, rows, n, k0):
    """Copy rows[:n] of the live observation table to its archive from row k0 (the row the same
    people's faculty columns went to), then clear them for the next occupant."""
    a_obs_months, l_obs_months = archive.obs_months, live.obs_months
    a_sum_coverage, l_sum_coverage = archive.sum_coverage, live.sum_coverage
    a_sum_unmet, l_sum_unmet = archive.sum_unmet, live.sum_unmet
    a_hole_months, l_hole_months = archive.hole_months, live.hole_months
    a_sum_mentors, l_sum_mentors = archive.sum_mentors, live.sum_mentors
    a_max_mentors, l_max_mentors = archive.max_mentors, live.max_mentors
    a_no_mentor_months, l_no_mentor_months = archive.no_mentor_months, live.no_mentor_months
    a_woman_mentor_months, l_woman_mentor_months = archive.woman_mentor_months, live.woman_mentor_months
    a_sum_peers, l_sum_peers = archive.sum_peers, live.sum_peers
    a_mentor_months, l_mentor_months = archive.mentor_months, live.mentor_months
    a_sum_load, l_sum_load = archive.sum_load, live.sum_load
    a_sum_hours, l_sum_hours = archive.sum_hours, live.sum_hours
    a_sum_quality, l_sum_quality = archive.sum_quality, live.sum_quality
    a_n_mentor_losses, l_n_mentor_losses = archive.n_mentor_losses, live.n_mentor_losses
    a_value_lost, l_value_lost = archive.value_lost, live.value_lost
    a_support_share_lost, l_support_share_lost = archive.support_share_lost, live.support_share_lost
    for m in prange(n):
        r = rows[m]
        k = k0 + m
        a_obs_months[k] = l_obs_months[r]
        l_obs_months[r] = 0
        for q in range(l_sum_coverage.shape[1]):
            a_sum_coverage[k, q] = l_sum_coverage[r, q]
            l_sum_coverage[r, q] = 0
        a_sum_unmet[k] = l_sum_unmet[r]
        l_sum_unmet[r] = 0
        a_hole_months[k] = l_hole_months[r]
        l_hole_months[r] = 0
        a_sum_mentors[k] = l_sum_mentors[r]
        l_sum_mentors[r] = 0
        a_max_mentors[k] = l_max_mentors[r]
        l_max_mentors[r] = 0
        a_no_mentor_months[k] = l_no_mentor_months[r]
        l_no_mentor_months[r] = 0
        a_woman_mentor_months[k] = l_woman_mentor_months[r]
        l_woman_mentor_months[r] = 0
        a_sum_peers[k] = l_sum_peers[r]
        l_sum_peers[r] = 0
        a_mentor_months[k] = l_mentor_months[r]
        l_mentor_months[r] = 0
        a_sum_load[k] = l_sum_load[r]
        l_sum_load[r] = 0
        a_sum_hours[k] = l_sum_hours[r]
        l_sum_hours[r] = 0
        a_sum_quality[k] = l_sum_quality[r]
        l_sum_quality[r] = 0
        a_n_mentor_losses[k] = l_n_mentor_losses[r]
        l_n_mentor_losses[r] = 0
        a_value_lost[k] = l_value_lost[r]
        l_value_lost[r] = 0
        a_support_share_lost[k] = l_support_share_lost[r]
        l_support_share_lost[r] = 0


# --- end of generated archive kernels ---


def column_doc(columns: tuple[Col, ...]) -> list[dict]:
    """The declarations as rows (for the documentation)."""
    width = {"": "1", "F": "per function", "K": "per tie slot",
             "Y": f"per career year (1-{N_CAREER_YEARS})", "S": "per senior tie kind"}
    return [
        {"name": c.name, "dtype": np.dtype(c.dtype).name, "shape": width[c.width], "meaning": c.meaning}
        for c in columns
    ]
