"""Scenario files: TOML, optionally `extends` another, overridden by `--set key=value`.

Everything is validated by the `Params` schema; any problem becomes a `ConfigError` whose
message has one line per problem naming where the value came from (the scenario file, or
`--set`), the dotted field, the value, what is allowed, and the nearest valid names for a
misspelt key. Whatever the input (a folder, binary or huge file, a value of the wrong type,
nan...), `load_scenario` raises `ConfigError` and nothing else.
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
import re
import stat
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from simulation.config.resources import scenario_dir
from simulation.config.params import FUNCTIONS, NAME_RULE, RANKS, ByFunction, ByRank, CrossFieldError, Params

MAX_BYTES = 1_000_000  # a scenario file is a few hundred bytes; anything this big is the wrong file
MAX_EXTENDS = 32  # longest `extends` chain
MAX_LINES = 20  # error lines shown; the rest are counted

Loc = tuple  # a place in the scenario: field names (str) and list positions (int)


def __getattr__(name: str) -> Any:
    # SCENARIO_DIR, the folder of the shipped scenarios, is found on first use (scenario_dir())
    if name == "SCENARIO_DIR":
        return scenario_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(ValueError):
    """Bad scenario input; the message says where, what, and how to fix it."""


# --- showing names and values on one line ------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(part: Any) -> str:
    """One component of a dotted name, as TOML would write it."""
    if isinstance(part, int):
        return f"[{part}]"
    text = str(part)
    return text if _BARE.fullmatch(text) else _clip(json.dumps(text), 40)


def dotted(loc: Loc) -> str:
    """A location in a file's tables as one dotted name, as the messages write it.

    Parameters
    ----------
    loc : tuple of str or int
        The keys from the top of the file down (pydantic's `loc`); an int is a list index.

    Returns
    -------
    str
        E.g. ``network.max_ties``, ``parameters."network.max_ties"`` or ``outcomes[0]``.
    """
    out = ""
    for part in loc:
        k = _key(part)
        out += k if k.startswith("[") or not out else "." + k
    return out


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def show(value: Any, width: int = 60) -> str:
    """A value as it would be written in TOML, on one line, shortened if long.

    Parameters
    ----------
    value : Any
        The value (as TOML or pydantic gave it).
    width : int
        The most characters shown; a longer text ends in "...".

    Returns
    -------
    str
        E.g. ``3``, ``0.5``, ``"dyad"``, ``[1, 2]`` or ``true``.
    """
    return _clip(_toml(value, 0), width)


def _toml(value: Any, depth: int) -> str:
    if depth > 4:
        return "..."
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 200:
            return f"{'-' if value < 0 else ''}<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value[:200] + ("..." if len(value) > 200 else ""), ensure_ascii=False)
        return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)  # on one line
    if isinstance(value, (list, tuple)):
        items = [_toml(v, depth + 1) for v in value[:12]]
        return "[" + ", ".join(items + (["..."] if len(value) > 12 else [])) + "]"
    if isinstance(value, dict):
        items = [f"{_key(k)} = {_toml(v, depth + 1)}" for k, v in list(value.items())[:12]]
        return "{" + ", ".join(items + (["..."] if len(value) > 12 else [])) + "}"
    if hasattr(value, "isoformat"):  # TOML dates and times
        return value.isoformat()
    return _clip(repr(value), 60)


def _path(path: Path | str) -> str:
    """A file path on one line."""
    text = str(path)
    return text if text.isprintable() else json.dumps(text)


# --- reading files -----------------------------------------------------------------------

def _merge(base: dict, over: dict, origin: str, provenance: dict[Loc, str], prefix: Loc = ()) -> dict:
    """`over` merged into `base` (tables merge, anything else replaces); records who set what."""
    out = dict(base)
    for key, value in over.items():
        loc = (*prefix, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, provenance, loc)
        else:
            out[key] = value
            for old in [k for k in provenance if k[: len(loc)] == loc]:
                del provenance[old]  # replaced wholesale
            provenance[loc] = origin
    return out


def _known() -> str:
    return ", ".join(list_scenarios()) or "none"


def _read_toml(path: Path, referrer: str = "") -> dict:
    """The table in a scenario file, or a ConfigError saying what is wrong with the file."""
    shown = _path(path)
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{referrer}{shown}: no such scenario file. Known scenarios: {_known()}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{referrer}{shown}: cannot read the scenario file ({_why(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(
            f"{referrer}{shown}: is a folder, not a scenario file; give a .toml file. Known scenarios: {_known()}"
        )
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{referrer}{shown}: is not a regular file; a scenario is a .toml text file")
    if st.st_size > MAX_BYTES:
        raise ConfigError(f"{shown}: the file is {st.st_size:,} bytes; a scenario file must be at most "
                          f"{MAX_BYTES:,} bytes (is it the right file?)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the scenario file ({_why(exc)})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{shown}: the file is over {MAX_BYTES:,} bytes; a scenario file must be at most "
                          f"{MAX_BYTES:,} bytes (is it the right file?)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{shown}: not a text file: byte 0x{raw[exc.start]:02x} (line {line}) is not UTF-8; "
                          "a scenario file is TOML text in UTF-8") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    if not text.strip():
        raise ConfigError(f"{shown}: the file is empty; a scenario file needs at least one setting, "
                          'e.g. extends = "status_quo" and a description')
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{shown}: not valid TOML: values nested too deeply") from None
    except ValueError as exc:  # TOMLDecodeError, or a number too long to convert
        raise ConfigError(f"{shown}: not valid TOML: {' '.join(str(exc).split())}") from None
    if not data:
        raise ConfigError(f"{shown}: the file has no settings (only comments); a scenario file needs at least one "
                          'setting, e.g. extends = "status_quo" and a description')
    return data


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or " ".join(str(exc).split()) or type(exc).__name__


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte...
        return False


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except (OSError, ValueError):
        return False


def resolve_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario path from a path or a bare name (looked up beside `relative_to`, then among the
    shipped scenarios: the top-level scenarios/ of a source tree, or the installed package's copy).

    An existing file is used as it is, whatever its suffix.
    """
    p = Path(name_or_path)
    if _is_file(p) and (relative_to is None or p.is_absolute() or p.suffix == ".toml"):
        return p
    if relative_to is not None and not p.is_absolute() and _is_file(relative_to / p):
        return relative_to / p
    if p.suffix == ".toml":
        if not p.is_absolute() and relative_to is not None and not _exists(p):
            return relative_to / p
        return p
    for folder in ([relative_to] if relative_to else []) + [scenario_dir()]:
        candidate = folder / f"{name_or_path}.toml"
        if _exists(candidate):
            return candidate
    if relative_to is None and _exists(p):
        return p  # a folder or something else that is there: reading it says what is wrong
    return (relative_to or scenario_dir()) / f"{name_or_path}.toml"


def _load_chain(path: Path, provenance: dict[Loc, str], seen: tuple[Path, ...] = (), referrer: str = "") -> dict:
    try:
        path = path.resolve() if _exists(path) else path
    except (OSError, RuntimeError):  # a symlink loop
        raise ConfigError(f"{referrer}{_path(path)}: cannot read the scenario file (a symbolic link loop)") from None
    if path in seen:
        chain = " -> ".join(_path(p) for p in seen + (path,))
        raise ConfigError(f"{referrer}'extends' forms a cycle ({chain}); remove one of the links")
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{referrer}'extends' goes more than {MAX_EXTENDS} files deep; shorten the chain")
    data = _read_toml(path, referrer)
    parent = data.pop("extends", None)
    base: dict = {}
    if parent is not None:
        here = f"{_path(path)}: extends = {show(parent)}: "
        if not isinstance(parent, str) or not parent.strip():
            raise ConfigError(here + 'must be a scenario name or a .toml path, e.g. extends = "status_quo"')
        if "\0" in parent:
            raise ConfigError(here + "a file name cannot contain a NUL character")
        base = _load_chain(resolve_path(parent, path.parent), provenance, seen + (path,), here)
        base.pop("name", None)  # a child is its own scenario
        base.pop("label", None)
        provenance.pop(("name",), None)
    data.setdefault("name", path.stem)
    return _merge(base, data, _path(path), provenance)


# --- --set ---------------------------------------------------------------------------------

def parse_override(text: str) -> tuple[list[str], Any]:
    """`section.field=value` with a TOML value (bare words are strings)."""
    shown = show(text)
    if "=" not in text:
        raise ConfigError(f"--set {shown}: expected KEY=VALUE, for example --set population.n_faculty=2000")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part.strip() for part in key.split(".")):
        raise ConfigError(f"--set {shown}: the key must be a dotted field name such as mentoring.model")
    try:
        doc = tomllib.loads(f"v = {raw.strip()}")
        value = doc["v"] if list(doc) == ["v"] else raw.strip()  # one value, nothing smuggled after it
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except (ValueError, RecursionError):  # a number too long to convert, nesting too deep
        raise ConfigError(
            f"--set {shown}: the value is not a usable TOML value (too long or nested too deeply)"
        ) from None
    return [part.strip() for part in key.split(".")], value


