"""The Mesa model: owns the state, advances one month per `step()`.

One month is the phases in `PHASES`, in that order (docs/ODD.md section 3, whose phase table
is generated from the list); each phase is one or a few numba kernels over the active rows,
with no Python per agent. `step()` runs the list and times each phase. The recorder observes
after the step (recorder.py): observing is not advancing.

Faculty are Mesa agents that are views over their row of the state columns: they are
created only when someone looks at `model.agents`, so the monthly loop never touches them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np

from simulation.model import careers
from simulation.model import exits
from simulation.model import mentoring
from simulation.model import needs
from simulation.model import population
from simulation.model import support
from simulation.config.params import FUNCTIONS, MODELS, RANKS, Params
from simulation.model.kernel_params import kernel_params
from simulation.model.rng import Stream, stream_keys
from simulation.model.state import (
    ACTIVE, ASSISTANT, EXIT_REASONS, FACULTY_COLUMNS, INSTITUTION_COLUMNS, N_COUNTERS, N_PEOPLE,
    N_TIES, PEER, TIE_KINDS, TIE_LOG_COLUMNS, FacultyTuple, InstitutionTuple, Table, TieLogTuple,
    archive_capacity, archive_rows,
)


class CareerModel(mesa.Model):
    """Faculty careers under one mentoring scenario. `step()` advances one month."""

    def __init__(self, params: Params | None = None, *, seed: int | None = None):
        params = params or Params()
        if seed is not None and seed != params.seed:
            params = params.model_copy(update={"seed": seed})
        super().__init__(seed=params.seed)
        self.params = params
        self.kp = kernel_params(params)
        self.keys = stream_keys(params.seed)
        self.n_months = params.n_months
        self.month = -1
        self.counters = np.zeros(N_COUNTERS, dtype=np.int64)
        self.phase_seconds = dict.fromkeys(PHASE_NAMES, 0.0)
        self.last_hired = 0
        self.last_exits = np.zeros(len(EXIT_REASONS), dtype=np.int64)
        self.last_events = np.zeros(careers.N_EVENTS, dtype=np.int64)
        self._views: dict[int, Faculty] = {}

        pop = params.population
        sizes = population.institution_sizes(
            self.keys[Stream.POPULATION], pop.n_faculty, pop.n_institutions,
            pop.institution_size_cv, pop.min_institution_size,
        )
        n_slots = params.n_mentor_slots + params.n_peer_slots
        n_positions = int(sizes.sum())
        # one row per position, in institution blocks; leavers' rows go to the archive
        self.faculty = Table(FACULTY_COLUMNS, FacultyTuple, n_positions, n_slots)
        self.faculty.n = n_positions
        # what proteges lost when a mentor left this month, per slot: [value, share] (NaN: nothing);
        # rewritten by the exits phase in every month someone leaves, read by the recorder
        self.last_losses = np.full((n_positions, self.faculty.n_slots, 2), np.nan)  # as wide as the tie slots
        # about the leavers of the whole run (attrition and retirement, some 6-9% a year)
        self.archive = Table(FACULTY_COLUMNS, FacultyTuple, archive_capacity(n_positions, params.horizon_years),
                             n_slots, filled=False)
        self.ties = Table(TIE_LOG_COLUMNS, TieLogTuple, pop.n_faculty * 4 + 64)
        self.institutions = Table(INSTITUTION_COLUMNS, InstitutionTuple, len(sizes), params.peers.group_size)
        self.institutions.n = len(sizes)
        self.institutions.arrays["target_size"][:] = sizes
        self.institutions.arrays["first_row"][:] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.faculty.arrays["institution"][:] = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        self._target_size = self.institutions.arrays["target_size"]
        self._inst_active = self.institutions.arrays["n_active"]
        self._ties_per_protege = params.n_mentor_slots + 2
        self._peers_on = params.peers_on
        self._group_size = params.peers.group_size
        self._arranges = mentoring.arranges(params)  # the model forms ties of its own before the plans
        self._model_code = MODELS.index(params.mentoring.model)
        self._n_slots = n_slots
        # the active rows (in row order), this month's hires and leavers, the candidate pools
        self.active = np.zeros(n_positions, dtype=np.int32)
        self.hired = np.zeros(n_positions, dtype=np.int32)
        self.left = np.zeros(n_positions, dtype=np.int32)
        # candidate pools, rebuilt each month (mentoring.build_pools); only the mentoring package reads them
        self.pools = mentoring.new_pools(len(sizes), n_positions)
        # the mentoring pass's plans, one per position in the active list (mentoring.maintain_ties)
        self.plans = mentoring.plan_buffers(n_positions, mentoring.plan_width(params))

        initial = population.draw_initial(self.keys, self.kp, sizes)
        population.add_initial(self.faculty.cols, self.institutions.cols, self.kp, self.keys, self.counters, *initial)
        self.n_active = population.active_rows(self.faculty.arrays["status"], self.active)
        self._new_rows = self.active[: self.n_active].copy()  # they join peer groups in month 0

    # --- bookkeeping outside the kernels -------------------------------------------------

    def _timed(self, phase: str, t0: float) -> float:
        t1 = time.perf_counter()
        self.phase_seconds[phase] += t1 - t0
        return t1

    # --- one month ---------------------------------------------------------------------

    def step(self) -> None:
        """Advance one month: every phase of `PHASES` in order (the recorder observes afterwards)."""
        # the model keeps its own month (Mesa's `steps` counter is an internal that Mesa is changing)
        self.month += 1
        month = self.month
        t = time.perf_counter()
        for phase in PHASES:
            phase.run(self, month)
            t = self._timed(phase.name, t)
        if self.month + 1 >= self.n_months:
            self.running = False

    # --- the phases (run in the order of PHASES) -----------------------------------------

    def _hiring(self, month: int) -> None:
        kp, keys, fs, ins = self.kp, self.keys, self.faculty, self.institutions
        vacancies = self._target_size - self._inst_active
        n_hired = population.hire(fs.cols, ins.cols, kp, keys, self.counters, month, vacancies, self.hired)
        if n_hired:
            self.n_active = population.active_rows(fs.arrays["status"], self.active)
        self.last_hired = n_hired
        mentoring.build_pools(fs.cols, ins.cols, *self.pools)

    def _needs(self, month: int) -> None:
        needs.update_needs(self.faculty.cols, self.kp, self.active, self.n_active, month)

    def _ties(self, month: int) -> None:
        kp, keys, fs, ins = self.kp, self.keys, self.faculty, self.institutions
        n_hired = self.last_hired
        self.ties.ensure(self.n_active * self._ties_per_protege
                         + 2 * (n_hired + len(self._new_rows)) * self._group_size)
        if self._peers_on and (n_hired or len(self._new_rows)):
            new_rows = np.concatenate([self._new_rows, self.hired[:n_hired]])
            order = np.lexsort((fs.arrays["hire_month"][new_rows], fs.arrays["institution"][new_rows]))
            mentoring.join_peer_groups(fs.cols, self.ties.cols, ins.cols, kp, self.counters, new_rows[order], month)
        self._new_rows = self._new_rows[:0]  # the initial population joins groups in month 0 only
        if self._arranges:  # at most one new tie per slot of each active person, then room for the plans
            self.ties.ensure(int(self.counters[N_TIES]) - self.ties.n
                             + self.n_active * (self._n_slots + self._ties_per_protege))
            mentoring.arrange(self._model_code, fs.cols, self.ties.cols, kp, keys, self.counters, self.active,
                              self.n_active, month)
        mentoring.maintain_ties(fs.cols, self.ties.cols, kp, keys, self.counters, self.pools, self.plans,
                                self.active, self.n_active, month)
        self.ties.n = int(self.counters[N_TIES])

    def _support(self, month: int) -> None:
        kp, fs = self.kp, self.faculty
        support.update_loads(fs.cols, kp, self.active, self.n_active, month)
        support.update_support(fs.cols, kp, self.active, self.n_active, month)

    def _careers(self, month: int) -> None:
        kp, keys, fs = self.kp, self.keys, self.faculty
        self.last_events[:] = 0
        careers.advance_careers(fs.cols, kp, keys, self.active, self.n_active, month, self.last_events)

    def _exits(self, month: int) -> None:
        kp, keys, fs, ins = self.kp, self.keys, self.faculty, self.institutions
        self.last_exits[:] = 0
        exits.request_exits(fs.cols, kp, keys, self.active, self.n_active, month)
        n_before = self.n_active
        self.n_active = exits.apply_exits(fs.cols, self.ties.cols, ins.cols, kp, self.active, self.n_active, month,
                                          self.last_exits, self.left, self.last_losses)
        n_left = n_before - self.n_active
        if n_left:  # leavers' rows to the archive; their positions are vacant for next month's hires
            self.archive.ensure(n_left)
            archive_rows(fs.cols, self.archive.cols, self.left, n_left, self.archive.n)
            self.archive.n += n_left

    # --- agents as views -----------------------------------------------------------------

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Active faculty as Mesa agents (views over their rows), made on first look."""
        self._sync_views()
        return super().agents

    def _sync_views(self) -> None:
        rows = self.active[: self.n_active]
        ids = self.faculty.arrays["person_id"][rows]
        current = dict(zip(ids.tolist(), rows.tolist()))
        for pid in [p for p in self._views if p not in current]:
            self._views.pop(pid).remove()
        for pid in sorted(current.keys() - self._views.keys()):
            self._views[pid] = Faculty(self, current[pid])

    def faculty_member(self, row: int) -> Faculty:
        """The view of the person in a row (active)."""
        pid = int(self.faculty.arrays["person_id"][row])
        view = self._views.get(pid)
        return view if view is not None and view.row == row else Faculty(self, row, register=False)

    def active_rows(self) -> np.ndarray:
        """Rows of the active faculty (in row order)."""
        return self.active[: self.n_active].copy()

    @property
    def n_people(self) -> int:
        """Everyone ever present: the initial population and every hire so far."""
        return int(self.counters[N_PEOPLE])

    def everyone(self, columns: tuple[dict, dict] | None = None) -> PeopleColumns:
        """Every state column for everyone ever present, indexed by person id: leavers as they
        left, the active as they are now (a snapshot; `model.everyone().female`). `columns`:
        other (live, archive) arrays with the same rows, such as the recorder's observation."""
        return PeopleColumns(self, columns)


