"""Figures of a comparison, made with seaborn from the saved tables alone.

Every function takes tables (never a model) and returns a matplotlib Figure; `make_all`
reads a comparison folder and writes each figure as PNG (for reading) and SVG (for
papers), returning one caption per figure, with numbers computed from the tables. A figure
the tables cannot support (too short a run, no promotions, one scenario...) is skipped, and
`make_all` records why.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simulation.analysis.comparison import load, note, run_folder
from simulation.analysis.outcomes import (LAST_DECADE_MONTHS, MONTHS_PER_YEAR, REGISTRY, band_error, cohort,
                                          composition, difference_unit, difference_units_text, key_outcomes, label,
                                          mean_ci, scale, years_text)
from simulation.util import destination
from simulation.config.params import FUNCTIONS, RANKS, STAGES

STYLE = {"style": "whitegrid", "context": "notebook"}

# the years after hire the retention and careers figures mark, and their captions quote: those of the
# registry's 10-year outcomes; and the last years of the run the women figure's caption averages
RETENTION_YEARS = REGISTRY["retention_10y"].years_after_hire
PUBLICATIONS_YEARS = REGISTRY["pubs_10y"].years_after_hire
LAST_DECADE_YEARS = LAST_DECADE_MONTHS // MONTHS_PER_YEAR


def _figure(width: float = 10, height: float = 4.5, ncols: int = 1, nrows: int = 1, **kw):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _legend_beside(fig: Figure, ax) -> None:
    """Move an axes' legend to the right of the figure, where it cannot cover data."""
    legend = ax.get_legend()
    if legend is None:
        return
    handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    title = legend.get_title().get_text()
    legend.remove()
    fig.legend(handles, labels, title=title, loc="outside right upper", frameon=False)


# Okabe-Ito colours (distinguishable with colour-vision deficiencies), no two of them alike:
# the reference is dark grey, the others follow in the comparison's order.
REFERENCE_COLOUR = "#4d4d4d"
SCENARIO_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")

# Each figure's title, shown on the figure and in the report.
TITLES = {
    "retention": "Retention in academia after hire",
    "careers_by_year": "Careers by years since hire",
    "promotion_timing": "Time to promotion to associate professor",
    "coverage_by_stage": "Coverage of mentoring need by function and career stage",
    "mentor_load": "Mentoring load of senior faculty",
    "women": "Women mentors and women's share of each rank",
    "differences": "Paired differences from the reference",
}


def scenario_colors(scenarios: list[str]) -> dict[str, str]:
    """One colour per scenario for every figure and table of a comparison (the reference first).

    Call it with the comparison's full scenario list, so a scenario keeps its colour in a
    figure that shows only some of them."""
    extra = max(0, len(scenarios) - 1 - len(SCENARIO_COLOURS))
    colours = [REFERENCE_COLOUR, *SCENARIO_COLOURS]
    if extra:
        from matplotlib.colors import to_hex

        colours += [to_hex(c) for c in sns.color_palette("husl", extra)]
    return dict(zip(scenarios, colours))


_palette = scenario_colors


# --- tables the figures are drawn from ----------------------------------------------------

# the people-table columns the figures read (reading only these makes loading several times faster)
FIGURE_PEOPLE_COLUMNS = ("initial", "gender", "rank", "hire_month", "end_month", "censored", "month_first_grant",
                         "month_associate", "n_proteges_final", "n_trainees_final",
                         *(f"pubs_y{y}" for y in range(1, 16)))


