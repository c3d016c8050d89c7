"""`careersim analyze <sweep folder>`: sensitivity analysis of a parameter sweep.

Reads what the sweep engine writes (`sweep.json`, `design.parquet`, the Hive-partitioned
`runs/shard=<k>/task-<t>.parquet` dataset) and writes, under `<sweep>/analysis/`:

- `point_means`: per design point, mentoring model and outcome, the mean over replicates
  with its 95% t-interval; when two or more models are compared, each model's paired
  advantage over the first (replicate by replicate, e.g. network − dyad) is an extra series,
  signed by the outcome registry's direction so that positive is better for faculty (for an
  outcome where lower is better, the first model's level minus the other's; for one that is
  neither, the other's minus the first's);
- `sign_bins` and `sign_changes`: for each advantage, outcome and parameter, the mean
  advantage in bins of the parameter's range, and where it changes sign (a monotone fit);
- by design: `sobol_indices` (S1, ST of the replicate means with the replicate noise's part
  removed, 95% intervals carrying design sampling and noise; `simulation.analysis.sensitivity`),
  `morris` (mu*, its interval, mu, sigma, the noise floor), `grid_surfaces` (mean and 95%
  t-interval per grid cell), `main_effects` and `effect_ranges` (each parameter's main-effect
  range with an interval for the noise), `lhs_correlations` (Spearman rank correlations and standardized regression
  coefficients, with 95% intervals);
- `importance`: the measure that ranks the parameters for this design, per outcome;
- `figures/*.png` (seaborn) and `report.html`, a self-contained page in the style of a
  comparison's report.

Every table is written once, as CSV, atomically; the page shows the figures from `figures/`
(keep the folder together when you move the page). `analyze()` is the function the
command line calls; it raises `SweepError` (a one-line message) for a folder that is not a
sweep or a sweep that cannot be analysed.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.analysis.outcomes import REGISTRY, difference_unit, digits, direction, is_share, label, scale, unit
from simulation.util.progress import step
from simulation.run.reproducibility import RTOL

KINDS = ("grid", "lhs", "sobol", "morris")
GROUP_CHOICES = ("all", "women", "men")
# the outcomes a reader looks at first (the comparison report's headline), in this order
HEADLINE = ("retention_10y", "pubs_per_faculty_year", "grant_10y", "promoted_10y", "share_months_hole",
            "retention_5y", "grant_5y")
MAX_FIGURE_OUTCOMES = 6  # per kind of figure; every outcome is in the tables
BOOTSTRAP = 500  # resamples for the Sobol and Morris intervals
MINUS = "\u2212"


class SweepError(ValueError):
    """A folder that is not a sweep, or a sweep that cannot be analysed; the message is one line."""


# --- reading a sweep ------------------------------------------------------------------------------

@dataclass
class Sweep:
    folder: Path
    manifest: dict
    design: pd.DataFrame  # point + one column per parameter, in design order
    runs: pd.DataFrame  # every row of the runs dataset
    kind: str
    parameters: list[str]
    models: list[str]
    outcomes: list[str]

    @property
    def replicates(self) -> int:
        return int(self.manifest.get("replicates") or 1)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.folder.name)

    @property
    def members(self) -> int:
        """How many calibrated ensemble members the sweep ran across (replicate r on member r mod M); 0
        for a sweep at the point calibration."""
        ensemble = self.manifest.get("ensemble") if self.manifest.get("calibration") == "ensemble" else None
        return int(ensemble.get("members") or 0) if isinstance(ensemble, dict) else 0


def load_sweep(folder: str | Path) -> Sweep:
    """Read a sweep folder; `SweepError` with one line if it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepError(
            f"{folder}: no such folder; give the folder a sweep wrote (`careersim sweep <file> --out <folder>`)"
        )
    mpath = folder / "sweep.json"
    if not mpath.is_file():
        raise SweepError(f"{folder}: not a sweep folder (no sweep.json); run `careersim sweep <sweep file>` first")
    try:
        manifest = json.loads(mpath.read_text())
        design_meta = manifest["design"]
        kind = design_meta["kind"]
        parameters = [p["name"] for p in design_meta["parameters"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SweepError(f"{mpath}: not a readable sweep manifest ({type(exc).__name__}: {exc}); "
                         "re-run `careersim sweep` into a new folder") from None
    if kind not in KINDS:
        raise SweepError(f"{mpath}: unknown design kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not parameters:
        raise SweepError(f"{mpath}: the design has no parameters; nothing to analyse")
    dpath = folder / "design.parquet"
    if not dpath.is_file():
        raise SweepError(f"{folder}: no design.parquet; the sweep was not started (run `careersim sweep` again)")
    design = pd.read_parquet(dpath)
    missing_cols = [p for p in ["point", *parameters] if p not in design.columns]
    if missing_cols:
        raise SweepError(
            f"{dpath}: lacks the columns {', '.join(missing_cols)}; re-run `careersim sweep` into a new folder"
        )
    design = design.sort_values("point", kind="stable").reset_index(drop=True)
    models = [str(m) for m in (manifest.get("models") or [])]
    outcomes = [str(o) for o in (manifest.get("outcomes") or [])]
    runs = _read_runs(folder / "runs")
    if len(runs):
        outcomes = [o for o in outcomes if o in runs.columns]
    return Sweep(folder, manifest, design, runs, kind, parameters, models, outcomes)


def _read_runs(path: Path) -> pd.DataFrame:
    if not path.is_dir() or not any(path.rglob("*.parquet")):
        return pd.DataFrame()
    import pyarrow.dataset as ds

    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    runs = table.to_pandas()
    runs = runs.drop(columns=[c for c in ("shard",) if c in runs.columns])
    if "model" in runs.columns:
        runs["model"] = runs["model"].fillna("").astype(str)
    return unique_runs(runs)  # a run found in two task files counts once


# the columns that name one run and group in a sweep's rows
RUN_KEYS = ("point", "replicate", "model", "group")


def unique_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run and group. The same task can have two files (a local run beside shard
    runs, two shardings at once, a retry killed between writing and removing): the rows are the
    same run's, so one is kept, a finished one before a failed one."""
    keys = [k for k in RUN_KEYS if k in frame.columns]
    if not keys or not frame.duplicated(keys).any():
        return frame
    failed = frame["status"].ne("ok") if "status" in frame.columns else pd.Series(False, index=frame.index)
    return (frame.assign(_failed=failed).sort_values([*keys, "_failed"], kind="stable")
            .drop_duplicates(keys).drop(columns="_failed"))


# --- the machines the tasks ran on ------------------------------------------------------------------

TASK_KEY = b"careersim_task"  # a task file's record (sweeps.task_record) in its Parquet footer
# what a run's floats may depend on: the kernels' target and features, numpy's vector loops
MACHINE_KEYS = ("kernel_target", "kernel_features", "numpy_simd")


def task_machines(folder: str | Path) -> list[dict]:
    """The kinds of machine a sweep's task files ran on (their records' kernel target, its features'
    hash and numpy's SIMD set), each with its CPU models, hosts and how many task files; files
    written before task records are counted under an unknown machine."""
    import pyarrow.parquet as pq

    kinds: dict[tuple, dict] = {}
    for f in sorted((Path(folder) / "runs").glob("shard=*/task-*.parquet")):
        try:
            meta = pq.read_schema(f).metadata or {}
            record = json.loads(meta[TASK_KEY]) if TASK_KEY in meta else {}
        except (OSError, ValueError):
            record = {}
        m = record.get("machine") or {}
        key = tuple(str(m.get(k, "unknown")) for k in MACHINE_KEYS)
        kind = kinds.setdefault(key, {**dict(zip(MACHINE_KEYS, key)), "cpus": set(), "hosts": set(), "tasks": 0})
        kind["tasks"] += 1
        kind["cpus"].add(str(m.get("cpu", "unknown")))
        kind["hosts"].add(str(record.get("host", "unknown")))
    return [{**k, "cpus": sorted(k["cpus"]), "hosts": sorted(k["hosts"])} for k in kinds.values()]


MIXED_MACHINES = ("the reproducibility guarantee covers them: the people and every count are identical and "
                  f"floating-point values equal within a relative {RTOL:g} (README, Reproducibility)")


def machines_text(kinds: list[dict]) -> str | None:
    """A line when the tasks ran on more than one kind of machine (kernel target, its features or numpy's
    SIMD set), naming them and what the reproducibility guarantee says; None when all ran on one."""
    if len(kinds) < 2:
        return None
    parts = [f"{k['tasks']} on {k['kernel_target']} (features {k['kernel_features']}; numpy SIMD "
             f"{k['numpy_simd'] or 'none'}; {', '.join(k['cpus'][:2])})" for k in kinds]
    return f"the task files ran on {len(kinds)} kinds of machine: " + "; ".join(parts) + f"; {MIXED_MACHINES}"


# --- what is analysed: series (a model's levels, or a pair's advantage) x outcome ----------------

def advantage_name(a: str, b: str) -> str:
    """The series of b's paired advantage over a: 'network − dyad'."""
    return f"{b} {MINUS} {a}"


def better_sign(o: str) -> int:
    """+1 or -1: the factor that makes a difference of the outcome an advantage, positive = better
    for faculty (the registry's direction; an outcome that is neither keeps the plain difference)."""
    return -1 if direction(o) < 0 else 1


def advantage_meaning(o: str) -> str:
    """What a positive advantage in the outcome means, in words."""
    d = direction(o)
    if d > 0:
        return "positive: better for faculty (higher)"
    if d < 0:
        return "positive: better for faculty (lower)"
    return "positive: higher (neither better nor worse for faculty)"


def pairs(models: list[str]) -> list[tuple[str, str]]:
    """(first model, other model) for each other model: advantages are measured from the first."""
    return [(models[0], m) for m in models[1:]] if len(models) >= 2 else []


def replicate_values(sweep: Sweep, group: str = "all") -> pd.DataFrame:
    """Long table: point, replicate, series, kind ('level' or 'advantage'), outcome, value (finite ok runs only).

    Levels: one series per model ('' when the sweep compares none). Advantages: model b against
    the first model a, paired on replicate (the same seed), where both runs gave a value, signed
    so that positive is better for faculty (`better_sign`: b − a, or a − b where lower is better)."""
    cols = ["point", "replicate", "series", "kind", "outcome", "value"]
    r = sweep.runs
    if r.empty or not sweep.outcomes:
        return pd.DataFrame(columns=cols)
    r = r[(r["group"] == group) & (r["status"] == "ok")]
    if "model" not in r.columns:
        r = r.assign(model="")
    wide = r[["point", "replicate", "model", *sweep.outcomes]]
    long = wide.melt(id_vars=["point", "replicate", "model"], var_name="outcome", value_name="value")
    long["value"] = long["value"].astype(float)
    long = long[np.isfinite(long["value"])]
    levels = long.rename(columns={"model": "series"}).assign(kind="level")
    frames = [levels[cols]]
    if pairs(sweep.models):
        piv = long.pivot_table(index=["point", "replicate", "outcome"], columns="model", values="value", aggfunc="mean")
        for a, b in pairs(sweep.models):
            if a in piv.columns and b in piv.columns:
                d = (piv[b] - piv[a]).dropna().rename("value").reset_index()
                d["value"] *= d["outcome"].map(better_sign).astype(float)
                frames.append(d.assign(series=advantage_name(a, b), kind="advantage")[cols])
    out = pd.concat(frames, ignore_index=True)
    out["point"] = out["point"].astype("int64")
    return out


def point_means(values: pd.DataFrame, design: pd.DataFrame, parameters: list[str], level: float = 0.95,
                members: int = 0) -> pd.DataFrame:
    """Per point, series and outcome: mean over replicates, sd, n and the 95% t-interval; with the parameters.

    Across a calibrated ensemble (`members` > 1: replicate r ran on member r mod `members`), the mean
    and interval are a comparison's (`analysis.comparison.ensemble_interval`: the mean of member-level
    means, the t-interval of their spread on M - 1 degrees of freedom), so they carry the calibration's
    uncertainty and chance alike, with the parameters' share of it (`share_parameters`, `share_low`,
    `share_high`; NaN where not estimable, and at the point calibration)."""
    from scipy import stats

    cols = ["point", *parameters, "series", "kind", "outcome", "mean", "sd", "n", "ci_low", "ci_high",
            "share_parameters", "share_low", "share_high"]
    if values.empty:
        return pd.DataFrame(columns=cols)
    g = values.groupby(["point", "series", "kind", "outcome"], sort=False)["value"]
    t = g.agg(mean="mean", sd="std", n="count").reset_index()
    half = stats.t.ppf(0.5 + level / 2, np.maximum(t["n"] - 1, 1)) * t["sd"] / np.sqrt(t["n"])
    half = np.where(t["n"] >= 2, half, np.nan)
    t["ci_low"], t["ci_high"] = t["mean"] - half, t["mean"] + half
    t["share_parameters"] = t["share_low"] = t["share_high"] = np.nan
    if members > 1:
        from simulation.analysis.comparison import ensemble_interval

        split = {key: ensemble_interval(grp["value"].to_numpy(float), grp["replicate"].to_numpy(int) % members, level)
                 for key, grp in values.groupby(["point", "series", "kind", "outcome"], sort=False)}
        keys = list(zip(t["point"], t["series"], t["kind"], t["outcome"]))
        for col, name in (("mean", "difference"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                          ("share_parameters", "share_parameters"), ("share_low", "share_low"),
                          ("share_high", "share_high")):
            t[col] = [split[k][name] for k in keys]
    t = t.merge(design[["point", *parameters]], on="point", how="left")
    return t[cols].sort_values(["series", "outcome", "point"], kind="stable").reset_index(drop=True)


def noise_shares(values: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    """Per series and outcome: the share of the variance of the point means that replicate noise
    alone would give (`sensitivity.noise_variance`: with common seeds, only the noise that differs
    between points counts), over the replicates with a value at every point; NaN with one."""
    from simulation.analysis.sensitivity import noise_variance

    rows = []
    for (series, kind, o), _ in values.groupby(["series", "kind", "outcome"], sort=False):
        Y = _complete_replicates(replicate_matrix(values, design, series, o))
        Y = Y[np.isfinite(Y).all(axis=1)] if Y.size else Y
        share = np.nan
        if Y.shape[1] >= 2 and len(Y) >= 2:
            between = Y.mean(axis=1).var(ddof=1)
            noise = noise_variance(Y)
            share = min(noise / between, 1.0) if between > 0 else 1.0
        rows.append({"series": series, "kind": kind, "outcome": o, "noise_share": share})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "noise_share"])


def series_order(sweep: Sweep) -> list[tuple[str, str]]:
    """(series, kind) in reading order: each model's levels, then the advantages."""
    levels = [(m, "level") for m in (sweep.models or [""])]
    return levels + [(advantage_name(a, b), "advantage") for a, b in pairs(sweep.models)]


def outcome_order(outcomes: list[str]) -> list[str]:
    head = [o for o in HEADLINE if o in outcomes]
    return head + [o for o in outcomes if o not in head]


# --- completeness ---------------------------------------------------------------------------------

def completeness(sweep: Sweep, group: str = "all") -> dict:
    """Which design points have no finished run, and how many runs failed."""
    expected = set(sweep.design["point"].astype(int))
    r = sweep.runs
    if r.empty:
        return {"expected": len(expected), "missing": sorted(expected), "failed_runs": 0, "failed_points": [],
                "partial_points": [], "errors": []}
    r = r[r["group"] == group] if "group" in r.columns else r
    ok = r[r["status"] == "ok"]
    have = set(ok["point"].astype(int))
    failed = r[r["status"] != "ok"]
    n_models = max(1, len(sweep.models))
    per_point = ok.groupby("point").size()
    partial = sorted(int(p) for p, n in per_point.items() if n < sweep.replicates * n_models and int(p) in expected)
    errors = []
    if "error" in failed.columns:
        errors = [str(e) for e in failed["error"].dropna().astype(str).value_counts().index[:3] if str(e)]
    return {"expected": len(expected), "missing": sorted(expected - have), "failed_runs": int(len(failed)),
            "failed_points": sorted(set(failed["point"].astype(int)) - have), "partial_points": partial,
            "errors": errors}


def horizon_years(sweep: Sweep) -> float | None:
    """The runs' length in years, from the manifest (or its [fixed] settings); None when swept or unknown."""
    m = sweep.manifest
    if "horizon_years" in sweep.parameters:
        return None
    if isinstance(m.get("horizon_years"), (int, float)):
        return float(m["horizon_years"])
    for line in m.get("fixed") or []:
        key, _, value = str(line).partition("=")
        if key.strip() == "horizon_years":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _why_no_value(sweep: Sweep, outcome: str, group: str = "all") -> str:
    """': <why>' when no run of the sweep gave the outcome a value (the registry's reason), else ''."""
    r = sweep.runs
    if outcome not in r.columns:
        return ""
    ok = r[(r["group"] == group) & (r["status"] == "ok")] if "group" in r.columns else r
    if np.isfinite(ok[outcome].astype(float)).any():
        return ""
    h = horizon_years(sweep)
    if h is None:
        return ": no run gave a value"
    from simulation.analysis.outcomes import why_missing

    return f": {why_missing(outcome, h, group)}"


def _missing_message(sweep: Sweep, missing: list[int]) -> str:
    return (f"{sweep.folder}: {len(missing)} of {len(sweep.design)} design points have no finished run, and a "
            f"{sweep.kind} analysis needs every point; finish the sweep first (see `careersim sweep <sweep file> --out "
            f"{sweep.folder} --status`)")


# --- Sobol and Morris (SALib) ----------------------------------------------------------------------

def salib_problem(sweep: Sweep) -> dict:
    meta = sweep.manifest["design"]
    prob = meta.get("salib_problem") or {}
    names = list(prob.get("names") or sweep.parameters)
    bounds = prob.get("bounds") or [[p["low"], p["high"]] for p in meta["parameters"]]
    return {
        "num_vars": int(prob.get("num_vars") or len(names)), "names": names,
        "bounds": [list(map(float, b)) for b in bounds]
    }


def replicate_matrix(values: pd.DataFrame, design: pd.DataFrame, series: str, outcome: str) -> np.ndarray:
    """Y[point, replicate]: one series' outcome at every design point (design order), one column per
    replicate (NaN where a run gave no value)."""
    d = values[(values["series"] == series) & (values["outcome"] == outcome)]
    if d.empty:
        return np.full((len(design), 1), np.nan)
    wide = d.pivot_table(index="point", columns="replicate", values="value", aggfunc="mean")
    return wide.reindex(design["point"].to_numpy()).to_numpy(float)


def _complete_replicates(Y: np.ndarray) -> np.ndarray:
    """The replicates with a value at every point (an index shares its replicates across points)."""
    return Y[:, np.isfinite(Y).all(axis=0)]


SOBOL_COLUMNS = ["series", "kind", "outcome", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
                 "noise_share", "replicates"]


def sobol_indices(sweep: Sweep, values: pd.DataFrame, notes: list[dict], seed: int | None = None) -> pd.DataFrame:
    """S1 and ST of the replicate means, replicate noise removed, with 95% intervals that carry the
    design's sampling and the noise (`simulation.analysis.sensitivity.sobol_noisy`), per series,
    outcome and parameter."""
    from simulation.analysis.sensitivity import sobol_noisy

    problem = salib_problem(sweep)
    second = bool(sweep.manifest["design"].get("calc_second_order", True))
    seed = int(sweep.manifest.get("seed") or 0) if seed is None else seed
    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            what = f"Sobol indices of {target_text(series, kind, o)}"
            Y = replicate_matrix(values, sweep.design, series, o)
            Yc = _complete_replicates(Y)
            if Yc.shape[1] == 0:
                bad = int((~np.isfinite(Y).any(axis=1)).sum())
                notes.append({"what": what, "why": (f"{bad} of {len(Y)} design points gave no value" if bad else
                                                    "no replicate has a value at every design point")
                              + _why_no_value(sweep, o)})
                continue
            if Yc.shape[1] < Y.shape[1]:
                notes.append({"what": what, "why": f"computed from the {Yc.shape[1]} of {Y.shape[1]} replicates "
                                                   "that have a value at every design point"})
            if np.ptp(Yc) == 0:
                notes.append({"what": what,
                              "why": "the outcome is the same at every design point (no variance to apportion)"})
                continue
            try:
                res = sobol_noisy(Yc, problem["num_vars"], second, resamples=BOOTSTRAP, seed=seed)
            except ValueError as exc:
                raise SweepError(f"{sweep.folder}: this Sobol design cannot be analysed ({exc})") from None
            if not np.isfinite(res["ST"]).any():
                notes.append({"what": what, "why": "its point means vary no more than its replicate noise alone would "
                                                   f"make them ({Yc.shape[1]} replicates per point): nothing to "
                                                   "apportion; more replicates per point would tell"})
                continue
            for k, p in enumerate(problem["names"]):
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p,
                             **{c: float(res[c][k]) for c in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")},
                             "noise_share": res["noise_share"], "replicates": res["replicates"]})
    return pd.DataFrame(rows, columns=SOBOL_COLUMNS)


def sobol_inconsistencies(t: pd.DataFrame) -> dict[str, int]:
    """How many indices break 0 <= S <= 1 or S1 <= ST by more than their 95% intervals allow."""
    if t.empty:
        return {"rows": 0, "negative": 0, "above_one": 0, "s1_above_st": 0}
    return {"rows": len(t),
            "negative": int(((t["S1_high"] < 0) | (t["ST_high"] < 0)).sum()),
            "above_one": int(((t["S1_low"] > 1) | (t["ST_low"] > 1)).sum()),
            "s1_above_st": int((t["S1_low"] > t["ST_high"]).sum())}


MORRIS_COLUMNS = ["series", "kind", "outcome", "parameter", "mu_star", "mu_star_low", "mu_star_high", "mu", "sigma",
                  "noise_floor", "trajectories", "replicates"]


def morris_indices(sweep: Sweep, values: pd.DataFrame, notes: list[dict], seed: int | None = None) -> pd.DataFrame:
    """mu*, its 95% interval (trajectories resampled with their replicates), mu, sigma and the
    noise floor of mu* per series, outcome and parameter, from the replicate means
    (`simulation.analysis.sensitivity.morris_noisy`).

    Trajectories with a missing point are left out (and said so); at least two complete ones are needed."""
    from simulation.analysis.sensitivity import morris_noisy

    problem = salib_problem(sweep)
    d = problem["num_vars"]
    seed = int(sweep.manifest.get("seed") or 0) if seed is None else seed
    X = sweep.design[problem["names"]].to_numpy(float)
    size = d + 1
    if len(X) % size:
        raise SweepError(f"{sweep.folder}: the Morris design has {len(X)} points, not a whole number of "
                         f"trajectories of {size}; re-run `careersim sweep` into a new folder")
    log = [p.get("distribution") == "loguniform" for p in sweep.manifest["design"]["parameters"]]
    # each step of a trajectory moves exactly one parameter; a step that rounding (integer
    # parameters) made invisible leaves its trajectory unreadable, so it is left out
    steps = np.diff(X.reshape(-1, size, d), axis=1)
    readable = ((steps != 0).sum(axis=2) == 1).all(axis=1)
    if not readable.all():
        notes.append({"what": f"{int((~readable).sum())} of {len(readable)} Morris trajectories",
                      "why": "a step in them changes no parameter or several (integer rounding), so they are left out"})
    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            what = f"Morris effects of {target_text(series, kind, o)}"
            Y = replicate_matrix(values, sweep.design, series, o)
            full = np.isfinite(Y).all(axis=1) if Y.shape[1] else np.zeros(len(Y), bool)
            ok = full.reshape(-1, size).all(axis=1) & readable
            if ok.sum() < 2:
                notes.append({"what": what, "why": f"only {int(ok.sum())} of {len(ok)} trajectories have a value at "
                                                   "every point (2 needed)" + _why_no_value(sweep, o)})
                continue
            if not ok.all():
                notes.append({"what": what, "why": f"computed from {int(ok.sum())} of {len(ok)} trajectories "
                                                   "(the others miss a point)"})
            keep = np.repeat(ok, size)
            res = morris_noisy(X[keep], Y[keep], problem["bounds"], log, resamples=BOOTSTRAP, seed=seed)
            for k, p in enumerate(problem["names"]):
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p,
                             **{c: float(res[c][k]) for c in ("mu_star", "mu_star_low", "mu_star_high", "mu",
                                                              "sigma", "noise_floor")},
                             "trajectories": int(ok.sum()), "replicates": res["replicates"]})
    return pd.DataFrame(rows, columns=MORRIS_COLUMNS)


