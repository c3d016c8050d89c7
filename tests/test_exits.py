import numpy as np

from .conftest import small, small_result
from simulation.model.mesa_model import CareerModel


def test_head_counts_balance_every_month():
    r = small_result("network")
    s, ppl = r.series, r.people
    n0 = int(ppl["initial"].sum())
    exits = (s["n_left"] + s["n_failed_review"] + s["n_retired"]).cumsum()
    hires = s["n_hired"].cumsum()
    assert np.array_equal(s["n_active"].to_numpy(), (n0 + hires - exits).to_numpy())
    assert len(ppl) == n0 + hires.iloc[-1]
    assert ppl["censored"].sum() == s["n_active"].iloc[-1]
    assert (~ppl["censored"]).sum() == exits.iloc[-1]


def test_every_exit_has_a_month_and_reason():
    ppl = small_result("status_quo").people
    gone = ppl[~ppl["censored"]]
    assert gone["exit_month"].notna().all()
    assert (gone["exit_reason"].astype(str) != "active").all()
    assert ppl.loc[ppl["censored"], "exit_month"].isna().all()
    assert (gone["exit_month"] >= gone["hire_month"].clip(lower=0)).all()


def test_no_ties_survive_an_exit():
    m = CareerModel(small("network_peers"))
    for _ in range(48):
        m.step()
    everyone, tl = m.everyone(), m.ties
    gone = np.flatnonzero(everyone.status != 0)
    assert len(gone) > 0
    open_ties = tl.end_month == -(2**30)
    # every tie of a leaver ended in the month they left
    for who in (tl.protege, tl.mentor):
        of_leaver = np.isin(who, gone)
        assert np.all(tl.end_month[of_leaver] <= everyone.exit_month[who[of_leaver]])
        assert np.all(tl.end_month[of_leaver] >= 0)
    assert np.all(everyone.status[tl.protege[open_ties]] == 0)
    assert np.all(everyone.status[tl.mentor[open_ties]] == 0)


def test_leavers_rows_are_archived_and_their_positions_refilled():
    m = CareerModel(small("status_quo"))
    for _ in range(36):
        m.step()
    fs, arch = m.faculty, m.archive
    assert arch.n > 0 and np.all(arch.status != 0) and np.all(arch.exit_month >= 0)
    # a position holds one person at a time: the active occupy distinct rows of their institution
    act = m.active_rows()
    ins = m.institutions
    assert np.all(fs.institution[act] == np.searchsorted(ins.first_row, act, side="right") - 1)
    # everyone ever present is either archived or active, once
    ids = np.concatenate([arch.person_id, fs.person_id[act]])
    assert np.array_equal(np.sort(ids), np.arange(m.n_people))


def test_attrition_is_front_loaded():
    ppl = small_result("status_quo", "horizon_years=20").people
    hires = ppl[~ppl["initial"]]
    years = (hires["end_month"] - hires["hire_month"]) / 12
    left = hires["exit_reason"].astype(str) == "left academia"
    early = (left & (years < 3)).sum() / (years > 0).sum()
    late = (left & (years >= 10) & (years < 13)).sum() / (years >= 10).sum()
    assert early > late


def test_retirement_comes_late_in_a_career():
    ppl = small_result("status_quo", "horizon_years=20").people
    retired = ppl[ppl["exit_reason"].astype(str) == "retired"]
    assert len(retired) > 0
    career_years = (retired["exit_month"].astype(float) - retired["hire_month"]) / 12
    assert career_years.median() > 28
    assert (career_years < 20).mean() < 0.05
