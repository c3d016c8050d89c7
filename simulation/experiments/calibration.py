"""Calibration: the default scenario against published figures, and the fit of free parameters.

The targets and the free parameters are data (`targets.toml`). `check` runs the status quo
over replicates and compares each measured quantity with its target band. A target may be a
contrast: it names another scenario (`contrast`), which is then run on the same seeds (common
random numbers), and its quantity is the paired difference (`sign` x (status quo - contrast)),
e.g. the effect of being mentored at all against `no_mentor`. Contrast scenarios run only when
a contrast target is among those checked or fitted. `fit` estimates
the free parameters block by block: Latin-hypercube screening of the block's box, then
Nelder-Mead from the best point, every evaluation on the same seeds (common random
numbers), so the objective changes only because the parameters do. The result is a
calibration record; the schema's calibrated defaults are read from the installed record
(`calibration.json`), which says how they were obtained.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

# band_error is defined with the outcomes (the calibration figure uses it too)
from simulation.analysis.outcomes import (COHORT_COLUMNS, LAST_TWO_DECADES, MONTHS_PER_YEAR, REGISTRY, band_error,
                                          cohort, composition, float_columns, km_at, mean_ci)
from simulation.config.resources import RECORD_FILE, TARGETS_FILE  # the package's own targets and calibration record


@dataclass(frozen=True)
class Target:
    id: str
    measure: str
    description: str
    population: str
    published: str
    value: float
    low: float
    high: float
    source: str
    tolerance: str
    block: str = ""  # the block of free parameters it serves; "" = "loads" for the load targets, else "careers"
    contrast: str = ""  # a scenario run on the same seeds: the target is sign x (this scenario - contrast)
    sign: int = 1
    obs_sd: float | None = None  # the published figure's own uncertainty (default: from the band, [uncertainty])

    @property
    def fit_block(self) -> str:
        return self.block or ("loads" if self.id in LOAD_TARGETS else "careers")

    @property
    def key(self) -> tuple[str, str, int]:
        """What a run has to give for it: the measure, and the contrast scenario with its sign."""
        return (self.measure, self.contrast, self.sign)

    def error(self, simulated: float) -> float:
        """Distance from the published value in units of the band on that side (1 = at the edge)."""
        return band_error(simulated, self.value, self.low, self.high) if np.isfinite(simulated) else 10.0

    def within(self, simulated: float) -> bool:
        return bool(np.isfinite(simulated) and self.low <= simulated <= self.high)


@dataclass(frozen=True)
class Free:
    name: str
    low: float
    high: float
    block: str


def load_targets(path: str | Path = TARGETS_FILE) -> tuple[list[Target], list[Free]]:
    """Targets and free parameters from a targets file, checked for consistency."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    targets = [Target(**t) for t in data.get("target", [])]
    free = [Free(**f) for f in data.get("free", [])]
    known_scenarios = None
    for t in targets:
        if t.measure not in MEASURES:
            raise ValueError(f"{path}: target {t.id}: unknown measure {t.measure!r}; known: {', '.join(MEASURES)}")
        if t.sign not in (1, -1):
            raise ValueError(f"{path}: target {t.id}: sign must be 1 or -1, not {t.sign!r}")
        if t.contrast:
            if known_scenarios is None:
                from simulation.config.scenario import list_scenarios

                known_scenarios = list_scenarios()
            if t.contrast not in known_scenarios:
                raise ValueError(f"{path}: target {t.id}: unknown contrast scenario {t.contrast!r}; "
                                 f"known: {', '.join(known_scenarios)}")
        if t.obs_sd is not None and not (isinstance(t.obs_sd, (int, float)) and t.obs_sd > 0):
            raise ValueError(f"{path}: target {t.id}: obs_sd must be a positive number, not {t.obs_sd!r}")
        if not t.low <= t.value <= t.high:
            raise ValueError(f"{path}: target {t.id}: value {t.value} is outside its band [{t.low}, {t.high}]")
    for f in free:
        if not f.low < f.high:
            raise ValueError(f"{path}: free parameter {f.name}: low must be below high")
    if len({t.id for t in targets}) != len(targets):
        raise ValueError(f"{path}: target ids must be unique")
    return targets, free


# --- what a run says about each target ---------------------------------------------------
#
# A measure that is an outcome of the registry (simulation.analysis.outcomes.REGISTRY) is computed
# by it, for all hires; the others are defined here, with their windows named below.

