"""One run as a function of keyword arguments, for the EMA Workbench and similar tools."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.config.params import ensemble_members
from simulation.config.scenario import ConfigError, load_scenario, show
from simulation.experiments.sweeps.design import run_seed
from simulation.experiments.sweeps.schema import NO_ENSEMBLE, outcome_names, settable, suggest, sweepable, value_text
from simulation.experiments.sweeps.tasks import run_outcomes


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

    Parameters
    ----------
    seed : int
        The sweep's seed (the run's seed derives from it, the point and the replicate).
    base : str
        The base scenario (a name in scenarios/ or a file).
    mentoring_model : str, optional
        The mentoring model; default the base scenario's.
    replicate, point : int
        Which run of a sweep to reproduce (see above).
    member : int, optional
        The calibrated ensemble's member to run on; None: the point defaults.
    **parameters
        Parameter values, dots written as "__" (`network__max_ties=4`).

    Returns
    -------
    dict of str to float
        Every outcome of the registry, for group "all".

    Raises
    ------
    ConfigError
        An unknown parameter, a member out of range, or a value the schema refuses.
    """
    knobs = sweepable()
    sets = []
    for key, value in parameters.items():
        name = key.replace("__", ".")
        if name not in settable() or name == "seed":
            raise ConfigError(f"model(): {key} = {show(value)}: unknown parameter.{suggest(name, knobs)} "
                              "(write dots as __, e.g. network__max_ties)")
        knob = knobs.get(name)
        if knob is not None and knob.integer and isinstance(value, (float, np.floating)):
            value = int(np.floor(float(value) + 0.5))
        elif (knob is not None and not knob.integer and isinstance(value, (int, np.integer))
              and not isinstance(value, bool)):
            value = float(value)
        sets.append(f"{name}={value_text(value)}")
    if mentoring_model:
        sets.append(f"mentoring.model={mentoring_model}")
    values = None
    if member is not None:
        members = ensemble_members()
        if not members:
            raise ConfigError(f"model(): member = {show(member)}: {NO_ENSEMBLE}")
        if isinstance(member, bool) or not isinstance(member, (int, np.integer)) or not 0 <= member < len(members):
            raise ConfigError(f"model(): member = {show(member)}: the installed ensemble has {len(members)} "
                              f"members; give one from 0 to {len(members) - 1}")
        values = members[int(member)]
    from simulation.run import simulate as run_module

    params = load_scenario(base, sets, seed=run_seed(seed, point, replicate), base=values)
    result = run_module.simulate(params)
    table = run_outcomes(result, params.n_months, list(outcome_names()))
    row = table[table["group"] == "all"].iloc[0]
    return {k: float(row[k]) for k in outcome_names()}
