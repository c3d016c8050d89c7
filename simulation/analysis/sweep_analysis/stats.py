"""The statistics of a sweep: means over replicates at each design point, the share of replicate
noise, Sobol indices and Morris effects (SALib, through `simulation.analysis.sensitivity`), a grid's
surfaces and main effects, a Latin hypercube's rank correlations and regression coefficients, where
an advantage changes sign, and the ranking of the parameters each design gives (`importance`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.analysis.sweep_analysis.data import (MINUS, Sweep, SweepError, outcome_order, series_order,
                                                     why_no_value)
from simulation.analysis.sweep_analysis.words import sign_sentence, target_text

BOOTSTRAP = 500  # resamples for the Sobol and Morris intervals


def point_means(values: pd.DataFrame, design: pd.DataFrame, parameters: list[str], level: float = 0.95,
                members: int = 0) -> pd.DataFrame:
    """Per point, series and outcome: mean over replicates, sd, n and the 95% t-interval; with the parameters.

    Across a calibrated ensemble (`members` > 1: replicate r ran on member r mod `members`), the mean
    and interval are a comparison's (`analysis.comparison.ensemble_interval`: the mean of member-level
    means, the t-interval of their spread on M - 1 degrees of freedom), so they carry the calibration's
    uncertainty and chance alike, with the parameters' share of it (`share_parameters`, `share_low`,
    `share_high`; NaN where not estimable, and at the point calibration).

    Parameters
    ----------
    values : pandas.DataFrame
        The replicate values (`data.replicate_values`).
    design : pandas.DataFrame
        The design: point and one column per parameter.
    parameters : list of str
        The parameters' columns to carry.
    level : float
        The intervals' confidence level.
    members : int
        The calibrated ensemble's size the replicates cycle through (0: the point calibration).

    Returns
    -------
    pandas.DataFrame
        One row per point, series and outcome, sorted by series, outcome and point.
    """
    from scipy import stats

    cols = ["point", *parameters, "series", "kind", "outcome", "mean", "sd", "n", "ci_low", "ci_high",
            "share_parameters", "share_low", "share_high"]
    if values.empty:
        return pd.DataFrame(columns=cols)
    g = values.groupby(["point", "series", "kind", "outcome"], sort=False)["value"]
    t = g.agg(mean="mean", sd="std", n="count").reset_index()
    half = stats.t.ppf(0.5 + level / 2, np.maximum(t["n"] - 1, 1)) * t["sd"] / np.sqrt(t["n"])
    half = np.where(t["n"] >= 2, half, np.nan)
    t["ci_low"], t["ci_high"] = t["mean"] - half, t["mean"] + half
    t["share_parameters"] = t["share_low"] = t["share_high"] = np.nan
    if members > 1:
        from simulation.analysis.comparison import ensemble_interval

        split = {key: ensemble_interval(grp["value"].to_numpy(float), grp["replicate"].to_numpy(int) % members, level)
                 for key, grp in values.groupby(["point", "series", "kind", "outcome"], sort=False)}
        keys = list(zip(t["point"], t["series"], t["kind"], t["outcome"]))
        for col, name in (("mean", "difference"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                          ("share_parameters", "share_parameters"), ("share_low", "share_low"),
                          ("share_high", "share_high")):
            t[col] = [split[k][name] for k in keys]
    t = t.merge(design[["point", *parameters]], on="point", how="left")
    return t[cols].sort_values(["series", "outcome", "point"], kind="stable").reset_index(drop=True)


def noise_shares(values: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    """Per series and outcome: the share of the variance of the point means that replicate noise
    alone would give (`sensitivity.noise_variance`: with common seeds, only the noise that differs
    between points counts), over the replicates with a value at every point; NaN with one."""
    from simulation.analysis.sensitivity import noise_variance

    rows = []
    for (series, kind, o), _ in values.groupby(["series", "kind", "outcome"], sort=False):
        Y = _complete_replicates(replicate_matrix(values, design, series, o))
        Y = Y[np.isfinite(Y).all(axis=1)] if Y.size else Y
        share = np.nan
        if Y.shape[1] >= 2 and len(Y) >= 2:
            between = Y.mean(axis=1).var(ddof=1)
            noise = noise_variance(Y)
            share = min(noise / between, 1.0) if between > 0 else 1.0
        rows.append({"series": series, "kind": kind, "outcome": o, "noise_share": share})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "noise_share"])


# --- Sobol and Morris (SALib) ----------------------------------------------------------------------

def salib_problem(sweep: Sweep) -> dict:
    meta = sweep.manifest["design"]
    prob = meta.get("salib_problem") or {}
    names = list(prob.get("names") or sweep.parameters)
    bounds = prob.get("bounds") or [[p["low"], p["high"]] for p in meta["parameters"]]
    return {
        "num_vars": int(prob.get("num_vars") or len(names)), "names": names,
        "bounds": [list(map(float, b)) for b in bounds]
    }


def replicate_matrix(values: pd.DataFrame, design: pd.DataFrame, series: str, outcome: str) -> np.ndarray:
    """Y[point, replicate]: one series' outcome at every design point (design order), one column per
    replicate (NaN where a run gave no value)."""
    d = values[(values["series"] == series) & (values["outcome"] == outcome)]
    if d.empty:
        return np.full((len(design), 1), np.nan)
    wide = d.pivot_table(index="point", columns="replicate", values="value", aggfunc="mean")
    return wide.reindex(design["point"].to_numpy()).to_numpy(float)


def _complete_replicates(Y: np.ndarray) -> np.ndarray:
    """The replicates with a value at every point (an index shares its replicates across points)."""
    return Y[:, np.isfinite(Y).all(axis=0)]


SOBOL_COLUMNS = ["series", "kind", "outcome", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
                 "noise_share", "replicates"]


def sobol_indices(sweep: Sweep, values: pd.DataFrame, notes: list[dict], seed: int | None = None) -> pd.DataFrame:
    """S1 and ST of the replicate means, replicate noise removed, with 95% intervals that carry the
    design's sampling and the noise (`simulation.analysis.sensitivity.sobol_noisy`), per series,
    outcome and parameter."""
    from simulation.analysis.sensitivity import sobol_noisy

    problem = salib_problem(sweep)
    second = bool(sweep.manifest["design"].get("calc_second_order", True))
    seed = int(sweep.manifest.get("seed") or 0) if seed is None else seed
    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            what = f"Sobol indices of {target_text(series, kind, o)}"
            Y = replicate_matrix(values, sweep.design, series, o)
            Yc = _complete_replicates(Y)
            if Yc.shape[1] == 0:
                bad = int((~np.isfinite(Y).any(axis=1)).sum())
                notes.append({"what": what, "why": (f"{bad} of {len(Y)} design points gave no value" if bad else
                                                    "no replicate has a value at every design point")
                              + why_no_value(sweep, o)})
                continue
            if Yc.shape[1] < Y.shape[1]:
                notes.append({"what": what, "why": f"computed from the {Yc.shape[1]} of {Y.shape[1]} replicates "
                                                   "that have a value at every design point"})
            if np.ptp(Yc) == 0:
                notes.append({"what": what,
                              "why": "the outcome is the same at every design point (no variance to apportion)"})
                continue
            try:
                res = sobol_noisy(Yc, problem["num_vars"], second, resamples=BOOTSTRAP, seed=seed)
            except ValueError as exc:
                raise SweepError(f"{sweep.folder}: this Sobol design cannot be analysed ({exc})") from None
            if not np.isfinite(res["ST"]).any():
                notes.append({"what": what, "why": "its point means vary no more than its replicate noise alone would "
                                                   f"make them ({Yc.shape[1]} replicates per point): nothing to "
                                                   "apportion; more replicates per point would tell"})
                continue
            for k, p in enumerate(problem["names"]):
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p,
                             **{c: float(res[c][k]) for c in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")},
                             "noise_share": res["noise_share"], "replicates": res["replicates"]})
    return pd.DataFrame(rows, columns=SOBOL_COLUMNS)


def sobol_inconsistencies(t: pd.DataFrame) -> dict[str, int]:
    """How many indices break 0 <= S <= 1 or S1 <= ST by more than their 95% intervals allow."""
    if t.empty:
        return {"rows": 0, "negative": 0, "above_one": 0, "s1_above_st": 0}
    return {"rows": len(t),
            "negative": int(((t["S1_high"] < 0) | (t["ST_high"] < 0)).sum()),
            "above_one": int(((t["S1_low"] > 1) | (t["ST_low"] > 1)).sum()),
            "s1_above_st": int((t["S1_low"] > t["ST_high"]).sum())}


MORRIS_COLUMNS = ["series", "kind", "outcome", "parameter", "mu_star", "mu_star_low", "mu_star_high", "mu", "sigma",
                  "noise_floor", "trajectories", "replicates"]


def morris_indices(sweep: Sweep, values: pd.DataFrame, notes: list[dict], seed: int | None = None) -> pd.DataFrame:
    """mu*, its 95% interval (trajectories resampled with their replicates), mu, sigma and the
    noise floor of mu* per series, outcome and parameter, from the replicate means
    (`simulation.analysis.sensitivity.morris_noisy`).

    Trajectories with a missing point are left out (and said so); at least two complete ones are needed."""
    from simulation.analysis.sensitivity import morris_noisy

    problem = salib_problem(sweep)
    d = problem["num_vars"]
    seed = int(sweep.manifest.get("seed") or 0) if seed is None else seed
    X = sweep.design[problem["names"]].to_numpy(float)
    size = d + 1
    if len(X) % size:
        raise SweepError(f"{sweep.folder}: the Morris design has {len(X)} points, not a whole number of "
                         f"trajectories of {size}; re-run `careersim sweep` into a new folder")
    log = [p.get("distribution") == "loguniform" for p in sweep.manifest["design"]["parameters"]]
    # each step of a trajectory moves exactly one parameter; a step that rounding (integer
    # parameters) made invisible leaves its trajectory unreadable, so it is left out
    steps = np.diff(X.reshape(-1, size, d), axis=1)
    readable = ((steps != 0).sum(axis=2) == 1).all(axis=1)
    if not readable.all():
        notes.append({"what": f"{int((~readable).sum())} of {len(readable)} Morris trajectories",
                      "why": "a step in them changes no parameter or several (integer rounding), so they are left out"})
    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            what = f"Morris effects of {target_text(series, kind, o)}"
            Y = replicate_matrix(values, sweep.design, series, o)
            full = np.isfinite(Y).all(axis=1) if Y.shape[1] else np.zeros(len(Y), bool)
            ok = full.reshape(-1, size).all(axis=1) & readable
            if ok.sum() < 2:
                notes.append({"what": what, "why": f"only {int(ok.sum())} of {len(ok)} trajectories have a value at "
                                                   "every point (2 needed)" + why_no_value(sweep, o)})
                continue
            if not ok.all():
                notes.append({"what": what, "why": f"computed from {int(ok.sum())} of {len(ok)} trajectories "
                                                   "(the others miss a point)"})
            keep = np.repeat(ok, size)
            res = morris_noisy(X[keep], Y[keep], problem["bounds"], log, resamples=BOOTSTRAP, seed=seed)
            for k, p in enumerate(problem["names"]):
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p,
                             **{c: float(res[c][k]) for c in ("mu_star", "mu_star_low", "mu_star_high", "mu",
                                                              "sigma", "noise_floor")},
                             "trajectories": int(ok.sum()), "replicates": res["replicates"]})
    return pd.DataFrame(rows, columns=MORRIS_COLUMNS)



# --- grids and Latin hypercubes --------------------------------------------------------------------

def grid_surfaces(pm: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Each grid cell (design point): the parameters, mean over replicates and its 95% t-interval."""
    return pm[["point", *parameters, "series", "kind", "outcome", "mean", "ci_low", "ci_high", "n"]].copy()