FRONT_LOADING_YEARS = (3, 5, 10)  # exit hazard in years 0-3 after hire, relative to years 5-10
WOMEN_FULL_RISE_LAST_YEAR = 10  # women's share of full professors: its slope over the run's first 10 years
WOMEN_FULL_RISE_MIN_MONTHS = 24  # ... fitted only with at least two years of months
WOMEN_ASSISTANT_YEARS = (19, 21)  # women's share of assistant professors: years 19 and 20 of the run
FULL_SHARE_LAST_YEARS = 20  # full professors' share of the faculty: over the run's last 20 years
ATTRITION_RATIO_YEARS = 5  # women's over men's attrition (Kaplan-Meier), 5 years after hire

def _km(c: pd.DataFrame, years: float, n_months: int) -> float:
    return km_at(c["years"].to_numpy(float), c["left"].to_numpy(bool), years, n_months / 12)


def _registered(name: str, gender: str | None = None) -> Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame, int],
                                                                    float]:
    """The registry's person-level outcome `name`, for all hires (or the hires of one gender)."""
    outcome = REGISTRY[name]
    needed = (*COHORT_COLUMNS, "years", "left", *outcome.columns)

    def f(c: pd.DataFrame, p: pd.DataFrame, s: pd.DataFrame, n: int) -> float:
        if gender is not None:
            c = c[c["gender"] == gender]
        return outcome.compute(float_columns(c[[k for k in needed if k in c.columns]]), n)
    return f


def _attrition_ratio(c: pd.DataFrame, n_months: int, years: float = ATTRITION_RATIO_YEARS) -> float:
    """Women's attrition `years` after hire over men's (each 1 - Kaplan-Meier survival), hires during the run."""
    women, men = (1 - _km(c[c["gender"] == g], years, n_months) for g in ("women", "men"))
    return float(women / men) if np.isfinite(women) and np.isfinite(men) and men > 0 else np.nan


def _mean_years_to_associate(c: pd.DataFrame) -> float:
    """Mean years from hire to associate professor, among hires promoted during the run."""
    years = ((c["month_associate"] - c["hire_month"]) / 12.0).dropna().to_numpy(float)
    return float(years.mean()) if len(years) else np.nan


def _promotion_month_peak(c: pd.DataFrame) -> float:
    """The largest share of promotions to associate falling in any single month after hire (months from
    hire to promotion), among hires promoted during the run: 1 when every promotion comes at the same
    month of a career, small when they spread out."""
    months = (c["month_associate"] - c["hire_month"]).dropna().to_numpy(float)
    if len(months) == 0:
        return np.nan
    return float(np.unique(months, return_counts=True)[1].max() / len(months))


def _front_loading(c: pd.DataFrame, n_months: int) -> float:
    y_early, y_mid, y_late = FRONT_LOADING_YEARS
    s3, s5, s10 = (_km(c, y, n_months) for y in FRONT_LOADING_YEARS)
    if not all(np.isfinite([s3, s5, s10])) or s10 <= 0 or s5 <= s10:
        return np.nan
    early = -np.log(s3) / y_early
    later = -np.log(s10 / s5) / (y_late - y_mid)
    return float(early / later) if later > 0 else np.nan


def _multi_mentor(c: pd.DataFrame, gender: str) -> float:
    k = c[c["career_award"] & (c["gender"] == gender) & (c["years"] >= 2)]
    return float((k["max_mentors"] >= 2).mean()) if len(k) else np.nan


def _successful_award_pubs(c: pd.DataFrame, n_months: int) -> float:
    """Publications at 10 years of career-award holders with a grant within the window of
    `award_grant_10y`, among those still in academia then."""
    k = c[c["career_award"] & c["pubs_y10"].notna()]
    window = MONTHS_PER_YEAR * REGISTRY["award_grant_10y"].years_after_hire
    k = k[(k["month_first_grant"] - k["hire_month"]).astype("Float64").fillna(1e9) < window]
    return float(k["pubs_y10"].astype(float).mean()) if len(k) else np.nan


def _steady(series: pd.DataFrame, col: str) -> float:
    """Mean of a monthly-series column over the run's last 20 years (LAST_TWO_DECADES)."""
    return float(series[col].iloc[LAST_TWO_DECADES].mean())


def _women_full_rise(series: pd.DataFrame) -> float:
    comp = composition(series)
    first = comp[comp["year"] <= WOMEN_FULL_RISE_LAST_YEAR]
    if len(first) < WOMEN_FULL_RISE_MIN_MONTHS:
        return np.nan
    slope = np.polyfit(first["year"], first["share_women_full"], 1)[0]
    return float(100 * slope)


