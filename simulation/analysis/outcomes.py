"""Outcomes of a run (docs/ODD.md, section 7.14), computed from its tables alone, and the outcome
registry: every outcome careersim reports, one entry each (`REGISTRY`).

An entry gives the outcome's name, its label for people, its unit and how it is shown (a share
is stored as 0-1, shown as a percentage, and its differences in percentage points), which
direction is better for faculty, the level it is computed at (person: per group of hires;
run: from the monthly series, group "all" only), its definition with its time window (a named
constant below), and how it is computed. Comparisons, sweeps, calibration, patterns, figures
and reports read labels, units, directions and windows from here; adding an outcome is adding
one entry (`register`).

The cohort is everyone hired during the run (the initial population entered with a past
we did not simulate). Survival is Kaplan-Meier (lifelines), censored at the end of the
run; shares "by t years" count only hires who could have been followed for t years, and
count those who left before t as not having the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.config.params import FUNCTIONS, RANKS

GROUPS = ("all", "women", "men")

# --- time windows (months of the run's monthly series) --------------------------------------------

MONTHS_PER_YEAR = 12
LAST_DECADE_MONTHS = 120  # run-level outcomes: the mean over the run's last 10 years
LAST_TWO_DECADES_MONTHS = 240  # calibration's mentoring loads, the patterns' late levels: the last 20 years
LAST_DECADE = slice(-LAST_DECADE_MONTHS, None)
LAST_TWO_DECADES = slice(-LAST_TWO_DECADES_MONTHS, None)
YEARS_2_TO_5 = slice(12, 60)  # the patterns' early window: months 12-59, after the first year's start-up
YEARS_2_TO_10 = slice(12, 120)  # the patterns' first decade: months 12-119, after the first year's start-up


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


def band_error(x: float, value: float, low: float, high: float) -> float:
    """x minus the published value, in units of the tolerance band on that side (1 = at the edge)."""
    side = (high - value) if x >= value else (value - low)
    return (x - value) / max(side, 1e-12)


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


def km_at(durations: np.ndarray, events: np.ndarray, years: float, horizon_years: float) -> float:
    """The Kaplan-Meier survival at `years` (`km_survival`); NaN beyond the horizon or past the longest duration.

    Parameters
    ----------
    durations : numpy.ndarray
        Years from hire to leaving or to the end of the run.
    events : numpy.ndarray of bool
        Whether each person left (False: censored).
    years : float
        When to read the survival.
    horizon_years : float
        The run's length in years.

    Returns
    -------
    float
        The share still in academia at `years`, or NaN.
    """
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


# --- the outcome registry -------------------------------------------------------------------------

SHARE = "%"  # the unit of a share: stored as 0-1, shown as a percentage, differences in percentage points
PERSON, RUN = "person", "run"  # levels: per group of hires (all, women, men), or per run (group "all" only)

# how an outcome's cohort columns are passed to `compute` at the person level: float arrays, NaN for missing
Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class Outcome:
    """One outcome. `compute` takes, at the person level, a group's cohort columns (float arrays,
    NaN for missing values) and the run's length in months; at the run level, the run's monthly
    series, and returns None where the series lacks what it needs (the outcome is then left out)."""

    name: str
    definition: str  # what it is, with its time window; saved with every comparison
    label: str  # its name for people
    unit: str  # the unit its level is shown in; SHARE for shares
    direction: int  # +1 higher is better for faculty, -1 lower is better, 0 neither
    level: str  # PERSON or RUN
    compute: Callable
    digits: int = 2  # decimals shown (of the percentage, for a share)
    key: bool = False  # among the key outcomes: the printed table, the report's tables, the differences figure
    years_after_hire: int | None = None  # follow-up after hire it needs; shorter runs cannot give it
    columns: tuple[str, ...] = ()  # the people-table columns it reads (person level)
    among: str = "hire"  # whom it describes, for the reason it is missing: "hire" or "career-award holder"
    absent: str = ""  # why no run gave a value, when not for lack of follow-up ({who}, {lasting} filled in)


def _ev(c: Columns) -> np.ndarray:
    return c["left"] > 0


def _award(c: Columns) -> np.ndarray:
    return c["career_award"] > 0


def _retained(years: int, award_only: bool = False) -> Callable[[Columns, int], float]:
    """Kaplan-Meier share still in academia `years` after hire (of career-award holders only)."""
    def f(c: Columns, n_months: int) -> float:
        dur, ev = c["years"], _ev(c)
        if award_only:
            dur, ev = dur[_award(c)], ev[_award(c)]
        return km_at(dur, ev, years, n_months / 12.0)
    return f


def _within(col: str, years: int, award_only: bool = False) -> Callable[[Columns, int], float]:
    """Share of hires followed for `years` whose event `col` came within `years` of hire."""
    def f(c: Columns, n_months: int) -> float:
        hire, event = c["hire_month"], c[col]
        if award_only:
            hire, event = hire[_award(c)], event[_award(c)]
        return _share_within(hire, event, years, n_months)
    return f


def _pubs_at(years: int, award_only: bool = False) -> Callable[[Columns, int], float]:
    """Mean cumulative publications `years` after hire, among those still in academia then."""
    def f(c: Columns, n_months: int) -> float:
        x = c[f"pubs_y{years}"]
        return _mean(x[_award(c)] if award_only else x)
    return f


def _pubs_rate(c: Columns, n_months: int) -> float:
    years_total = c["years"].sum()
    return float(c["pubs"].sum() / years_total) if years_total > 0 else np.nan


def _median_years_to(col: str) -> Callable[[Columns, int], float]:
    """Median years from hire to the month in `col`, among those who reached it."""
    def f(c: Columns, n_months: int) -> float:
        month = c[col]
        to = (month - c["hire_month"])[np.isfinite(month)] / 12.0
        return float(np.median(to)) if len(to) else np.nan
    return f


def _per_protege_month(col: str) -> Callable[[Columns, int], float]:
    """Mean of a per-person column over protege-months (weighted by months as a protege)."""
    return lambda c, n_months: _weighted_arrays(c["months_as_protege"], c[col])


def _last_decade_mean(col: str) -> Callable[[pd.DataFrame], float | None]:
    """Mean of a monthly-series column over the run's last LAST_DECADE_MONTHS months."""
    return lambda series: float(series[col].iloc[LAST_DECADE].mean()) if col in series.columns else None


