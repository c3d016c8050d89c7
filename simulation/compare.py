"""Replicated, paired comparisons of scenarios.

Replicate r of every scenario runs with seed `seed + r`, so all scenarios face the same
people (common random numbers) and differences can be paired replicate by replicate.

    <out>/runs/<scenario>/rep<r>/   each run's tables and manifest
    <out>/outcomes.parquet          scenario x replicate x group, every outcome
    <out>/differences.parquet       each scenario minus the reference: paired mean and 95% CI,
                                    with the unpaired interval for comparison
    <out>/hazard_ratios.parquet     Cox model of leaving academia: scenario and gender,
                                    without and with publications
    <out>/comparison.json           what was compared, and how
    <out>/figures/, <out>/report.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import destination
from .outcomes import GROUPS, OUTCOMES, cohort, composition, mean_ci, outcomes
from .params import Params
from .results import TABLES, run_id
from .scenario import load_scenario, resolve_path, scenario_question
from .sweep import RunSpec, run_many

DEFAULT_SCENARIOS = ("status_quo", "dyad", "committee", "network", "network_peers")
DEFAULT_REPLICATES = 16

RUN_LEVEL: dict[str, str] = {
    "load_median": "median mentees (all kinds) among faculty with any, last 10 years",
    "load_p25": "25th percentile of mentees, last 10 years",
    "load_p75": "75th percentile of mentees, last 10 years",
    "mean_load_assistant": "mean mentees of assistant professors, last 10 years",
    "mean_load_associate": "mean mentees of associate professors, last 10 years",
    "mean_load_full": "mean mentees of full professors, last 10 years",
    "share_seniors_overloaded": "seniors past the comfortable load, last 10 years",
    "share_seniors_strong_all": "seniors strong in all five functions, last 10 years",
    "share_women_with_woman_mentor": "women proteges with a woman mentor, last 10 years",
    "share_women_assistant_end": "women's share of assistant professors at the end",
    "share_women_associate_end": "women's share of associate professors at the end",
    "share_women_full_end": "women's share of full professors at the end",
}

KEY_OUTCOMES = ("retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_5y", "grant_10y",
                "promoted_10y", "share_months_hole", "mean_unmet")


@dataclass
class Comparison:
    out: Path
    scenarios: list[str]
    reference: str
    outcomes: pd.DataFrame
    differences: pd.DataFrame
    hazard_ratios: pd.DataFrame
    meta: dict


def run_level(series: pd.DataFrame) -> dict[str, float]:
    last = series.iloc[-120:]
    comp = composition(series).iloc[-1]
    out = {k: float(last[k].mean()) for k in RUN_LEVEL if k in last.columns}
    for r in ("assistant", "associate", "full"):
        out[f"share_women_{r}_end"] = float(comp[f"share_women_{r}"])
    return out


def run_outcomes(folder: Path, scenario: str, replicate: int) -> pd.DataFrame:
    """One row per group for one run: every person-level outcome, plus run-level ones."""
    people = pd.read_parquet(folder / "people.parquet")
    series = pd.read_parquet(folder / "series.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    o = outcomes(people, manifest["n_months"])
    extras = run_level(series)
    for k, v in extras.items():
        o[k] = np.where(o["group"] == "all", v, np.nan)
    o.insert(0, "scenario", scenario)
    o.insert(1, "replicate", replicate)
    o.insert(2, "seed", manifest["seed"])
    return o


def paired_differences(table: pd.DataFrame, reference: str, columns: list[str] | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, with paired and unpaired CIs."""
    columns = columns or [c for c in table.columns if c not in ("scenario", "replicate", "seed", "group")]
    ref = table[table["scenario"] == reference].set_index(["replicate", "group"])
    rows = []
    for scenario in table["scenario"].unique():
        if scenario == reference:
            continue
        cur = table[table["scenario"] == scenario].set_index(["replicate", "group"])
        joined = cur.join(ref, lsuffix="", rsuffix="_ref", how="inner")
        for group in GROUPS:
            g = joined.xs(group, level="group") if group in joined.index.get_level_values("group") else None
            if g is None:
                continue
            for col in columns:
                a = g[col].to_numpy(dtype=float)
                b = g[f"{col}_ref"].to_numpy(dtype=float)
                ok = np.isfinite(a) & np.isfinite(b)
                if not ok.any():
                    continue
                a, b = a[ok], b[ok]
                diff, lo, hi = mean_ci(a - b, level)
                n = len(a)
                if n >= 2:
                    va, vb = a.var(ddof=1) / n, b.var(ddof=1) / n
                    se = np.sqrt(va + vb)
                    df = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1)) if va + vb > 0 else n - 1
                    half_unpaired = stats.t.ppf(0.5 + level / 2, df) * se
                else:
                    half_unpaired = np.nan
                rows.append({
                    "scenario": scenario, "reference": reference, "group": group, "outcome": col,
                    "n_replicates": n, "reference_mean": float(b.mean()), "scenario_mean": float(a.mean()),
                    "difference": diff, "ci_low": lo, "ci_high": hi,
                    "unpaired_ci_low": diff - half_unpaired, "unpaired_ci_high": diff + half_unpaired,
                    "paired_to_unpaired_width": (hi - lo) / (2 * half_unpaired) if half_unpaired > 0 else np.nan,
                })
    return pd.DataFrame(rows)


