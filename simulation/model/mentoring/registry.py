"""The mentoring models' modules, by name, and the calls that dispatch to them by code.

A model is named in `simulation.config.params.MENTORING_MODELS` (the parameters' registry: its
name, its mentor slots per person from the parameters, whether peer groups are always on); its
code in the kernels is its position there (`MODELS`). That entry is its only registration: its
module is `simulation/model/mentoring/NAME.py`, found by the name (`MODULES`). Every model
module has the same interface:

- `at_hire(fs, kp, mentoring_key, row, person_key, month, initial)` (numba, inlined): a new
  person's set-up in the state the model owns (mentors assigned, a first review month), from
  the MENTORING stream; `initial` for the population that is there when the run starts;
- `due(x, c, i, month)` (numba, inlined): whether protege i plans this month (the first ties at
  hire, a replacement once a mentor has left, a review), read from the state (`x.tie_mentor`;
  the plan's scratch slots, `x.slot_*`, are filled only once i is due);
- `plan(x, c, p, i, month)` (numba, compiled once and called): protege i's plan at that turn,
  at position p of the active list, built from the planner's steps (planner.py: `x` is the
  `Planner`, `c` the `Consts`);
- `plan_width(params)` (Python): most actions one of its plans can hold (the plan buffers'
  width; `planner.action` stops the run rather than write past it);
- `PARAMETERS`: the kernel parameters (`kp.<section>_<field>`) its steps read through `c`
  (gathered into `Consts`, consts.py, by name);
- `PLANNER_COLUMNS`: the faculty columns beyond the shared ones its steps read through `x`
  (gathered into the `Planner`, planner.py, by name);
- `STATE`: the per-person columns it owns (`state.Col`s, copied into model/state.py's
  `MODEL_COLUMNS`).
- optionally `arrange(fs, tl, kp, keys, counters, active, n_active, month)` (numba, serial): a
  step before the plans for a model that forms ties between several people at once (groups:
  facilitated_peer.py), writing ties directly (`ties.add_tie`); run only for models that define
  it (`arranges`), which may start at most one tie per tie slot of each active person a month.

When a mentor leaves, the exits phase ends the tie and stamps `mentor_lost_month`; the models
see it through `due` (dyad and committee: a replacement after the delay).

The dispatch below, and the import of the modules it calls, are generated from `MODULES`
(`dispatch_source`, `imports_source`; run `python -m simulation.model.regenerate` after adding a
model: tests/test_mentoring_registry.py fails while they are stale).
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType

import numpy as np
from numba import njit

from simulation.config.params import MODELS
from simulation.model import codegen, state
from simulation.model.mentoring import consts, planner

# --- generated: mentoring imports (python -m simulation.model.regenerate); do not edit ---


from simulation.model.mentoring import committee, dyad, facilitated_peer, network, none, peer


# --- end of generated mentoring imports ---

IMPORTS = "mentoring imports"  # the generated import of the models' modules (codegen.py)
# every mentoring model's module, by its name in MENTORING_MODELS: simulation/model/mentoring/NAME.py
MODULES: dict[str, ModuleType] = {name: importlib.import_module(f"{__package__}.{name}") for name in MODELS}

DYAD, COMMITTEE, NETWORK, PEER_MODEL, NO_MENTOR = (
    MODELS.index(m) for m in ("dyad", "committee", "network", "peer", "none"))

REGION = "mentoring dispatch"  # the generated region (codegen.py)


def plan_width(params) -> int:
    """Most actions one plan of the scenario's model can hold (its module's `plan_width`), at least 1.

    Parameters
    ----------
    params : Params
        The scenario.

    Returns
    -------
    int
        The width of the plan buffers (`two_phase.plan_buffers`).
    """
    return max(1, MODULES[params.mentoring.model].plan_width(params))


def arranges(params) -> bool:
    """Whether the scenario's model has a serial step of its own before the plans (`arrange`)."""
    return hasattr(MODULES[params.mentoring.model], "arrange")


def _modules_in_code_order() -> list[tuple[int, str]]:
    return list(enumerate(MODELS))


def imports_source() -> str:
    """The import of every model's module, for the generated dispatch to call them by name."""
    return "from simulation.model.mentoring import " + ", ".join(sorted(MODELS)) + "\n"