def load_runs(out: Path, scenarios: list[str], replicates: int, table: str, columns=None) -> pd.DataFrame:
    frames = []
    for s in scenarios:
        for r in range(replicates):
            df = pd.read_parquet(run_folder(out, s, r) / f"{table}.parquet", columns=columns)
            df["scenario"] = s
            df["replicate"] = r
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def km_table(hires: pd.DataFrame, by: list[str], horizon_years: float = 20.0) -> pd.DataFrame:
    """Kaplan-Meier survival in academia with 95% bands (lifelines), per group."""
    from lifelines import KaplanMeierFitter

    rows = []
    grid = np.linspace(0, horizon_years, int(horizon_years * 4) + 1)
    for keys, g in hires.groupby(by, observed=True, sort=False):
        km = KaplanMeierFitter().fit(g["years"], g["left"])
        grid_g = grid[grid <= g["years"].max()]
        s = km.survival_function_at_times(grid_g).to_numpy()
        ci = km.confidence_interval_survival_function_
        lo = np.interp(grid_g, ci.index.to_numpy(), ci.iloc[:, 0].to_numpy())
        hi = np.interp(grid_g, ci.index.to_numpy(), ci.iloc[:, 1].to_numpy())
        keys = keys if isinstance(keys, tuple) else (keys,)
        rows.append(pd.DataFrame({**dict(zip(by, keys)), "years": grid_g, "survival": s, "low": lo, "high": hi}))
    return pd.concat(rows, ignore_index=True)


def by_career_year(people: pd.DataFrame, n_months: int, max_years: int = 15) -> pd.DataFrame:
    """Per run and career year: mean cumulative publications, share with a grant, share promoted."""
    rows = []
    for (s, r), p in people.groupby(["scenario", "replicate"], sort=False):
        c = cohort(p)
        hire = c["hire_month"].to_numpy(dtype=float)
        grant = (c["month_first_grant"].astype(float) - c["hire_month"]).to_numpy(dtype=float)
        promo = (c["month_associate"].astype(float) - c["hire_month"]).to_numpy(dtype=float)
        for y in range(1, max_years + 1):
            followed = hire <= n_months - 12 * y
            if not followed.any():
                continue
            pubs = c[f"pubs_y{y}"].to_numpy(dtype=float, na_value=np.nan)[followed]
            rows.append({"scenario": s, "replicate": r, "career_year": y,
                         "publications": float(np.nanmean(pubs)) if np.isfinite(pubs).any() else np.nan,
                         "grant_share": float((grant[followed] < 12 * y).mean()),
                         "promoted_share": float((promo[followed] < 12 * y).mean())})
    return pd.DataFrame(rows)


# --- figures ------------------------------------------------------------------------------

def retention_figure(km_all: pd.DataFrame, km_gender: pd.DataFrame, scenarios: list[str]) -> Figure:
    pal = _palette(scenarios)
    ylabel = "still in academia (% of hires)"
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(14, 4.8, ncols=3, sharey=True)
        fig.suptitle(TITLES["retention"] + " (Kaplan-Meier, 95% bands)", fontweight="bold")
        panels = [("all hires", km_all)] + [(g, km_gender[km_gender["gender"] == g]) for g in ("women", "men")]
        for ax, (title, data) in zip(axes[0], panels):
            if data.empty:  # e.g. one gender only among the hires
                ax.text(0.5, 0.5, f"no {title} among the hires", ha="center", va="center", transform=ax.transAxes)
                ax.set(title=title, xlabel="years since hire", ylabel=ylabel)
                continue
            data = data.assign(**{c: 100 * data[c] for c in ("survival", "low", "high")})
            for s in scenarios:
                d = data[data["scenario"] == s]
                ax.fill_between(d["years"], d["low"], d["high"], color=pal[s], alpha=0.2, linewidth=0)
            sns.lineplot(data=data, x="years", y="survival", hue="scenario", hue_order=scenarios,
                         palette=pal, ax=ax, legend=title == "all hires")
            ax.set(title=title, xlabel="years since hire", ylabel=ylabel)
            if data["years"].max() >= RETENTION_YEARS:
                ax.axvline(RETENTION_YEARS, color="0.5", lw=0.8, ls=":")
        _legend_beside(fig, axes[0, 0])
        return fig


def career_year_figure(cy: pd.DataFrame, scenarios: list[str]) -> Figure:
    pal = _palette(scenarios)
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(14, 4.8, ncols=3)
        fig.suptitle(TITLES["careers_by_year"] + " (mean over replicates, 95% CI)", fontweight="bold")
        cy = cy.assign(grant_share=100 * cy["grant_share"], promoted_share=100 * cy["promoted_share"])
        for ax, (col, title, ylabel) in zip(axes[0], [
            ("publications", "Publications", "cumulative publications per hire"),
            ("grant_share", "Independent grant", "with an independent grant (% of hires)"),
            ("promoted_share", "Promotion to associate", "promoted to associate (% of hires)"),
        ]):
            sns.lineplot(data=cy, x="career_year", y=col, hue="scenario", hue_order=scenarios,
                         palette=pal, errorbar=t_interval, ax=ax, legend=col == "publications")
            ax.set(title=title, xlabel="years since hire", ylabel=ylabel)
        _legend_beside(fig, axes[0, 0])
        return fig


