"""The app's charts: Vega-Lite specifications, written as plain dicts, and the sentence under
each chart, read from the chart's own data.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.app.twin import FADE_MONTHS, SERIES_POINTS, Pane, Twin
from simulation.app.words import pct, plural
from simulation.config.params import FUNCTIONS, RANKS
from simulation.model.state import ACTIVE, FULL, PEER

# --- the drawing side: Vega-Lite specifications -------------------------------------------------

PANE_COLOURS = {"a": "#d95f02", "b": "#1b9e77"}
GENDER_COLOURS = {"domain": ["woman", "man"], "range": ["#c51b7d", "#2166ac"]}
KIND_COLOURS = {"domain": ["primary", "secondary", "external", "peer"],
                "range": ["#252525", "#969696", "#e6550d", "#31a354"]}
RANK_SIZES = {"domain": list(RANKS), "range": [45, 120, 220]}
FUNCTION_COLOURS = {"domain": list(FUNCTIONS), "range": ["#1f77b4", "#9467bd", "#d62728", "#ff7f0e", "#2ca02c"]}
RANK_DASH = {"domain": list(RANKS), "range": [[1, 0], [6, 3], [2, 2]]}


@dataclass(frozen=True)
class Look:
    """Sizes of the drawing: text in pixels, plotting areas in pixels. Chosen so that two cards
    side by side fit a 1366-pixel-wide screen beside the 270-pixel controls column."""

    font: int = 14  # every chart text, at least
    width: int = 380  # a time-series chart's plotting area
    height: int = 170
    graph: tuple[int, int] = (300, 230)  # the network
    panel: tuple[int, int] = (150, 80)  # one of the four panels of the side-by-side chart


LOOKS = {"screen": Look(), "projector": Look(font=18, width=340, height=190, graph=(260, 230), panel=(135, 90))}


def _base(title: str, look: Look, subtitle: str | list[str] = "", width: int | None = None,
          height: int | None = None) -> dict:
    t = {"text": title, "anchor": "start", "fontSize": look.font + 2, "subtitleFontSize": look.font}
    if subtitle:
        t["subtitle"] = subtitle
    f = look.font
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": t,
            "width": width or look.width, "height": height or look.height,
            "config": {"view": {"stroke": None}, "font": "sans-serif",
                       "axis": {"labelFontSize": f, "titleFontSize": f},
                       "legend": {"orient": "bottom", "direction": "horizontal", "labelFontSize": f,
                                  "titleFontSize": f, "columns": 3, "labelLimit": 0},
                       "header": {"labelFontSize": f, "titleFontSize": f}, "text": {"fontSize": f}},
            "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}}}


def _wide(year: list, columns: dict) -> list[dict]:
    return [{"year": y, **{k: v[i] for k, v in columns.items()}} for i, y in enumerate(year)]


def graph_spec(pane: Pane, selected: int | None, look: Look = LOOKS["screen"]) -> dict:
    """The pane's department network: people at fixed places (the `selected` identity ringed), ties by kind."""
    g = pane.graph()
    c = g["counts"]
    sub = [f"{g['n_here']} faculty of institution {pane.institution}",
           f"ties: {c['primary']} primary, {c['secondary']} secondary, {c['external']} external, {c['peer']} peer"]
    spec = _base(f"department · month {pane.month}", look, sub, *look.graph)
    scale = {"x": {"domain": [-1.75, 1.75]}, "y": {"domain": [-1.55, 1.25]}}
    axis = None
    nodes = [{**n, "selected": n["key"] == selected} for n in g["nodes"]]
    spec["layer"] = [
        {"data": {"values": g["edges"]}, "mark": {"type": "rule", "strokeWidth": 1.3, "opacity": 0.75},
         "encoding": {"x": {"field": "x", "type": "quantitative", "scale": scale["x"], "axis": axis},
                      "y": {"field": "y", "type": "quantitative", "scale": scale["y"], "axis": axis},
                      "x2": {"field": "x2"}, "y2": {"field": "y2"},
                      "color": {"field": "kind", "type": "nominal", "scale": KIND_COLOURS, "title": "tie"}}},
        {"data": {"values": g["anchors"]}, "mark": {"type": "square", "size": 160, "color": "#bdbdbd"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}},
        {"data": {"values": g["anchors"]},
         "mark": {"type": "text", "dy": look.font + 4, "fontSize": look.font, "color": "#444", "align": "center"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                      "text": {"field": "label"}}},
        {"data": {"values": nodes}, "mark": {"type": "circle", "cursor": "pointer"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                      "color": {"field": "gender", "type": "nominal", "scale": GENDER_COLOURS, "title": "faculty"},
                      "size": {"field": "rank", "type": "ordinal", "scale": RANK_SIZES, "title": "rank"},
                      "opacity": {"field": "opacity", "type": "quantitative", "scale": None, "legend": None},
                      "stroke": {"condition": {"test": "datum.selected", "value": "#000000"}, "value": None},
                      "strokeWidth": {"value": 3},
                      "tooltip": {"field": "tip"}}},
    ]
    spec["config"]["legend"].update(orient="right", direction="vertical", columns=1)
    spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