def _women_assistant_20y(series: pd.DataFrame) -> float:
    comp = composition(series)
    start, stop = WOMEN_ASSISTANT_YEARS
    at = comp[(comp["year"] >= start) & (comp["year"] < stop)]
    return float(at["share_women_assistant"].mean()) if len(at) else np.nan


def _full_share_late(series: pd.DataFrame, years: int = FULL_SHARE_LAST_YEARS) -> float:
    """Full professors' share of the active faculty (three ranks), averaged over the run's last `years` years."""
    late = series[series["month"] >= series["month"].max() + 1 - 12 * years]
    full = late["n_full_women"] + late["n_full_men"]
    total = sum(late[f"n_{r}_women"] + late[f"n_{r}_men"] for r in ("assistant", "associate", "full"))
    share = (full / total.where(total > 0)).to_numpy(float)
    return float(np.nanmean(share)) if np.isfinite(share).any() else np.nan


MEASURES: dict[str, Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame, int], float]] = {
    "exit_10y": lambda c, p, s, n: 1 - _km(c, REGISTRY["retention_10y"].years_after_hire, n),
    "exit_3y": lambda c, p, s, n: 1 - _km(c, FRONT_LOADING_YEARS[0], n),
    "front_loading": lambda c, p, s, n: _front_loading(c, n),
    "award_grant_5y": _registered("award_grant_5y"),
    "award_grant_10y": _registered("award_grant_10y"),
    **{f"{name}_{g}": _registered(name, g) for name in ("award_grant_5y", "award_grant_10y") for g in ("women", "men")},
    "attrition_5y_ratio_women_men": lambda c, p, s, n: _attrition_ratio(c, n),
    "promotion_month_peak": lambda c, p, s, n: _promotion_month_peak(c),
    "mean_years_to_associate": lambda c, p, s, n: _mean_years_to_associate(c),
    "retention_10y": _registered("retention_10y"),
    "promoted_10y": _registered("promoted_10y"),
    "award_retention_8y": _registered("award_retention_8y"),
    "years_to_associate": _registered("years_to_associate"),
    "promoted_14y": _registered("promoted_14y"),
    "pubs_per_year_early": lambda c, p, s, n: float(
        c["pubs_y5"].astype(float).mean() / REGISTRY["pubs_5y"].years_after_hire),
    "award_pubs_10y_successful": lambda c, p, s, n: _successful_award_pubs(c, n),
    "load_median": lambda c, p, s, n: _steady(s, "load_median"),
    "load_p25": lambda c, p, s, n: _steady(s, "load_p25"),
    "load_p75": lambda c, p, s, n: _steady(s, "load_p75"),
    "load_full": lambda c, p, s, n: _steady(s, "mean_load_full"),
    "load_associate": lambda c, p, s, n: _steady(s, "mean_load_associate"),
    "load_assistant": lambda c, p, s, n: _steady(s, "mean_load_assistant"),
    "multi_mentor_women": lambda c, p, s, n: _multi_mentor(c, "women"),
    "multi_mentor_men": lambda c, p, s, n: _multi_mentor(c, "men"),
    "women_full_rise": lambda c, p, s, n: _women_full_rise(s),
    "women_assistant_20y": lambda c, p, s, n: _women_assistant_20y(s),
    "full_share_late": lambda c, p, s, n: _full_share_late(s),
}


def measure(people: pd.DataFrame, series: pd.DataFrame, n_months: int,
            names: Sequence[str] | None = None) -> dict[str, float]:
    """Every measure (or those named) from one run's tables."""
    c = cohort(people)
    return {m: float(MEASURES[m](c, people, series, n_months)) for m in (names or MEASURES)}


# --- running replicates ------------------------------------------------------------------

def _measure_run(params, names: Sequence[str] | None) -> dict[str, float]:
    from simulation.run.simulate import simulate

    r = simulate(params, threads=1)
    return measure(r.people, r.series, params.n_months, names)


def _measure_indexed(item: tuple[int, object], names: Sequence[str] | None) -> tuple[int, dict[str, float]]:
    index, params = item
    return index, _measure_run(params, names)