def _nested(parts: list[str], value: Any) -> dict:
    for part in reversed(parts[1:]):
        value = {part: value}
    return {parts[0]: value}


# --- the schema, for messages ------------------------------------------------------------

def _model_at(loc: Loc) -> tuple[type[BaseModel] | None, Any]:
    """The model class holding the last component of `loc` and that field's FieldInfo (or None)."""
    model: Any = Params
    info = None
    for i, part in enumerate(loc):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        info = model.model_fields.get(str(part))
        if info is None:
            return None, None
        if i == len(loc) - 1:
            return model, info
        model = info.annotation
    return None, None


@lru_cache(maxsize=None)
def bounds(loc: Loc) -> tuple[Any, Any]:
    """The allowed range of a field of the parameter schema, from its `ge`/`gt` and `le`/`lt`.

    Parameters
    ----------
    loc : tuple of str
        The field's place in `Params`, e.g. ``("network", "max_ties")``.

    Returns
    -------
    tuple
        (lowest, highest); None where the schema sets no bound (or `loc` is not a field of it).
    """
    _, info = _model_at(loc)
    lo = hi = None
    for m in (info.metadata if info is not None else ()):
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def _fields_at(loc: Loc) -> list[str]:
    """Valid field names at a location in the schema."""
    model: type[BaseModel] = Params
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            break
        model = field.annotation
    return list(model.model_fields)