def _women_share_at_end(rank: str) -> Callable[[pd.DataFrame], float | None]:
    """Women's share of a rank in the run's last month."""
    return lambda series: float(composition(series)[f"share_women_{rank}"].iloc[-1])


def _per_100_faculty_year(numerator: Callable[[pd.DataFrame], np.ndarray]) -> Callable[[pd.DataFrame], float | None]:
    """A monthly count per 100 active faculty per year, over the last decade: 1200 sum / sum(n_active)."""
    def f(series: pd.DataFrame) -> float | None:
        s = series.iloc[LAST_DECADE]
        x = numerator(s)
        if x is None or "n_active" not in s.columns:
            return None
        active = float(s["n_active"].sum())
        return 1200.0 * float(np.nansum(x)) / active if active > 0 else np.nan
    return f


def mentor_hours(series: pd.DataFrame) -> np.ndarray | None:
    """Mentor hours a month given to faculty proteges, month by month: the mentor ties times the
    model's hours per primary-weight protege among mentors (`mean_hours_per_protege`: a mentor's
    monthly capacity, `mentors.capacity_hours` by rank plus `mentoring.protected_time`, less an
    administrative role's share, times its quality, split over its mentees by tie weight). Each
    tie counts at the primary weight: secondary and external ties take less (weights
    `committee.weight_secondary`, `.weight_external`), so this overstates the hours of models
    with many light ties (docs/ODD.md, costs)."""
    if not {"n_mentor_ties", "mean_hours_per_protege"} <= set(series.columns):
        return None
    return (series["n_mentor_ties"] * series["mean_hours_per_protege"].fillna(0.0)).to_numpy(float)


