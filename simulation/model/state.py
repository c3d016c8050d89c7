"""Every piece of per-agent state, declared once: name, dtype, shape and meaning.

Faculty state is a set of numpy columns with one row per faculty position. Each institution
owns a contiguous block of rows, so colleagues (and most mentors) sit close together in
memory, and the columns stay dense however long the run. A person keeps their row for their
whole tenure; when they leave, the columns that outlive a tenure (`keep`) are copied to the
archive (one row per departed person) and their row is cleared for the next hire. `person_id` (order of
first appearance) identifies people in the tie log and the output tables.

Tie slots are (row x slot) columns. The tie log, institutions and month-level counters are
declared here too. Nothing else in the package allocates per-agent arrays. Tables grow by
doubling (`ensure`) outside the kernels, and the kernels see the columns through a struct
(`.cols`).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import config as numba_config
from numba import njit, prange, types
from numba.experimental import structref

from simulation.config.params import FUNCTIONS

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


FACULTY_COLUMNS: tuple[Col, ...] = (
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
    Col("exit_request", np.int8, "exit requested this month (reason code), applied once in the exits phase", keep=False),
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
    Col("competence_scale", np.float64, "competence common to all functions this month (skill x seniority x experience)", keep=False),
    Col("mentor_output", np.float64, "support per unit of tie factor this month, per function (competence x time)", "F",
        keep=False),
    # research career
    Col("capital", np.float64, "research capital (latent productivity)", keep=False),
    Col("pubs", np.int32, "publications, cumulative"),
    Col("pubs_in_rank", np.int32, "publications in the current rank", keep=False),
    Col("pubs_rate", np.float64, "recent publications per year (moving average)", keep=False),
    Col("pubs_by_year", np.int32, "cumulative publications at each of the first career years (-1 if not reached)", "Y", -1),
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
    Col("tie_discount", np.bool_, "a man mentoring a woman: career and psychosocial support discounted", "K", keep=False),
    Col("tie_log", np.int32, "row of each tie in the tie log", "K", -1, keep=False),
    Col("tie_value", np.float64, "share of need this tie covered last month", "K", keep=False),
    Col("mentor_lost_month", np.int32, "month an assigned mentor was lost (drives replacement)", fill=NEVER, keep=False),
    Col("next_search", np.int32, "month of the next network review", fill=NEVER, keep=False),
    Col("peer_group", np.int32, "peer group id (-1 none)", fill=-1),
    # observation: per-person summaries the recorder accumulates
    Col("obs_months", np.int32, "months observed as a protege (assistant or associate)"),
    Col("sum_coverage", np.float64, "coverage per function summed over months as a protege", "F"),
    Col("sum_unmet", np.float64, "need-weighted unmet share summed over months as a protege"),
    Col("hole_months", np.int32, "months with at least one badly uncovered function"),
    Col("sum_mentors", np.float64, "mentors (not peers) summed over months as a protege"),
    Col("max_mentors", np.int8, "most mentors (not peers) at once"),
    Col("no_mentor_months", np.int32, "months as a protege without any mentor"),
    Col("woman_mentor_months", np.int32, "months as a protege with at least one woman mentor"),
    Col("sum_peers", np.float64, "peers summed over months as a protege"),
    Col("n_ties_formed", np.int16, "mentor ties formed as a protege"),
    Col("n_mentor_losses", np.int16, "mentor ties lost because the mentor left"),
    Col("value_lost", np.float64, "share of need covered by mentors at the moment they left"),
    Col("support_share_lost", np.float64, "share of all mentors' support that each departing mentor gave, summed over losses"),
    Col("mentor_months", np.int32, "months with at least one faculty protege"),
    Col("sum_load", np.float64, "mentees of all kinds summed over months with a faculty protege"),
    Col("sum_hours", np.float64, "hours per primary-weight protege summed over months with a faculty protege"),
    Col("sum_quality", np.float64, "mentoring quality summed over months with a faculty protege"),
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
class TieLogType(_StructType):
    pass


@structref.register
class InstitutionType(_StructType):
    pass


class FacultyCols(structref.StructRefProxy):
    """The faculty columns as the kernels see them."""


class TieLogCols(structref.StructRefProxy):
    """The tie log as the kernels see it."""


class InstitutionCols(structref.StructRefProxy):
    """The institution columns as the kernels see them."""


FacultyTuple = namedtuple("FacultyTuple", _names(FACULTY_COLUMNS))
TieLogTuple = namedtuple("TieLogTuple", _names(TIE_LOG_COLUMNS))
InstitutionTuple = namedtuple("InstitutionTuple", _names(INSTITUTION_COLUMNS))

structref.define_constructor(FacultyCols, FacultyType, _names(FACULTY_COLUMNS))
structref.define_boxing(FacultyType, FacultyCols)
structref.define_constructor(TieLogCols, TieLogType, _names(TIE_LOG_COLUMNS))
structref.define_boxing(TieLogType, TieLogCols)
structref.define_constructor(InstitutionCols, InstitutionType, _names(INSTITUTION_COLUMNS))
structref.define_boxing(InstitutionType, InstitutionCols)


# built inside cached kernels, so a warm start does not recompile the constructors
@njit(cache=True)
def _faculty_struct(t):
    return FacultyCols(*t)


@njit(cache=True)
def _tie_log_struct(t):
    return TieLogCols(*t)


@njit(cache=True)
def _institution_struct(t):
    return InstitutionCols(*t)


_STRUCTS = {
    FacultyTuple: _faculty_struct,
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


class Table:
    """A growable set of columns declared by `Col`s; `.cols` is the view the kernels get."""

    def __init__(self, columns: tuple[Col, ...], tuple_type: type, capacity: int, n_slots: int = 1,
                 filled: bool = True):
        self.columns = columns
        self.filled = filled
        self.tuple_type = tuple_type
        self.n_slots = max(1, n_slots)
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


def _archive_source() -> str:
    """Source of `archive_rows`: one copy and one clear per declared column (arrays bound before
    the loop: reading them through the structs inside it would cost reference counting)."""
    lines = ["def archive_rows(live, archive, rows, n, k0):"]
    for c in FACULTY_COLUMNS:
        lines.append(f"    a_{c.name}, l_{c.name} = archive.{c.name}, live.{c.name}")
    lines += ["    for m in prange(n):", "        r = rows[m]", "        k = k0 + m"]
    for c in FACULTY_COLUMNS:  # element by element: a slice would be a view, reference-counted
        if c.width == "":
            if c.keep:
                lines.append(f"        a_{c.name}[k] = l_{c.name}[r]")
            if c.name not in POSITION_COLUMNS:
                lines.append(f"        l_{c.name}[r] = {c.fill!r}")
        else:
            lines.append(f"        for q in range(l_{c.name}.shape[1]):")
            if c.keep:
                lines.append(f"            a_{c.name}[k, q] = l_{c.name}[r, q]")
            if c.name not in POSITION_COLUMNS:
                lines.append(f"            l_{c.name}[r, q] = {c.fill!r}")
    return "\n".join(lines) + "\n"


def _compile_archive_rows():
    # compiled with this file as its source, so numba caches it like the other kernels (it
    # changes only when the declarations above change, and then so does this file)
    namespace = {"__name__": __name__, "prange": prange}
    exec(compile(_archive_source(), __file__, "exec"), namespace)
    fn = namespace["archive_rows"]
    fn.__doc__ = ("Copy rows[:n] of the live faculty table (the kept columns) to the archive from row k0, "
                  "then clear them (every column back to its fill value, the position vacant).")
    return fn if numba_config.DISABLE_JIT else njit(cache=True, parallel=True)(fn)


archive_rows = _compile_archive_rows()


def column_doc(columns: tuple[Col, ...]) -> list[dict]:
    """The declarations as rows (for the documentation)."""
    width = {"": "1", "F": "per function", "K": "per tie slot",
             "Y": f"per career year (1-{N_CAREER_YEARS})", "S": "per senior tie kind"}
    return [
        {"name": c.name, "dtype": np.dtype(c.dtype).name, "shape": width[c.width], "meaning": c.meaning}
        for c in columns
    ]