def _table_hint(loc: Loc) -> str:
    _, info = _model_at(loc)
    ann = info.annotation if info is not None else None
    if isinstance(ann, type) and issubclass(ann, ByRank):
        return "must be a table with one number per rank, e.g. {" + ", ".join(f"{r} = 0.5" for r in RANKS) + "}"
    if isinstance(ann, type) and issubclass(ann, ByFunction):
        return "must be a table with one number per function, e.g. {" + ", ".join(f"{f} = 1.0" for f in FUNCTIONS) + "}"
    name = dotted(loc)
    return (f"must be a table of fields: a [{name}] section in a file, or --set {name}.FIELD=VALUE; "
            f"fields: {', '.join(_fields_at(loc))}")


def _tuple_hint(loc: Loc) -> str:
    _, info = _model_at(loc)
    args = get_args(info.annotation) if info is not None else ()
    kind = "integers" if args and get_args(args[0])[:1] == (int,) else "numbers"
    if len(args) == 2 and args[1] is Ellipsis:
        return f"must be a list of {kind}, e.g. [0, 4, 8]"
    return f"must be a list of exactly {len(args)} {kind}, e.g. [{', '.join(['1.0'] * len(args))}]"


# --- errors --------------------------------------------------------------------------------

_RANK = {"--set": 0, "--seed": 1}


def _origin(loc: Loc, provenance: dict[Loc, str]) -> str:
    """Who set the value at `loc`: the setting itself or the table holding it, else what was set inside it."""
    for i in range(len(loc), 0, -1):
        if loc[:i] in provenance:
            return provenance[loc[:i]]
    below = [v for k, v in provenance.items() if k[: len(loc)] == loc]
    return _first_origin(below)


def _first_origin(origins: list[str]) -> str:
    """--set over --seed over a file; `defaults` if nothing was set."""
    origins = [o for o in origins if o != "defaults"]
    if not origins:
        return "defaults"
    return min(origins, key=lambda o: _RANK.get(o, 2))


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, (list, tuple)) and isinstance(part, int) and -len(data) <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _leaves(value: Any, loc: Loc) -> list[tuple[Loc, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*loc, k))]
    return [(loc, value)]


def num(x: Any) -> str:
    """A number as messages write it: a whole float without ".0", others in `%g` form.

    Parameters
    ----------
    x : Any
        A number (anything else is shown with `str`).

    Returns
    -------
    str
        E.g. ``3`` for 3.0, ``0.25`` for 0.25.
    """
    if isinstance(x, float):
        return str(int(x)) if x.is_integer() and abs(x) < 1e16 else f"{x:g}"
    return str(x)


def _allowed(loc: Loc) -> str:
    lo, hi = bounds(loc)
    if lo is None and hi is None:
        return ""
    return f" (allowed: {num(lo) if lo is not None else '-inf'} to {num(hi) if hi is not None else 'inf'})"


