"""The patterns of docs/ODD.md (sections 1 and 8.3), measured from the model's own outputs: the
seven of the specification and an eighth from issue 13 (women's share of full professors).

Each pattern is a comparison computed from run tables: a statistic per replicate (most are
paired differences between scenarios run on the same seeds), its mean with a 95% interval
over replicates, and whether it points the way the pattern says. Nothing here sets an
outcome: every number comes from the mechanisms, and a pattern may fail.

    careersim patterns      runs the scenarios below and prints the table
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.outcomes import (COHORT_COLUMNS, LAST_DECADE, LAST_TWO_DECADES, REGISTRY, YEARS_2_TO_5,
                                          YEARS_2_TO_10, cohort, float_columns, mean_ci)
from simulation.config.params import FUNCTIONS, STAGES

# variant name -> (scenario, overrides)
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "dyad": ("dyad", []),
    "committee": ("committee", []),
    "status_quo": ("status_quo", []),
    "network": ("network", []),
    "network_peers": ("network_peers", []),
    "network_women_mentor_policy": ("network_women_mentor_policy", []),
    "network_local_only": ("network", ["mentoring.external_ties=false"]),
    "small_institutions": ("small_institutions", []),
    "small_institutions_local_only": ("small_institutions", ["mentoring.external_ties=false"]),
}

RARELY = 0.25  # "rarely": fewer than a quarter
FULL_SHARE_MONTHS = (240, 360)  # pattern 8: women's share of full professors over the run's years 21-30 (months)


@dataclass
class Runs:
    """Per-replicate tables of each variant: tables[variant][replicate] = (people, series)."""

    tables: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]]

    def stat(self, variant: str, f: Callable[[pd.DataFrame, pd.DataFrame], float]) -> np.ndarray:
        return np.array([f(p, s) for p, s in self.tables[variant]], dtype=float)


def _row(pattern: int, statement: str, evidence: str, values: np.ndarray, direction: str) -> dict:
    mean, lo, hi = mean_ci(values)
    if direction == ">0":
        holds = bool(np.isfinite(lo) and lo > 0)
    elif direction == "<0":
        holds = bool(np.isfinite(hi) and hi < 0)
    else:  # "<RARELY"
        holds = bool(np.isfinite(hi) and hi < RARELY)
    return {"pattern": pattern, "statement": statement, "evidence": evidence, "mean": mean,
            "ci_low": lo, "ci_high": hi, "expected": direction.replace("RARELY", f"{RARELY:g}"), "holds": holds}


# --- per-run statistics -----------------------------------------------------------------

def late(series: pd.DataFrame, col: str, window: slice = LAST_TWO_DECADES) -> float:
    """Mean of a monthly-series column late in the run (by default its last 20 years)."""
    return float(series[col].iloc[window].mean())


def holes(people: pd.DataFrame, series: pd.DataFrame) -> float:
    c = cohort(people)
    w = c["months_as_protege"].to_numpy(float)
    return float(np.average(c["share_months_hole"].fillna(0), weights=w)) if w.sum() else np.nan


def loss_per_mentor_exit(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Share of a protege's mentor support that leaves with a departing mentor, averaged over losses."""
    losses = people["n_mentor_losses"].to_numpy(float)
    share = people["support_share_lost_per_mentor_exit"].to_numpy(float)
    ok = losses > 0
    return float(np.average(share[ok], weights=losses[ok])) if ok.any() else np.nan


def months_without_mentor(people: pd.DataFrame, series: pd.DataFrame) -> float:
    c = cohort(people)
    w = c["months_as_protege"].to_numpy(float)
    return float(np.average(c["share_months_no_mentor"].fillna(0), weights=w)) if w.sum() else np.nan


def registered(name: str) -> Callable[[pd.DataFrame, pd.DataFrame], float]:
    """The registry's person-level outcome `name` for all hires of a run (its series has one row a month)."""
    outcome = REGISTRY[name]
    needed = list(dict.fromkeys((*COHORT_COLUMNS, *outcome.columns)))

    def f(people: pd.DataFrame, series: pd.DataFrame) -> float:
        return outcome.compute(float_columns(cohort(people[[k for k in needed if k in people.columns]])), len(series))
    return f


def coverage_of(function: str) -> Callable[[pd.DataFrame, pd.DataFrame], float]:
    """Coverage of one function's need per protege-month (the registry's `coverage_<function>`)."""
    return registered(f"coverage_{function}")


pubs_per_year = registered("pubs_per_faculty_year")  # publications per faculty-year from hire


