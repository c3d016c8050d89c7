"""The figures of a sweep's analysis (seaborn, PNG in `<analysis>/figures/`): Sobol indices, Morris
screening, a grid's surfaces, a Latin hypercube's partial dependence and coefficients, and where an
advantage changes sign. matplotlib and seaborn are imported when a figure is drawn."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.analysis.outcomes import digits, direction, label, scale
from simulation.analysis.sweep_analysis.data import MINUS, outcome_order, series_order
from simulation.analysis.sweep_analysis.result import Analysis
from simulation.analysis.sweep_analysis.stats import main_effects, parameter_bins
from simulation.analysis.sweep_analysis.words import (advantage_meaning, capitalized, parameter_info, parameter_label,
                                                      target_text, value_unit)

MAX_FIGURE_OUTCOMES = 6  # per kind of figure; every outcome is in the tables


def axis_label(o: str, kind: str, wrap: int = 40) -> str:
    from simulation.analysis import plots

    u = value_unit(o, kind)
    text = ((f"advantage in {label(o)}" if kind == "advantage" else label(o))
            + (f" ({u})" if u and u not in label(o) else "")
            + (f"; {advantage_meaning(o)}" if kind == "advantage" else ""))
    return plots.wrap(text, wrap)


def _style():
    import seaborn as sns

    return sns.axes_style("whitegrid"), sns.plotting_context("notebook")


def _fig(width, height, nrows=1, ncols=1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def _suptitle(fig, text: str) -> None:
    """A bold title wrapped to the figure's width (about 10 characters per inch at this size)."""
    from simulation.analysis import plots

    fig.suptitle(plots.wrap(text, int(10 * fig.get_figwidth())), fontweight="bold", fontsize="medium")


def _save(fig, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    destination.write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    return path


def _colours(series: list[str]) -> dict[str, str]:
    pal = ("#4d4d4d", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
    return {s: pal[k % len(pal)] for k, s in enumerate(series)}


def _series_title(series: str, kind: str, o: str) -> str:
    if kind == "advantage":
        return f"{series} (advantage)"
    return series or "all runs"


def sobol_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    from simulation.analysis import plots

    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(5.2 * len(ser), 16), 1.0 + 0.55 * len(params) + 0.6, 1, len(ser), sharey=True)
        _suptitle(fig, f"Sobol indices of {label(o)}: first order (S1) and total (ST), replicate noise removed, "
                     "95% intervals")
        y = np.arange(len(params))
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].set_index("parameter").reindex(params)
            def err(c: str) -> np.ndarray:
                return np.clip(np.nan_to_num([d[c] - d[c + "_low"], d[c + "_high"] - d[c]]), 0, None)

            ax.barh(y - 0.2, d["S1"], height=0.38, xerr=err("S1"), color="#56b4e9", label="S1 (first order)",
                    error_kw={"ecolor": "0.25", "capsize": 2})
            ax.barh(y + 0.2, d["ST"], height=0.38, xerr=err("ST"), color="#0072b2", label="ST (total)",
                    error_kw={"ecolor": "0.25", "capsize": 2})
            ax.axvline(0, color="0.4", lw=0.8)
            ax.set_yticks(y, [plots.wrap(parameter_label(p, info), 26) for p in params], fontsize="small")
            ax.set_ylim(len(params) - 0.5, -0.5)
            ax.set_title(_series_title(s, kind, o), fontsize="medium")
            ax.set_xlabel("share of the variance")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        return fig