def _error_line(err: dict, provenance: dict[Loc, str], data: dict) -> str:
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}

    if kind == "value_error" and isinstance(ctx.get("error"), CrossFieldError):
        fields = [(*loc, *f.split(".")) for f in ctx["error"].fields]
        where = _first_origin([_origin(f, provenance) for f in fields])
        shown = ", ".join(f"{dotted(f)} = {show(_get(data, f))}" for f in fields)
        return f"{where}: {shown}: {ctx['error']}"

    if kind == "extra_forbidden":
        where = _origin(loc, provenance)
        valid = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=3, cutoff=0.5)
        parent = dotted(loc[:-1])
        names = [(parent + "." if parent else "") + c for c in close]
        hint = (f" Did you mean {' or '.join([', '.join(names[:-1]), names[-1]] if len(names) > 1 else names)}?"
                if close else "")
        leaves = _leaves(value, loc)
        shown = (f"{dotted(leaves[0][0])} = {show(leaves[0][1])}" if len(leaves) == 1
                 else f"{dotted(loc)} = {show(value)}")
        what = "unknown section" if isinstance(value, dict) and len(loc) == 1 else "unknown field"
        return (f"{where}: {shown}: {what} {_key(loc[-1])}.{hint} "
                f"Valid fields{' in [' + parent + ']' if parent else ''}: {', '.join(valid)}")

    # a list of the wrong length: blame the list, not a position in it
    if (kind in ("missing", "too_long", "too_short") and len(loc) >= 1
            and _is_tuple_field(loc if kind != "missing" else loc[:-1])):
        field = loc if kind != "missing" else loc[:-1]
        return f"{_origin(field, provenance)}: {dotted(field)} = {show(_get(data, field))}: {_tuple_hint(field)}"

    where = _origin(loc, provenance)
    if kind == "missing":
        return f"{where}: {dotted(loc)}: missing; it is required here"
    allowed = _allowed(loc)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than") and allowed:
        msg = "out of range"
    elif (common := value_message(kind, ctx, value, loc)) is not None:
        msg = common
        if kind == "string_pattern_mismatch" and where not in _RANK and where != "defaults":
            msg += "; without a name = \"...\" line a file's scenario is named after the file"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        msg = _table_hint(loc)
    elif kind in ("tuple_type", "list_type"):
        msg = _tuple_hint(loc)
    else:
        msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {dotted(loc) or '(scenario)'} = {show(value)}: {msg}{allowed}"


def _is_tuple_field(loc: Loc) -> bool:
    _, info = _model_at(loc)
    return info is not None and getattr(info.annotation, "__origin__", None) is tuple


def _format_errors(exc: ValidationError, provenance: dict[Loc, str], data: dict) -> str:
    lines: list[str] = []
    for err in exc.errors():
        line = _error_line(err, provenance, data)
        if line not in lines:
            lines.append(line)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... and {len(lines) - MAX_LINES} more errors"]
    return "\n".join(lines)


def value_message(kind: str, ctx: dict, value: Any, loc: tuple) -> str | None:
    """What is wrong with a value, for the pydantic error kinds that read the same in scenario
    and sweep files; None for the others."""
    if kind == "finite_number":
        return "must be a finite number, not nan, inf or -inf"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {num(ctx.get('ge', ctx.get('gt')))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {num(ctx.get('le', ctx.get('lt')))}"
    if kind == "int_type":
        return "must be an integer, e.g. 3 (not 3.0, \"3\" or true)"
    if kind == "float_type":
        return ("is too large" if isinstance(value, int) and not isinstance(value, bool)
                else "must be a number, e.g. 0.5 or 1 (not \"0.5\" or true)")
    if kind == "bool_type":
        return "must be true or false (without quotes)"
    if kind == "string_type":
        return "must be a string in quotes"
    if kind == "string_pattern_mismatch" and tuple(loc) == ("name",):
        return f"not a usable name: use {NAME_RULE}"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}".replace("'", '"')
    return None


MEMBER = "ensemble member"  # the origin, in messages, of a value of `load_scenario(base=...)`


def load_scenario(
    source: str | Path | dict | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
    base: dict[str, Any] | None = None,
) -> Params:
    """Resolve a scenario (file, name, dict or None for defaults) with `--set` overrides.

    `base`: dotted parameter name -> value (a member of the calibrated ensemble), applied at the
    level of the defaults: the scenario file (or dict) and `--set` still win where they set the
    same parameter. Messages about its values name the "ensemble member"."""
    try:
        return _load(source, overrides, seed, base)
    except RecursionError:
        raise ConfigError("the scenario is nested too deeply to read; check the file and the --set values") from None