def _hours_per(denominator: Callable[[pd.DataFrame], np.ndarray]) -> Callable[[pd.DataFrame], float | None]:
    """Mentor hours a month per unit of `denominator` (summed over the last decade)."""
    def f(series: pd.DataFrame) -> float | None:
        s = series.iloc[LAST_DECADE]
        h = mentor_hours(s)
        den = denominator(s) if h is not None and "n_proteges" in s.columns else None
        if h is None or den is None:
            return None
        d = float(np.nansum(den))
        return float(np.nansum(h)) / d if d > 0 else np.nan
    return f


def _seniors(s: pd.DataFrame) -> np.ndarray | None:
    cols = [f"n_{r}_{g}" for r in ("associate", "full") for g in ("women", "men")]
    return sum(s[c].to_numpy(float) for c in cols) if set(cols) <= set(s.columns) else None


def _proteges_per_100(series: pd.DataFrame) -> float | None:
    """Proteges per 100 active faculty over the last decade (None without the columns)."""
    if not {"n_proteges", "n_active"} <= set(series.columns):
        return None
    s = series.iloc[LAST_DECADE]
    active = float(s["n_active"].sum())
    return 100.0 * float(s["n_proteges"].sum()) / active if active > 0 else np.nan


_NOT_PROMOTED = "no {who} was promoted to {rank} professor during the runs ({lasting})"
_NO_PROTEGE = "no {who} spent a month as a protege"
_LAST_DECADE = f"last {LAST_DECADE_MONTHS // MONTHS_PER_YEAR} years"


def _person(name, definition, label_, unit_, direction_, compute, columns, digits_=2, **kw) -> Outcome:
    return Outcome(name, definition, label_, unit_, direction_, PERSON, compute, digits_, columns=columns, **kw)


def _share(name, definition, label_, direction_, compute, columns, **kw) -> Outcome:
    return _person(name, definition, label_, SHARE, direction_, compute, columns, 1, **kw)


def _run(name, definition, label_, unit_, direction_, compute, digits_=2) -> Outcome:
    return Outcome(name, definition, label_, unit_, direction_, RUN, compute, digits_)


