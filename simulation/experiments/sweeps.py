"""Parameter sweeps and sensitivity analysis: a sweep file in, one Parquet dataset out.

A sweep file (TOML, in sweeps/) names a base scenario, the parameters that vary and how
(`values`, or `low`/`high` with a `distribution`), a design (grid, Latin hypercube, Sobol or
Morris), replicates per point and, optionally, several mentoring models compared at every
point on the same seeds. `careersim sweep FILE` runs it on local processes, a Dask cluster
or SLURM, in tasks of `[run] batch` runs, and writes

    <out>/sweep.json                         what was swept, how, with which versions
    <out>/design.parquet                     one row per design point: point, one float64
                                             column per parameter (SALib's sample order)
    <out>/runs/shard=<k>/task-<t:05d>.parquet   one file per finished task: one row per
                                             point x replicate x model x group

`shard=<k>`: k is the shard that ran the task (`--shard k/N`, 1-based), 0 for a run without
`--shard`. A task is finished when its file exists in any shard folder, so a local run, N shard
runs, or a mix of both write the same set of rows, and a re-run does only what is missing.

Run seeds: numpy `SeedSequence(entropy=seed, spawn_key=(0, replicate))`, its first 64-bit word
shifted right by 2 (a scenario seed is below 2**62): common random numbers, replicate r runs on
the same seed at every design point, so a parameter that does nothing changes nothing and the
indices measure the model, not the dice (`seeds = "independent"` in the file: spawn_key=(point,
replicate), a seed per point). Every model at a point and replicate gets the same seed, so
models are paired. Run r (point-major, then replicate, then model) belongs
to task r // batch; task t belongs to shard (t mod N) + 1 of N.

Calibration (`calibration = "point"`, the default, or `"ensemble"` in the file; `--calibration`
overrides it): "point" runs every point at the package's point defaults; "ensemble" runs
replicate r of every point on member r mod M of the installed record's calibrated ensemble (M
members, `config.params.ensemble_members()`), its values applied at the level of the defaults
(`load_scenario(base=member)`: the base scenario, [fixed], --set and the swept parameters still
win), so every point faces the same members (paired; the run seeds are as in a point sweep).
The rows then get a `member` column (after `replicate`) and sweep.json the calibration mode and
the members' values; the plan id changes with them (a point sweep's id is as before).

Integer parameters: a sampled value u in [0, 1] maps to floor(low + u (high + 1 - low)), capped
at high (uniform: every integer from low to high equally likely; loguniform: the same on a log
scale over [low, high + 1)).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
import shlex
import stat
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulation.util import destination
from simulation.analysis.sweep_analysis import (RUN_KEYS, TASK_KEY,  # noqa: F401 (the rows' keys; a task's record)
                                                unique_runs)
from simulation.config.params import (MODELS, NAME_PATTERN, Bool, Float, Int, Params, Str, calibration_record, describe,
                                      ensemble_members)
from simulation.config.scenario import (ConfigError, _bounds, _dotted, _num, _show, load_scenario, parse_override,
                                        resolve_path, value_message)

SWEEP_DIR = Path(__file__).resolve().parents[2] / "sweeps"
MAX_BYTES = 1_000_000
MAX_RUNS = 10_000_000
MAX_LINES = 20
DEFAULT_BATCH = 4
DEFAULT_MAX_SHARDS = 50
KINDS = ("grid", "lhs", "sobol", "morris")
STATUS = ("ok", "failed")
KEY_COLUMNS = ("point", "replicate", "model", "seed", "group", "status", "error")
ENSEMBLE_KEY_COLUMNS = ("point", "replicate", "member", "model", "seed", "group", "status", "error")
CALIBRATIONS = ("point", "ensemble")
NO_ENSEMBLE = ("the installed calibration record has no ensemble; make one with `careersim calibrate "
               "--history-match`, then `careersim calibrate --ensemble 200 --apply`")


class SweepError(ValueError):
    """A sweep that cannot run as asked (a folder holding another sweep, a bad shard...)."""


# --- what can be swept -------------------------------------------------------------------

@dataclass(frozen=True)
class Knob:
    """One numeric leaf of the scenario schema."""

    name: str
    integer: bool
    min: float | None
    max: float | None
    default: float


@lru_cache(maxsize=1)
def sweepable() -> dict[str, Knob]:
    """Every numeric parameter (dotted name) with its type and allowed range: the scalars of
    `params.describe()` and each entry of the per-rank and per-function tables."""
    out: dict[str, Knob] = {}
    for row in describe():
        name, value = row["name"], row["default"]
        if name == "seed":
            continue  # derived per run
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            continue
        if isinstance(value, dict):
            for key, v in value.items():
                lo, hi = _bounds((*name.split("."), key))
                out[f"{name}.{key}"] = Knob(f"{name}.{key}", False, lo, hi, float(v))
        else:
            out[name] = Knob(name, isinstance(value, int), row["min"], row["max"], float(value))
    return out


@lru_cache(maxsize=1)
def settable() -> set[str]:
    """Every leaf name a run may be given (numeric or not)."""
    names = set(sweepable())
    names.update(r["name"] for r in describe())
    return names


def outcome_names() -> dict[str, str]:
    """The outcomes of the registry (`simulation.analysis.outcomes.REGISTRY`) and their
    definitions: person-level outcomes, then run-level ones (group "all" only)."""
    from simulation.analysis.outcomes import definitions

    return definitions()


def _default_outcomes(horizon_years: float | None = None) -> list[str]:
    """The key outcomes (those a run of `horizon_years` can give, when given)."""
    from simulation.analysis.outcomes import key_outcomes

    return [o for o in key_outcomes() if horizon_years is None or years_needed(o) <= horizon_years]


def years_needed(outcome: str) -> int:
    """The years after a hire an outcome needs a run to last (0: none), from the outcome registry."""
    from simulation.analysis.outcomes import REGISTRY

    o = REGISTRY.get(outcome)
    return int(o.years_after_hire or 0) if o is not None else 0


def horizon_errors(outcomes, horizon_years: float, where: str, field_: str = "outcomes",
                   horizon_text: str | None = None) -> list[str]:
    """One line per outcome a run of `horizon_years` cannot give (it follows hires for fewer years
    than the outcome needs): the place, the outcome, the years it needs and the fix. For sweeps,
    and for any caller that knows its runs' length and outcomes (a comparison)."""
    shown = horizon_text or f"horizon_years = {_num(horizon_years)}"
    lines = []
    for i, o in enumerate(outcomes):
        need = years_needed(o)
        if need > horizon_years:
            lines.append(f"{where}: {field_}[{i}] = {_show(o)}: needs runs of at least {need} years (it follows hires "
                         f"{need} years), but {shown}; set horizon_years to {need} or more (more: more hires "
                         "followed), or drop the outcome")
    return lines


# --- the sweep file schema -----------------------------------------------------------------

class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ParameterSpec(_Section):
    values: list[Float] | None = Field(None, min_length=1, max_length=100_000)
    low: Float | None = None
    high: Float | None = None
    distribution: Literal["uniform", "loguniform"] = "uniform"


class DesignSpec(_Section):
    kind: Literal["grid", "lhs", "sobol", "morris"]
    n: Int | None = Field(None, ge=1, le=10_000_000)
    levels: Int | None = Field(None, ge=2, le=1000)
    calc_second_order: Bool = False


class RunSpecFile(_Section):
    batch: Int = Field(DEFAULT_BATCH, ge=1, le=100_000)