def promotion_figure(hires: pd.DataFrame, scenarios: list[str]) -> Figure:
    pal = _palette(scenarios)
    promoted = hires[hires["month_associate"].notna()].copy()
    promoted["years to associate"] = (promoted["month_associate"] - promoted["hire_month"]).astype(float) / 12
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(10, 4.5)
        sns.histplot(data=promoted, x="years to associate", hue="scenario", hue_order=scenarios, palette=pal,
                     stat="percent", common_norm=False, discrete=True, multiple="dodge", shrink=0.8, ax=axes[0, 0])
        fig.suptitle(TITLES["promotion_timing"] + ", among those promoted", fontweight="bold")
        axes[0, 0].set(xlabel="years from hire to associate professor", ylabel="% of those promoted")
        return fig


def coverage_figure(series: pd.DataFrame, scenarios: list[str]) -> tuple[Figure, pd.DataFrame]:
    rows = []
    for (s, r), g in series.groupby(["scenario", "replicate"], sort=False):
        for stage in STAGES:
            for f in FUNCTIONS:
                cov = g[f"coverage_{stage}_{f}"].mean()
                need = g[f"need_{stage}_{f}"].mean()
                rows.append({"scenario": s, "replicate": r, "stage": stage.replace("_", " "), "function": f,
                             "coverage": cov, "need": need})
    cov = pd.DataFrame(rows)
    pal = _palette(scenarios)
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(15, 8.3, ncols=3, nrows=2, sharey="row")
        fig.suptitle(TITLES["coverage_by_stage"] + " (mean over replicates, 95% CI)", fontweight="bold")
        for k, stage in enumerate(s.replace("_", " ") for s in STAGES):
            d = cov[cov["stage"] == stage].assign(coverage=lambda x: 100 * x["coverage"])
            sns.barplot(data=d, x="function", y="coverage", hue="scenario", hue_order=scenarios, palette=pal,
                        errorbar=t_interval, ax=axes[0, k], legend=k == 0)
            axes[0, k].set(title=f"coverage, {stage} professors", xlabel="", ylabel="need covered (%)", ylim=(0, 100))
            sns.barplot(data=d, x="function", y="need", color="0.6", errorbar=None, ax=axes[1, k])
            axes[1, k].set(title=f"need, {stage} professors", xlabel="", ylabel="support units a month")
            for ax in (axes[0, k], axes[1, k]):
                ax.tick_params(axis="x", rotation=30)
        _legend_beside(fig, axes[0, 0])
        return fig, cov


def load_figure(people: pd.DataFrame, scenarios: list[str], comfortable: float) -> tuple[Figure, pd.DataFrame]:
    seniors = people[people["censored"] & people["rank"].astype(str).isin(["associate", "full"])].copy()
    seniors["mentees"] = seniors["n_proteges_final"] + seniors["n_trainees_final"]
    seniors["faculty proteges"] = seniors["n_proteges_final"]
    pal = _palette(scenarios)
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(14, 4.8, ncols=2)
        fig.suptitle(TITLES["mentor_load"] + ", end of run", fontweight="bold")
        # ranks in greys, so that colours keep meaning scenarios across the report
        sns.boxplot(data=seniors, x="scenario", y="mentees", hue="rank", order=scenarios,
                    hue_order=["associate", "full"], palette={"associate": "0.85", "full": "0.55"},
                    ax=axes[0, 0], fliersize=1)
        axes[0, 0].axhline(comfortable, color="0.3", ls="--", lw=1)
        axes[0, 0].set(title="mentees of all kinds per senior (dashed: comfortable load)", xlabel="",
                       ylabel="mentees per senior (people)")
        sns.boxplot(data=seniors, x="scenario", y="faculty proteges", order=scenarios, hue="scenario",
                    palette=pal, ax=axes[0, 1], fliersize=1, legend=False)
        axes[0, 1].set(title="faculty proteges per senior", xlabel="", ylabel="faculty proteges per senior (people)")
        for ax in axes[0]:
            ax.tick_params(axis="x", rotation=20)
        return fig, seniors


