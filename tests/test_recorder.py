"""The monthly series, recomputed by hand from the model's state in the month it was recorded."""

import numpy as np
import pandas as pd
import pytest

from simulation.model.mesa_model import CareerModel
from simulation.config.params import FUNCTIONS, RANKS
from simulation.model.recorder import SERIES_NAMES, STAGES, Recorder
from simulation.config.scenario import load_scenario
from simulation.model.state import FACULTY_COLUMNS, PEER

TINY = ["population.n_faculty=150", "population.n_institutions=2", "horizon_years=1"]
MONTHS = 8
# the recount's run: larger, and a lower bar for full professor, so that its first months see every kind of event
RECOUNT = [*TINY, "population.n_faculty=300", "promotion.bar_full=2"]


def _committee_first_month() -> tuple:
    """The tiny committee scenario's parameters, model and recorder, its first month stepped and recorded."""
    p = load_scenario("committee", TINY, seed=4)
    m = CareerModel(p)
    r = Recorder(p.n_months)
    m.step()
    r.record(m, m.last_hired, m.last_exits, m.last_events)
    return p, m, r


def _mid_quantile(values: np.ndarray, q: float) -> float:
    """Mid-distribution quantile of integers: linear between the points (k, F(k) - f(k)/2)."""
    k, n = np.unique(values, return_counts=True)
    f = n / n.sum()
    return float(np.interp(q, np.cumsum(f) - f / 2, k))