_WALLTIME = r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$"
_MEMORY = r"^\s*\d+(\.\d+)?\s*([KMGTP]i?B?|[kmgtp]i?b?|B|b)?\s*$"


class ClusterSpec(_Section):
    queue: Str | None = None
    account: Str | None = None
    cores: Int | None = Field(None, ge=1, le=100_000)
    processes: Int | None = Field(None, ge=1, le=100_000)
    memory: Annotated[str, Field(pattern=_MEMORY)] | None = None
    walltime: Annotated[str, Field(pattern=_WALLTIME)] | None = None
    jobs: Int | None = Field(None, ge=1, le=100_000)
    job_extra_directives: list[Str] = []
    job_script_prologue: list[Str] = []
    interface: Str | None = None
    python: Str | None = None
    # passed through to dask-jobqueue's SLURMCluster by simulation.experiments.cluster (--executor slurm)
    job_directives_skip: list[Str] = []
    worker_extra_args: list[Str] = []
    local_directory: Str | None = None
    log_directory: Str | None = None
    job_name: Str | None = None
    job_cpu: Int | None = Field(None, ge=1, le=100_000)
    job_mem: Annotated[str, Field(pattern=_MEMORY)] | None = None
    death_timeout: Int | None = Field(None, ge=1)
    dashboard_address: Str | None = None
    shebang: Str | None = None
    start_timeout: Int | None = Field(None, ge=1)


class SweepFile(_Section):
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]
    description: Str = ""
    base: Str
    seed: Int = Field(ge=0, le=2**63 - 1)
    replicates: Int = Field(ge=1, le=100_000)
    models: list[Literal[MODELS]] = []
    calibration: Literal["point", "ensemble"] = "point"
    seeds: Literal["common", "independent"] = "common"
    outcomes: list[Str] | None = None
    fixed: dict[str, Any] = {}
    set: list[Str] = Field([], max_length=1000)
    parameters: dict[str, ParameterSpec] = Field(min_length=1, max_length=1000)
    design: DesignSpec = DesignSpec(kind="grid")
    run: RunSpecFile = RunSpecFile()
    cluster: ClusterSpec = ClusterSpec()


def _schema_fields(loc: tuple) -> list[str]:
    """Valid field names at a place in the sweep schema."""
    model: Any = SweepFile
    i = 0
    while i < len(loc):
        info = model.model_fields.get(str(loc[i])) if isinstance(model, type) else None
        if info is None:
            break
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif str(loc[i]) == "parameters":
            model, i = ParameterSpec, i + 1  # skip the parameter's name
        elif args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            model = args[0]
        else:
            break
        i += 1
    return list(model.model_fields)


def _error_line(err: dict, where: str) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    dotted = _dotted(loc) or "(sweep)"
    if kind == "extra_forbidden":
        valid = _schema_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        parent = _dotted(loc[:-1])
        return (f"{where}: {dotted} = {_show(value)}: unknown field.{hint} "
                f"Valid fields{' in [' + parent + ']' if parent else ''}: {', '.join(valid)}")
    if kind == "missing" and loc == ("parameters",):
        return (f"{where}: parameters: missing; a sweep varies at least one parameter: "
                'add a [parameters."section.field"] table')
    if kind == "missing":
        return f"{where}: {dotted}: missing; it is required here"
    if (common := value_message(kind, ctx, value, loc)) is not None:
        msg = common
    elif kind == "string_pattern_mismatch" and loc[-1:] == ("walltime",):
        msg = 'must be a SLURM time such as "02:00:00" or "1-00:00:00"'
    elif kind == "string_pattern_mismatch" and loc[-1:] == ("memory",):
        msg = 'must be an amount such as "4GB" or "500MB"'
    elif kind in ("model_type", "dict_type"):
        msg = f"must be a table ([{dotted}] section) with fields: {', '.join(_schema_fields(loc))}"
    elif kind == "list_type":
        msg = "must be a list, e.g. [1, 2, 3]"
    elif kind == "too_short":
        msg = ("needs at least one parameter: a [parameters.\"section.field\"] table" if loc == ("parameters",)
               else "must not be empty")
    elif kind == "too_long":
        msg = f"is too long: at most {ctx.get('max_length')} entries"
    else:
        msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {dotted} = {_show(value)}: {msg}"


def _suggest(name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(close)}?" if close else ""


# --- a resolved sweep ---------------------------------------------------------------------

@dataclass(frozen=True)
class Parameter:
    name: str
    low: float | None
    high: float | None
    values: tuple[float, ...] | None
    distribution: str
    integer: bool

    def as_dict(self) -> dict:
        return {"name": self.name, "low": self.low, "high": self.high,
                "values": list(self.values) if self.values is not None else None,
                "distribution": self.distribution, "integer": self.integer}


@dataclass
class Sweep:
    """A validated sweep file with its command-line overrides."""

    file: Path
    text: str
    spec: SweepFile
    base_file: Path
    base_data: dict  # the base scenario, resolved (every run starts from it)
    fixed: tuple[str, ...]  # --set overrides for every run: the file's [fixed], then the command line's
    sets: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    batch: int
    calibration: str = "point"  # "point" or "ensemble" (the file's, or --calibration)
    members: tuple[dict[str, float], ...] = ()  # the ensemble's members (values), in ensemble mode
    member_data: tuple[dict, ...] = field(default=(), repr=False)  # the base scenario resolved on each member
    base_horizon: float = 40.0  # horizon_years of the base scenario with [fixed] and --set
    _design: pd.DataFrame | None = field(default=None, repr=False)
    _values: np.ndarray | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def models(self) -> list[str]:
        return list(self.spec.models)

    @property
    def outcomes(self) -> list[str]:
        return list(self.spec.outcomes) if self.spec.outcomes is not None else _default_outcomes(self.min_horizon)

    @property
    def min_horizon(self) -> float:
        """The shortest run of the sweep, in years (horizon_years may be swept)."""
        for p in self.parameters:
            if p.name == "horizon_years":
                return float(min(p.values) if p.values is not None else p.low)
        return float(self.base_horizon)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def ensemble(self) -> bool:
        return self.calibration == "ensemble"

    @property
    def common_seeds(self) -> bool:
        return self.spec.seeds == "common"

    def seed_of(self, point: int, replicate: int) -> int:
        """The run seed at (point, replicate): with common random numbers (the default) the
        same at every point, point 0's; with `seeds = "independent"` one per point."""
        return run_seed(self.spec.seed, 0 if self.common_seeds else point, replicate)

    def member_of(self, replicate: int) -> int | None:
        """The ensemble member replicate r runs on at every point (r mod M); None for a point sweep."""
        return int(replicate) % len(self.members) if self.ensemble else None

    def design(self) -> pd.DataFrame:
        if self._design is None:
            self._design = make_design(self)
        return self._design

    def values(self) -> np.ndarray:
        """The design's parameter values, points x parameters."""
        if self._values is None:
            self._values = self.design()[self.names].to_numpy(dtype=float)
        return self._values

    @property
    def n_points(self) -> int:
        return len(self.design())

    @property
    def runs_per_point(self) -> int:
        return self.spec.replicates * max(1, len(self.spec.models))

    @property
    def n_runs(self) -> int:
        return self.n_points * self.runs_per_point

    @property
    def n_tasks(self) -> int:
        return -(-self.n_runs // self.batch)

    def task_runs(self, task: int) -> range:
        return range(task * self.batch, min(self.n_runs, (task + 1) * self.batch))

    def salib_problem(self) -> dict:
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[p.low, p.high] for p in self.parameters]}


