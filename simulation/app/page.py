"""The app's page: Solara components (the controls column, the cards of both panes, the lesson
panel, the person panels, the projector look). Solara is the app's extra: without it the model
side still imports, and `check_dependencies` says what to install.
"""

from __future__ import annotations

import contextlib
import html
import time
from dataclasses import asdict, replace

from simulation.app.charts import LOOKS, SERIES_CHARTS, Look, caption, graph_spec, overlay_caption, overlay_spec
from simulation.app.lessons import LESSON, LESSON_SETTINGS, LESSON_TITLES, find_moment
from simulation.app.person import differences, person_html
from simulation.app.settings import POINT_DEFAULTS, Settings, model_params
from simulation.app.twin import Pane, Twin

# --- the page: Solara components ---------------------------------------------------------------

try:  # the app's dependencies are an extra: pip install -e ".[app]"
    import warnings

    import solara

    with warnings.catch_warnings():  # solara's hook checker on Mesa's ComponentsView: not ours
        warnings.filterwarnings("ignore", message=".*use_state. found despite early return", category=UserWarning)
        from mesa.visualization.utils import force_update, update_counter
except ImportError as _exc:  # pragma: no cover - the model side works without them
    solara = None
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None


def check_dependencies() -> None:
    """Stop with what to install when the app's extra (Solara) is missing."""
    if _IMPORT_ERROR is not None:
        raise SystemExit(f"the app needs its extra: pip install -e \".[app]\" ({_IMPORT_ERROR})")


PLAY_SECONDS = 0.5  # at least this long between months when playing, so each month can be read
CONTROLS_WIDTH = 270  # pixels
CSS = f"""
.cs-controls {{ width: {CONTROLS_WIDTH}px; min-width: {CONTROLS_WIDTH}px; padding: 8px 10px;
  background: #eef1f5 !important; max-height: 100vh; overflow-y: auto; position: sticky; top: 0; font-size: 14px;
  justify-content: flex-start !important; }}
.cs-main {{ flex: 1 1 auto; min-width: 0; padding: 6px 8px; }}
.cs-grid {{ display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }}
.cs-card {{ background: white; border: 1px solid #b8b8b8 !important; border-radius: 4px; padding: 6px 8px; min-width: 0;
  overflow: hidden; }}
.cs-card .cs-caption {{ font-size: var(--cs-font); color: #444; line-height: 1.35; }}
.cs-card .cs-label {{ font-size: var(--cs-font); font-weight: bold; }}
.cs-person {{ font-size: var(--cs-font); border-collapse: collapse; width: 100%; }}
.cs-person td, .cs-person th {{ padding: 1px 6px 1px 0; white-space: nowrap; }}
.cs-person td:last-child, .cs-person th:last-child {{ white-space: normal; }}
.cs-bar {{ background: #eee; width: 70px; height: 10px; display: inline-block; }}
.cs-bar span {{ height: 10px; display: block; }}
.cs-panel {{ font-size: var(--cs-font); line-height: 1.4; }}
.cs-panel ul {{ margin: 0; padding-left: 18px; }}
.cs-controls .v-input {{ margin-top: 2px; padding-top: 2px; }}
.cs-controls .v-label {{ font-size: 14px; }}
"""