def _by_hand(m: CareerModel, before: dict) -> dict:
    """Every series value of this month that the state determines, computed with numpy/pandas."""
    p, month = m.params, m.month
    a = m.faculty.arrays
    act = m.active_rows()
    col = {name: a[name][act] for name in ("rank", "female", "n_proteges", "n_trainees", "satisfaction",
                                           "grant_end", "award_end", "career_award", "competence_scale",
                                           "time_per_weight", "rank_month")}
    df = pd.DataFrame(col)
    rank, female = df["rank"].to_numpy(), df["female"].to_numpy()
    out: dict[str, float] = {"n_active": len(act)}
    for r, name in enumerate(RANKS):
        out[f"n_{name}_women"] = int(((rank == r) & female).sum())
        out[f"n_{name}_men"] = int(((rank == r) & ~female).sum())
    load = df["n_proteges"] + df["n_trainees"]
    for r, name in enumerate(RANKS):
        out[f"mean_load_{name}"] = load[rank == r].mean()
        out[f"mean_proteges_{name}"] = df["n_proteges"][rank == r].mean()
    with_any = load[load > 0].to_numpy()
    assert with_any.max() < 127  # below the recorder's top histogram bin
    for q, name in ((0.25, "load_p25"), (0.5, "load_median"), (0.75, "load_p75")):
        out[name] = _mid_quantile(with_any, q)
    seniors = rank >= 1
    out["share_seniors_overloaded"] = (load[seniors] > p.mentors.comfortable_load).mean()
    weakest = a["competence_profile"][act].min(axis=1) * df["competence_scale"].to_numpy()
    out["share_seniors_strong_all"] = (weakest[seniors] >= p.mentors.strong_threshold).mean()
    mentoring = df["n_proteges"] > 0
    out["mean_hours_per_protege"] = (df["time_per_weight"][mentoring] * p.mentoring.weight_primary).mean()
    out["mean_satisfaction"] = df["satisfaction"].mean()
    out["n_grant_holders"] = int((df["grant_end"] > month).sum())
    out["n_award_holders"] = int((df["career_award"] & (df["award_end"] > month)).sum())

    # proteges: assistant and associate professors, with their ties
    prot = act[rank < 2]
    mentor, kind = a["tie_mentor"][prot], a["tie_kind"][prot]
    senior = (mentor >= 0) & (kind != PEER)
    peer = (mentor >= 0) & (kind == PEER)
    n_m = senior.sum(1)
    woman_mentor = (senior & a["female"][np.where(senior, mentor, 0)]).any(1)
    women = a["female"][prot]
    out["n_proteges"] = len(prot)
    out["n_mentor_ties"] = int(n_m.sum())
    out["mean_mentors"] = n_m.mean()
    out["share_no_mentor"] = (n_m == 0).mean()
    out["share_multiple_mentors"] = (n_m > 1).mean()
    out["mean_peers"] = peer.sum(1).mean()
    out["share_women_with_woman_mentor"] = woman_mentor[women].mean()
    need = a["need_base"][prot] + a["need_spike"][prot]
    cov = a["coverage"][prot]
    rec = p.recording
    out["share_hole"] = ((need >= rec.hole_min_need) & (cov < rec.hole_threshold)).any(1).mean()
    out["share_all_covered"] = (cov >= rec.covered_threshold).all(1).mean()
    early = p.needs.early_assistant
    out["mean_unmet"] = ((need * (1 - cov)).sum(1) / sum(getattr(early, f) for f in FUNCTIONS)).mean()
    in_rank = month - a["rank_month"][prot]
    stage = np.where(a["rank"][prot] == 1, 2, np.where(in_rank < 6 * p.promotion.review_years_associate, 0, 1))
    for s, stage_name in enumerate(STAGES):
        for f, function in enumerate(FUNCTIONS):
            out[f"coverage_{stage_name}_{function}"] = cov[stage == s, f].mean()
            out[f"need_{stage_name}_{function}"] = need[stage == s, f].mean()

    # this month's events, from everyone's records (leavers included) and their change since last month
    everyone = m.everyone()
    out["n_hired"] = int((everyone.hire_month == month).sum())
    left_now = everyone.exit_month == month
    for code, name in ((1, "n_left"), (2, "n_failed_review"), (3, "n_retired")):
        out[name] = int((left_now & (everyone.status == code)).sum())
    n_before = len(before["pubs"])
    # promotions: rank changes since last month (month_associate and month_full cannot tell a
    # promotion in month 0 from an initial professor whose rank began in month 0)
    rank_now, rank_then = everyone.rank[:n_before], before["rank"]
    out["n_promoted_associate"] = int(((rank_then == 0) & (rank_now == 1)).sum())
    out["n_promoted_full"] = int(((rank_then == 1) & (rank_now == 2)).sum())
    assert np.all(rank_now >= rank_then) and np.all(everyone.rank[n_before:] == 0)
    out["pubs"] = int(everyone.pubs.sum() - before["pubs"].sum())
    out["n_applications"] = int(everyone.n_applications.sum() - before["n_applications"].sum())
    grants = everyone.n_grants.astype(np.int64)
    grants[:n_before] -= before["n_grants"]
    out["grants_won_and_renewed"] = int(grants.sum())
    # failed reviews: seen on the active (the month of the last failure is not kept for leavers)
    failed = int((a["failed_review_month"][act] == month).sum())
    out["failed_reviews_at_least"], out["failed_reviews_at_most"] = failed, failed + int(left_now.sum())
    return out


