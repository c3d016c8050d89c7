"""The teaching app: the same people under two mentoring models, side by side, live.

    careersim app                                   # serves the explorer on http://127.0.0.1:8765/
    python -m simulation.app --screenshot docs/images/app.png   # the README's picture

The model it drives is a `Twin`, a `mesa.Model` that holds two `CareerModel`s built from the
same controls and the same seed (so the same people: a person is their `person_key` in both),
differing in the mentoring model, and steps both together. The page is Solara: a controls
column (step, play, reset, the lesson set-up, the levers, each showing its value) and two
columns of cards, left pane and right pane. Mesa's SolaraViz is not used: its grid of
draggable slots cut the charts, and its controls kept their own values, so a lesson set-up
could not show in them.

The file has two halves. The model side (`Settings`, `build_params`, `Pane`, `Twin`, the
lesson moments `find_moment` and the chart data and captions they compute) is plain Python
over the model's columns and is unit-tested without a browser. The drawing side (`Page` and
the components under it) turns that data into Vega-Lite specifications, written here as plain
dicts: building them with Altair and validating them would cost more than the month it draws.

Drawing is what costs, so each pane draws one department (a fixed block of positions in one
institution, at most `DEPT_MAX` people) on a fixed circle of positions, so nobody jumps
between months; the charts' data are cached per month, and a chart whose specification did
not change sends nothing to the browser.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import mesa
import numpy as np
from numba import njit

from simulation.model.mesa_model import CareerModel
from simulation.config.params import FUNCTIONS, MENTORING_MODELS, MODELS, RANKS, Params, ensemble_members
from simulation.model.recorder import IX_RANK_GENDER, S, Recorder
from simulation.run.simulate import COMPILING, numba_threads
from simulation.config.scenario import ConfigError, list_scenarios, load_scenario
from simulation.model.population import HIRE_KEY_SHIFT
from simulation.model.state import (
    ACTIVE, ASSISTANT, EXIT_REASONS, FULL, MENTOR_LEFT, NEVER, PEER, TIE_KINDS,
)

# --- the controls ---------------------------------------------------------------------------

AS_IN_FILE = "as in the file"
NO_FILE = "none: the model's own file"
POINT_DEFAULTS = "point defaults"  # the calibration control: the point defaults, or "ensemble member k"
DEPT_TARGET = 60  # the drawn department: the institution whose size is nearest this ...
DEPT_MAX = 80  # ... cut to at most this many positions
FADE_MONTHS = 6  # people who left fade out over this many months
SERIES_POINTS = 240  # most points a time-series chart sends (longer histories are thinned)


@dataclass(frozen=True)
class Settings:
    """What the controls set. A lever left at its default keeps the scenario file's value."""

    model_a: str = "dyad"
    scenario_a: str = NO_FILE
    model_b: str = "network"
    scenario_b: str = NO_FILE
    ties: int = 3
    peers: bool = False
    external_ties: bool = True
    capacity: float = 1.0
    cap_mentees: int = 0
    share_women: float = 0.47
    women_mentor_policy: bool = False
    n_faculty: int = 1000
    seed: int = 7
    calibration: str = POINT_DEFAULTS


DEFAULTS = Settings()


def member_label(k: int) -> str:
    return f"ensemble member {k}"


def calibration_choices() -> list[str]:
    """The calibration control's choices: the point defaults, then each member of the installed
    record's calibrated ensemble (none when the record has no ensemble)."""
    return [POINT_DEFAULTS, *(member_label(k) for k in range(len(ensemble_members())))]


def calibration_values(choice: str) -> dict[str, float] | None:
    """What a calibration choice applies at the level of the defaults (`load_scenario(base=...)`):
    None for the point defaults, else the ensemble member's values."""
    if choice == POINT_DEFAULTS:
        return None
    members = ensemble_members()
    m = re.fullmatch(r"ensemble member (\d+)", choice)
    if m is None or int(m.group(1)) >= len(members):
        have = (f"members 0 to {len(members) - 1}" if members
                else "no ensemble (`careersim calibrate --history-match`, then `careersim calibrate --ensemble 200 "
                     "--apply` makes one)")
        raise ConfigError(f"calibration {choice!r}: the installed calibration record has {have}")
    return members[int(m.group(1))]


def model_params() -> dict:
    """The controls (one per `Settings` field, with how a slider shows its value; the
    calibration control only when the installed calibration record has an ensemble)."""
    scenarios = [NO_FILE, *list_scenarios()]
    d = DEFAULTS
    controls = {
        "model_a": {"type": "Select", "value": d.model_a, "values": [*MODELS, AS_IN_FILE],
                    "label": "Left pane: mentoring model"},
        "scenario_a": {"type": "Select", "value": d.scenario_a, "values": scenarios,
                       "label": "Left pane: scenario file"},
        "model_b": {"type": "Select", "value": d.model_b, "values": [*MODELS, AS_IN_FILE],
                    "label": "Right pane: mentoring model"},
        "scenario_b": {"type": "Select", "value": d.scenario_b, "values": scenarios,
                       "label": "Right pane: scenario file"},
        "ties": {"type": "SliderInt", "value": d.ties, "min": 1, "max": 6, "step": 1,
                 "label": "Ties per protégé", "show": lambda v: f"at most {v}"},
        "peers": {"type": "Checkbox", "value": d.peers, "label": "Peer groups"},
        "external_ties": {"type": "Checkbox", "value": d.external_ties,
                          "label": "External ties"},
        "capacity": {"type": "SliderFloat", "value": d.capacity, "min": 0.25, "max": 3.0, "step": 0.25,
                     "label": "Mentor capacity", "show": lambda v: f"{v:g} × the hours"},
        "cap_mentees": {"type": "SliderInt", "value": d.cap_mentees, "min": 0, "max": 10, "step": 1,
                        "label": "Cap on mentees", "show": lambda v: f"{v} each" if v else "none"},
        "share_women": {"type": "SliderFloat", "value": d.share_women, "min": 0.0, "max": 1.0, "step": 0.01,
                        "label": "Women's share of hires", "show": lambda v: f"{100 * v:.0f}%"},
        "women_mentor_policy": {"type": "Checkbox", "value": d.women_mentor_policy,
                                "label": "Women-mentor policy"},
        "n_faculty": {"type": "SliderInt", "value": d.n_faculty, "min": 100, "max": 2000, "step": 100,
                      "label": "Faculty", "show": lambda v: f"{v:,} people"},
        "seed": {"type": "SliderInt", "value": d.seed, "min": 0, "max": 99, "step": 1, "label": "Seed",
                 "show": str},
    }
    choices = calibration_choices()
    if len(choices) > 1:  # only with a calibrated ensemble installed
        controls["calibration"] = {"type": "Select", "value": d.calibration, "values": choices,
                                   "label": "Calibration (both panes)"}
    return controls


def _lever_sets(s: Settings, base: Params) -> list[str]:
    """`--set` overrides for the levers that differ from their defaults."""
    d, out = DEFAULTS, []
    if s.ties != d.ties:
        out += [f"network.max_ties={s.ties}", f"committee.size={s.ties}",
                f"network.max_new_per_search={min(s.ties, base.network.max_new_per_search)}"]
    if s.peers != d.peers:
        out.append(f"mentoring.peers={str(s.peers).lower()}")
    if s.external_ties != d.external_ties:
        out.append(f"mentoring.external_ties={str(s.external_ties).lower()}")
    if s.capacity != d.capacity:
        hours = base.mentors.capacity_hours
        out += [f"mentors.capacity_hours.{r}={getattr(hours, r) * s.capacity:g}" for r in RANKS]
    if s.cap_mentees != d.cap_mentees:
        out.append(f"mentoring.cap_mentees={s.cap_mentees}")
    if s.share_women != d.share_women:
        out.append(f"hiring.share_women={s.share_women:g}")
    if s.women_mentor_policy != d.women_mentor_policy:
        out.append(f"mentoring.women_mentor_policy={str(s.women_mentor_policy).lower()}")
    return out


