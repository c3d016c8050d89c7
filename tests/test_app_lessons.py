"""The teaching app tells the truth: people are paired across the panes by their identity
(`person_key`), the person panel shows the model's own numbers for that person and month, and
every lesson moment's caption states only what holds in the state it shows.

The checks read the model's columns and tie log directly (not the app's summaries), and re-run
the twin to read the month before a moment where a caption compares two months."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest

from simulation.app.lessons import LESSON, LESSON_SETTINGS, PROBES, _dept_keys, _need_went, _went, find_moment
from simulation.app.person import differences, person_html
from simulation.app.twin import Twin
from simulation.app.words import key_parts, pct, plural, tag, who
from simulation.config.params import FUNCTIONS
from simulation.model.state import ACTIVE, MENTOR_LEFT, PEER

CAREER, PSYCHOSOCIAL = FUNCTIONS.index("career"), FUNCTIONS.index("psychosocial")


def _row(pane, key):
    """The faculty row of a person in post, or None (read from the model's columns)."""
    fs = pane.model.faculty.arrays
    rows = np.flatnonzero((fs["person_key"] == key) & (fs["status"] == ACTIVE))
    return int(rows[0]) if len(rows) else None


def _ids(pane, key):
    """Every running number the pane gave this person (in post or archived)."""
    m = pane.model
    fs, arc = m.faculty.arrays, m.archive.arrays
    live = fs["person_id"][(fs["person_key"] == key) & (fs["status"] == ACTIVE)]
    return set(live.tolist()) | set(arc["person_id"][: m.archive.n][arc["person_key"][: m.archive.n] == key].tolist())


def _hires(pane):
    """Keys of every hire of the run so far (in post or archived)."""
    m = pane.model
    fs, arc = m.faculty.arrays, m.archive.arrays
    keys = np.concatenate([fs["person_key"][(fs["status"] == ACTIVE) & ~fs["initial"]],
                           arc["person_key"][: m.archive.n][~arc["initial"][: m.archive.n]]])
    return set(keys.tolist())


@pytest.fixture(scope="module")
def later():
    """Five years of the default panes at 300 faculty: many later hires."""
    t = Twin(n_faculty=300, seed=3)
    for _ in range(60):
        t.step()
    return t


def test_a_later_hire_is_the_same_person_in_both_panes(later):
    a, b = later.panes
    both = _hires(a) & _hires(b)
    assert len(both) > 20
    moved = 0
    for key in sorted(both):
        da, db = a.person(key), b.person(key)
        assert da["key"] == db["key"] == key
        inst, n = key_parts(key)
        assert da["institution"] == db["institution"] == inst  # the n-th hire of institution i, in both
        assert da["gender"] == db["gender"]  # traits are drawn from the identity
        if da["hire_month"] != db["hire_month"]:
            moved += 1
            said = " ".join(differences(later, key))
            assert (f"Hired in month {da['hire_month'] + 1} under the {a.label} and in month "
                    f"{db['hire_month'] + 1} under the {b.label}") in said
        # the running numbers differ between panes for most later hires: they are not the identity
    assert moved > 0, "no later hire was hired in different months: the test would not see a wrong pairing"
    ids_differ = sum(_ids(a, k) != _ids(b, k) for k in both)
    assert ids_differ > 0


def test_a_person_hired_in_one_pane_only_is_said_to_be(later):
    a, b = later.panes
    only = sorted(_hires(a) ^ _hires(b))
    assert only, "both panes made the same hires: nothing to check"
    for key in only[:5]:
        here, there = (a, b) if a.person(key) is not None else (b, a)
        assert here.person(key) is not None and there.person(key) is None
        inst, n = key_parts(key)
        made = int(there.model.institutions.arrays["hire_seq"][inst])
        assert made < n  # that institution really made fewer hires in the other pane
        text = person_html(there, None, key)
        assert f"{who(key)} was never hired under the {there.label}" in text
        assert f"institution {inst} has made {made} hire" in text
        assert differences(later, key) == [there.absence(key)]


def test_graph_nodes_carry_the_identity(later):
    a, b = later.panes
    for pane in (a, b):
        fs = pane.model.faculty.arrays
        for node in pane.graph()["nodes"]:
            if node["state"] == "in post":
                row = _row(pane, node["key"])
                assert row is not None and row in pane.slot_of_row
                assert node["tip"].startswith(who(node["key"]))
                assert node["gender"] == ("woman" if fs["female"][row] else "man")


def _check_panel(pane, key):
    d = pane.person(key)
    fs = pane.model.faculty.arrays
    r = _row(pane, key)
    for k, f in enumerate(FUNCTIONS):
        assert d["coverage"][f] == fs["coverage"][r, k] and d["support"][f] == fs["support"][r, k]
        given = sum(m["gives"][f] for m in d["mentors"]) + (d["ended"]["gives"][f] if d["ended"] else 0.0)
        assert given == pytest.approx(fs["support"][r, k], rel=1e-9, abs=1e-12)
        # the need shown is the one the coverage was computed against
        assert d["coverage"][f] == pytest.approx(min(1.0, d["support"][f] / d["needs"][f]), rel=1e-9)
    return d


def test_the_person_panel_shows_the_models_support_and_coverage():
    """Every person of both departments, every month for three years; including the month a
    mentor leaves (their support counted that month) and months of grant rejections (the need
    rises after support is computed)."""
    t = Twin(n_faculty=300, seed=5, peers=True)
    ended = 0
    for _ in range(36):
        t.step()
        for pane in t.panes:
            for key in _dept_keys(pane):
                d = _check_panel(pane, key)
                if d["ended"]:
                    ended += 1
                    tl, n = pane.model.ties.arrays, pane.model.ties.n
                    for tie in d["ended"]["ties"]:
                        assert _row(pane, tie["key"]) is None  # the mentor did leave
                        hit = ((np.isin(tl["protege"][:n], list(_ids(pane, key))))
                               & np.isin(tl["mentor"][:n], list(_ids(pane, tie["key"])))
                               & (tl["end_month"][:n] == pane.model.month) & (tl["end_reason"][:n] == MENTOR_LEFT))
                        assert hit.any()
                    assert sum(d["ended"]["gives"].values()) > 0
                    html = person_html(pane, d, key)
                    assert f"left at the end of month {pane.month}" in html
    assert ended > 0, "no mentor left in three years: the month-of-departure case went unchecked"


SEEDS = (11, 3, 8)
SETUPS = {"lesson": asdict(LESSON_SETTINGS), "default": {"n_faculty": 400}}


def _replay(settings: dict, months: int) -> Twin:
    t = Twin(**settings)
    for _ in range(months):
        t.step()
    return t


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_lesson_caption_holds_in_the_state_it_shows(setup, seed):
    settings = {**SETUPS[setup], "seed": seed}
    t = Twin(**settings)
    a, b = t.panes
    seen = 0
    for kind in LESSON:
        m = find_moment(t, kind)
        f = m.facts
        assert m.month == t.month
        if m.key is None:  # only the peer lesson may find nobody, and only without peer groups
            assert kind == "peer_group" and f == {"peers_on": False}
            assert not a.params.peers_on and not b.params.peers_on
            assert "Neither pane has peer groups" in m.caption
            continue
        seen += 1
        key = m.key
        assert who(key) in m.caption
        CHECKS[kind](t, settings, m, key, f)
    assert seen >= 3


def _mentor_leaves(t, settings, m, key, f):
    a, b = t.panes
    left = f["month_left"] - 1  # the model's month index of the departure
    assert a.model.month == left + 1 and f["month"] == m.month
    tl, n = a.model.ties.arrays, a.model.ties.n
    hit = (np.isin(tl["protege"][:n], list(_ids(a, key))) & np.isin(tl["mentor"][:n], list(_ids(a, f["mentor_key"])))
           & (tl["end_month"][:n] == left) & (tl["end_reason"][:n] == MENTOR_LEFT) & (tl["kind"][:n] != PEER))
    assert hit.any(), "the mentor did not leave that month"
    assert _row(a, f["mentor_key"]) is None
    assert f"the {f['kind']} mentor of {who(key)}, {tag(f['mentor_key'])}, left" in m.caption
    before = _replay(settings, left + 1)  # the month of the departure, read afresh
    for side, pane, was_pane in (("left", a, before.panes[0]), ("right", b, before.panes[1])):
        if f[side] is None:
            assert pane.person(key) is None or not pane.person(key)["in_post"] or _row(was_pane, key) is None
            continue
        was = was_pane.model.faculty.arrays["coverage"][_row(was_pane, key)]
        now = pane.model.faculty.arrays["coverage"][_row(pane, key)]
        assert f[side]["before"] == pytest.approx(was.mean()) and f[side]["after"] == pytest.approx(now.mean())
        word = _went(was.mean(), now.mean())
        assert f"mean coverage {word}" in m.caption
        fs = pane.model.faculty.arrays
        r = _row(pane, key)
        n_senior = int(((fs["tie_mentor"][r] >= 0) & (fs["tie_kind"][r] != PEER)).sum())
        assert f[side]["n_mentors"] == n_senior
        assert f"{plural(n_senior, 'mentor')} now" in m.caption
    # the person panel now shows the coverage the caption names
    for side, pane in (("left", a), ("right", b)):
        if f[side] is not None:
            assert pct(f[side]["after"]) == pct(np.mean(list(pane.person(key)["coverage"].values())))


def _review_approaches(t, settings, m, key, f):
    a, b = t.panes
    fs = a.model.faculty.arrays
    r = _row(a, key)
    lead = a.params.needs.review_lead_months
    assert int(fs["next_review"][r]) == a.model.month + lead and f["review"] == a.model.month + lead + 1
    assert f"is {lead} months away (month {f['review']})" in m.caption
    before = _replay(settings, a.model.month)
    old = before.panes[0]
    ro = _row(old, key)
    for g, need in f["need_after"].items():
        k = FUNCTIONS.index(g)
        # the model's need at this month's support phase, where coverage is below 1: support / coverage
        if fs["coverage"][r, k] < 1:
            assert need == pytest.approx(fs["support"][r, k] / fs["coverage"][r, k], rel=1e-9)
        c_old = old.model.faculty.arrays["coverage"][ro, k]
        if c_old < 1:
            assert f["need_before"][g] == pytest.approx(old.model.faculty.arrays["support"][ro, k] / c_old, rel=1e-9)
        assert f"{g} {_need_went(f['need_before'][g], need)}" in m.caption
    for side, pane in (("left", a), ("right", b)):
        if side not in f["functions"]:
            continue
        rr = _row(pane, key)
        for g, c in f["functions"][side].items():
            assert c == pane.model.faculty.arrays["coverage"][rr, FUNCTIONS.index(g)]
            assert f"{g} is {pct(c)} covered" in m.caption
    if "gap" in f:
        mean = {s: np.mean(list(f["functions"][s].values())) for s in ("left", "right")}
        gap = mean["left"] - mean["right"]
        if abs(gap) < 0.05:
            assert "Both cover about as much" in m.caption
        else:
            assert f"The {'left' if gap < 0 else 'right'} pane covers less" in m.caption


def _peer_group(t, settings, m, key, f):
    pane = t.panes[1 if f["pane"] == "right" else 0]
    assert pane.params.peers_on
    tl, n = pane.model.ties.arrays, pane.model.ties.n
    new = (np.isin(tl["protege"][:n], list(_ids(pane, key))) & (tl["kind"][:n] == PEER)
           & (tl["start_month"][:n] == pane.model.month))
    assert int(new.sum()) == f["new_peers"] > 0
    fs = pane.model.faculty.arrays
    r = _row(pane, key)
    peer = (fs["tie_mentor"][r] >= 0) & (fs["tie_kind"][r] == PEER)
    assert int(peer.sum()) == f["peers"]
    p = pane.params
    discount = 1 / (1 + p.mentoring.concordance_gain)
    for g, given in f["given"].items():
        k = FUNCTIONS.index(g)
        conc = np.where(fs["tie_discount"][r] & (k in (CAREER, PSYCHOSOCIAL)), discount, 1.0)
        expected = float((p.peers.profile.array()[k] * p.peers.hours_per_peer * fs["tie_fit"][r] * conc)[peer].sum())
        assert given == pytest.approx(expected)
        assert f"{g} ({given:.2f} of a need of {f['need'][g]:.2f})" in m.caption
    assert f"{plural(f['new_peers'], 'peer tie')}" in m.caption and f"{f['peers']} in all" in m.caption


def _woman_mentor(t, settings, m, key, f):
    a, b = t.panes
    fs = b.model.faculty.arrays
    r = _row(b, key)
    assert fs["female"][r]
    tl, n = b.model.ties.arrays, b.model.ties.n
    new = (np.isin(tl["protege"][:n], list(_ids(b, key))) & np.isin(tl["mentor"][:n], list(_ids(b, f["mentor_key"])))
           & (tl["kind"][:n] != PEER) & (tl["start_month"][:n] == b.model.month))
    assert new.any()
    j = _row(b, f["mentor_key"])
    assert j is not None and fs["female"][j]
    assert f"counts {pct(1 / (1 + b.params.mentoring.concordance_gain))} of a woman's" in m.caption
    if f["left"] is None:
        assert a.person(key) is None or not a.person(key)["in_post"]
        return
    fa = a.model.faculty.arrays
    ra = _row(a, key)
    senior = (fa["tie_mentor"][ra] >= 0) & (fa["tie_kind"][ra] != PEER)
    women = int(fa["female"][fa["tie_mentor"][ra][senior]].sum())
    assert f["left"] == {"women": women, "mentors": int(senior.sum())}
    assert f"the same person has {women} woman mentor{'s' * (women != 1)} of {int(senior.sum())}" in m.caption


CHECKS = {"mentor_leaves": _mentor_leaves, "review_approaches": _review_approaches, "peer_group": _peer_group,
          "woman_mentor": _woman_mentor}


def test_every_lesson_is_checked():
    assert set(CHECKS) == set(LESSON) == set(PROBES)


def test_the_checks_would_catch_a_wrong_caption():
    """A caption that names the wrong number fails its check."""
    settings = {**asdict(LESSON_SETTINGS), "seed": 11}
    t = Twin(**settings)
    m = find_moment(t, "woman_mentor")
    f = m.facts
    women = f["left"]["women"]
    bad = replace(m, caption=m.caption.replace(f"has {women} woman", f"has {women + 1} woman"))
    with pytest.raises(AssertionError):
        _woman_mentor(t, settings, bad, m.key, f)