def evaluate(param_sets: Sequence, names: Sequence[str] | None = None, workers: int | None = None,
             progress: bool = False, desc: str = "runs", executor: str | None = None,
             address=None) -> list[dict[str, float]]:
    """Measures of many runs, in the given order, on the same executors as comparisons and
    sweeps (`executors.map_tasks`: processes by default, serial with one worker, dask, slurm)."""
    from functools import partial

    from simulation.experiments.executors import compile_kernels, is_remote, map_tasks

    param_sets = list(param_sets)
    executor = executor or ("serial" if workers == 1 else "processes")
    if param_sets and not is_remote(executor, address):
        compile_kernels(param_sets[0], progress)
    out: list[dict[str, float] | None] = [None] * len(param_sets)
    for index, measures in map_tasks(partial(_measure_indexed, names=names), list(enumerate(param_sets)),
                                     executor, workers, address, progress, desc):
        out[index] = measures
    return out  # type: ignore[return-value]


def _scenario(scenario: str, sets: Sequence[str], values: dict[str, float] | None = None, seed: int = 1):
    from simulation.config.scenario import load_scenario

    extra = [f"{k}={v!r}" for k, v in (values or {}).items()]
    return load_scenario(scenario, [*sets, *extra], seed=seed)


# --- contrasts: other scenarios on the same seeds ---------------------------------------------

CALIBRATED = ""  # the plan's key for the calibrated scenario itself (the others are contrast scenarios)


@dataclass(frozen=True)
class Check:
    """A consistency check `calibrate --check` prints: on the same seeds, the difference between the
    calibrated scenario and `scenario` must stay within `share` of the difference between the
    calibrated scenario and `reference` (and the latter must be positive)."""

    id: str
    description: str
    measure: str
    scenario: str
    reference: str
    share: float


CHECKS: tuple[Check, ...] = (
    Check("dyad_within_mentoring_effect",
          "|status quo - dyad| at most half of (status quo - no mentor) in 10-year retention: the difference "
          "between mentoring models stays well inside the effect of being mentored at all (issue 13)",
          "retention_10y", "dyad", "no_mentor", 0.5),
)


def plan(targets: Sequence[Target], checks: Sequence[Check] = ()) -> dict[str, list[str]]:
    """The runs the targets (and checks) need: the measures of the calibrated scenario (key CALIBRATED)
    and of each contrast scenario. A contrast scenario appears only if a target or check names it."""
    out: dict[str, list[str]] = {CALIBRATED: []}

    def need(role: str, m: str) -> None:
        out.setdefault(role, [])
        if m not in out[role]:
            out[role].append(m)
    for t in targets:
        need(CALIBRATED, t.measure)
        if t.contrast:
            need(t.contrast, t.measure)
    for c in checks:
        for role in (CALIBRATED, c.scenario, c.reference):
            need(role, c.measure)
    return out


def target_values(targets: Sequence[Target], runs: dict[str, list[dict[str, float]]]) -> list[dict[str, float]]:
    """Each replicate's value of each target (by id): its measure in the calibrated scenario, or for a
    contrast target the paired difference sign x (calibrated - contrast) on the same seed."""
    out = []
    for r, base in enumerate(runs[CALIBRATED]):
        row = {}
        for t in targets:
            v = float(base[t.measure])
            if t.contrast:
                v = t.sign * (v - float(runs[t.contrast][r][t.measure]))
            row[t.id] = v
        out.append(row)
    return out


def _contrast_note(roles: Sequence[str]) -> str:
    others = [r for r in roles if r != CALIBRATED]
    return f" (+ contrast runs: {', '.join(others)})" if others else ""


def measure_points(scenario: str, sets: Sequence[str], points: Sequence[dict[str, float]],
                   seeds: Sequence[int] | Sequence[Sequence[int]], needs: dict[str, list[str]],
                   workers: int | None = None, progress: bool = False, desc: str = "runs",
                   executor: str | None = None, address=None) -> list[dict[str, list[dict]]]:
    """For each point (parameter values), the measures of each scenario of `needs` (see `plan`) on every
    seed: result[point][role][replicate]. Contrast scenarios get the same sets, values and seeds.
    `seeds`: the same seeds for every point, or one list of seeds per point."""
    per_point = [list(s) for s in seeds] if seeds and not isinstance(seeds[0], (int, np.integer)) else \
        [list(seeds)] * len(points)
    if len(per_point) != len(points) or len({len(s) for s in per_point}) > 1:
        raise ValueError("give the same seeds to every point, or one list of as many seeds per point")
    jobs, param_sets = [], []
    for k, pt in enumerate(points):
        for role in needs:
            for i, s in enumerate(per_point[k]):
                jobs.append((k, role, i))
                param_sets.append(_scenario(role or scenario, sets, pt, s))
    names = list(dict.fromkeys(m for ms in needs.values() for m in ms))
    flat = evaluate(param_sets, names, workers, progress, desc + _contrast_note(list(needs)), executor, address)
    n_seeds = len(per_point[0]) if per_point else 0
    out: list[dict[str, list]] = [{role: [None] * n_seeds for role in needs} for _ in points]
    for (k, role, i), m in zip(jobs, flat):
        out[k][role][i] = m
    return out


