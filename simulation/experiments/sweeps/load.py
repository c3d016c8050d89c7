"""A sweep file read, validated and resolved: `load_sweep` turns a file (and --set, --batch,
--calibration) into a `Sweep`, or a `ConfigError` with one line per problem.

This `Sweep` and `load_sweep` are the sweep to run; `simulation.analysis.sweep_analysis` has its own
`Sweep` and `load_sweep`, which read a finished sweep's folder for the analysis.
"""

from __future__ import annotations

import difflib
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simulation.config.params import ensemble_members
from simulation.config.scenario import ConfigError, dotted, load_scenario, num, parse_override, resolve_path, show
from simulation.experiments.sweeps.design import Parameter, make_design, run_seed
from simulation.experiments.sweeps.schema import (CALIBRATIONS, MAX_BYTES, MAX_LINES, NO_ENSEMBLE, SWEEP_DIR,
                                                  RULE, ParameterSpec, SweepFile, default_outcomes, error_line,
                                                  horizon_errors, outcome_names, schema_fields, settable, suggest,
                                                  sweepable, value_text)


MAX_RUNS = 10_000_000


class SweepError(ValueError):
    """A sweep that cannot run as asked (a folder holding another sweep, a bad shard...).

    (`simulation.analysis.sweep_analysis.SweepError` is the analysis's: a folder it cannot read.)
    """


@dataclass
class Sweep:
    """A validated sweep file with its command-line overrides: what `run_sweep` runs.

    Made by `load_sweep`. (`simulation.analysis.sweep_analysis.Sweep` is a finished sweep's
    folder as the analysis reads it.)
    """

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
        return list(self.spec.outcomes) if self.spec.outcomes is not None else default_outcomes(self.min_horizon)

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
            self._design = make_design(self.spec.design, self.parameters, self.spec.seed)
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
    """The file a sweep argument names: a path as given, else sweeps/NAME.toml when it exists."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix == ".toml" or p.exists():
        return p
    candidate = SWEEP_DIR / f"{name_or_path}.toml"
    return candidate if candidate.exists() else p


def list_sweeps(folder: Path = SWEEP_DIR) -> list[str]:
    """The names of the sweep files in `folder` (default sweeps/), sorted."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def _flatten(table: dict, is_leaf, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not is_leaf(value):
            out.update(_flatten(value, is_leaf, name + "."))
        else:
            out[name] = value
    return out


def _schema_errors(exc: ValidationError, where: str) -> str:
    """The schema's errors of a sweep file, one line each (at most MAX_LINES)."""
    lines: list[str] = []
    errs = exc.errors()
    # the schema's own checks (RULE and value errors: design and parameter tables, models, outcomes) speak only
    # when every value has the right type and every field is known
    if any(e["type"] not in (RULE, "value_error") for e in errs):
        errs = [e for e in errs if e["type"] not in (RULE, "value_error")]
    # a misspelt required field: say it once, as the misspelling ("replicate = 2: ... Did you mean replicates?")
    misspelt = {(*e["loc"][:-1], c) for e in errs if e["type"] == "extra_forbidden"
                for c in difflib.get_close_matches(str(e["loc"][-1]), schema_fields(e["loc"][:-1]),
                                                   n=3, cutoff=0.5)}
    for err in errs:
        if err["type"] == "missing" and tuple(err["loc"]) in misspelt:
            continue
        line = error_line(err, where)
        if line not in lines:
            lines.append(line)
    return "\n".join(lines[:MAX_LINES])


