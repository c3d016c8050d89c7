"""The teaching app's model side, without a browser: what each pane and chart computes."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest

from simulation.app import serving
from simulation.app.charts import (
    caption,
    coverage_spec,
    graph_spec,
    overlay_caption,
    overlay_spec,
    pubs_spec,
    retention_spec,
    women_spec,
)
from simulation.app.lessons import LESSON, LESSON_SETTINGS, _dept_keys, find_moment
from simulation.app.person import person_html
from simulation.app.settings import AS_IN_FILE, DEFAULTS, NO_FILE, build_params, calibration_choices, model_params
from simulation.app.twin import DEPT_MAX, FADE_MONTHS, SERIES_POINTS, Twin
from simulation.app.words import pct, plural, who
from simulation.config.params import FUNCTIONS, RANKS
from simulation.model.state import ACTIVE, FULL, PEER

SMALL = dict(n_faculty=300, seed=3)


@pytest.fixture(scope="module")
def twin():
    t = Twin(**SMALL)
    for _ in range(30):
        t.step()
    return t


def test_default_panes_are_dyad_and_network_with_the_same_people():
    a, b = (build_params(DEFAULTS, side) for side in "ab")
    assert (a.mentoring.model, b.mentoring.model) == ("dyad", "network")
    assert a.seed == b.seed == DEFAULTS.seed
    assert a.population.n_faculty == b.population.n_faculty == 1000
    assert a.population.n_institutions == b.population.n_institutions == 5  # 2,000 in 10: one per 200
    assert b.mentoring.external_ties and not a.mentoring.peers


def test_levers_override_the_scenario_only_when_moved():
    s = replace(DEFAULTS, ties=2, peers=True, capacity=2.0, cap_mentees=4, share_women=0.6,
                women_mentor_policy=True, external_ties=False, n_faculty=100, seed=5)
    base = build_params(DEFAULTS, "b")
    for side in "ab":
        p = build_params(s, side)
        assert p.network.max_ties == 2 and p.committee.size == 2
        assert p.mentoring.peers and p.mentoring.women_mentor_policy and not p.mentoring.external_ties
        assert p.mentoring.cap_mentees == 4 and p.hiring.share_women == pytest.approx(0.6)
        assert p.mentors.capacity_hours.full == pytest.approx(2 * base.mentors.capacity_hours.full)
        assert p.population.n_faculty == 100 and p.population.n_institutions == 1 and p.seed == 5


def test_a_scenario_file_is_the_starting_point_of_a_pane():
    s = replace(DEFAULTS, scenario_b="network_peers", model_b=AS_IN_FILE,
                scenario_a="network_women_mentor_policy", model_a="committee")
    a, b = build_params(s, "a"), build_params(s, "b")
    assert b.mentoring.model == "network" and b.mentoring.peers
    assert a.mentoring.model == "committee" and a.mentoring.women_mentor_policy


def test_controls_match_settings(install_ensemble):
    install_ensemble([{"exits.unmet_effect": 0.0}])  # the calibration control shows with an ensemble
    controls = model_params()
    assert set(controls) == set(asdict(DEFAULTS))
    for name, c in controls.items():
        assert c["value"] == getattr(DEFAULTS, name)
    assert {"dyad", "network", "committee", "peer"} <= set(controls["model_a"]["values"])
    assert "network_peers" in controls["scenario_b"]["values"]


def test_twin_steps_both_panes_together_with_the_same_people(twin):
    a, b = twin.panes
    assert twin.month == a.month == b.month == 30 and twin.steps == 30
    ea, eb = a.model.everyone(), b.model.everyone()
    assert np.array_equal(ea.person_key[ea.initial], eb.person_key[eb.initial])
    assert a.institution == b.institution and np.array_equal(a.dept_rows, b.dept_rows)
    assert len(a.dept_rows) <= DEPT_MAX


def test_retention_is_kaplan_meier_of_the_hires(twin):
    from lifelines import KaplanMeierFitter

    for pane in twin.panes:
        r = pane.retention()
        fs = pane.model.everyone()
        hired = ~fs.initial
        end = np.where(fs.status == ACTIVE, pane.month, fs.exit_month)[hired]
        km = KaplanMeierFitter().fit(end - fs.hire_month[hired], fs.status[hired] != ACTIVE)
        for t in (6, 12, len(r["share"]) - 1):
            expected = float(km.survival_function_at_times([t - 1e-9]).iloc[0])
            assert r["share"][t] == pytest.approx(expected)
        assert r["years"][12] == pytest.approx(1.0) and r["n_hires"] == int(hired.sum())


def test_series_are_what_the_model_holds(twin):
    for pane in twin.panes:
        s = pane.series()
        assert len(s["year"]) == pane.month and s["year"][-1] == pytest.approx((pane.month - 1) / 12)
        fs = pane.model.faculty.arrays
        rows = pane.model.active_rows()
        prot = rows[fs["rank"][rows] < FULL]
        for k, f in enumerate(FUNCTIONS):
            assert s["coverage"][f][-1] == pytest.approx(fs["coverage"][prot, k].mean(), abs=1e-4)
        for r, rank in enumerate(RANKS):
            at = rows[fs["rank"][rows] == r]
            assert s["women"][rank][-1] == pytest.approx(fs["female"][at].mean(), abs=1e-4)
        series = pane.recorder.series_table()
        rate = series["pubs"] / series["n_active"] * 12
        assert s["pubs"][-1] == pytest.approx(rate.iloc[-12:].mean(), abs=1e-3)
        summary = pane.summary()
        assert 0 < summary["coverage"] <= 1 and summary["pubs"] > 0


def test_series_are_thinned_for_long_runs():
    t = Twin(n_faculty=100, seed=1)
    for _ in range(SERIES_POINTS + 30):
        t.step()
    s = t.panes[0].series()
    assert len(s["year"]) == SERIES_POINTS and s["year"][-1] == pytest.approx((t.month - 1) / 12)


def test_graph_is_one_department_at_fixed_places(twin):
    t = Twin(**SMALL)
    t.step()
    before = {n["key"]: (n["x"], n["y"]) for n in t.panes[1].graph()["nodes"] if n["state"] == "in post"}
    for _ in range(12):
        t.step()
    g = t.panes[1].graph()
    after = {n["key"]: (n["x"], n["y"]) for n in g["nodes"] if n["state"] == "in post"}
    stayed = before.keys() & after.keys()
    assert len(stayed) > 0.8 * len(before)
    assert all(before[p] == after[p] for p in stayed)  # nobody jumps
    assert len(after) <= DEPT_MAX and g["n_here"] == len(after)
    # ties: one per protege's tie slot inside the department, a peer pair drawn once
    pane = t.panes[1]
    fs = pane.model.faculty.arrays
    here = [r for r in pane.dept_rows if fs["status"][r] == ACTIVE]
    senior = sum(int(((fs["tie_mentor"][r] >= 0) & (fs["tie_kind"][r] != PEER)).sum()) for r in here)
    assert sum(v for k, v in g["counts"].items() if k != "peer") == senior
    assert g["counts"]["primary"] > 0 and g["counts"]["secondary"] + g["counts"]["external"] > 0


def test_people_who_left_fade_out():
    t = Twin(**SMALL)
    seen = False
    for _ in range(60):
        t.step()
        ghosts = [n for n in t.panes[0].graph()["nodes"] if n["state"] == "left"]
        for n in ghosts:
            assert 0 <= n["opacity"] < 0.6 and np.hypot(n["x"], n["y"]) > 1.05
            seen = True
    assert seen
    assert all(t.month - g["month"] < FADE_MONTHS for g in t.panes[0].ghosts.values())


def test_person_detail_adds_up_to_the_support_received(twin):
    pane = twin.panes[1]
    fs = pane.model.faculty.arrays
    rows = [r for r in pane.dept_rows if fs["status"][r] == ACTIVE and (fs["tie_mentor"][r] >= 0).sum() >= 2]
    assert rows
    for r in rows[:5]:
        d = pane.person(int(fs["person_key"][r]))
        assert d["in_post"] and len(d["mentors"]) == int((fs["tie_mentor"][r] >= 0).sum())
        for k, f in enumerate(FUNCTIONS):
            given = sum(m["gives"][f] for m in d["mentors"])
            assert given == pytest.approx(fs["support"][r, k], rel=1e-2, abs=2e-3)
            need = fs["need_base"][r, k] + fs["need_spike"][r, k]
            assert d["needs"][f] == pytest.approx(need, abs=1e-3)
        assert d["career"]["publications"] == fs["pubs"][r]
    html = person_html(pane, d, d["key"])
    assert "Career so far" in html and all(f in html for f in FUNCTIONS)


def test_person_who_left_shows_their_exit():
    t = Twin(**SMALL)
    for _ in range(24):
        t.step()
    pane = t.panes[0]
    arc = pane.model.archive.arrays
    assert pane.model.archive.n > 0
    key = int(arc["person_key"][0])
    d = pane.person(key)
    assert not d["in_post"] and d["exit"]["month"] == int(arc["exit_month"][0])
    assert f"Left in month {d['exit']['month'] + 1}" in person_html(pane, d, key)
    assert pane.person(10**7) is None


def test_lesson_finds_its_four_moments_in_order():
    t = Twin(**asdict(LESSON_SETTINGS))
    months = []
    for kind in LESSON:
        m = find_moment(t, kind)
        assert m.key is not None, m.caption
        assert who(m.key) in m.caption and m.month == t.month
        assert any(m.key in _dept_keys(p) for p in t.panes)
        months.append(m.month)
    assert months == sorted(months)


def test_specs_are_plain_json_with_the_month_in_each_title(twin):
    a, b = twin.panes
    specs = [graph_spec(b, None), retention_spec(a), coverage_spec(a), pubs_spec(b),
             women_spec(b), overlay_spec(twin)]
    for spec in specs:
        text = json.dumps(spec)
        assert spec["title"]["text"].endswith(f"month {twin.month}")
        assert '"NaN"' not in text and "NaN" not in text
    g = specs[0]
    nodes = g["layer"][-1]["data"]["values"]
    assert len(nodes) >= b.graph()["n_here"]
    key = nodes[0]["key"]
    marked = graph_spec(b, key)["layer"][-1]["data"]["values"]
    assert [n["key"] for n in marked if n["selected"]] == [key]


def test_a_scenario_that_does_not_fit_falls_back_with_a_message():
    t = Twin(scenario_a="no_such_scenario")
    assert t.errors and "left pane" in t.errors[0]
    assert t.panes[0].params.mentoring.model == "dyad"


@pytest.mark.parametrize("warm", [False, True])
def test_the_app_says_it_is_compiling_before_a_cold_start(monkeypatch, warm):
    """On a cold kernel cache the warm-up compiles for minutes: the app says so before it, once."""
    import uvicorn

    from simulation.model import kernel_cache
    from simulation.run.simulate import COMPILING

    said, done = [], []
    monkeypatch.setattr(kernel_cache, "is_warm", lambda: warm)
    monkeypatch.setattr(serving, "warm_up", lambda: done.append(("warm_up", len(said))))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: done.append(("serve", len(said))))
    serving.serve("127.0.0.1", 1234, echo=said.append)
    assert said[-1].startswith("careersim app: http://127.0.0.1:1234/")
    assert said[:-1] == ([] if warm else [f"careersim app: {COMPILING}"])
    assert done == [("warm_up", len(said) - 1), ("serve", len(said))]  # compiling, warm-up, address, serve


MEMBERS = [{"exits.unmet_effect": 0.0, "exits.hazard_floor": 0.01},
           {"exits.unmet_effect": 2.0, "exits.hazard_floor": 0.03}]


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def test_the_calibration_control_shows_only_with_an_ensemble(install_ensemble):
    install_ensemble([])
    assert "calibration" not in model_params() and calibration_choices() == ["point defaults"]
    install_ensemble(MEMBERS)
    c = model_params()["calibration"]
    assert c["type"] == "Select" and c["value"] == DEFAULTS.calibration == "point defaults"
    assert c["values"] == ["point defaults", "ensemble member 0", "ensemble member 1"]


def test_an_ensemble_member_gives_its_values_and_the_point_defaults_the_old_params(install_ensemble):
    install_ensemble([])
    before = {(scenario, side): build_params(replace(DEFAULTS, scenario_b=scenario), side)
              for scenario in (NO_FILE, "network_peers") for side in "ab"}
    install_ensemble(MEMBERS)
    for (scenario, side), old in before.items():
        s = replace(DEFAULTS, scenario_b=scenario)
        assert build_params(s, side) == old  # the point defaults: as without an ensemble
        for k, member in enumerate(MEMBERS):
            p = build_params(replace(s, calibration=f"ensemble member {k}"), side)
            assert p.exits.unmet_effect == member["exits.unmet_effect"]
            assert p.exits.hazard_floor == member["exits.hazard_floor"]
            a, b = _flat(p.model_dump()), _flat(old.model_dump())
            assert {n for n in a if a[n] != b[n]} == {"exits.unmet_effect", "exits.hazard_floor"}
    # the levers and the population still apply on a member
    p = build_params(replace(DEFAULTS, calibration="ensemble member 1", ties=2, n_faculty=100), "b")
    assert p.network.max_ties == 2 and p.population.n_faculty == 100 and p.exits.unmet_effect == 2.0
    t = Twin(calibration="ensemble member 1", n_faculty=100)
    assert not t.errors and all(pane.params.exits.hazard_floor == 0.03 for pane in t.panes)
    # a member the record does not have: the defaults, with a message
    t = Twin(calibration="ensemble member 5", n_faculty=100)
    assert t.errors and "the installed calibration record has members 0 to 1" in t.errors[0]
    assert all(pane.params == build_params(replace(DEFAULTS, n_faculty=100), pane.side) for pane in t.panes)


def test_chart_captions_say_what_the_charts_hold(twin):
    """Each sentence under a chart is read from the chart's own data and the model's columns."""
    for pane in twin.panes:
        s, r = pane.series(), pane.retention()
        cov = caption("coverage", pane)
        now = {f: s["coverage"][f][-1] for f in FUNCTIONS}
        for f, v in now.items():
            assert f"{f} {pct(v)}" in cov
        assert f"Least covered: {min(now, key=now.get)}." in cov
        assert f"{s['pubs'][-1]:.2f} publications per faculty-year" in caption("pubs", pane)
        women = caption("women", pane)
        assert all(f"{pct(s['women'][rank][-1])} of {rank} professors" in women for rank in RANKS)
        ret = caption("retention", pane)
        assert f"Of {r['n_hires']} hires, {pct(r['share'][12])} still in academia a year after hire" in ret
        assert "five years" not in ret  # 30 months: nobody followed for five years
        fs = pane.model.faculty.arrays
        rows = [r for r in pane.dept_rows if fs["status"][r] == ACTIVE and fs["rank"][r] < FULL]
        senior = [int(((fs["tie_mentor"][r] >= 0) & (fs["tie_kind"][r] != PEER)).sum()) for r in rows]
        graph = caption("graph", pane)
        assert f"Of {len(rows)} protégés here" in graph
        assert f"{sum(n == 1 for n in senior)} one and {sum(n >= 2 for n in senior)} two or more" in graph
        assert f"{plural(len(pane.ghosts), 'person')} left in the last" in graph
    a, b = (p.summary() for p in twin.panes)
    text = overlay_caption(twin)
    assert f"Mean coverage now {pct(a['coverage'])} (left) and {pct(b['coverage'])} (right)" in text


def test_sliders_show_their_values_and_units():
    shown = {name: c["show"](c["value"]) for name, c in model_params().items() if "Slider" in c["type"]}
    assert shown == {"ties": "at most 3", "capacity": "1 × the hours", "cap_mentees": "none",
                     "share_women": "47%", "n_faculty": "1,000 people", "seed": "7"}
    assert model_params()["cap_mentees"]["show"](4) == "4 each"