def check_table(checks: Sequence[Check], runs: dict[str, list[dict[str, float]]]) -> pd.DataFrame:
    """Each check's two paired differences (mean and 95% CI over replicates), their ratio and verdict."""
    rows = []
    for c in checks:
        base = np.array([m[c.measure] for m in runs[CALIBRATED]], dtype=float)
        other = base - np.array([m[c.measure] for m in runs[c.scenario]], dtype=float)
        ref = base - np.array([m[c.measure] for m in runs[c.reference]], dtype=float)
        d, d_lo, d_hi = mean_ci(other)
        e, e_lo, e_hi = mean_ci(ref)
        ratio = abs(d) / e if np.isfinite(d) and np.isfinite(e) and e > 0 else np.nan
        rows.append({"check": c.id, "description": c.description, "measure": c.measure,
                     "difference": d, "difference_ci_low": d_lo, "difference_ci_high": d_hi,
                     "reference": e, "reference_ci_low": e_lo, "reference_ci_high": e_hi,
                     "ratio": ratio, "at_most": c.share, "holds": bool(np.isfinite(ratio) and ratio <= c.share)})
    return pd.DataFrame(rows)


def format_checks(table: pd.DataFrame, checks: Sequence[Check] = CHECKS) -> str:
    by_id = {c.id: c for c in checks}
    lines = []
    for _, r in table.iterrows():
        c = by_id.get(r["check"])
        other, ref = (c.scenario, c.reference) if c else ("other", "reference")
        lines.append(f"{r['check']}: {'holds' if r['holds'] else 'does NOT hold'}\n"
                     f"   {r['measure']}: status quo - {other} {r['difference']:+.4f} "
                     f"[{r['difference_ci_low']:+.4f}, {r['difference_ci_high']:+.4f}]; "
                     f"status quo - {ref} {r['reference']:+.4f} [{r['reference_ci_low']:+.4f}, "
                     f"{r['reference_ci_high']:+.4f}]; ratio {r['ratio']:.3f} (at most {r['at_most']:g})")
    return "\n".join(lines)


def check(scenario: str = "status_quo", replicates: int = 10, seed: int = 1000, sets: Sequence[str] = (),
          targets_file: str | Path = TARGETS_FILE, workers: int | None = None, progress: bool = True,
          ci_overlap: bool = False, executor: str | None = None, address=None,
          checks: Sequence[Check] = ()) -> pd.DataFrame:
    """Target vs simulated (mean and 95% CI over replicates), and whether it is within its band.

    With `ci_overlap`, a target also passes when the 95% interval of the mean reaches its band:
    the honest allowance for sampling error when only a few replicates are run. Contrast targets
    run their contrast scenarios on the same seeds; `checks` (e.g. CHECKS) adds theirs, and their
    table is returned in `table.attrs["checks"]`.

    Parameters
    ----------
    scenario : str
        The scenario the targets describe (the status quo).
    replicates : int
        Runs, on seeds ``seed``, ``seed + 1``, ...
    seed : int
        The first run's seed.
    sets : list of str
        ``--set`` overrides applied to every run.
    targets_file : str or Path
        The calibration targets (``simulation/config/targets.toml``).
    workers, executor, address
        Where the runs execute (as in ``compare``).
    progress : bool
        Report progress.
    ci_overlap : bool
        Also pass a target whose mean's 95% interval reaches its band.
    checks : sequence of Check
        Further checks (e.g. ``CHECKS``) with their own runs.

    Returns
    -------
    pandas.DataFrame
        One row per target: its band, the simulated mean with its interval, and whether it is in
        the band; ``.attrs["checks"]`` holds the further checks' table.
    """
    targets, _ = load_targets(targets_file)
    needs = plan(targets, checks)
    runs = measure_points(scenario, sets, [{}], [seed + r for r in range(replicates)], needs, workers, progress,
                          "calibration check", executor, address)[0]
    results = pd.DataFrame(target_values(targets, runs), columns=[t.id for t in targets])
    rows = []
    for t in targets:
        mean, lo, hi = mean_ci(results[t.id].to_numpy(float))
        within = t.within(mean)
        if ci_overlap and not within and np.isfinite(lo):
            within = bool(hi >= t.low and lo <= t.high)
        rows.append({
            "target": t.id, "description": t.description, "published": t.published, "value": t.value,
            "low": t.low, "high": t.high, "simulated": mean, "ci_low": lo, "ci_high": hi,
            "within": within, "population": t.population, "source": t.source,
            "contrast": (f"{'' if t.sign > 0 else '-'}({scenario} - {t.contrast})" if t.contrast else ""),
        })
    table = pd.DataFrame(rows)
    if checks:
        table.attrs["checks"] = check_table(checks, runs)
    return table