def _has(data: Any, loc: Loc) -> bool:
    """Whether `data` (a scenario's nested tables) sets `loc` itself or a value holding it."""
    for part in loc:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
        if not isinstance(data, dict):
            return True
    return True


def _defaults(base: dict[str, Any] | None, provenance: dict[Loc, str]) -> dict:
    """The defaults with the `base` values merged in (their origin recorded in `provenance`)."""
    defaults = Params().model_dump()
    for name, value in (base or {}).items():
        if not isinstance(name, str) or not name or any(not part for part in name.split(".")):
            raise ConfigError(f"{MEMBER}: {show(name)}: the key must be a dotted field name such as "
                              "exits.hazard_floor")
        defaults = _merge(defaults, _nested(name.split("."), value), MEMBER, provenance)
    return defaults


def _load(source: str | Path | dict | None, overrides: list[str] | tuple[str, ...], seed: int | None,
          base: dict[str, Any] | None = None) -> Params:
    provenance: dict[Loc, str] = {}
    from_base: dict[Loc, str] = {}
    defaults = _defaults(base, from_base)
    if source is None:
        data: dict = {}
    elif isinstance(source, dict):
        data = _merge({}, source, "dict", provenance)
    else:
        if not str(source).strip():
            raise ConfigError(f"no scenario given: name one ({_known()}) or give a .toml path")
        if "\0" in str(source):
            raise ConfigError(f"{show(str(source))}: a file name cannot contain a NUL character")
        data = _load_chain(resolve_path(source), provenance)
    for key in NOT_PARAMS:  # read by `scenario_label` and `scenario_costs`: they change no run
        data.pop(key, None)
    # over the defaults, so that a file or --set may change one entry of a vector field
    provenance.update({loc: o for loc, o in from_base.items() if not _has(data, loc)})  # the file wins
    data = _merge(defaults, data, "", {})
    for text in overrides:
        parts, value = parse_override(text)
        data = _merge(data, _nested(parts, value), "--set", provenance)
    if seed is not None:
        if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
            seed = int(seed)  # a numpy integer is a seed too
        data["seed"] = seed
        provenance[("seed",)] = "--seed"
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, provenance, data)) from None


NOT_PARAMS = ("label", "costs")  # a scenario file's entries that are not simulation parameters


def scenario_label(name_or_path: str | Path) -> str:
    """A scenario's label for readers (its file's `label = "..."`, not inherited through `extends`),
    or its name when the file has none (or cannot be read)."""
    try:
        path = resolve_path(name_or_path)
        data = _read_toml(path) if _is_file(path) else {}
    except ConfigError:
        return Path(str(name_or_path)).stem
    text = data.get("label")
    return text.strip() if isinstance(text, str) and text.strip() else Path(str(name_or_path)).stem


def scenario_costs(name_or_path: str | Path) -> dict[str, float]:
    """A scenario's `[costs]` table (inherited through `extends`, the child's entries winning)
    over the defaults of `params.Costs`, validated: ConfigError (one line: file, field, value,
    fix) on a bad entry."""
    from simulation.config.params import Costs

    path = resolve_path(name_or_path)
    data = _load_chain(path, {})
    table = data.get("costs", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{_path(path)}: costs = {show(table)}: must be a table, e.g. [costs] then "
                          "departure = 286503")
    try:
        return Costs.model_validate(table).model_dump()
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        known = ", ".join(Costs.model_fields)
        fix = (f"known entries: {known}" if e["type"] == "extra_forbidden"
               else "give a number within the allowed range (docs/ODD.md, costs)")
        raise ConfigError(f"{_path(path)}: costs.{where} = {show(e.get('input'))}: {e['msg']}; {fix}") from None


def list_scenarios(folder: Path | None = None) -> list[str]:
    """The scenario names in `folder` (default: the shipped scenarios, `scenario_dir()`)."""
    return sorted(p.stem for p in (scenario_dir() if folder is None else folder).glob("*.toml"))


def scenario_question(path: Path, first_line: bool = False) -> str:
    """The opening comment of a scenario file: the question it answers (its first line)."""
    lines = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        if line.startswith("#"):
            lines.append(line.lstrip("#").strip())
        elif lines:
            break
    return lines[0] if first_line and lines else " ".join(lines)
