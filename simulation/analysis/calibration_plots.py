"""Figures of a calibration with uncertainty: history matching's waves and the ensemble they leave.

Drawn from tables alone (pandas DataFrames, never a model), in the house style of `plots.py`
(seaborn's whitegrid and notebook context, constrained layout, the tab green/red of a target
met/missed), with matplotlib's Agg canvas; each function writes one figure to `out` atomically
(`destination.write_file`): PNG at 110 dpi, or SVG/PDF when `out` ends so, and returns `out`.

- `implausibility_pairs`: for the parameters a wave constrains most, in pairs, the minimum
  implausibility over the other dimensions (lower triangle) and the optical depth, the share of
  the points that are not implausible (upper triangle), in 2-D bins of the prior box
  (`pair_grids` computes both).
- `ensemble_marginals`: each free parameter's ensemble histogram over its prior range,
  against the uniform prior.
- `predictive_vs_bands`: a forest plot of every target's published band against the
  ensemble's 90% predictive interval, each row in units of its own band.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from simulation.analysis.plots import STYLE, wrap
from simulation.util import destination

TITLES = {
    "implausibility_pairs": "Wave {wave}: minimum implausibility and optical depth (share non-implausible)",
    "ensemble_marginals": "The ensemble's marginal distributions over the prior box",
    "predictive_vs_bands": "Every target: published band against the ensemble's 90% predictive interval",
}

EMPTY_BIN = "0.72"  # grey: a bin of the prior box no sample point fell in
WITHIN, OUTSIDE = "tab:green", "tab:red"  # as in plots.calibration_figure
POINT_COLOUR = "#d55e00"  # Okabe-Ito vermilion: the point calibration (the defaults)
PRIOR_COLOUR = "0.35"
MARGINAL_BINS = 20  # bins of a parameter's range for the constraint score

PREDICTIVE_COLUMNS = ("target", "value", "low", "high", "predictive_mean", "predictive_low", "predictive_high",
                      "within")


# --- shared ----------------------------------------------------------------------------------

def _save(fig: Figure, out: Path) -> Path:
    """Write `fig` to `out` (the format from its suffix: png at 110 dpi, svg or pdf) atomically."""
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"{out}: a figure is written as .png, .svg or .pdf, not .{fmt}")
    out.parent.mkdir(parents=True, exist_ok=True)
    kw = {"dpi": 110, "pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
    FigureCanvasAgg(fig)
    destination.write_file(out if out.suffix else out.with_suffix(".png"),
                           lambda tmp: fig.savefig(tmp, format=fmt, **kw))
    return out if out.suffix else out.with_suffix(".png")


def _free_names(free: list[dict], columns, what: str) -> list[str]:
    names = [f["name"] for f in free]
    missing = [n for n in names if n not in columns]
    if missing:
        raise ValueError(f"{what} has no column for the free parameter(s) {', '.join(missing)} "
                         f"(it has {', '.join(map(str, columns))})")
    for f in free:
        if not float(f["low"]) < float(f["high"]):
            raise ValueError(f"free parameter {f['name']}: low ({f['low']}) must be below high ({f['high']})")
    return names


def _num(x: float) -> str:
    """A number in 3 significant digits (targets are shares, counts, years...)."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def _range_label(f: dict) -> str:
    return f"[{_num(float(f['low']))}, {_num(float(f['high']))}]"


def _dotted(name: str, width: int = 22) -> str:
    """A dotted parameter name on lines of at most `width` characters, broken after dots or underscores."""
    lines, line = [], ""
    for piece in name.replace(".", ".\x00").replace("_", "_\x00").split("\x00"):
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return "\n".join([*lines, line])


