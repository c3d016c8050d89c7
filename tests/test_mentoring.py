import numpy as np
import pytest

from simulation.model.mesa_model import CareerModel
from simulation.model.state import ASSISTANT, ASSOCIATE, EXTERNAL, FULL, PEER, PRIMARY, SECONDARY

from .conftest import small, small_result


def _run(scenario, *sets, months=60):
    m = CareerModel(small(scenario, *sets))
    history = []
    for _ in range(months):
        m.step()
        history.append(_snapshot(m))
    return m, history


def _snapshot(m):
    fs = m.faculty
    act = m.active_rows()
    k = m.params.n_mentor_slots
    mentors = fs.tie_mentor[act, :k]
    return {
        "n_mentors": (mentors >= 0).sum(1) if k else np.zeros(len(act), int),
        "rank": fs.rank[act].copy(),
        "max_proteges": fs.n_proteges[act].max() if len(act) else 0,
    }


def test_a_dyad_protege_never_has_more_than_one_senior_mentor():
    m, history = _run("dyad")
    assert max(h["n_mentors"].max() for h in history) == 1
    # and nearly every assistant professor has one after the first months
    last = history[-1]
    assert (last["n_mentors"][last["rank"] == 0] == 1).mean() > 0.9


def test_committee_sizes_follow_the_shares():
    m, history = _run("status_quo", months=36)
    everyone = m.everyone()
    sizes = everyone.committee_size[~everyone.initial]
    women = everyone.female[~everyone.initial]
    assert set(np.unique(sizes)) <= {1, 2}
    assert (sizes[women] == 2).mean() > (sizes[~women] == 2).mean()
    assert max(h["n_mentors"].max() for h in history) <= 2


def test_network_respects_max_ties_and_re_shapes():
    m, history = _run("network", months=60)
    assert max(h["n_mentors"].max() for h in history) <= m.params.network.max_ties
    reasons = np.bincount(m.ties.end_reason, minlength=5)
    assert reasons[3] + reasons[4] > 0  # dropped or replaced at reviews


@pytest.mark.parametrize("scenario", ["network", "status_quo"])
def test_cap_on_mentees_is_respected(scenario):
    m, history = _run(scenario, "mentoring.cap_mentees=2", months=48)
    assert max(h["max_proteges"] for h in history) <= 2


def test_external_ties_only_when_allowed():
    m, _ = _run("network", "mentoring.external_ties=false", months=36)
    assert len(m.ties.kind) > 0 and not np.any(m.ties.kind == EXTERNAL)
    institution = m.everyone().institution
    assert np.array_equal(institution[m.ties.protege], institution[m.ties.mentor])  # every tie stays at home
    m2, _ = _run("network", months=36)
    ext = m2.ties.kind == EXTERNAL
    assert ext.any()
    institution = m2.everyone().institution  # the tie log holds person ids
    assert np.all(institution[m2.ties.protege[ext]] != institution[m2.ties.mentor[ext]])
    local = (m2.ties.kind == PRIMARY) | (m2.ties.kind == SECONDARY)
    assert local.any() and np.all(institution[m2.ties.protege[local]] == institution[m2.ties.mentor[local]])


def test_ties_point_to_active_seniors_only():
    m, _ = _run("network", months=48)
    fs = m.faculty
    act = m.active_rows()
    k = m.params.n_mentor_slots
    for s in range(k):
        i = act[fs.tie_mentor[act, s] >= 0]
        j = fs.tie_mentor[i, s]
        assert len(i) > 0 and np.all(fs.status[j] == 0)
        # mentors are seniors; a protege's promotion this month may have closed the gap (an
        # associate's associate mentor) until next month's pass, but never reversed it
        assert np.all(fs.rank[j] >= ASSOCIATE)
        assert np.all(fs.rank[j] >= fs.rank[i])