def _read(path: Path) -> str:
    shown = str(path)
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        known = ", ".join(list_sweeps()) or "none"
        raise ConfigError(f"{shown}: no such sweep file. Sweeps in {SWEEP_DIR}: {known}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{shown}: cannot read the sweep file ({exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(
            f"{shown}: is a folder, not a sweep file; give a .toml file such as sweeps/capacity_vs_k.toml"
        )
    if st.st_size > MAX_BYTES:
        raise ConfigError(
            f"{shown}: the file is {st.st_size:,} bytes; a sweep file must be at most {MAX_BYTES:,} bytes"
        )
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not a text file (not UTF-8); a sweep file is TOML text") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the sweep file ({exc.strerror or exc})") from None
    return text


def resolve_sweep_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.is_file() or p.suffix == ".toml" or p.exists():
        return p
    candidate = SWEEP_DIR / f"{name_or_path}.toml"
    return candidate if candidate.exists() else p


def list_sweeps(folder: Path = SWEEP_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.toml"))


def _value_text(value: Any) -> str:
    """A value as --set text (TOML): ints as ints, floats with repr, strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    return _show(value, 10_000)


def _flatten(table: dict, is_leaf, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not is_leaf(value):
            out.update(_flatten(value, is_leaf, name + "."))
        else:
            out[name] = value
    return out


def load_sweep(path: str | Path, sets: list[str] | tuple[str, ...] = (), batch: int | None = None,
               calibration: str | None = None) -> Sweep:
    """Read and validate a sweep file; every problem becomes one line of a `ConfigError`.
    `calibration` ("point" or "ensemble", from --calibration) overrides the file's."""
    path = resolve_sweep_path(path)
    where = str(path)
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{where}: not valid TOML: {' '.join(str(exc).split())}") from None
    data.setdefault("name", path.stem)
    # [parameters.network.max_ties] (unquoted) and [fixed] population.n_faculty = ... nest in TOML:
    # both mean the dotted name
    if isinstance(data.get("parameters"), dict):
        data["parameters"] = {k: {"values": v} if isinstance(v, list) else v  # "x" = [1, 2]: values
                              for k, v in _flatten(data["parameters"],
                                                   lambda v: bool(set(v) & set(ParameterSpec.model_fields))).items()}
    if isinstance(data.get("fixed"), dict):
        data["fixed"] = _flatten(data["fixed"], lambda v: False)
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        errs = exc.errors()
        # a misspelt required field: say it once, as the misspelling ("replicate = 2: ... Did you mean replicates?")
        misspelt = {(*e["loc"][:-1], c) for e in errs if e["type"] == "extra_forbidden"
                    for c in difflib.get_close_matches(str(e["loc"][-1]), _schema_fields(e["loc"][:-1]),
                                                       n=3, cutoff=0.5)}
        for err in errs:
            if err["type"] == "missing" and tuple(err["loc"]) in misspelt:
                continue
            line = _error_line(err, where)
            if line not in lines:
                lines.append(line)
        raise ConfigError("\n".join(lines[:MAX_LINES])) from None
    errors: list[str] = []
    knobs = sweepable()
    kind = spec.design.kind
    raw_params = data.get("parameters", {})
    parameters: list[Parameter] = []
    for name, p in spec.parameters.items():
        loc = f"parameters.{_dotted((name,))}"
        raw = raw_params.get(name, {})
        knob = knobs.get(name)
        if knob is None:
            why = ("a text or true/false setting cannot be swept; set it in [fixed] or compare it with models"
                   if name in settable() else "unknown parameter." + _suggest(name, knobs))
            errors.append(f"{where}: {loc} = {_show(raw)}: {why} (careersim params lists every parameter)")
            continue
        if name in ("mentoring.model",):
            errors.append(f"{where}: {loc}: compare mentoring models with models = [...], not as a parameter")
            continue
        allowed = f" (allowed: {_num(knob.min) if knob.min is not None else '-inf'} to " \
                  f"{_num(knob.max) if knob.max is not None else 'inf'})"

        def in_range(field_: str, v: float) -> bool:
            if (knob.min is not None and v < knob.min) or (knob.max is not None and v > knob.max):
                errors.append(f"{where}: {loc}.{field_} = {_show(v)}: out of {name}'s range{allowed}")
                return False
            return True

        def integral(field_: str, v: Any) -> bool:
            if knob.integer and not (isinstance(v, int) and not isinstance(v, bool)):
                errors.append(f"{where}: {loc}.{field_} = {_show(v)}: {name} is an integer parameter; "
                              "give an integer, e.g. 3 (not 3.0)")
                return False
            return True

        if p.values is not None:
            if p.low is not None or p.high is not None:
                errors.append(f"{where}: {loc}: give either values = [...] or low and high, not both")
                continue
            if kind != "grid":
                errors.append(f"{where}: {loc}.values = {_show(raw.get('values'))}: a {kind} design samples "
                              "between low and high; give low and high instead of values")
                continue
            ok = all(integral(f"values[{i}]", v) for i, v in enumerate(raw.get("values", [])))
            ok = all([in_range(f"values[{i}]", v) for i, v in enumerate(raw.get("values", p.values))]) and ok
            if ok and len(set(p.values)) != len(p.values):
                errors.append(f"{where}: {loc}.values = {_show(raw.get('values'))}: a value is repeated; "
                              "give each value once (replicates repeat points)")
                ok = False
            if ok:
                parameters.append(Parameter(name, float(min(p.values)), float(max(p.values)),
                                            tuple(float(v) for v in p.values), p.distribution, knob.integer))
            continue
        if p.low is None or p.high is None:
            missing = "low and high" if p.low is None and p.high is None else ("low" if p.low is None else "high")
            errors.append(f"{where}: {loc}: {missing} missing; give values = [...] (grid) or low and high")
            continue
        ok = integral("low", raw.get("low")) & integral("high", raw.get("high"))
        ok = in_range("low", raw.get("low", p.low)) & in_range("high", raw.get("high", p.high)) & ok
        if ok and p.low >= p.high:
            errors.append(f"{where}: {loc}: low = {_show(raw.get('low'))} is not below high = "
                          f"{_show(raw.get('high'))}; low must be less than high")
            ok = False
        if ok and p.distribution == "loguniform" and p.low <= 0:
            errors.append(f"{where}: {loc}.low = {_show(raw.get('low'))}: a loguniform range needs low > 0")
            ok = False
        if ok and kind == "morris" and knob.integer:
            levels = spec.design.levels or 4
            if p.high - p.low < levels - 1:
                errors.append(f"{where}: {loc}: an integer range of {int(p.high - p.low) + 1} values cannot hold "
                              f"{levels} distinct Morris levels; widen it or lower design.levels")
                ok = False
        if ok:
            parameters.append(Parameter(name, float(p.low), float(p.high), None, p.distribution, knob.integer))

    d = spec.design
    if kind == "grid":
        if d.n is not None:
            errors.append(f"{where}: design.n = {d.n}: a grid takes its points from the parameters' values; remove n")
        if any(p.values is None for p in spec.parameters.values()) and d.levels is None:
            errors.append(f"{where}: design.levels: missing; a grid over low..high needs levels = "
                          "(points per parameter), or give values = [...]")
    elif d.n is None:
        what = {"lhs": "points", "sobol": "base samples N (a power of 2)", "morris": "trajectories"}[kind]
        errors.append(f"{where}: design.n: missing; a {kind} design needs n = {what}")
    elif kind == "sobol" and d.n & (d.n - 1):
        errors.append(f"{where}: design.n = {d.n}: Sobol' base samples must be a power of 2 "
                      f"(e.g. {1 << max(0, d.n.bit_length() - 1)} or {1 << d.n.bit_length()})")
    if kind in ("lhs", "sobol") and d.levels is not None:
        errors.append(f"{where}: design.levels = {d.levels}: levels is for grid and morris designs only")
    if kind != "sobol" and d.calc_second_order:
        errors.append(f"{where}: design.calc_second_order = true: only for a sobol design")
    if kind in ("sobol", "morris") and len(spec.parameters) < (2 if kind == "sobol" and d.calc_second_order else 1):
        errors.append(f"{where}: parameters: second-order Sobol' indices need at least two parameters")

    if len(set(spec.models)) != len(spec.models):
        errors.append(f"{where}: models = {_show(list(spec.models))}: a model is repeated; name each once")
    known = outcome_names()
    for i, o in enumerate(spec.outcomes or []):
        if o not in known:
            errors.append(f"{where}: outcomes[{i}] = {_show(o)}: unknown outcome.{_suggest(o, known)} "
                          f"Known: {', '.join(known)}")
    if spec.outcomes is not None and len(set(spec.outcomes)) != len(spec.outcomes):
        errors.append(f"{where}: outcomes: an outcome is repeated; name each once")
    if spec.outcomes is not None and not spec.outcomes:
        errors.append(f"{where}: outcomes = []: keep at least one outcome (or leave outcomes out for the headline set)")

    fixed = []
    for key, value in spec.fixed.items():
        floc = f"fixed.{_dotted((key,))}"
        if key not in settable() or key == "seed":
            errors.append(f"{where}: {floc} = {_show(value)}: unknown parameter.{_suggest(key, settable())}"
                          if key != "seed"
                          else f"{where}: {floc}: the seed is the sweep's seed = ...; remove it from [fixed]")
        elif key in spec.parameters:
            errors.append(f"{where}: {floc}: is also a swept parameter; keep it in one place")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"{where}: {floc}: models = [...] sets the mentoring model; remove one of them")
        else:
            fixed.append(f"{key}={_value_text(value)}")
    for i, text_ in enumerate(spec.set):  # set = ["population.n_faculty=300", ...]: as [fixed]
        try:
            parts, value = parse_override(text_)
        except ConfigError as exc:
            errors.append(f"{where}: set[{i}] = {_show(text_)}: {str(exc).split(': ', 1)[-1]}")
            continue
        key = ".".join(parts)
        if key not in settable() or key == "seed":
            errors.append(f"{where}: set[{i}] = {_show(text_)}: unknown parameter.{_suggest(key, settable())}")
        elif key in spec.parameters or key in spec.fixed:
            errors.append(f"{where}: set[{i}] = {_show(text_)}: {key} is also in "
                          f"{'[parameters]' if key in spec.parameters else '[fixed]'}; keep it in one place")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"{where}: set[{i}] = {_show(text_)}: models = [...] sets the mentoring model; remove one")
        else:
            fixed.append(text_)
    for text_ in sets:
        key = text_.split("=", 1)[0].strip()
        if key in spec.parameters:
            errors.append(f"--set {_show(text_)}: {key} is swept by {where}; it cannot also be fixed")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"--set {_show(text_)}: {where} compares models {_show(list(spec.models))}; "
                          "remove --set mentoring.model")
        elif key == "seed":
            errors.append(f"--set {_show(text_)}: run seeds derive from the sweep's seed = ...")
    if batch is not None and batch < 1:
        errors.append(f"--batch {batch}: must be at least 1 (runs per task)")
    members: list[dict[str, float]] = []
    if calibration is not None and calibration not in CALIBRATIONS:
        errors.append(f"--calibration {calibration}: must be point (the point defaults) or ensemble "
                      "(the calibrated ensemble's members)")
    elif (calibration or spec.calibration) == "ensemble":
        members = ensemble_members()
        if not members:
            errors.append(("--calibration ensemble" if calibration else f'{where}: calibration = "ensemble"')
                          + f": {NO_ENSEMBLE}")
    if errors:
        raise ConfigError("\n".join(errors[:MAX_LINES]))

    base_file = resolve_path(spec.base, path.parent)
    try:
        base = load_scenario(base_file)
    except ConfigError as exc:
        raise ConfigError("\n".join(f"{where}: base = {_show(spec.base)}: {line}"
                                    for line in str(exc).splitlines())) from None
    try:
        load_scenario(base_file, fixed)
    except ConfigError as exc:  # scenario errors name --set: here they are the file's [fixed] settings
        raise ConfigError("\n".join(f"{where}: fixed.{line.removeprefix('--set: ')}" if line.startswith("--set: ")
                                     else f"{where}: [fixed]: {line}" for line in str(exc).splitlines())) from None
    resolved = load_scenario(base_file, [*fixed, *sets])  # --set errors say --set
    member_data = []
    for m, member in enumerate(members):  # each member under the base scenario, [fixed] and --set
        try:
            load_scenario(base_file, [*fixed, *sets], base=member)
            member_data.append(load_scenario(base_file, base=member).model_dump())
        except ConfigError as exc:
            raise ConfigError("\n".join(f"{where}: calibration = \"ensemble\": member {m}: {line}"
                                        for line in str(exc).splitlines()[:MAX_LINES])) from None
    sweep = Sweep(path, text, spec, base_file.resolve(), base.model_dump(), tuple(fixed) + tuple(sets), tuple(sets),
                  tuple(parameters), batch or spec.run.batch, "ensemble" if members else "point", tuple(members),
                  tuple(member_data), float(resolved.horizon_years))
    if spec.outcomes is not None:
        swept = next((p for p in sweep.parameters if p.name == "horizon_years"), None)
        text = (f"horizon_years is swept from {_num(sweep.min_horizon)}" if swept is not None else
                f"horizon_years = {_num(sweep.min_horizon)}"
                + (" (the base scenario's)" if not any(f.replace(" ", "").startswith("horizon_years=")
                                                          for f in [*fixed, *sets]) else ""))
        lines = horizon_errors(spec.outcomes, sweep.min_horizon, where, horizon_text=text)
        if lines:
            raise ConfigError("\n".join(lines[:MAX_LINES]))
    n_runs = sweep.n_runs
    if n_runs > MAX_RUNS:
        raise ConfigError(f"{where}: {sweep.n_points:,} points x {sweep.runs_per_point} runs = {n_runs:,} runs; "
                          f"a sweep may have at most {MAX_RUNS:,}: lower design.n or replicates")
    return sweep