@dataclass(frozen=True)
class Phase:
    """One phase of the month: `run(model, month)` advances the model; the rest documents it
    (docs/ODD.md section 3 is generated from these)."""

    name: str
    run: Callable[[CareerModel, int], None]
    kernels: str  # the numba kernels it calls, in order
    does: str  # what it does, in one line
    reads: str  # the state it reads (besides the parameters and the active rows)
    writes: str  # the state it writes


PHASES: tuple[Phase, ...] = (
    Phase("hiring", CareerModel._hiring, "population.hire, mentoring.build_pools",
          "fills each institution's vacancies with new assistant professors; rebuilds the candidate pools",
          "institutions' target sizes and active counts; vacant rows",
          "the new hires' rows; institutions' active counts and hire counts; the active rows; the pools"),
    Phase("needs", CareerModel._needs, "needs.update_needs",
          "moves each need toward the career-stage profile; adds review spikes, decays old ones",
          "rank, rank month, next review, need multipliers",
          "need_base, need_spike"),
    Phase("ties", CareerModel._ties,
          "mentoring.join_peer_groups, mentoring.arrange, mentoring.maintain_ties",
          "new hires join peer groups; a model's own serial step (facilitated groups); the mentoring model plans "
          "and carries out ties formed, dropped, replaced",
          "this month's needs; last month's support, coverage, tie values, competence and output; the pools",
          "tie slots, mentors' loads, n_ties_formed, the tie log, peer groups"),
    Phase("support", CareerModel._support, "support.update_loads, support.update_support",
          "sets each mentor's quality, time and output per function, then each person's support and coverage",
          "tie slots, loads, trainees, rank, hire month, administrative draw, competence, needs",
          "quality, time_per_weight, competence_scale, mentor_output, support, coverage, tie_value"),
    Phase("careers", CareerModel._careers, "careers.advance_careers",
          "research capital and publications; grants ended, renewed, applied for; promotion reviews",
          "this month's coverage, peers, collaborators, funding, review clock",
          "research and funding columns, rank and review columns, rejection spikes, exit requests; "
          "the career events buffer"),
    Phase("exits", CareerModel._exits, "exits.request_exits, exits.apply_exits, state.archive_rows",
          "updates satisfaction, requests retirement and attrition, applies every request once, cuts the "
          "leavers' ties and archives their rows",
          "this month's coverage and needs, rank, hire month, review and funding state, exit requests",
          "satisfaction, status, exit month, tie slots and log, mentors' loads, the mentor-loss buffer; the active "
          "rows; the archive; the exits buffer"),
)
PHASE_NAMES = tuple(p.name for p in PHASES)