@pytest.mark.parametrize("scenario", ["dyad", "status_quo", "network", "network_women_mentor_policy"])
def test_a_new_mentor_outranks_the_protege_when_the_tie_starts(scenario):
    """mentoring.search draws seniors from the pool buckets: an assistant protege from the full and
    associate buckets, an associate protege from the full ones only; full professors have none.
    Ranks change only in the careers phase, after the ties phase, so the ranks a tie started
    under are the ranks at the end of the month before (a hire of the month is an assistant)."""
    m = CareerModel(small(scenario))
    started = {ASSISTANT: [], ASSOCIATE: [], FULL: []}  # protege rank -> mentor ranks at start
    for _ in range(60):
        rank_before = m.everyone().rank.astype(int)
        n_before, ties_before = len(rank_before), m.ties.n
        m.step()
        new = slice(ties_before, m.ties.n)
        senior = m.ties.kind[new] != PEER
        protege, mentor = m.ties.protege[new][senior], m.ties.mentor[new][senior]
        assert np.all(m.ties.start_month[new] == m.month)

        def rank_at_start(ids):
            return np.where(ids < n_before, rank_before[np.minimum(ids, n_before - 1)], ASSISTANT)

        for r_protege, r_mentor in zip(rank_at_start(protege), rank_at_start(mentor)):
            started[int(r_protege)].append(int(r_mentor))
    assert started[FULL] == []
    assert set(started[ASSISTANT]) == {ASSOCIATE, FULL}  # both senior ranks mentor assistants
    assert len(started[ASSOCIATE]) > 0 and set(started[ASSOCIATE]) == {FULL}


def test_peer_ties_are_symmetric_within_groups():
    m, _ = _run("network_peers", months=30)
    fs = m.faculty
    act = m.active_rows()
    pairs = set()
    for i in act:
        for s in range(fs.tie_mentor.shape[1]):
            j = fs.tie_mentor[i, s]
            if j >= 0 and fs.tie_kind[i, s] == PEER:
                pairs.add((int(i), int(j)))
                assert fs.peer_group[i] == fs.peer_group[j]
                assert fs.institution[i] == fs.institution[j]
    assert pairs and all((j, i) in pairs for i, j in pairs)


def test_women_mentor_policy_raises_concordant_mentoring():
    base = small_result("network", seed=5).series
    policy = small_result("network_women_mentor_policy", seed=5).series
    assert (policy["share_women_with_woman_mentor"].iloc[24:].mean()
            > base["share_women_with_woman_mentor"].iloc[24:].mean() + 0.05)


def test_peer_model_has_no_senior_mentors():
    s = small_result("peer").series
    assert (s["mean_mentors"] == 0).all() and (s["mean_peers"].iloc[12:] > 0).all()


def test_no_mentor_means_no_tie_of_any_kind_and_the_same_people_as_the_status_quo():
    """The no_mentor scenario forms no ties (no mentors, no peers), and since mentoring draws only
    from its own streams, it starts from the same people as the status quo it extends."""
    r, sq = small_result("no_mentor"), small_result("status_quo")
    assert r.params.mentoring.model == "none" and not r.params.peers_on
    assert len(r.ties) == 0 and len(sq.ties) > 0
    assert (r.series["mean_mentors"] == 0).all() and (r.series["mean_peers"] == 0).all()
    assert (r.people["n_ties_formed"] == 0).all() and (r.people["n_mentor_losses"] == 0).all()

    def initial(t):  # who they are and when they were hired (ranks move with mentoring)
        cols = ["person_key", "gender", "institution", "talent", "hire_month"]
        return t.loc[t["initial"], cols].astype({"gender": str}).sort_values("person_key").reset_index(drop=True)

    assert len(initial(r.people)) > 0 and initial(r.people).equals(initial(sq.people))


@pytest.mark.parametrize("scenario", ["dyad", "status_quo", "network_peers", "network_women_mentor_policy"])
def test_mentor_loads_kept_as_ties_come_and_go_equal_a_recount(scenario):
    m, _ = _run(scenario, months=40)
    fs = m.faculty
    act = m.active_rows()
    k = m.params.n_mentor_slots
    n_by_kind = np.zeros((len(fs.status), 3), dtype=np.int64)
    for s in range(k):
        i = act[fs.tie_mentor[act, s] >= 0]
        np.add.at(n_by_kind, (fs.tie_mentor[i, s], fs.tie_kind[i, s] - 1), 1)
    assert np.array_equal(fs.n_by_kind[act], n_by_kind[act])
    assert np.array_equal(fs.n_proteges[act], n_by_kind[act].sum(1))
    w = m.params.mentoring
    assert np.allclose(fs.load_weight[act], n_by_kind[act] @ [w.weight_primary, w.weight_secondary, w.weight_external])
    assert n_by_kind.sum() > 0


