"""The Mesa model: owns the state, advances one month per `step()`.

One month, in order (MODEL.md section 4); each phase is one or two numba kernels over the
active rows, with no Python per agent:

    1. hiring   vacancies are filled by new assistant professors
    2. needs    needs move toward the career-stage profile; review spikes
    3. ties     peer groups form; the mentoring model assigns, recruits, drops, replaces
    4. support  mentor loads and time; support and coverage per function
    5. careers  research capital, publications, grants, promotion reviews
    6. exits    attrition and retirement requested, then every request applied once
    7. record   (the Recorder, outside the model: observing is not advancing)

Faculty are Mesa agents that are views over their row of the state columns: they are
created only when someone looks at `model.agents`, so the monthly loop never touches them.
"""

from __future__ import annotations

import time

import mesa
import numpy as np

from . import careers, exits, mentoring, needs, population, support
from .params import FUNCTIONS, RANKS, Params, kernel_params
from .rng import Stream, stream_keys
from .state import (
    ASSISTANT, EXIT_REASONS, FACULTY_COLUMNS, INSTITUTION_COLUMNS, N_ROWS, N_TIES,
    PEER, TIE_KINDS, TIE_LOG_COLUMNS, FacultyTuple, InstitutionTuple, Table, TieLogTuple,
)