_NOT_KEPT = frozenset(c.name for c in FACULTY_COLUMNS if not c.keep)


def _require_kept(column: str, who: str) -> None:
    """Refuse a column that is state of the month: leavers' rows do not keep it."""
    if column in _NOT_KEPT:
        raise AttributeError(f"{column} is state of the month, not kept for people who left ({who}); kept "
                             f"columns: {', '.join(c.name for c in FACULTY_COLUMNS if c.keep)}")


class PeopleColumns:
    """State columns for everyone ever present, by attribute, in person-id order."""

    def __init__(self, model: CareerModel, columns: tuple[dict, dict] | None = None):
        self._live, self._archive = model.faculty.arrays, model.archive.arrays
        self._occupied = np.flatnonzero(self._live["status"] == ACTIVE)
        self._live_ids = self._live["person_id"][self._occupied]
        self._archive_ids = self._archive["person_id"][: model.archive.n]
        self.n = model.n_people
        if columns is not None:  # the rows are the same: a position's, then the archived person's
            self._live, self._archive = columns

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_") or name not in self._live:
            raise AttributeError(name)
        _require_kept(name, "everyone()")
        out = self._of_live(name, np.empty)
        out[self._archive_ids] = self._archive[name][: len(self._archive_ids)]
        return out

    def of_active(self, name: str, fill=0) -> np.ndarray:
        """A column's current value for the active, `fill` for those who left (any column)."""
        return self._of_live(name, lambda shape, dtype: np.full(shape, fill, dtype=dtype))

    def _of_live(self, name: str, allocate) -> np.ndarray:
        live = self._live[name]
        out = allocate((self.n,) + live.shape[1:], dtype=live.dtype)
        out[self._live_ids] = live[self._occupied]
        return out