@pytest.mark.parametrize("scenario", ["network", "network_peers"])
def test_each_seniors_card_follows_their_load_through_the_mentoring_pass(scenario):
    """The pools index every active row's card; as the pass starts and ends ties, the mentors'
    cards take their new loads (the search reads loads from the cards)."""
    from simulation.model import mentoring
    from simulation.model.mentoring.pools import CARD_LOAD_WEIGHT, CARD_N_PROTEGES, CARD_ROW

    m, _ = _run(scenario, months=13)
    fs = m.faculty
    mentoring.build_pools(fs.cols, m.institutions.cols, *m.pools)
    cards, position = m.pools.cards, m.pools.pool_position
    act = m.active_rows()
    seniors = act[fs.rank[act] > ASSISTANT]
    assert np.array_equal(cards[position[seniors], CARD_ROW], seniors)
    before = fs.n_proteges[seniors].copy()
    m.ties.ensure(m.n_active * (m.params.n_mentor_slots + 2))
    mentoring.maintain_ties(fs.cols, m.ties.cols, m.kp, m.keys, m.counters, m.pools, m.plans, m.active, m.n_active,
                            m.month + 1)
    assert (fs.n_proteges[seniors] != before).sum() > 5  # the pass did start and end ties
    assert np.array_equal(cards[position[seniors], CARD_N_PROTEGES], fs.n_proteges[seniors])
    assert np.array_equal(cards[position[seniors], CARD_LOAD_WEIGHT], fs.load_weight[seniors].astype(np.float32))


def test_the_mentoring_constants_are_the_parameters_of_the_same_name():
    """`consts` copies parameters into a tuple by position: a field read from the wrong parameter
    would pass silently unless every value differs, so each one is set to a distinct value here."""
    from simulation.config.params import MODELS
    from simulation.model.kernel_params import KernelParams, _derived, _flatten
    from simulation.model.mentoring.consts import DERIVED, SAME_AS_PARAMETERS, consts
    from simulation.model.rng import Stream, stream_keys

    p = small("network", "mentoring.candidates=7", "mentoring.replace_delay_months=5", "mentoring.cap_mentees=9",
              "mentoring.external_ties=true", "mentoring.women_mentor_policy=true", "network.max_new_per_search=3",
              "network.reshape_months=11", "network.drop_below=0.0625", "network.switch_margin=0.375",
              "network.collaboration_after_months=29", "network.share_external=0.1875",
              "mentoring.weight_primary=1.03125", "mentoring.weight_secondary=0.53125",
              "mentoring.weight_external=0.40625", "mentors.comfortable_load=4.5", "mentors.overload_exponent=1.21875",
              "mentors.admin_capacity_loss=0.28125", "mentoring.protected_time=0.15625",
              "mentors.trainee_weight=0.34375", "mentoring.concordance_gain=0.25", "network.max_ties=6")
    m = CareerModel(p)
    c = consts(m.kp, m.keys)
    values = KernelParams(**_flatten(p), **_derived(p))
    expected = {name: getattr(values, name) for name in SAME_AS_PARAMETERS}
    assert expected["model_code"] == MODELS.index("network") and expected["n_mentor_slots"] == 6
    scalars = [v for v in expected.values() if not isinstance(v, bool)]
    assert len(set(scalars)) == len(scalars), expected  # distinct, so a swap cannot go unseen
    assert {name: getattr(c, name) for name in SAME_AS_PARAMETERS} == expected
    keys = stream_keys(p.seed)
    assert dict(zip(DERIVED, c[len(SAME_AS_PARAMETERS):])) == {
        "contact_new": values.contact_by_age[0], "discount": 1.0 / 1.25,
        "mentoring_key": keys[Stream.MENTORING], "fit_key": keys[Stream.FIT]}
