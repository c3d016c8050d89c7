"""Outcomes of a run (MODEL.md section 7), computed from its tables alone.

The cohort is everyone hired during the run (the initial population entered with a past
we did not simulate). Survival is Kaplan-Meier (lifelines), censored at the end of the
run; shares "by t years" count only hires who could have been followed for t years, and
count those who left before t as not having the outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.config.params import FUNCTIONS, RANKS

GROUPS = ("all", "women", "men")

OUTCOMES: dict[str, str] = {
    "n_hires": "faculty hired during the run",
    "retention_5y": "share still in academia 5 years after hire (Kaplan-Meier)",
    "retention_10y": "share still in academia 10 years after hire (Kaplan-Meier)",
    "pubs_per_faculty_year": "publications per faculty-year from hire",
    "pubs_5y": "mean cumulative publications at 5 years, among those still in academia",
    "pubs_10y": "mean cumulative publications at 10 years, among those still in academia",
    "grant_5y": "share with an independent grant within 5 years of hire",
    "grant_10y": "share with an independent grant within 10 years of hire",
    "award_grant_5y": "career-award holders with an independent grant within 5 years",
    "award_grant_10y": "career-award holders with an independent grant within 10 years",
    "award_retention_8y": "career-award holders still in academia 8 years after hire (Kaplan-Meier)",
    "award_pubs_10y": "career-award holders' mean cumulative publications at 10 years",
    "promoted_10y": "share promoted to associate within 10 years of hire",
    "promoted_14y": "share promoted to associate within 14 years of hire",
    "years_to_associate": "median years to associate professor, among the promoted",
    "years_to_full": "median years to full professor, among the promoted",
    "mean_mentors": "mentors (not peers) per protege-month",
    "share_months_no_mentor": "share of protege-months without a mentor",
    "share_months_hole": "share of protege-months with a badly uncovered function",
    "mean_unmet": "unmet need per protege-month (share of a new hire's need)",
    "share_months_woman_mentor": "share of protege-months with at least one woman mentor",
    **{f"coverage_{f}": f"mean coverage of {f} need per protege-month" for f in FUNCTIONS},
}


# How each outcome reads to people: (label, unit, direction). Unit "%" marks a share (stored as
# 0-1, shown as a percentage; its differences are percentage points). Direction: +1 higher is
# better for faculty, -1 lower is better, 0 neither. Covers OUTCOMES and the run-level outcomes
# of compare.RUN_LEVEL; it changes no computed value.
OUTCOME_META: dict[str, tuple[str, str, int]] = {
    "n_hires": ("faculty hired", "people", 0),
    "retention_5y": ("retention at 5 years", "%", +1),
    "retention_10y": ("retention at 10 years", "%", +1),
    "pubs_per_faculty_year": ("publications per faculty-year", "publications per faculty-year", +1),
    "pubs_5y": ("publications by year 5 (still in academia)", "publications", +1),
    "pubs_10y": ("publications by year 10 (still in academia)", "publications", +1),
    "grant_5y": ("independent grant by 5 years", "%", +1),
    "grant_10y": ("independent grant by 10 years", "%", +1),
    "award_grant_5y": ("career-award holders with a grant by 5 years", "%", +1),
    "award_grant_10y": ("career-award holders with a grant by 10 years", "%", +1),
    "award_retention_8y": ("career-award holders' retention at 8 years", "%", +1),
    "award_pubs_10y": ("career-award holders' publications by year 10", "publications", +1),
    "promoted_10y": ("promoted to associate by 10 years", "%", +1),
    "promoted_14y": ("promoted to associate by 14 years", "%", +1),
    "years_to_associate": ("years to associate professor (median)", "years", -1),
    "years_to_full": ("years to full professor (median)", "years", -1),
    "mean_mentors": ("mentors per protege", "mentors", 0),
    "share_months_no_mentor": ("months without a mentor", "%", -1),
    "share_months_hole": ("months with an uncovered mentoring function", "%", -1),
    "mean_unmet": ("unmet mentoring need (share of a new hire's need)", "%", -1),
    "share_months_woman_mentor": ("months with a woman mentor", "%", 0),
    **{f"coverage_{f}": (f"coverage of {f} need", "%", +1) for f in FUNCTIONS},
    # run level (compare.RUN_LEVEL)
    "load_median": ("mentees per mentor (median)", "mentees", 0),
    "load_p25": ("mentees per mentor (25th percentile)", "mentees", 0),
    "load_p75": ("mentees per mentor (75th percentile)", "mentees", 0),
    "mean_load_assistant": ("mentees per assistant professor", "mentees", 0),
    "mean_load_associate": ("mentees per associate professor", "mentees", 0),
    "mean_load_full": ("mentees per full professor", "mentees", 0),
    "share_seniors_overloaded": ("seniors past the comfortable load", "%", -1),
    "share_seniors_strong_all": ("seniors strong in all five functions", "%", +1),
    "share_women_with_woman_mentor": ("women proteges with a woman mentor", "%", 0),
    "share_women_assistant_end": ("women's share of assistant professors, end", "%", 0),
    "share_women_associate_end": ("women's share of associate professors, end", "%", 0),
    "share_women_full_end": ("women's share of full professors, end", "%", 0),
}


def label(outcome: str) -> str:
    """The outcome's name for people ('retention at 10 years'); unknown names are returned as they are."""
    return OUTCOME_META.get(outcome, (outcome, "", 0))[0]