# --- grids and Latin hypercubes --------------------------------------------------------------------

def grid_surfaces(pm: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Each grid cell (design point): the parameters, mean over replicates and its 95% t-interval."""
    return pm[["point", *parameters, "series", "kind", "outcome", "mean", "ci_low", "ci_high", "n"]].copy()


def main_effects(pm: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Per parameter value: the mean of the point means over the other parameters (a grid's main effect)."""
    rows = []
    for p in parameters:
        g = pm.groupby(["series", "kind", "outcome", p], sort=True)["mean"].agg(["mean", "count"]).reset_index()
        rows.append(g.rename(columns={p: "value", "count": "points"}).assign(parameter=p))
    if not rows:
        return pd.DataFrame(columns=["series", "kind", "outcome", "parameter", "value", "mean", "points"])
    return pd.concat(rows, ignore_index=True)[["series", "kind", "outcome", "parameter", "value", "mean", "points"]]


def effect_ranges(sweep: Sweep, values: pd.DataFrame) -> pd.DataFrame:
    """Per series, outcome and grid parameter: the range of its main effect (largest minus smallest
    mean over its values) with a 95% interval for the replicate noise (`sensitivity.main_effect_range`)."""
    from simulation.analysis.sensitivity import main_effect_range

    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            Y = replicate_matrix(values, sweep.design, series, o)
            for p in sweep.parameters:
                est, lo, hi = main_effect_range(sweep.design[p].to_numpy(float), Y,
                                                seed=int(sweep.manifest.get("seed") or 0))
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p, "effect_range": est,
                             "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "parameter", "effect_range", "ci_low", "ci_high"])


def lhs_correlations(pm: pd.DataFrame, parameters: list[str], level: float = 0.95) -> pd.DataFrame:
    """Spearman rank correlation (Fisher-z interval, Fieller's variance) and standardized regression
    coefficient (OLS of the standardized point means on the standardized parameters, t-interval)."""
    from scipy import stats

    zq = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for (series, kind, o), g in pm.groupby(["series", "kind", "outcome"], sort=False):
        g = g[np.isfinite(g["mean"])]
        n = len(g)
        X = g[parameters].to_numpy(float)
        y = g["mean"].to_numpy(float)
        sx, sy = X.std(axis=0, ddof=1) if n > 1 else np.zeros(len(parameters)), y.std(ddof=1) if n > 1 else 0.0
        src = np.full(len(parameters), np.nan)
        src_half = np.full(len(parameters), np.nan)
        r2 = np.nan
        usable = sx > 0
        if n > usable.sum() + 1 and sy > 0 and usable.any():
            Z = (X[:, usable] - X[:, usable].mean(axis=0)) / sx[usable]
            zy = (y - y.mean()) / sy
            A = np.column_stack([np.ones(n), Z])
            coef, *_ = np.linalg.lstsq(A, zy, rcond=None)
            resid = zy - A @ coef
            dof = n - A.shape[1]
            s2 = resid @ resid / dof
            cov = s2 * np.linalg.pinv(A.T @ A)
            src[usable] = coef[1:]
            src_half[usable] = stats.t.ppf(0.5 + level / 2, dof) * np.sqrt(np.diag(cov)[1:])
            r2 = 1 - (resid @ resid) / (zy @ zy)
        for k, p in enumerate(parameters):
            rho = np.nan
            lo = hi = np.nan
            if n >= 4 and sx[k] > 0 and sy > 0:
                rho = float(stats.spearmanr(X[:, k], y).statistic)
                z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
                se = np.sqrt(1.06 / (n - 3))
                lo, hi = min(rho, float(np.tanh(z - zq * se))), max(rho, float(np.tanh(z + zq * se)))
            rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p, "spearman": rho,
                         "spearman_low": lo, "spearman_high": hi, "src": src[k], "src_low": src[k] - src_half[k],
                         "src_high": src[k] + src_half[k], "r2": r2, "points": n})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "parameter", "spearman", "spearman_low",
                                       "spearman_high", "src", "src_low", "src_high", "r2", "points"])