def dispatch_source() -> str:
    """The source of the dispatch by model code (`at_hire`, `due`, `plan`, and `arrange` for the
    models that have one), from `MODULES`.

    The last model in code order is the fall-through of every chain.

    Returns
    -------
    str
        Python source of four numba functions, each taking the model code first.

    """
    models = _modules_in_code_order()
    calls = {
        "at_hire": ("fs, kp, mentoring_key, row, person_key, month, initial",
                    "A new person's set-up for the model (the state it owns)."),
        "due": ("x, c, i, month", "Whether protege i plans this month under the model."),
        "plan": ("x, c, p, i, month", "Protege i's plan at this turn under the model."),
    }
    out = []
    for name, (args, doc) in calls.items():
        out += ["@njit(cache=True, inline=\"always\")", f"def {name}(code, {args}):", f'    """{doc}"""']
        *first, (_, last) = models
        for k, (code, model) in enumerate(first):
            if name == "due":
                out += [f"    if code == {code}:  # {model}", f"        return {model}.due({args})"]
            else:
                keyword = "if" if k == 0 else "elif"
                out += [f"    {keyword} code == {code}:  # {model}", f"        {model}.{name}({args})"]
        if name == "due":
            out += [f"    return {last}.due({args})  # {last}"]
        else:
            out += [f"    else:  # {last}", f"        {last}.{name}({args})"]
        out += ["", ""]
    args = "fs, tl, kp, keys, counters, active, n_active, month"
    out += ["@njit(cache=True)", f"def arrange(code, {args}):",
            '    """The serial step before the plans, for the models that have one (nothing for the others)."""']
    arranging = [(code, model) for code, model in models if hasattr(MODULES[model], "arrange")]
    for k, (code, model) in enumerate(arranging):
        keyword = "if" if k == 0 else "elif"
        out += [f"    {keyword} code == {code}:  # {model}", f"        {model}.arrange({args})"]
    if not arranging:
        out += ["    return"]
    return "\n".join(out) + "\n"


def _declared(attribute: str, first: tuple[str, ...]) -> tuple[str, ...]:
    """`first`, then every model's `attribute` (a tuple of names) in code order, each name once."""
    names = list(first)
    for _, model in _modules_in_code_order():
        names += [n for n in getattr(MODULES[model], attribute) if n not in names]
    return tuple(names)


def _wrap(items: list[str], indent: str, width: int = 116) -> list[str]:
    """Comma-separated items in lines no wider than `width` (each line ends with a comma)."""
    lines, line = [], indent
    for item in items:
        if len(line) + len(item) + 2 > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += item + ", "
    if line.strip():
        lines.append(line.rstrip())
    return lines


def consts_source() -> str:
    """The source of `Consts` and `consts` (consts.py), from the shared parameters (`consts.COMMON`),
    the models' `PARAMETERS` and the derived constants (`consts.DERIVED_AS`)."""
    same = _declared("PARAMETERS", consts.COMMON)
    out = ["SAME_AS_PARAMETERS = (", *_wrap([f'"{n}"' for n in same], "    "), ")",
           'Consts = namedtuple("Consts", SAME_AS_PARAMETERS + DERIVED)', "", "",
           "@njit(cache=True)", "def consts(kp, keys):",
           '    """The scalar parameters of the mentoring kernels (a tuple of numbers: free to pass around)."""',
           "    return Consts(", *_wrap([f"kp.{n}" for n in same], "        "),
           "        # derived", *_wrap(list(consts.DERIVED_AS.values()), "        "), "    )"]
    return "\n".join(out) + "\n"


def planner_source() -> str:
    """The source of `PLANNER_FIELDS` and the `planner` constructor (planner.py), from the shared
    columns (`planner.COMMON_COLUMNS`), the models' `PLANNER_COLUMNS` and the other fields
    (`planner.BOUND_AS`)."""
    columns = _declared("PLANNER_COLUMNS", planner.COMMON_COLUMNS)
    fields = [*columns, *planner.BOUND_AS]
    bound = [f"fs.{n}" for n in columns] + list(planner.BOUND_AS.values())
    out = ["PLANNER_FIELDS = (", *_wrap([f'"{n}"' for n in fields], "    "), ")", "", "",
           '@njit(cache=True, inline="always")', "def planner(fs, kp, pools, plans, n_candidates):",
           '    """The planning phase\'s arrays, bound once, with fresh scratch."""',
           "    n_all_slots = fs.tie_mentor.shape[1]", "    return _new_planner(", *_wrap(bound, "        "), "    )"]
    return "\n".join(out) + "\n"