def build_params(s: Settings, pane: str) -> Params:
    """The parameters of one pane ("a" left, "b" right): its scenario file (by default the file
    named after its mentoring model), its model, the population and seed, then the levers; on the
    point defaults or, under them, an ensemble member's values (the calibration control)."""
    member = calibration_values(s.calibration)
    model, scenario = (s.model_a, s.scenario_a) if pane == "a" else (s.model_b, s.scenario_b)
    if scenario == NO_FILE:
        scenario = model if model in list_scenarios() else "status_quo"
    sets = [] if model == AS_IN_FILE else [f"mentoring.model={model}"]
    base = load_scenario(scenario, sets, seed=s.seed, base=member)
    pop = base.population
    # as many institutions as the file has per faculty member (2,000 in 10: one per 200)
    k = max(1, round(s.n_faculty * pop.n_institutions / pop.n_faculty))
    k = max(1, min(k, s.n_faculty // pop.min_institution_size))
    sets += [f"population.n_faculty={s.n_faculty}", f"population.n_institutions={k}"]
    sets += _lever_sets(s, base)
    return load_scenario(scenario, sets, seed=s.seed, base=member)


# --- one pane ---------------------------------------------------------------------------------

def circle_layout(n: int) -> np.ndarray:
    """Fixed positions for n slots on a circle (slot k at angle 2 pi k / n), radius 1."""
    a = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return np.stack([np.cos(a), np.sin(a)], axis=1)


# --- who a person is ------------------------------------------------------------------------------

def key_parts(key: int) -> tuple[int | None, int]:
    """(institution, hire number from 1) of a hire, or (None, number) of the initial population:
    the model's identity of a person (`person_key`: initial person k is key k, the n-th hire of
    institution i has key (i + 1) << 40 | n - 1), the same in every scenario and every pane."""
    key = int(key)
    inst = (key >> HIRE_KEY_SHIFT) - 1
    return (None, key) if inst < 0 else (inst, (key & ((1 << HIRE_KEY_SHIFT) - 1)) + 1)


def tag(key: int) -> str:
    """A person's short name, from their identity: #57 (initial faculty member 57) or #3-12 (the
    12th hire of institution 3)."""
    inst, n = key_parts(key)
    return f"#{n}" if inst is None else f"#{inst}-{n}"


def who(key: int) -> str:
    """A person's identity in words."""
    inst, n = key_parts(key)
    return f"{tag(key)} (initial faculty)" if inst is None else f"{tag(key)} (hire {n} of institution {inst})"


def shown(month: int) -> int:
    """The month the app shows for a month of the model: the model counts from 0, the app from 1
    (after one step the charts say month 1)."""
    return int(month) + 1


# where ties to mentors outside the drawn department point
ANCHORS = {"here": (-0.8, -1.25, "same institution"), "away": (0.8, -1.25, "other institutions")}


class Pane:
    """One CareerModel with what the app shows of it: a department, monthly series, detail."""

    def __init__(self, params: Params, side: str = "a"):
        self.params = params
        self.side = side
        self.model = CareerModel(params)
        self.recorder = Recorder(params.n_months)
        sizes = self.model.institutions.arrays["target_size"]
        self.institution = int(np.argmin(np.abs(sizes.astype(np.int64) - DEPT_TARGET)))
        first = int(self.model.institutions.arrays["first_row"][self.institution])
        self.dept_rows = np.arange(first, first + min(int(sizes[self.institution]), DEPT_MAX), dtype=np.int64)
        self.layout = circle_layout(len(self.dept_rows))
        self.slot_of_row = {int(r): k for k, r in enumerate(self.dept_rows)}
        self.ghosts: dict[int, dict] = {}  # person key -> who left the department, and when
        self.coverage = np.full((params.n_months, len(FUNCTIONS)), np.nan)  # mean per function, proteges
        self._spike_rejection = params.needs.spike_rejection.array()
        self.now = self._snapshot(np.zeros(len(self.model.faculty.arrays["status"]), dtype=bool))
        self.before = self.now
        self._cache: dict[tuple, object] = {}

    def _snapshot(self, rejected: np.ndarray) -> dict:
        """Each position's person (key), whether in post, and their coverage and need as this month's
        support phase saw them. Phase 5 (careers) raises the need of someone whose grant was rejected
        after support was computed; that spike is taken off here, so coverage = support / need."""
        fs = self.model.faculty.arrays
        need = fs["need_base"] + fs["need_spike"] - rejected[:, None] * self._spike_rejection * fs["need_mult"]
        return {"key": fs["person_key"].copy(), "active": fs["status"] == ACTIVE, "need": need,
                "coverage": fs["coverage"].copy(), "month": self.model.month}

    @property
    def label(self) -> str:
        p = self.params
        model = MENTORING_MODELS[p.mentoring.model]
        extra = [x for x, on in (("peers", p.peers_on and not model.peer_groups),
                                 ("external", p.mentoring.external_ties and model.external_ties),
                                 ("women-mentor policy", p.mentoring.women_mentor_policy)) if on]
        return p.mentoring.model + (f" + {', '.join(extra)}" if extra else "")

    @property
    def month(self) -> int:
        """Months simulated so far (0 before the first step)."""
        return self.model.month + 1

    @property
    def running(self) -> bool:
        return self.month < self.params.n_months

    def step(self) -> None:
        if not self.running:
            return
        m = self.model
        fs = m.faculty.arrays
        streak, keys = fs["rejection_streak"].copy(), fs["person_key"].copy()
        with numba_threads(1):
            m.step()
            self.recorder.record(m, m.last_hired, m.last_exits, m.last_events)
        self.before = self.now
        self.now = self._snapshot((fs["rejection_streak"] > streak) & (fs["person_key"] == keys))
        n_left = int(m.last_exits.sum())
        if n_left:  # who left the drawn department this month (their rows are in model.left)
            arc = m.archive.arrays
            for k, row in enumerate(m.left[:n_left]):
                slot = self.slot_of_row.get(int(row))
                if slot is not None:
                    a = m.archive.n - n_left + k
                    self.ghosts[int(arc["person_key"][a])] = {
                        "slot": slot, "month": m.month, "female": bool(arc["female"][a]), "rank": int(arc["rank"][a])}
        self.ghosts = {p: g for p, g in self.ghosts.items() if m.month - g["month"] < FADE_MONTHS}
        fs = m.faculty.arrays
        rows = m.active[: m.n_active]
        prot = rows[fs["rank"][rows] < FULL]
        if len(prot):
            self.coverage[m.month] = fs["coverage"][prot].mean(axis=0)
        self._cache.clear()

    # chart data: each a small dict or array, cached until the next step

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def retention(self) -> dict:
        """Kaplan-Meier share of the run's hires still in academia, by years since hire."""
        return self._cached("retention", self._retention)

    def _retention(self) -> dict:
        m = self.model
        fs = m.everyone()
        hired = ~fs.initial
        if m.month < 0 or not hired.any():
            return {"years": [], "share": []}
        end = np.where(fs.status == ACTIVE, m.month + 1, fs.exit_month)[hired]
        durations = (end - fs.hire_month[hired]).astype(np.int64)
        left = (fs.status != ACTIVE)[hired]
        t_max = int(durations.max())
        at_risk = np.cumsum(np.bincount(durations, minlength=t_max + 1)[::-1])[::-1]  # followed at least t months
        events = np.bincount(durations[left], minlength=t_max + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        share = np.cumprod(1.0 - hazard)  # survival after month t of tenure
        share = np.concatenate([[1.0], share[:-1]])  # ... at the start of month t
        return {"years": (np.arange(t_max + 1) / 12.0).tolist(), "share": share.tolist(), "n_hires": int(hired.sum())}

    def series(self) -> dict:
        """Monthly series: coverage per function, publications per faculty-year (12-month mean),
        women's share by rank. Thinned to at most SERIES_POINTS points."""
        return self._cached("series", self._series)

    def _series(self) -> dict:
        n = self.month
        s = self.recorder.series[:n]
        keep = (np.unique(np.linspace(0, n - 1, min(n, SERIES_POINTS)).round().astype(np.int64)) if n
                else np.zeros(0, int))
        pubs_rate = s[:, S.pubs] / np.maximum(s[:, S.n_active], 1) * 12.0
        kernel = np.ones(12)
        smooth = np.convolve(pubs_rate, kernel)[:n] / np.minimum(np.arange(1, n + 1), 12) if n else pubs_rate
        women = {}
        for r, rank in enumerate(RANKS):
            w, men = s[:, IX_RANK_GENDER[2 * r]], s[:, IX_RANK_GENDER[2 * r + 1]]
            with np.errstate(invalid="ignore", divide="ignore"):
                women[rank] = np.where(w + men > 0, w / (w + men), np.nan)[keep]
        return {
            "year": (keep / 12.0).tolist(),
            "coverage": {f: _clean(self.coverage[keep, k]) for k, f in enumerate(FUNCTIONS)},
            "pubs": _clean(smooth[keep]),
            "women": {r: _clean(v) for r, v in women.items()},
        }

    def summary(self) -> dict:
        """The latest value of each chart's quantity (for captions and the overlay)."""
        s, r = self.series(), self.retention()
        last = lambda xs: xs[-1] if xs else None  # noqa: E731
        cov = [last(v) for v in s["coverage"].values()]
        five = None
        if r["years"] and r["years"][-1] >= 5:
            five = r["share"][60]
        return {"coverage": (float(np.nanmean([c for c in cov if c is not None]))
                             if any(c is not None for c in cov) else None),
                "pubs": last(s["pubs"]), "retention_5y": five,
                "women": {k: last(v) for k, v in s["women"].items()}}

    # the department's mentoring network

    def graph(self) -> dict:
        """Nodes (the department's faculty at fixed places, leavers fading) and ties."""
        return self._cached("graph", self._graph)

    def _graph(self) -> dict:
        m = self.model
        fs = m.faculty.arrays
        nodes, edges = [], []
        here = set()
        for slot, row in enumerate(self.dept_rows):
            if fs["status"][row] != ACTIVE:
                continue
            key = int(fs["person_key"][row])
            here.add(int(row))
            rank = int(fs["rank"][row])
            x, y = self.layout[slot]
            nodes.append({"key": key, "x": round(float(x), 4), "y": round(float(y), 4),
                          "gender": "woman" if fs["female"][row] else "man", "rank": RANKS[rank],
                          "opacity": 1.0, "state": "in post",
                          "tip": f"{who(key)}: {'woman' if fs['female'][row] else 'man'}, {RANKS[rank]}"})
        for key, g in self.ghosts.items():
            x, y = self.layout[g["slot"]] * 1.12
            age = m.month - g["month"]
            nodes.append({"key": key, "x": round(float(x), 4), "y": round(float(y), 4),
                          "gender": "woman" if g["female"] else "man", "rank": RANKS[g["rank"]],
                          "opacity": round(0.55 * (1 - age / FADE_MONTHS), 3), "state": "left",
                          "tip": f"{who(key)} left in month {shown(g['month'])}"})
        inst = fs["institution"]
        seen_peer = set()
        for row in here:
            x0, y0 = self.layout[self.slot_of_row[row]]
            for j, kind in zip(fs["tie_mentor"][row], fs["tie_kind"][row]):
                if j < 0:
                    continue
                j = int(j)
                if kind == PEER:
                    pair = (min(row, j), max(row, j))
                    if pair in seen_peer:
                        continue
                    seen_peer.add(pair)
                if j in here:
                    x1, y1 = self.layout[self.slot_of_row[j]]
                    target = "department"
                else:
                    a = ANCHORS["here" if inst[j] == inst[row] else "away"]
                    x1, y1 = a[0], a[1]
                    target = a[2]
                edges.append({"x": round(float(x0), 4), "y": round(float(y0), 4), "x2": round(float(x1), 4),
                              "y2": round(float(y1), 4), "kind": TIE_KINDS[kind], "target": target})
        counts = {k: sum(e["kind"] == k for e in edges) for k in TIE_KINDS[1:]}
        return {"nodes": nodes, "edges": edges, "counts": counts, "n_here": len(here),
                "anchors": [{"x": a[0], "y": a[1], "label": a[2]} for a in ANCHORS.values()]}

    # one person

    def locate(self, key: int) -> tuple[dict, int, bool] | None:
        """(columns, row, in post) of the person with this identity (`person_key`), or None if
        this run has not hired them."""
        m = self.model
        fs = m.faculty.arrays
        rows = np.flatnonzero((fs["person_key"] == key) & (fs["status"] == ACTIVE))
        if len(rows):
            return fs, int(rows[0]), True
        arc = m.archive.arrays
        rows = np.flatnonzero(arc["person_key"][: m.archive.n] == key)
        if len(rows):
            return arc, int(rows[0]), False
        return None

    def absence(self, key: int) -> str:
        """Why a person is not in this pane's run, in words."""
        inst, n = key_parts(key)
        if inst is None or inst >= self.model.institutions.n:
            return f"{tag(key)} is not in this run ({self.params.population.n_faculty} faculty)."
        made = int(self.model.institutions.arrays["hire_seq"][inst])
        return (f"{who(key)} was never hired under the {self.label}: by month {self.month} "
                f"institution {inst} has made {made} hire{'s' * (made != 1)}, so there was no hire {n} "
                "(fewer vacancies opened there).")

    def person(self, key: int) -> dict | None:
        """Everything the person panel shows, as this month's support phase computed it: needs,
        support and coverage by function; each tie and what it gives by function (with the ties
        that ended at the end of the month, whose support counted this month); the career so far.
        None if this run never hired them."""
        return self._cached(("person", key), lambda: self._person(key))

    def _person(self, key: int) -> dict | None:
        from simulation.model import support

        where = self.locate(key)
        if where is None:
            return None
        cols, i, in_post = where
        m = self.model
        obs = self.recorder.columns(m, in_post)  # the same row in the recorder's observation columns
        month = max(m.month, 0)
        female = bool(cols["female"][i])
        out = {
            "key": int(key), "tag": tag(key), "who": who(key), "person_id": int(cols["person_id"][i]),
            "gender": "woman" if female else "man", "rank": RANKS[int(cols["rank"][i])],
            "in_post": in_post, "institution": int(cols["institution"][i]),
            "hire_month": int(cols["hire_month"][i]), "initial": bool(cols["initial"][i]),
            "career": {
                "publications": int(cols["pubs"][i]),
                "grants": int(cols["n_grants"][i]),
                "first_grant_month": _month_or_none(cols["month_first_grant"][i]),
                "associate_month": _month_or_none(cols["month_associate"][i]),
                "full_month": _month_or_none(cols["month_full"][i]),
                "career_award": bool(cols["career_award"][i]),
                "mentors_lost": int(obs["n_mentor_losses"][i]),
                "months_without_mentor": int(obs["no_mentor_months"][i]),
                "months_as_protege": int(obs["obs_months"][i]),
                "months_with_woman_mentor": int(obs["woman_mentor_months"][i]),
            },
            "exit": None, "needs": {}, "coverage": {}, "support": {}, "mentors": [], "ended": None,
        }
        if not in_post:
            out["exit"] = {"month": int(cols["exit_month"][i]), "reason": EXIT_REASONS[int(cols["status"][i])]}
            return out
        need = self.now["need"][i]
        out["needs"] = {f: float(need[k]) for k, f in enumerate(FUNCTIONS)}
        out["coverage"] = {f: float(cols["coverage"][i, k]) for k, f in enumerate(FUNCTIONS)}
        out["support"] = {f: float(cols["support"][i, k]) for k, f in enumerate(FUNCTIONS)}
        out["next_review"] = _month_or_none(cols["next_review"][i])
        w_primary, w_secondary, w_external, contact_by_age, peer_hours, peers_profile, discount = _tie_params(m.kp)
        for s in range(cols["tie_mentor"].shape[1]):
            j = int(cols["tie_mentor"][i, s])
            if j < 0:
                continue
            kind = int(cols["tie_kind"][i, s])
            weight = support.weight_of(kind, w_primary, w_secondary, w_external)
            contact = support.contact_of(contact_by_age, kind, month - int(cols["tie_start"][i, s]))
            fit, is_discounted = float(cols["tie_fit"][i, s]), bool(cols["tie_discount"][i, s])
            gives = {}
            for k, f in enumerate(FUNCTIONS):
                source = float(peers_profile[k] if kind == PEER else cols["mentor_output"][j, k])
                gives[f] = float(support.tie_support_of(source, kind, weight, contact, fit, peer_hours, discount,
                                                        is_discounted, k))
            out["mentors"].append({
                "key": int(cols["person_key"][j]), "tag": tag(cols["person_key"][j]), "kind": TIE_KINDS[kind],
                "gender": "woman" if cols["female"][j] else "man", "rank": RANKS[int(cols["rank"][j])],
                "same_institution": bool(cols["institution"][j] == cols["institution"][i]),
                "since": int(cols["tie_start"][i, s]), "gives": gives,
                "share_of_need": float(cols["tie_value"][i, s]),
            })
        # ties whose mentor left at the end of this month (phase 6, after support): they gave this
        # month's support, and what they gave is the support not given by the ties still held
        tl, n = m.ties.arrays, m.ties.n
        gone = np.flatnonzero((tl["protege"][:n] == out["person_id"]) & (tl["end_month"][:n] == m.month)
                              & (tl["end_reason"][:n] == MENTOR_LEFT))
        if len(gone):
            arc = m.archive.arrays
            ties = []
            for k in gone:
                row = np.flatnonzero(arc["person_id"][: m.archive.n] == tl["mentor"][k])
                r = int(row[-1])
                ties.append({"key": int(arc["person_key"][r]), "tag": tag(arc["person_key"][r]),
                             "kind": TIE_KINDS[int(tl["kind"][k])], "since": int(tl["start_month"][k]),
                             "gender": "woman" if arc["female"][r] else "man", "rank": RANKS[int(arc["rank"][r])]})
            gives = {f: max(0.0, out["support"][f] - sum(x["gives"][f] for x in out["mentors"])) for f in FUNCTIONS}
            out["ended"] = {"ties": ties, "gives": gives}
        return out


@njit(cache=True)
def _tie_params(kp):
    """What `support.tie_support_of` needs of the parameters, read out of the kernels' structref
    (whose fields Python cannot read): the tie weights by kind, the contact table, a peer's
    hours and profile, and the concordance discount."""
    return (kp.mentoring_weight_primary, kp.mentoring_weight_secondary, kp.mentoring_weight_external,
            kp.contact_by_age, kp.peers_hours_per_peer, kp.peers_profile,
            1.0 / (1.0 + kp.mentoring_concordance_gain))


def _clean(values) -> list:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(values, dtype=float)]


def _month_or_none(v) -> int | None:
    return None if int(v) == NEVER else int(v)


# --- the two panes as one Mesa model ------------------------------------------------------------

class Twin(mesa.Model):
    """Two CareerModels, the same people (same seed, same population), two mentoring models,
    stepped together: `step()` advances both by one month. Reset makes a new one
    with the controls' values as keyword arguments."""

    def __init__(self, **kwargs):
        s = replace(DEFAULTS, **{k: v for k, v in kwargs.items() if k in {f.name for f in fields(Settings)}})
        super().__init__(seed=s.seed)
        self.settings = s
        self.errors: list[str] = []
        self.panes = []
        for side in ("a", "b"):
            try:
                params = build_params(s, side)
            except ConfigError as exc:  # a scenario that does not go with the controls
                self.errors.append(f"{'left' if side == 'a' else 'right'} pane: {exc}; showing the defaults")
                params = build_params(replace(DEFAULTS, n_faculty=s.n_faculty, seed=s.seed), side)
            self.panes.append(Pane(params, side))
        self.step_seconds = 0.0
        self.lock = threading.RLock()  # one step at a time (playing runs in a thread of its own)
        self.moment: Moment | None = None

    @property
    def month(self) -> int:
        return self.panes[0].month

    def step(self) -> None:
        t = time.perf_counter()
        with self.lock:
            for p in self.panes:
                p.step()
        self.running = any(p.running for p in self.panes)
        self.step_seconds = time.perf_counter() - t

    def overlay(self) -> dict:
        """Both panes' curves for the side-by-side chart."""
        return {p.side: {"label": p.label, "retention": p.retention(), "series": p.series()} for p in self.panes}


# --- the lesson: four prepared moments ---------------------------------------------------------

LESSON_SETTINGS = Settings(model_a="dyad", model_b="network", peers=True, n_faculty=400, seed=11)
LESSON = ("mentor_leaves", "review_approaches", "peer_group", "woman_mentor")
LESSON_TITLES = {
    "mentor_leaves": "A mentor leaves",
    "review_approaches": "A review approaches",
    "peer_group": "Peers form a group",
    "woman_mentor": "A woman looks for a woman mentor",
}


@dataclass
class Moment:
    """A lesson moment: the month it shows, the person it is about (their `person_key`), the
    caption, and the facts the caption states (each read from the state; tests check them)."""

    kind: str
    month: int
    key: int | None
    caption: str
    facts: dict = field(default_factory=dict)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else IRREGULAR.get(word, word + 's')}"


IRREGULAR = {"person": "people"}


def _dept_keys(pane: Pane) -> dict[int, int]:
    """person key -> row of the drawn department's people in post."""
    fs = pane.model.faculty.arrays
    rows = pane.dept_rows[fs["status"][pane.dept_rows] == ACTIVE]
    return {int(fs["person_key"][r]): int(r) for r in rows}


def _ties_this_month(pane: Pane, started: bool) -> np.ndarray:
    """Indices into the tie log of ties that started (or ended) this month."""
    tl = pane.model.ties.arrays
    n = pane.model.ties.n
    col = tl["start_month"][:n] if started else tl["end_month"][:n]
    return np.flatnonzero(col == pane.model.month)


def key_of_id(pane: Pane, person_id: int) -> int:
    """The identity (`person_key`) of a pane's running number (the tie log's ids)."""
    m = pane.model
    for arr, n in ((m.faculty.arrays, None), (m.archive.arrays, m.archive.n)):
        ids = arr["person_id"][:n]
        rows = np.flatnonzero(ids == person_id)
        if arr is m.faculty.arrays:
            rows = rows[arr["status"][rows] == ACTIVE]
        if len(rows):
            return int(arr["person_key"][rows[-1]])
    raise KeyError(person_id)


def snapshot_of(snap: dict, key: int, what: str) -> np.ndarray | None:
    """A person's row of a pane snapshot (`Pane.now`, `Pane.before`), or None if not in post then."""
    rows = np.flatnonzero((snap["key"] == key) & snap["active"])
    return snap[what][rows[0]] if len(rows) else None


def senior_ties(d: dict | None) -> list[dict]:
    return [x for x in (d or {}).get("mentors", []) if x["kind"] != "peer"]


def elsewhere(pane: Pane, key: int) -> str | None:
    """Why a person cannot be followed in this pane (never hired; left), or None."""
    d = pane.person(key)
    if d is None:
        return pane.absence(key)
    if not d["in_post"]:
        return f"{tag(key)} left in month {shown(d['exit']['month'])} ({d['exit']['reason']}) under the {pane.label}"
    return None


def _went(x: float, y: float) -> str:
    if round(100 * y) < round(100 * x):
        return f"fell from {pct(x)} to {pct(y)}"
    if round(100 * y) > round(100 * x):
        return f"rose from {pct(x)} to {pct(y)}"
    return f"stayed at {pct(x)}"


def _need_went(x: float, y: float) -> str:
    if round(y, 2) > round(x, 2):
        return f"rose from {x:.2f} to {y:.2f}"
    if round(y, 2) < round(x, 2):
        return f"fell from {x:.2f} to {y:.2f}"
    return f"stayed at {x:.2f}"


def _mentor_leaves(twin: Twin) -> Moment | None:
    a, b = twin.panes
    tl = a.model.ties.arrays
    dept = _dept_keys(a)
    for k in _ties_this_month(a, started=False):
        if tl["end_reason"][k] != MENTOR_LEFT or tl["kind"][k] == PEER:
            continue
        key = key_of_id(a, int(tl["protege"][k]))
        if key not in dept:
            continue
        left = a.model.month
        mentor, kind = key_of_id(a, int(tl["mentor"][k])), TIE_KINDS[int(tl["kind"][k])]
        twin.step()  # the month after: support without the mentor (unless a new one was found)
        facts = {"key": key, "mentor_key": mentor, "kind": kind, "month_left": shown(left), "month": twin.month}
        text = f"At the end of month {shown(left)} the {kind} mentor of {who(key)}, {tag(mentor)}, left. "
        for side, pane in (("left", a), ("right", b)):
            was, now = snapshot_of(pane.before, key, "coverage"), snapshot_of(pane.now, key, "coverage")
            gone = elsewhere(pane, key)
            if was is None or now is None or gone:
                facts[side] = None
                text += (f"Under the {pane.label} ({side}): "
                         f"{gone or f'{tag(key)} was not in post in month {shown(left)}'}. ")
                continue
            f = int(np.argmax(was - now))
            n = len(senior_ties(pane.person(key)))
            facts[side] = {"before": float(was.mean()), "after": float(now.mean()), "function": FUNCTIONS[f],
                           "f_before": float(was[f]), "f_after": float(now[f]), "n_mentors": n}
            same = "the same person's" if side == "right" else f"{tag(key)}'s"
            most = (f", most in {FUNCTIONS[f]} ({pct(was[f])} → {pct(now[f])})"
                    if round(100 * was[f]) > round(100 * now[f]) else "")
            text += (f"Under the {pane.label} ({side}) {same} mean coverage {_went(was.mean(), now.mean())} "
                     f"from month {shown(left)} to month {shown(left + 1)}{most}; "
                     f"{'they have' if side == 'right' else tag(key) + ' has'} {_plural(n, 'mentor')} now. ")
        return Moment("mentor_leaves", twin.month, key, text + "What went with the mentor?", facts)
    return None


def _review_approaches(twin: Twin) -> Moment | None:
    a, b = twin.panes
    fs = a.model.faculty.arrays
    lead = a.params.needs.review_lead_months
    spiking = [k for k, f in enumerate(FUNCTIONS) if a.params.needs.spike_review.array()[k] > 0]
    month = a.model.month
    for key, row in _dept_keys(a).items():
        if fs["rank"][row] != ASSISTANT or int(fs["next_review"][row]) - month != lead:
            continue
        was = snapshot_of(a.before, key, "need")
        if was is None:
            continue
        now = snapshot_of(a.now, key, "need")
        facts = {"key": key, "month": shown(month), "review": shown(fs["next_review"][row]), "functions": {}}
        rises = "; ".join(f"{FUNCTIONS[k]} {_need_went(was[k], now[k])}" for k in spiking)
        text = (f"The promotion review of {who(key)} is {lead} months away (month "
                f"{shown(month + lead)}). This month their need in {rises} (the person panel's need column). ")
        covered = {}
        for side, pane in (("left", a), ("right", b)):
            gone = elsewhere(pane, key)
            if gone:
                text += f"Under the {pane.label} ({side}): {gone}. "
                continue
            c = snapshot_of(pane.now, key, "coverage")
            covered[side] = float(np.mean(c[spiking]))
            facts["functions"][side] = {FUNCTIONS[k]: float(c[k]) for k in spiking}
            text += (f"Under the {pane.label} ({side}) "
                     + ", ".join(f"{FUNCTIONS[k]} is {pct(c[k])} covered" for k in spiking) + ". ")
        if len(covered) == 2:
            gap = covered["left"] - covered["right"]
            facts["gap"] = gap
            text += ("Both cover about as much of the rising need." if abs(gap) < 0.05 else
                     f"The {'left' if gap < 0 else 'right'} pane covers less of the rising need: whose mentors are "
                     "strong in science but not here?")
        facts["need_before"] = {FUNCTIONS[k]: float(was[k]) for k in spiking}
        facts["need_after"] = {FUNCTIONS[k]: float(now[k]) for k in spiking}
        return Moment("review_approaches", twin.month, key, text, facts)
    return None


def _peer_group(twin: Twin) -> Moment | None:
    a, b = twin.panes
    if not (a.params.peers_on or b.params.peers_on):
        return Moment("peer_group", twin.month, None, "Neither pane has peer groups: tick “Peer groups” in the "
                      "controls and press Reset.", {"peers_on": False})
    for side, p in (("right", b), ("left", a)):
        if not p.params.peers_on:
            continue
        tl = p.model.ties.arrays
        dept = _dept_keys(p)
        started = [k for k in _ties_this_month(p, started=True) if tl["kind"][k] == PEER]
        for k in started:
            key = key_of_id(p, int(tl["protege"][k]))
            if key not in dept:
                continue
            n = sum(1 for t in started if tl["protege"][t] == tl["protege"][k])
            d = p.person(key)
            peers = [x for x in d["mentors"] if x["kind"] == "peer"]
            top = sorted(FUNCTIONS, key=lambda f: -sum(x["gives"][f] for x in peers))[:2]
            given = {f: sum(x["gives"][f] for x in peers) for f in top}
            facts = {"key": key, "pane": side, "month": twin.month, "new_peers": n, "peers": len(peers),
                     "given": given, "need": {f: d["needs"][f] for f in top}}
            text = (f"Under the {p.label} ({side}) {who(key)} joins a peer group: "
                    f"{_plural(n, 'peer tie')} {'begin' if n != 1 else 'begins'} this month (green), "
                    f"{len(peers)} in all. Peers give little "
                    "time each, mostly in "
                    + " and ".join(f"{f} ({given[f]:.2f} of a need of {d['needs'][f]:.2f})" for f in top)
                    + ": see the person panel.")
            return Moment("peer_group", twin.month, key, text, facts)
    return None


def _woman_mentor(twin: Twin) -> Moment | None:
    a, b = twin.panes
    tl = b.model.ties.arrays
    fs = b.model.faculty.arrays
    dept = _dept_keys(b)
    for k in _ties_this_month(b, started=True):
        if tl["kind"][k] == PEER:
            continue
        key = key_of_id(b, int(tl["protege"][k]))
        if key not in dept or not fs["female"][dept[key]]:
            continue
        mentor = b.locate(key_of_id(b, int(tl["mentor"][k])))
        if mentor is None or not mentor[0]["female"][mentor[1]]:
            continue
        mkey = int(mentor[0]["person_key"][mentor[1]])
        gain = b.params.mentoring.concordance_gain
        text = (f"{who(key)}, a woman, gains a woman mentor ({tag(mkey)}, "
                f"{TIE_KINDS[int(tl['kind'][k])]}) under the {b.label} (right). In the model a man's career and "
                f"psychosocial support to a woman counts {pct(1 / (1 + gain))} of a woman's. ")
        facts = {"key": key, "mentor_key": mkey, "month": twin.month, "discount": 1 / (1 + gain)}
        gone = elsewhere(a, key)
        if gone:
            text += f"Under the {a.label} (left): {gone}."
            facts["left"] = None
        else:
            ties = senior_ties(a.person(key))
            women = sum(x["gender"] == "woman" for x in ties)
            facts["left"] = {"women": women, "mentors": len(ties)}
            text += (f"Under the {a.label} (left) the same person has {women} woman "
                     f"mentor{'s' * (women != 1)} of {len(ties)}.")
        return Moment("woman_mentor", twin.month, key, text, facts)
    return None


PROBES = {"mentor_leaves": _mentor_leaves, "review_approaches": _review_approaches, "peer_group": _peer_group,
          "woman_mentor": _woman_mentor}


def find_moment(twin: Twin, kind: str, max_months: int = 120) -> Moment:
    """Step both panes until the moment happens in the drawn department (at most max_months)."""
    probe = PROBES[kind]
    with twin.lock:
        found = probe(twin) if twin.month > 0 else None
        steps = 0
        while found is None and steps < max_months and twin.running:
            twin.step()
            steps += 1
            found = probe(twin)
    if found is None:
        return Moment(kind, twin.month, None, f"{LESSON_TITLES[kind]}: not seen in the department within "
                      f"{max_months // 12} years; try another seed.")
    return found


# --- the drawing side: Vega-Lite specifications -------------------------------------------------

PANE_COLOURS = {"a": "#d95f02", "b": "#1b9e77"}
GENDER_COLOURS = {"domain": ["woman", "man"], "range": ["#c51b7d", "#2166ac"]}
KIND_COLOURS = {"domain": ["primary", "secondary", "external", "peer"],
                "range": ["#252525", "#969696", "#e6550d", "#31a354"]}
RANK_SIZES = {"domain": list(RANKS), "range": [45, 120, 220]}
FUNCTION_COLOURS = {"domain": list(FUNCTIONS), "range": ["#1f77b4", "#9467bd", "#d62728", "#ff7f0e", "#2ca02c"]}
RANK_DASH = {"domain": list(RANKS), "range": [[1, 0], [6, 3], [2, 2]]}


@dataclass(frozen=True)
class Look:
    """Sizes of the drawing: text in pixels, plotting areas in pixels. Chosen so that two cards
    side by side fit a 1366-pixel-wide screen beside the 270-pixel controls column."""

    font: int = 14  # every chart text, at least
    width: int = 380  # a time-series chart's plotting area
    height: int = 170
    graph: tuple[int, int] = (300, 230)  # the network
    panel: tuple[int, int] = (150, 80)  # one of the four panels of the side-by-side chart


LOOKS = {"screen": Look(), "projector": Look(font=18, width=340, height=190, graph=(260, 230), panel=(135, 90))}


def _base(title: str, look: Look, subtitle: str | list[str] = "", width: int | None = None,
          height: int | None = None) -> dict:
    t = {"text": title, "anchor": "start", "fontSize": look.font + 2, "subtitleFontSize": look.font}
    if subtitle:
        t["subtitle"] = subtitle
    f = look.font
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": t,
            "width": width or look.width, "height": height or look.height,
            "config": {"view": {"stroke": None}, "font": "sans-serif",
                       "axis": {"labelFontSize": f, "titleFontSize": f},
                       "legend": {"orient": "bottom", "direction": "horizontal", "labelFontSize": f,
                                  "titleFontSize": f, "columns": 3, "labelLimit": 0},
                       "header": {"labelFontSize": f, "titleFontSize": f}, "text": {"fontSize": f}},
            "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}}}


def _wide(year: list, columns: dict) -> list[dict]:
    return [{"year": y, **{k: v[i] for k, v in columns.items()}} for i, y in enumerate(year)]


def graph_spec(pane: Pane, selected: int | None, look: Look = LOOKS["screen"]) -> dict:
    g = pane.graph()
    c = g["counts"]
    sub = [f"{g['n_here']} faculty of institution {pane.institution}",
           f"ties: {c['primary']} primary, {c['secondary']} secondary, {c['external']} external, {c['peer']} peer"]
    spec = _base(f"department · month {pane.month}", look, sub, *look.graph)
    scale = {"x": {"domain": [-1.75, 1.75]}, "y": {"domain": [-1.55, 1.25]}}
    axis = None
    nodes = [{**n, "selected": n["key"] == selected} for n in g["nodes"]]
    spec["layer"] = [
        {"data": {"values": g["edges"]}, "mark": {"type": "rule", "strokeWidth": 1.3, "opacity": 0.75},
         "encoding": {"x": {"field": "x", "type": "quantitative", "scale": scale["x"], "axis": axis},
                      "y": {"field": "y", "type": "quantitative", "scale": scale["y"], "axis": axis},
                      "x2": {"field": "x2"}, "y2": {"field": "y2"},
                      "color": {"field": "kind", "type": "nominal", "scale": KIND_COLOURS, "title": "tie"}}},
        {"data": {"values": g["anchors"]}, "mark": {"type": "square", "size": 160, "color": "#bdbdbd"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}},
        {"data": {"values": g["anchors"]},
         "mark": {"type": "text", "dy": look.font + 4, "fontSize": look.font, "color": "#444", "align": "center"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                      "text": {"field": "label"}}},
        {"data": {"values": nodes}, "mark": {"type": "circle", "cursor": "pointer"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                      "color": {"field": "gender", "type": "nominal", "scale": GENDER_COLOURS, "title": "faculty"},
                      "size": {"field": "rank", "type": "ordinal", "scale": RANK_SIZES, "title": "rank"},
                      "opacity": {"field": "opacity", "type": "quantitative", "scale": None, "legend": None},
                      "stroke": {"condition": {"test": "datum.selected", "value": "#000000"}, "value": None},
                      "strokeWidth": {"value": 3},
                      "tooltip": {"field": "tip"}}},
    ]
    spec["config"]["legend"].update(orient="right", direction="vertical", columns=1)
    spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


def retention_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    r = pane.retention()
    spec = _base(f"retention since hire · month {pane.month}", look, f"{r.get('n_hires', 0)} hired so far")
    spec["data"] = {"values": [{"years": y, "share": s}
                               for y, s in zip(r["years"], r["share"])][:: max(1, len(r["years"]) // SERIES_POINTS)]}
    spec["mark"] = {"type": "line", "interpolate": "step-after", "color": PANE_COLOURS[pane.side]}
    spec["encoding"] = {"x": {"field": "years", "type": "quantitative", "title": "years since hire"},
                        "y": {"field": "share", "type": "quantitative", "title": "still in academia",
                              "scale": {"domain": [0, 1]}, "axis": {"format": "%"}}}
    return spec


def _series_spec(pane: Pane, title: str, columns: dict, ytitle: str, colour_title: str | None, colours: dict,
                 look: Look, y_domain=None, fmt=None, dash=False) -> dict:
    s = pane.series()
    spec = _base(f"{title} · month {pane.month}", look)
    spec["data"] = {"values": _wide(s["year"], columns)}
    spec["transform"] = [{"fold": list(columns), "as": ["series", "value"]}]
    y = {"field": "value", "type": "quantitative", "title": ytitle}
    if y_domain:
        y["scale"] = {"domain": y_domain}
    if fmt:
        y["axis"] = {"format": fmt}
    enc = {"x": {"field": "year", "type": "quantitative", "title": "year of the run"}, "y": y,
           "color": {"field": "series", "type": "nominal", "scale": colours, "title": colour_title}}
    if colour_title is None:
        enc["color"]["legend"] = None
    if dash:
        enc["strokeDash"] = {"field": "series", "type": "nominal", "scale": RANK_DASH, "title": colour_title}
    spec["mark"] = {"type": "line", "strokeWidth": 2}
    spec["encoding"] = enc
    return spec


def coverage_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    return _series_spec(pane, "coverage per function", pane.series()["coverage"], "mean coverage of need",
                        "function", FUNCTION_COLOURS, look, [0, 1], "%")


def pubs_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    return _series_spec(pane, "publications", {"per faculty-year": pane.series()["pubs"]},
                        "per faculty-year", None, {"domain": ["per faculty-year"], "range": [PANE_COLOURS[pane.side]]},
                        look)


def women_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    return _series_spec(pane, "women's share by rank", pane.series()["women"], "women's share", "rank",
                        {"domain": list(RANKS), "range": [PANE_COLOURS[pane.side]] * 3}, look, [0, 1], "%",
                        dash=True)


def overlay_spec(twin: Twin, look: Look = LOOKS["screen"]) -> dict:
    """Both panes' curves in one chart: four small panels, left pane orange, right pane green."""
    o = twin.overlay()
    labels = {side: f"{'left' if side == 'a' else 'right'}: {v['label']}" for side, v in o.items()}
    colour = {"domain": [labels["a"], labels["b"]], "range": [PANE_COLOURS["a"], PANE_COLOURS["b"]]}
    ret, cov, pubs, women = [], [], [], []
    for side, v in o.items():
        r = v["retention"]
        step = max(1, len(r["years"]) // SERIES_POINTS)
        ret += [{"pane": labels[side], "x": y, "v": s} for y, s in list(zip(r["years"], r["share"]))[::step]]
        s = v["series"]
        for k, y in enumerate(s["year"]):
            vals = [s["coverage"][f][k] for f in FUNCTIONS if s["coverage"][f][k] is not None]
            cov.append({"pane": labels[side], "x": y, "v": sum(vals) / len(vals) if vals else None})
            pubs.append({"pane": labels[side], "x": y, "v": s["pubs"][k]})
            for rank in RANKS:
                women.append({"pane": labels[side], "x": y, "v": s["women"][rank][k], "rank": rank})

    def panel(values, title, xtitle, ytitle, pct=True, dash=False):
        y = {"field": "v", "type": "quantitative", "title": ytitle}
        if pct:
            y["axis"] = {"format": "%"}
        enc = {"x": {"field": "x", "type": "quantitative", "title": xtitle,
                     "axis": {"tickCount": 3, "tickMinStep": 0.25, "format": "~g"}}, "y": y,
               "color": {"field": "pane", "type": "nominal", "scale": colour, "title": None}}
        if dash:
            enc["strokeDash"] = {"field": "rank", "type": "nominal", "scale": RANK_DASH, "legend": None}
            enc["detail"] = {"field": "rank"}
        return {"title": {"text": title, "fontSize": look.font}, "width": look.panel[0], "height": look.panel[1],
                "data": {"values": values}, "mark": {"type": "line", "strokeWidth": 2}, "encoding": enc}

    spec = _base(f"side by side · month {twin.month}", look)
    del spec["width"], spec["height"]
    spec["vconcat"] = [
        {"hconcat": [panel(ret, "retention since hire", "years since hire", "in academia"),
                     panel(cov, "mean coverage", "year", "coverage")]},
        {"hconcat": [panel(pubs, "publications", "year", "per faculty-year", pct=False),
                     panel(women, "women: assistant —, full ··", "year", "women", dash=True)]},
    ]
    spec["config"]["legend"].update(orient="top", columns=1)
    spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


# --- what each chart shows now, in words (computed from the same data as the chart) ------------

def _last(xs: list):
    return next((x for x in reversed(xs) if x is not None), None)


def caption(kind: str, pane: Pane) -> str:
    """The sentence under a pane's chart: what it shows now, read from the chart's own data."""
    if kind == "graph":
        fs = pane.model.faculty.arrays
        rows = pane.dept_rows[fs["status"][pane.dept_rows] == ACTIVE]
        proteges = rows[fs["rank"][rows] < FULL]
        senior = ((fs["tie_mentor"][proteges] >= 0) & (fs["tie_kind"][proteges] != PEER)).sum(axis=1)
        faded = len(pane.ghosts)
        none = int((senior == 0).sum())
        return (f"Of {len(proteges)} protégés here (assistant and associate), {none} "
                f"{'has' if none == 1 else 'have'} no mentor, {int((senior == 1).sum())} one and "
                f"{int((senior >= 2).sum())} two or more; {_plural(faded, 'person')} left in the last {FADE_MONTHS} "
                "months (faded). Click a person.")
    s = pane.series()
    if kind == "retention":
        r = pane.retention()
        if len(r["share"]) <= 12:
            return f"{_plural(r.get('n_hires', 0), 'hire')} so far; none followed for a year yet."
        text = f"Of {r['n_hires']} hires, {pct(r['share'][12])} still in academia a year after hire"
        if len(r["share"]) > 60:
            text += f", {pct(r['share'][60])} after five years"
        return text + " (Kaplan-Meier)."
    if kind == "coverage":
        now = {f: _last(v) for f, v in s["coverage"].items()}
        if all(v is None for v in now.values()):
            return "No month simulated yet."
        low = min((f for f in FUNCTIONS if now[f] is not None), key=lambda f: now[f])
        return ("Mean coverage of protégés' need now: " + ", ".join(f"{f} {pct(v)}" for f, v in now.items())
                + f". Least covered: {low}.")
    if kind == "pubs":
        x = _last(s["pubs"])
        return ("No month simulated yet." if x is None else
                f"{x:.2f} publications per faculty-year over the last 12 months.")
    if kind == "women":
        now = {r: _last(v) for r, v in s["women"].items()}
        if all(v is None for v in now.values()):
            return "No month simulated yet."
        return "Women now: " + ", ".join(f"{pct(v)} of {r} professors" for r, v in now.items()) + "."
    raise ValueError(kind)


def overlay_caption(twin: Twin) -> str:
    a, b = (p.summary() for p in twin.panes)
    if a["coverage"] is None:
        return "Step or play to start both panes."
    text = f"Mean coverage now {pct(a['coverage'])} (left) and {pct(b['coverage'])} (right)"
    if a["retention_5y"] is not None and b["retention_5y"] is not None:
        text += f"; five years after hire {pct(a['retention_5y'])} and {pct(b['retention_5y'])} still in academia"
    return text + ". Orange is the left pane, green the right: the same people under two mentoring models."


SERIES_CHARTS = (("retention", "retention since hire", retention_spec), ("coverage", "coverage per function",
                 coverage_spec), ("pubs", "publications", pubs_spec), ("women", "women's share by rank", women_spec))


# --- the page: Solara components ---------------------------------------------------------------

try:  # the app's dependencies are an extra: pip install -e ".[app]"
    import warnings

    import solara

    with warnings.catch_warnings():  # solara's hook checker on Mesa's ComponentsView: not ours
        warnings.filterwarnings("ignore", message=".*use_state. found despite early return", category=UserWarning)
        from mesa.visualization.utils import force_update, update_counter
except ImportError as _exc:  # pragma: no cover - the model side works without them
    solara = None
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

CONTROLS_WIDTH = 270  # pixels
CSS = f"""
.cs-controls {{ width: {CONTROLS_WIDTH}px; min-width: {CONTROLS_WIDTH}px; padding: 8px 10px;
  background: #eef1f5 !important; max-height: 100vh; overflow-y: auto; position: sticky; top: 0; font-size: 14px;
  justify-content: flex-start !important; }}
.cs-main {{ flex: 1 1 auto; min-width: 0; padding: 6px 8px; }}
.cs-grid {{ display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }}
.cs-card {{ background: white; border: 1px solid #b8b8b8 !important; border-radius: 4px; padding: 6px 8px; min-width: 0;
  overflow: hidden; }}
.cs-card .cs-caption {{ font-size: var(--cs-font); color: #444; line-height: 1.35; }}
.cs-card .cs-label {{ font-size: var(--cs-font); font-weight: bold; }}
.cs-person {{ font-size: var(--cs-font); border-collapse: collapse; width: 100%; }}
.cs-person td, .cs-person th {{ padding: 1px 6px 1px 0; white-space: nowrap; }}
.cs-person td:last-child, .cs-person th:last-child {{ white-space: normal; }}
.cs-bar {{ background: #eee; width: 70px; height: 10px; display: inline-block; }}
.cs-bar span {{ height: 10px; display: block; }}
.cs-panel {{ font-size: var(--cs-font); line-height: 1.4; }}
.cs-panel ul {{ margin: 0; padding-left: 18px; }}
.cs-controls .v-input {{ margin-top: 2px; padding-top: 2px; }}
.cs-controls .v-label {{ font-size: 14px; }}
"""

if solara is not None:
    selected = solara.reactive(None)  # the person clicked: their identity (person_key); one per browser session
    moment = solara.reactive(None)  # the lesson's current moment
    playing = solara.reactive(False)  # Play pressed and not paused
    projector = solara.reactive(False)

    def _vega(spec: dict, on_click=None):
        return solara.widgets.VegaLite.element(spec=spec, on_click=on_click, listen_to_click=on_click is not None)

    def _look() -> Look:
        return LOOKS["projector" if projector.value else "screen"]

    @contextlib.contextmanager
    def card(label: str | None):
        """A white card with a bold label, holding what the with-block draws."""
        with solara.Column(gap="2px", classes=["cs-card"]):
            if label:
                solara.HTML(tag="div", unsafe_innerHTML=html.escape(label), classes=["cs-label"])
            yield

    def _text(text: str):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["cs-caption"])

    def _on_node(datum):
        if datum and "key" in datum:
            selected.value = int(datum["key"])

    @solara.component
    def Charts(model: Twin):
        update_counter.get()
        look = _look()
        a, b = model.panes
        with solara.Div(classes=["cs-grid"]):
            with card("Both panes, one chart"):
                _vega(overlay_spec(model, look))
                _text(overlay_caption(model))
            LessonPanel(model)
            for pane in (a, b):
                with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label}"):
                    _vega(graph_spec(pane, selected.value, look), on_click=_on_node)
                    _text(caption("graph", pane))
            for pane in (a, b):
                PersonPanel(model, pane, selected.value)
            for kind, _, make in SERIES_CHARTS:
                for pane in (a, b):
                    with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label}"):
                        _vega(make(pane, look))
                        _text(caption(kind, pane))

    @solara.component
    def LessonPanel(model: Twin):
        busy = solara.use_reactive(False)
        m = moment.value

        def run(kind):
            busy.set(True)
            try:
                found = find_moment(model, kind)
                selected.value = found.key
                moment.value = found
            finally:
                busy.set(False)
            force_update()

        with card("Lesson"):
            with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
                for k, kind in enumerate(LESSON):
                    solara.Button(f"{k + 1}. {LESSON_TITLES[kind]}", on_click=lambda kind=kind: run(kind),
                                  outlined=True, disabled=busy.value or playing.value, small=True)
            if m is not None:
                solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML=(
                    f"<b>{html.escape(LESSON_TITLES[m.kind])}</b> (month {m.month}): {html.escape(m.caption)}"))
            else:
                _text("Each button steps both panes to the next time the moment happens in the drawn department "
                      "and says what happened, from the state. “Lesson set-up” in the controls gives the "
                      "lesson plan's settings (docs/teaching.md).")

    @solara.component
    def PersonPanel(model: Twin, pane: Pane, key):
        with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label} · person"):
            if key is None:
                _text("Click a person in either network to see them under both models: their needs, support and "
                      "coverage by function, their mentors and what each gives, and their career so far.")
                return
            solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML=person_html(pane, pane.person(key), key))
            if pane.side == "b":
                said = differences(model, key)
                if said and pane.person(key) is not None and model.panes[0].person(key) is not None:
                    solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML="<b>Differs between the panes:</b> "
                                + " ".join(said))

    def _control(name: str, c: dict, value, on_value):
        label = c["label"]
        kind = c["type"]
        if kind == "Select":
            solara.Select(label=label, value=value, values=c["values"], on_value=on_value)
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=on_value)
        else:
            shown_value = c["show"](value)
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            slider(label=f"{label}: {shown_value}", value=value, min=c["min"], max=c["max"], step=c["step"],
                   on_value=on_value, thumb_label=False)

    @solara.component
    def Header(twin: Twin):
        """What runs, and the month: redrawn each step (the controls under it are not)."""
        update_counter.get()
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<b style='font-size:16px'>Month {twin.month}</b> (year {twin.month / 12:.1f}) of "
            f"{twin.panes[0].params.n_months}<br>Left: <b>{html.escape(twin.panes[0].label)}</b><br>"
            f"Right: <b>{html.escape(twin.panes[1].label)}</b><br>{twin.panes[0].params.population.n_faculty} "
            f"faculty, seed {twin.panes[0].params.seed}"
            + (f", {html.escape(twin.settings.calibration)}" if twin.settings.calibration != POINT_DEFAULTS
               else "")))

    @solara.component
    def Controls(model: solara.Reactive, wanted: solara.Reactive):
        twin = model.value

        def reset(settings: Settings | None = None):
            playing.set(False)
            twin = Twin(**asdict(settings or wanted.value))  # built first: the controls change with it
            wanted.set(twin.settings)
            model.set(twin)
            selected.set(None)
            moment.set(None)

        def step():
            twin.step()
            force_update()

        with solara.Column(classes=["cs-controls"], gap="4px"):
            Header(twin)
            with solara.Row(gap="4px"):
                solara.Button("Step", on_click=step, color="primary", disabled=playing.value or not twin.running,
                              small=True)
                solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                              color="primary", disabled=not twin.running, small=True)
                solara.Button("Reset", on_click=lambda: reset(), color="primary", small=True)
            for e in twin.errors:
                solara.Error(e, dense=True)
            solara.Checkbox(label="Projector: larger text", value=projector)
            solara.Button("Lesson set-up", on_click=lambda: reset(LESSON_SETTINGS), outlined=True, small=True)
            pending = wanted.value != twin.settings
            solara.HTML(tag="div", unsafe_innerHTML=(
                "<b style='color:#b2182b'>The controls differ from what runs: Reset applies them (month 0).</b>"
                if pending else "The panes run these settings. A change applies on Reset (back to month 0)."),
                style={"font-size": "14px"})
            for name, c in model_params().items():
                _control(name, c, getattr(wanted.value, name),
                         lambda v, name=name: wanted.set(replace(wanted.value, **{name: v})))

    @solara.component
    def Page():
        first = solara.use_memo(Twin, [])
        model = solara.use_reactive(first)
        wanted = solara.use_reactive(first.settings)  # what the controls show; Reset applies it
        twin = model.value

        def play():
            while playing.value and twin.running:
                t = time.perf_counter()
                twin.step()
                force_update()
                time.sleep(max(0.0, PLAY_SECONDS - (time.perf_counter() - t)))
            playing.set(False)

        solara.use_thread(play, dependencies=[playing.value, twin])
        solara.Title("careersim: the same people under two mentoring models")
        solara.Style(CSS)
        with solara.Row(gap="0px", style={"align-items": "flex-start", "--cs-font": f"{_look().font}px"}):
            Controls(model, wanted)
            with solara.Column(classes=["cs-main"]):
                Charts(twin)