def _parameters(spec: SweepFile, raw_params: dict, where: str, errors: list[str]) -> list[Parameter]:
    """The swept parameters checked against the parameter schema (names, ranges, integers) and the
    design; a problem is a line added to `errors`. `raw_params`: the tables as written."""
    knobs = sweepable()
    kind = spec.design.kind
    parameters: list[Parameter] = []
    for name, p in spec.parameters.items():
        loc = f"parameters.{dotted((name,))}"
        raw = raw_params.get(name, {})
        knob = knobs.get(name)
        if knob is None:
            why = ("a text or true/false setting cannot be swept; set it in [fixed] or compare it with models"
                   if name in settable() else "unknown parameter." + suggest(name, knobs))
            errors.append(f"{where}: {loc} = {show(raw)}: {why} (careersim params lists every parameter)")
            continue
        if name in ("mentoring.model",):
            errors.append(f"{where}: {loc}: compare mentoring models with models = [...], not as a parameter")
            continue
        allowed = f" (allowed: {num(knob.min) if knob.min is not None else '-inf'} to " \
                  f"{num(knob.max) if knob.max is not None else 'inf'})"

        def in_range(field_: str, v: float) -> bool:
            if (knob.min is not None and v < knob.min) or (knob.max is not None and v > knob.max):
                errors.append(f"{where}: {loc}.{field_} = {show(v)}: out of {name}'s range{allowed}")
                return False
            return True

        def integral(field_: str, v: Any) -> bool:
            if knob.integer and not (isinstance(v, int) and not isinstance(v, bool)):
                errors.append(f"{where}: {loc}.{field_} = {show(v)}: {name} is an integer parameter; "
                              "give an integer, e.g. 3 (not 3.0)")
                return False
            return True

        if p.values is not None:  # (values or low and high, not both: SweepFile checked)
            if kind != "grid":
                errors.append(f"{where}: {loc}.values = {show(raw.get('values'))}: a {kind} design samples "
                              "between low and high; give low and high instead of values")
                continue
            ok = all(integral(f"values[{i}]", v) for i, v in enumerate(raw.get("values", [])))
            ok = all([in_range(f"values[{i}]", v) for i, v in enumerate(raw.get("values", p.values))]) and ok
            if ok and len(set(p.values)) != len(p.values):
                errors.append(f"{where}: {loc}.values = {show(raw.get('values'))}: a value is repeated; "
                              "give each value once (replicates repeat points)")
                ok = False
            if ok:
                parameters.append(Parameter(name, float(min(p.values)), float(max(p.values)),
                                            tuple(float(v) for v in p.values), p.distribution, knob.integer))
            continue
        ok = integral("low", raw.get("low")) & integral("high", raw.get("high"))
        ok = in_range("low", raw.get("low", p.low)) & in_range("high", raw.get("high", p.high)) & ok
        if ok and p.low >= p.high:
            errors.append(f"{where}: {loc}: low = {show(raw.get('low'))} is not below high = "
                          f"{show(raw.get('high'))}; low must be less than high")
            ok = False
        if ok and p.distribution == "loguniform" and p.low <= 0:
            errors.append(f"{where}: {loc}.low = {show(raw.get('low'))}: a loguniform range needs low > 0")
            ok = False
        if ok and kind == "morris" and knob.integer:
            levels = spec.design.levels or 4
            if p.high - p.low < levels - 1:
                errors.append(f"{where}: {loc}: an integer range of {int(p.high - p.low) + 1} values cannot hold "
                              f"{levels} distinct Morris levels; widen it or lower design.levels")
                ok = False
        if ok:
            parameters.append(Parameter(name, float(p.low), float(p.high), None, p.distribution, knob.integer))
    return parameters