def _col_source(col) -> str:
    args = [f'"{col.name}"', f"np.{np.dtype(col.dtype).name}", json.dumps(col.meaning)]
    if col.width:
        args.append(f'"{col.width}"')
    if col.fill != 0:
        args.append(f"fill={state.fill_literal(col.fill)}")
    if not col.keep:
        args.append("keep=False")
    return "    Col(" + ", ".join(args) + "),"


def state_source() -> str:
    """The source of `MODEL_COLUMNS` (model/state.py): the per-person state each model's module
    declares (`STATE`), in code order, each column once; a column two models declare must be
    declared alike."""
    seen: dict[str, object] = {}
    for _, model in _modules_in_code_order():
        for col in MODULES[model].STATE:
            if seen.setdefault(col.name, col) != col:
                raise ValueError(f"state column {col.name!r} is declared differently by two mentoring models")
    if any(name in {c.name for c in state.CORE_COLUMNS} for name in seen):
        raise ValueError("a mentoring model declares a state column that model/state.py declares already")
    return "\n".join(["MODEL_COLUMNS: tuple[Col, ...] = (", *map(_col_source, seen.values()), ")"]) + "\n"


GENERATED = {  # region: (the file it is in, its generator)
    state.MODEL_STATE: (state.__file__, state_source),
    IMPORTS: (__file__, imports_source),
    REGION: (__file__, dispatch_source),
    consts.REGION: (consts.__file__, consts_source),
    planner.REGION: (planner.__file__, planner_source),
}


def write_generated() -> list[str]:
    """Regenerate the dispatch (here), `Consts` (consts.py) and the `Planner` (planner.py) from
    the models' declarations.

    Returns
    -------
    list of str
        The regions whose source changed (and were rewritten).
    """
    return [name for name, (path, source) in GENERATED.items() if codegen.write(path, name, source())]


# --- generated: mentoring dispatch (python -m simulation.model.regenerate); do not edit ---


@njit(cache=True, inline="always")
def at_hire(code, fs, kp, mentoring_key, row, person_key, month, initial):
    """A new person's set-up for the model (the state it owns)."""
    if code == 0:  # dyad
        dyad.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)
    elif code == 1:  # committee
        committee.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)
    elif code == 2:  # network
        network.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)
    elif code == 3:  # peer
        peer.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)
    elif code == 4:  # none
        none.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)
    else:  # facilitated_peer
        facilitated_peer.at_hire(fs, kp, mentoring_key, row, person_key, month, initial)


@njit(cache=True, inline="always")
def due(code, x, c, i, month):
    """Whether protege i plans this month under the model."""
    if code == 0:  # dyad
        return dyad.due(x, c, i, month)
    if code == 1:  # committee
        return committee.due(x, c, i, month)
    if code == 2:  # network
        return network.due(x, c, i, month)
    if code == 3:  # peer
        return peer.due(x, c, i, month)
    if code == 4:  # none
        return none.due(x, c, i, month)
    return facilitated_peer.due(x, c, i, month)  # facilitated_peer


@njit(cache=True, inline="always")
def plan(code, x, c, p, i, month):
    """Protege i's plan at this turn under the model."""
    if code == 0:  # dyad
        dyad.plan(x, c, p, i, month)
    elif code == 1:  # committee
        committee.plan(x, c, p, i, month)
    elif code == 2:  # network
        network.plan(x, c, p, i, month)
    elif code == 3:  # peer
        peer.plan(x, c, p, i, month)
    elif code == 4:  # none
        none.plan(x, c, p, i, month)
    else:  # facilitated_peer
        facilitated_peer.plan(x, c, p, i, month)


@njit(cache=True)
def arrange(code, fs, tl, kp, keys, counters, active, n_active, month):
    """The serial step before the plans, for the models that have one (nothing for the others)."""
    if code == 5:  # facilitated_peer
        facilitated_peer.arrange(fs, tl, kp, keys, counters, active, n_active, month)


# --- end of generated mentoring dispatch ---