PLAY_SECONDS = 0.5  # at least this long between months when playing, so each month can be read


def differences(twin: Twin, key: int) -> list[str]:
    """How one person's history differs between the panes, in words (a hire may be hired in a
    different month where a vacancy opened at a different time; one may leave or be promoted)."""
    (a, b), e = twin.panes, html.escape
    da, db = a.person(key), b.person(key)
    if da is None or db is None:
        return [(a if da is None else b).absence(key)] if (da, db) != (None, None) else [a.absence(key)]
    out = []
    if da["hire_month"] != db["hire_month"]:
        out.append(f"Hired in month {shown(da['hire_month'])} under the {e(a.label)} and in month "
                   f"{shown(db['hire_month'])} under "
                   f"the {e(b.label)}: the vacancy opened at a different time.")
    for d, p in ((da, a), (db, b)):
        if not d["in_post"]:
            out.append(f"Left in month {shown(d['exit']['month'])} ({d['exit']['reason']}) under the {e(p.label)}.")
    if da["in_post"] and db["in_post"] and da["rank"] != db["rank"]:
        out.append(f"Now {da['rank']} under the {e(a.label)}, {db['rank']} under the {e(b.label)}.")
    return out


BAR_COLOURS = ((0.7, "#1a9850"), (0.4, "#fdae61"), (0.0, "#d73027"))