PHASES = ("hiring", "needs", "ties", "support", "careers", "exits")


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
        self.counters = np.zeros(3, dtype=np.int64)
        self.phase_seconds = dict.fromkeys(PHASES, 0.0)
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
        # capacity: the initial population plus about ten years of hires
        self.faculty = Table(FACULTY_COLUMNS, FacultyTuple, int(pop.n_faculty * 1.6) + 64, n_slots)
        self.ties = Table(TIE_LOG_COLUMNS, TieLogTuple, pop.n_faculty * 4 + 64)
        self.institutions = Table(INSTITUTION_COLUMNS, InstitutionTuple, len(sizes), params.peers.group_size)
        self.institutions.n = len(sizes)
        self.institutions.arrays["target_size"][:] = sizes
        self._alloc_indexes()
        self._target_size = self.institutions.arrays["target_size"]
        self._inst_active = self.institutions.arrays["n_active"]
        self._ties_per_protege = params.n_mentor_slots + 2
        self._peers_on = params.peers_on
        self._group_size = params.peers.group_size

        initial = population.draw_initial(self.keys, self.kp, sizes)
        r0, r1 = population.add_initial(self.faculty.cols, self.institutions.cols, self.kp, self.keys,
                                        self.counters, *initial)
        self.faculty.n = int(self.counters[N_ROWS])
        self._append_active(r0, r1)
        self._new_rows = np.arange(r0, r1, dtype=np.int32)

    # --- bookkeeping outside the kernels -------------------------------------------------

    def _alloc_indexes(self) -> None:
        cap = self.faculty.capacity
        n_inst = self.institutions.n
        old = getattr(self, "active", None)
        self.active = np.zeros(cap, dtype=np.int32)
        if old is not None:
            self.active[: self.n_active] = old[: self.n_active]
        else:
            self.n_active = 0
        # candidate pools, rebuilt each month: (institution, bucket) and bucket-only orders of the
        # active rows, and the seniors' cards in local pool order
        self.pools = (
            np.zeros(n_inst * mentoring.N_BUCKETS + 1, dtype=np.int64),
            np.zeros(cap, dtype=np.int32),
            np.zeros(mentoring.N_BUCKETS + 1, dtype=np.int64),
            np.zeros(cap, dtype=np.int32),
            np.zeros((cap, mentoring.CARD_WIDTH), dtype=np.float32),  # one cache line per card
        )

    def _ensure_rows(self, extra: int) -> None:
        before = self.faculty.capacity
        self.faculty.ensure(extra)
        if self.faculty.capacity != before:
            self._alloc_indexes()

    def _append_active(self, r0: int, r1: int) -> None:
        self.active[self.n_active: self.n_active + (r1 - r0)] = np.arange(r0, r1, dtype=np.int32)
        self.n_active += r1 - r0

    def _timed(self, phase: str, t0: float) -> float:
        t1 = time.perf_counter()
        self.phase_seconds[phase] += t1 - t0
        return t1

    # --- one month ---------------------------------------------------------------------

    def step(self) -> None:
        """Advance one month (phases 1-6; the recorder observes afterwards)."""
        month = self.steps - 1
        self.month = month
        kp, keys, fs, ins = self.kp, self.keys, self.faculty, self.institutions
        t = time.perf_counter()

        # 1. hiring
        vacancies = np.maximum(self._target_size - self._inst_active, 0)
        self._ensure_rows(int(vacancies.sum()))
        r0, r1 = population.hire(fs.cols, ins.cols, kp, keys, self.counters, month, vacancies)
        fs.n = int(self.counters[N_ROWS])
        self._append_active(r0, r1)
        self.last_hired = r1 - r0
        mentoring.build_pools(fs.cols, self.active, self.n_active, ins.n, *self.pools)
        t = self._timed("hiring", t)

        # 2. needs
        needs.update_needs(fs.cols, kp, self.active, self.n_active, month)
        t = self._timed("needs", t)

        # 3. ties
        self.ties.ensure(self.n_active * self._ties_per_protege + 2 * (r1 - r0 + len(self._new_rows)) * self._group_size)
        if self._peers_on and (r1 > r0 or len(self._new_rows)):
            new_rows = np.concatenate([self._new_rows, np.arange(r0, r1, dtype=np.int32)])
            order = np.lexsort((fs.hire_month[new_rows], fs.institution[new_rows]))
            mentoring.join_peer_groups(fs.cols, self.ties.cols, ins.cols, kp, self.counters, new_rows[order], month)
        self._new_rows = self._new_rows[:0]  # the initial population joins groups in month 0 only
        mentoring.maintain_ties(fs.cols, self.ties.cols, kp, keys, self.counters, self.pools,
                                self.active, self.n_active, month)
        self.ties.n = int(self.counters[N_TIES])
        t = self._timed("ties", t)

        # 4. support
        support.update_loads(fs.cols, kp, self.active, self.n_active, month)
        support.update_support(fs.cols, kp, self.active, self.n_active, month)
        t = self._timed("support", t)

        # 5. careers
        self.last_events[:] = 0
        careers.advance_careers(fs.cols, kp, keys, self.active, self.n_active, month, self.last_events)
        t = self._timed("careers", t)

        # 6. exits
        self.last_exits[:] = 0
        exits.request_exits(fs.cols, kp, keys, self.active, self.n_active, month)
        self.n_active = exits.apply_exits(fs.cols, self.ties.cols, ins.cols, kp, keys, self.pools[4], self.active,
                                          self.n_active, month, self.last_exits)
        self._timed("exits", t)
        if self.month + 1 >= self.n_months:
            self.running = False

    # --- agents as views -----------------------------------------------------------------

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Active faculty as Mesa agents (views over their rows), made on first look."""
        self._sync_views()
        return super().agents

    def _sync_views(self) -> None:
        active = set(self.active[: self.n_active].tolist())
        for row in [r for r in self._views if r not in active]:
            self._views.pop(row).remove()
        for row in sorted(active - self._views.keys()):
            self._views[row] = Faculty(self, row)

    def faculty_member(self, row: int) -> Faculty:
        """The view of one person by row, active or not."""
        return self._views.get(row) or Faculty(self, row, register=False)

    def active_rows(self) -> np.ndarray:
        return self.active[: self.n_active].copy()


class _Column:
    """Attribute access to one state column at the agent's row (Mesa's PropertyDescriptor idea)."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = agent.model.faculty.arrays[self.name][agent.row]
        return value.item() if np.ndim(value) == 0 else value.copy()

    def __set__(self, agent, value) -> None:
        agent.model.faculty.arrays[self.name][agent.row] = value


class Faculty(mesa.Agent):
    """One faculty member: a view over a row of the model's columns; holds no state itself."""

    def __init__(self, model: CareerModel, row: int, register: bool = True):
        if register:
            super().__init__(model)
        else:
            self.model = model
            self.pos = None
        self.row = int(row)
        self.unique_id = self.row

    def __repr__(self) -> str:
        return f"<Faculty {self.row}: {self.gender} {self.rank_name}, institution {self.institution}>"

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
        """(mentor, kind) for each current tie, peers included."""
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

