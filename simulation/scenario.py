"""Scenario files: TOML, optionally `extends` another, overridden by `--set key=value`.

Everything is validated by the `Params` schema; any problem becomes a `ConfigError` whose
message names the file (or `--set`), the dotted field, the value, what is allowed, and the
nearest valid names for a misspelt key.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .params import Params, describe

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ConfigError(ValueError):
    """Bad scenario input; the message says where, what, and how to fix it."""


def _merge(base: dict, over: dict, origin: str, provenance: dict[str, str], prefix: str = "") -> dict:
    out = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, provenance, dotted + ".")
        else:
            out[key] = value
            provenance[dotted] = origin
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such scenario file. Known scenarios: {', '.join(list_scenarios()) or 'none'}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def resolve_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario path from a path or a bare name (looked up beside `relative_to`, then in scenarios/)."""
    p = Path(name_or_path)
    if p.suffix == ".toml":
        if not p.is_absolute() and relative_to is not None and not p.exists():
            return relative_to / p
        return p
    for folder in ([relative_to] if relative_to else []) + [SCENARIO_DIR]:
        candidate = folder / f"{name_or_path}.toml"
        if candidate.exists():
            return candidate
    return (relative_to or SCENARIO_DIR) / f"{name_or_path}.toml"


def _load_chain(path: Path, provenance: dict[str, str], seen: tuple[Path, ...] = ()) -> dict:
    path = path.resolve() if path.exists() else path
    if path in seen:
        chain = " -> ".join(str(p) for p in seen + (path,))
        raise ConfigError(f"{path}: 'extends' forms a cycle ({chain}); remove one of the links")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    base: dict = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: extends = {parent!r}: must be a scenario name or a .toml path")
        base = _load_chain(resolve_path(parent, path.parent), provenance, seen + (path,))
        base.pop("name", None)  # a child is its own scenario
    data.setdefault("name", path.stem)
    return _merge(base, data, str(path), provenance)


def parse_override(text: str) -> tuple[list[str], Any]:
    """`section.field=value` with a TOML value (bare words are strings)."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, for example --set population.n_faculty=2000")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text!r}: the key must be a dotted field name such as mentoring.model")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def _apply_override(data: dict, parts: list[str], value: Any) -> None:
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def _fields_at(loc: tuple) -> list[str]:
    """Valid field names at a location in the schema."""
    model: type[BaseModel] = Params
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            break
        model = field.annotation
    return list(model.model_fields)


def _ranges() -> dict[str, tuple[Any, Any]]:
    return {row["name"]: (row["min"], row["max"]) for row in describe()}


def _format_errors(exc: ValidationError, provenance: dict[str, str], data: dict) -> str:
    ranges = _ranges()
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        dotted = ".".join(loc)
        origin = next(
            (provenance[".".join(loc[:i])] for i in range(len(loc), 0, -1) if ".".join(loc[:i]) in provenance),
            "defaults",
        )
        where = "--set" if origin == "--set" else origin
        if err["type"] == "extra_forbidden":
            valid = _fields_at(loc[:-1])
            close = difflib.get_close_matches(loc[-1], valid, n=3, cutoff=0.5)
            parent = ".".join(loc[:-1])
            hint = f" Did you mean {', '.join((parent + '.' if parent else '') + c for c in close)}?" if close else ""
            lines.append(
                f"{where}: {dotted}: unknown field.{hint} Valid fields{' in [' + parent + ']' if parent else ''}: {', '.join(valid)}"
            )
            continue
        value = err.get("input")
        msg = err["msg"]
        allowed = ""
        lo, hi = ranges.get(dotted, (None, None))
        if lo is not None or hi is not None:
            allowed = f" (allowed: {lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'})"
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        shown = f" = {value!r}" if not isinstance(value, dict) else ""
        lines.append(f"{where}: {dotted or '(scenario)'}{shown}: {msg}{allowed}")
    return "\n".join(lines)


def load_scenario(
    source: str | Path | dict | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
) -> Params:
    """Resolve a scenario (file, name, dict or None for defaults) with `--set` overrides."""
    provenance: dict[str, str] = {}
    if source is None:
        data: dict = {}
    elif isinstance(source, dict):
        data = _merge({}, source, "dict", provenance)
    else:
        data = _load_chain(resolve_path(source), provenance)
    # over the defaults, so that a file or --set may change one entry of a vector field
    data = _merge(Params().model_dump(), data, "", {})
    for text in overrides:
        parts, value = parse_override(text)
        _apply_override(data, parts, value)
        provenance[".".join(parts)] = "--set"
    if seed is not None:
        data["seed"] = seed
        provenance["seed"] = "--set"
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, provenance, data)) from None


def list_scenarios(folder: Path = SCENARIO_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.toml"))


def scenario_question(path: Path, first_line: bool = False) -> str:
    """The opening comment of a scenario file: the question it answers (its first line)."""
    lines = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            lines.append(line.lstrip("#").strip())
        elif lines:
            break
    return lines[0] if first_line and lines else " ".join(lines)
