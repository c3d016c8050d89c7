"""The lesson: four prepared moments, each found in the state of the twin's drawn department,
with a caption composed from the state and the facts the caption states (the tests check them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.app.settings import Settings
from simulation.app.twin import Pane, Twin
from simulation.app.words import pct, plural, shown, tag, who
from simulation.config.params import FUNCTIONS
from simulation.model.state import ACTIVE, ASSISTANT, MENTOR_LEFT, PEER, TIE_KINDS

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
    """The mentors (not the peers) of a person's detail (`Pane.person`); none for None."""
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
                     f"{'they have' if side == 'right' else tag(key) + ' has'} {plural(n, 'mentor')} now. ")
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
                    f"{plural(n, 'peer tie')} {'begin' if n != 1 else 'begins'} this month (green), "
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
    """Step both panes until the moment happens in the drawn department (at most max_months).

    Parameters
    ----------
    twin : Twin
        The two panes; stepped in place (under its lock) to the moment's month. A twin already
        past month 0 is looked at first, so the moment may be the current month.
    kind : str
        One of `LESSON`: "mentor_leaves", "review_approaches", "peer_group", "woman_mentor".
    max_months : int
        The most months stepped looking for it.

    Returns
    -------
    Moment
        The month it shows, the person it is about (their `person_key`), the caption and the
        facts the caption states; if the moment was not seen, `key` is None and the caption says so.
    """
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
