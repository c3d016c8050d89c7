"""What is identical where: the reproducibility guarantee, as code the tests check.

On one machine a scenario and seed give the same tables bit for bit, whatever the executor,
the number of workers or threads, or the sharding. Across machines (another processor, kernels
compiled for another CPU target, numpy with other vector extensions, another C library):

- the people, the ties, every integer, every category and every count are identical;
- every floating-point value is equal within a relative `RTOL` (`ATOL` near zero).

Why floats may differ at all: every exponential, logarithm, cosine and power in a run is computed
by the C library's scalar routines (the kernels call them, the tables built before a run call the
same ones through Python's `math`; numpy's vector loops, whose results depend on the processor's
vector width, are not used for them). glibc picks among its own variants of those routines by
processor: on a processor without FMA (before 2013 on x86) they round differently in the last bit.
A last-bit difference can change a discrete decision only when a random draw lands within a few
units in the last place of its threshold (at most about 1e-15 per decision); `careersim compare`'s
default makes about 4e9 such decisions, so two different kinds of processor disagree on a person
in at most about one comparison in 250,000. Statistics computed from the tables (outcomes, intervals) use
numpy's reductions, whose order depends on the vector width: also equal within `RTOL`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RTOL = 1e-9  # relative tolerance between floats computed on different processors
ATOL = 1e-12  # absolute tolerance for floats near zero


@dataclass(frozen=True)
class Difference:
    """How one column of two tables differs."""

    column: str
    kind: str  # "exact" (integers, booleans, categories, strings) or "float"
    n_different: int  # values that are not identical
    n_values: int
    max_relative: float  # largest |a - b| / max(|a|, |b|) among the floats (0 for exact columns)
    within_guarantee: bool

    def __str__(self) -> str:
        what = f"{self.n_different} of {self.n_values} values differ"
        if self.kind == "float" and self.n_different:
            what += f" (largest relative difference {self.max_relative:.1e})"
        return f"{self.column}: {what}" + ("" if self.within_guarantee else " -- beyond the guarantee")


def differences(a: pd.DataFrame, b: pd.DataFrame) -> list[Difference]:
    """Each column of `a` against the same column of `b` (same shape and columns required):
    identical for exact columns, within RTOL/ATOL for floats. Missing values must be missing in both."""
    if list(a.columns) != list(b.columns):
        raise ValueError(f"the tables' columns differ: {list(a.columns)} vs {list(b.columns)}")
    if len(a) != len(b):
        raise ValueError(f"the tables' lengths differ: {len(a)} vs {len(b)} rows")
    out = []
    for name in a.columns:
        x, y = a[name], b[name]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            xa, ya = x.to_numpy(np.float64), y.to_numpy(np.float64)
            nan_x, nan_y = np.isnan(xa), np.isnan(ya)
            same_bits = (xa == ya) | (nan_x & nan_y)
            both = ~nan_x & ~nan_y
            scale = np.maximum(np.abs(xa), np.abs(ya))
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(both & (scale > 0), np.abs(xa - ya) / np.where(scale > 0, scale, 1.0), 0.0)
            ok = np.array_equal(nan_x, nan_y) and bool(np.all(np.abs(xa - ya)[both] <= ATOL + RTOL * scale[both]))
            out.append(Difference(str(name), "float", int((~same_bits).sum()), len(xa),
                                  float(rel.max()) if len(rel) else 0.0, ok))
        else:
            nx, ny = x.isna().to_numpy(), y.isna().to_numpy()
            same = (nx & ny) | (~nx & ~ny & (x.astype(str).to_numpy() == y.astype(str).to_numpy()))
            if str(x.dtype) != str(y.dtype):
                same = np.zeros(len(x), dtype=bool)
            n = int((~same).sum())
            out.append(Difference(str(name), "exact", n, len(x), 0.0, n == 0))
    return out


def check(a: pd.DataFrame, b: pd.DataFrame, what: str = "tables") -> list[Difference]:
    """`differences`, raising AssertionError naming every column beyond the guarantee."""
    diffs = differences(a, b)
    bad = [d for d in diffs if not d.within_guarantee]
    if bad:
        raise AssertionError(f"{what}: beyond the reproducibility guarantee (floats within relative {RTOL:g}, "
                             "everything else identical): " + "; ".join(map(str, bad)))
    return diffs