def person_html(pane: Pane, d: dict | None, key: int) -> str:
    """The person panel's HTML: who (their identity), needs, support and coverage by function as
    this month's support phase computed them, each tie and what it gives, and the career so far."""
    e = html.escape
    if d is None:
        return f"<p><b>{e(pane.label)}</b>: {e(pane.absence(key))}</p>"
    head = (f"<p style='margin:0'><b>{e(pane.label)}</b> · <b>{e(d['who'])}</b>: {d['gender']}, {d['rank']} "
            f"professor, institution {d['institution']}, "
            + ("initial population" if d["initial"] else f"hired in month {shown(d['hire_month'])}") + "</p>")
    c = d["career"]
    career = (f"<p style='margin:4px 0'>Career so far: {c['publications']} publications, {c['grants']} independent "
              f"grant(s)"
              + (f" (first in month {shown(c['first_grant_month'])})" if c["first_grant_month"] is not None else "")
              + (f"; associate in month {shown(c['associate_month'])}" if c["associate_month"] is not None else "")
              + (f"; full in month {shown(c['full_month'])}" if c["full_month"] is not None else "")
              + ("; career award" if c["career_award"] else "")
              + f"; {c['mentors_lost']} mentor(s) lost to departures; {c['months_without_mentor']} of "
              f"{c['months_as_protege']} months as a protégé without a mentor.</p>")
    if not d["in_post"]:
        return (head + f"<p style='color:#b2182b'>Left in month {shown(d['exit']['month'])} "
                f"({d['exit']['reason']}).</p>"
                + career)
    ended = d["ended"]
    givers = [m["tag"] for m in d["mentors"]] + ([" + ".join(t["tag"] for t in ended["ties"]) + " (left)"]
                                                  if ended else [])
    rows = []
    for f in FUNCTIONS:
        need, cov, sup = d["needs"][f], d["coverage"][f], d["support"][f]
        colour = next(col for lo, col in BAR_COLOURS if cov >= lo)
        bar = (f"<span class=cs-bar><span style='background:{colour};width:{100 * cov:.0f}%'></span></span>")
        gives = [m["gives"][f] for m in d["mentors"]] + ([ended["gives"][f]] if ended else [])
        rows.append(f"<tr><td>{f}</td><td align=right>{need:.2f}</td><td align=right>{sup:.2f}</td>"
                    f"<td>{bar} {pct(cov)}</td><td>{' '.join(f'{g:.2f}' for g in gives) or '-'}</td></tr>")
    table = ("<table class=cs-person><tr><th align=left>function</th><th align=right>need</th>"
             "<th align=right>support</th><th align=left>covered</th>"
             f"<th align=left>given by {e(' '.join(givers)) or 'nobody'}</th></tr>" + "".join(rows) + "</table>")
    ms = "".join(
        f"<li>{e(m['tag'])}: {m['kind']}, {m['gender']} {m['rank']}"
        + ("" if m["same_institution"] else ", other institution")
        + f", since month {shown(m['since'])}, gives {pct(m['share_of_need'])} of the need</li>"
        for m in d["mentors"])
    if ended:
        ms += "".join(f"<li>{e(t['tag'])}: {t['kind']}, {t['gender']} {t['rank']}, since month {shown(t['since'])}: "
                      f"<b>left at the end of month {pane.month}</b> (their support counted this month, "
                      "not next)</li>" for t in ended["ties"])
    mentors = f"<p style='margin:4px 0'>Mentors and peers:</p><ul style='margin:0'>{ms or '<li>none</li>'}</ul>"
    return head + table + mentors + career