@pytest.mark.parametrize("scenario", ["network_peers", "committee"])
def test_each_months_row_equals_a_recount_of_the_state(scenario):
    p = load_scenario(scenario, RECOUNT, seed=4)
    m = CareerModel(p)
    r = Recorder(p.n_months)
    seen = []
    for _ in range(MONTHS):
        e = m.everyone()
        before = {"pubs": e.pubs.astype(np.int64), "n_applications": e.n_applications.astype(np.int64),
                  "n_grants": e.n_grants.astype(np.int64), "rank": e.rank.astype(np.int64)}
        m.step()
        r.record(m, m.last_hired, m.last_exits, m.last_events)
        expected = _by_hand(m, before)
        row = dict(zip(SERIES_NAMES, r.series[m.month]))
        assert row["n_grants_won"] + row["n_renewals"] == expected.pop("grants_won_and_renewed")
        assert (expected.pop("failed_reviews_at_least") <= row["n_failed_reviews"]
                <= expected.pop("failed_reviews_at_most"))
        for name, value in expected.items():
            if name.startswith(("n_", "pubs")):
                assert row[name] == value, (m.month, name)
            else:
                assert row[name] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), (m.month, name)
        assert set(expected) | {"n_grants_won", "n_renewals", "n_failed_reviews"} == set(SERIES_NAMES)
        seen.append(expected)
    # the recount is not of empty groups: each kind of quantity took values away from zero
    seen = pd.DataFrame(seen)
    for name in ("n_hired", "n_left", "pubs", "n_applications", "n_award_holders", "n_grant_holders",
                 "n_promoted_associate", "share_women_with_woman_mentor", "share_seniors_overloaded",
                 "share_multiple_mentors", "share_hole", "mean_unmet", "n_promoted_full"):
        assert seen[name].sum() > 0, name
    assert seen.notna().all().all()
    assert (seen["mean_peers"] > 0).all() == (scenario == "network_peers")

    table = r.series_table()
    assert len(table) == MONTHS and list(table.columns[:2]) == ["month", "year"]
    assert np.array_equal(table["month"], np.arange(MONTHS)) and np.allclose(table["year"], np.arange(MONTHS) / 12)
    assert table["n_active"].dtype == np.int64 and table["pubs"].dtype == np.int64
    assert np.array_equal(table["n_active"], seen["n_active"])
    assert np.isnan(r.series[MONTHS:]).all()  # months not yet run stay empty


def test_series_columns_are_generated_from_the_declared_list():
    from simulation.model.recorder import IX_EVENTS, IX_EXITS, IX_STAGE, S, SERIES
    from simulation.model.careers import EVENTS

    assert list(S._fields) == [name for name, _ in SERIES] and list(S) == list(range(len(SERIES)))
    assert [SERIES_NAMES[k] for k in IX_EVENTS] == list(EVENTS)
    assert [SERIES_NAMES[k] if k >= 0 else None for k in IX_EXITS] == [None, "n_left", "n_failed_review", "n_retired"]
    assert SERIES_NAMES[IX_STAGE[1, len(FUNCTIONS) + 2]] == f"need_{STAGES[1]}_{FUNCTIONS[2]}"


def test_observing_leaves_the_model_as_it_would_be_unobserved():
    p = load_scenario("network_peers", TINY, seed=4)
    seen, unseen = CareerModel(p), CareerModel(p)
    r = Recorder(p.n_months)
    for _ in range(MONTHS):
        seen.step()
        r.record(seen, seen.last_hired, seen.last_exits, seen.last_events)
        unseen.step()
    for name, values in seen.faculty.arrays.items():
        assert np.array_equal(values, unseen.faculty.arrays[name]), name
    assert seen.archive.n == unseen.archive.n > 0
    for col in FACULTY_COLUMNS:
        if col.keep:  # (the archive's other columns are never written)
            n = seen.archive.n
            assert np.array_equal(seen.archive.arrays[col.name][:n], unseen.archive.arrays[col.name][:n]), col.name
    assert r.live.arrays["obs_months"].sum() > 0 and r.live.arrays["mentor_months"].sum() > 0