def unit(outcome: str) -> str:
    """The unit its level is shown in: '%' for shares, else e.g. 'publications per faculty-year'."""
    return OUTCOME_META.get(outcome, ("", "", 0))[1]


def direction(outcome: str) -> int:
    """+1 if higher is better for faculty, -1 if lower is better, 0 if neither."""
    return OUTCOME_META.get(outcome, ("", "", 0))[2]


def is_share(outcome: str) -> bool:
    return unit(outcome) == "%"


def scale(outcome: str) -> float:
    """Factor from the stored value to the shown one (shares are shown as percentages)."""
    return 100.0 if is_share(outcome) else 1.0


def difference_unit(outcome: str) -> str:
    """Unit of a difference: percentage points for shares, else the outcome's own unit."""
    return "percentage points" if is_share(outcome) else unit(outcome)


def digits(outcome: str) -> int:
    """Decimals shown: one for percentages and years, two for rates and counts per person."""
    return 1 if is_share(outcome) or unit(outcome) == "years" else 2


# Years of follow-up after hire an outcome needs; shorter runs cannot give it.
OUTCOME_YEARS: dict[str, int] = {
    "retention_5y": 5, "retention_10y": 10, "pubs_5y": 5, "pubs_10y": 10, "grant_5y": 5, "grant_10y": 10,
    "award_grant_5y": 5, "award_grant_10y": 10, "award_retention_8y": 8, "award_pubs_10y": 10,
    "promoted_10y": 10, "promoted_14y": 14,
}


def years_text(years: float) -> str:
    """'1 year', '7 years', '2.5 years'."""
    return f"{years:g} year" + ("" if years == 1 else "s")


def why_missing(outcome: str, horizon_years: float, group: str = "all") -> str:
    """Why an outcome has no value in any run: the reason shown to the reader."""
    gender = {"women": "woman", "men": "man"}.get(group)
    who = f"{gender} among the hires" if gender else "hire"
    years = OUTCOME_YEARS.get(outcome)
    lasting = f"the runs last {years_text(horizon_years)}"
    if years is not None and years > horizon_years:
        return f"{lasting}, fewer than the {years} years after hire it needs"
    if years is not None and outcome.startswith("award_"):
        holder = f"{gender} career-award holder" if gender else "career-award holder"
        return f"no {holder} was observed {years} years after hire: each left academia or the run ended before ({lasting})"
    if years is not None:
        return f"no {who} was observed {years} years after hire: each left academia or the run ended before ({lasting})"
    if outcome == "years_to_associate":
        return f"no {who} was promoted to associate professor during the runs ({lasting})"
    if outcome == "years_to_full":
        return f"no {who} was promoted to full professor during the runs ({lasting})"
    if outcome == "pubs_per_faculty_year":
        return f"no {who} spent any time in academia during the runs"
    if outcome in ("mean_mentors", "share_months_no_mentor", "share_months_hole", "mean_unmet",
                   "share_months_woman_mentor") or outcome.startswith("coverage_"):
        return f"no {who} spent a month as a protege"
    return "no run gave a value"


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of the finite values and its t-interval (NaN bounds with fewer than two values)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return mean, mean - half, mean + half