# --- where an advantage changes sign -----------------------------------------------------------------

def _bins(x: np.ndarray, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Bin index per value and bin edges: one bin per distinct value when there are few (grids)."""
    u = np.unique(x)
    if len(u) <= n_bins:
        edges = np.concatenate([[u[0]], (u[:-1] + u[1:]) / 2, [u[-1]]]) if len(u) > 1 else np.array([u[0], u[0]])
        return np.searchsorted(u, x), edges
    edges = np.linspace(x.min(), x.max(), n_bins + 1)
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n_bins - 1), edges


def monotone_threshold(x: np.ndarray, y: np.ndarray) -> tuple[float, int, float]:
    """Fit y as a monotone function of x (isotonic, the better of increasing and decreasing) and
    return (x where the fit crosses zero or NaN, +1 if it rises through zero / -1 if it falls / 0, R^2 of the fit)."""
    from scipy.optimize import isotonic_regression

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3:
        return np.nan, 0, np.nan
    ux, inv = np.unique(x, return_inverse=True)
    w = np.bincount(inv).astype(float)
    ym = np.bincount(inv, weights=y) / w
    best = None
    for inc in (True, False):
        fit = isotonic_regression(ym, weights=w, increasing=inc).x
        sse = float(np.sum(w * (ym - fit) ** 2))
        if best is None or sse < best[0]:
            best = (sse, inc, fit)
    sse, inc, fit = best
    sst = float(np.sum(w * (ym - np.average(ym, weights=w)) ** 2))
    r2 = 1 - sse / sst if sst > 0 else np.nan
    s = np.sign(fit)
    if not ((s > 0).any() and (s < 0).any()):
        return np.nan, 0, r2
    if inc:
        k = int(np.argmax(fit > 0))  # first positive
        j = k - 1  # last non-positive
    else:
        k = int(np.argmax(fit < 0))
        j = k - 1
    # interpolate between the last x on one side and the first on the other, through zero
    f0, f1 = fit[j], fit[k]
    t = ux[j] + (ux[k] - ux[j]) * (0 - f0) / (f1 - f0) if f1 != f0 else (ux[j] + ux[k]) / 2
    return float(t), (1 if inc else -1), r2


def sign_analysis(pm: pd.DataFrame, parameters: list[str], n_bins: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each advantage series, outcome and parameter: binned mean advantage (with a 95% interval
    over the points in the bin) and the sign; and the threshold where a monotone fit changes sign."""
    from scipy import stats

    adv = pm[pm["kind"] == "advantage"]
    bins_rows, change_rows = [], []
    for (series, o), g in adv.groupby(["series", "outcome"], sort=False):
        g = g[np.isfinite(g["mean"])]
        if g.empty:
            continue
        for p in parameters:
            x, y = g[p].to_numpy(float), g["mean"].to_numpy(float)
            idx, edges = _bins(x, n_bins)
            lo_pt, hi_pt = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
            for b in range(len(edges) - 1):
                yy = y[idx == b]
                if len(yy) == 0:
                    continue
                m = float(yy.mean())
                if len(yy) > 1:  # over the points in the bin (the other parameters vary)
                    half = stats.t.ppf(0.975, len(yy) - 1) * yy.std(ddof=1) / np.sqrt(len(yy))
                else:  # one point (a one-parameter grid): its interval over replicates
                    half = float(np.max(np.abs([lo_pt[idx == b][0] - m, hi_pt[idx == b][0] - m])))
                sure = bool(np.isfinite(half) and abs(m) > half)
                bins_rows.append({"series": series, "outcome": o, "parameter": p, "bin": b, "low": edges[b],
                                  "high": edges[b + 1], "centre": float(x[idx == b].mean()), "points": len(yy),
                                  "mean": m, "ci_low": m - half, "ci_high": m + half,
                                  "sign": "+" if m > 0 else MINUS if m < 0 else "0", "clear": bool(sure)})
            t, sense, r2 = monotone_threshold(x, y)
            mine = [r for r in bins_rows if r["series"] == series and r["outcome"] == o and r["parameter"] == p]
            signs = [r["sign"] for r in mine]
            flips = sum(1 for a, b in zip(signs, signs[1:]) if {a, b} == {"+", MINUS})
            # a sign change counts when the advantage has a clear monotone trend in the parameter (Spearman
            # p < 0.05) and a bin is clearly positive on one side of the threshold and another clearly negative
            # on the other (95% intervals)
            clear, rho, pval, pos_ok, neg_ok = False, np.nan, np.nan, False, False
            if len(np.unique(x)) >= 3 and np.ptp(y) > 0:
                trend = stats.spearmanr(x, y)
                rho, pval = float(trend.statistic), float(trend.pvalue)
            if np.isfinite(t) and sense != 0:
                side = [sense * (r["centre"] - t) for r in mine]
                pos_ok = any(r["clear"] and r["sign"] == "+" and d > 0 for r, d in zip(mine, side))
                neg_ok = any(r["clear"] and r["sign"] == MINUS and d < 0 for r, d in zip(mine, side))
                clear = bool(pval < 0.05 and np.sign(rho) == sense and pos_ok and neg_ok)
            change_rows.append({"series": series, "outcome": o, "parameter": p, "low": float(x.min()),
                                "high": float(x.max()), "threshold": t, "sense": sense,
                                "positive_share": float((y > 0).mean()), "mean_min": float(y.min()),
                                "mean_max": float(y.max()), "bin_sign_changes": flips, "clear": bool(clear),
                                "clear_positive": bool(pos_ok), "clear_negative": bool(neg_ok), "trend_rho": rho,
                                "trend_p": pval, "fit_r2": r2, "n_parameters": len(parameters)})
    bins = pd.DataFrame(bins_rows, columns=["series", "outcome", "parameter", "bin", "low", "high", "centre", "points",
                                            "mean", "ci_low", "ci_high", "sign", "clear"])
    changes = pd.DataFrame(change_rows, columns=["series", "outcome", "parameter", "low", "high", "threshold", "sense",
                                                 "positive_share", "mean_min", "mean_max", "bin_sign_changes", "clear",
                                                 "clear_positive", "clear_negative", "trend_rho", "trend_p", "fit_r2",
                                                 "n_parameters"])
    if len(changes):
        changes["sentence"] = [sign_sentence(r) for _, r in changes.iterrows()]
    else:
        changes["sentence"] = pd.Series(dtype=str)
    return bins, changes


def _fmt_param(p: str, x: float) -> str:
    return f"{x:.3g}"


def sign_sentence(r) -> str:
    """'the network's advantage over dyad in retention at 10 years turns negative when network.max_ties < 1.6'."""
    b, a = r["series"].split(f" {MINUS} ")
    o, p = r["outcome"], r["parameter"]
    who = f"{b}'s advantage over {a} in {label(o)}"
    rng = f"{_fmt_param(p, r['low'])} to {_fmt_param(p, r['high'])}"
    lo, hi = fmt_diff(o, r["mean_min"]), fmt_diff(o, r["mean_max"])
    if np.isfinite(r["threshold"]) and r["sense"] != 0 and r["clear"]:
        t = _fmt_param(p, r["threshold"])
        worse = " (worse for faculty)" if direction(o) else ""
        text = (f"{who} turns negative{worse} when {p} < {t} and is positive above" if r["sense"] > 0 else
                f"{who} turns negative{worse} when {p} > {t} and is positive below")
        text += f" (monotone fit over the range swept, {rng}; {lo} to {hi} across the design points)"
        if r["bin_sign_changes"] > 1:
            text += f" (the binned means change sign {int(r['bin_sign_changes'])} times: read the table)"
        return text
    lo, hi = fmt_diff(o, r["mean_min"]), fmt_diff(o, r["mean_max"])
    if r["mean_min"] > 0 or r["mean_max"] < 0:
        state = "positive" if r["mean_min"] > 0 else "negative"
        return (f"{who}: no sign change in the range swept ({p} {rng}); {state} at every design point ({lo} to {hi}; "
                f"{_verdict(o, state, b)})")
    others = " as the other parameters vary" if r.get("n_parameters", 2) > 1 else ""
    if not (np.isfinite(r["trend_p"]) and r["trend_p"] < 0.05):
        trend = (f"no monotone trend in {p} (Spearman \u03c1 = {r['trend_rho']:.2f}, p = {r['trend_p']:.2g})"
                 if np.isfinite(r["trend_p"]) else f"too few values of {p} to tell a trend")
        return (f"{who}: no sign change along {p} that stands out from the noise ({rng}): {trend}; the advantage is "
                f"{lo} to {hi} across the design points{others}")
    if np.isfinite(r["threshold"]) and r["sense"] != 0:
        missing = "negative" if not r["clear_negative"] else "positive"
        way = "rises" if r["sense"] > 0 else "falls"
        return (f"{who}: no clear sign change in the range swept ({p} {rng}): the advantage {way} with {p} and a "
                f"monotone fit crosses zero near {_fmt_param(p, r['threshold'])}, but it is not clearly {missing} at "
                f"any value of {p} (95% intervals); {lo} to {hi} across the design points{others}")
    return (f"{who}: no sign change in the range swept ({p} {rng}) on average; positive at "
            f"{100 * r['positive_share']:.0f}% of design points ({lo} to {hi}){others}")


# --- importance: the ranking measure of each design ------------------------------------------------

MEASURES = {"sobol": ("ST", "total-order Sobol index"), "morris": ("mu_star", "Morris \u03bc*"),
            "grid": ("effect_range", "range of the main effect"), "lhs": ("abs_spearman", "|Spearman \u03c1|")}


def importance(kind: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per series and outcome, the parameters ranked by the design's measure (1 = most influential)."""
    cols = ["series", "kind", "outcome", "parameter", "measure", "value", "ci_low", "ci_high", "rank"]
    if kind == "sobol" and len(tables.get("sobol_indices", [])):
        t = tables["sobol_indices"].assign(measure="ST", value=lambda d: d["ST"], ci_low=lambda d: d["ST_low"],
                                           ci_high=lambda d: d["ST_high"])
    elif kind == "morris" and len(tables.get("morris", [])):
        t = tables["morris"].assign(measure="mu_star", value=lambda d: d["mu_star"], ci_low=lambda d: d["mu_star_low"],
                                    ci_high=lambda d: d["mu_star_high"])
    elif kind == "grid" and len(tables.get("effect_ranges", [])):
        t = tables["effect_ranges"].assign(measure="effect_range", value=lambda d: d["effect_range"])
    elif kind == "lhs" and len(tables.get("lhs_correlations", [])):
        t = tables["lhs_correlations"].assign(measure="abs_spearman", value=lambda d: d["spearman"].abs(),
                                              ci_low=lambda d: d["spearman_low"], ci_high=lambda d: d["spearman_high"])
    else:
        return pd.DataFrame(columns=cols)
    t = t.copy()
    t["rank"] = t.groupby(["series", "outcome"], sort=False)["value"].rank(ascending=False, method="first")
    return t[cols].sort_values(["series", "outcome", "rank"], kind="stable").reset_index(drop=True)


# --- words and numbers -------------------------------------------------------------------------------

def fmt_level(o: str, x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{scale(o) * x:.{digits(o)}f}{'%' if is_share(o) else ''}"


def fmt_diff(o: str, x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{scale(o) * x:+.{digits(o)}f}{' pp' if is_share(o) else ''}"


def value_unit(o: str, kind: str) -> str:
    return (("percentage points" if is_share(o) else difference_unit(o)) if kind == "advantage" else
            ("%" if is_share(o) else unit(o)))


def target_text(series: str, kind: str, o: str) -> str:
    """An analysed quantity in words: 'retention at 10 years (network)', 'network's advantage over dyad in ...'."""
    if kind == "advantage":
        b, a = series.split(f" {MINUS} ")
        return f"{b}'s advantage over {a} in {label(o)} ({series})"
    return f"{label(o)}" + (f" ({series})" if series else "")


def axis_label(o: str, kind: str, wrap: int = 40) -> str:
    u = value_unit(o, kind)
    text = ((f"advantage in {label(o)}" if kind == "advantage" else label(o))
            + (f" ({u})" if u and u not in label(o) else "")
            + (f"; {advantage_meaning(o)}" if kind == "advantage" else ""))
    return _wrap(text, wrap)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def parameter_info() -> dict[str, dict]:
    from simulation.config.params import describe

    return {r["name"]: r for r in describe()}


def parameter_label(p: str, info: dict | None = None) -> str:
    """'network.max_ties (mentors)': the dotted name people write in sweep files, with its unit."""
    info = parameter_info() if info is None else info
    r = info.get(p) or info.get(p.rsplit(".", 1)[0])
    u = (r or {}).get("unit")
    return f"{p} ({u})" if u and u not in ("-", "") else p


# --- figures -----------------------------------------------------------------------------------------

def _style():
    import seaborn as sns

    return sns.axes_style("whitegrid"), sns.plotting_context("notebook")


def _fig(width, height, nrows=1, ncols=1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def _suptitle(fig, text: str) -> None:
    """A bold title wrapped to the figure's width (about 10 characters per inch at this size)."""
    fig.suptitle(_wrap(text, int(10 * fig.get_figwidth())), fontweight="bold", fontsize="medium")


def _save(fig, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    destination.write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    return path


def _colours(series: list[str]) -> dict[str, str]:
    pal = ("#4d4d4d", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
    return {s: pal[k % len(pal)] for k, s in enumerate(series)}


def _series_title(series: str, kind: str, o: str) -> str:
    if kind == "advantage":
        return f"{series} (advantage)"
    return series or "all runs"


def sobol_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(5.2 * len(ser), 16), 1.0 + 0.55 * len(params) + 0.6, 1, len(ser), sharey=True)
        _suptitle(fig, f"Sobol indices of {label(o)}: first order (S1) and total (ST), replicate noise removed, "
                     "95% intervals")
        y = np.arange(len(params))
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].set_index("parameter").reindex(params)
            def err(c: str) -> np.ndarray:
                return np.clip(np.nan_to_num([d[c] - d[c + "_low"], d[c + "_high"] - d[c]]), 0, None)

            ax.barh(y - 0.2, d["S1"], height=0.38, xerr=err("S1"), color="#56b4e9", label="S1 (first order)",
                    error_kw={"ecolor": "0.25", "capsize": 2})
            ax.barh(y + 0.2, d["ST"], height=0.38, xerr=err("ST"), color="#0072b2", label="ST (total)",
                    error_kw={"ecolor": "0.25", "capsize": 2})
            ax.axvline(0, color="0.4", lw=0.8)
            ax.set_yticks(y, [_wrap(parameter_label(p, info), 26) for p in params], fontsize="small")
            ax.set_ylim(len(params) - 0.5, -0.5)
            ax.set_title(_series_title(s, kind, o), fontsize="medium")
            ax.set_xlabel("share of the variance")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        return fig


def morris_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    import seaborn as sns

    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    pal = dict(zip(params, sns.color_palette("colorblind", len(params)).as_hex()))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(5.2 * len(ser), 16) + 2.5, 4.6, 1, len(ser))
        _suptitle(fig, f"Morris screening of {label(o)}: \u03bc* (mean absolute elementary effect, 95% interval) "
                     "against \u03c3 (spread: interaction or non-linearity)")
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].copy()
            f = scale(o)
            d["mu*"], d["sigma_s"] = f * d["mu_star"], f * d["sigma"]
            d["lo"], d["hi"] = f * (d["mu_star"] - d["mu_star_low"]), f * (d["mu_star_high"] - d["mu_star"])
            d["conf"] = d["hi"]
            d["parameter "] = [parameter_label(p, info) for p in d["parameter"]]
            for _, r in d.iterrows():
                ax.errorbar(r["mu*"], r["sigma_s"], xerr=[[max(r["lo"], 0)], [max(r["hi"], 0)]], fmt="none",
                            ecolor=pal[r["parameter"]], alpha=0.6)
            floor = f * d["noise_floor"].max()
            if np.isfinite(floor) and floor > 0:
                ax.axvspan(0, floor, color="0.85", zorder=0, label="_noise")
            sns.scatterplot(data=d, x="mu*", y="sigma_s", hue="parameter ",
                            palette={parameter_label(p, info): pal[p] for p in params}, s=70, ax=ax,
                            legend=ax is axes[0, 0])
            top = max(float(d["mu*"].max() + d["conf"].max()), float(d["sigma_s"].max()), 1e-12) * 1.08
            ax.plot([0, top], [0, top], ls=":", color="0.5", lw=0.8)
            ax.set(xlim=(0, top), ylim=(0, top), title=_series_title(s, kind, o))
            u = value_unit(o, "advantage")  # effects are differences of the outcome
            ax.set_xlabel(f"\u03bc* ({u})")
            ax.set_ylabel(f"\u03c3 ({u})")
        leg = axes[0, 0].get_legend()
        if leg is not None:
            handles, labels = leg.legend_handles, [x.get_text() for x in leg.get_texts()]
            leg.remove()
            fig.legend(handles, labels, title="parameter", loc="outside right center", frameon=False)
        return fig


def grid_figure(pm: pd.DataFrame, o: str, parameters: list[str], series: list[tuple[str, str]], info: dict):
    """1 parameter: lines with 95% bands; 2: heatmaps per series; 3+: main effects per parameter."""
    import seaborn as sns

    d = pm[pm["outcome"] == o].copy()
    ser = [(s, k) for s, k in series if (d["series"] == s).any()]
    f = scale(o)
    for c in ("mean", "ci_low", "ci_high"):
        d[c] = f * d[c]
    colours = _colours([s for s, _ in series])
    s1, s2 = _style()
    with s1, s2:
        if len(parameters) == 1:
            p = parameters[0]
            kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
            fig, axes = _fig(5.6 * len(kinds) + 1.5, 4.4, 1, len(kinds))
            _suptitle(fig, f"{_cap(label(o))} across {p}: mean over replicates, 95% t-interval")
            for ax, kind in zip(axes[0], kinds):
                for s, k in ser:
                    if k != kind:
                        continue
                    g = d[d["series"] == s].sort_values(p)
                    ax.fill_between(g[p], g["ci_low"], g["ci_high"], color=colours[s], alpha=0.2, lw=0)
                    sns.lineplot(data=g, x=p, y="mean", color=colours[s], marker="o", ax=ax,
                                 label=_series_title(s, k, o), errorbar=None)
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind))
                if ax.get_legend():
                    ax.legend(fontsize="small", frameon=False)
            return fig
        if len(parameters) == 2:
            p, q = parameters
            fig, axes = _fig(min(5.2 * len(ser), 17), 4.8, 1, len(ser))
            _suptitle(fig, f"{_cap(label(o))} over the grid of {p} and {q}: mean over replicates in each cell "
                           "(one colour scale for the levels, one for the advantages)")
            lev = d.loc[d["kind"] == "level", "mean"]
            adv = d.loc[d["kind"] == "advantage", "mean"].abs()
            for ax, (s, kind) in zip(axes[0], ser):
                g = d[d["series"] == s].pivot_table(index=q, columns=p, values="mean").sort_index(ascending=False)
                # one scale per outcome (the same colour is the same value in every panel); advantages centred on 0
                kw = ({"cmap": "RdBu", "center": 0, "vmin": -adv.max(), "vmax": adv.max()} if kind == "advantage"
                      else {"cmap": "viridis", "vmin": lev.min(), "vmax": lev.max()})
                with warnings.catch_warnings():  # seaborn 0.13 calls a colormap API matplotlib deprecates
                    warnings.simplefilter("ignore", PendingDeprecationWarning)
                    sns.heatmap(g, annot=g.size <= 64, fmt=f".{digits(o)}f", ax=ax,
                                cbar_kws={"label": axis_label(o, kind, 30)}, annot_kws={"fontsize": "x-small"}, **kw)
                ax.set_xticklabels([f"{float(t.get_text()):.3g}" for t in ax.get_xticklabels()], rotation=0)
                ax.set_yticklabels([f"{float(t.get_text()):.3g}" for t in ax.get_yticklabels()], rotation=0)
                ax.set(title=_series_title(s, kind, o), xlabel=parameter_label(p, info),
                       ylabel=parameter_label(q, info) if ax is axes[0, 0] else "")
            return fig
        me = main_effects(d.assign(mean=d["mean"]), parameters)
        kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
        fig, axes = _fig(min(4.2 * len(parameters), 17) + 1.5, 3.8 * len(kinds), len(kinds), len(parameters))
        _suptitle(fig, f"{_cap(label(o))}: main effect of each parameter (mean over the other parameters' values)")
        for i, kind in enumerate(kinds):
            for j, p in enumerate(parameters):
                ax = axes[i, j]
                for s, k in ser:
                    if k != kind:
                        continue
                    g = me[(me["series"] == s) & (me["parameter"] == p)]
                    ax.plot(g["value"], g["mean"], marker="o", color=colours[s], label=_series_title(s, k, o))
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind, 30) if j == 0 else "")
            axes[i, 0].legend(fontsize="small", frameon=False)
        return fig