def test_a_leavers_summaries_go_to_the_archive_row_of_their_faculty_columns():
    from simulation.model.state import OBSERVATION_COLUMNS

    p = load_scenario("committee", TINY, seed=4)
    m = CareerModel(p)
    r = Recorder(p.n_months)
    n_checked = 0
    for _ in range(MONTHS + 4):
        live_before = {name: a.copy() for name, a in r.live.arrays.items()} if r.live else None
        m.step()
        r.record(m, m.last_hired, m.last_exits, m.last_events)
        n_left = int(m.last_exits.sum())
        if live_before is None or not n_left:
            continue
        rows = m.left[:n_left]
        k = np.arange(m.archive.n - n_left, m.archive.n)
        ids = m.archive.arrays["person_id"][k]
        everyone = r.everyone(m)
        for col in OBSERVATION_COLUMNS:
            assert np.array_equal(r.archive.arrays[col.name][k], live_before[col.name][rows]), col.name
            assert np.array_equal(getattr(everyone, col.name)[ids], live_before[col.name][rows]), col.name
            assert np.all(r.live.arrays[col.name][rows] == col.fill), col.name  # cleared for the next hire
        n_checked += n_left
    assert n_checked > 0 and r.archive.n == m.archive.n


def test_the_recorder_refuses_a_month_it_did_not_see():
    p, m, r = _committee_first_month()
    for _ in range(p.n_months - 2):  # step unobserved until someone has left meanwhile
        m.step()
        if m.archive.n > r.archive.n:
            break
    assert m.archive.n > r.archive.n
    m.step()
    with pytest.raises(RuntimeError, match="must observe every month"):
        r.record(m, m.last_hired, m.last_exits, m.last_events)


def test_a_people_table_without_a_recorder_has_no_month_observed():
    from simulation.model.recorder import people_table

    p = load_scenario("committee", TINY, seed=4)
    seen, unseen = CareerModel(p), CareerModel(p)
    r = Recorder(p.n_months)
    for _ in range(MONTHS):
        seen.step()
        r.record(seen, seen.last_hired, seen.last_exits, seen.last_events)
        unseen.step()
    with_r, without = people_table(seen, r), people_table(unseen)
    assert unseen.archive.n > 0 and list(with_r.columns) == list(without.columns)
    assert (without["months_as_protege"] == 0).all() and without["mean_mentors"].isna().all()
    assert (with_r["months_as_protege"] > 0).any()
    assert with_r["pubs"].equals(without["pubs"]) and with_r["exit_month"].equals(without["exit_month"])


def test_a_protege_whose_mentor_leaves_is_observed_to_lose_the_tie():
    """Each tie cut because its mentor left adds one loss and the tie's value at that moment."""
    from simulation.model.mesa_model import PHASES

    p, m, r = _committee_first_month()
    names = ("n_mentor_losses", "value_lost", "support_share_lost")
    n_lost = quiet_after_losses = 0
    for _ in range(p.n_months - 1):
        m.month += 1
        for phase in PHASES:
            if phase.name == "exits":  # the ties as the exits phase finds them
                a = m.faculty.arrays
                mentor, kind, value = a["tie_mentor"].copy(), a["tie_kind"].copy(), a["tie_value"].copy()
                before = {name: r.live.arrays[name].copy() for name in names}
            phase.run(m, m.month)
        r.record(m, m.last_hired, m.last_exits, m.last_events)
        left = set(m.left[:int(m.last_exits.sum())].tolist())
        for i in m.active_rows():
            lost = [s for s in range(mentor.shape[1]) if mentor[i, s] in left and kind[i, s] != PEER]
            expected = before["value_lost"][i]
            for s in lost:
                expected += value[i, s]
            assert r.live.arrays["n_mentor_losses"][i] == before["n_mentor_losses"][i] + len(lost)
            assert r.live.arrays["value_lost"][i] == expected
            if not lost:
                assert r.live.arrays["support_share_lost"][i] == before["support_share_lost"][i]
            n_lost += len(lost)
        if m.last_exits.sum() > 0:  # the buffer holds exactly this month's losses
            rows = m.active_rows()
            lost_slots = np.isin(mentor[rows], list(left)) & (kind[rows] != PEER)
            assert (~np.isnan(m.last_losses[rows, :, 0]) == lost_slots).all()
        else:  # nobody left: what the buffer still holds from an earlier month is not added again
            quiet_after_losses += bool((~np.isnan(m.last_losses)).any())
    assert n_lost > 0 and quiet_after_losses > 0