def km_survival(durations: np.ndarray, events: np.ndarray, times) -> np.ndarray:
    """Kaplan-Meier survival at `times`: the product-limit estimate, computed as lifelines'
    KaplanMeierFitter computes it (exp of the summed log(1 - deaths / at risk); those censored
    at a time still count as at risk then), without its per-fit overhead (a comparison fits
    hundreds; tests/test_outcomes.py checks the two agree)."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    order = np.argsort(durations, kind="stable")
    d, e = durations[order], events[order]
    times_at, first = np.unique(d, return_index=True)
    at_risk = (len(d) - first).astype(float)
    deaths = np.add.reduceat(e.astype(float), first) if len(d) else np.zeros(0)
    with np.errstate(divide="ignore"):
        survival = np.exp(np.cumsum(np.log(at_risk - deaths) - np.log(at_risk)))
    pos = np.searchsorted(times_at, np.asarray(times, dtype=float), side="right") - 1
    return np.where(pos >= 0, survival[np.maximum(pos, 0)] if len(survival) else 1.0, 1.0)


def _km_at(durations: np.ndarray, events: np.ndarray, years: float, horizon_years: float) -> float:
    if len(durations) == 0 or years > horizon_years or durations.max() < years:
        return np.nan
    return float(km_survival(durations, events, [years])[0])


def cohort(people: pd.DataFrame) -> pd.DataFrame:
    """Hires made during the run, with duration (years) and event columns for survival."""
    c = people[~people["initial"]].copy()
    c["years"] = (c["end_month"] - c["hire_month"]) / 12.0
    c["left"] = ~c["censored"]
    return c


def share_within(c: pd.DataFrame, col: str, years: float, n_months: int) -> float:
    """Share of hires followed for `years` whose event `col` came within `years` of hire."""
    return _share_within(c["hire_month"].to_numpy(dtype=float), c[col].to_numpy(dtype=float, na_value=np.nan),
                         years, n_months)


def _share_within(hire: np.ndarray, event: np.ndarray, years: float, n_months: int) -> float:
    """`share_within` over arrays (months; NaN where the event never came)."""
    eligible = hire <= n_months - 12 * years
    if not eligible.any():
        return np.nan
    return float(((event[eligible] - hire[eligible]) < 12 * years).mean())  # NaN < x is False


def _mean(x: np.ndarray) -> float:
    """Mean of the finite values (NaN if none), as pandas' mean skips missing values."""
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else np.nan


def _weighted_arrays(w: np.ndarray, x: np.ndarray) -> float:
    ok = (w > 0) & np.isfinite(x)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else np.nan


def group_outcomes(c: pd.DataFrame | dict[str, np.ndarray], n_months: int) -> dict[str, float]:
    """Every outcome for one group of the cohort (a cohort table, or its columns as float
    arrays with NaN for missing values, as `outcomes` passes them)."""
    if isinstance(c, pd.DataFrame):
        c = _float_columns(c)
    horizon = n_months / 12.0
    hire, dur, ev = c["hire_month"], c["years"], c["left"] > 0
    award = c["career_award"] > 0
    years_total = dur.sum()
    assoc, full = c["month_associate"], c["month_full"]
    to_assoc = (assoc - hire)[np.isfinite(assoc)] / 12.0
    to_full = (full - hire)[np.isfinite(full)] / 12.0
    grant = c["month_first_grant"]
    out = {
        "n_hires": float(len(hire)),
        "retention_5y": _km_at(dur, ev, 5, horizon),
        "retention_10y": _km_at(dur, ev, 10, horizon),
        "pubs_per_faculty_year": float(c["pubs"].sum() / years_total) if years_total > 0 else np.nan,
        "pubs_5y": _mean(c["pubs_y5"]),
        "pubs_10y": _mean(c["pubs_y10"]),
        "grant_5y": _share_within(hire, grant, 5, n_months),
        "grant_10y": _share_within(hire, grant, 10, n_months),
        "award_grant_5y": _share_within(hire[award], grant[award], 5, n_months),
        "award_grant_10y": _share_within(hire[award], grant[award], 10, n_months),
        "award_retention_8y": _km_at(dur[award], ev[award], 8, horizon),
        "award_pubs_10y": _mean(c["pubs_y10"][award]),
        "promoted_10y": _share_within(hire, assoc, 10, n_months),
        "promoted_14y": _share_within(hire, assoc, 14, n_months),
        "years_to_associate": float(np.median(to_assoc)) if len(to_assoc) else np.nan,
        "years_to_full": float(np.median(to_full)) if len(to_full) else np.nan,
    }
    w = c["months_as_protege"]
    for col in ("mean_mentors", "share_months_no_mentor", "share_months_hole", "mean_unmet",
                "share_months_woman_mentor"):
        out[col] = _weighted_arrays(w, c[col])
    for f in FUNCTIONS:
        out[f"coverage_{f}"] = _weighted_arrays(w, c[f"mean_coverage_{f}"])
    return out