def women_figure(series: pd.DataFrame, scenarios: list[str]) -> Figure:
    pal = _palette(scenarios)
    comp = []
    for (s, r), g in series.groupby(["scenario", "replicate"], sort=False):
        c = composition(g.reset_index(drop=True))
        c["scenario"], c["replicate"] = s, r
        c["women proteges with a woman mentor"] = g["share_women_with_woman_mentor"].to_numpy()
        comp.append(c[c["month"] % 12 == 11])
    comp = pd.concat(comp, ignore_index=True)
    shown = comp.copy()
    for col in ["women proteges with a woman mentor", *(f"share_women_{r}" for r in RANKS)]:
        shown[col] = 100 * shown[col]
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(16, 4.8, ncols=4, sharex=True)
        fig.suptitle(TITLES["women"] + " (year ends, mean over replicates, 95% CI)", fontweight="bold")
        sns.lineplot(data=shown, x="year", y="women proteges with a woman mentor", hue="scenario",
                     hue_order=scenarios, palette=pal, errorbar=t_interval, ax=axes[0, 0])
        axes[0, 0].set(ylim=(0, 100), title="women proteges with a woman mentor", xlabel="year of run",
                       ylabel="% of women proteges")
        for ax, r in zip(axes[0, 1:], RANKS):
            sns.lineplot(data=shown, x="year", y=f"share_women_{r}", hue="scenario", hue_order=scenarios,
                         palette=pal, errorbar=t_interval, ax=ax, legend=False)
            ax.set(
                title=f"women's share, {r} professors", xlabel="year of run", ylabel="women (% of rank)", ylim=(0, 70)
            )
        _legend_beside(fig, axes[0, 0])
        return fig, comp


