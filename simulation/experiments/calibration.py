"""Calibration: the default scenario against published figures, and the fit of free parameters.

The targets and the free parameters are data (`targets.toml`). `check` runs the status quo
over replicates and compares each measured quantity with its target band. `fit` estimates
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
from simulation.analysis.outcomes import (COHORT_COLUMNS, LAST_TWO_DECADES, MONTHS_PER_YEAR, REGISTRY, _float_columns,
                                          _km_at, band_error, cohort, composition, mean_ci)
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
    for t in targets:
        if t.measure not in MEASURES:
            raise ValueError(f"{path}: target {t.id}: unknown measure {t.measure!r}; known: {', '.join(MEASURES)}")
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

def _km(c: pd.DataFrame, years: float, n_months: int) -> float:
    return _km_at(c["years"].to_numpy(float), c["left"].to_numpy(bool), years, n_months / 12)


def _registered(name: str) -> Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame, int], float]:
    """The registry's person-level outcome `name`, for all hires."""
    outcome = REGISTRY[name]
    needed = (*COHORT_COLUMNS, "years", "left", *outcome.columns)

    def f(c: pd.DataFrame, p: pd.DataFrame, s: pd.DataFrame, n: int) -> float:
        return outcome.compute(_float_columns(c[[k for k in needed if k in c.columns]]), n)
    return f


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