# --- serving, and the screenshot ------------------------------------------------------------

def check_dependencies() -> None:
    if _IMPORT_ERROR is not None:
        raise SystemExit(f"the app needs its extra: pip install -e \".[app]\" ({_IMPORT_ERROR})")


def warm_up() -> None:
    """Compile the kernels (once per machine: numba caches them) before the first page load."""
    t = Twin(n_faculty=100)
    for _ in range(2):
        t.step()
    t.panes[1].person(int(t.panes[1].model.faculty.arrays["person_key"][t.panes[1].dept_rows[0]]))


def link_offline_assets() -> list[str]:
    """Let Solara's asset proxy find the Vega libraries that solara-assets installs.

    Solara's chart widget asks its CDN proxy for `vega@5/...`, `vega-lite@5/...` and
    `vega-embed@6/...`; solara-assets installs exact versions (`vega@5.21.0`, ...) in the
    proxy's cache, and without a CDN to resolve the major version the charts never load.
    A link from each major version to the installed one is what the proxy would have cached.
    """
    from solara.server import settings

    cdn = Path(settings.assets.proxy_cache_dir)
    made = []
    for alias in ("vega@5", "vega-lite@5", "vega-embed@6"):
        name, major = alias.split("@")
        found = sorted(cdn.glob(f"{name}@{major}.*"), key=lambda d: [int(x) for x in d.name.split("@")[1].split(".")
                                                                    if x.isdigit()])
        if (cdn / alias).exists() or not found:
            continue
        try:
            (cdn / alias).symlink_to(found[-1].name, target_is_directory=True)
            made.append(alias)
        except OSError:  # a read-only environment: the charts need the CDN then
            pass
    return made