def differences_figure(diffs: pd.DataFrame, outcomes_shown: tuple[str, ...],
                       all_scenarios: list[str] | None = None) -> Figure:
    """One panel per outcome, each on its own scale: scenarios' paired differences with 95% CIs.

    `all_scenarios` (the reference first) keeps each scenario's colour the same as in the
    other figures."""
    d = diffs[(diffs["group"] == "all") & diffs["outcome"].isin(outcomes_shown)]
    scenarios = list(d["scenario"].unique())
    pal = _palette(all_scenarios or scenarios)
    ncols = 4
    nrows = -(-len(outcomes_shown) // ncols)
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(16, 1.0 + (0.45 * len(scenarios) + 1.1) * nrows, ncols=ncols, nrows=nrows, sharey=True)
        reference = d["reference"].iloc[0] if len(d) else "the reference"
        fig.suptitle(
            f"Paired differences from {reference}, all hires (mean over replicates, 95% CI)", fontweight="bold"
        )
        for ax, outcome in zip(axes.flat, outcomes_shown):
            g = d[d["outcome"] == outcome].set_index("scenario").reindex(scenarios)
            factor, unit = scale(outcome), difference_unit(outcome)
            for k, s in enumerate(scenarios):
                x = factor * g.loc[s, "difference"]
                lo, hi = factor * g.loc[s, "ci_low"], factor * g.loc[s, "ci_high"]
                # one replicate: no interval
                xerr = [[x - lo], [hi - x]] if np.isfinite(lo) and np.isfinite(hi) else None
                ax.errorbar([x], [k], xerr=xerr, fmt="o", color=pal[s], capsize=3, ms=5)
            ax.axvline(0, color="0.3", lw=0.8)
            ax.xaxis.set_major_locator(MaxNLocator(5))  # room between neighbouring panels' labels
            ax.set_title(wrap(label(outcome)), fontsize="medium")
            ax.set_xlabel(unit, fontsize="small")
            ax.set_yticks(range(len(scenarios)), scenarios)
            ax.set_ylim(len(scenarios) - 0.5, -0.5)
        for ax in list(axes.flat)[len(outcomes_shown):]:
            ax.set_visible(False)
        return fig


def wrap(text: str, width: int = 34) -> str:
    """The text broken into lines of at most `width` characters (for titles and tick labels).

    Parameters
    ----------
    text : str
        The text.
    width : int
        The longest line, in characters.

    Returns
    -------
    str
        The lines joined by newlines.
    """
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def t_interval(values) -> tuple[float, float]:
    """The 95% t-interval of the mean over replicates, as in the tables (seaborn's default
    bootstraps a thousand resamples per point, which made drawing take most of the report's time)."""
    _, lo, hi = mean_ci(values)
    return lo, hi


def relabel(fig: Figure, names: dict[str, str]) -> None:
    """Replace scenario identifiers in a figure's legends and tick labels by their labels.

    Parameters
    ----------
    fig : Figure
        A drawn figure whose legends or categorical ticks name scenarios by identifier.
    names : dict
        Identifier -> label (the scenario files' `label`); other texts are left as they are.
    """
    fig.canvas.draw()  # tick labels exist once drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            texts = [t.get_text() for t in axis.get_ticklabels()]
            if any(t in names for t in texts):
                axis.set_ticks(axis.get_ticklocs(), [names.get(t, t) for t in texts])
    title = fig._suptitle  # a title that names the reference scenario ("Paired differences from dyad, ...")
    if title is not None:
        text = title.get_text()
        for ident, name in names.items():
            text = re.sub(rf"(?<![\w.]){re.escape(ident)}(?![\w])", name, text)
        title.set_text(text)
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    for legend in legends:
        for t in legend.get_texts():
            if t.get_text() in names:
                t.set_text(names[t.get_text()])


def save(fig: Figure, folder: Path, name: str, svg: bool = False) -> dict[str, str]:
    """PNG (what the report embeds), and SVG too when asked (drawing it again doubles the time)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in ("png", "svg") if svg else ("png",):
        path = folder / f"{name}.{ext}"
        # PNG at zlib level 3 instead of 6: about a third faster to write, about 5% larger
        kw = {"dpi": 110, "pil_kwargs": {"compress_level": 3}} if ext == "png" else {}
        destination.write_file(path, lambda tmp, ext=ext, kw=kw: fig.savefig(tmp, format=ext, **kw))
        paths[ext] = str(path)
    return paths


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if np.isfinite(x) else "n/a"


def _num(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}" if np.isfinite(x) else "n/a"


# the figures in the order of the report, in two groups of about equal drawing time: those
# drawn from the people tables, and those drawn from the monthly series (and the differences)
FIGURES_FROM_PEOPLE = ("retention", "careers_by_year", "promotion_timing", "mentor_load")
FIGURES_FROM_SERIES = ("coverage_by_stage", "women", "differences")
FIGURE_ORDER = ("retention", "careers_by_year", "promotion_timing", "coverage_by_stage", "mentor_load", "women",
                "differences")


def _figure_group(task: tuple[str, tuple[str, ...], bool]) -> tuple[list[dict], list[dict]]:
    out, names, svg = task
    notes: list[dict] = []
    return make_all(Path(out), notes, svg, names), notes


def process_map(fn: Callable[[Any], Any], items: list[Any], workers: int | None = None) -> Iterator[Any]:
    """`fn(item)` for every item in worker processes (concurrent.futures, started afresh, not
    forked), yielding the results as they finish: how the figure groups are drawn at once unless
    `make_all` is given another map function."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=workers or len(items), mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(fn, item) for item in items]):
            yield future.result()


def make_all(out: Path, notes: list[dict] | None = None, svg: bool = False,
             names: tuple[str, ...] = FIGURE_ORDER, workers: int | None = 1,
             map_fn: Callable[..., Iterator[Any]] | None = None) -> list[dict]:
    """Every figure of a comparison folder (PNG; SVG too with `svg`), or those in `names`;
    returns [{name, png, caption}] in the report's order.

    A figure the tables cannot support is skipped, and a {what, why, stage} note saying why is
    appended to `notes`. With `workers` other than 1 (None: all cores), the two groups of
    figures are drawn in two processes at once, by `map_fn(fn, items, workers=2)` (default
    `process_map`; `careersim` passes `simulation.experiments.executors.map_tasks`)."""
    notes = [] if notes is None else notes
    out = Path(out)
    if workers != 1 and (os.cpu_count() or 1) > 1:
        groups = [tuple(n for n in g if n in names) for g in (FIGURES_FROM_PEOPLE, FIGURES_FROM_SERIES)]
        done = list((map_fn or process_map)(_figure_group, [(str(out), g, svg) for g in groups if g], workers=2))
        figs = [f for group_figs, _ in done for f in group_figs]
        rank = {n: i for i, n in enumerate(FIGURE_ORDER)}

        def figure_of(n: dict) -> int:  # notes read "figure 'retention'", "figure 'retention (women panel)'"
            return min((rank[f] for f in FIGURE_ORDER if n["what"].startswith(f"figure '{f}")), default=len(rank))

        notes.extend(sorted((n for _, group_notes in done for n in group_notes), key=figure_of))
        return sorted(figs, key=lambda f: rank[f["name"]])
    comp = load(out)
    scenarios, reps = comp.scenarios, comp.meta["replicates"]
    named = {s: (comp.meta.get("labels") or {}).get(s) or s for s in scenarios}  # captions use the files' labels
    manifest = json.loads((run_folder(out, scenarios[0], 0) / "manifest.json").read_text())
    n_months = int(manifest["n_months"])
    horizon = n_months / 12
    wanted = set(names)
    people = (load_runs(out, scenarios, reps, "people", columns=list(FIGURE_PEOPLE_COLUMNS))
              if wanted & set(FIGURES_FROM_PEOPLE) else None)
    series = load_runs(out, scenarios, reps, "series") if wanted & {"coverage_by_stage", "women"} else None
    hires = cohort(people) if people is not None else None
    figs = []
    folder = out / "figures"

    def skip(name: str, why: str, stale: bool = True) -> None:
        notes.append(note(f"figure '{name}'", why, stage="figures"))
        for ext in ("png", "svg") if stale else ():  # an earlier build's file would no longer match the tables
            (folder / f"{name}.{ext}").unlink(missing_ok=True)

    def add(name: str, draw) -> None:
        """Draw and save one figure; the guard is a last resort, every known gap is checked before."""
        try:
            fig, caption = draw()
            relabel(fig, named)
            figs.append({"name": name, "title": TITLES.get(name, name.replace("_", " ")),
                         **save(fig, folder, name, svg), "caption": caption})
        except Exception as exc:  # noqa: BLE001 - recorded, never silent
            skip(name, f"drawing it failed: {type(exc).__name__}: {exc}")

    def retention():
        km_all = km_table(hires, ["scenario"], min(20.0, horizon))
        km_gender = km_table(hires, ["scenario", "gender"], min(20.0, horizon))
        at10 = km_all[np.isclose(km_all["years"], RETENTION_YEARS)].set_index("scenario")["survival"]
        return (retention_figure(km_all, km_gender, scenarios),
                "Kaplan-Meier retention in academia of faculty hired during the runs, % still in academia "
                "(pooled over replicates; bands: 95% CI). "
                + (f"At {RETENTION_YEARS} years: "
                   + ", ".join(f"{named[s]} {_pct(at10.get(s, np.nan))}" for s in scenarios) + "."
                   if len(at10) else ""))

    if "retention" not in wanted:
        pass
    elif hires.empty:
        skip("retention", "no faculty were hired during the runs")
    else:
        genders = set(hires["gender"].astype(str))
        for g in ("women", "men"):
            if g not in genders:
                skip(f"retention ({g} panel)", f"no {g} among the hires: the panel is empty", stale=False)
        add("retention", retention)

    cy = by_career_year(people, n_months) if "careers_by_year" in wanted else None

    def careers():
        year = int(cy["career_year"].max() if cy["career_year"].max() < PUBLICATIONS_YEARS else PUBLICATIONS_YEARS)
        last = cy[cy["career_year"] == year].groupby("scenario")["publications"].mean()
        return (career_year_figure(cy, scenarios),
                "Cumulative publications per hire, % with an independent grant and % promoted to associate, "
                "by years since hire (mean over replicates, 95% CI). "
                f"Publications at year {year}: "
                + ", ".join(f"{named[s]} {_num(last.get(s, np.nan))}" for s in scenarios) + ".")

    if cy is None:
        pass
    elif cy.empty:
        skip("careers_by_year", f"no hire could be followed for a full year (the runs last {years_text(horizon)})")
    else:
        add("careers_by_year", careers)

    promoted = hires[hires["month_associate"].notna()] if hires is not None else None

    def promotion():
        med = ((promoted["month_associate"] - promoted["hire_month"]).astype(float) / 12).groupby(
            promoted["scenario"]).median()
        return (promotion_figure(hires, scenarios),
                "Years from hire to associate professor among those promoted. Median: "
                + ", ".join(f"{named[s]} {_num(med.get(s, np.nan))}" for s in scenarios) + " years.")

    if "promotion_timing" not in wanted:
        pass
    elif promoted.empty:
        skip("promotion_timing",
             f"no hire was promoted to associate professor during the runs (the runs last {years_text(horizon)})")
    else:
        add("promotion_timing", promotion)

    def coverage():
        fig, cov = coverage_figure(series, scenarios)
        worst = cov.groupby(["scenario", "function"])["coverage"].mean().groupby("scenario").min()
        return (fig, "Coverage of need (% of need met by support, capped at 100%) per mentoring function and "
                "career stage, and the need itself. Least-covered function, mean over stages: "
                + ", ".join(f"{named[s]} {_pct(worst.get(s, np.nan))}" for s in scenarios) + ".")

    if "coverage_by_stage" in wanted:
        add("coverage_by_stage", coverage)

    comfortable_load = float(manifest["params"]["mentors"]["comfortable_load"])

    def load_():
        fig, seniors = load_figure(people, scenarios, comfortable_load)
        over = (seniors["mentees"] > comfortable_load).groupby(seniors["scenario"]).mean()
        return (fig, "Mentees per associate and full professor at the end of the runs "
                f"(dashed: the comfortable load of {comfortable_load:g}). Past it: "
                + ", ".join(f"{named[s]} {_pct(over.get(s, np.nan))}" for s in scenarios) + ".")

    if "mentor_load" not in wanted:
        pass
    elif not (people["censored"] & people["rank"].astype(str).isin(["associate", "full"])).any():
        skip("mentor_load", "no associate or full professor at the end of the runs")
    else:
        add("mentor_load", load_)

    def women():
        fig, comp_women = women_figure(series, scenarios)
        wm = (comp_women[comp_women["year"] >= comp_women["year"].max() - LAST_DECADE_YEARS]
              .groupby("scenario")["women proteges with a woman mentor"].mean())
        return (fig, "% of women proteges with at least one woman mentor, and women's % of each rank, over the run. "
                "Woman mentor, last decade: "
                + ", ".join(f"{named[s]} {_pct(wm.get(s, np.nan))}" for s in scenarios) + ".")

    if "women" not in wanted:
        pass
    elif not (series["month"] % 12 == 11).any():
        skip("women", "the runs are shorter than a year: no year-end to plot")
    else:
        add("women", women)

    d = comp.differences
    d = d[d["group"] == "all"]
    shown = tuple(o for o in key_outcomes() if o in set(d["outcome"]))

    def differences():
        missing = [o for o in key_outcomes() if o not in shown]
        no_ci = not np.isfinite(d[d["outcome"].isin(shown)][["ci_low", "ci_high"]].to_numpy(float)).all()
        return (differences_figure(comp.differences, shown, comp.scenarios),
                f"Paired differences from {named[comp.reference]} over {reps} replicates with 95% confidence "
                "intervals "
                f"(all hires; {difference_units_text(shown)})."
                + (" Points without a bar have no interval ("
                   + ("one replicate" if reps < 2 else "a single replicate with a value") + ")." if no_ci else "")
                + (" Not shown, as they could not be computed: "
                   + "; ".join(f"{label(o)} ({o})" for o in missing) + "." if missing else ""))

    if "differences" not in wanted:
        pass
    elif len(scenarios) < 2:
        skip("differences", f"only one scenario ({comp.reference}): nothing to compare it with")
    elif not shown:
        skip("differences", "none of the key outcomes has a difference: see the notes on outcomes")
    else:
        add("differences", differences)
    return figs


def _intervals(ax, labels, lows, mids, highs, good) -> None:
    """One row per item: a 95% interval and its mean, green where good, red where not."""
    for k, (lo, mid, hi, ok) in enumerate(zip(lows, mids, highs, good)):
        colour = "tab:green" if ok else "tab:red"
        ax.plot([lo, hi], [k, k], color=colour, lw=2)
        ax.plot([mid], [k], "o", color=colour, ms=5)
    ax.set_yticks(range(len(labels)), labels, fontsize="small")
    ax.set_ylim(len(labels) - 0.5, -0.5)


def decomposition_figure(decomp: pd.DataFrame, outcome: str, reference: str) -> Figure:
    """The reference's women-minus-men gap in one outcome with each gendered mechanism switched off:
    a dot at the gap with it off and a bar for the 95% interval of the paired change, placed around
    that gap; green where the gap narrows (interval excluding zero), red where it widens, grey
    where the interval includes zero. Dashed: the reference's gap; solid: no gap."""
    d = decomp[decomp["outcome"] == outcome]
    f = scale(outcome)
    ref_gap = f * float(d["ref_gap"].iloc[0])
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(9, 0.42 * len(d) + 1.6)
        ax = axes[0, 0]
        ax.axvline(0, color="0.3", lw=0.8)
        ax.axvline(ref_gap, color=REFERENCE_COLOUR, lw=1.2, ls="--")
        for k, (_, r) in enumerate(d.iterrows()):
            x, lo, hi = f * r["gap_off"], ref_gap + f * r["ci_low"], ref_gap + f * r["ci_high"]
            sure = np.isfinite(lo) and np.isfinite(hi) and (r["ci_low"] > 0 or r["ci_high"] < 0)
            colour = ("tab:green" if abs(x) < abs(ref_gap) else "tab:red") if sure else "0.55"
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [k, k], color=colour, lw=2)
            ax.plot([x], [k], "o", color=colour, ms=6)
        ax.set_yticks(range(len(d)), [f"no {m}" for m in d["label"]])
        ax.set_ylim(len(d) - 0.5, -0.5)
        ax.set_title(wrap(f"{label(outcome)[0].upper() + label(outcome)[1:]}: the gap with each mechanism off", 70),
                     fontsize="medium")
        # the lines are named in the axis label, not a legend, which would cover a mechanism's dot
        ax.set_xlabel(f"gap, women minus men ({difference_unit(outcome)})\ndashed: {reference} with every mechanism "
                      "on, solid: no gap", fontsize="small")

        return fig


