import numpy as np

from simulation.model.mesa_model import CareerModel
from simulation.model.state import NEVER

from .conftest import small, small_result


def test_grant_decisions_happen_only_in_cycle_months():
    s = small_result("status_quo").series
    cycles = set(small("status_quo").grants.cycle_months)
    in_cycle = (s["month"] % 12).isin(cycles)
    assert (s.loc[~in_cycle, "n_applications"] == 0).all()
    assert s.loc[in_cycle, "n_applications"].sum() > 0
    first = small_result("status_quo").people["month_first_grant"].dropna().astype(int)
    assert set((first % 12).unique()) <= cycles


def test_up_or_out_turns_a_last_failed_review_into_an_exit():
    r = small_result("status_quo", "promotion.up_or_out=true", "promotion.bar_associate=6", "promotion.max_reviews=1")
    reasons = r.people["exit_reason"].astype(str)
    assert (reasons == "failed review").sum() > 0
    r2 = small_result("status_quo", "promotion.bar_associate=6", "promotion.max_reviews=1")
    assert (r2.people["exit_reason"].astype(str) == "failed review").sum() == 0


def test_publications_accumulate_and_follow_capital():
    m = CareerModel(small("status_quo"))
    for _ in range(60):
        m.step()
    fs = m.faculty
    act = m.active_rows()
    assert np.all(fs.pubs[act] >= fs.pubs_in_rank[act])
    assert np.corrcoef(fs.capital[act], fs.pubs_rate[act])[0, 1] > 0.3
    hires = act[~fs.initial[act] & (m.month - fs.hire_month[act] >= 60)]
    assert np.all(fs.pubs_by_year[hires, 4] >= 0)
    assert np.all(np.diff(fs.pubs_by_year[hires, :5], axis=1) >= 0)  # cumulative


def test_career_award_ends_on_schedule():
    m = CareerModel(small("status_quo", "hiring.share_career_award=0.5"))
    for _ in range(24):
        m.step()
    fs = m.faculty
    awarded = ~fs.initial & fs.career_award
    assert awarded.any()
    assert np.all(fs.award_end[awarded] == fs.hire_month[awarded] + m.params.grants.career_award_months)
    assert np.all(fs.award_end[~fs.career_award] == NEVER)