PREDICTIVE_LEVEL = 0.90


def check_ensemble(members: Sequence[dict[str, float]], scenario: str = "status_quo", seed: int = 1000,
                   sets: Sequence[str] = (), targets_file: str | Path = TARGETS_FILE, workers: int | None = None,
                   progress: bool = True, executor: str | None = None, address=None,
                   checks: Sequence[Check] = ()) -> pd.DataFrame:
    """Every target against the ensemble: each member runs once (member k on seed `seed + k`, its
    contrast scenarios on the same seed), and the members' values give the posterior-predictive mean and
    90% interval (5th and 95th percentiles), which carry both the parameters' uncertainty and chance. A
    target is within tolerance when the predictive mean is within its band. `checks` as in `check`."""
    targets, _ = load_targets(targets_file)
    needs = plan(targets, checks)
    runs = measure_points(scenario, sets, list(members), [[seed + k] for k in range(len(members))], needs, workers,
                          progress, "calibration check across the ensemble", executor, address)
    by_role = {role: [r[role][0] for r in runs] for role in needs}
    values = pd.DataFrame(target_values(targets, by_role), columns=[t.id for t in targets])
    q = (1 - PREDICTIVE_LEVEL) / 2
    rows = []
    for t in targets:
        v = values[t.id].to_numpy(float)
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if len(v) else np.nan
        lo, hi = (float(x) for x in np.quantile(v, [q, 1 - q])) if len(v) else (np.nan, np.nan)
        rows.append({"target": t.id, "description": t.description, "published": t.published, "value": t.value,
                     "low": t.low, "high": t.high, "predictive_mean": mean, "predictive_low": lo,
                     "predictive_high": hi, "within": t.within(mean),
                     "interval_meets_band": bool(len(v) and hi >= t.low and lo <= t.high),
                     "members": int(len(v)), "population": t.population, "source": t.source})
    table = pd.DataFrame(rows)
    if checks:
        table.attrs["checks"] = check_table(checks, by_role)
    table.attrs["values"] = values
    return table


def format_check_ensemble(table: pd.DataFrame) -> str:
    return _format_targets(table, f"ensemble: mean [{PREDICTIVE_LEVEL:.0%} predictive]", "predictive_mean",
                           "predictive_low", "predictive_high")


def format_check(table: pd.DataFrame) -> str:
    return _format_targets(table, "simulated (95% CI)", "simulated", "ci_low", "ci_high")


def _format_targets(table: pd.DataFrame, heading: str, mean: str, low: str, high: str) -> str:
    """A check's table as printed: each target, its published value and band, the simulated mean with
    its interval (columns `mean`, `low`, `high`, under `heading`), and whether it is within."""
    def f(x):
        if not np.isfinite(x):
            return "n/a"
        return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"

    out = pd.DataFrame({
        "target": table["target"],
        "published": table["value"].map(f),
        "band": [f"[{f(a)}, {f(b)}]" for a, b in zip(table["low"], table["high"])],
        heading: [f"{f(m)} [{f(a)}, {f(b)}]" for m, a, b in zip(table[mean], table[low], table[high])],
        "ok": np.where(table["within"], "yes", "NO"),
    })
    return out.to_string(index=False)


# --- fitting ------------------------------------------------------------------------------

OUTSIDE_PENALTY = 9.0
MARGIN = 0.8  # the penalty starts inside the band, so that sampling noise does not carry a fit across its edge


