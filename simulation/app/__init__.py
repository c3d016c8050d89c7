"""The teaching app: the same people under two mentoring models, side by side, live.

    careersim app                                   # serves the explorer on http://127.0.0.1:8765/
    python -m simulation.app --screenshot docs/images/app.png   # the README's picture

The model it drives is a `Twin`, a `mesa.Model` that holds two `CareerModel`s built from the
same controls and the same seed (so the same people: a person is their `person_key` in both),
differing in the mentoring model, and steps both together. The page is Solara: a controls
column (step, play, reset, the lesson set-up, the levers, each showing its value) and two
columns of cards, left pane and right pane. Mesa's SolaraViz is not used: its grid of
draggable slots cut the charts, and its controls kept their own values, so a lesson set-up
could not show in them.

The modules, model side first (plain Python over the model's columns, unit-tested without a
browser), then the drawing side:

- `settings`: what the controls set (`Settings`) and the parameters of each pane they make
  (`build_params`);
- `words`: how the app names a person (from their identity), a month and a share;
- `twin`: the model runner: `Pane` (one `CareerModel` and the data its charts and person panel
  show) and `Twin` (the two panes stepped together);
- `lessons`: the lesson's four moments, found in the state (`find_moment`), with their captions
  and the facts the captions state;
- `charts`: the Vega-Lite specifications of the charts, written as plain dicts (building them
  with Altair and validating them would cost more than the month they draw), and the sentence
  under each chart;
- `person`: the person panel, and how one person differs between the panes, as HTML;
- `page`: the Solara page (controls, layout, the projector look);
- `serving`: serving the page (`careersim app`);
- `browser`: the app in a headless browser: the screenshots and the browser test's steps;
- `__main__`: `python -m simulation.app`.

Drawing is what costs, so each pane draws one department (a fixed block of positions in one
institution, at most `DEPT_MAX` people) on a fixed circle of positions, so nobody jumps
between months; the charts' data are cached per month, and a chart whose specification did
not change sends nothing to the browser.
"""