_OUTCOMES: list[Outcome] = [
    _person("n_hires", "faculty hired during the run", "faculty hired", "people", 0,
            lambda c, n: float(len(c["hire_month"])), ()),
    _share("retention_5y", "share still in academia 5 years after hire (Kaplan-Meier)", "retention at 5 years",
           +1, _retained(5), (), key=True, years_after_hire=5),
    _share("retention_10y", "share still in academia 10 years after hire (Kaplan-Meier)", "retention at 10 years",
           +1, _retained(10), (), key=True, years_after_hire=10),
    _person("pubs_per_faculty_year", "publications per faculty-year from hire", "publications per faculty-year",
            "publications per faculty-year", +1, _pubs_rate, ("pubs",), key=True,
            absent="no {who} spent any time in academia during the runs"),
    _person("pubs_5y", "mean cumulative publications at 5 years, among those still in academia",
            "publications by year 5 (still in academia)", "publications", +1, _pubs_at(5), ("pubs_y5",),
            years_after_hire=5),
    _person("pubs_10y", "mean cumulative publications at 10 years, among those still in academia",
            "publications by year 10 (still in academia)", "publications", +1, _pubs_at(10), ("pubs_y10",),
            years_after_hire=10),
    _share("grant_5y", "share with an independent grant within 5 years of hire", "independent grant by 5 years",
           +1, _within("month_first_grant", 5), ("month_first_grant",), key=True, years_after_hire=5),
    _share("grant_10y", "share with an independent grant within 10 years of hire", "independent grant by 10 years",
           +1, _within("month_first_grant", 10), ("month_first_grant",), key=True, years_after_hire=10),
    _share("award_grant_5y", "career-award holders with an independent grant within 5 years",
           "career-award holders with a grant by 5 years", +1, _within("month_first_grant", 5, award_only=True),
           ("career_award", "month_first_grant"), years_after_hire=5, among="career-award holder"),
    _share("award_grant_10y", "career-award holders with an independent grant within 10 years",
           "career-award holders with a grant by 10 years", +1, _within("month_first_grant", 10, award_only=True),
           ("career_award", "month_first_grant"), years_after_hire=10, among="career-award holder"),
    _share("award_retention_8y", "career-award holders still in academia 8 years after hire (Kaplan-Meier)",
           "career-award holders' retention at 8 years", +1, _retained(8, award_only=True), ("career_award",),
           years_after_hire=8, among="career-award holder"),
    _person("award_pubs_10y", "career-award holders' mean cumulative publications at 10 years",
            "career-award holders' publications by year 10", "publications", +1, _pubs_at(10, award_only=True),
            ("career_award", "pubs_y10"), years_after_hire=10, among="career-award holder"),
    _share("promoted_10y", "share promoted to associate within 10 years of hire", "promoted to associate by 10 years",
           +1, _within("month_associate", 10), ("month_associate",), key=True, years_after_hire=10),
    _share("promoted_14y", "share promoted to associate within 14 years of hire", "promoted to associate by 14 years",
           +1, _within("month_associate", 14), ("month_associate",), years_after_hire=14),
    _person("years_to_associate", "median years to associate professor, among the promoted",
            "years to associate professor (median)", "years", -1, _median_years_to("month_associate"),
            ("month_associate",), 1, absent=_NOT_PROMOTED.replace("{rank}", "associate")),
    _person("years_to_full", "median years to full professor, among the promoted",
            "years to full professor (median)", "years", -1, _median_years_to("month_full"),
            ("month_full",), 1, absent=_NOT_PROMOTED.replace("{rank}", "full")),
    _person("mean_mentors", "mentors (not peers) per protege-month", "mentors per protege", "mentors", 0,
            _per_protege_month("mean_mentors"), ("months_as_protege", "mean_mentors"), absent=_NO_PROTEGE),
    _share("share_months_no_mentor", "share of protege-months without a mentor", "months without a mentor", -1,
           _per_protege_month("share_months_no_mentor"), ("months_as_protege", "share_months_no_mentor"),
           absent=_NO_PROTEGE),
    _share("share_months_hole", "share of protege-months with a badly uncovered function",
           "months with an uncovered mentoring function", -1, _per_protege_month("share_months_hole"),
           ("months_as_protege", "share_months_hole"), key=True, absent=_NO_PROTEGE),
    _share("mean_unmet", "unmet need per protege-month (share of a new hire's need)",
           "unmet mentoring need (share of a new hire's need)", -1, _per_protege_month("mean_unmet"),
           ("months_as_protege", "mean_unmet"), key=True, absent=_NO_PROTEGE),
    _share("share_months_woman_mentor", "share of protege-months with at least one woman mentor",
           "months with a woman mentor", 0, _per_protege_month("share_months_woman_mentor"),
           ("months_as_protege", "share_months_woman_mentor"), absent=_NO_PROTEGE),
    *(_share(f"coverage_{f}", f"mean coverage of {f} need per protege-month", f"coverage of {f} need", +1,
             _per_protege_month(f"mean_coverage_{f}"), ("months_as_protege", f"mean_coverage_{f}"),
             absent=_NO_PROTEGE) for f in FUNCTIONS),
    _run("load_median", f"median mentees (all kinds) among faculty with any, {_LAST_DECADE}",
         "mentees per mentor (median)", "mentees", 0, _last_decade_mean("load_median")),
    _run("load_p25", f"25th percentile of mentees, {_LAST_DECADE}", "mentees per mentor (25th percentile)",
         "mentees", 0, _last_decade_mean("load_p25")),
    _run("load_p75", f"75th percentile of mentees, {_LAST_DECADE}", "mentees per mentor (75th percentile)",
         "mentees", 0, _last_decade_mean("load_p75")),
    *(_run(f"mean_load_{r}", f"mean mentees of {r} professors, {_LAST_DECADE}", f"mentees per {r} professor",
           "mentees", 0, _last_decade_mean(f"mean_load_{r}")) for r in RANKS),
    _run("share_seniors_overloaded", f"seniors past the comfortable load, {_LAST_DECADE}",
         "seniors past the comfortable load", SHARE, -1, _last_decade_mean("share_seniors_overloaded"), 1),
    _run("departures_per_100", f"faculty leaving academia (not retiring) per 100 faculty per year, {_LAST_DECADE}",
         "departures per 100 faculty a year", "departures", -1,
         _per_100_faculty_year(lambda s: s["n_left"].to_numpy(float) if "n_left" in s.columns else None), 2),
    _run("mentor_hours_per_protege", f"mentor hours a month per protege (approximate: every tie at the primary "
         f"weight), {_LAST_DECADE}", "mentor hours a month per protege", "hours", 0,
         _hours_per(lambda s: s["n_proteges"].to_numpy(float) if "n_proteges" in s.columns else None), 2),
    _run("mentor_hours_per_senior", f"mentor hours a month per associate or full professor (approximate), "
         f"{_LAST_DECADE}", "mentor hours a month per senior faculty member", "hours", 0, _hours_per(_seniors), 2),
    _run("mentor_hours_per_100", f"mentor hours a year per 100 faculty (approximate), {_LAST_DECADE}",
         "mentor hours a year per 100 faculty", "hours", 0, _per_100_faculty_year(mentor_hours), 0),
    _run("proteges_per_100", f"proteges per 100 faculty, {_LAST_DECADE}", "proteges per 100 faculty", "proteges", 0,
         _proteges_per_100, 1),
    # priced at analysis time from each scenario's [costs] (`analysis.costs.add_costs`), not from a run's series
    _run("mentor_time_cost_per_100", "value of the mentor hours, US$ per 100 faculty a year",
         "mentor time, US$ per 100 faculty a year", "US$", -1, lambda series: None, 0),
    _run("programme_cost_per_100", "programme cost, US$ per 100 faculty a year",
         "programme cost, US$ per 100 faculty a year", "US$", -1, lambda series: None, 0),
    _run("departure_cost_per_100", "cost of departures, US$ per 100 faculty a year",
         "cost of departures, US$ per 100 faculty a year", "US$", -1, lambda series: None, 0),
    _run("net_cost_per_100", "mentor time, programme and departures, US$ per 100 faculty a year",
         "net cost, US$ per 100 faculty a year", "US$", -1, lambda series: None, 0),
    _run("share_seniors_strong_all", f"seniors strong in all five functions, {_LAST_DECADE}",
         "seniors strong in all five functions", SHARE, +1, _last_decade_mean("share_seniors_strong_all"), 1),
    _run("share_women_with_woman_mentor", f"women proteges with a woman mentor, {_LAST_DECADE}",
         "women proteges with a woman mentor", SHARE, 0, _last_decade_mean("share_women_with_woman_mentor"), 1),
    *(_run(f"share_women_{r}_end", f"women's share of {r} professors at the end",
           f"women's share of {r} professors, end", SHARE, 0, _women_share_at_end(r), 1) for r in RANKS),
]