def hazard_ratios(pooled: pd.DataFrame, reference: str, max_rows: int = 150_000) -> pd.DataFrame:
    """Cox models of leaving academia among hires: scenario and gender, then adding publications."""
    from lifelines import CoxPHFitter

    data = pooled.copy()
    if len(data) > max_rows:  # keep whole replicates, so pairs stay paired
        keep = sorted(data["replicate"].unique())
        per = len(data) / len(keep)
        data = data[data["replicate"].isin(keep[: max(1, int(max_rows // per))])]
    design = pd.DataFrame({"years": data["years"].clip(lower=1 / 12), "left": data["left"].astype(int)})
    design["women"] = (data["gender"] == "women").astype(float).to_numpy()
    scenarios = [s for s in data["scenario"].unique() if s != reference]
    for s in scenarios:
        design[f"scenario: {s}"] = (data["scenario"] == s).astype(float).to_numpy()
    design["log publications per year"] = np.log1p(data["pubs"] / data["years"].clip(lower=0.5)).to_numpy()
    rows = []
    for label, covariates in (("without publications", [c for c in design.columns if c not in ("years", "left", "log publications per year")]),
                              ("with publications", [c for c in design.columns if c not in ("years", "left")])):
        cph = CoxPHFitter(penalizer=1e-6)
        cph.fit(design[["years", "left", *covariates]], duration_col="years", event_col="left")
        summ = cph.summary
        for cov in covariates:
            rows.append({
                "model": label, "covariate": cov,
                "hazard_ratio": float(summ.loc[cov, "exp(coef)"]),
                "ci_low": float(summ.loc[cov, "exp(coef) lower 95%"]),
                "ci_high": float(summ.loc[cov, "exp(coef) upper 95%"]),
                "p": float(summ.loc[cov, "p"]),
                "n": int(len(design)), "events": int(design["left"].sum()),
            })
    return pd.DataFrame(rows)


def pooled_hires(out: Path, scenarios: list[str], replicates: int) -> pd.DataFrame:
    frames = []
    cols = ["gender", "hire_month", "end_month", "censored", "pubs", "initial"]
    for s in scenarios:
        for r in range(replicates):
            p = pd.read_parquet(run_folder(out, s, r) / "people.parquet", columns=cols)
            c = cohort(p)
            c["scenario"] = s
            c["replicate"] = r
            frames.append(c)
    return pd.concat(frames, ignore_index=True)


def run_folder(out: Path, scenario: str, replicate: int) -> Path:
    return Path(out) / "runs" / scenario / f"rep{replicate:03d}"


def resolve(scenarios: list[str], sets: list[str]) -> dict[str, Params]:
    """Validate every scenario before anything runs."""
    resolved = {}
    for s in scenarios:
        p = load_scenario(s, sets)
        if p.name in resolved:
            raise ValueError(f"scenario {p.name!r} is listed twice")
        resolved[p.name] = p
    return resolved


def compare(
    scenarios: list[str] | tuple[str, ...] = DEFAULT_SCENARIOS,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 1,
    out: str | Path = "results/compare",
    reference: str | None = None,
    sets: list[str] | tuple[str, ...] = (),
    executor: str = "processes",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> Comparison:
    """Run every scenario `replicates` times on paired seeds; write tables, figures, report."""
    resolved = resolve(list(scenarios), list(sets))
    names = list(resolved)
    reference = reference or names[0]
    if reference not in resolved:
        raise ValueError(f"reference {reference!r} is not among the scenarios compared ({', '.join(names)})")
    out = destination.claim(out, "comparison")
    specs = []
    for r in range(replicates):
        for name, p in resolved.items():
            p_r = p.model_copy(update={"seed": seed + r})
            specs.append(RunSpec(p_r, run_folder(out, name, r), {"scenario": name, "replicate": r}))
    run_many(specs, executor=executor, workers=workers, address=address, progress=progress, desc="comparison")

    table = pd.concat(
        [run_outcomes(Path(s.out), s.labels["scenario"], s.labels["replicate"]) for s in specs],
        ignore_index=True,
    ).sort_values(["scenario", "replicate", "group"], key=lambda c: c.map({n: i for i, n in enumerate(names)}) if c.name == "scenario" else c)
    diffs = paired_differences(table, reference)
    hr = hazard_ratios(pooled_hires(out, names, replicates), reference)
    meta = {
        "scenarios": names,
        "reference": reference,
        "replicates": replicates,
        "seeds": [seed + r for r in range(replicates)],
        "sets": list(sets),
        "questions": {n: _question(n) for n in names},
        "descriptions": {n: resolved[n].description for n in names},
        "models": {n: resolved[n].mentoring.model for n in names},
        "run_ids": {n: [run_id(resolved[n].model_copy(update={"seed": seed + r})) for r in range(replicates)] for n in names},
        "outcomes": {**OUTCOMES, **RUN_LEVEL},
        "tables": list(TABLES),
    }
    out.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out / "outcomes.parquet", index=False)
    diffs.to_parquet(out / "differences.parquet", index=False)
    hr.to_parquet(out / "hazard_ratios.parquet", index=False)
    (out / "comparison.json").write_text(json.dumps(meta, indent=2) + "\n")
    comparison = Comparison(out, names, reference, table, diffs, hr, meta)
    if figures:
        from .report import write_report

        write_report(out)
    return comparison


def _question(name: str) -> str:
    path = resolve_path(name)
    return scenario_question(path, first_line=True) if path.exists() else ""


def load(out: str | Path) -> Comparison:
    """A finished comparison, from its folder."""
    out = Path(out)
    meta = json.loads((out / "comparison.json").read_text())
    return Comparison(
        out, meta["scenarios"], meta["reference"],
        pd.read_parquet(out / "outcomes.parquet"),
        pd.read_parquet(out / "differences.parquet"),
        pd.read_parquet(out / "hazard_ratios.parquet"),
        meta,
    )


def format_differences(diffs: pd.DataFrame, outcomes_shown: tuple[str, ...] = KEY_OUTCOMES) -> str:
    """The printed table: scenario x outcome rows, all / women / men columns, paired 95% CIs."""
    d = diffs[diffs["outcome"].isin(outcomes_shown)].copy()
    if d.empty:
        return "(no differences)"
    rows = []
    for (scenario, outcome), g in d.groupby(["scenario", "outcome"], sort=False):
        scale, unit = (1.0, "") if outcome == "pubs_per_faculty_year" else (100.0, " pp")
        row = {"scenario": scenario, "outcome": outcome}
        for group in GROUPS:
            x = g[g["group"] == group]
            if x.empty:
                row[group] = ""
                continue
            x = x.iloc[0]
            row[group] = (f"{scale * x['difference']:+.2f} [{scale * x['ci_low']:+.2f}, {scale * x['ci_high']:+.2f}]"
                          if unit == "" else
                          f"{scale * x['difference']:+.1f} [{scale * x['ci_low']:+.1f}, {scale * x['ci_high']:+.1f}]")
        ref = g[g["group"] == "all"]["reference_mean"]
        row["reference (all)"] = (f"{ref.iloc[0]:.2f}" if unit == "" else f"{100 * ref.iloc[0]:.1f}%") if len(ref) else ""
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {o: i for i, o in enumerate(outcomes_shown)}
    table["_o"] = table["outcome"].map(order)
    scen_order = {s: i for i, s in enumerate(d["scenario"].unique())}
    table["_s"] = table["scenario"].map(scen_order)
    table = table.sort_values(["_s", "_o"]).drop(columns=["_o", "_s"])
    return table.to_string(index=False)