def loss(targets: Sequence[Target], measured: Sequence[dict[str, float]]) -> float:
    """`measured`: per replicate, each target's value by id (`target_values`).

    Mean over targets of e^2 + 9 max(0, |e| - 0.8)^2, e the band-scaled error of the replicate mean.

    The first term pulls toward the published value; the second makes approaching a band's
    edge costly, so the fit trades small misses in the middle of bands for staying well
    inside all of them (a fit on a few replicates would otherwise sit on edges by chance).
    """
    if not targets:
        return 0.0
    errs = []
    for t in targets:
        vals = np.array([m[t.id] for m in measured], dtype=float)
        mean = np.nanmean(vals) if np.isfinite(vals).any() else np.nan
        e = abs(t.error(mean))
        errs.append(e * e + OUTSIDE_PENALTY * max(0.0, e - MARGIN) ** 2)
    return float(np.mean(errs))


LOAD_TARGETS = ("load_median", "load_p25", "load_p75", "load_full", "load_associate", "load_assistant")


def block_targets(targets: Sequence[Target], block: str) -> list[Target]:
    """The targets a block of free parameters is fitted to (each target's `block`; the load targets
    serve "loads" and the others "careers" unless they say otherwise; "all": every target)."""
    if block == "all":
        return list(targets)
    return [t for t in targets if t.fit_block == block]


