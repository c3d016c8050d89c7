"""The app's model runner: `Pane`, one `CareerModel` with what the app shows of it, and `Twin`,
the two panes (the same people under two mentoring models) as one `mesa.Model` stepped together.

A person is the same in both panes by their identity (`person_key`), not by their row or running
number; `Pane.person` finds them by it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import fields, replace

import mesa
import numpy as np
from numba import njit

from simulation.app.settings import DEFAULTS, Settings, build_params
from simulation.app.words import key_parts, shown, tag, who
from simulation.config.params import FUNCTIONS, MENTORING_MODELS, RANKS, Params
from simulation.config.scenario import ConfigError
from simulation.model.mesa_model import CareerModel
from simulation.model.recorder import IX_RANK_GENDER, Recorder, S
from simulation.model.state import ACTIVE, EXIT_REASONS, FULL, MENTOR_LEFT, NEVER, PEER, TIE_KINDS
from simulation.run.simulate import numba_threads

DEPT_TARGET = 60  # the drawn department: the institution whose size is nearest this ...
DEPT_MAX = 80  # ... cut to at most this many positions
FADE_MONTHS = 6  # people who left fade out over this many months
SERIES_POINTS = 240  # most points a time-series chart sends (longer histories are thinned)


# --- one pane ---------------------------------------------------------------------------------

def circle_layout(n: int) -> np.ndarray:
    """Fixed positions for n slots on a circle (slot k at angle 2 pi k / n), radius 1."""
    a = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return np.stack([np.cos(a), np.sin(a)], axis=1)


# where ties to mentors outside the drawn department point
ANCHORS = {"here": (-0.8, -1.25, "same institution"), "away": (0.8, -1.25, "other institutions")}


class Pane:
    """One CareerModel with what the app shows of it: a department, monthly series, detail.

    Parameters
    ----------
    params : Params
        The pane's parameters (`settings.build_params`).
    side : str
        "a" for the left pane, "b" for the right.

    Attributes
    ----------
    model : CareerModel
        The model the pane steps.
    institution, dept_rows : int, numpy.ndarray
        The drawn department: the institution whose size is nearest `DEPT_TARGET`, and its first
        positions (at most `DEPT_MAX`).
    now, before : dict
        Each position's person, coverage and need as this month's and last month's support phase
        saw them.

    The chart data (`retention`, `series`, `summary`, `graph`) and a person's detail (`person`)
    are computed on demand and cached until the next step.
    """

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
    with the controls' values as keyword arguments.

    Parameters
    ----------
    **kwargs
        Any fields of `Settings` (the controls' values); the others keep their defaults
        (`settings.DEFAULTS`), and names that are not fields are ignored.

    Attributes
    ----------
    settings : Settings
        What the twin runs.
    panes : list of Pane
        The left pane ("a") and the right pane ("b"); a person is the same in both by their
        identity (`person_key`).
    errors : list of str
        Why a pane fell back to the defaults (a scenario file that does not go with the controls,
        an ensemble member the calibration record lacks); empty if none did.
    lock : threading.RLock
        Held while stepping: one step at a time.

    Examples
    --------
    >>> twin = Twin(model_b="committee", n_faculty=300, seed=3)
    >>> for _ in range(12):
    ...     twin.step()
    >>> twin.month
    12
    """

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
        self.moment = None  # the lesson's current moment (a `lessons.Moment`), if any

    @property
    def month(self) -> int:
        """Months simulated so far (0 before the first step)."""
        return self.panes[0].month

    def step(self) -> None:
        """Advance both panes by one month (a pane at its horizon stays there)."""
        t = time.perf_counter()
        with self.lock:
            for p in self.panes:
                p.step()
        self.running = any(p.running for p in self.panes)
        self.step_seconds = time.perf_counter() - t

    def overlay(self) -> dict:
        """Both panes' curves for the side-by-side chart."""
        return {p.side: {"label": p.label, "retention": p.retention(), "series": p.series()} for p in self.panes}