def lhs_figure(pm: pd.DataFrame, o: str, parameters: list[str], series: list[tuple[str, str]], info: dict):
    """Point means against each parameter, with the mean in bins of its range (partial-dependence style)."""
    import seaborn as sns

    d = pm[pm["outcome"] == o].copy()
    d["mean"] = scale(o) * d["mean"]
    ser = [(s, k) for s, k in series if (d["series"] == s).any()]
    kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
    colours = _colours([s for s, _ in series])
    s1, s2 = _style()
    with s1, s2:
        ncols = min(len(parameters), 4)
        nrows_p = -(-len(parameters) // ncols)
        fig, axes = _fig(4.0 * ncols + 1.0, 3.4 * nrows_p * len(kinds) + 0.6, nrows_p * len(kinds), ncols)
        _suptitle(fig, f"{_cap(label(o))} against each parameter (dots: design points; lines: mean in 8 bins)")
        for ki, kind in enumerate(kinds):
            for j, p in enumerate(parameters):
                ax = axes[ki * nrows_p + j // ncols, j % ncols]
                for s, k in ser:
                    if k != kind:
                        continue
                    g = d[d["series"] == s]
                    sns.scatterplot(x=g[p], y=g["mean"], color=colours[s], s=10, alpha=0.35, ax=ax, linewidth=0)
                    idx, _ = _bins(g[p].to_numpy(float), 8)
                    b = g.groupby(idx)[[p, "mean"]].mean()
                    ax.plot(b[p], b["mean"], color=colours[s], lw=2, label=_series_title(s, k, o))
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind, 30) if j % ncols == 0 else "")
        handles, labels = [], []
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
        for j in range(len(parameters), nrows_p * ncols):
            for ki in range(len(kinds)):
                axes[ki * nrows_p + j // ncols, j % ncols].set_visible(False)
        return fig


def correlation_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(4.8 * len(ser), 16) + 1, 2.0 + 0.5 * len(params), 1, len(ser), sharey=True)
        _suptitle(fig, f"{_cap(label(o))}: Spearman rank correlation (dots) and standardized regression coefficient "
                     "(squares) with each parameter, 95% intervals")
        y = np.arange(len(params))
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].set_index("parameter").reindex(params)
            def err(c):
                return np.clip(np.nan_to_num([d[c] - d[c + "_low"], d[c + "_high"] - d[c]]), 0, None)

            ax.errorbar(
                d["spearman"], y - 0.12, xerr=err("spearman"), fmt="o", color="#0072b2", label="Spearman \u03c1"
            )
            ax.errorbar(d["src"], y + 0.12, xerr=err("src"), fmt="s", color="#e69f00",
                        label="standardized regression coefficient")
            ax.axvline(0, color="0.4", lw=0.8)
            ax.set_yticks(y, [_wrap(parameter_label(p, info), 26) for p in params], fontsize="small")
            ax.set_ylim(len(params) - 0.5, -0.5)
            ax.set(xlim=(-1.05, 1.05), title=_series_title(s, kind, o), xlabel="coefficient")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        return fig


