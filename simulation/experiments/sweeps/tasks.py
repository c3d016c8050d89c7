"""Tasks: a batch of runs executed in one worker, its Parquet file (rows and record), and where
the task files go.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.analysis.sweep_analysis import TASK_KEY
from simulation.config.params import Params
from simulation.config.scenario import load_scenario
from simulation.experiments.sweeps.load import Sweep


STATUS = ("ok", "failed")
KEY_COLUMNS = ("point", "replicate", "model", "seed", "group", "status", "error")
ENSEMBLE_KEY_COLUMNS = ("point", "replicate", "member", "model", "seed", "group", "status", "error")


@dataclass(frozen=True)
class Task:
    """A batch of runs, executed in one worker; it writes one Parquet file."""

    index: int
    path: str
    base: dict
    fixed: tuple[str, ...]
    names: tuple[str, ...]
    integer: tuple[bool, ...]
    outcomes: tuple[str, ...]
    # point, replicate, model, seed, values, ensemble member (None for a point sweep)
    runs: tuple[tuple[int, int, str, int, tuple[float, ...], int | None], ...]
    threads: int | None = None
    ensemble: bool = False
    member_data: dict[int, dict] = field(default_factory=dict)  # member -> the base resolved on it (its runs')

    def params(self, run) -> Params:
        """One run's parameters: the base scenario (resolved on the run's ensemble member, if
        any), [fixed] and --set, the run's parameter values and model, its seed."""
        point, replicate, model, seed, values, member = run
        base = self.base if member is None else self.member_data[member]
        return load_scenario(base, [*self.fixed, *overrides(self.names, self.integer, values, model)], seed=seed)


def overrides(names, integer, values, model: str = "") -> list[str]:
    """The --set lines of one run: each parameter's value (ints as ints), then the model."""
    out = [f"{n}={int(v) if i else repr(float(v))}" for n, i, v in zip(names, integer, values)]
    if model:
        out.append(f"mentoring.model={model}")
    return out