def serve(host: str = "127.0.0.1", port: int = 8765, echo=print) -> None:
    """Serve the app (Solara on uvicorn) until interrupted; prints its address."""
    check_dependencies()
    link_offline_assets()
    from solara.server import settings

    settings.theme.show_banner = False  # "This website runs on Solara", fixed over the charts' corner
    os.environ["SOLARA_APP"] = "simulation.app:Page"
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    import uvicorn

    from simulation.model import kernel_cache

    if not kernel_cache.is_warm():
        echo(f"careersim app: {COMPILING}")
        sys.stdout.flush()
    warm_up()
    echo(f"careersim app: http://{host}:{port}/  (Ctrl-C stops it)")
    sys.stdout.flush()
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}  # the smallest screen the layout is made for
SIZES = ({"width": 1366, "height": 768}, {"width": 1600, "height": 900}, {"width": 1920, "height": 1080})
SCREENSHOT_VIEWPORT = {"width": 1366, "height": 2600}


class Server:
    """`careersim app` in a process group of its own, on a free loopback port; stopped by its PID."""

    def __init__(self, port: int | None = None, timeout: float = 900.0, bind_timeout: float = 120.0):
        """Waits up to `timeout` for the app to print its address (on a cold cache it compiles the
        kernels first: minutes on 2 cores), then up to `bind_timeout` for the port to open."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # `careersim app`, through the interpreter running this (its script may not be on PATH)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulation", "app", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
            cwd=Path(__file__).resolve().parent.parent)  # not the caller's folder: its files could shadow modules
        self.output: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("careersim app exited:\n" + "".join(self.output))
            self.output.append(line)
            if "careersim app: http://" in line:
                break
        deadline = time.monotonic() + bind_timeout
        while time.monotonic() < deadline:  # the address is printed just before uvicorn binds
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("careersim app did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def open_page(playwright, url: str, viewport: dict | None = None):
    """Headless Debian chromium (Playwright's own browsers are not downloaded), the page loaded."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=viewport or VIEWPORT)
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=120_000)
    wait_for_month(page, 0)
    return browser, page