MEASURES: dict[str, Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame, int], float]] = {
    "exit_10y": lambda c, p, s, n: 1 - _km(c, REGISTRY["retention_10y"].years_after_hire, n),
    "exit_3y": lambda c, p, s, n: 1 - _km(c, FRONT_LOADING_YEARS[0], n),
    "front_loading": lambda c, p, s, n: _front_loading(c, n),
    "award_grant_5y": _registered("award_grant_5y"),
    "award_grant_10y": _registered("award_grant_10y"),
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


def check(scenario: str = "status_quo", replicates: int = 10, seed: int = 1000, sets: Sequence[str] = (),
          targets_file: str | Path = TARGETS_FILE, workers: int | None = None, progress: bool = True,
          ci_overlap: bool = False, executor: str | None = None, address=None) -> pd.DataFrame:
    """Target vs simulated (mean and 95% CI over replicates), and whether it is within its band.

    With `ci_overlap`, a target also passes when the 95% interval of the mean reaches its band:
    the honest allowance for sampling error when only a few replicates are run.
    """
    targets, _ = load_targets(targets_file)
    runs = [_scenario(scenario, sets, seed=seed + r) for r in range(replicates)]
    results = pd.DataFrame(evaluate(runs, [t.measure for t in targets], workers, progress, "calibration check",
                                    executor, address))
    rows = []
    for t in targets:
        mean, lo, hi = mean_ci(results[t.measure].to_numpy(float))
        within = t.within(mean)
        if ci_overlap and not within and np.isfinite(lo):
            within = bool(hi >= t.low and lo <= t.high)
        rows.append({
            "target": t.id, "description": t.description, "published": t.published, "value": t.value,
            "low": t.low, "high": t.high, "simulated": mean, "ci_low": lo, "ci_high": hi,
            "within": within, "population": t.population, "source": t.source,
        })
    return pd.DataFrame(rows)


def format_check(table: pd.DataFrame) -> str:
    def f(x):
        if not np.isfinite(x):
            return "n/a"
        return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"

    out = pd.DataFrame({
        "target": table["target"],
        "published": table["value"].map(f),
        "band": [f"[{f(a)}, {f(b)}]" for a, b in zip(table["low"], table["high"])],
        "simulated (95% CI)": [
            f"{f(m)} [{f(a)}, {f(b)}]" for m, a, b in zip(table["simulated"], table["ci_low"], table["ci_high"])
        ],
        "ok": np.where(table["within"], "yes", "NO"),
    })
    return out.to_string(index=False)


# --- fitting ------------------------------------------------------------------------------

OUTSIDE_PENALTY = 9.0
MARGIN = 0.8  # the penalty starts inside the band, so that sampling noise does not carry a fit across its edge


def loss(targets: Sequence[Target], measured: Sequence[dict[str, float]]) -> float:
    """Mean over targets of e^2 + 9 max(0, |e| - 0.8)^2, e the band-scaled error of the replicate mean.

    The first term pulls toward the published value; the second makes approaching a band's
    edge costly, so the fit trades small misses in the middle of bands for staying well
    inside all of them (a fit on a few replicates would otherwise sit on edges by chance).
    """
    if not targets:
        return 0.0
    errs = []
    for t in targets:
        vals = np.array([m[t.measure] for m in measured], dtype=float)
        mean = np.nanmean(vals) if np.isfinite(vals).any() else np.nan
        e = abs(t.error(mean))
        errs.append(e * e + OUTSIDE_PENALTY * max(0.0, e - MARGIN) ** 2)
    return float(np.mean(errs))


LOAD_TARGETS = ("load_median", "load_p25", "load_p75", "load_full", "load_associate", "load_assistant")


def block_targets(targets: Sequence[Target], block: str) -> list[Target]:
    if block == "loads":
        return [t for t in targets if t.id in LOAD_TARGETS]
    if block == "all":
        return list(targets)
    return [t for t in targets if t.id not in LOAD_TARGETS]


def fit(scenario: str = "status_quo", replicates: int = 4, seed: int = 2000, sets: Sequence[str] = (),
        targets_file: str | Path = TARGETS_FILE, lhs_points: int | None = None, maxfev: int = 80,
        blocks: Sequence[str] | None = None, workers: int | None = None, progress: bool = True,
        start: dict[str, float] | None = None, rounds: int = 2, executor: str | None = None, address=None) -> dict:
    """Estimate the free parameters block by block (`rounds` passes); return a calibration record."""
    from scipy.optimize import minimize
    from scipy.stats import qmc

    from simulation import __version__
    from simulation.run.results import git_commit

    targets, free = load_targets(targets_file)
    seeds = [seed + r for r in range(replicates)]
    current = dict(start or {})
    base = _scenario(scenario, sets)
    for f in free:
        current.setdefault(f.name, _get(base, f.name))
    history = []
    names = [t.measure for t in targets]

    def run_points(points: list[dict[str, float]], desc: str) -> list[list[dict[str, float]]]:
        sets_all = [_scenario(scenario, sets, {**current, **pt}, s) for pt in points for s in seeds]
        flat = evaluate(sets_all, names, workers, progress, desc, executor, address)
        return [flat[k * len(seeds):(k + 1) * len(seeds)] for k in range(len(points))]

    before = loss(targets, run_points([{}], "calibration: start")[0])
    order = list(blocks or sorted({f.block for f in free}, key=lambda b: b != "loads"))
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
            scores = [loss(goal, m) for m in run_points([point(u) for u in candidates], f"calibration: screen {block}")]
            best = candidates[int(np.argmin(scores))]
            history.append({"round": round_, "block": block, "stage": "screen", "evaluations": len(candidates),
                            "best_loss": float(min(scores))})
        else:
            best = u_now

        cache: dict[tuple, float] = {}

        def objective(u: np.ndarray) -> float:
            key = tuple(np.round(np.clip(u, 0, 1), 6))
            if key not in cache:
                cache[key] = loss(goal, run_points([point(np.array(key))], f"calibration: fit {block}")[0])
            return cache[key]

        budget = maxfev if round_ == 0 else max(10, maxfev // 2)
        res = minimize(objective, best, method="Nelder-Mead", bounds=[(0, 1)] * len(members),
                       options={"maxfev": budget, "xatol": 1e-3, "fatol": 1e-4,
                                "initial_simplex": _simplex(best, 0.15 if round_ == 0 else 0.05)})
        current.update(point(res.x))
        history.append({"round": round_, "block": block, "stage": "nelder-mead", "evaluations": len(cache),
                        "best_loss": float(res.fun)})

    final = run_points([{}], "calibration: final")[0]
    table = []
    for t in targets:
        vals = np.array([m[t.measure] for m in final], dtype=float)
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


def write_record(record: dict, path: str | Path) -> Path:
    from simulation.util.destination import write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, json.dumps(record, indent=2, default=float) + "\n")


def installed_record(path: str | Path = RECORD_FILE) -> dict:
    return json.loads(Path(path).read_text())
