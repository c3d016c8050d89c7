"""The sweep file: what may be swept, the file's schema (pydantic) and its one-line messages.

`SweepFile` is the file as written; `load.load_sweep` validates it against this schema and the
package's registries and resolves it into a `load.Sweep`. (Not to be confused with
`simulation.analysis.sweep_analysis`, which reads a finished sweep's folder.)
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from simulation.config.params import MODELS, NAME_PATTERN, Bool, Float, Int, Str, describe
from simulation.config.scenario import bounds, dotted, num, show, value_message


SWEEP_DIR = Path(__file__).resolve().parents[3] / "sweeps"
MAX_BYTES = 1_000_000
MAX_LINES = 20
DEFAULT_BATCH = 4
KINDS = ("grid", "lhs", "sobol", "morris")
CALIBRATIONS = ("point", "ensemble")
NO_ENSEMBLE = ("the installed calibration record has no ensemble; make one with `careersim calibrate "
               "--history-match`, then `careersim calibrate --ensemble 200 --apply`")


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
                lo, hi = bounds((*name.split("."), key))
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


def default_outcomes(horizon_years: float | None = None) -> list[str]:
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
    shown = horizon_text or f"horizon_years = {num(horizon_years)}"
    lines = []
    for i, o in enumerate(outcomes):
        need = years_needed(o)
        if need > horizon_years:
            lines.append(f"{where}: {field_}[{i}] = {show(o)}: needs runs of at least {need} years (it follows hires "
                         f"{need} years), but {shown}; set horizon_years to {need} or more (more: more hires "
                         "followed), or drop the outcome")
    return lines


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


RULE = "sweep_rule"  # the error type of the schema's own checks, written "<file>: <place>: <message>" (no value)


class ParameterSpec(_Section):
    """One [parameters."section.field"] table: `values` (a grid's levels) or `low` and `high`."""

    values: list[Float] | None = Field(None, min_length=1, max_length=100_000)
    low: Float | None = None
    high: Float | None = None
    distribution: Literal["uniform", "loguniform"] = "uniform"

    @model_validator(mode="after")
    def _values_or_range(self) -> ParameterSpec:
        if self.values is not None:
            if self.low is not None or self.high is not None:
                raise PydanticCustomError(RULE, "give either values = [...] or low and high, not both")
        elif self.low is None or self.high is None:
            missing = ("low and high" if self.low is None and self.high is None
                       else ("low" if self.low is None else "high"))
            raise PydanticCustomError(RULE, f"{missing} missing; give values = [...] (grid) or low and high")
        return self


class DesignSpec(_Section):
    """The [design] section: the kind of design and the settings that kind takes."""

    kind: Literal["grid", "lhs", "sobol", "morris"]
    n: Int | None = Field(None, ge=1, le=10_000_000, validate_default=True)
    levels: Int | None = Field(None, ge=2, le=1000)
    calc_second_order: Bool = False

    @field_validator("n")
    @classmethod
    def _n_fits_the_kind(cls, n: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "grid" and n is not None:
            raise ValueError("a grid takes its points from the parameters' values; remove n")
        if kind in ("lhs", "sobol", "morris") and n is None:
            what = {"lhs": "points", "sobol": "base samples N (a power of 2)", "morris": "trajectories"}[kind]
            raise PydanticCustomError(RULE, f"missing; a {kind} design needs n = {what}")
        if kind == "sobol" and n & (n - 1):
            raise ValueError("Sobol' base samples must be a power of 2 "
                             f"(e.g. {1 << max(0, n.bit_length() - 1)} or {1 << n.bit_length()})")
        return n

    @field_validator("levels")
    @classmethod
    def _levels_fit_the_kind(cls, levels: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("kind") in ("lhs", "sobol") and levels is not None:
            raise ValueError("levels is for grid and morris designs only")
        return levels

    @field_validator("calc_second_order")
    @classmethod
    def _second_order_is_sobol(cls, second: bool, info: ValidationInfo) -> bool:
        if info.data.get("kind") not in (None, "sobol") and second:
            raise ValueError("only for a sobol design")
        return second


class RunSpecFile(_Section):
    """The [run] section: runs per task."""

    batch: Int = Field(DEFAULT_BATCH, ge=1, le=100_000)


_WALLTIME = r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$"
_MEMORY = r"^\s*\d+(\.\d+)?\s*([KMGTP]i?B?|[kmgtp]i?b?|B|b)?\s*$"


class ClusterSpec(_Section):
    """The [cluster] section: what SLURM jobs ask for (the job-array script and the slurm executor)."""

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
    """A sweep file as written (TOML), checked field by field; `load.load_sweep` checks the rest
    against the parameter schema and the outcome registry."""

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

    @field_validator("models")
    @classmethod
    def _models_once(cls, models: list[str]) -> list[str]:
        if len(set(models)) != len(models):
            raise ValueError("a model is repeated; name each once")
        return models

    @field_validator("outcomes")
    @classmethod
    def _some_outcomes(cls, outcomes: list[str] | None) -> list[str] | None:
        if outcomes is not None and not outcomes:
            raise ValueError("keep at least one outcome (or leave outcomes out for the headline set)")
        return outcomes


def schema_fields(loc: tuple) -> list[str]:
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


def error_line(err: dict, where: str) -> str:
    """One pydantic error of a sweep file as the line the user reads.

    Parameters
    ----------
    err : dict
        One entry of `ValidationError.errors()` for `SweepFile`.
    where : str
        The file, as the line names it.

    Returns
    -------
    str
        ``<where>: <place> = <value>: <what is wrong>`` (or ``<where>: <place>: ...`` where no
        value is shown), with the nearest valid names for an unknown field.
    """
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    place = dotted(loc) or "(sweep)"
    if kind == "extra_forbidden":
        valid = schema_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        parent = dotted(loc[:-1])
        return (f"{where}: {place} = {show(value)}: unknown field.{hint} "
                f"Valid fields{' in [' + parent + ']' if parent else ''}: {', '.join(valid)}")
    if kind == "missing" and loc == ("parameters",):
        return (f"{where}: parameters: missing; a sweep varies at least one parameter: "
                'add a [parameters."section.field"] table')
    if kind == "missing":
        return f"{where}: {place}: missing; it is required here"
    if kind == RULE:
        return f"{where}: {place}: {err['msg']}"
    if (common := value_message(kind, ctx, value, loc)) is not None:
        msg = common
    elif kind == "string_pattern_mismatch" and loc[-1:] == ("walltime",):
        msg = 'must be a SLURM time such as "02:00:00" or "1-00:00:00"'
    elif kind == "string_pattern_mismatch" and loc[-1:] == ("memory",):
        msg = 'must be an amount such as "4GB" or "500MB"'
    elif kind in ("model_type", "dict_type"):
        msg = f"must be a table ([{place}] section) with fields: {', '.join(schema_fields(loc))}"
    elif kind == "list_type":
        msg = "must be a list, e.g. [1, 2, 3]"
    elif kind == "too_short":
        msg = ("needs at least one parameter: a [parameters.\"section.field\"] table" if loc == ("parameters",)
               else "must not be empty")
    elif kind == "too_long":
        msg = f"is too long: at most {ctx.get('max_length')} entries"
    else:
        msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {place} = {show(value)}: {msg}"


def suggest(name: str, valid) -> str:
    """" Did you mean X or Y?" for the valid names nearest to `name`, or "" when none is near."""
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(close)}?" if close else ""


def value_text(value: Any) -> str:
    """A value as --set text (TOML): ints as ints, floats with repr, strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    return show(value, 10_000)