REGISTRY: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}


def register(outcome: Outcome) -> Outcome:
    """Add an outcome to the registry: comparisons, sweeps and reports then compute and show it."""
    if outcome.name in REGISTRY:
        raise ValueError(f"outcome {outcome.name!r} is already registered")
    if outcome.level not in (PERSON, RUN):
        raise ValueError(f"outcome {outcome.name!r}: level must be {PERSON!r} or {RUN!r}, not {outcome.level!r}")
    REGISTRY[outcome.name] = outcome
    return outcome


def outcome_names(level: str | None = None) -> list[str]:
    """Registered outcomes in order (those of one level, if given): person level first."""
    return [o.name for o in REGISTRY.values() if level is None or o.level == level]


def key_outcomes() -> tuple[str, ...]:
    """The key outcomes, in the registry's order: what the printed table and the report show."""
    return tuple(o.name for o in REGISTRY.values() if o.key)


# The five headline outcomes of a comparison (retention, productivity, funding, advancement, and
# the mentoring gap the models are meant to close); a shorter run falls back to the 5-year version.
HEADLINE = ("retention_10y", "pubs_per_faculty_year", "grant_10y", "promoted_10y", "share_months_hole")
FALLBACK = {"retention_10y": "retention_5y", "grant_10y": "grant_5y"}


