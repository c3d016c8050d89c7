"""The gendered mechanisms outside mentoring and the promotion clock, each on inputs where the
answer is known (docs/ODD.md 7.10; simulation/config/gender.py)."""

import numpy as np
import pytest

from simulation.config.gender import MECHANISMS, switch_off_sets
from simulation.model.careers import capital_target
from simulation.model.exits import attrition_hazard
from simulation.model.kernel_params import kernel_params
from simulation.model.mesa_model import CareerModel
from simulation.model.state import NEVER

from .conftest import small, small_result

NO_CLOCK_SPREAD = ("promotion.clock_spread_years=0", "promotion.early_years=0", "caregiving.extension_share_women=0",
                   "caregiving.extension_share_men=0")


def _target(kp, startup, care):
    # talent 1.3, rank scale 1.25, coverage 0.5/0.4/0.3, 2 peers, 1 collaborator, on an award, no grant
    return capital_target(kp, 1.3, 1.25, 0.5, 0.4, 0.3, 2, 1, True, False, startup, care)


def test_caregiving_lowers_the_capital_target_by_its_share_of_research_time():
    kp = kernel_params(small("status_quo"))
    base = _target(kp, 0.0, 0.0)
    assert base > 0
    assert _target(kp, 0.0, 0.25) == pytest.approx(0.75 * base, rel=1e-12)
    # start-up capital adds to what support sustains, before talent and rank scale it
    assert _target(kp, 0.2, 0.0) - base == pytest.approx(1.3 * 1.25 * 0.2, rel=1e-12)
    assert _target(kp, 0.2, 0.25) == pytest.approx(0.75 * (base + 1.3 * 1.25 * 0.2), rel=1e-12)


def test_work_life_exits_multiply_the_hazard_by_exp_effect_times_load():
    kp = kernel_params(small("status_quo", "caregiving.exit_effect=1.5"))
    args = (30, -1, 10**6, False, False, 0.2, 0.8, 0)
    h0 = attrition_hazard(kp, *args, 0.0)
    h1 = attrition_hazard(kp, *args, 0.2)
    assert h1 / h0 == pytest.approx(np.exp(1.5 * 0.2), rel=1e-12)


def test_caregiving_years_and_load_follow_the_parameters():
    m = CareerModel(small("status_quo", "caregiving.share_parents=0.6", "caregiving.start_years=[1.0, 3.0]",
                          "caregiving.years=4", "caregiving.extra_hours_women=10.5", "caregiving.extra_hours_men=2.1",
                          "caregiving.research_hours=42"))
    for _ in range(36):
        m.step()
    fs = m.faculty
    rows = m.active_rows()
    rows = rows[~fs.initial[rows]]
    parent = fs.care_start[rows] != NEVER
    assert 0.45 < parent.mean() < 0.75
    p = rows[parent]
    since_hire = fs.care_start[p] - fs.hire_month[p]
    assert since_hire.min() >= 12 and since_hire.max() <= 36
    assert np.all(fs.care_end[p] - fs.care_start[p] == 48)
    np.testing.assert_allclose(fs.care_load[p], np.where(fs.female[p], 10.5 / 42, 2.1 / 42))
    assert np.all(fs.care_load[rows[~parent]] == 0)


def test_a_review_clock_alone_puts_promotions_on_a_lattice():
    """With no spread, no early promotion and no extensions, promotions fall on the clock and re-reviews."""
    ppl = small_result("status_quo", *NO_CLOCK_SPREAD).people
    hired = ppl[~ppl["initial"] & ppl["month_associate"].notna()]
    assert len(hired) > 0
    years = (hired["month_associate"] - hired["hire_month"]) / 12
    review = small("status_quo").promotion
    allowed = {review.review_years_associate + k * review.re_review_years for k in range(review.max_reviews)}
    assert set(np.round(years.astype(float), 6)) <= {round(a, 6) for a in allowed}
    assert (ppl["rank"].astype(str) == "associate").sum() > 0


def test_time_to_associate_has_a_spread_at_defaults():
    """No single month after hire holds more than a quarter of promotions to associate; some come
    early, before the nominal clock minus its spread."""
    ppl = small_result("status_quo", "population.n_faculty=1200", "horizon_years=15").people
    hired = ppl[~ppl["initial"] & ppl["month_associate"].notna()]
    months = (hired["month_associate"] - hired["hire_month"]).astype(int)
    assert len(months) > 100
    assert months.value_counts(normalize=True).max() <= 0.25
    p = small("status_quo").promotion
    assert (months < 12 * (p.review_years_associate - p.clock_spread_years)).any()


