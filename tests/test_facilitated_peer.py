"""The facilitated-peer model's mechanism (simulation/model/mentoring/facilitated_peer.py): groups
form to the stated size, each with one senior facilitator whose capacity binds, and support flows
through the group's ties as its parameters say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config.params import FUNCTIONS, MENTORING_MODELS, describe
from simulation.model import support
from simulation.model.mesa_model import CareerModel
from simulation.model.state import ASSISTANT, PEER, PRIMARY, SECONDARY, TIE_KINDS

from .conftest import small

CAREER, PSYCHOSOCIAL = FUNCTIONS.index("career"), FUNCTIONS.index("psychosocial")
# seniors scarce: nine in ten faculty are assistant professors
SCARCE = ["population.share_rank.assistant=0.9", "population.share_rank.associate=0.05",
          "population.share_rank.full=0.05"]


def _run(months: int, *sets: str) -> CareerModel:
    m = CareerModel(small("facilitated_peer", *sets))
    for _ in range(months):
        m.step()
    return m


def _tie_log(m: CareerModel) -> pd.DataFrame:
    t = m.ties
    return pd.DataFrame({"protege": t.protege, "mentor": t.mentor, "kind": t.kind, "start": t.start_month})


def _groups(m: CareerModel) -> dict[int, np.ndarray]:
    """Active members (rows) of each facilitated group."""
    fs = m.faculty
    act = m.active_rows()
    g = fs.facilitated_group[act]
    return {int(k): act[g == k] for k in np.unique(g[g >= 0])}


def test_the_model_is_registered_with_its_own_parameters():
    entry = MENTORING_MODELS["facilitated_peer"]
    params = small("facilitated_peer")
    assert entry.mentor_slots(params) == 1 and params.n_peer_slots == params.facilitated_peer.group_size - 1
    names = {row["name"] for row in describe() if row["name"].startswith("facilitated_peer.")}
    assert names == {f"facilitated_peer.{n}" for n in ("group_size", "facilitator_groups", "meetings_per_month",
                                                        "hours_per_meeting", "gives")}
    for row in describe():
        if row["name"].startswith("facilitated_peer."):
            assert row["source"], row["name"]  # each names a source or says it is an assumption


@pytest.mark.parametrize("size", [3, 6])
def test_groups_form_to_the_stated_size_with_one_facilitator_each(size):
    m = _run(24, f"facilitated_peer.group_size={size}")
    log = _tie_log(m)
    facilitator = log[log.kind == SECONDARY]
    peer = log[log.kind == PEER]
    assert len(facilitator) > 0 and (log.kind == PRIMARY).sum() == 0
    # every member joined with size - 1 peer ties, all started in the month their facilitator tie did
    joined = facilitator.groupby("protege").start.min()
    peers_at_join = peer.merge(joined.rename("joined"), left_on="protege", right_index=True)
    peers_at_join = peers_at_join[peers_at_join.start == peers_at_join.joined]
    n_peers = peers_at_join.groupby("protege").size().reindex(joined.index, fill_value=0)
    assert (n_peers == size - 1).all()
    # the group as it formed: the members and their facilitator, the same from every member's side
    first = facilitator.sort_values("start").groupby("protege").first()
    for protege, row in first.iterrows():
        mates = peers_at_join[peers_at_join.protege == protege].mentor.to_numpy()
        assert (first.loc[mates, "mentor"] == row.mentor).all() and (first.loc[mates, "start"] == row.start).all()
    # in the live state: no group has more members than the stated size, and its members share a facilitator
    fs = m.faculty
    for g, members in _groups(m).items():
        assert len(members) <= size
        facilitators = {int(fs.tie_mentor[i, 0]) for i in members if fs.tie_mentor[i, 0] >= 0}
        assert len(facilitators) <= 1, g
        assert all(fs.rank[j] != ASSISTANT for j in facilitators)


@pytest.mark.parametrize("capacity", [1, 2])
def test_facilitators_capacity_binds_when_seniors_are_scarce(capacity):
    m = _run(1, *SCARCE, "facilitated_peer.group_size=3", f"facilitated_peer.facilitator_groups={capacity}")
    fs = m.faculty
    act = m.active_rows()
    groups = _groups(m)
    # each senior's groups, counted from the members' ties (not from the model's own count)
    led: dict[int, set[int]] = {}
    for g, members in groups.items():
        for i in members:
            if fs.tie_mentor[i, 0] >= 0:
                led.setdefault(int(fs.tie_mentor[i, 0]), set()).add(g)
    assert led and max(len(v) for v in led.values()) <= capacity
    for j, gs in led.items():
        assert fs.groups_facilitated[j] == len(gs)
    # at each institution, either every senior who could facilitate is at capacity or fewer than a
    # group's worth of juniors are waiting; seniors being scarce, some juniors wait, with no ties at all
    waiting = act[(fs.rank[act] == ASSISTANT) & (fs.facilitated_group[act] < 0)]
    for inst in np.unique(fs.institution[act]):
        # seniors when the groups formed (not promoted later in the month)
        senior = (fs.rank[act] != ASSISTANT) & (fs.month_associate[act] < m.month)
        seniors = act[senior & (fs.facilitated_group[act] < 0) & (fs.institution[act] == inst)]
        n_waiting = (fs.institution[waiting] == inst).sum()
        assert n_waiting < 3 or (fs.groups_facilitated[seniors] == capacity).all(), inst
    assert len(waiting) >= 3 * fs.institution[act].max()
    assert (fs.tie_mentor[waiting] < 0).all()  # no facilitator, no peers


def test_more_capacity_groups_more_juniors_when_seniors_are_scarce():
    def grouped(capacity):
        m = _run(1, *SCARCE, "facilitated_peer.group_size=3", f"facilitated_peer.facilitator_groups={capacity}")
        act = m.active_rows()
        return int((m.faculty.facilitated_group[act] >= 0).sum())

    assert grouped(2) > grouped(1) > 0


def _support_check(m: CareerModel) -> int:
    """Each member's support equals the parameters' figure per tie: from the facilitator,
    gives[f] x meetings_per_month x hours_per_meeting / group_size x fit x concordance; from each
    peer, peers.profile[f] x peers.hours_per_peer x fit x concordance. Returns members checked."""
    p = m.params
    fp, peers = p.facilitated_peer, p.peers
    hours = fp.meetings_per_month * fp.hours_per_meeting / fp.group_size
    discount = 1.0 / (1.0 + p.mentoring.concordance_gain)
    fs = m.faculty
    # the support phase again on the ties as they stand (this month's exits cut ties after it ran)
    support.update_loads(fs.cols, m.kp, m.active, m.n_active, m.month)
    support.update_support(fs.cols, m.kp, m.active, m.n_active, m.month)
    checked = 0
    for members in _groups(m).values():
        for i in members:
            expected = np.zeros(len(FUNCTIONS))
            from_facilitator = np.zeros(len(FUNCTIONS))
            for s in range(fs.tie_mentor.shape[1]):
                if fs.tie_mentor[i, s] < 0:
                    continue
                conc = np.ones(len(FUNCTIONS))
                if fs.tie_discount[i, s]:
                    conc[[CAREER, PSYCHOSOCIAL]] = discount
                if fs.tie_kind[i, s] == SECONDARY:
                    from_facilitator = fp.gives.array() * hours * fs.tie_fit[i, s] * conc
                    expected += from_facilitator
                else:
                    assert fs.tie_kind[i, s] == PEER
                    expected += peers.profile.array() * peers.hours_per_peer * fs.tie_fit[i, s] * conc
            np.testing.assert_allclose(fs.support[i], expected, rtol=1e-12, atol=1e-15)
            if fs.tie_mentor[i, 0] >= 0:
                checked += 1
                assert from_facilitator[CAREER] > 0
    return checked


def test_support_flows_per_function_as_the_parameters_say():
    assert _support_check(_run(14)) > 10
    # other parameters, and a facilitator's support does not depend on the senior's own competence or load
    m = _run(14, "facilitated_peer.meetings_per_month=2.0", "facilitated_peer.gives.science=0.9",
             "facilitated_peer.gives.psychosocial=0.1", "facilitated_peer.group_size=4")
    assert _support_check(m) > 10


def test_the_ties_table_keeps_its_kinds():
    # the model reuses the existing tie kinds: the facilitator is a secondary senior tie, the group peer ties
    assert TIE_KINDS == ("none", "primary", "secondary", "external", "peer")