# --- designs ---------------------------------------------------------------------------

def run_seed(seed: int, point: int, replicate: int) -> int:
    """The seed of every run at (point, replicate), whatever its model: paired comparisons."""
    word = np.random.SeedSequence(entropy=int(seed),
                                  spawn_key=(int(point), int(replicate))).generate_state(1, np.uint64)[0]
    return int(word) >> 2  # below 2**62, a scenario's largest seed


def _design_seed(seed: int) -> int:
    """The seed of the design's own sampler (LHS, Sobol', Morris), apart from the run seeds."""
    return int(np.random.SeedSequence(entropy=int(seed), spawn_key=(2**32,)).generate_state(1, np.uint32)[0])


def _scale(u: np.ndarray, p: Parameter) -> np.ndarray:
    """Unit-interval samples to the parameter's range (integers floored, equally likely)."""
    low, high = p.low, p.high + (1.0 if p.integer else 0.0)
    if p.distribution == "loguniform":
        x = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    else:
        x = low + u * (high - low)
    if p.integer:
        x = np.minimum(np.floor(x), p.high)
    return np.clip(x, p.low, p.high)


def _levels(p: Parameter, levels: int) -> list[float]:
    if p.values is not None:
        return list(p.values)
    if p.integer:
        grid = np.unique(np.round(np.geomspace(p.low, p.high, levels) if p.distribution == "loguniform"
                                  else np.linspace(p.low, p.high, levels)))
    else:
        grid = (np.geomspace(p.low, p.high, levels) if p.distribution == "loguniform"
                else np.linspace(p.low, p.high, levels))
    return [float(v) for v in grid]


