"""Reading a sweep folder, and what is analysed in it.

A sweep folder holds `sweep.json` (the manifest), `design.parquet` (one row per design point) and the
Hive-partitioned runs dataset `runs/shard=<k>/task-<t>.parquet` (one row per run and group). This
module reads them (`load_sweep`), says which machines the task files ran on, and turns the runs into
the values every statistic starts from: per design point and replicate, each model's level of each
outcome and each later model's paired advantage over the first (`replicate_values`), in reading order
(`series_order`, `outcome_order`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.outcomes import HEADLINE, direction
from simulation.run.reproducibility import RTOL

KINDS = ("grid", "lhs", "sobol", "morris")
GROUP_CHOICES = ("all", "women", "men")
# the outcomes a reader of a sweep looks at first, in this order: the comparison's headline, then the
# 5-year versions of retention and funding (a sweep's runs are often shorter than ten years)
SWEEP_LEAD_OUTCOMES = (*HEADLINE, "retention_5y", "grant_5y")
MINUS = "\u2212"


class SweepError(ValueError):
    """A folder that is not a sweep, or a sweep that cannot be analysed; the message is one line."""


# --- reading a sweep ------------------------------------------------------------------------------

@dataclass
class Sweep:
    """A sweep folder as read (`load_sweep`): its manifest, design, runs, and what the design varies."""

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
    """Read a sweep folder: its manifest, design and runs dataset (a run found in two task files once).

    Parameters
    ----------
    folder : str or Path
        A folder `careersim sweep` wrote.

    Returns
    -------
    Sweep
        The manifest, the design in point order, every row of the runs, the design's kind, parameters,
        models and the outcomes the runs have.

    Raises
    ------
    SweepError
        (one line) if the folder is not a sweep or its manifest or design cannot be read.
    """
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


def pairs(models: list[str]) -> list[tuple[str, str]]:
    """(first model, other model) for each other model: advantages are measured from the first."""
    return [(models[0], m) for m in models[1:]] if len(models) >= 2 else []


def replicate_values(sweep: Sweep, group: str = "all") -> pd.DataFrame:
    """Long table: point, replicate, series, kind ('level' or 'advantage'), outcome, value (finite ok runs only).

    Levels: one series per model ('' when the sweep compares none). Advantages: model b against
    the first model a, paired on replicate (the same seed), where both runs gave a value, signed
    so that positive is better for faculty (`better_sign`: b − a, or a − b where lower is better).

    Parameters
    ----------
    sweep : Sweep
        A sweep as read.
    group : str
        'all', 'women' or 'men'.

    Returns
    -------
    pandas.DataFrame
        One row per value, with the columns above.
    """
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


def series_order(sweep: Sweep) -> list[tuple[str, str]]:
    """(series, kind) in reading order: each model's levels, then the advantages."""
    levels = [(m, "level") for m in (sweep.models or [""])]
    return levels + [(advantage_name(a, b), "advantage") for a, b in pairs(sweep.models)]


def outcome_order(outcomes: list[str]) -> list[str]:
    head = [o for o in SWEEP_LEAD_OUTCOMES if o in outcomes]
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


def why_no_value(sweep: Sweep, outcome: str, group: str = "all") -> str:
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