CHART_TITLES = ("department", *(title for _, title, _ in SERIES_CHARTS))


def wait_for_month(page, month: int, timeout: float = 60_000) -> None:
    """Wait until every chart (both panes and the side-by-side chart) shows this month."""
    n = 2 * len(CHART_TITLES) + 1
    page.wait_for_function(
        """([m, n]) => { const re = new RegExp('month ' + m + '$');
             return [...document.querySelectorAll('.vega-embed svg.marks')]
                    .filter(s => [...s.querySelectorAll('text')].some(t => re.test(t.textContent))).length >= n; }""",
        arg=[month, n], timeout=timeout)


def step_and_time(page, month_after: int) -> float:
    """Click Step; seconds until every chart shows the next month."""
    t = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    wait_for_month(page, month_after)
    return time.perf_counter() - t


def click_person(page, pane: int = 0, nth: int = 2) -> None:
    """Click an assistant professor in post in a pane's network (0 left, 1 right)."""
    nodes = page.locator(".vega-embed svg.marks").nth(1 + pane).locator(
        "g.mark-symbol path[aria-label*='opacity: 1; rank: assistant']")
    nodes.nth(nth).click()


def run_lesson_moment(page, k: int, timeout: float = 120_000) -> int:
    """Press lesson button k (from 1); wait until its caption and every chart show its month."""
    title = LESSON_TITLES[LESSON[k - 1]]
    page.get_by_role("button", name=f"{k}. {title}").click()
    said = page.locator(".cs-panel").filter(has_text=re.compile(rf"^{re.escape(title)} \(month \d+\)"))
    said.wait_for(timeout=timeout)
    month = int(re.search(r"\(month (\d+)\)", said.inner_text()).group(1))
    wait_for_month(page, month)
    page.wait_for_timeout(500)  # the person panels follow the charts
    return month