def make_design(sweep: Sweep) -> pd.DataFrame:
    """One row per design point: `point`, then one float64 column per parameter, in the order
    SALib's analysers expect for sobol and morris designs."""
    d = sweep.spec.design
    params = sweep.parameters
    dim = len(params)
    seed = _design_seed(sweep.spec.seed)
    if d.kind == "grid":
        axes = [_levels(p, d.levels or 2) for p in params]
        x = np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, dim)
    else:
        unit = {"num_vars": dim, "names": [p.name for p in params], "bounds": [[0.0, 1.0]] * dim}
        if d.kind == "lhs":
            from scipy.stats import qmc

            try:
                engine = qmc.LatinHypercube(d=dim, rng=np.random.default_rng(seed))
            except TypeError:  # scipy before 1.15
                engine = qmc.LatinHypercube(d=dim, seed=np.random.default_rng(seed))
            u = engine.random(d.n)
        elif d.kind == "sobol":
            import warnings

            from SALib.sample import sobol

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                u = sobol.sample(unit, d.n, calc_second_order=d.calc_second_order, seed=seed)
        else:
            from SALib.sample import morris

            u = morris.sample(unit, d.n, num_levels=d.levels or 4, seed=seed)
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        x = np.column_stack([_scale(u[:, j], p) for j, p in enumerate(params)]) if dim else np.zeros((len(u), 0))
    frame = pd.DataFrame({"point": np.arange(len(x), dtype=np.int64)})
    for j, p in enumerate(params):
        frame[p.name] = x[:, j].astype(np.float64)
    return frame


# --- tasks ---------------------------------------------------------------------------------

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
    from simulation.run import simulate as run_module
    from simulation.analysis.outcomes import GROUPS

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
    types = {"point": np.int64, "replicate": np.int64, "member": np.int64, "seed": np.int64}
    frame = pd.DataFrame({c: pd.Series(v, dtype=types.get(c, object if c in ENSEMBLE_KEY_COLUMNS else np.float64))
                          for c, v in columns.items()})
    for c in ("model", "group", "status", "error"):
        frame[c] = frame[c].astype(str).astype(object)
    return frame


# --- where the results go ------------------------------------------------------------------

def default_out(sweep: Sweep) -> Path:
    return Path("results") / "sweeps" / sweep.name


def task_path(out: Path, shard: int, task: int) -> Path:
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