class _Column:
    """Attribute access to one state column at the agent's row (Mesa's PropertyDescriptor idea)."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        arrays, row = agent._where(self.name)
        value = arrays[self.name][row]
        return value.item() if np.ndim(value) == 0 else value.copy()

    def __set__(self, agent, value) -> None:
        if not agent._in_post():
            raise AttributeError(f"{self.name}: person {agent.unique_id} has left; their record is read-only")
        agent.model.faculty.arrays[self.name][agent.row] = value


class Faculty(mesa.Agent):
    """One faculty member: a view over a row of the model's columns; holds no state itself."""

    def __init__(self, model: CareerModel, row: int, register: bool = True):
        if register:
            super().__init__(model)
        else:
            self.model = model
            self.pos = None
        self.row = int(row)  # a person keeps their row (position) while active
        self.unique_id = int(model.faculty.arrays["person_id"][row])
        self._archive_row = -1

    def _in_post(self) -> bool:
        return int(self.model.faculty.arrays["person_id"][self.row]) == self.unique_id

    def _where(self, column: str) -> tuple[dict, int]:
        """The columns and row holding this person: their position while in post, their archived
        row once they have left (the position may have a new occupant by then)."""
        if self._in_post():
            return self.model.faculty.arrays, self.row
        _require_kept(column, f"person {self.unique_id} has left")
        if self._archive_row < 0:
            archive = self.model.archive
            self._archive_row = int(np.flatnonzero(archive.arrays["person_id"][: archive.n] == self.unique_id)[0])
        return self.model.archive.arrays, self._archive_row

    def __repr__(self) -> str:
        return f"<Faculty {self.unique_id}: {self.gender} {self.rank_name}, institution {self.institution}>"

    @property
    def gender(self) -> str:
        return "woman" if self.female else "man"

    @property
    def rank_name(self) -> str:
        return RANKS[self.rank]

    @property
    def active(self) -> bool:
        return self.status == 0

    @property
    def mentors(self) -> list[tuple[Faculty, str]]:
        """(mentor, kind) for each current tie, peers included (none once they have left)."""
        if not self._in_post():
            return []
        out = []
        for j, kind in zip(self.tie_mentor, self.tie_kind):
            if j >= 0:
                out.append((self.model.faculty_member(int(j)), TIE_KINDS[kind]))
        return out

    @property
    def n_mentors(self) -> int:
        return sum(1 for _, kind in self.mentors if kind != TIE_KINDS[PEER])

    @property
    def needs(self) -> dict[str, float]:
        return dict(zip(FUNCTIONS, (self.need_base + self.need_spike).tolist()))

    @property
    def coverage_by_function(self) -> dict[str, float]:
        return dict(zip(FUNCTIONS, self.coverage.tolist()))

    @property
    def is_protege(self) -> bool:
        return self.rank in (ASSISTANT, ASSISTANT + 1)


for _col in FACULTY_COLUMNS:
    if hasattr(Faculty, _col.name):
        raise RuntimeError(f"state column {_col.name!r} would shadow a Faculty attribute")
    setattr(Faculty, _col.name, _Column(_col.name, _col.meaning))