def test_a_clock_extension_moves_the_first_review_by_its_years():
    sets = ("promotion.clock_spread_years=0", "caregiving.extension_years=1", "caregiving.start_years=[0.0, 2.0]")
    m_ext = CareerModel(small("status_quo", *sets, "caregiving.extension_share_women=1",
                              "caregiving.extension_share_men=0"))
    m_not = CareerModel(small("status_quo", *sets, "caregiving.extension_share_women=0",
                              "caregiving.extension_share_men=0"))
    for m in (m_ext, m_not):
        for _ in range(13):
            m.step()
    fs, fn = m_ext.faculty, m_not.faculty
    rows = m_ext.active_rows()
    rows = rows[(~fs.initial[rows]) & (fs.rank[rows] == 0) & (fs.n_reviews[rows] == 0)]
    # the same people (by key: an institution's k-th hire; exits differ between the two, so rows and
    # hiring months may too)
    where_not = {k: r for r, k in enumerate(fn.person_key) if k != 0}
    rows = np.array([r for r in rows if fs.person_key[r] in where_not])
    twin = np.array([where_not[fs.person_key[r]] for r in rows])
    parent = fs.care_start[rows] != NEVER
    assert np.array_equal(parent, fn.care_start[twin] != NEVER)
    assert np.array_equal((fs.care_start - fs.hire_month)[rows[parent]], (fn.care_start - fn.hire_month)[twin[parent]])
    ext = fs.female[rows] & parent
    assert ext.sum() > 5 and (~ext).sum() > 5
    assert np.all((fs.next_review - fs.hire_month)[rows[ext]] == 72 + 12)
    assert np.all((fs.next_review - fs.hire_month)[rows[~ext]] == 72)
    assert np.all((fn.next_review - fn.hire_month)[twin] == 72)


def test_status_quo_gives_the_k_awardees_shares_only_to_k_awardees():
    r = small_result("status_quo", "hiring.share_career_award=0.5", "committee.share_multi_women=1",
                     "committee.share_multi_men=1", "committee.share_multi_other=0")
    hires = r.people[~r.people["initial"]]
    size = hires.groupby("career_award")["committee_size"]
    assert size.min()[True] == 2 and size.max()[False] == 1


def test_switching_a_mechanism_off_keeps_the_same_people():
    """The same initial population, and the same person behind every hire's key (an institution's
    k-th hire): the switches change no draw, only what the draws are used for."""
    base = small("status_quo")
    off = switch_off_sets(base, [m.name for m in MECHANISMS])
    a = small_result("status_quo").people
    b = small_result("status_quo", *off).people
    cols = ["person_key", "gender", "hire_month", "career_award", "talent", "care_start"]
    assert a.loc[a["initial"], cols].reset_index(drop=True).equals(b.loc[b["initial"], cols].reset_index(drop=True))
    traits = ["gender", "career_award", "talent", "care_years"]
    ha, hb = (h[~h["initial"]].assign(care_years=h["care_start"] - h["hire_month"]).set_index("person_key")
              for h in (a, b))
    both = ha.index.intersection(hb.index)
    assert len(both) > 0.9 * min(len(ha), len(hb))  # exits differ, so later hires differ a little
    assert ha.loc[both, traits].equals(hb.loc[both, traits])
    # and the switches removed every difference: women's and men's loads alike
    loads = hb.groupby("gender", observed=True)["care_load"].max()
    assert loads["women"] == loads["men"] == 0.0


def test_every_mechanism_switch_names_real_parameters():
    base = small("status_quo")
    for m in MECHANISMS:
        sets = switch_off_sets(base, [m.name])
        assert sets, m.name
        changed = small("status_quo", *sets)
        assert changed != base, m.name  # at defaults every mechanism is on


def test_women_apply_for_grants_at_their_ratio_of_mens_rate():
    """With the ratio 0 no woman ever applies, while men still do; with 1, women apply too."""
    never = small_result("status_quo", "grants.apply_ratio_women=0").people
    assert never.loc[never["gender"] == "women", "n_applications"].sum() == 0
    assert never.loc[never["gender"] == "men", "n_applications"].sum() > 0
    alike = small_result("status_quo", "grants.apply_ratio_women=1").people
    assert alike.loc[alike["gender"] == "women", "n_applications"].sum() > 0