def _fixed(spec: SweepFile, sets, where: str, errors: list[str]) -> list[str]:
    """The settings of every run as --set lines: the file's [fixed], then its `set`; --set (`sets`)
    checked against the swept parameters and the models. A problem is a line added to `errors`."""
    fixed = []
    for key, value in spec.fixed.items():
        floc = f"fixed.{dotted((key,))}"
        if key not in settable() or key == "seed":
            errors.append(f"{where}: {floc} = {show(value)}: unknown parameter.{suggest(key, settable())}"
                          if key != "seed"
                          else f"{where}: {floc}: the seed is the sweep's seed = ...; remove it from [fixed]")
        elif key in spec.parameters:
            errors.append(f"{where}: {floc}: is also a swept parameter; keep it in one place")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"{where}: {floc}: models = [...] sets the mentoring model; remove one of them")
        else:
            fixed.append(f"{key}={value_text(value)}")
    for i, text_ in enumerate(spec.set):  # set = ["population.n_faculty=300", ...]: as [fixed]
        try:
            parts, value = parse_override(text_)
        except ConfigError as exc:
            errors.append(f"{where}: set[{i}] = {show(text_)}: {str(exc).split(': ', 1)[-1]}")
            continue
        key = ".".join(parts)
        if key not in settable() or key == "seed":
            errors.append(f"{where}: set[{i}] = {show(text_)}: unknown parameter.{suggest(key, settable())}")
        elif key in spec.parameters or key in spec.fixed:
            errors.append(f"{where}: set[{i}] = {show(text_)}: {key} is also in "
                          f"{'[parameters]' if key in spec.parameters else '[fixed]'}; keep it in one place")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"{where}: set[{i}] = {show(text_)}: models = [...] sets the mentoring model; remove one")
        else:
            fixed.append(text_)
    for text_ in sets:
        key = text_.split("=", 1)[0].strip()
        if key in spec.parameters:
            errors.append(f"--set {show(text_)}: {key} is swept by {where}; it cannot also be fixed")
        elif key == "mentoring.model" and spec.models:
            errors.append(f"--set {show(text_)}: {where} compares models {show(list(spec.models))}; "
                          "remove --set mentoring.model")
        elif key == "seed":
            errors.append(f"--set {show(text_)}: run seeds derive from the sweep's seed = ...")
    return fixed


def load_sweep(path: str | Path, sets: list[str] | tuple[str, ...] = (), batch: int | None = None,
               calibration: str | None = None) -> Sweep:
    """Read and validate a sweep file; every problem becomes one line of a `ConfigError`.

    Parameters
    ----------
    path : str or Path
        A sweep file, or the name of one in sweeps/ (e.g. "capacity_vs_k").
    sets : sequence of str
        --set overrides ("section.field=value") for every run; a swept parameter cannot be set.
    batch : int, optional
        Runs per task (--batch); default the file's [run] batch.
    calibration : {"point", "ensemble"}, optional
        --calibration: overrides the file's `calibration`.

    Returns
    -------
    Sweep
        The validated sweep: its parameters, design, runs, tasks and seeds.

    Raises
    ------
    ConfigError
        One line per problem (at most MAX_LINES), each naming the file, the place and the fix.
    """
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
        raise ConfigError(_schema_errors(exc, where)) from None
    errors: list[str] = []
    kind = spec.design.kind
    parameters = _parameters(spec, data.get("parameters", {}), where, errors)

    d = spec.design
    # (n, levels and calc_second_order for the kind of design: DesignSpec checked)
    if kind == "grid" and any(p.values is None for p in spec.parameters.values()) and d.levels is None:
        errors.append(f"{where}: design.levels: missing; a grid over low..high needs levels = "
                      "(points per parameter), or give values = [...]")
    if kind in ("sobol", "morris") and len(spec.parameters) < (2 if kind == "sobol" and d.calc_second_order else 1):
        errors.append(f"{where}: parameters: second-order Sobol' indices need at least two parameters")

    known = outcome_names()
    for i, o in enumerate(spec.outcomes or []):
        if o not in known:
            errors.append(f"{where}: outcomes[{i}] = {show(o)}: unknown outcome.{suggest(o, known)} "
                          f"Known: {', '.join(known)}")
    if spec.outcomes is not None and len(set(spec.outcomes)) != len(spec.outcomes):
        errors.append(f"{where}: outcomes: an outcome is repeated; name each once")

    fixed = _fixed(spec, sets, where, errors)
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
        raise ConfigError("\n".join(f"{where}: base = {show(spec.base)}: {line}"
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
        text = (f"horizon_years is swept from {num(sweep.min_horizon)}" if swept is not None else
                f"horizon_years = {num(sweep.min_horizon)}"
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