def _bin_index(x: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    """Equal bins of [low, high] (the high edge in the last bin); -1 for a value outside or not finite."""
    with np.errstate(invalid="ignore"):
        k = np.floor((x - low) / (high - low) * bins)
        k = np.where(x == high, bins - 1, k)
        ok = np.isfinite(k) & (k >= 0) & (k < bins)
    return np.where(ok, k, -1).astype(int)


# --- history matching: implausibility in pairs ---------------------------------------------------

def pair_grids(sample: pd.DataFrame, a: str, b: str, cutoff: float = 3.0, bins: int = 12,
               ranges: tuple[tuple[float, float], tuple[float, float]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The minimum implausibility and the optical depth of `sample` in bins x bins bins of (a, b).

    Both arrays are indexed [bin of a, bin of b] (as numpy's histogram2d), over `ranges` ((low, high)
    of a and of b; by default the sample's own range). minimum: the lowest `implausibility` of the
    points in the bin (over all the other dimensions); optical depth: the share of the bin's points
    whose implausibility is <= cutoff. A bin no point fell in is NaN in both. Points outside the
    ranges, and points whose implausibility is NaN, are left out (+inf is a valid implausibility:
    ruled out)."""
    for col in (a, b, "implausibility"):
        if col not in sample.columns:
            raise ValueError(f"the sample has no column {col!r}")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, not {bins}")
    imp = sample["implausibility"].to_numpy(dtype=float)
    xa, xb = sample[a].to_numpy(dtype=float), sample[b].to_numpy(dtype=float)
    if ranges is None:
        ranges = ((np.nanmin(xa), np.nanmax(xa)), (np.nanmin(xb), np.nanmax(xb)))
    (la, ha), (lb, hb) = ranges
    ia = _bin_index(xa, la, ha, bins) if ha > la else np.zeros(len(xa), int)
    ib = _bin_index(xb, lb, hb, bins) if hb > lb else np.zeros(len(xb), int)
    ok = (ia >= 0) & (ib >= 0) & ~np.isnan(imp)
    cell = ia[ok] * bins + ib[ok]
    imp = imp[ok]
    count = np.bincount(cell, minlength=bins * bins).astype(float)
    kept = np.bincount(cell, weights=(imp <= cutoff).astype(float), minlength=bins * bins)
    lowest = np.full(bins * bins, np.inf)
    np.minimum.at(lowest, cell, imp)
    empty = count == 0
    lowest[empty] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        depth = np.where(empty, np.nan, kept / np.where(empty, 1, count))
    return lowest.reshape(bins, bins), depth.reshape(bins, bins)


def constraint_scores(sample: pd.DataFrame, free: list[dict], cutoff: float = 3.0) -> pd.Series:
    """How much a wave constrains each free parameter, highest first.

    The rule: the total-variation distance between the marginal distribution of the non-implausible
    points (implausibility <= cutoff) and that of the whole sample, in MARGINAL_BINS equal bins of the
    parameter's prior range [low, high]: the share of the kept points that would have to move to
    make their marginal look like the sample's. 0: the wave says nothing about the parameter on its
    own; near 1: the kept points sit in a sliver of its range (wherever the sliver is; a plain
    distance from uniform, such as Kolmogorov-Smirnov's, would rank a sliver at an edge above one in
    the middle). Comparing with the sample rather than with the uniform density keeps the score right
    for a sample that is not quite uniform. A parameter constrained only jointly with another (a
    ridge) scores low; the pairs figure would not choose it. With fewer than 10 kept points, the
    5% least implausible points (at least 10) stand in for them."""
    names = _free_names(free, sample.columns, "the sample")
    if "implausibility" not in sample.columns:
        raise ValueError("the sample has no column 'implausibility'")
    kept, _ = _kept(sample["implausibility"].to_numpy(dtype=float), cutoff)
    scores = {name: _total_variation(sample[name].to_numpy(dtype=float), kept, float(f["low"]), float(f["high"]))
              for f, name in zip(free, names)}
    return pd.Series(scores, name="constraint").sort_values(ascending=False, kind="stable")


MIN_KEPT = 10


def _kept(imp: np.ndarray, cutoff: float) -> tuple[np.ndarray, bool]:
    """The points that are not implausible; with fewer than MIN_KEPT, the 5% least implausible (at least
    MIN_KEPT) stand in for them (the second value says so)."""
    kept = imp <= cutoff
    if kept.sum() >= MIN_KEPT:
        return kept, False
    finite = np.isfinite(imp)
    n = min(int(finite.sum()), max(MIN_KEPT, int(0.05 * finite.sum())))
    kept = np.zeros(len(imp), bool)
    kept[np.argsort(np.where(finite, imp, np.inf), kind="stable")[:n]] = True
    return kept, True


def _total_variation(x: np.ndarray, kept: np.ndarray, low: float, high: float) -> float:
    """Total-variation distance between the marginal of x[kept] and that of x, in MARGINAL_BINS bins."""
    k = _bin_index(x, low, high, MARGINAL_BINS)
    whole = np.bincount(k[k >= 0], minlength=MARGINAL_BINS).astype(float)
    inner = np.bincount(k[(k >= 0) & kept], minlength=MARGINAL_BINS).astype(float)
    if whole.sum() == 0 or inner.sum() == 0:
        return 0.0
    return 0.5 * float(np.abs(inner / inner.sum() - whole / whole.sum()).sum())


def _tv_noise(x: np.ndarray, kept: np.ndarray, low: float, high: float, draws: int = 20) -> float:
    """The total variation a random subset of as many points as `kept` gives (the mean of `draws`,
    seeded): what a score of an unconstrained parameter looks like with this many kept points."""
    rng = np.random.default_rng(0)
    n = int(kept.sum())
    out = []
    for _ in range(draws):
        subset = np.zeros(len(x), bool)
        subset[rng.choice(len(x), n, replace=False)] = True
        out.append(_total_variation(x, subset, low, high))
    return float(np.mean(out))


def _default_bins(n: int) -> int:
    """About 20 points a bin on average, between 6 x 6 and 20 x 20 bins."""
    return int(min(20, max(6, round(math.sqrt(n / 20)))))


def implausibility_pairs(sample: pd.DataFrame, free: list[dict], wave: int, out: Path, cutoff: float = 3.0,
                         pairs: int = 6, bins: int | None = None) -> Path:
    """A pairs figure of wave `wave`: for the `pairs` parameters it constrains most (`constraint_scores`),
    below the diagonal the minimum implausibility in each 2-D bin (capped at 2 x cutoff; blue: not
    implausible, red: implausible, white at the cutoff), above it the optical depth (the share of the
    bin's points that are not implausible); on the diagonal the marginal of the kept points against the
    whole sample's, with the constraint score. Every panel of a row has that row's parameter on y,
    every panel of a column that column's parameter on x, over its prior range. Grey: no point."""
    if pairs < 2 or len(free) < 2:
        raise ValueError(f"a pairs figure needs at least 2 parameters (pairs={pairs}, {len(free)} free)")
    scores = constraint_scores(sample, free, cutoff)
    by_name = {f["name"]: f for f in free}
    chosen = list(scores.index[:pairs])
    k = len(chosen)
    imp = sample["implausibility"].to_numpy(dtype=float)
    n, n_kept, n_nan = int((~np.isnan(imp)).sum()), int((imp <= cutoff).sum()), int(np.isnan(imp).sum())
    kept, stand_in = _kept(imp, cutoff)
    bins = bins or _default_bins(n)
    cap = 2 * cutoff
    norm = TwoSlopeNorm(vmin=0, vcenter=cutoff, vmax=cap)
    low_cmap = sns.color_palette("RdBu_r", as_cmap=True).with_extremes(bad=EMPTY_BIN)
    depth_cmap = sns.color_palette("YlGnBu", as_cmap=True).with_extremes(bad=EMPTY_BIN)
    rng = {name: (float(by_name[name]["low"]), float(by_name[name]["high"])) for name in chosen}
    with sns.axes_style(STYLE["style"], {"axes.grid": False}), sns.plotting_context(STYLE["context"]):
        fig = Figure(figsize=(2.25 * k + 2.2, 2.25 * k + 2.6), layout="constrained")
        axes = fig.subplots(k, k, squeeze=False)
        fig.suptitle(TITLES["implausibility_pairs"].format(wave=wave), fontweight="bold")
        low_mesh = depth_mesh = None
        for i, yname in enumerate(chosen):
            for j, xname in enumerate(chosen):
                ax = axes[i, j]
                (xl, xh), (yl, yh) = rng[xname], rng[yname]
                if i == j:
                    _diagonal(ax, sample[xname].to_numpy(dtype=float), xl, xh, kept, scores[xname], stand_in)
                else:
                    lowest, depth = pair_grids(sample, xname, yname, cutoff, bins, ranges=(rng[xname], rng[yname]))
                    xe, ye = np.linspace(xl, xh, bins + 1), np.linspace(yl, yh, bins + 1)
                    if i > j:
                        low_mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(np.minimum(lowest, cap)).T,
                                                 cmap=low_cmap, norm=norm, rasterized=True)
                    else:
                        depth_mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(depth).T, cmap=depth_cmap,
                                                   vmin=0, vmax=1, rasterized=True)
                    ax.set_ylim(yl, yh)
                ax.set_xlim(xl, xh)
                ax.xaxis.set_major_locator(MaxNLocator(3))
                ax.yaxis.set_major_locator(MaxNLocator(3))
                ax.tick_params(labelsize="x-small", length=2, pad=1)
                if i < k - 1:
                    ax.tick_params(labelbottom=False)
                else:
                    ax.set_xlabel(f"{_dotted(xname)}\n{_range_label(by_name[xname])}", fontsize="small")
                if j > 0 or i == 0:  # the first diagonal panel's y axis is a density, not a parameter
                    ax.tick_params(labelleft=False)
                if j == 0 and i > 0:
                    ax.set_ylabel(f"{_dotted(yname)}\n{_range_label(by_name[yname])}", fontsize="small")
        axes[0, k - 1].tick_params(labelright=True)  # row 0's parameter: its first panel is a density
        if k > 1:
            axes[0, 0].set_ylabel(f"{_dotted(chosen[0])}\n{_range_label(by_name[chosen[0]])}", fontsize="small")
        if low_mesh is not None:
            bar = fig.colorbar(low_mesh, ax=axes, location="bottom", shrink=0.5, aspect=40, pad=0.01,
                               extend="max")
            bar.set_label(f"below the diagonal: minimum implausibility over the other dimensions "
                          f"(capped at {_num(cap)}; line: cutoff {_num(cutoff)})", fontsize="small")
            bar.ax.axvline(cutoff, color="k", lw=2)
            bar.set_ticks(sorted({0, cutoff / 2, cutoff, 1.5 * cutoff, cap}))
        if depth_mesh is not None:
            bar = fig.colorbar(depth_mesh, ax=axes, location="right", shrink=0.5, aspect=40, pad=0.01)
            bar.set_label(f"above the diagonal: optical depth (share of the bin's points with implausibility "
                          f"<= {_num(cutoff)})", fontsize="small")
        kept_text = (f"{n_kept:,} of {n:,} points non-implausible ({100 * n_kept / max(n, 1):.1f}%)"
                     if n_kept else f"no point of {n:,} is non-implausible")
        if stand_in:
            kept_text += (f"; too few to rank the parameters: the {int(kept.sum()):,} least implausible points "
                          f"stand in for them (orange on the diagonal)")
        small = FontProperties(size="small").get_size_in_points()
        line = int(fig.get_figwidth() * 72 / (0.55 * small)) - 4  # characters a line of small text holds
        # the note as the figure's x label, so the layout keeps it clear of the colour bar
        fig.supxlabel(wrap(
            f"{kept_text}; {bins} x {bins} bins of each prior range, grey: no point"
            f"{f' ({n_nan} points with no implausibility left out)' if n_nan else ''}. The {k} parameters "
            f"whose non-implausible marginal differs most from the sample's (total variation, TV on the "
            f"diagonal: 0 = unconstrained, 1 = a sliver; 'noise': the TV of as many points drawn at random), "
            f"most constrained first. Diagonal: the whole sample (grey line) and the non-implausible points "
            f"(filled), densities.", line),
            fontsize="small", color="0.25")
        return _save(fig, out)


def _diagonal(ax, x: np.ndarray, low: float, high: float, kept: np.ndarray, score: float,
              stand_in: bool) -> None:
    """A parameter's marginal: the non-implausible points (filled; orange for stand-ins) and the whole
    sample (grey outline), both as densities over [low, high]; the constraint score and its noise level."""
    edges = np.linspace(low, high, MARGINAL_BINS + 1)
    finite = np.isfinite(x)
    if (kept & finite).any():
        ax.hist(x[kept & finite], bins=edges, density=True, color=POINT_COLOUR if stand_in else "#0072b2",
                alpha=0.75)
    ax.hist(x[finite], bins=edges, density=True, histtype="step", color="0.3", lw=1.2)
    ax.set_yticks([])
    noise = _tv_noise(x, kept, low, high) if kept.any() else float("nan")
    ax.text(0.03, 0.96, f"TV {score:.2f}\n(noise {noise:.2f})", transform=ax.transAxes, ha="left", va="top",
            fontsize="x-small", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})


# --- the ensemble ------------------------------------------------------------------------------------

def ensemble_marginals(ensemble: pd.DataFrame, free: list[dict], out: Path, point: dict | None = None) -> Path:
    """One panel per free parameter (4 a row): the ensemble's histogram over the prior range [low, high],
    as a density relative to the prior's (the uniform prior is 1 everywhere: the dashed line; the
    shaded band is where 90% of a bin's heights would fall for as many draws from the prior, so a bar
    outside it is more than sampling noise). `point` (parameter -> value, e.g. the defaults of the point
    calibration) is marked by a vertical line. Columns that are not free parameters are ignored."""
    names = _free_names(free, ensemble.columns, "the ensemble")
    if ensemble.empty:
        raise ValueError("the ensemble has no members")
    from scipy.stats import binom

    n_members = len(ensemble)
    bins = int(min(20, max(5, round(math.sqrt(n_members)))))
    # a bin's height relative to the prior under the prior: binomial(n, 1/bins) * bins / n
    band = binom.ppf([0.05, 0.95], n_members, 1 / bins) * bins / n_members
    ncols = 4
    nrows = math.ceil(len(free) / ncols)
    heights = {}
    for f, name in zip(free, names):
        x = ensemble[name].to_numpy(dtype=float)
        k = _bin_index(x, float(f["low"]), float(f["high"]), bins)
        heights[name] = np.bincount(k[k >= 0], minlength=bins) * bins / n_members
    top = max(max(float(h.max()) for h in heights.values()), float(band[1]), 1.0) * 1.12
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig = Figure(figsize=(13, 1.95 * nrows + 1.3), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
        fig.suptitle(TITLES["ensemble_marginals"] + f" ({n_members} members)", fontweight="bold")
        for ax in axes.flat[len(free):]:
            ax.set_visible(False)
        for ax, f, name in zip(axes.flat, free, names):
            low, high = float(f["low"]), float(f["high"])
            edges = np.linspace(low, high, bins + 1)
            ax.axhspan(band[0], band[1], color="0.88", zorder=0, lw=0)
            ax.axhline(1, color=PRIOR_COLOUR, lw=1, ls="--", zorder=1)
            ax.bar(edges[:-1], heights[name], width=np.diff(edges), align="edge", color="#0072b2", alpha=0.8,
                   edgecolor="white", lw=0.5, zorder=2)
            for edge in band:  # the band's edges again above the bars, which hide its shading
                ax.axhline(edge, color="0.55", lw=0.7, ls=":", zorder=3)
            x = ensemble[name].to_numpy(dtype=float)
            outside = int((np.isfinite(x) & ((x < low) | (x > high))).sum())
            missing = int((~np.isfinite(x)).sum())
            notes = [t for t in (f"{outside} outside the range" if outside else "",
                                 f"{missing} missing" if missing else "") if t]
            if notes:
                ax.text(0.98, 0.96, ", ".join(notes), transform=ax.transAxes, ha="right", va="top",
                        fontsize="x-small", color=OUTSIDE)
            if point is not None and name in point and point[name] is not None:
                v = float(point[name])
                if low <= v <= high:
                    ax.axvline(v, color=POINT_COLOUR, lw=1.8, zorder=3)
                else:  # off the range: an arrow at the edge it lies beyond
                    edge, ha = (low, "left") if v < low else (high, "right")
                    ax.annotate(f"{'<' if v < low else '>'} point {_num(v)}", (edge, top * 0.5), fontsize="x-small",
                                color=POINT_COLOUR, ha=ha, va="center")
            ax.set_xlim(low, high)
            ax.set_ylim(0, top)
            ax.set_xticks([low, (low + high) / 2, high], [_num(low), _num((low + high) / 2), _num(high)])
            ax.tick_params(labelsize="x-small", pad=1)
            title = name if len(name) <= 34 else _dotted(name, 34)
            ax.set_title(title, fontsize="small")
            if f.get("block"):
                ax.text(0.02, 0.96, f["block"], transform=ax.transAxes, ha="left", va="top", fontsize="x-small",
                        color="0.3", zorder=5, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7,
                                                     "pad": 1})
        for row in axes:
            row[0].set_ylabel("density / prior", fontsize="small")
        handles = [Patch(color="#0072b2", alpha=0.8, label="ensemble"),
                   Line2D([], [], color=PRIOR_COLOUR, ls="--", label="uniform prior"),
                   Patch(facecolor="0.88", edgecolor="0.55", ls=":",
                         label=f"90% of a bin's height for {n_members} draws from the prior")]
        if point is not None:
            handles.append(Line2D([], [], color=POINT_COLOUR, lw=1.8, label="point calibration"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
                   fontsize="small")
        return _save(fig, out)


# --- targets: published bands and the ensemble's prediction -------------------------------------------

XLIM = (-1.5, 2.5)  # in band units: the band is [0, 1]; a value beyond is drawn at the edge, with an arrow


def _band_units(v, low, high):
    return (np.asarray(v, dtype=float) - low) / (high - low)


def predictive_vs_bands(table: pd.DataFrame, out: Path) -> Path:
    """A forest plot, one row per target in the table's order, each in units of its own published band
    (0 = the band's low edge, 1 = its high edge): the band shaded, the published value a black tick,
    the ensemble's 90% predictive interval a line and its mean a dot (green: within, red: not), the
    point calibration's mean (`point_simulated`, if the table has it) a hollow diamond. A value beyond
    the axis's range (-1.5 to 2.5 bands) is drawn at the edge as an arrowhead. The numbers themselves
    are printed at the right."""
    missing = [c for c in PREDICTIVE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"the predictive table has no column(s) {', '.join(repr(c) for c in missing)} "
                         f"(needs {', '.join(PREDICTIVE_COLUMNS)}; point_simulated is optional)")
    if table.empty:
        raise ValueError("the predictive table has no targets")
    bad = table.loc[~(table["high"].astype(float) > table["low"].astype(float)), "target"].tolist()
    if bad:
        raise ValueError(f"target(s) {', '.join(map(str, bad))}: the band's high must be above its low")
    has_point = "point_simulated" in table.columns
    n = len(table)
    lo_x, hi_x = XLIM
    # the numbers at the right, in aligned columns: (header, text per row, where the column starts)
    columns = [("published [band]", [f"{_num(float(r['value']))} [{_num(float(r['low']))}, {_num(float(r['high']))}]"
                                     for _, r in table.iterrows()]),
               ("predictive mean [90%]", [f"{_num(float(r['predictive_mean']))} [{_num(float(r['predictive_low']))}, "
                                          f"{_num(float(r['predictive_high']))}]" for _, r in table.iterrows()])]
    if has_point:
        columns.append(("point", [_num(float(v)) for v in table["point_simulated"]]))
    widths = [max(len(h), *(len(t) for t in texts)) + 2 for h, texts in columns]
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        size = FontProperties(size="x-small").get_size_in_points()
        char = 0.62 * size  # a monospace character's width, in points (DejaVu Sans Mono: 0.602 em)
        text_inches = char * sum(widths) / 72
        fig = Figure(figsize=(8.5 + text_inches, 0.34 * n + 2.0), layout="constrained")
        ax, text_ax = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [7.0, text_inches]})
        fig.suptitle(TITLES["predictive_vs_bands"], fontweight="bold")
        ax.axvspan(0, 1, color="0.88", zorder=0, lw=0)
        for edge in (0, 1):
            ax.axvline(edge, color="0.6", lw=0.6, zorder=0)

        def clip(v: float) -> float:
            return float(np.clip(v, lo_x, hi_x))

        for k, (_, r) in enumerate(table.iterrows()):
            low, high = float(r["low"]), float(r["high"])
            val, m, pl, ph = (float(_band_units(r[c], low, high)) for c in
                              ("value", "predictive_mean", "predictive_low", "predictive_high"))
            colour = WITHIN if bool(r["within"]) else OUTSIDE
            if np.isfinite(pl) and np.isfinite(ph):
                ax.plot([clip(pl), clip(ph)], [k, k], color=colour, lw=2.2, solid_capstyle="butt", zorder=2)
                # an end beyond the axis: an arrowhead at the edge, pointing on (one, if both ends are beyond it)
                for edge, marker, beyond in ((lo_x, "<", min(pl, ph) < lo_x), (hi_x, ">", max(pl, ph) > hi_x)):
                    if beyond:
                        ax.plot([edge], [k], marker=marker, color=colour, ms=8, zorder=3, clip_on=False)
            if np.isfinite(m):
                if lo_x <= m <= hi_x:
                    ax.plot([m], [k], "o", color=colour, ms=6, zorder=4)
                else:
                    ax.plot([clip(m)], [k], marker="<" if m < lo_x else ">", color=colour, ms=8, zorder=4,
                            clip_on=False)
            if np.isfinite(val):
                ax.plot([clip(val)], [k], marker="|", color="k", ms=13, mew=2, zorder=5)
            if has_point and np.isfinite(p := float(_band_units(r["point_simulated"], low, high))):
                ax.plot([clip(p)], [k], marker="D", mfc="none", mec=POINT_COLOUR, ms=6, mew=1.4, zorder=4,
                        clip_on=False)
        # columns placed in points from the text panel's left edge, so they stay apart however wide it ends up
        x = 0.0
        for (header, texts), width in zip(columns, widths):
            text_ax.annotate(header, (0, -0.6), xycoords=("axes fraction", "data"), xytext=(x, 0),
                             textcoords="offset points", va="bottom", ha="left", fontsize="x-small",
                             fontweight="bold", annotation_clip=False)
            for k, (text, ok) in enumerate(zip(texts, table["within"].astype(bool))):
                text_ax.annotate(text, (0, k), xycoords=("axes fraction", "data"), xytext=(x, 0),
                                 textcoords="offset points", va="center", ha="left", fontsize="x-small",
                                 family="monospace", color="k" if ok else OUTSIDE, annotation_clip=False)
            x += width * char
        ax.set_yticks(range(n), [str(t) for t in table["target"]], fontsize="small")
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(lo_x - 0.05, hi_x + 0.05)
        ax.set_xticks([-1, 0, 0.5, 1, 2], ["-1", "0", "0.5", "1", "2"])
        ax.set_xlabel("position in the published band (0 = low edge, 1 = high edge)", fontsize="small")
        text_ax.set_axis_off()
        text_ax.set_xlim(0, 1)
        within = int(table["within"].astype(bool).sum())
        handles = [Patch(color="0.88", label="published band"),
                   Line2D([], [], color="k", marker="|", ls="none", ms=11, mew=2, label="published value"),
                   Line2D([], [], color=WITHIN, marker="o", lw=2.2,
                          label=f"90% predictive and mean: within ({within})"),
                   Line2D([], [], color=OUTSIDE, marker="o", lw=2.2, label=f"not within ({n - within})")]
        if has_point:
            handles.append(Line2D([], [], color=POINT_COLOUR, marker="D", mfc="none", ls="none", mew=1.4,
                                  label="point calibration's mean"))
        handles.append(Line2D([], [], color="0.3", marker=">", ls="none", label=f"beyond {hi_x} (or {lo_x})"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize="small")
        return _save(fig, out)