def retention_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    """The share of the run's hires still in academia, by years since hire (Kaplan-Meier)."""
    r = pane.retention()
    spec = _base(f"retention since hire · month {pane.month}", look, f"{r.get('n_hires', 0)} hired so far")
    spec["data"] = {"values": [{"years": y, "share": s}
                               for y, s in zip(r["years"], r["share"])][:: max(1, len(r["years"]) // SERIES_POINTS)]}
    spec["mark"] = {"type": "line", "interpolate": "step-after", "color": PANE_COLOURS[pane.side]}
    spec["encoding"] = {"x": {"field": "years", "type": "quantitative", "title": "years since hire"},
                        "y": {"field": "share", "type": "quantitative", "title": "still in academia",
                              "scale": {"domain": [0, 1]}, "axis": {"format": "%"}}}
    return spec


def _series_spec(pane: Pane, title: str, columns: dict, ytitle: str, colour_title: str | None, colours: dict,
                 look: Look, y_domain=None, fmt=None, dash=False) -> dict:
    s = pane.series()
    spec = _base(f"{title} · month {pane.month}", look)
    spec["data"] = {"values": _wide(s["year"], columns)}
    spec["transform"] = [{"fold": list(columns), "as": ["series", "value"]}]
    y = {"field": "value", "type": "quantitative", "title": ytitle}
    if y_domain:
        y["scale"] = {"domain": y_domain}
    if fmt:
        y["axis"] = {"format": fmt}
    enc = {"x": {"field": "year", "type": "quantitative", "title": "year of the run"}, "y": y,
           "color": {"field": "series", "type": "nominal", "scale": colours, "title": colour_title}}
    if colour_title is None:
        enc["color"]["legend"] = None
    if dash:
        enc["strokeDash"] = {"field": "series", "type": "nominal", "scale": RANK_DASH, "title": colour_title}
    spec["mark"] = {"type": "line", "strokeWidth": 2}
    spec["encoding"] = enc
    return spec


def coverage_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    """Protégés' mean coverage of need, one line per function, by year of the run."""
    return _series_spec(pane, "coverage per function", pane.series()["coverage"], "mean coverage of need",
                        "function", FUNCTION_COLOURS, look, [0, 1], "%")


def pubs_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    """Publications per faculty-year (12-month mean), by year of the run."""
    return _series_spec(pane, "publications", {"per faculty-year": pane.series()["pubs"]},
                        "per faculty-year", None, {"domain": ["per faculty-year"], "range": [PANE_COLOURS[pane.side]]},
                        look)


def women_spec(pane: Pane, look: Look = LOOKS["screen"]) -> dict:
    """Women's share of each rank, by year of the run."""
    return _series_spec(pane, "women's share by rank", pane.series()["women"], "women's share", "rank",
                        {"domain": list(RANKS), "range": [PANE_COLOURS[pane.side]] * 3}, look, [0, 1], "%",
                        dash=True)


def overlay_spec(twin: Twin, look: Look = LOOKS["screen"]) -> dict:
    """Both panes' curves in one chart: four small panels, left pane orange, right pane green."""
    o = twin.overlay()
    labels = {side: f"{'left' if side == 'a' else 'right'}: {v['label']}" for side, v in o.items()}
    colour = {"domain": [labels["a"], labels["b"]], "range": [PANE_COLOURS["a"], PANE_COLOURS["b"]]}
    ret, cov, pubs, women = [], [], [], []
    for side, v in o.items():
        r = v["retention"]
        step = max(1, len(r["years"]) // SERIES_POINTS)
        ret += [{"pane": labels[side], "x": y, "v": s} for y, s in list(zip(r["years"], r["share"]))[::step]]
        s = v["series"]
        for k, y in enumerate(s["year"]):
            vals = [s["coverage"][f][k] for f in FUNCTIONS if s["coverage"][f][k] is not None]
            cov.append({"pane": labels[side], "x": y, "v": sum(vals) / len(vals) if vals else None})
            pubs.append({"pane": labels[side], "x": y, "v": s["pubs"][k]})
            for rank in RANKS:
                women.append({"pane": labels[side], "x": y, "v": s["women"][rank][k], "rank": rank})

    def panel(values, title, xtitle, ytitle, pct=True, dash=False):
        y = {"field": "v", "type": "quantitative", "title": ytitle}
        if pct:
            y["axis"] = {"format": "%"}
        enc = {"x": {"field": "x", "type": "quantitative", "title": xtitle,
                     "axis": {"tickCount": 3, "tickMinStep": 0.25, "format": "~g"}}, "y": y,
               "color": {"field": "pane", "type": "nominal", "scale": colour, "title": None}}
        if dash:
            enc["strokeDash"] = {"field": "rank", "type": "nominal", "scale": RANK_DASH, "legend": None}
            enc["detail"] = {"field": "rank"}
        return {"title": {"text": title, "fontSize": look.font}, "width": look.panel[0], "height": look.panel[1],
                "data": {"values": values}, "mark": {"type": "line", "strokeWidth": 2}, "encoding": enc}

    spec = _base(f"side by side · month {twin.month}", look)
    del spec["width"], spec["height"]
    spec["vconcat"] = [
        {"hconcat": [panel(ret, "retention since hire", "years since hire", "in academia"),
                     panel(cov, "mean coverage", "year", "coverage")]},
        {"hconcat": [panel(pubs, "publications", "year", "per faculty-year", pct=False),
                     panel(women, "women: assistant —, full ··", "year", "women", dash=True)]},
    ]
    spec["config"]["legend"].update(orient="top", columns=1)
    spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


# --- what each chart shows now, in words (computed from the same data as the chart) ------------

def _last(xs: list):
    return next((x for x in reversed(xs) if x is not None), None)


def caption(kind: str, pane: Pane) -> str:
    """The sentence under a pane's chart: what it shows now, read from the chart's own data."""
    if kind == "graph":
        fs = pane.model.faculty.arrays
        rows = pane.dept_rows[fs["status"][pane.dept_rows] == ACTIVE]
        proteges = rows[fs["rank"][rows] < FULL]
        senior = ((fs["tie_mentor"][proteges] >= 0) & (fs["tie_kind"][proteges] != PEER)).sum(axis=1)
        faded = len(pane.ghosts)
        none = int((senior == 0).sum())
        return (f"Of {len(proteges)} protégés here (assistant and associate), {none} "
                f"{'has' if none == 1 else 'have'} no mentor, {int((senior == 1).sum())} one and "
                f"{int((senior >= 2).sum())} two or more; {plural(faded, 'person')} left in the last {FADE_MONTHS} "
                "months (faded). Click a person.")
    s = pane.series()
    if kind == "retention":
        r = pane.retention()
        if len(r["share"]) <= 12:
            return f"{plural(r.get('n_hires', 0), 'hire')} so far; none followed for a year yet."
        text = f"Of {r['n_hires']} hires, {pct(r['share'][12])} still in academia a year after hire"
        if len(r["share"]) > 60:
            text += f", {pct(r['share'][60])} after five years"
        return text + " (Kaplan-Meier)."
    if kind == "coverage":
        now = {f: _last(v) for f, v in s["coverage"].items()}
        if all(v is None for v in now.values()):
            return "No month simulated yet."
        low = min((f for f in FUNCTIONS if now[f] is not None), key=lambda f: now[f])
        return ("Mean coverage of protégés' need now: " + ", ".join(f"{f} {pct(v)}" for f, v in now.items())
                + f". Least covered: {low}.")
    if kind == "pubs":
        x = _last(s["pubs"])
        return ("No month simulated yet." if x is None else
                f"{x:.2f} publications per faculty-year over the last 12 months.")
    if kind == "women":
        now = {r: _last(v) for r, v in s["women"].items()}
        if all(v is None for v in now.values()):
            return "No month simulated yet."
        return "Women now: " + ", ".join(f"{pct(v)} of {r} professors" for r, v in now.items()) + "."
    raise ValueError(kind)


def overlay_caption(twin: Twin) -> str:
    """The sentence under the side-by-side chart: both panes' latest coverage and five-year retention."""
    a, b = (p.summary() for p in twin.panes)
    if a["coverage"] is None:
        return "Step or play to start both panes."
    text = f"Mean coverage now {pct(a['coverage'])} (left) and {pct(b['coverage'])} (right)"
    if a["retention_5y"] is not None and b["retention_5y"] is not None:
        text += f"; five years after hire {pct(a['retention_5y'])} and {pct(b['retention_5y'])} still in academia"
    return text + ". Orange is the left pane, green the right: the same people under two mentoring models."


SERIES_CHARTS = (("retention", "retention since hire", retention_spec), ("coverage", "coverage per function",
                 coverage_spec), ("pubs", "publications", pubs_spec), ("women", "women's share by rank", women_spec))