def sign_figure(bins: pd.DataFrame, changes: pd.DataFrame, series: str, o: str, parameters: list[str], info: dict):
    s1, s2 = _style()
    with s1, s2:
        ncols = min(len(parameters), 4)
        nrows = -(-len(parameters) // ncols)
        fig, axes = _fig(4.0 * ncols + 0.8, 3.3 * nrows + 0.6, nrows, ncols, sharey=True)
        b_, a_ = series.split(f" {MINUS} ")
        _suptitle(fig, f"{_cap(b_)}'s advantage over {a_} in {label(o)}, in bins of each parameter")
        f = scale(o)
        for j, p in enumerate(parameters):
            ax = axes[j // ncols, j % ncols]
            d = bins[(bins["series"] == series) & (bins["outcome"] == o) & (bins["parameter"] == p)]
            colour = np.where(d["mean"] >= 0, "tab:green", "tab:red") if direction(o) else "0.3"
            ax.axhline(0, color="0.3", lw=0.9)
            ax.errorbar(d["centre"], f * d["mean"], yerr=[f * (d["mean"] - d["ci_low"]).fillna(0),
                                                           f * (d["ci_high"] - d["mean"]).fillna(0)],
                        fmt="none", ecolor="0.5", lw=1)
            ax.scatter(d["centre"], f * d["mean"], c=colour, s=28, zorder=3)
            ax.plot(d["centre"], f * d["mean"], color="0.5", lw=0.8)
            c = changes[(changes["series"] == series) & (changes["outcome"] == o) & (changes["parameter"] == p)]
            if len(c) and np.isfinite(c["threshold"].iloc[0]) and c["clear"].iloc[0]:
                ax.axvline(c["threshold"].iloc[0], color="#0072b2", ls="--", lw=1.2)
                ax.text(c["threshold"].iloc[0], 0.98, f" {c['threshold'].iloc[0]:.3g}",
                        transform=ax.get_xaxis_transform(), va="top", color="#0072b2", fontsize="small")
            ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, "advantage", 30) if j % ncols == 0 else "")
        for j in range(len(parameters), nrows * ncols):
            axes[j // ncols, j % ncols].set_visible(False)
        return fig


# --- the analysis ------------------------------------------------------------------------------------

@dataclass
class Analysis:
    sweep: Sweep
    group: str
    tables: dict[str, pd.DataFrame]
    figures: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    status: dict = field(default_factory=dict)
    report: Path | None = None
    folder: Path | None = None


def analyze(folder: str | Path, group: str = "all", progress: bool = True, figures: bool = True) -> Analysis:
    """Analyse a sweep folder: tables, figures and `<folder>/analysis/report.html` (the CLI's function);
    for women or men only, in `<folder>/analysis/<group>/`.

    Raises `SweepError` (one line) for a folder that is not a sweep, or a Sobol or Morris sweep
    too incomplete for SALib."""
    if group not in GROUP_CHOICES:
        raise SweepError(f"--group {group}: must be one of {', '.join(GROUP_CHOICES)}")
    sweep = load_sweep(folder)
    step(f"analysis: read {len(sweep.runs)} rows of runs from {sweep.folder}", progress)
    if sweep.runs.empty:
        raise SweepError(f"{sweep.folder}: no run has finished yet (runs/ is empty); see `careersim sweep <sweep file> "
                         f"--out {sweep.folder} --status`")
    if not sweep.outcomes:
        raise SweepError(f"{sweep.folder}: none of the manifest's outcomes is a column of the runs; nothing to analyse")
    if "group" in sweep.runs.columns and group not in set(sweep.runs["group"]):
        raise SweepError(f"{sweep.folder}: the runs have no rows for group {group!r}")
    status = completeness(sweep, group)
    notes: list[dict] = []
    empty = {o: _why_no_value(sweep, o, group) for o in sweep.outcomes}
    empty = {o: why for o, why in empty.items() if why}
    if empty and len(empty) == len(sweep.outcomes):
        o, why = next(iter(empty.items()))
        raise SweepError(f"{sweep.folder}: no design point has a value of any outcome ({label(o)}{why}"
                         + (f"; and {len(empty) - 1} more" if len(empty) > 1 else "") + ")")
    for o, why in empty.items():
        notes.append({"what": f"{_cap(label(o))} ({o})", "why": f"no design point has a value{why}"})
    mixed = machines_text(task_machines(sweep.folder))
    if mixed:
        what, why = mixed.split(": ", 1)
        notes.append({"what": _cap(what), "why": why})
    sweep.outcomes = [o for o in sweep.outcomes if o not in empty]
    if status["missing"]:
        if sweep.kind == "sobol":
            raise SweepError(_missing_message(sweep, status["missing"]))
        notes.append({"what": f"{len(status['missing'])} of {status['expected']} design points",
                      "why": "no finished run (an unfinished sweep, or every run there failed); "
                             "the analysis uses the others"})
    if status["failed_runs"]:
        notes.append({"what": f"{status['failed_runs']} failed runs",
                      "why": "left out" + (f" (errors: {'; '.join(status['errors'])})" if status["errors"] else "")})
    step(f"analysis: means over replicates at {status['expected'] - len(status['missing'])} design points "
         f"({sweep.kind} design, group {group})", progress)
    values = replicate_values(sweep, group)
    pm = point_means(values, sweep.design, sweep.parameters, members=sweep.members)
    if sweep.members > 1:
        notes.append({"what": f"intervals across {sweep.members} calibrated ensemble members",
                      "why": "replicate r ran on member r mod M, so each point's mean and interval are a comparison's: "
                             "the mean of the members' means and the t-interval of their spread (M - 1 degrees of "
                             "freedom), carrying the calibration's uncertainty and chance; point_means.csv gives the "
                             "parameters' share of it (share_parameters, with its interval). The sensitivity indices "
                             "count the members' spread as replicate noise"})
    tables: dict[str, pd.DataFrame] = {"point_means": pm}
    for _, r in noise_shares(values, sweep.design).iterrows():
        if r["noise_share"] > 0.5:
            notes.append({"what": f"{_cap(target_text(r['series'], r['kind'], r['outcome']))}: mostly replicate noise",
                          "why": f"about {100 * r['noise_share']:.0f}% of its variation between design points is what "
                                 f"{sweep.replicates} replicates per point give by chance, so its sensitivity measures "
                                 "are mostly uncertain (wide intervals"
                                 + ("; the indices have the noise's part removed" if sweep.kind == "sobol" else "")
                                 + "); more replicates per point would narrow them"})
    if sweep.kind == "sobol":
        step("analysis: Sobol indices (SALib, bootstrap intervals)", progress)
        tables["sobol_indices"] = sobol_indices(sweep, values, notes)
        bad = sobol_inconsistencies(tables["sobol_indices"])
        if bad["negative"] or bad["above_one"] or bad["s1_above_st"]:
            notes.append({"what": f"{bad['negative'] + bad['above_one'] + bad['s1_above_st']} of {bad['rows']} "
                                  "Sobol index rows",
                          "why": f"outside what indices can be beyond their 95% intervals ({bad['negative']} below "
                                 f"0, {bad['above_one']} above 1, {bad['s1_above_st']} with S1 above ST): the design "
                                 "is too small for these outcomes; a larger N or more replicates would tell"})
        if sweep.replicates < 2:
            notes.append({"what": "Sobol indices with one replicate per point",
                          "why": "the replicate noise cannot be estimated, so it is neither removed from the indices "
                                 "nor told apart from influence; run 2 or more replicates"})
    elif sweep.kind == "morris":
        step("analysis: Morris elementary effects", progress)
        tables["morris"] = morris_indices(sweep, values, notes)
        if sweep.replicates < 2:
            notes.append({"what": "Morris effects with one replicate per point",
                          "why": "the replicate noise cannot be estimated, so an effect's size cannot be told from "
                                 "noise (the noise floor is unknown); with common random numbers (the default) a "
                                 "parameter that does nothing still shows exactly zero; run 2 or more replicates "
                                 "to tell the others"})
    elif sweep.kind == "grid":
        step("analysis: grid surfaces and main effects", progress)
        tables["grid_surfaces"] = grid_surfaces(pm, sweep.parameters)
        tables["main_effects"] = main_effects(pm, sweep.parameters)
        tables["effect_ranges"] = effect_ranges(sweep, values)
    else:
        step("analysis: rank correlations and standardized regression coefficients", progress)
        tables["lhs_correlations"] = lhs_correlations(pm, sweep.parameters)
    if pairs(sweep.models):
        step("analysis: where each model's advantage changes sign", progress)
        tables["sign_bins"], tables["sign_changes"] = sign_analysis(pm, sweep.parameters)
    tables["importance"] = importance(sweep.kind, tables)
    out = sweep.folder / "analysis" if group == "all" else sweep.folder / "analysis" / group
    out.mkdir(parents=True, exist_ok=True)
    step(f"analysis: writing {len(tables)} tables to {out}", progress)
    for name, t in tables.items():
        destination.write_file(out / f"{name}.csv", lambda tmp, t=t: t.to_csv(tmp, index=False))
    a = Analysis(sweep, group, tables, notes=notes, status=status, folder=out)
    if figures:
        step("analysis: drawing the figures", progress)
        a.figures = make_figures(a)
    step("analysis: writing the report", progress)
    a.report = write_page(a)
    return a


def make_figures(a: Analysis) -> list[dict]:
    sweep, t = a.sweep, a.tables
    info = parameter_info()
    folder = a.folder / "figures"
    series = series_order(sweep)
    shown = outcome_order(sweep.outcomes)[:MAX_FIGURE_OUTCOMES]
    figs: list[dict] = []

    def add(section: str, name: str, fig, title: str, caption: str) -> None:
        figs.append({"section": section, "name": name, "png": str(_save(fig, folder, name)), "title": title,
                     "caption": caption})

    pm = t["point_means"]
    for o in shown:
        if sweep.kind == "sobol" and (t["sobol_indices"]["outcome"] == o).any():
            add("sobol", f"sobol_{o}", sobol_figure(t["sobol_indices"], o, series, info), f"Sobol indices: {label(o)}",
                "First-order index S1: the share of the variance of the outcome (across the design) due to the "
                "parameter alone; total index ST: including its interactions with the others; both of the replicate "
                "means, the replicate noise's part removed. Bars: 95% intervals (design sampling and replicate noise).")
        elif sweep.kind == "morris" and (t["morris"]["outcome"] == o).any():
            add("morris", f"morris_{o}", morris_figure(t["morris"], o, series, info), f"Morris screening: {label(o)}",
                "Far right: influential parameters; high above the diagonal: effects that depend on the other "
                "parameters (interactions or non-linearity); near the origin: negligible. Bars: 95% intervals of "
                "\u03bc* (design sampling and replicate noise)"
                + ("; grey band: the noise floor, the \u03bc* replicate noise alone would give." if sweep.replicates > 1
                   else "; one replicate per point: the noise cannot be told apart."))
        elif sweep.kind == "grid" and (pm["outcome"] == o).any():
            add("grid", f"grid_{o}", grid_figure(pm, o, sweep.parameters, series, info), f"Outcome surface: {label(o)}",
                "Mean over replicates at each grid cell"
                + (", with 95% t-intervals (bands)" if len(sweep.parameters) == 1
                   else "; the intervals are in the table grid_surfaces.csv")
                + (". One colour scale for the levels of all models (the same colour is the same value in every "
                   "panel) and one centred on zero for the advantages (blue: the model is better for faculty, "
                   "red: worse)" if len(sweep.parameters) == 2 else "") + ".")
        elif sweep.kind == "lhs" and (pm["outcome"] == o).any():
            add("lhs", f"lhs_{o}", lhs_figure(pm, o, sweep.parameters, series, info), f"Partial dependence: {label(o)}",
                "Each dot is a design point (mean over replicates); the line is the mean in bins of the parameter's "
                "range, averaging over the other parameters' values at those points.")
            if (t["lhs_correlations"]["outcome"] == o).any():
                add("lhs", f"lhs_coefficients_{o}", correlation_figure(t["lhs_correlations"], o, series, info),
                    f"Rank correlations and regression coefficients: {label(o)}",
                    "Spearman \u03c1: monotone association of the outcome with the parameter over the design points; "
                    "standardized regression coefficient: change in the outcome (in standard deviations) per standard "
                    "deviation of the parameter, the others held fixed, from a linear fit.")
    if "sign_changes" in t and len(t["sign_changes"]):
        for s, kind in series:
            if kind != "advantage":
                continue
            for o in shown[:3]:
                if ((t["sign_bins"]["series"] == s) & (t["sign_bins"]["outcome"] == o)).any():
                    add("sign", f"sign_{_slug(s)}_{o}", sign_figure(t["sign_bins"], t["sign_changes"], s, o,
                                                                    sweep.parameters, info),
                        f"Where the advantage changes sign: {target_text(s, kind, o)}",
                        "Mean advantage over the design points in bins of each parameter's range (a grid: at each of "
                        "its values), with the 95% interval over those points (one point: over its replicates); the "
                        "other parameters vary within each bin. The advantage is positive when the model is better "
                        "for faculty (for an outcome where lower is better, when its level is lower). Green: "
                        "better, red: worse"
                        + (" (neither: grey)" if direction(o) == 0 else "") + ". Dashed: where a monotone fit of the "
                        "advantage on the parameter crosses zero, drawn only when the sign change is clear.")
    return figs


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_")


# --- the page ----------------------------------------------------------------------------------------

PAGE_CSS = """
td.sign-pos { background: #d6f0dc; color: #0b5323; text-align: center; } \
td.sign-neg { background: #f9d9d5; color: #8a1c12; text-align: center; }
td.sign-none { text-align: center; }
td.sign-pos.faint, td.sign-neg.faint { opacity: .6; }
.lbl { color: #777; font-style: italic; }
.scroll { max-height: 34em; overflow: auto; }
"""


def _base_css() -> str:
    try:
        from simulation.analysis.report import CSS
    except ImportError:  # pragma: no cover - the comparison report's style is optional
        CSS = ""
    return CSS + PAGE_CSS


def _img(path: str, alt: str, page_folder: Path) -> str:
    """The figure as the page shows it: its PNG in figures/, by a path relative to the page (one copy)."""
    src = Path(path).resolve().relative_to(page_folder.resolve()).as_posix()
    return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'


def _outcome_td(o: str, series: str = "", kind: str = "level") -> str:
    u = value_unit(o, kind)
    unit_text = "" if (u == "%" or u in label(o)) else f" <small>({html.escape(u)})</small>"
    if kind == "advantage":
        unit_text = f" <small>({html.escape(u)})</small>"
    return f"<td class='text'>{html.escape(label(o))}{unit_text} <code class='raw'>{o}</code></td>"


def _series_td(series: str, kind: str) -> str:
    if kind == "advantage":
        return f"<td class='text'>{html.escape(series)} <small>(advantage)</small></td>"
    return f"<td class='text'>{html.escape(series or 'all runs')}</td>"


def _fmt_value(o: str, kind: str, x: float) -> str:
    return fmt_diff(o, x) if kind == "advantage" else fmt_level(o, x)


def _num(x: float, k: int = 2) -> str:
    return f"{x:.{k}f}" if np.isfinite(x) else "n/a"


def _interval(lo: float, hi: float, k: int = 2) -> str:
    return f"[{lo:.{k}f}, {hi:.{k}f}]" if np.isfinite(lo) and np.isfinite(hi) else "[no interval]"


def header_html(a: Analysis) -> str:
    s, m = a.sweep, a.sweep.manifest
    models = ", ".join(html.escape(x) for x in s.models) if s.models else "none (one model throughout)"
    st = a.status
    done = st["expected"] - len(st["missing"])
    return (f"<p class='meta'><b>Design</b> {html.escape(s.kind)} over {len(s.parameters)} parameters, "
            f"{st['expected']} points ({done} with finished runs); <b>{s.replicates} replicates</b> per point and "
            f"model (seed {html.escape(str(m.get('seed', 'n/a')))}); <b>models compared</b> {models}"
            + (", paired on the same seeds" if len(s.models) > 1 else "") +
            f"; <b>base scenario</b> {html.escape(str(m.get('base', 'n/a')))}; <b>group</b> {html.escape(a.group)} "
            f"hires; <b>runs</b> {html.escape(str(m.get('n_runs', 'n/a')))}.</p>")


def _top_text(a: Analysis, series: str, o: str, k: int = 3) -> str:
    imp = a.tables["importance"]
    d = imp[(imp["series"] == series) & (imp["outcome"] == o)].head(k)
    if d.empty:
        return ""
    measure = MEASURES[a.sweep.kind][1]
    parts = []
    for _, r in d.iterrows():
        v = r["value"]
        if a.sweep.kind in ("morris", "grid"):  # in the outcome's unit (differences: pp for shares)
            val = fmt_diff(o, v).lstrip("+")
        else:
            val = f"{v:.2f}"
        ci = (f" [{_ci_text(a, o, r['ci_low'], r['ci_high'])}]"
              if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) else "")
        parts.append(f"{r['parameter']} ({val}{ci})")
    return f"{measure}: " + ", ".join(parts)