def scroll_to_person(page) -> None:
    """Scroll the page to the two networks and the person panels below them."""
    page.locator(".cs-card").filter(has_text="Left: ").nth(1).scroll_into_view_if_needed()
    page.locator(".cs-card").filter(has_text="Left: ").nth(1).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)


def screenshot(path: str | Path, months: int = 36) -> Path:
    """Serve the app, step `months` months, click a person, save a screenshot of the whole page
    (1366 pixels wide, tall enough for every card)."""
    from playwright.sync_api import sync_playwright

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Server() as server, sync_playwright() as p:
        browser, page = open_page(p, server.url, SCREENSHOT_VIEWPORT)
        try:
            for k in range(months):
                page.get_by_role("button", name="Step").click()
                wait_for_month(page, k + 1)
            click_person(page, pane=0, nth=3)
            page.locator("text=Mentors and peers").nth(1).wait_for(timeout=30_000)
            page.mouse.move(5, 400)  # no tooltip in the picture
            page.wait_for_timeout(800)
            page.screenshot(path=str(path), full_page=True)
        finally:
            browser.close()
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simulation.app", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the app after some months, then exit")
    ap.add_argument("--months", type=int, default=36, help="months stepped before the screenshot")
    args = ap.parse_args(argv)
    if args.screenshot:
        print(f"screenshot: {screenshot(args.screenshot, args.months)}")
    else:
        serve(args.host, args.port)


if __name__ == "__main__":
    main()