def main_effects(pm: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Per parameter value: the mean of the point means over the other parameters (a grid's main effect)."""
    rows = []
    for p in parameters:
        g = pm.groupby(["series", "kind", "outcome", p], sort=True)["mean"].agg(["mean", "count"]).reset_index()
        rows.append(g.rename(columns={p: "value", "count": "points"}).assign(parameter=p))
    if not rows:
        return pd.DataFrame(columns=["series", "kind", "outcome", "parameter", "value", "mean", "points"])
    return pd.concat(rows, ignore_index=True)[["series", "kind", "outcome", "parameter", "value", "mean", "points"]]


def effect_ranges(sweep: Sweep, values: pd.DataFrame) -> pd.DataFrame:
    """Per series, outcome and grid parameter: the range of its main effect (largest minus smallest
    mean over its values) with a 95% interval for the replicate noise (`sensitivity.main_effect_range`)."""
    from simulation.analysis.sensitivity import main_effect_range

    rows = []
    for series, kind in series_order(sweep):
        for o in outcome_order(sweep.outcomes):
            Y = replicate_matrix(values, sweep.design, series, o)
            for p in sweep.parameters:
                est, lo, hi = main_effect_range(sweep.design[p].to_numpy(float), Y,
                                                seed=int(sweep.manifest.get("seed") or 0))
                rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p, "effect_range": est,
                             "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "parameter", "effect_range", "ci_low", "ci_high"])


def lhs_correlations(pm: pd.DataFrame, parameters: list[str], level: float = 0.95) -> pd.DataFrame:
    """Spearman rank correlation (Fisher-z interval, Fieller's variance) and standardized regression
    coefficient (OLS of the standardized point means on the standardized parameters, t-interval)."""
    from scipy import stats

    zq = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for (series, kind, o), g in pm.groupby(["series", "kind", "outcome"], sort=False):
        g = g[np.isfinite(g["mean"])]
        n = len(g)
        X = g[parameters].to_numpy(float)
        y = g["mean"].to_numpy(float)
        sx, sy = X.std(axis=0, ddof=1) if n > 1 else np.zeros(len(parameters)), y.std(ddof=1) if n > 1 else 0.0
        src = np.full(len(parameters), np.nan)
        src_half = np.full(len(parameters), np.nan)
        r2 = np.nan
        usable = sx > 0
        if n > usable.sum() + 1 and sy > 0 and usable.any():
            Z = (X[:, usable] - X[:, usable].mean(axis=0)) / sx[usable]
            zy = (y - y.mean()) / sy
            A = np.column_stack([np.ones(n), Z])
            coef, *_ = np.linalg.lstsq(A, zy, rcond=None)
            resid = zy - A @ coef
            dof = n - A.shape[1]
            s2 = resid @ resid / dof
            cov = s2 * np.linalg.pinv(A.T @ A)
            src[usable] = coef[1:]
            src_half[usable] = stats.t.ppf(0.5 + level / 2, dof) * np.sqrt(np.diag(cov)[1:])
            r2 = 1 - (resid @ resid) / (zy @ zy)
        for k, p in enumerate(parameters):
            rho = np.nan
            lo = hi = np.nan
            if n >= 4 and sx[k] > 0 and sy > 0:
                rho = float(stats.spearmanr(X[:, k], y).statistic)
                z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
                se = np.sqrt(1.06 / (n - 3))
                lo, hi = min(rho, float(np.tanh(z - zq * se))), max(rho, float(np.tanh(z + zq * se)))
            rows.append({"series": series, "kind": kind, "outcome": o, "parameter": p, "spearman": rho,
                         "spearman_low": lo, "spearman_high": hi, "src": src[k], "src_low": src[k] - src_half[k],
                         "src_high": src[k] + src_half[k], "r2": r2, "points": n})
    return pd.DataFrame(rows, columns=["series", "kind", "outcome", "parameter", "spearman", "spearman_low",
                                       "spearman_high", "src", "src_low", "src_high", "r2", "points"])



# --- where an advantage changes sign -----------------------------------------------------------------

def parameter_bins(x: np.ndarray, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Bin index per value and bin edges: one bin per distinct value when there are few (grids)."""
    u = np.unique(x)
    if len(u) <= n_bins:
        edges = np.concatenate([[u[0]], (u[:-1] + u[1:]) / 2, [u[-1]]]) if len(u) > 1 else np.array([u[0], u[0]])
        return np.searchsorted(u, x), edges
    edges = np.linspace(x.min(), x.max(), n_bins + 1)
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n_bins - 1), edges


def monotone_threshold(x: np.ndarray, y: np.ndarray) -> tuple[float, int, float]:
    """Fit y as a monotone function of x (isotonic, the better of increasing and decreasing) and
    return (x where the fit crosses zero or NaN, +1 if it rises through zero / -1 if it falls / 0, R^2 of the fit)."""
    from scipy.optimize import isotonic_regression

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3:
        return np.nan, 0, np.nan
    ux, inv = np.unique(x, return_inverse=True)
    w = np.bincount(inv).astype(float)
    ym = np.bincount(inv, weights=y) / w
    best = None
    for inc in (True, False):
        fit = isotonic_regression(ym, weights=w, increasing=inc).x
        sse = float(np.sum(w * (ym - fit) ** 2))
        if best is None or sse < best[0]:
            best = (sse, inc, fit)
    sse, inc, fit = best
    sst = float(np.sum(w * (ym - np.average(ym, weights=w)) ** 2))
    r2 = 1 - sse / sst if sst > 0 else np.nan
    s = np.sign(fit)
    if not ((s > 0).any() and (s < 0).any()):
        return np.nan, 0, r2
    if inc:
        k = int(np.argmax(fit > 0))  # first positive
        j = k - 1  # last non-positive
    else:
        k = int(np.argmax(fit < 0))
        j = k - 1
    # interpolate between the last x on one side and the first on the other, through zero
    f0, f1 = fit[j], fit[k]
    t = ux[j] + (ux[k] - ux[j]) * (0 - f0) / (f1 - f0) if f1 != f0 else (ux[j] + ux[k]) / 2
    return float(t), (1 if inc else -1), r2


def sign_analysis(pm: pd.DataFrame, parameters: list[str], n_bins: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each advantage series, outcome and parameter: binned mean advantage (with a 95% interval
    over the points in the bin) and the sign; and the threshold where a monotone fit changes sign."""
    from scipy import stats

    adv = pm[pm["kind"] == "advantage"]
    bins_rows, change_rows = [], []
    for (series, o), g in adv.groupby(["series", "outcome"], sort=False):
        g = g[np.isfinite(g["mean"])]
        if g.empty:
            continue
        for p in parameters:
            x, y = g[p].to_numpy(float), g["mean"].to_numpy(float)
            idx, edges = parameter_bins(x, n_bins)
            lo_pt, hi_pt = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
            for b in range(len(edges) - 1):
                yy = y[idx == b]
                if len(yy) == 0:
                    continue
                m = float(yy.mean())
                if len(yy) > 1:  # over the points in the bin (the other parameters vary)
                    half = stats.t.ppf(0.975, len(yy) - 1) * yy.std(ddof=1) / np.sqrt(len(yy))
                else:  # one point (a one-parameter grid): its interval over replicates
                    half = float(np.max(np.abs([lo_pt[idx == b][0] - m, hi_pt[idx == b][0] - m])))
                sure = bool(np.isfinite(half) and abs(m) > half)
                bins_rows.append({"series": series, "outcome": o, "parameter": p, "bin": b, "low": edges[b],
                                  "high": edges[b + 1], "centre": float(x[idx == b].mean()), "points": len(yy),
                                  "mean": m, "ci_low": m - half, "ci_high": m + half,
                                  "sign": "+" if m > 0 else MINUS if m < 0 else "0", "clear": bool(sure)})
            t, sense, r2 = monotone_threshold(x, y)
            mine = [r for r in bins_rows if r["series"] == series and r["outcome"] == o and r["parameter"] == p]
            signs = [r["sign"] for r in mine]
            flips = sum(1 for a, b in zip(signs, signs[1:]) if {a, b} == {"+", MINUS})
            # a sign change counts when the advantage has a clear monotone trend in the parameter (Spearman
            # p < 0.05) and a bin is clearly positive on one side of the threshold and another clearly negative
            # on the other (95% intervals)
            clear, rho, pval, pos_ok, neg_ok = False, np.nan, np.nan, False, False
            if len(np.unique(x)) >= 3 and np.ptp(y) > 0:
                trend = stats.spearmanr(x, y)
                rho, pval = float(trend.statistic), float(trend.pvalue)
            if np.isfinite(t) and sense != 0:
                side = [sense * (r["centre"] - t) for r in mine]
                pos_ok = any(r["clear"] and r["sign"] == "+" and d > 0 for r, d in zip(mine, side))
                neg_ok = any(r["clear"] and r["sign"] == MINUS and d < 0 for r, d in zip(mine, side))
                clear = bool(pval < 0.05 and np.sign(rho) == sense and pos_ok and neg_ok)
            change_rows.append({"series": series, "outcome": o, "parameter": p, "low": float(x.min()),
                                "high": float(x.max()), "threshold": t, "sense": sense,
                                "positive_share": float((y > 0).mean()), "mean_min": float(y.min()),
                                "mean_max": float(y.max()), "bin_sign_changes": flips, "clear": bool(clear),
                                "clear_positive": bool(pos_ok), "clear_negative": bool(neg_ok), "trend_rho": rho,
                                "trend_p": pval, "fit_r2": r2, "n_parameters": len(parameters)})
    bins = pd.DataFrame(bins_rows, columns=["series", "outcome", "parameter", "bin", "low", "high", "centre", "points",
                                            "mean", "ci_low", "ci_high", "sign", "clear"])
    changes = pd.DataFrame(change_rows, columns=["series", "outcome", "parameter", "low", "high", "threshold", "sense",
                                                 "positive_share", "mean_min", "mean_max", "bin_sign_changes", "clear",
                                                 "clear_positive", "clear_negative", "trend_rho", "trend_p", "fit_r2",
                                                 "n_parameters"])
    if len(changes):
        changes["sentence"] = [sign_sentence(r) for _, r in changes.iterrows()]
    else:
        changes["sentence"] = pd.Series(dtype=str)
    return bins, changes


# --- importance: the ranking measure of each design ------------------------------------------------

MEASURES = {"sobol": ("ST", "total-order Sobol index"), "morris": ("mu_star", "Morris \u03bc*"),
            "grid": ("effect_range", "range of the main effect"), "lhs": ("abs_spearman", "|Spearman \u03c1|")}


def importance(kind: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per series and outcome, the parameters ranked by the design's measure (1 = most influential)."""
    cols = ["series", "kind", "outcome", "parameter", "measure", "value", "ci_low", "ci_high", "rank"]
    if kind == "sobol" and len(tables.get("sobol_indices", [])):
        t = tables["sobol_indices"].assign(measure="ST", value=lambda d: d["ST"], ci_low=lambda d: d["ST_low"],
                                           ci_high=lambda d: d["ST_high"])
    elif kind == "morris" and len(tables.get("morris", [])):
        t = tables["morris"].assign(measure="mu_star", value=lambda d: d["mu_star"], ci_low=lambda d: d["mu_star_low"],
                                    ci_high=lambda d: d["mu_star_high"])
    elif kind == "grid" and len(tables.get("effect_ranges", [])):
        t = tables["effect_ranges"].assign(measure="effect_range", value=lambda d: d["effect_range"])
    elif kind == "lhs" and len(tables.get("lhs_correlations", [])):
        t = tables["lhs_correlations"].assign(measure="abs_spearman", value=lambda d: d["spearman"].abs(),
                                              ci_low=lambda d: d["spearman_low"], ci_high=lambda d: d["spearman_high"])
    else:
        return pd.DataFrame(columns=cols)
    t = t.copy()
    t["rank"] = t.groupby(["series", "outcome"], sort=False)["value"].rank(ascending=False, method="first")
    return t[cols].sort_values(["series", "outcome", "rank"], kind="stable").reset_index(drop=True)