def run_outcomes(result, n_months: int, keep: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """One row per group (all, women, men) of one in-memory run, as `compare.run_outcomes`
    computes them from the saved tables: person-level outcomes, then run-level ones (group
    "all" only); only the outcomes in `keep`."""
    from simulation.analysis.outcomes import table_outcomes

    o = table_outcomes(result.people, result.series, n_months)
    for k in keep:
        if k not in o.columns:
            o[k] = np.nan
    return o[["group", *keep]]


def _one_line(exc: BaseException) -> str:
    text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 1000 else text[:997] + "..."


def run_task(task: Task) -> dict:
    """Run a task's runs (a failing run is recorded as failed; the others go on) and write its
    file atomically. Runs in any worker."""
    from simulation.analysis.outcomes import GROUPS
    from simulation.run import simulate as run_module

    keys = ENSEMBLE_KEY_COLUMNS if task.ensemble else KEY_COLUMNS
    columns: dict[str, list] = {c: [] for c in (*keys, *task.names, *task.outcomes)}
    failed = 0
    seen: set[int] = set()
    for run in task.runs:
        point, replicate, model, seed, values, member = run
        try:
            params = task.params(run)
            result = run_module.simulate(params, threads=task.threads)
            seen.add(int(result.manifest.get("threads") or 0))
            table = run_outcomes(result, params.n_months, task.outcomes)
            status, error = "ok", ""
        except Exception as exc:  # a run that fails is a row, not the end of the sweep
            table = pd.DataFrame({"group": list(GROUPS), **{k: [np.nan] * len(GROUPS) for k in task.outcomes}})
            status, error = "failed", _one_line(exc)
            failed += 1
        for _, row in table.iterrows():
            for key, v in zip(KEY_COLUMNS, (point, replicate, model, seed, row["group"], status, error)):
                columns[key].append(v)
            if task.ensemble:
                columns["member"].append(member)
            for n, v in zip(task.names, values):
                columns[n].append(v)
            for k in task.outcomes:
                columns[k].append(row[k])
    frame = rows_frame(columns, task.names, task.outcomes)
    path = Path(task.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_task_file(frame, path, task_record(sorted(seen)))
    return {"task": task.index, "runs": len(task.runs), "failed": failed, "path": str(path)}


def task_record(threads: list[int]) -> dict:
    """What a task file records besides its rows (the sweep's own metadata is in sweep.json, once):
    the machine its runs ran on (`results.machine()`: CPU, kernel target and features, numpy's SIMD
    set, llvmlite), the host and the numba threads its runs used."""
    import platform

    from simulation.run.results import machine

    return {"machine": machine(), "host": platform.node(), "threads": threads}


def write_task_file(frame: pd.DataFrame, path: Path, record: dict) -> None:
    """A task's rows as Parquet, atomically, with the task record as the only key-value metadata:
    pandas' own (a description of every column, larger than the rows of a small task) is left
    out, since the rows read back the same without it (int64, float64 and string columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)

    def write(tmp: Path) -> None:
        # no per-column statistics nor a second copy of the schema (Arrow's): the footer is the Parquet
        # schema and the record, and the rows read back the same
        with pq.ParquetWriter(tmp, table.schema, store_schema=False, write_statistics=False) as writer:
            writer.write_table(table)
            writer.add_key_value_metadata({TASK_KEY.decode(): json.dumps(record, sort_keys=True)})

    destination.write_file(path, write)


def read_task_record(path: str | Path) -> dict:
    """A task file's record (empty for a file written before records)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    try:
        return json.loads(meta[TASK_KEY]) if TASK_KEY in meta else {}
    except ValueError:
        return {}


def rows_frame(columns: dict[str, list], names, outcomes) -> pd.DataFrame:
    """A task's rows as a table: int64 keys, string labels, float64 parameters and outcomes."""
    types = {"point": np.int64, "replicate": np.int64, "member": np.int64, "seed": np.int64}
    frame = pd.DataFrame({c: pd.Series(v, dtype=types.get(c, object if c in ENSEMBLE_KEY_COLUMNS else np.float64))
                          for c, v in columns.items()})
    for c in ("model", "group", "status", "error"):
        frame[c] = frame[c].astype(str).astype(object)
    return frame


def task_path(out: Path, shard: int, task: int) -> Path:
    """Where a task's file goes: <out>/runs/shard=<shard>/task-<task:05d>.parquet."""
    return Path(out) / "runs" / f"shard={shard}" / f"task-{task:05d}.parquet"


_TASK_FILE = re.compile(r"^task-(\d+)\.parquet$")


def finished_tasks(out: Path) -> dict[int, list[Path]]:
    """Task index -> its files, in every shard folder."""
    done: dict[int, list[Path]] = {}
    for folder in sorted((Path(out) / "runs").glob("shard=*")):
        for f in folder.iterdir():
            m = _TASK_FILE.match(f.name)
            if m and f.is_file():
                done.setdefault(int(m.group(1)), []).append(f)
    return done


def make_task(sweep: Sweep, out: Path, index: int, shard: int, threads: int | None = None) -> Task:
    """Task `index` of the sweep: its runs (point, replicate, model, seed, values, member) and its file."""
    values = sweep.values()
    models = sweep.models or [""]
    runs = []
    for r in sweep.task_runs(index):
        point, rest = divmod(r, sweep.runs_per_point)
        replicate, m = divmod(rest, len(models))
        runs.append((point, replicate, models[m], sweep.seed_of(point, replicate),
                     tuple(float(v) for v in values[point]), sweep.member_of(replicate)))
    used = sorted({run[5] for run in runs if run[5] is not None})
    return Task(index, str(task_path(out, shard, index).resolve()), sweep.base_data, sweep.fixed,
                tuple(sweep.names), tuple(p.integer for p in sweep.parameters), tuple(sweep.outcomes),
                tuple(runs), threads, sweep.ensemble, {m: sweep.member_data[m] for m in used})


def biggest_params(sweep: Sweep) -> Params | None:
    """The run that needs the most memory, when the population itself is swept."""
    pop = [p for p in sweep.parameters if p.name in ("population.n_faculty", "horizon_years")]
    if not pop:
        return None
    from simulation.model.footprint import estimate_bytes

    design = sweep.design()
    names, integer = tuple(sweep.names), tuple(p.integer for p in sweep.parameters)
    # the points with the largest population or the longest horizon; among them the estimate
    # (which also counts the tie slots a point gives each row) picks the biggest
    candidates = {tuple(row[n] for n in names)
                  for p in pop for _, row in design.nlargest(32, p.name).iterrows()}
    params = [load_scenario(sweep.base_data, [*sweep.fixed, *overrides(names, integer, list(values))])
              for values in candidates]
    return max(params, key=estimate_bytes)
