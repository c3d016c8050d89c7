"""Designs and seeds: the design points of a sweep (grid, Latin hypercube, Sobol', Morris) and the
seed of each run (common random numbers by default).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.experiments.sweeps.schema import DesignSpec


@dataclass(frozen=True)
class Parameter:
    """A swept parameter, validated: its range (or a grid's values), distribution and type."""

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


def run_seed(seed: int, point: int, replicate: int) -> int:
    """The seed of every run at (point, replicate), whatever its model: paired comparisons.

    Parameters
    ----------
    seed : int
        The sweep's seed.
    point, replicate : int
        The design point (0 for every point with common random numbers) and the replicate.

    Returns
    -------
    int
        The first 64-bit word of `SeedSequence(seed, spawn_key=(point, replicate))`, shifted right
        by 2 (below 2**62, a scenario's largest seed).
    """
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


def make_design(d: DesignSpec, params: Sequence[Parameter], seed: int) -> pd.DataFrame:
    """A sweep's design points, in the order SALib's analysers expect for sobol and morris designs.

    Parameters
    ----------
    d : DesignSpec
        The file's [design] section (kind, n, levels, calc_second_order).
    params : sequence of Parameter
        The swept parameters, validated (`load.load_sweep`).
    seed : int
        The sweep's seed; the design's own sampler draws from a stream apart from the run seeds.

    Returns
    -------
    pandas.DataFrame
        One row per design point: `point`, then one float64 column per parameter.
    """
    dim = len(params)
    seed = _design_seed(seed)
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