def morris_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    import seaborn as sns

    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    pal = dict(zip(params, sns.color_palette("colorblind", len(params)).as_hex()))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(5.2 * len(ser), 16) + 2.5, 4.6, 1, len(ser))
        _suptitle(fig, f"Morris screening of {label(o)}: \u03bc* (mean absolute elementary effect, 95% interval) "
                     "against \u03c3 (spread: interaction or non-linearity)")
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].copy()
            f = scale(o)
            d["mu*"], d["sigma_s"] = f * d["mu_star"], f * d["sigma"]
            d["lo"], d["hi"] = f * (d["mu_star"] - d["mu_star_low"]), f * (d["mu_star_high"] - d["mu_star"])
            d["conf"] = d["hi"]
            d["parameter "] = [parameter_label(p, info) for p in d["parameter"]]
            for _, r in d.iterrows():
                ax.errorbar(r["mu*"], r["sigma_s"], xerr=[[max(r["lo"], 0)], [max(r["hi"], 0)]], fmt="none",
                            ecolor=pal[r["parameter"]], alpha=0.6)
            floor = f * d["noise_floor"].max()
            if np.isfinite(floor) and floor > 0:
                ax.axvspan(0, floor, color="0.85", zorder=0, label="_noise")
            sns.scatterplot(data=d, x="mu*", y="sigma_s", hue="parameter ",
                            palette={parameter_label(p, info): pal[p] for p in params}, s=70, ax=ax,
                            legend=ax is axes[0, 0])
            top = max(float(d["mu*"].max() + d["conf"].max()), float(d["sigma_s"].max()), 1e-12) * 1.08
            ax.plot([0, top], [0, top], ls=":", color="0.5", lw=0.8)
            ax.set(xlim=(0, top), ylim=(0, top), title=_series_title(s, kind, o))
            u = value_unit(o, "advantage")  # effects are differences of the outcome
            ax.set_xlabel(f"\u03bc* ({u})")
            ax.set_ylabel(f"\u03c3 ({u})")
        leg = axes[0, 0].get_legend()
        if leg is not None:
            handles, labels = leg.legend_handles, [x.get_text() for x in leg.get_texts()]
            leg.remove()
            fig.legend(handles, labels, title="parameter", loc="outside right center", frameon=False)
        return fig


def grid_figure(pm: pd.DataFrame, o: str, parameters: list[str], series: list[tuple[str, str]], info: dict):
    """1 parameter: lines with 95% bands; 2: heatmaps per series; 3+: main effects per parameter."""
    import seaborn as sns

    d = pm[pm["outcome"] == o].copy()
    ser = [(s, k) for s, k in series if (d["series"] == s).any()]
    f = scale(o)
    for c in ("mean", "ci_low", "ci_high"):
        d[c] = f * d[c]
    colours = _colours([s for s, _ in series])
    s1, s2 = _style()
    with s1, s2:
        if len(parameters) == 1:
            p = parameters[0]
            kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
            fig, axes = _fig(5.6 * len(kinds) + 1.5, 4.4, 1, len(kinds))
            _suptitle(fig, f"{capitalized(label(o))} across {p}: mean over replicates, 95% t-interval")
            for ax, kind in zip(axes[0], kinds):
                for s, k in ser:
                    if k != kind:
                        continue
                    g = d[d["series"] == s].sort_values(p)
                    ax.fill_between(g[p], g["ci_low"], g["ci_high"], color=colours[s], alpha=0.2, lw=0)
                    sns.lineplot(data=g, x=p, y="mean", color=colours[s], marker="o", ax=ax,
                                 label=_series_title(s, k, o), errorbar=None)
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind))
                if ax.get_legend():
                    ax.legend(fontsize="small", frameon=False)
            return fig
        if len(parameters) == 2:
            p, q = parameters
            fig, axes = _fig(min(5.2 * len(ser), 17), 4.8, 1, len(ser))
            _suptitle(fig, f"{capitalized(label(o))} over the grid of {p} and {q}: mean over replicates in each cell "
                           "(one colour scale for the levels, one for the advantages)")
            lev = d.loc[d["kind"] == "level", "mean"]
            adv = d.loc[d["kind"] == "advantage", "mean"].abs()
            for ax, (s, kind) in zip(axes[0], ser):
                g = d[d["series"] == s].pivot_table(index=q, columns=p, values="mean").sort_index(ascending=False)
                # one scale per outcome (the same colour is the same value in every panel); advantages centred on 0
                kw = ({"cmap": "RdBu", "center": 0, "vmin": -adv.max(), "vmax": adv.max()} if kind == "advantage"
                      else {"cmap": "viridis", "vmin": lev.min(), "vmax": lev.max()})
                with warnings.catch_warnings():  # seaborn 0.13 calls a colormap API matplotlib deprecates
                    warnings.simplefilter("ignore", PendingDeprecationWarning)
                    sns.heatmap(g, annot=g.size <= 64, fmt=f".{digits(o)}f", ax=ax,
                                cbar_kws={"label": axis_label(o, kind, 30)}, annot_kws={"fontsize": "x-small"}, **kw)
                ax.set_xticklabels([f"{float(t.get_text()):.3g}" for t in ax.get_xticklabels()], rotation=0)
                ax.set_yticklabels([f"{float(t.get_text()):.3g}" for t in ax.get_yticklabels()], rotation=0)
                ax.set(title=_series_title(s, kind, o), xlabel=parameter_label(p, info),
                       ylabel=parameter_label(q, info) if ax is axes[0, 0] else "")
            return fig
        me = main_effects(d.assign(mean=d["mean"]), parameters)
        kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
        fig, axes = _fig(min(4.2 * len(parameters), 17) + 1.5, 3.8 * len(kinds), len(kinds), len(parameters))
        _suptitle(fig, f"{capitalized(label(o))}: main effect of each parameter (mean over the other parameters' "
                       "values)")
        for i, kind in enumerate(kinds):
            for j, p in enumerate(parameters):
                ax = axes[i, j]
                for s, k in ser:
                    if k != kind:
                        continue
                    g = me[(me["series"] == s) & (me["parameter"] == p)]
                    ax.plot(g["value"], g["mean"], marker="o", color=colours[s], label=_series_title(s, k, o))
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind, 30) if j == 0 else "")
            axes[i, 0].legend(fontsize="small", frameon=False)
        return fig