def calibration_figure(check: pd.DataFrame) -> Figure:
    """Each target's band and the simulated mean with its 95% CI, in units of the band."""
    scaled = {col: [band_error(x, v, lo, hi) for x, v, lo, hi in
                    zip(check[col], check["value"], check["low"], check["high"])]
              for col in ("ci_low", "simulated", "ci_high")}
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(9, 0.35 * len(check) + 1.2)
        ax = axes[0, 0]
        ax.axvspan(-1, 1, color="0.9", zorder=0)
        ax.axvline(0, color="0.4", lw=0.8)
        _intervals(ax, list(check["target"]), scaled["ci_low"], scaled["simulated"], scaled["ci_high"], check["within"])
        ax.set_xlabel("simulated minus published, in units of the tolerance band (shaded: within)")
        return fig


def patterns_figure(table: pd.DataFrame) -> Figure:
    """Each pattern's statistic with its 95% CI; green where the pattern holds."""
    with sns.axes_style(STYLE["style"]), sns.plotting_context(STYLE["context"]):
        fig, axes = _figure(10, 0.42 * len(table) + 1.2)
        ax = axes[0, 0]
        ax.axvline(0, color="0.4", lw=0.8)
        labels = [f"{r['pattern']}. {r['evidence'][:70]}" for _, r in table.iterrows()]
        _intervals(ax, labels, table["ci_low"], table["mean"], table["ci_high"], table["holds"])
        ax.set_xlabel("statistic (mean over replicates, 95% CI)")
        return fig