def hours_load_slope(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Slope of a mentor's hours per protege on their number of mentees (per extra mentee)."""
    m = people[people["months_mentoring"] >= 12]
    if len(m) < 10:
        return np.nan
    return float(np.polyfit(m["mean_load_when_mentoring"], m["mean_hours_per_protege"], 1)[0])


def quality_drop(comfortable: float) -> Callable[[pd.DataFrame, pd.DataFrame], float]:
    """Mean quality of mentors within the comfortable load minus that of mentors past it."""
    def f(people: pd.DataFrame, series: pd.DataFrame) -> float:
        m = people[people["months_mentoring"] >= 12]
        over = m["mean_load_when_mentoring"] > comfortable
        if over.sum() == 0 or (~over).sum() == 0:
            return np.nan
        return float(
            m.loc[~over, "mean_quality_when_mentoring"].mean() - m.loc[over, "mean_quality_when_mentoring"].mean()
        )
    return f


def woman_mentor_early_minus_late(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Women with a woman mentor early (months 12-59, senior women scarce) minus the run's last 10 years."""
    s = series["share_women_with_woman_mentor"]
    return float(s.iloc[YEARS_2_TO_5].mean() - s.iloc[LAST_DECADE].mean())


def first_decade_woman_mentor(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Women proteges with a woman mentor in the first decade (months 12-119), when senior women are scarcest."""
    return float(series["share_women_with_woman_mentor"].iloc[YEARS_2_TO_10].mean())


def top_need_functions(series: pd.DataFrame, stage: str, k: int = 2) -> list[str]:
    needs = {f: series[f"need_{stage}_{f}"].iloc[LAST_TWO_DECADES].mean() for f in FUNCTIONS}
    return sorted(needs, key=needs.get, reverse=True)[:k]


def tracking_gap(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Coverage of an early assistant's two largest needs minus an associate's coverage of theirs."""
    early, assoc = STAGES[0], STAGES[2]
    cov_early = np.mean([late(series, f"coverage_{early}_{f}") for f in top_need_functions(series, early)])
    cov_assoc = np.mean([late(series, f"coverage_{assoc}_{f}") for f in top_need_functions(series, assoc)])
    return float(cov_early - cov_assoc)


def needs_shift(people: pd.DataFrame, series: pd.DataFrame) -> float:
    """Share of need in career and networking: associate professors minus early assistant professors."""
    def share(stage: str) -> float:
        need = {f: late(series, f"need_{stage}_{f}") for f in FUNCTIONS}
        return (need["career"] + need["networking"]) / sum(need.values())
    return float(share(STAGES[2]) - share(STAGES[0]))


def full_share_gap(people: pd.DataFrame, series: pd.DataFrame, window: tuple[int, int] = FULL_SHARE_MONTHS) -> float:
    """Women's share of full professors among the run's hires, over `window` (months of the run,
    weighted by months in rank), minus the share their hiring would give: the share of women among
    the hires of each hiring year, weighted by that year's full-professor months. Below zero when
    women are promoted to full or kept less than men hired in the same years; zero when women
    and men are promoted and retained alike. NaN without full professors among the hires then."""
    start, stop = window
    c = people[~people["initial"]]
    first = np.maximum(c["month_full"].to_numpy(dtype=float, na_value=np.nan), start)
    last = np.minimum(c["end_month"].to_numpy(float), stop)
    months = np.where(np.isfinite(first), np.clip(last - first, 0, None), 0.0)
    if months.sum() <= 0:
        return np.nan
    women = (c["gender"].astype(str) == "women").to_numpy(float)
    hire_year = (c["hire_month"].to_numpy(float) // 12).astype(np.int64)
    years, index = np.unique(hire_year, return_inverse=True)
    share_women_hired = np.bincount(index, weights=women) / np.bincount(index)
    observed = float((months * women).sum() / months.sum())
    expected = float((months * share_women_hired[index]).sum() / months.sum())
    return observed - expected


# --- the patterns ------------------------------------------------------------------------

def compute(runs: Runs, comfortable_load: float) -> pd.DataFrame:
    """Every pattern's evidence from the runs' tables."""
    def diff(a: str, b: str, f) -> np.ndarray:
        return runs.stat(a, f) - runs.stat(b, f)

    rows = []
    all_covered = lambda p, s: late(s, "share_all_covered")  # noqa: E731
    rows.append(_row(1, "A single mentor rarely covers all five functions",
                     "share of dyad proteges with every function at least half covered",
                     runs.stat("dyad", all_covered), "<RARELY"))
    rows.append(_row(1, "... a network covers more",
                     "network minus dyad: share with every function at least half covered",
                     diff("network", "dyad", all_covered), ">0"))
    rows.append(_row(1, "... few seniors are strong in all five",
                     "share of associate and full professors strong in every function (status quo)",
                     runs.stat("status_quo", lambda p, s: late(s, "share_seniors_strong_all")), "<RARELY"))
    rows.append(_row(2, "Time per mentee falls as a mentor's load rises",
                     "slope of hours per protege on number of mentees (status quo)",
                     runs.stat("status_quo", hours_load_slope), "<0"))
    rows.append(_row(2, "Quality per mentee falls past a comfortable load",
                     "mean quality within the comfortable load minus past it (status quo)",
                     runs.stat("status_quo", quality_drop(comfortable_load)), ">0"))
    rows.append(_row(3, "Networks leave fewer proteges with a badly uncovered function",
                     "network minus dyad: share of protege-months with a hole",
                     diff("network", "dyad", holes), "<0"))
    rows.append(_row(3, "Networks lose less when a mentor leaves",
                     "network minus dyad: share of a protege's mentor support lost with a departing mentor",
                     diff("network", "dyad", loss_per_mentor_exit), "<0"))
    rows.append(_row(4, "Peer mentoring raises psychosocial coverage",
                     "network with peers minus network: psychosocial coverage",
                     diff("network_peers", "network", coverage_of("psychosocial")), ">0"))
    rows.append(_row(4, "Peer mentoring raises collaboration (output)",
                     "network with peers minus network: publications per faculty-year",
                     diff("network_peers", "network", pubs_per_year), ">0"))
    rows.append(_row(5, "Where senior women are scarce, women have fewer concordant mentors",
                     "dyad: women with a woman mentor, years 1-5 minus years 31-40",
                     runs.stat("dyad", woman_mentor_early_minus_late), "<0"))
    rows.append(_row(5, "External ties raise concordant mentoring where senior women are scarce",
                     "small institutions, first decade: with minus without external ties, women with a woman mentor",
                     diff("small_institutions", "small_institutions_local_only", first_decade_woman_mentor), ">0"))
    rows.append(_row(5, "A women-mentor policy raises concordant mentoring",
                     "network with the policy minus network: women with a woman mentor",
                     diff("network_women_mentor_policy", "network",
                          lambda p, s: late(s, "share_women_with_woman_mentor")), ">0"))
    rows.append(_row(6, "Needs shift across a career",
                     "share of need in career and networking: associate minus early assistant professors",
                     runs.stat("network", needs_shift), ">0"))
    rows.append(_row(6, "A fixed committee falls behind changing needs",
                     "committee minus network: drop in coverage of the stage's top needs, early to associate",
                     diff("committee", "network", tracking_gap), ">0"))
    rows.append(_row(6, "A fixed dyad falls behind changing needs",
                     "dyad minus network: drop in coverage of the stage's top needs, early to associate",
                     diff("dyad", "network", tracking_gap), ">0"))

    def ext_effect(with_ext: str, without: str) -> np.ndarray:
        return diff(without, with_ext, holes)

    rows.append(_row(7, "External ties matter more when the local pool is small",
                     "hole reduction from external ties: small institutions minus default institutions",
                     ext_effect("small_institutions", "small_institutions_local_only")
                     - ext_effect("network", "network_local_only"), ">0"))
    rows.append(_row(8, "Women's share of full professors rises more slowly than the hiring share would allow",
                     "status quo, years 21-30: women's share of full professors among the hires minus the share "
                     "their hiring years would give if women and men were promoted and kept alike",
                     runs.stat("status_quo", full_share_gap), "<0"))
    return pd.DataFrame(rows)


def format_patterns(table: pd.DataFrame) -> str:
    lines = []
    for _, r in table.iterrows():
        verdict = "holds" if r["holds"] else "does NOT hold"
        lines.append(f"{r['pattern']}. {r['statement']}: {verdict}\n"
                     f"   {r['evidence']}: {r['mean']:+.4f} [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}] "
                     f"(expected {r['expected']})")
    return "\n".join(lines)


def run_patterns(replicates: int = 10, seed: int = 500, out: str | Path = "results/patterns",
                 sets: list[str] | tuple[str, ...] = (), executor: str = "processes", workers: int | None = None,
                 progress: bool = True) -> pd.DataFrame:
    """Run every variant on paired seeds, compute the patterns, write patterns.csv and .md."""
    from simulation.util import destination
    from simulation.config.scenario import load_scenario
    from simulation.experiments.executors import RunSpec, run_many

    out = destination.claim(out, "patterns")
    specs, index = [], {}
    for name, (scenario, extra) in VARIANTS.items():
        for r in range(replicates):
            p = load_scenario(scenario, [*sets, *extra, f"name={name}"], seed=seed + r)
            specs.append(RunSpec(p, out / "runs" / name / f"rep{r:03d}", {"variant": name, "replicate": r}))
            index[(name, r)] = len(specs) - 1
    folders = run_many(specs, executor=executor, workers=workers, progress=progress, desc="patterns")
    tables = {
        name: [(pd.read_parquet(folders[index[(name, r)]] / "people.parquet"),
                pd.read_parquet(folders[index[(name, r)]] / "series.parquet")) for r in range(replicates)]
        for name in VARIANTS
    }
    comfortable = specs[0].params.mentors.comfortable_load
    table = compute(Runs(tables), comfortable)
    destination.write_file(out / "patterns.csv", lambda tmp: table.to_csv(tmp, index=False))
    destination.write_text(out / "patterns.md", format_patterns(table) + "\n")
    return table