def lhs_figure(pm: pd.DataFrame, o: str, parameters: list[str], series: list[tuple[str, str]], info: dict):
    """Point means against each parameter, with the mean in bins of its range (partial-dependence style)."""
    import seaborn as sns

    d = pm[pm["outcome"] == o].copy()
    d["mean"] = scale(o) * d["mean"]
    ser = [(s, k) for s, k in series if (d["series"] == s).any()]
    kinds = [k for k in ("level", "advantage") if any(kk == k for _, kk in ser)]
    colours = _colours([s for s, _ in series])
    s1, s2 = _style()
    with s1, s2:
        ncols = min(len(parameters), 4)
        nrows_p = -(-len(parameters) // ncols)
        fig, axes = _fig(4.0 * ncols + 1.0, 3.4 * nrows_p * len(kinds) + 0.6, nrows_p * len(kinds), ncols)
        _suptitle(fig, f"{capitalized(label(o))} against each parameter (dots: design points; lines: mean in 8 bins)")
        for ki, kind in enumerate(kinds):
            for j, p in enumerate(parameters):
                ax = axes[ki * nrows_p + j // ncols, j % ncols]
                for s, k in ser:
                    if k != kind:
                        continue
                    g = d[d["series"] == s]
                    sns.scatterplot(x=g[p], y=g["mean"], color=colours[s], s=10, alpha=0.35, ax=ax, linewidth=0)
                    idx, _ = parameter_bins(g[p].to_numpy(float), 8)
                    b = g.groupby(idx)[[p, "mean"]].mean()
                    ax.plot(b[p], b["mean"], color=colours[s], lw=2, label=_series_title(s, k, o))
                if kind == "advantage":
                    ax.axhline(0, color="0.3", lw=0.9)
                ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, kind, 30) if j % ncols == 0 else "")
        handles, labels = [], []
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
        for j in range(len(parameters), nrows_p * ncols):
            for ki in range(len(kinds)):
                axes[ki * nrows_p + j // ncols, j % ncols].set_visible(False)
        return fig


def correlation_figure(t: pd.DataFrame, o: str, series: list[tuple[str, str]], info: dict):
    from simulation.analysis import plots

    ser = [(s, k) for s, k in series if ((t["series"] == s) & (t["outcome"] == o)).any()]
    params = list(dict.fromkeys(t["parameter"]))
    s1, s2 = _style()
    with s1, s2:
        fig, axes = _fig(min(4.8 * len(ser), 16) + 1, 2.0 + 0.5 * len(params), 1, len(ser), sharey=True)
        _suptitle(fig, f"{capitalized(label(o))}: Spearman rank correlation (dots) and standardized regression "
                       "coefficient "
                     "(squares) with each parameter, 95% intervals")
        y = np.arange(len(params))
        for ax, (s, kind) in zip(axes[0], ser):
            d = t[(t["series"] == s) & (t["outcome"] == o)].set_index("parameter").reindex(params)
            def err(c):
                return np.clip(np.nan_to_num([d[c] - d[c + "_low"], d[c + "_high"] - d[c]]), 0, None)

            ax.errorbar(
                d["spearman"], y - 0.12, xerr=err("spearman"), fmt="o", color="#0072b2", label="Spearman \u03c1"
            )
            ax.errorbar(d["src"], y + 0.12, xerr=err("src"), fmt="s", color="#e69f00",
                        label="standardized regression coefficient")
            ax.axvline(0, color="0.4", lw=0.8)
            ax.set_yticks(y, [plots.wrap(parameter_label(p, info), 26) for p in params], fontsize="small")
            ax.set_ylim(len(params) - 0.5, -0.5)
            ax.set(xlim=(-1.05, 1.05), title=_series_title(s, kind, o), xlabel="coefficient")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        return fig


def sign_figure(bins: pd.DataFrame, changes: pd.DataFrame, series: str, o: str, parameters: list[str], info: dict):
    s1, s2 = _style()
    with s1, s2:
        ncols = min(len(parameters), 4)
        nrows = -(-len(parameters) // ncols)
        fig, axes = _fig(4.0 * ncols + 0.8, 3.3 * nrows + 0.6, nrows, ncols, sharey=True)
        b_, a_ = series.split(f" {MINUS} ")
        _suptitle(fig, f"{capitalized(b_)}'s advantage over {a_} in {label(o)}, in bins of each parameter")
        f = scale(o)
        for j, p in enumerate(parameters):
            ax = axes[j // ncols, j % ncols]
            d = bins[(bins["series"] == series) & (bins["outcome"] == o) & (bins["parameter"] == p)]
            colour = np.where(d["mean"] >= 0, "tab:green", "tab:red") if direction(o) else "0.3"
            ax.axhline(0, color="0.3", lw=0.9)
            ax.errorbar(d["centre"], f * d["mean"], yerr=[f * (d["mean"] - d["ci_low"]).fillna(0),
                                                           f * (d["ci_high"] - d["mean"]).fillna(0)],
                        fmt="none", ecolor="0.5", lw=1)
            ax.scatter(d["centre"], f * d["mean"], c=colour, s=28, zorder=3)
            ax.plot(d["centre"], f * d["mean"], color="0.5", lw=0.8)
            c = changes[(changes["series"] == series) & (changes["outcome"] == o) & (changes["parameter"] == p)]
            if len(c) and np.isfinite(c["threshold"].iloc[0]) and c["clear"].iloc[0]:
                ax.axvline(c["threshold"].iloc[0], color="#0072b2", ls="--", lw=1.2)
                ax.text(c["threshold"].iloc[0], 0.98, f" {c['threshold'].iloc[0]:.3g}",
                        transform=ax.get_xaxis_transform(), va="top", color="#0072b2", fontsize="small")
            ax.set(xlabel=parameter_label(p, info), ylabel=axis_label(o, "advantage", 30) if j % ncols == 0 else "")
        for j in range(len(parameters), nrows * ncols):
            axes[j // ncols, j % ncols].set_visible(False)
        return fig


def make_figures(a: Analysis) -> list[dict]:
    """Draw the analysis's figures into `<analysis>/figures/` (the design's own, for the first
    `MAX_FIGURE_OUTCOMES` outcomes, and where each advantage changes sign).

    Parameters
    ----------
    a : Analysis
        An analysis with its tables and folder.

    Returns
    -------
    list of dict
        Per figure: section (of the page), name, png (its path), title and caption.
    """
    sweep, t = a.sweep, a.tables
    info = parameter_info()
    folder = a.folder / "figures"
    series = series_order(sweep)
    shown = outcome_order(sweep.outcomes)[:MAX_FIGURE_OUTCOMES]
    figs: list[dict] = []

    def add(section: str, name: str, fig, title: str, caption: str) -> None:
        figs.append({"section": section, "name": name, "png": str(_save(fig, folder, name)), "title": title,
                     "caption": caption})

    pm = t["point_means"]
    for o in shown:
        if sweep.kind == "sobol" and (t["sobol_indices"]["outcome"] == o).any():
            add("sobol", f"sobol_{o}", sobol_figure(t["sobol_indices"], o, series, info), f"Sobol indices: {label(o)}",
                "First-order index S1: the share of the variance of the outcome (across the design) due to the "
                "parameter alone; total index ST: including its interactions with the others; both of the replicate "
                "means, the replicate noise's part removed. Bars: 95% intervals (design sampling and replicate noise).")
        elif sweep.kind == "morris" and (t["morris"]["outcome"] == o).any():
            add("morris", f"morris_{o}", morris_figure(t["morris"], o, series, info), f"Morris screening: {label(o)}",
                "Far right: influential parameters; high above the diagonal: effects that depend on the other "
                "parameters (interactions or non-linearity); near the origin: negligible. Bars: 95% intervals of "
                "\u03bc* (design sampling and replicate noise)"
                + ("; grey band: the noise floor, the \u03bc* replicate noise alone would give." if sweep.replicates > 1
                   else "; one replicate per point: the noise cannot be told apart."))
        elif sweep.kind == "grid" and (pm["outcome"] == o).any():
            add("grid", f"grid_{o}", grid_figure(pm, o, sweep.parameters, series, info), f"Outcome surface: {label(o)}",
                "Mean over replicates at each grid cell"
                + (", with 95% t-intervals (bands)" if len(sweep.parameters) == 1
                   else "; the intervals are in the table grid_surfaces.csv")
                + (". One colour scale for the levels of all models (the same colour is the same value in every "
                   "panel) and one centred on zero for the advantages (blue: the model is better for faculty, "
                   "red: worse)" if len(sweep.parameters) == 2 else "") + ".")
        elif sweep.kind == "lhs" and (pm["outcome"] == o).any():
            add("lhs", f"lhs_{o}", lhs_figure(pm, o, sweep.parameters, series, info), f"Partial dependence: {label(o)}",
                "Each dot is a design point (mean over replicates); the line is the mean in bins of the parameter's "
                "range, averaging over the other parameters' values at those points.")
            if (t["lhs_correlations"]["outcome"] == o).any():
                add("lhs", f"lhs_coefficients_{o}", correlation_figure(t["lhs_correlations"], o, series, info),
                    f"Rank correlations and regression coefficients: {label(o)}",
                    "Spearman \u03c1: monotone association of the outcome with the parameter over the design points; "
                    "standardized regression coefficient: change in the outcome (in standard deviations) per standard "
                    "deviation of the parameter, the others held fixed, from a linear fit.")
    if "sign_changes" in t and len(t["sign_changes"]):
        for s, kind in series:
            if kind != "advantage":
                continue
            for o in shown[:3]:
                if ((t["sign_bins"]["series"] == s) & (t["sign_bins"]["outcome"] == o)).any():
                    add("sign", f"sign_{_slug(s)}_{o}", sign_figure(t["sign_bins"], t["sign_changes"], s, o,
                                                                    sweep.parameters, info),
                        f"Where the advantage changes sign: {target_text(s, kind, o)}",
                        "Mean advantage over the design points in bins of each parameter's range (a grid: at each of "
                        "its values), with the 95% interval over those points (one point: over its replicates); the "
                        "other parameters vary within each bin. The advantage is positive when the model is better "
                        "for faculty (for an outcome where lower is better, when its level is lower). Green: "
                        "better, red: worse"
                        + (" (neither: grey)" if direction(o) == 0 else "") + ". Dashed: where a monotone fit of the "
                        "advantage on the parameter crosses zero, drawn only when the sign change is clear.")
    return figs


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_")