def _float_columns(c: pd.DataFrame) -> dict[str, np.ndarray]:
    """A cohort's numeric columns as float arrays, NaN for missing values (the outcomes are
    computed over these: pandas' boolean indexing per outcome costs far more)."""
    return {k: c[k].to_numpy(dtype=float, na_value=np.nan) for k in c.columns if k != "gender"}


# the people-table columns the outcomes read (the table has some 65)
PEOPLE_COLUMNS = (
    "initial", "gender", "hire_month", "end_month", "censored", "career_award", "pubs", "pubs_y5", "pubs_y10",
    "month_first_grant", "month_associate", "month_full", "months_as_protege", "mean_mentors",
    "share_months_no_mentor", "share_months_hole", "mean_unmet", "share_months_woman_mentor",
    *(f"mean_coverage_{f}" for f in FUNCTIONS),
)


def outcomes(people: pd.DataFrame, n_months: int, groups: tuple[str, ...] = GROUPS) -> pd.DataFrame:
    """One row per group (all, women, men) with every outcome."""
    c = cohort(people[[col for col in PEOPLE_COLUMNS if col in people.columns]])
    columns = _float_columns(c)
    gender = c["gender"].astype(str).to_numpy()
    rows = []
    for g in groups:
        sub = columns if g == "all" else {k: v[gender == g] for k, v in columns.items()}
        rows.append({"group": g, **group_outcomes(sub, n_months)})
    return pd.DataFrame(rows)


def composition(series: pd.DataFrame) -> pd.DataFrame:
    """Women's share of each rank, month by month."""
    out = pd.DataFrame({"month": series["month"], "year": series["year"]})
    for r in RANKS:
        w = series[f"n_{r}_women"]
        total = w + series[f"n_{r}_men"]
        out[f"share_women_{r}"] = np.where(total > 0, w / total.where(total > 0, 1), np.nan)
    return out


SUMMARY_COLUMNS = {
    "retention_5y": "retained 5y",
    "retention_10y": "retained 10y",
    "pubs_per_faculty_year": "pubs/yr",
    "grant_5y": "grant by 5y",
    "grant_10y": "grant by 10y",
    "promoted_10y": "promoted by 10y",
}


def summary_table(people: pd.DataFrame, n_months: int) -> pd.DataFrame:
    """The short summary `careersim run` prints: a few outcomes for all, women and men."""
    table = outcomes(people, n_months).set_index("group")[list(SUMMARY_COLUMNS)]
    return table.rename(columns=SUMMARY_COLUMNS)


def format_summary(table: pd.DataFrame) -> str:
    fmt = table.copy().astype(object)
    for col in fmt.columns:
        if col == "pubs/yr":
            fmt[col] = [f"{v:.2f}" if pd.notna(v) else "n/a" for v in table[col]]
        else:
            fmt[col] = [f"{100 * v:.1f}%" if pd.notna(v) else "n/a" for v in table[col]]
    return fmt.to_string()
