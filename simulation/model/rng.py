"""Counter-based random numbers in named streams.

A draw is a hash of (run seed, stream, who, when, which): no generator state is carried
from one draw to the next. So:

- two scenarios with the same seed give the same person the same draws in every stream
  the policy does not change (common random numbers): the same initial population, the
  same hires, the same uniform deciding whether that person leaves in that month;
- the order in which agents are processed, or the number of threads, cannot change a
  result;
- inverse-transform draws (Bernoulli, Poisson) couple monotonically: a higher hazard or
  rate in one scenario can only add events for the same uniform.

The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied per coordinate.
"""

from __future__ import annotations

import math
import warnings
from enum import IntEnum

import numpy as np
from numba import config as numba_config
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO_PI = 6.283185307179586

if numba_config.DISABLE_JIT:  # plain Python: numpy warns of the uint64 wrap-around the hash is built on
    warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning, module=__name__)


# Coordinates reserved so that draws of different kinds in one stream never coincide:
# a person's fixed draws use FIXED as their "month"; draws for the whole population use
# POPULATION_WIDE as their "person" (person keys stay below 2**56).
FIXED = 1 << 60
POPULATION_WIDE = 1 << 61


class Stream(IntEnum):
    """One stream per kind of decision; the mentoring streams never touch the others."""

    POPULATION = 1   # institution sizes, the initial population's ranks and career ages
    TRAITS = 2       # a person's fixed traits (gender, talent, competence profile, ...)
    MENTORING = 4    # candidate samples, search order
    FIT = 5          # pair-specific fit
    CAREERS = 6      # publications
    GRANTS = 7
    PROMOTION = 8
    EXITS = 9


@njit(cache=True, inline="always")
def mix(z):
    """SplitMix64 finaliser of a uint64."""
    z = z + _GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def hash3(key, a, b, c):
    """A uint64 from a stream key and three integer coordinates."""
    return mix(mix(mix(np.uint64(key) ^ np.uint64(a)) ^ np.uint64(b)) ^ np.uint64(c))


@njit(cache=True, inline="always")
def to_unit32(h):
    """The low 32 bits of a uint64 as a float in [0, 1) (two such draws fit in one hash)."""
    return (h & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)


@njit(cache=True, inline="always")
def to_unit(h):
    """A uint64 hash as a float in [0, 1)."""
    return (h >> _S11) * _INV53


@njit(cache=True, inline="always")
def uniform(key, a, b, c):
    return to_unit(hash3(key, a, b, c))


@njit(cache=True, inline="always")
def normal(key, a, b, c):
    """Standard normal (Box-Muller from the two 32-bit halves of one hash)."""
    h = hash3(key, a, b, c)
    u1 = 1.0 - to_unit32(h >> np.uint64(32))
    u2 = to_unit32(h)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


@njit(cache=True)
def poisson_inv(u, lam):
    """Poisson(lam) by inversion of one uniform (monotone in lam for a fixed u)."""
    if lam <= 0.0:
        return 0
    p = math.exp(-lam)
    cdf = p
    k = 0
    while u > cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True)
def gamma(key, a, b, c, shape):
    """Gamma(shape, 1) by Marsaglia & Tsang (2000), with the boost for shape < 1."""
    boost = 1.0
    if shape < 1.0:
        boost = uniform(key, a, b, 1_000_003 * (c + 1)) ** (1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    cc = 1.0 / math.sqrt(9.0 * d)
    for k in range(1000):
        x = normal(key, a, b, 4 * (c * 1000 + k))
        v = 1.0 + cc * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(key, a, b, 4 * (c * 1000 + k) + 3)
        if math.log(u + 1e-300) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost
    return d * boost


def stream_key(seed: int, stream: Stream) -> np.uint64:
    """The key of one stream of one run."""
    return np.uint64(mix(mix(np.uint64(seed)) ^ np.uint64(int(stream) * 0x632BE59BD9B4E019 % 2**64)))


def stream_keys(seed: int) -> np.ndarray:
    """All stream keys of a run, indexed by `Stream` value."""
    keys = np.zeros(max(Stream) + 1, dtype=np.uint64)
    for s in Stream:
        keys[s] = stream_key(seed, s)
    return keys