def plan_id(sweep: Sweep) -> str:
    """What makes two invocations the same sweep: same runs with the same settings and tasks."""
    design = sweep.design()
    ident = {
        "base": sweep.base_data, "fixed": list(sweep.fixed), "seed": sweep.spec.seed,
        "replicates": sweep.spec.replicates, "models": sweep.models, "outcomes": sweep.outcomes,
        "parameters": [p.as_dict() for p in sweep.parameters], "batch": sweep.batch,
        "design": hashlib.sha256(design.to_numpy(dtype=float).tobytes()).hexdigest(),
    }
    if sweep.common_seeds:  # (a sweep with independent seeds keeps the id it had before common random numbers)
        ident["seeds"] = "common"
    if sweep.ensemble:  # (a point sweep's id is as it was before ensembles)
        ident["calibration"] = {"mode": "ensemble", "members": list(sweep.members)}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def manifest(sweep: Sweep) -> dict:
    from simulation.run.results import git_commit, versions

    d = sweep.spec.design
    design: dict[str, Any] = {"kind": d.kind, "parameters": [p.as_dict() for p in sweep.parameters],
                              "n": d.n, "levels": (d.levels or 4) if d.kind == "morris" else d.levels,
                              "calc_second_order": bool(d.calc_second_order)}
    if d.kind in ("sobol", "morris"):
        design["salib_problem"] = sweep.salib_problem()
    return {
        "name": sweep.name, "description": sweep.spec.description, "sweep_file": sweep.text,
        "sweep_path": str(sweep.file.resolve()), "base": sweep.spec.base, "base_file": str(sweep.base_file),
        "seed": sweep.spec.seed, "replicates": sweep.spec.replicates, "models": sweep.models,
        "outcomes": sweep.outcomes, "fixed": list(sweep.fixed), "design": design,
        "calibration": sweep.calibration, "ensemble": ensemble_manifest(sweep),
        "horizon_years": None if "horizon_years" in sweep.names else sweep.min_horizon,
        "n_points": sweep.n_points, "n_runs": sweep.n_runs, "n_tasks": sweep.n_tasks, "batch": sweep.batch,
        "seeds": sweep.spec.seeds,
        "seed_rule": ("SeedSequence(entropy=seed, spawn_key=(0, replicate)).generate_state(1, uint64)[0] >> 2: "
                      "common random numbers, replicate r has the same seed at every point" if sweep.common_seeds else
                      "SeedSequence(entropy=seed, spawn_key=(point, replicate)).generate_state(1, uint64)[0] >> 2"),
        "member_rule": ("replicate r of every point runs on ensemble member r mod M (its values at the level of "
                        "the defaults)" if sweep.ensemble else None),
        "task_rule": "run r (point-major, then replicate, then model) is in task r // batch; "
                     "task t is in shard (t mod N) + 1 of N; runs/shard=k: the shard that ran it (0: no --shard)",
        "plan_id": plan_id(sweep), "versions": versions(), "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def ensemble_manifest(sweep: Sweep) -> dict | None:
    """The ensemble a sweep runs on (None for a point sweep): its members' values and how the
    installed record made them."""
    if not sweep.ensemble:
        return None
    ensemble = calibration_record().get("ensemble") or {}
    return {"members": len(sweep.members), "member_values": list(sweep.members),
            "method": str(ensemble.get("method", "")), "created_utc": ensemble.get("created_utc"),
            "members_used": min(len(sweep.members), sweep.spec.replicates)}


def prepare(sweep: Sweep, out: str | Path, source: str = "--out") -> Path:
    """Claim the output folder and write sweep.json and design.parquet (or check that the
    folder holds this same sweep). Returns the folder."""
    out = destination.claim(out, "sweep", source)
    path = out / "sweep.json"
    pid = plan_id(sweep)
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("plan_id") != pid:
            what = []
            if old.get("calibration", "point") != sweep.calibration:
                what.append(f"calibration {old.get('calibration', 'point')} there, {sweep.calibration} now")
            elif sweep.ensemble and (old.get("ensemble") or {}).get("member_values") != list(sweep.members):
                what.append("a different calibrated ensemble")
            if old.get("seeds", "independent") != sweep.spec.seeds:
                what.append(f"seeds {old.get('seeds', 'independent')} there"
                            + (" (made before sweeps ran on common random numbers)" if "seeds" not in old else "")
                            + f", {sweep.spec.seeds} now; seeds = \"{old.get('seeds', 'independent')}\" in the file "
                            "resumes it")
            if old.get("batch") not in (None, sweep.batch):
                what.append(f"batch {old.get('batch')} there, {sweep.batch} now")
            if old.get("fixed") not in (None, list(sweep.fixed)):
                what.append("different fixed settings or --set")
            if old.get("sweep_file") not in (None, sweep.text):
                what.append("a different sweep file")
            raise SweepError(f"{source} {out}: holds a different sweep ({'; '.join(what) or old.get('name', '?')}); "
                             "its finished tasks would not match. Run with the same file and options, "
                             "or give a new --out")
    else:
        destination.write_text(path, json.dumps(manifest(sweep), indent=2, default=str) + "\n")
    if not (out / "design.parquet").exists():
        destination.write_parquet(sweep.design(), out / "design.parquet")
    (out / "runs").mkdir(exist_ok=True)
    return out


def _parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if shard is None or isinstance(shard, tuple):
        return shard
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(shard))
    if not m:
        raise SweepError(f"--shard {shard}: expected I/N, e.g. --shard 3/50 (shard I of N, I from 1 to N)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise SweepError(f"--shard {shard}: I must be from 1 to N (shards are numbered from 1), and N at least 1")
    return i, n


def shard_tasks(n_tasks: int, shard: tuple[int, int] | None) -> list[int]:
    if shard is None:
        return list(range(n_tasks))
    i, n = shard
    return list(range(i - 1, n_tasks, n))


def make_task(sweep: Sweep, out: Path, index: int, shard: int, threads: int | None = None) -> Task:
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


@dataclass
class SweepRun:
    out: Path
    tasks_run: int
    runs: int
    failed: int
    skipped_tasks: int
    seconds: float


def _failed_tasks(files: dict[int, list[Path]]) -> set[int]:
    import pyarrow.parquet as pq

    bad = set()
    for t, paths in files.items():
        for f in paths:
            status = pq.read_table(f, columns=["status"]).column("status").to_pylist()
            if "failed" in status:
                bad.add(t)
    return bad


def run_sweep(
    sweep: Sweep,
    out: str | Path | None = None,
    executor: str = "processes",
    workers: int | None = None,
    address: Any = None,
    shard: str | tuple[int, int] | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    threads: int | None = None,
) -> SweepRun:
    """Run what is not finished yet of the sweep (or of one shard of it). `threads`: numba threads
    per run (an array task's --threads, its cores); default: one per run below
    `simulate.ONE_THREAD_BELOW` faculty, else the cores over the parallel runs."""
    from simulation.model import footprint
    from simulation.util.progress import Progress, step
    from simulation.experiments.executors import EXECUTORS, compile_kernels, is_remote, map_tasks

    t0 = time.perf_counter()
    shard = _parse_shard(shard)
    if executor not in EXECUTORS:
        raise SweepError(f"--executor {executor}: must be one of {', '.join(EXECUTORS)}")
    source = "--out" if out is not None else "output folder"
    if executor == "slurm":  # SLURM asked first: a section it would refuse stops here, nothing written or submitted
        try:
            from simulation.experiments.cluster import check_slurm
        except ImportError as exc:
            raise SweepError(f"--executor slurm needs simulation.experiments.cluster and dask-jobqueue ({exc}); "
                             "or use --job-array") from None
        check_slurm(slurm_settings(sweep, out if out is not None else default_out(sweep)))
    out = prepare(sweep, out if out is not None else default_out(sweep), source)
    runs_dir = out / "runs"
    destination.remove_leftovers([out, runs_dir, *runs_dir.glob("shard=*")])
    files = finished_tasks(out)
    mine = shard_tasks(sweep.n_tasks, shard)
    done = set(files)
    if retry_failed:
        done -= _failed_tasks({t: files[t] for t in mine if t in files})
    todo = [t for t in mine if t not in done]
    total = sum(len(sweep.task_runs(t)) for t in mine)
    initial = total - sum(len(sweep.task_runs(t)) for t in todo)
    cluster_ctx = None
    if executor == "slurm":
        try:
            from simulation.experiments.cluster import slurm_cluster
        except ImportError as exc:
            raise SweepError(f"--executor slurm needs simulation.experiments.cluster and dask-jobqueue ({exc}); "
                             "or use --job-array") from None
        settings = slurm_settings(sweep, out)
        cluster_ctx = slurm_cluster(settings, say=lambda text: step(text))  # job ids and waits: said even with -q
    local = cluster_ctx is None and not is_remote(executor, address)
    asked = threads
    if threads is not None and threads < 1:
        raise SweepError(f"--threads {threads}: must be at least 1 (numba threads per run)")
    if todo and local:
        parallel = 1 if executor == "serial" else min(len(todo), workers or _cpus())
        probe = make_task(sweep, out, todo[0], 0)
        first = probe.params(probe.runs[0])
        biggest = _biggest_params(sweep)
        footprint.check(biggest or first, parallel)
        compile_kernels(first, progress)
        if executor == "processes" and asked is None:
            threads = max(1, _cpus() // parallel)
    if executor == "slurm" and asked is None:  # each worker process runs one task at a time on its cores
        threads = cluster_threads(cluster_settings(sweep))
    if executor != "serial":
        threads = threads or 1
    tasks = [make_task(sweep, out, t, shard[0] if shard else 0, threads) for t in todo]
    label = f"sweep {sweep.name}" + (f" shard {shard[0]}/{shard[1]}" if shard else "")
    failed = ran = 0
    with Progress(total, label, "run", initial=initial, enabled=progress) as bar:
        if tasks:
            def consume(executor_: str, address_: Any) -> None:
                nonlocal failed, ran
                for res in map_tasks(run_task, tasks, executor_, workers, address_):
                    for old in files.get(res["task"], []):  # a retried task: its older file goes
                        if str(old.resolve()) != res["path"]:
                            old.unlink(missing_ok=True)
                    ran += res["runs"]
                    if res["failed"]:
                        failed += res["failed"]
                        bar.desc = f"{label} ({failed} failed)"
                        if bar.bar is not None:
                            bar.bar.set_description(bar.desc)
                    bar.update(res["runs"])

            if cluster_ctx is not None:
                with cluster_ctx as cluster:  # started and scaled to [cluster] jobs by slurm_cluster
                    consume("dask", cluster)
            else:
                consume(executor, address)
    if failed:
        step(f"{failed} of {ran} runs failed; their rows have status \"failed\" and the error", progress)
    return SweepRun(out, len(tasks), ran, failed, len(mine) - len(todo), time.perf_counter() - t0)


def cluster_threads(settings: dict) -> int:
    """Numba threads per run for the slurm executor: a job's cores over its worker processes."""
    cores, processes = settings.get("cores") or 1, settings.get("processes") or 1
    return max(1, cores // processes)


def slurm_settings(sweep: Sweep, out: str | Path) -> dict:
    """The slurm executor's [cluster] settings: the file's, with what it leaves out sized for the
    sweep: the workers' logs in the sweep folder's logs/, cores as an array task would ask for
    (`array_resources`) and memory per job for its worker processes' runs (footprint estimate)."""
    settings = cluster_settings(sweep)
    settings.setdefault("log_directory", str((Path(out) / "logs").resolve()))
    if "cores" not in settings or "memory" not in settings:
        need = array_resources(sweep)
        processes = settings.get("processes") or 1
        settings.setdefault("cores", max(need["cores"], processes))
        settings.setdefault("memory", f"{need['memory_mb'] * processes}MiB")
    return settings


def cluster_settings(sweep: Sweep) -> dict:
    """The [cluster] section as given (unset keys left out), for `cluster.slurm_cluster`."""
    return sweep.spec.cluster.model_dump(exclude_unset=True)


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def _biggest_params(sweep: Sweep) -> Params | None:
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


# --- reading, status, job arrays --------------------------------------------------------

def read_runs(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every row of the dataset (the `shard` partition column dropped), sorted by point,
    replicate, model and group."""
    import pyarrow.dataset as ds

    runs = Path(out) / "runs"
    if not finished_tasks(out):
        return pd.DataFrame()
    table = ds.dataset(runs, format="parquet", partitioning="hive").to_table(columns=columns)
    frame = table.to_pandas()
    frame = frame.drop(columns=[c for c in ("shard",) if c in frame.columns])
    frame = unique_runs(frame)
    order = {"all": 0, "women": 1, "men": 2}
    keys = [c for c in ("point", "replicate", "model", "group") if c in frame.columns]
    if keys:
        frame = frame.assign(_g=frame["group"].map(order) if "group" in frame.columns else 0)
        frame = frame.sort_values([k if k != "group" else "_g" for k in keys], kind="stable").drop(columns="_g")
    return frame.reset_index(drop=True)


def status(sweep: Sweep, out: str | Path, shards: int | None = None) -> dict:
    """Done, failed and remaining tasks and runs, across every shard folder."""
    import pyarrow.dataset as ds

    out = Path(out)
    files = finished_tasks(out)
    info = {"out": str(out.resolve()), "n_points": sweep.n_points, "n_runs": sweep.n_runs,
            "n_tasks": sweep.n_tasks, "batch": sweep.batch, "tasks_done": 0, "runs_ok": 0,
            "runs_failed": 0, "tasks_with_failures": 0, "tasks_remaining": sweep.n_tasks,
            "runs_remaining": sweep.n_runs, "duplicates": 0, "started": (out / "sweep.json").exists()}
    if (out / "sweep.json").exists():
        try:
            old = json.loads((out / "sweep.json").read_text())
            info["same_sweep"] = old.get("plan_id") == plan_id(sweep)
        except (OSError, ValueError):
            info["same_sweep"] = False
    valid = {t: p for t, p in files.items() if t < sweep.n_tasks}
    info["duplicates"] = sum(len(p) - 1 for p in valid.values())
    if valid:
        paths = [str(p[0]) for p in valid.values()]
        table = ds.dataset(paths, format="parquet").to_table(
            columns=["point", "replicate", "model", "status"], filter=ds.field("group") == "all").to_pandas()
        info["runs_ok"] = int((table["status"] == "ok").sum())
        info["runs_failed"] = int((table["status"] == "failed").sum())
        info["tasks_done"] = len(valid)
        bad_runs = table[table["status"] == "failed"]
        if len(bad_runs):
            info["tasks_with_failures"] = len({_task_of(sweep, r) for r in bad_runs.itertuples()})
        done_runs = sum(len(sweep.task_runs(t)) for t in valid)
        info["tasks_remaining"] = sweep.n_tasks - len(valid)
        info["runs_remaining"] = sweep.n_runs - done_runs
    from simulation.analysis.sweep_analysis import machines_text, task_machines

    info["machines"] = machines_text(task_machines(out)) if valid else None
    if shards:
        per = []
        for i in range(1, shards + 1):
            ts = shard_tasks(sweep.n_tasks, (i, shards))
            per.append((i, sum(t in valid for t in ts), len(ts)))
        info["shards"] = per
    return info


def _task_of(sweep: Sweep, row) -> int:
    models = sweep.models or [""]
    m = models.index(row.model) if row.model in models else 0
    r = row.point * sweep.runs_per_point + row.replicate * len(models) + m
    return r // sweep.batch


def format_status(sweep: Sweep, info: dict) -> str:
    models = f" x {len(sweep.models)} models" if sweep.models else ""
    lines = [f"sweep {sweep.name}: {info['n_points']} points x {sweep.spec.replicates} replicates{models} = "
             f"{info['n_runs']} runs in {info['n_tasks']} tasks of up to {info['batch']} runs"]
    if sweep.ensemble:
        lines.append(f"calibration: the calibrated ensemble's {len(sweep.members)} members "
                     "(replicate r of every point on member r mod "
                     f"{len(sweep.members)}; {min(len(sweep.members), sweep.spec.replicates)} used)")
    if not info["started"]:
        lines.append("not started: no results yet")
    elif info.get("same_sweep") is False:
        lines.append("warning: the folder holds a different sweep (other file, --set, --batch or --calibration); "
                     "the counts below may not match it")
    done_runs = info["runs_ok"] + info["runs_failed"]
    lines.append(f"done: {info['tasks_done']} tasks, {done_runs} runs ({info['runs_ok']} ok, "
                 f"{info['runs_failed']} failed"
                 + (f" in {info['tasks_with_failures']} tasks" if info["runs_failed"] else "") + ")")
    lines.append(f"remaining: {info['tasks_remaining']} tasks, {info['runs_remaining']} runs")
    if info["duplicates"]:
        lines.append(f"warning: {info['duplicates']} tasks have more than one file (were shards run twice at once?)")
    if info.get("shards"):
        complete = sum(d == n for _, d, n in info["shards"])
        partial = [f"{i} ({d}/{n})" for i, d, n in info["shards"] if 0 < d < n]
        empty = [str(i) for i, d, n in info["shards"] if d == 0 and n > 0]
        text = f"shards: {complete} of {len(info['shards'])} complete"
        if partial:
            text += "; partly done: " + ", ".join(partial[:20]) + (" ..." if len(partial) > 20 else "")
        if empty:
            text += ("; no task finished (not started, or stopped before its first task ended): "
                     + ", ".join(empty[:30]) + (" ..." if len(empty) > 30 else ""))
        lines.append(text)
    if info["runs_failed"]:
        lines.append("failed runs keep their error in the `error` column; --retry-failed runs their tasks again")
    if info.get("machines"):
        lines.append(f"note: {info['machines']}")
    lines.append(
        f"results: {info['out']} (sweep.json, design.parquet, runs/: Parquet dataset, Hive-partitioned by shard)"
    )
    return "\n".join(lines)


def default_shards(sweep: Sweep) -> int:
    return max(1, min(sweep.n_tasks, DEFAULT_MAX_SHARDS))


def _mem_mb(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTPkmgtp]?)(i?)[Bb]?\s*", text)
    if not m:
        raise SweepError(f"cluster.memory = {text!r}: not an amount such as 4GB")
    number, unit = float(m.group(1)), m.group(2).upper()
    power = " KMGTP".index(unit) if unit else 0  # as SLURM reads them: 1G = 1024M
    return max(1, math.ceil(number * 1024.0 ** (power - 2)))


def launcher(python: str | None = None, prologue: bool = False) -> list[str]:
    """How an array task starts careersim: `<python> -m simulation` with [cluster] python; plain
    `careersim` when a prologue sets up the environment; otherwise this environment's own
    launcher by its absolute path (a shared file system), or `<this python> -m simulation`."""
    if python:
        return [*shlex.split(python), "-m", "simulation"]
    if prologue:
        return ["careersim"]
    mine = Path(sys.executable).parent / "careersim"
    return [str(mine)] if mine.is_file() else [sys.executable, "-m", "simulation"]


BIG_RUN_CORES = 4  # cores an array task asks for when its runs are above the one-thread threshold
MEMORY_MARGIN = 1.5  # the footprint estimate times this, plus the interpreter and libraries
BASE_MEMORY_MB = 1024


def array_resources(sweep: Sweep) -> dict:
    """What one array task needs, from the sweep's biggest run: cores (the [cluster] cores, else
    1 below `simulate.ONE_THREAD_BELOW` faculty and BIG_RUN_CORES at or above it, where numba's
    threads pay, at most a node's CPUs where sinfo answers) and memory in MB (the [cluster]
    memory, else careersim's footprint estimate of that run with a margin, rounded up to 256 MB)."""
    from simulation.model.footprint import estimate_bytes
    from simulation.run.simulate import ONE_THREAD_BELOW

    c = sweep.spec.cluster
    probe = make_task(sweep, Path("."), 0, 0)
    biggest = _biggest_params(sweep) or probe.params(probe.runs[0])
    estimate = estimate_bytes(biggest)
    cores = c.cores or (min(BIG_RUN_CORES, _node_cpus(c.queue) or BIG_RUN_CORES)
                        if biggest.population.n_faculty >= ONE_THREAD_BELOW else 1)
    memory = (_mem_mb(c.memory) if c.memory else
              256 * math.ceil((MEMORY_MARGIN * estimate / 2**20 + BASE_MEMORY_MB) / 256))
    return {"cores": cores, "memory_mb": memory, "estimate_mb": math.ceil(estimate / 2**20),
            "n_faculty": biggest.population.n_faculty, "horizon_years": biggest.horizon_years}


def _node_cpus(queue: str | None) -> int | None:
    """The most CPUs a node of the partition has (sinfo), or None without SLURM here."""
    import shutil
    import subprocess

    if shutil.which("sinfo") is None:
        return None
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%c", *(["-p", queue] if queue else [])], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    cpus = [int(x.rstrip("+")) for x in done.stdout.split() if x.rstrip("+").isdigit()]
    return max(cpus) if cpus else None


def job_array_script(sweep: Sweep, out: str | Path, shards: int, sets: list[str] | tuple[str, ...] = (),
                     batch: int | None = None, calibration: str | None = None) -> str:
    """A ready sbatch script: one array task per shard, each running `careersim sweep --shard`
    with as many numba threads as the cores it asks for."""
    c = sweep.spec.cluster
    need = array_resources(sweep)
    out = Path(out).resolve()
    logs = out / "logs"
    throttle = f"%{c.jobs}" if c.jobs else ""
    lines = ["#!/bin/bash",
             f"# careersim sweep {sweep.name}: {sweep.n_runs} runs in {sweep.n_tasks} tasks, {shards} array tasks",
             f"# submit: sbatch this-file; progress: careersim sweep {shlex.quote(str(sweep.file.resolve()))} "
             f"--out {shlex.quote(str(out))} --status --shards {shards}",
             f"#SBATCH --job-name=careersim-{sweep.name}",
             f"#SBATCH --array=1-{shards}{throttle}",
             f"#SBATCH --output={logs}/%x-%A_%a.out",
             f"# each task: {need['cores']} core{'s' if need['cores'] > 1 else ''} (numba threads per run), "
             f"{need['memory_mb']}M" + ("" if c.memory else f" (careersim's estimate for its biggest run, "
                                                           f"{need['n_faculty']} faculty over {need['horizon_years']} "
                                                           f"years: {need['estimate_mb']}M, with a margin)"),
             "#SBATCH --ntasks=1",
             f"#SBATCH --cpus-per-task={need['cores']}"]
    if c.walltime:
        lines.append(f"#SBATCH --time={c.walltime}")
    lines.append(f"#SBATCH --mem={need['memory_mb']}M")
    if c.queue:
        lines.append(f"#SBATCH --partition={c.queue}")
    if c.account:
        lines.append(f"#SBATCH --account={c.account}")
    for extra in c.job_extra_directives:
        lines.append(extra if extra.startswith("#SBATCH") else f"#SBATCH {extra}")
    # numba sizes its thread pool from the node's cores unless told: keep it to the cores asked for
    lines += ["", "set -eo pipefail", *c.job_script_prologue,
              "export NUMBA_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} OMP_NUM_THREADS=1"]
    command = launcher(c.python, any(line.strip() and not line.lstrip().startswith("#")
                                     for line in c.job_script_prologue))
    command += ["sweep", str(sweep.file.resolve()), "--shard", f"$SLURM_ARRAY_TASK_ID/{shards}",
                "--out", str(out), "--executor", "serial", "--threads", "$NUMBA_NUM_THREADS"]
    for s in sets:
        command += ["--set", s]
    if batch is not None:
        command += ["--batch", str(batch)]
    if calibration is not None:
        command += ["--calibration", calibration]
    lines.append(" ".join(a if a.startswith(("$SLURM", "$NUMBA")) else shlex.quote(a) for a in command))
    return "\n".join(lines) + "\n"


# --- one run as a function (EMA Workbench and the like) -----------------------------------

def model(*, seed: int = 1, base: str = "status_quo", mentoring_model: str | None = None, replicate: int = 0,
          point: int = 0, member: int | None = None, **parameters: Any) -> dict[str, float]:
    """One run as a function of keyword arguments, for the EMA Workbench and similar tools.

    Parameters are dotted names with "__" for the dots (`network__max_ties=4`); integer
    parameters are rounded. `mentoring_model` sets mentoring.model (named so to stay clear of
    EMA's own `model` column). The run's seed is `run_seed(seed, point, replicate)`, as in a
    sweep: a sweep with common seeds (the default) runs replicate r on point 0's seed at every
    point, so `model(..., replicate=r)` (point left at 0) reproduces its run at any point; a sweep
    with `seeds = "independent"` needs `point=` too.
    `member`: run on member k of the installed calibrated ensemble (an ensemble sweep's replicate
    r runs on member r mod M; give it to reproduce one of its runs); None: the point defaults.
    Returns every outcome (person-level and run-level) for group "all".
    """
    knobs = sweepable()
    sets = []
    for key, value in parameters.items():
        name = key.replace("__", ".")
        if name not in settable() or name == "seed":
            raise ConfigError(f"model(): {key} = {_show(value)}: unknown parameter.{_suggest(name, knobs)} "
                              "(write dots as __, e.g. network__max_ties)")
        knob = knobs.get(name)
        if knob is not None and knob.integer and isinstance(value, (float, np.floating)):
            value = int(np.floor(float(value) + 0.5))
        elif (knob is not None and not knob.integer and isinstance(value, (int, np.integer))
              and not isinstance(value, bool)):
            value = float(value)
        sets.append(f"{name}={_value_text(value)}")
    if mentoring_model:
        sets.append(f"mentoring.model={mentoring_model}")
    values = None
    if member is not None:
        members = ensemble_members()
        if not members:
            raise ConfigError(f"model(): member = {_show(member)}: {NO_ENSEMBLE}")
        if isinstance(member, bool) or not isinstance(member, (int, np.integer)) or not 0 <= member < len(members):
            raise ConfigError(f"model(): member = {_show(member)}: the installed ensemble has {len(members)} "
                              f"members; give one from 0 to {len(members) - 1}")
        values = members[int(member)]
    from simulation.run import simulate as run_module

    params = load_scenario(base, sets, seed=run_seed(seed, point, replicate), base=values)
    result = run_module.simulate(params)
    table = run_outcomes(result, params.n_months, list(outcome_names()))
    row = table[table["group"] == "all"].iloc[0]
    return {k: float(row[k]) for k in outcome_names()}