def headline(available, among: tuple[str, ...] = HEADLINE) -> list[str]:
    """The outcomes of `among` (default: the headline ones) found in `available`, an outcome's
    5-year version where the 10-year one is missing."""
    available = set(available)
    out = []
    for o in among:
        if o in available:
            out.append(o)
        elif FALLBACK.get(o) in available:
            out.append(FALLBACK[o])
    return out


def definitions() -> dict[str, str]:
    """Every outcome's definition, person level first (what a comparison saves)."""
    return {o.name: o.definition for o in REGISTRY.values()}


def label(outcome: str) -> str:
    """The outcome's name for people ('retention at 10 years'); unknown names are returned as they are."""
    o = REGISTRY.get(outcome)
    return o.label if o else outcome


def unit(outcome: str) -> str:
    """The unit its level is shown in: '%' for shares, else e.g. 'publications per faculty-year'."""
    o = REGISTRY.get(outcome)
    return o.unit if o else ""


def direction(outcome: str) -> int:
    """+1 if higher is better for faculty, -1 if lower is better, 0 if neither."""
    o = REGISTRY.get(outcome)
    return o.direction if o else 0


def is_share(outcome: str) -> bool:
    return unit(outcome) == SHARE


def scale(outcome: str) -> float:
    """Factor from the stored value to the shown one (shares are shown as percentages)."""
    return 100.0 if is_share(outcome) else 1.0


def difference_unit(outcome: str) -> str:
    """Unit of a difference: percentage points for shares, else the outcome's own unit."""
    return "percentage points" if is_share(outcome) else unit(outcome)


def short_difference_unit(outcome: str) -> str:
    """Unit of a difference written after a number: ' pp' for shares, '' otherwise."""
    return " pp" if is_share(outcome) else ""


def digits(outcome: str) -> int:
    """Decimals shown: one for percentages and years, two for rates and counts per person."""
    o = REGISTRY.get(outcome)
    return o.digits if o else 2


def format_level(outcome: str, x: float) -> str:
    """A level in the outcome's unit: '60.2%', '2.48'; 'n/a' for a missing value."""
    if not np.isfinite(x):
        return "n/a"
    return f"{scale(outcome) * x:.{digits(outcome)}f}{'%' if is_share(outcome) else ''}"


def format_change(outcome: str, d: float, lo: float = np.nan, hi: float = np.nan, unit: bool = True) -> str:
    """A difference in the outcome's unit with its interval when it has one: '+4.9 pp [+2.2, +7.7]'."""
    f, k = scale(outcome), digits(outcome)
    text = f"{f * d:+.{k}f}{short_difference_unit(outcome) if unit else ''}"
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" [{f * lo:+.{k}f}, {f * hi:+.{k}f}]"
    return text


def difference_units(outcomes: list[str] | tuple[str, ...]) -> list[str]:
    """The distinct units the differences of these outcomes are in, in their order."""
    return list(dict.fromkeys(difference_unit(o) for o in outcomes))


def difference_units_text(outcomes: list[str] | tuple[str, ...], pp: bool = False) -> str:
    """The units of these outcomes' differences, for a caption: 'percentage points for shares,
    publications per faculty-year' (`pp`: 'percentage points (pp)')."""
    parts = []
    for u in difference_units(outcomes):
        if u == "percentage points":
            parts.append("percentage points (pp) for shares" if pp else "percentage points for shares")
            continue
        labels = [label(o) for o in outcomes if difference_unit(o) == u and label(o) != u]
        parts.append(f"{u} for {', '.join(labels)}" if labels else u)
    return ", ".join(parts)


def years_text(years: float) -> str:
    """'1 year', '7 years', '2.5 years'."""
    return f"{years:g} year" + ("" if years == 1 else "s")


def why_missing(outcome: str, horizon_years: float, group: str = "all") -> str:
    """Why an outcome has no value in any run: the reason shown to the reader."""
    o = REGISTRY.get(outcome)
    if o is None:
        return "no run gave a value"
    gender = {"women": "woman", "men": "man"}.get(group)
    if o.among == "hire":
        who = f"{gender} among the hires" if gender else "hire"
    else:
        who = f"{gender} {o.among}" if gender else o.among
    years = o.years_after_hire
    lasting = f"the runs last {years_text(horizon_years)}"
    if years is not None and years > horizon_years:
        return f"{lasting}, fewer than the {years} years after hire it needs"
    if years is not None:
        return f"no {who} was observed {years} years after hire: each left academia or the run ended before ({lasting})"
    if o.absent:
        return o.absent.format(who=who, lasting=lasting)
    return "no run gave a value"