def _ci_text(a: Analysis, o: str, lo: float, hi: float) -> str:
    if a.sweep.kind in ("morris", "grid"):
        return f"{fmt_diff(o, lo).lstrip('+')}, {fmt_diff(o, hi).lstrip('+')}"
    return f"{lo:.2f}, {hi:.2f}"


def bottom_line_html(a: Analysis) -> str:
    s = a.sweep
    items = []
    outs = outcome_order(s.outcomes)
    head = outs[:3]
    for o in head:
        for series, kind in series_order(s):
            top = _top_text(a, series, o)
            if top:
                items.append(
                    f"<b>{html.escape(_cap(target_text(series, kind, o)))}</b>: {html.escape(top.split(': ', 1)[1])}."
                )
    ch = a.tables.get("sign_changes")
    if ch is not None and len(ch):
        for n, o in enumerate(head[:2]):
            for series in dict.fromkeys(ch["series"]):
                c = ch[(ch["outcome"] == o) & (ch["series"] == series)]
                clear = c[np.isfinite(c["threshold"]) & c["clear"].astype(bool)]
                if len(c) and clear.empty and ((c["mean_min"] > 0).all() or (c["mean_max"] < 0).all()):
                    if n == 0:
                        b, a_ = series.split(f" {MINUS} ")
                        state = "positive" if (c["mean_min"] > 0).all() else "negative"
                        items.append(html.escape(f"{_cap(b)}'s advantage over {a_} in {label(o)} is {state} at every "
                                                 f"design point ({fmt_diff(o, c['mean_min'].min())} to "
                                                 f"{fmt_diff(o, c['mean_max'].max())}; {_verdict(o, state, b)}): "
                                                 "no sign change in the range swept."))
                    continue
                shown = c if n == 0 else clear
                items += [html.escape(_cap(r["sentence"])) + "." for _, r in shown.iterrows()]
    if not items:
        items.append("No parameter ranking could be computed (see What could not be analysed).")
    lead = (f"<p>The parameters that move each outcome most, ranked by the {html.escape(MEASURES[s.kind][1])} "
            f"({html.escape(_measure_meaning(s.kind))}); then where the advantage of one mentoring model over another "
            "changes sign.</p>")
    return ("<div class='answer'><h2>Bottom line</h2>" + lead
            + "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>")