if solara is not None:
    selected = solara.reactive(None)  # the person clicked: their identity (person_key); one per browser session
    moment = solara.reactive(None)  # the lesson's current moment
    playing = solara.reactive(False)  # Play pressed and not paused
    projector = solara.reactive(False)

    def _vega(spec: dict, on_click=None):
        return solara.widgets.VegaLite.element(spec=spec, on_click=on_click, listen_to_click=on_click is not None)

    def _look() -> Look:
        return LOOKS["projector" if projector.value else "screen"]

    @contextlib.contextmanager
    def card(label: str | None):
        """A white card with a bold label, holding what the with-block draws."""
        with solara.Column(gap="2px", classes=["cs-card"]):
            if label:
                solara.HTML(tag="div", unsafe_innerHTML=html.escape(label), classes=["cs-label"])
            yield

    def _text(text: str):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["cs-caption"])

    def _on_node(datum):
        if datum and "key" in datum:
            selected.value = int(datum["key"])

    @solara.component
    def Charts(model: Twin):
        update_counter.get()
        look = _look()
        a, b = model.panes
        with solara.Div(classes=["cs-grid"]):
            with card("Both panes, one chart"):
                _vega(overlay_spec(model, look))
                _text(overlay_caption(model))
            LessonPanel(model)
            for pane in (a, b):
                with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label}"):
                    _vega(graph_spec(pane, selected.value, look), on_click=_on_node)
                    _text(caption("graph", pane))
            for pane in (a, b):
                PersonPanel(model, pane, selected.value)
            for kind, _, make in SERIES_CHARTS:
                for pane in (a, b):
                    with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label}"):
                        _vega(make(pane, look))
                        _text(caption(kind, pane))

    @solara.component
    def LessonPanel(model: Twin):
        busy = solara.use_reactive(False)
        m = moment.value

        def run(kind):
            busy.set(True)
            try:
                found = find_moment(model, kind)
                selected.value = found.key
                moment.value = found
            finally:
                busy.set(False)
            force_update()

        with card("Lesson"):
            with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
                for k, kind in enumerate(LESSON):
                    solara.Button(f"{k + 1}. {LESSON_TITLES[kind]}", on_click=lambda kind=kind: run(kind),
                                  outlined=True, disabled=busy.value or playing.value, small=True)
            if m is not None:
                solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML=(
                    f"<b>{html.escape(LESSON_TITLES[m.kind])}</b> (month {m.month}): {html.escape(m.caption)}"))
            else:
                _text("Each button steps both panes to the next time the moment happens in the drawn department "
                      "and says what happened, from the state. “Lesson set-up” in the controls gives the "
                      "lesson plan's settings (docs/teaching.md).")

    @solara.component
    def PersonPanel(model: Twin, pane: Pane, key):
        with card(f"{'Left' if pane.side == 'a' else 'Right'}: {pane.label} · person"):
            if key is None:
                _text("Click a person in either network to see them under both models: their needs, support and "
                      "coverage by function, their mentors and what each gives, and their career so far.")
                return
            solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML=person_html(pane, pane.person(key), key))
            if pane.side == "b":
                said = differences(model, key)
                if said and pane.person(key) is not None and model.panes[0].person(key) is not None:
                    solara.HTML(tag="div", classes=["cs-panel"], unsafe_innerHTML="<b>Differs between the panes:</b> "
                                + " ".join(said))

    def _control(name: str, c: dict, value, on_value):
        label = c["label"]
        kind = c["type"]
        if kind == "Select":
            solara.Select(label=label, value=value, values=c["values"], on_value=on_value)
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=on_value)
        else:
            shown_value = c["show"](value)
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            slider(label=f"{label}: {shown_value}", value=value, min=c["min"], max=c["max"], step=c["step"],
                   on_value=on_value, thumb_label=False)

    @solara.component
    def Header(twin: Twin):
        """What runs, and the month: redrawn each step (the controls under it are not)."""
        update_counter.get()
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<b style='font-size:16px'>Month {twin.month}</b> (year {twin.month / 12:.1f}) of "
            f"{twin.panes[0].params.n_months}<br>Left: <b>{html.escape(twin.panes[0].label)}</b><br>"
            f"Right: <b>{html.escape(twin.panes[1].label)}</b><br>{twin.panes[0].params.population.n_faculty} "
            f"faculty, seed {twin.panes[0].params.seed}"
            + (f", {html.escape(twin.settings.calibration)}" if twin.settings.calibration != POINT_DEFAULTS
               else "")))

    @solara.component
    def Controls(model: solara.Reactive, wanted: solara.Reactive):
        twin = model.value

        def reset(settings: Settings | None = None):
            playing.set(False)
            twin = Twin(**asdict(settings or wanted.value))  # built first: the controls change with it
            wanted.set(twin.settings)
            model.set(twin)
            selected.set(None)
            moment.set(None)

        def step():
            twin.step()
            force_update()

        with solara.Column(classes=["cs-controls"], gap="4px"):
            Header(twin)
            with solara.Row(gap="4px"):
                solara.Button("Step", on_click=step, color="primary", disabled=playing.value or not twin.running,
                              small=True)
                solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                              color="primary", disabled=not twin.running, small=True)
                solara.Button("Reset", on_click=lambda: reset(), color="primary", small=True)
            for e in twin.errors:
                solara.Error(e, dense=True)
            solara.Checkbox(label="Projector: larger text", value=projector)
            solara.Button("Lesson set-up", on_click=lambda: reset(LESSON_SETTINGS), outlined=True, small=True)
            pending = wanted.value != twin.settings
            solara.HTML(tag="div", unsafe_innerHTML=(
                "<b style='color:#b2182b'>The controls differ from what runs: Reset applies them (month 0).</b>"
                if pending else "The panes run these settings. A change applies on Reset (back to month 0)."),
                style={"font-size": "14px"})
            for name, c in model_params().items():
                _control(name, c, getattr(wanted.value, name),
                         lambda v, name=name: wanted.set(replace(wanted.value, **{name: v})))

    @solara.component
    def Page():
        first = solara.use_memo(Twin, [])
        model = solara.use_reactive(first)
        wanted = solara.use_reactive(first.settings)  # what the controls show; Reset applies it
        twin = model.value

        def play():
            while playing.value and twin.running:
                t = time.perf_counter()
                twin.step()
                force_update()
                time.sleep(max(0.0, PLAY_SECONDS - (time.perf_counter() - t)))
            playing.set(False)

        solara.use_thread(play, dependencies=[playing.value, twin])
        solara.Title("careersim: the same people under two mentoring models")
        solara.Style(CSS)
        with solara.Row(gap="0px", style={"align-items": "flex-start", "--cs-font": f"{_look().font}px"}):
            Controls(model, wanted)
            with solara.Column(classes=["cs-main"]):
                Charts(twin)