def group_outcomes(c: pd.DataFrame | dict[str, np.ndarray], n_months: int) -> dict[str, float]:
    """Every person-level outcome of the registry for one group of the cohort (a cohort table, or
    its columns as float arrays with NaN for missing values, as `outcomes` passes them)."""
    if isinstance(c, pd.DataFrame):
        c = float_columns(c)
    return {o.name: o.compute(c, n_months) for o in REGISTRY.values() if o.level == PERSON}


def float_columns(c: pd.DataFrame) -> dict[str, np.ndarray]:
    """A cohort's numeric columns as float arrays, NaN for missing values (the outcomes are
    computed over these: pandas' boolean indexing per outcome costs far more).

    Parameters
    ----------
    c : pandas.DataFrame
        People-table rows (a cohort), with the columns the outcomes read.

    Returns
    -------
    dict of str to numpy.ndarray
        Each column but `gender`, as floats.
    """
    return {k: c[k].to_numpy(dtype=float, na_value=np.nan) for k in c.columns if k != "gender"}


# the people-table columns every cohort needs (`cohort`, and the split by gender)
COHORT_COLUMNS = ("initial", "gender", "hire_month", "end_month", "censored")


def people_columns() -> tuple[str, ...]:
    """The people-table columns the registered outcomes read (the table has some 65)."""
    cols = dict.fromkeys(COHORT_COLUMNS)
    for o in REGISTRY.values():
        cols.update(dict.fromkeys(o.columns))
    return tuple(cols)


def outcomes(people: pd.DataFrame, n_months: int, groups: tuple[str, ...] = GROUPS) -> pd.DataFrame:
    """One row per group (all, women, men) with every person-level outcome."""
    c = cohort(people[[col for col in people_columns() if col in people.columns]])
    columns = float_columns(c)
    gender = c["gender"].astype(str).to_numpy()
    rows = []
    for g in groups:
        sub = columns if g == "all" else {k: v[gender == g] for k, v in columns.items()}
        rows.append({"group": g, **group_outcomes(sub, n_months)})
    return pd.DataFrame(rows)


def run_level(series: pd.DataFrame) -> dict[str, float]:
    """Every run-level outcome of the registry that the monthly series can give."""
    out = {}
    for o in REGISTRY.values():
        if o.level == RUN:
            value = o.compute(series)
            if value is not None:
                out[o.name] = value
    return out


def table_outcomes(people: pd.DataFrame, series: pd.DataFrame, n_months: int) -> pd.DataFrame:
    """One row per group for one run's tables: every person-level outcome, then the run-level
    ones (group "all" only). Comparisons read the tables from disk, sweeps pass them in memory."""
    o = outcomes(people, n_months)
    everyone = (o["group"] == "all").to_numpy()
    run = pd.DataFrame({k: np.where(everyone, v, np.nan) for k, v in run_level(series).items()}, index=o.index)
    return pd.concat([o, run], axis=1)


def composition(series: pd.DataFrame) -> pd.DataFrame:
    """Women's share of each rank, month by month."""
    out = pd.DataFrame({"month": series["month"], "year": series["year"]})
    for r in RANKS:
        w = series[f"n_{r}_women"]
        total = w + series[f"n_{r}_men"]
        out[f"share_women_{r}"] = np.where(total > 0, w / total.where(total > 0, 1), np.nan)
    return out


# the outcomes `careersim run` prints, and their column headers
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
    """The summary as printed: each outcome in its unit (shares as percentages)."""
    outcome_of = {header: o for o, header in SUMMARY_COLUMNS.items()}
    fmt = table.copy().astype(object)
    for col in fmt.columns:
        fmt[col] = [format_level(outcome_of.get(col, col), v) if pd.notna(v) else "n/a" for v in table[col]]
    return fmt.to_string()