def _verdict(o: str, state: str, model: str) -> str:
    """'the network is better for faculty everywhere' from an advantage's sign and the outcome's direction."""
    if not direction(o):
        return f"{model}'s level is {'higher' if state == 'positive' else 'lower'} everywhere"
    return f"{model} is {'better' if state == 'positive' else 'worse'} for faculty everywhere"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _measure_meaning(kind: str) -> str:
    return {"sobol": "share of the outcome's variance across the design due to the parameter, interactions included; "
                     "95% bootstrap intervals",
            "morris": "mean absolute elementary effect: the change in the outcome across the parameter's range, at the "
                      "rate of one step of it; 95% intervals; for shares, in percentage points",
            "grid": "largest minus smallest mean over the parameter's grid values, averaging over the other "
                    "parameters; 95% intervals for the replicate noise",
            "lhs": "absolute rank correlation of the outcome with the parameter over the design points; "
                   "95% intervals"}[kind]


def not_analysed_html(a: Analysis) -> str:
    if not a.notes:
        return ""
    items = "".join(f"<li><b>{html.escape(n['what'])}</b>: {html.escape(n['why'])}.</li>" for n in a.notes)
    return (f"<h2 id='not-analysed'>What could not be analysed, and caveats</h2><div class='missing'><ul>{items}</ul>"
            f"<p>Everything else below was computed from the runs there are.</p></div>")


def parameters_html(a: Analysis, info: dict) -> str:
    rows = []
    for p in a.sweep.manifest["design"]["parameters"]:
        r = info.get(p["name"]) or info.get(p["name"].rsplit(".", 1)[0]) or {}
        vals = p.get("values")
        rng = (", ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in vals) if vals else
               f"{p.get('low'):g} to {p.get('high'):g}" if p.get("low") is not None else "n/a")
        rows.append(f"<tr><td class='text'><code>{html.escape(p['name'])}</code></td>"
                    f"<td class='text'>{html.escape(str(r.get('unit', '')))}</td>"
                    f"<td class='text'>{html.escape(rng)}</td>"
                    f"<td class='text'>{html.escape(str(p.get('distribution') or 'uniform'))}"
                    f"{' (integer)' if p.get('integer') else ''}</td>"
                    f"<td class='text'>{html.escape(str(r.get('meaning', '')))}</td>"
                    f"<td>{html.escape(str(r.get('default', '')))}</td></tr>")
    return ("<table><tr><th class='text'>parameter</th><th class='text'>unit</th><th class='text'>values swept</th>"
            "<th class='text'>distribution</th><th class='text'>meaning</th><th>default</th></tr>"
            + "".join(rows) + "</table>")


def outcomes_html(a: Analysis) -> str:
    rows = []
    for o in outcome_order(a.sweep.outcomes):
        rows.append(f"<tr>{_outcome_td(o)}<td class='text'>{html.escape(_direction_text(o))}</td></tr>")
    return ("<table><tr><th class='text'>outcome</th><th class='text'>better for faculty when</th></tr>"
            + "".join(rows) + "</table>")


def _direction_text(o: str) -> str:
    return {1: "higher", -1: "lower", 0: "neither (descriptive)"}[direction(o)]


def _figures_html(a: Analysis, section: str) -> str:
    return "".join(f"<figure>{_img(f['png'], f['title'], a.folder)}<figcaption><b>{html.escape(f['title'])}.</b> "
                   f"{html.escape(f['caption'])}</figcaption></figure>" for f in a.figures if f["section"] == section)


def _parameter_td(r: pd.Series) -> str:
    return f"<td class='text'><code>{html.escape(r['parameter'])}</code></td>"


def _table_rows(a: Analysis, t: pd.DataFrame, order, cells) -> list[str]:
    """One table row per outcome, series and row of `t` (ordered within each by `order`): the
    outcome and series cells, then `cells(outcome, kind, row)`."""
    rows = []
    for o in outcome_order(a.sweep.outcomes):
        for series, kind in series_order(a.sweep):
            for _, r in order(t[(t["series"] == series) & (t["outcome"] == o)]).iterrows():
                rows.append(f"<tr>{_outcome_td(o, series, kind)}{_series_td(series, kind)}{cells(o, kind, r)}</tr>")
    return rows


def sobol_html(a: Analysis) -> str:
    t = a.tables["sobol_indices"]
    if t.empty:
        return "<p>No Sobol index could be computed (see <a href='#not-analysed'>What could not be analysed</a>).</p>"
    rows = _table_rows(a, t, lambda d: d.sort_values("ST", ascending=False), lambda o, kind, r: (
        f"{_parameter_td(r)}<td>{_num(r['S1'])}<span class='ci'>{_interval(r['S1_low'], r['S1_high'])}</span></td>"
        f"<td>{_num(r['ST'])}<span class='ci'>{_interval(r['ST_low'], r['ST_high'])}</span></td>"))
    second = a.sweep.manifest["design"].get("calc_second_order", True)
    return (f"<p class='note'>Variance-based sensitivity (Sobol, from SALib's Saltelli design, "
            f"{'with' if second else 'without'} second-order terms in the design). S1: the share of the outcome's "
            "variance over the design due to the parameter alone; ST: its share including interactions; ST &minus; S1 "
            "large means the parameter acts through interactions. " + _noise_text(a) + "</p>"
            + _figures_html(a, "sobol") +
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            f"<th class='text'>parameter</th><th>S1 [95% CI]</th><th>ST [95% CI]</th></tr>"
            f"{''.join(rows)}</table></div>")


def _noise_text(a: Analysis) -> str:
    """How the page's indices treat replicate noise, from the sweep's seeds and replicates."""
    common = (a.sweep.manifest.get("seeds") or "independent") == "common"
    seeds = ("Replicate r runs on the same seed at every design point (common random numbers), so a parameter that "
             "does nothing changes nothing and its index is exactly zero. " if common else
             "Each design point has its own seeds (seeds = \"independent\"), so even a parameter that does nothing "
             "moves the outcome by chance. ")
    if a.sweep.replicates < 2:
        return (seeds + "With one replicate per point the noise cannot be estimated: the indices and their intervals "
                f"include it. 95% intervals from {BOOTSTRAP} bootstrap resamples of the design (seeded).")
    unit = "base sample" if a.sweep.kind == "sobol" else "trajectory"
    removed = ("Each index is computed from the replicate means with the part the replicate noise adds to each term "
               "estimated from the replicates' spread and removed. " if a.sweep.kind == "sobol" else
               "The noise floor is the &mu;* that replicate noise alone would give (estimated from the replicates' "
               "spread): a &mu;* near it is not told from noise. ")
    return (seeds + removed + f"95% intervals from {BOOTSTRAP} bootstrap resamples of the design, each {unit} with its "
            f"{a.sweep.replicates} replicates, so they carry both the design's sampling and the replicate noise "
            "(seeded, reproducible).")


def morris_html(a: Analysis) -> str:
    t = a.tables["morris"]
    if t.empty:
        return "<p>No Morris effect could be computed (see <a href='#not-analysed'>What could not be analysed</a>).</p>"
    def cells(o: str, kind: str, r: pd.Series) -> str:
        lo, hi = fmt_diff(o, r["mu_star_low"]).lstrip("+"), fmt_diff(o, r["mu_star_high"]).lstrip("+")
        return (f"{_parameter_td(r)}<td>{fmt_diff(o, r['mu_star']).lstrip('+')}"
                f"<span class='ci'>[{lo}, {hi}]</span></td>"
                f"<td>{fmt_diff(o, r['mu'])}</td><td>{fmt_diff(o, r['sigma']).lstrip('+')}</td>"
                f"<td>{fmt_diff(o, r['noise_floor']).lstrip('+')}</td>")

    rows = _table_rows(a, t, lambda d: d.sort_values("mu_star", ascending=False), cells)
    levels = a.sweep.manifest["design"].get("levels")
    return (f"<p class='note'>Elementary effects (Morris screening, SALib, {levels} levels): each trajectory moves one "
            f"parameter at a time by a step of its range; an elementary effect is the change in the outcome divided by "
            "the step as a share of the range, i.e. the change the parameter would make across its whole range at "
            "that rate. &mu;* is the mean absolute effect (in the outcome's unit; percentage points for shares), &mu; "
            "the signed mean, &sigma; their spread (large: the effect depends on the other parameters or is "
            "non-linear). " + _noise_text(a) + "</p>"
            + _figures_html(a, "morris") +
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            "<th class='text'>parameter</th><th>&mu;* [95% CI]</th><th>&mu;</th><th>&sigma;</th>"
            "<th>noise floor</th></tr>"
            f"{''.join(rows)}</table></div>")


