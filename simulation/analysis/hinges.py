"""What a difference across a calibrated ensemble hinges on: which calibrated parameters its
variation from member to member follows.

For one difference (A minus B, one outcome, one group), each member's own difference (the mean
over its seeds) is set against each parameter that varies across the members: Spearman's rank
correlation, with its p-value. A parameter counts as one the difference hinges on when its
p-value passes Bonferroni's correction for the number of parameters tried (family-wise 5%): with
a handful of members only a strong dependence can be found, and with none the answer is none.
For the strongest, the cut in its values that best separates members where A is ahead from
members where it is behind: "above X it is ahead in 9 of 9 worlds, below it in 2 of 7".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
MIN_SIDE = 3  # members on each side of a cut


@dataclass
class Hinge:
    parameter: str
    rho: float
    p: float
    threshold: float = np.nan        # the cut in the parameter's values (the midpoint between two members)
    above_ahead: int = 0              # members above the cut whose difference is positive, of n_above
    n_above: int = 0
    below_ahead: int = 0
    n_below: int = 0


def member_differences(table: pd.DataFrame, a: str, b: str, outcome: str, group: str = "all") -> pd.Series:
    """Each member's own difference A minus B in `outcome` (mean over its seeds, paired by run)."""
    t = table[(table["group"] == group) & table["scenario"].isin([a, b])]
    wide = t.pivot_table(index=["member", "replicate"], columns="scenario", values=outcome)
    if a not in wide.columns or b not in wide.columns:
        return pd.Series(dtype=float)
    d = (wide[a] - wide[b]).dropna()
    return d.groupby(level="member").mean()


def hinges(differences: pd.Series, values: pd.DataFrame, alpha: float = ALPHA) -> list[Hinge]:
    """The parameters (columns of `values`, one row per member, indexed like `differences`) the
    member-level differences follow, strongest first; [] when none passes the corrected test."""
    common = differences.index.intersection(values.index)
    d = differences.loc[common].to_numpy(float)
    v = values.loc[common]
    varying = [c for c in v.columns if v[c].nunique() > 1]
    if len(d) < 2 * MIN_SIDE or not varying or np.ptp(d) == 0:
        return []
    found = []
    for c in varying:
        rho, p = stats.spearmanr(v[c].to_numpy(float), d)
        if np.isfinite(p) and p < alpha / len(varying):
            found.append(Hinge(c, float(rho), float(p)))
    found.sort(key=lambda h: h.p)
    for h in found[:1]:
        _cut(h, v[h.parameter].to_numpy(float), d)
    return found


def _cut(h: Hinge, x: np.ndarray, d: np.ndarray) -> None:
    """The cut in x that best separates positive from negative differences (at least MIN_SIDE
    members on each side): the largest gap between the shares ahead above and below it."""
    order = np.argsort(x, kind="stable")
    xs, ahead = x[order], d[order] > 0
    best = -1.0
    for k in range(MIN_SIDE, len(xs) - MIN_SIDE + 1):
        if xs[k] == xs[k - 1]:
            continue
        above, below = ahead[k:], ahead[:k]
        gap = abs(above.mean() - below.mean())
        if gap > best:
            best = gap
            h.threshold = float((xs[k] + xs[k - 1]) / 2)
            h.above_ahead, h.n_above = int(above.sum()), len(above)
            h.below_ahead, h.n_below = int(below.sum()), len(below)


def member_values(meta: dict) -> pd.DataFrame:
    """The ensemble members' parameter values (one row per member index) from comparison.json."""
    ens = meta.get("ensemble") or {}
    return pd.DataFrame(ens.get("member_values") or [])