def fit(scenario: str = "status_quo", replicates: int = 4, seed: int = 2000, sets: Sequence[str] = (),
        targets_file: str | Path = TARGETS_FILE, lhs_points: int | None = None, maxfev: int = 80,
        blocks: Sequence[str] | None = None, workers: int | None = None, progress: bool = True,
        start: dict[str, float] | None = None, rounds: int = 2, executor: str | None = None, address=None) -> dict:
    """Estimate the free parameters block by block (`rounds` passes); return a calibration record."""
    from scipy.optimize import minimize
    from scipy.stats import qmc

    from simulation import __version__
    from simulation.run.results import git_commit, versions

    targets, free = load_targets(targets_file)
    seeds = [seed + r for r in range(replicates)]
    current = dict(start or {})
    base = _scenario(scenario, sets)
    for f in free:
        if f.name not in current:
            current[f.name] = _get(base, f.name)
    history = []

    def run_points(points: list[dict[str, float]], desc: str, goal: Sequence[Target]) -> list[list[dict[str, float]]]:
        """Per point, per seed, the goal targets' values; contrast scenarios run only if a goal target needs them."""
        runs = measure_points(scenario, sets, [{**current, **pt} for pt in points], seeds, plan(goal), workers,
                              progress, desc, executor, address)
        return [target_values(goal, r) for r in runs]

    before = loss(targets, run_points([{}], "calibration: start", targets)[0])
    order = list(blocks or sorted({f.block for f in free}, key=lambda b: (b != "loads", b)))
    for round_, block in [(r, b) for r in range(rounds) for b in order]:
        members = [f for f in free if f.block == block]
        goal = block_targets(targets, block)
        lo = np.array([f.low for f in members])
        hi = np.array([f.high for f in members])

        def point(u: np.ndarray) -> dict[str, float]:
            x = lo + np.clip(u, 0, 1) * (hi - lo)
            return {f.name: float(v) for f, v in zip(members, x)}

        u_now = np.clip(np.array([(current[f.name] - f.low) / (f.high - f.low) for f in members]), 0, 1)
        if round_ == 0:  # screen the whole box once; later rounds refine locally
            n_lhs = lhs_points or 8 * len(members)
            design = qmc.LatinHypercube(d=len(members), seed=seed).random(n_lhs)
            candidates = np.vstack([u_now[None, :], design])
            scores = [loss(goal, m) for m in run_points([point(u) for u in candidates], f"calibration: screen {block}",
                                                        goal)]
            best = candidates[int(np.argmin(scores))]
            history.append({"round": round_, "block": block, "stage": "screen", "evaluations": len(candidates),
                            "best_loss": float(min(scores))})
        else:
            best = u_now

        cache: dict[tuple, float] = {}

        def objective(u: np.ndarray) -> float:
            key = tuple(np.round(np.clip(u, 0, 1), 6))
            if key not in cache:
                cache[key] = loss(goal, run_points([point(np.array(key))], f"calibration: fit {block}", goal)[0])
            return cache[key]

        budget = maxfev if round_ == 0 else max(10, maxfev // 2)
        res = minimize(objective, best, method="Nelder-Mead", bounds=[(0, 1)] * len(members),
                       options={"maxfev": budget, "xatol": 1e-3, "fatol": 1e-4,
                                "initial_simplex": _simplex(best, 0.15 if round_ == 0 else 0.05)})
        current.update(point(res.x))
        history.append({"round": round_, "block": block, "stage": "nelder-mead", "evaluations": len(cache),
                        "best_loss": float(res.fun)})

    final = run_points([{}], "calibration: final", targets)[0]
    table = []
    for t in targets:
        vals = np.array([m[t.id] for m in final], dtype=float)
        mean = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
        table.append({**asdict(t), "simulated": mean, "within": t.within(mean)})
    return {
        "method": (f"block-wise, {rounds} rounds: Latin-hypercube screening (scipy.stats.qmc) then bounded "
                   "Nelder-Mead (scipy.optimize) in the first round, Nelder-Mead from the current point after; "
                   "every evaluation on the same seeds (common random numbers); loss = mean over targets of "
                   f"e^2 + {OUTSIDE_PENALTY:g} max(0, |e| - {MARGIN:g})^2, e the error in units of the target's band"),
        "scenario": scenario,
        "sets": list(sets),
        "seeds": seeds,
        "replicates": replicates,
        "estimates": {f.name: round(current[f.name], 6) for f in free},
        "free": [asdict(f) for f in free],
        "loss_before": before,
        "loss_after": loss(targets, final),
        "targets": table,
        "history": history,
        "code_version": __version__,
        "versions": versions(),
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _simplex(u: np.ndarray, step: float) -> np.ndarray:
    pts = [u]
    for k in range(len(u)):
        v = u.copy()
        v[k] = v[k] + step if v[k] + step <= 1 else v[k] - step
        pts.append(v)
    return np.array(pts)


def _get(params, dotted: str) -> float:
    node = params
    for part in dotted.split("."):
        node = getattr(node, part)
    return float(node)


# --- history matching: the package's targets and free parameters as its data -------------------

UNCERTAINTY_KEYS = ("observation_band_share", "discrepancy_band_share")


def load_uncertainty(path: str | Path = TARGETS_FILE) -> dict[str, float]:
    """The `[uncertainty]` table of a targets file: the shares of each band read as the observation's
    and the model discrepancy's standard deviations."""
    with open(path, "rb") as fh:
        table = tomllib.load(fh).get("uncertainty", {})
    out = {}
    for key in UNCERTAINTY_KEYS:
        value = table.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
            raise ValueError(f"{path}: [uncertainty] {key} must be a number >= 0, not {value!r}; "
                             "e.g. observation_band_share = 0.25")
        out[key] = float(value)
    unknown = sorted(set(table) - set(UNCERTAINTY_KEYS))
    if unknown:
        raise ValueError(f"{path}: [uncertainty] has unknown keys {', '.join(unknown)}; known: "
                         f"{', '.join(UNCERTAINTY_KEYS)}")
    return out


def observed(targets: Sequence[Target], uncertainty: dict[str, float]):
    """Each target as the history match sees it: published value, observation and discrepancy variances."""
    from simulation.experiments.history import Observed

    out = []
    for t in targets:
        width = t.high - t.low
        obs = t.obs_sd if t.obs_sd is not None else uncertainty["observation_band_share"] * width
        out.append(Observed(t.id, float(t.value), float(obs) ** 2,
                            float(uncertainty["discrepancy_band_share"] * width) ** 2))
    return out


def priors(free: Sequence[Free]):
    from simulation.experiments.history import Prior

    return [Prior(f.name, f.low, f.high, f.block) for f in free]


def simulator(scenario: str, targets: Sequence[Target], sets: Sequence[str] = (), workers: int | None = None,
              progress: bool = False, executor: str | None = None, address=None):
    """The history match's simulator: points and seeds -> each target's value per point and seed, the
    contrast scenarios run on the same seeds (`plan`), on the comparisons' executors."""
    needs = plan(targets)

    def run(points: list[dict[str, float]], seeds: list[int]) -> list[list[dict[str, float]]]:
        runs = measure_points(scenario, sets, points, seeds, needs, workers, progress, "history match", executor,
                              address)
        return [target_values(targets, r) for r in runs]
    return run


def write_record(record: dict, path: str | Path) -> Path:
    from simulation.util.destination import write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, json.dumps(record, indent=2, default=float) + "\n")


def installed_record(path: str | Path = RECORD_FILE) -> dict:
    return json.loads(Path(path).read_text())
