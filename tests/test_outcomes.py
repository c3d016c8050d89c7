import numpy as np
import pandas as pd
import pytest

from simulation.analysis.outcomes import composition, format_summary, outcomes, summary_table


def _people():
    # twelve hires at month 0 of a 15-year run, four initial faculty (ignored by outcomes)
    n_months = 180
    rows = []
    for k in range(12):
        woman = k % 2 == 0
        left = k < 4  # four leave: at 2, 2, 4 and 8 years
        end = [24, 24, 48, 96][k] if left else n_months
        rows.append({
            "initial": False, "hire_month": 0, "end_month": end, "censored": not left,
            "gender": "women" if woman else "men", "career_award": k >= 8,
            "pubs": 3 * end // 12, "month_first_grant": 48 if k in (4, 8) else pd.NA,
            "month_associate": 72 if k in (5, 6, 7) else pd.NA, "month_full": pd.NA,
            "months_as_protege": 100, **{f"pubs_y{y}": (3 * y if 12 * y <= end else pd.NA) for y in range(1, 16)},
            "mean_mentors": 1.0, "share_months_no_mentor": 0.0, "share_months_hole": 0.5, "mean_unmet": 0.3,
            "share_months_woman_mentor": 0.5, **{f"mean_coverage_{f}": 0.5 for f in
                                                 ("science", "skills", "career", "networking", "psychosocial")},
        })
    for k in range(4):
        rows.append({**rows[-1], "initial": True, "hire_month": -100})
    df = pd.DataFrame(rows)
    for col in ("month_first_grant", "month_associate", "month_full", *[f"pubs_y{y}" for y in range(1, 16)]):
        df[col] = df[col].astype("Int32")
    return df, n_months


def test_outcomes_on_a_hand_checkable_cohort():
    people, n_months = _people()
    o = outcomes(people, n_months).set_index("group")
    assert o.loc["all", "n_hires"] == 12
    assert o.loc["all", "retention_5y"] == pytest.approx(9 / 12)
    assert o.loc["all", "retention_10y"] == pytest.approx(8 / 12)
    assert o.loc["all", "grant_5y"] == pytest.approx(2 / 12)
    assert o.loc["all", "promoted_10y"] == pytest.approx(3 / 12)
    assert o.loc["all", "years_to_associate"] == pytest.approx(6.0)
    years = (people[~people["initial"]]["end_month"] / 12).sum()
    assert o.loc["all", "pubs_per_faculty_year"] == pytest.approx(people[~people["initial"]]["pubs"].sum() / years)
    assert o.loc["all", "award_grant_5y"] == pytest.approx(1 / 4)
    # women are the even hires: of the four who left (0-3), two are women
    assert o.loc["women", "retention_10y"] == pytest.approx(4 / 6)
    assert o.loc["all", "pubs_5y"] == pytest.approx(15.0)


def test_summary_table_formats_percentages():
    people, n_months = _people()
    text = format_summary(summary_table(people, n_months))
    assert "66.7%" in text and "women" in text and "pubs/yr" in text


def test_composition_gives_women_share_by_rank():
    s = pd.DataFrame({"month": [0, 1], "year": [0, 1 / 12],
                      "n_assistant_women": [4, 5], "n_assistant_men": [6, 5],
                      "n_associate_women": [0, 0], "n_associate_men": [0, 0],
                      "n_full_women": [1, 1], "n_full_men": [3, 3]})
    c = composition(s)
    assert list(c["share_women_assistant"]) == [0.4, 0.5]
    assert np.isnan(c["share_women_associate"]).all()
    assert list(c["share_women_full"]) == [0.25, 0.25]


def test_kaplan_meier_agrees_with_lifelines_exactly():
    import numpy as np
    from lifelines import KaplanMeierFitter

    from simulation.analysis.outcomes import km_survival

    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        durations = np.round(rng.exponential(8, n) * 12) / 12  # whole months: many ties
        events = rng.random(n) < rng.uniform(0, 1)
        times = np.concatenate([rng.uniform(0, 25, 4), durations[:2]])
        expected = KaplanMeierFitter().fit(durations, events).survival_function_at_times(times).to_numpy()
        assert np.array_equal(km_survival(durations, events, times), expected)