def grid_html(a: Analysis) -> str:
    t = a.tables["grid_surfaces"]
    ps = a.sweep.parameters
    rows = _table_rows(a, t, lambda d: d.sort_values(ps), lambda o, kind, r: (
        "".join(f"<td>{r[p]:.3g}</td>" for p in ps)
        + f"<td>{_fmt_value(o, kind, r['mean'])}<span class='ci'>[{_fmt_value(o, kind, r['ci_low'])}, "
          f"{_fmt_value(o, kind, r['ci_high'])}]</span></td><td>{int(r['n'])}</td>"))
    head = "".join(f"<th><code>{html.escape(p)}</code></th>" for p in ps)
    return ("<p class='note'>Each grid cell: the mean over replicates and its 95% t-interval "
            "(n: replicates with a value). Advantages are paired differences, replicate by replicate.</p>"
            + _figures_html(a, "grid") +
            f"<details><summary>Every cell, with its 95% interval ({len(rows)} rows)</summary>"
            f"<div class='scroll'><table>"
            f"<tr><th class='text'>outcome</th><th class='text'>series</th>{head}<th>mean [95% CI]</th>"
            f"<th>n</th></tr>{''.join(rows)}</table></div></details>")


def lhs_html(a: Analysis) -> str:
    t = a.tables["lhs_correlations"]
    rows = _table_rows(a, t, lambda d: d.reindex(d["spearman"].abs().sort_values(ascending=False).index),
                       lambda o, kind, r: (
        f"{_parameter_td(r)}<td>{_num(r['spearman'])}"
        f"<span class='ci'>{_interval(r['spearman_low'], r['spearman_high'])}</span></td>"
        f"<td>{_num(r['src'])}<span class='ci'>{_interval(r['src_low'], r['src_high'])}</span></td>"
        f"<td>{_num(r['r2'])}</td><td>{int(r['points'])}</td>"))
    return ("<p class='note'>Over the Latin-hypercube design points (each the mean over replicates): the Spearman rank "
            "correlation of the outcome with each parameter (monotone association, other parameters varying too; 95% "
            "interval by Fisher's z with Fieller's variance), and the standardized regression coefficient (a linear "
            "fit of the standardized outcome on all standardized parameters: standard deviations of outcome per "
            "standard deviation of the parameter, the others held fixed; 95% t-interval). R&sup2; is that fit's: when "
            "it is low, the coefficients miss much of what happens and the rank correlations are the safer reading.</p>"
            "<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            "<th class='text'>parameter</th><th>Spearman &rho; [95% CI]</th><th>SRC [95% CI]</th><th>R&sup2;</th>"
            f"<th>points</th></tr>{''.join(rows)}</table></div>"
            + _figures_html(a, "lhs"))


def sign_html(a: Analysis) -> str:
    s = a.sweep
    if not pairs(s.models):
        return ("<p>The sweep compares no two mentoring models"
                + (f" (only {html.escape(s.models[0])})" if s.models else "")
                + ", so there is no advantage to follow.</p>")
    ch, bins = a.tables["sign_changes"], a.tables["sign_bins"]
    if ch.empty:
        return "<p>No advantage could be computed (no point has paired runs of both models with a value).</p>"
    sentences = "".join(f"<li>{html.escape(_cap(r['sentence']))}.</li>" for _, r in
                        ch.assign(_o=ch["outcome"].map({o: k for k, o in enumerate(outcome_order(s.outcomes))}))
                        .sort_values(["_o", "series"], kind="stable").iterrows())
    rows = []
    for o in outcome_order(s.outcomes):
        for series in dict.fromkeys(bins["series"]):
            for p in s.parameters:
                d = bins[(bins["series"] == series) & (bins["outcome"] == o) & (bins["parameter"] == p)]
                if d.empty:
                    continue
                cells = []
                for _, r in d.iterrows():
                    good = r["mean"] if direction(o) else 0.0  # advantages are signed: positive = better
                    cls = "sign-pos" if good > 0 else "sign-neg" if good < 0 else "sign-none"
                    faint = "" if r["clear"] else " faint"
                    cells.append(f"<td class='{cls}{faint}' title='{p} {r['low']:.3g} to {r['high']:.3g}: "
                                 f"{html.escape(fmt_diff(o, r['mean']))}, {int(r['points'])} points'>{r['sign']}<br>"
                                 f"<small>{r['centre']:.3g}</small></td>")
                rows.append(f"<tr>{_outcome_td(o, series, 'advantage')}{_series_td(series, 'advantage')}"
                            f"<td class='text'><code>{html.escape(p)}</code></td>{''.join(cells)}</tr>")
    direction_note = ("<p class='legend'>Each cell is a bin of the parameter's range (its centre below the sign), "
                      "or a grid value: the sign of the mean advantage over the design points in it (the other "
                      "parameters vary). The advantage is signed so that +: the later model is better for faculty "
                      "there, &minus;: worse (for outcomes where lower is better, such as months with an uncovered "
                      "mentoring function, + means the later model's level is lower): "
                      "<span class='sign-pos'>&nbsp;green&nbsp;</span> better, "
                      "<span class='sign-neg'>&nbsp;red&nbsp;</span> worse; uncoloured: an outcome that is neither "
                      "(+: higher). Pale: the bin's 95% interval "
                      "includes zero. Hover a cell for its value. The thresholds above come from a monotone "
                      "(isotonic) fit of the mean advantage on the parameter, over all points.</p>")
    return (f"<ul>{sentences}</ul>" + _figures_html(a, "sign")
            + f"<div class='scroll'><table><tr><th class='text'>outcome</th><th class='text'>series</th>"
            f"<th class='text'>parameter</th><th class='text' colspan='10'>sign of the mean advantage, "
            f"low to high values</th></tr>"
            f"{''.join(rows)}</table></div>{direction_note}")


def point_means_html(a: Analysis, limit: int = 60) -> str:
    pm = a.tables["point_means"]
    ps = a.sweep.parameters
    o = outcome_order(a.sweep.outcomes)[0]
    d = pm[pm["outcome"] == o]
    wide = d.pivot_table(index=["point", *ps], columns="series", values="mean").reset_index()
    cols = [s for s, _ in series_order(a.sweep) if s in wide.columns]
    kinds = dict(series_order(a.sweep))
    head = ("<tr><th>point</th>" + "".join(f"<th><code>{html.escape(p)}</code></th>" for p in ps)
            + "".join(f"<th>{html.escape(s or 'all runs')}</th>" for s in cols) + "</tr>")
    body = "".join("<tr><td>" + str(int(r["point"])) + "</td>" + "".join(f"<td>{r[p]:.3g}</td>" for p in ps)
                   + "".join(f"<td>{_fmt_value(o, kinds[s], r[s])}</td>" for s in cols) + "</tr>"
                   for _, r in wide.head(limit).iterrows())
    more = f" The first {limit} of {len(wide)} points are shown." if len(wide) > limit else ""
    return (f"<p>{html.escape(label(o))} (<code class='raw'>{o}</code>) at each design point, mean over replicates"
            f"{'; advantages in percentage points' if is_share(o) and len(cols) > 1 else ''}.{more} Every outcome, "
            "with its 95% interval and number of replicates: <code>analysis/point_means.csv</code>.</p>"
            f"<div class='scroll'><table>{head}{body}</table></div>")


def _annotated(text: str, outcomes: list[str]) -> str:
    """Escaped text with each outcome name followed by its label (for verbatim files shown on the page)."""
    esc = html.escape(text)
    if not outcomes:
        return esc
    names = sorted(outcomes, key=len, reverse=True)
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b",
                  lambda m: f"{m[1]}<span class='lbl'> ({html.escape(label(m[1]))})</span>", esc)


def files_html(a: Analysis) -> str:
    m = a.sweep.manifest
    files = ", ".join(f"<code>{n}.csv</code>" for n in a.tables)
    versions = m.get("versions") or {}
    ver = (", ".join(f"{html.escape(str(k))} {html.escape(str(v))}" for k, v in versions.items())
           if isinstance(versions, dict) else html.escape(str(versions)))
    known = [o for o in REGISTRY if o in (m.get("sweep_file") or "")]
    return (f"<p>Tables in <code>{html.escape(str(a.folder))}</code>: {files}; figures (PNG, shown on this page "
            "from there: keep the folder together) in <code>analysis/figures/</code>. "
            f"Sweep <b>{html.escape(a.sweep.name)}</b>"
            f"{': ' + html.escape(str(m['description'])) if m.get('description') else ''}; created "
            f"{html.escape(str(m.get('created_utc', 'n/a')))}, "
            f"code commit {html.escape(str(m.get('git_commit') or 'n/a'))}"
            f"{'; ' + ver if ver else ''}.</p>"
            + (f"<details><summary>The sweep file</summary><pre>{_annotated(m['sweep_file'], known)}</pre></details>"
               if m.get("sweep_file") else ""))


SECTION_TITLES = {"sobol": "Sobol indices", "morris": "Morris screening", "grid": "Outcome surfaces over the grid",
                  "lhs": "Rank correlations and regression coefficients"}


def write_page(a: Analysis) -> Path:
    s = a.sweep
    info = parameter_info()
    body = {"sobol": sobol_html, "morris": morris_html, "grid": grid_html, "lhs": lhs_html}[s.kind](a)
    title = f"What drives the outcomes in sweep {s.name}?"
    page = f"""<!doctype html><html><head><meta charset="utf-8">\
<title>careersim sweep analysis: {html.escape(s.name)}</title>
<style>{_base_css()}</style></head><body>
<h1>{html.escape(title)}</h1>
{header_html(a)}
{bottom_line_html(a)}
{not_analysed_html(a)}
<h2 id="parameters">Parameters swept</h2>
{parameters_html(a, info)}
<h2 id="outcomes">Outcomes analysed</h2>
{outcomes_html(a)}
<h2 id="{s.kind}">{SECTION_TITLES[s.kind]}</h2>
{body}
<h2 id="sign">Where the advantage changes sign</h2>
{sign_html(a)}
<h2 id="points">Means at each design point</h2>
{point_means_html(a)}
<h2 id="files">Files and provenance</h2>
{files_html(a)}
</body></html>
"""
    path = a.folder / "report.html"
    destination.write_text(path, page)
    return path


# --- the text summary --------------------------------------------------------------------------------

def format_summary(a: Analysis, k: int = 3) -> str:
    """The top parameters per outcome and series, and the sign changes of the headline advantage."""
    s = a.sweep
    measure = MEASURES[s.kind][1]
    lines = [f"{s.kind} sweep {s.name}: {a.status['expected'] - len(a.status['missing'])} of {a.status['expected']} "
             f"design points, {s.replicates} replicates, group {a.group}; parameters ranked by {measure}:"]
    for o in outcome_order(s.outcomes):
        for series, kind in series_order(s):
            top = _top_text(a, series, o, k)
            if top:
                lines.append(f"  {target_text(series, kind, o)}: {top.split(': ', 1)[1]}")
    ch = a.tables.get("sign_changes")
    if ch is not None and len(ch):
        c = ch[ch["outcome"] == outcome_order(s.outcomes)[0]]
        lines += [f"  {r['sentence']}" for _, r in c.head(8).iterrows()]
    for n in a.notes:
        lines.append(f"  note: {n['what']}: {n['why']}")
    return "\n".join(lines)
