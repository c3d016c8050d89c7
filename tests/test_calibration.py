import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from simulation.experiments import calibration as cal
from simulation.config.params import Params, describe

SMALL = ["population.n_faculty=600", "population.n_institutions=3", "horizon_years=21"]


def test_target_file_parses_with_sources_and_bands():
    targets, free = cal.load_targets()
    assert len(targets) >= 18 and len(free) >= 9
    for t in targets:
        assert t.source and t.population and t.published
        assert t.low <= t.value <= t.high
    names = {r["name"] for r in describe()}
    for f in free:
        assert f.name in names or f.name.rsplit(".", 1)[0] in names, f.name


def test_bad_target_files_are_refused(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text('[[target]]\nid = "x"\nmeasure = "nope"\ndescription = ""\npopulation = ""\npublished = ""\n'
                   'value = 1\nlow = 0\nhigh = 2\nsource = ""\ntolerance = ""\n')
    with pytest.raises(ValueError, match="unknown measure"):
        cal.load_targets(bad)


def test_every_target_is_computed_by_check():
    table = cal.check(replicates=2, sets=SMALL, workers=1, progress=False)
    targets, _ = cal.load_targets()
    assert list(table["target"]) == [t.id for t in targets]
    assert np.isfinite(table["simulated"]).all(), table[~np.isfinite(table["simulated"])]


def test_defaults_land_within_tolerance_on_every_target():
    # three replicates of the full default scenario; a target passes if its 95% interval reaches the band.
    # Only the targets the installed calibration was fitted to: the targets added since (issue 13's gender,
    # timing and mentoring-effect targets) await the recalibration and are reported by `calibrate --check`
    fitted = {t["id"] for t in cal.installed_record()["targets"]}
    table = cal.check(replicates=3, seed=4000, ci_overlap=True, progress=False)
    missed = table[~table["within"] & table["target"].isin(fitted)]
    assert missed.empty, cal.format_check(missed)


def test_calibrated_defaults_come_from_the_installed_record():
    record = cal.installed_record()
    p = Params()
    for name, value in record["estimates"].items():
        assert cal._get(p, name) == pytest.approx(value), name
    sources = {r["name"]: r["source"] for r in describe()}
    assert "calibration.json" in sources["exits.hazard_initial"]
    assert record["loss_after"] <= record["loss_before"]
    assert all(t["within"] for t in record["targets"])


def test_fit_recovers_known_parameters_of_a_toy_version(tmp_path):
    truth = {"exits.hazard_initial": 0.07, "careers.pubs_per_capital_year": 3.2}
    seeds = [7100, 7101]
    toy = ["population.n_faculty=500", "population.n_institutions=2", "horizon_years=16"]
    runs = [cal._scenario("status_quo", toy, truth, s) for s in seeds]
    measured = cal.evaluate(runs, ["exit_10y", "exit_3y", "pubs_per_year_early"], workers=1)
    lines = []
    for m in ("exit_10y", "exit_3y", "pubs_per_year_early"):
        v = float(np.mean([x[m] for x in measured]))
        lines.append(f'[[target]]\nid = "{m}"\nmeasure = "{m}"\ndescription = "toy"\npopulation = "toy"\n'
                     f'published = "toy"\nvalue = {v}\nlow = {v * 0.97}\nhigh = {v * 1.03}\n'
                     'source = "the model itself"\ntolerance = "3%"\n')
    lines.append('[[free]]\nname = "exits.hazard_initial"\nlow = 0.02\nhigh = 0.12\nblock = "careers"\n')
    lines.append('[[free]]\nname = "careers.pubs_per_capital_year"\nlow = 1.5\nhigh = 5.0\nblock = "careers"\n')
    toml = tmp_path / "toy.toml"
    toml.write_text("\n".join(lines))
    assert tomllib.loads(toml.read_text())
    record = cal.fit("status_quo", replicates=2, seed=seeds[0], sets=toy, targets_file=toml, lhs_points=12,
                     maxfev=40, workers=1, progress=False,
                     start={"exits.hazard_initial": 0.03, "careers.pubs_per_capital_year": 2.0})
    est = record["estimates"]
    assert est["exits.hazard_initial"] == pytest.approx(truth["exits.hazard_initial"], rel=0.15)
    assert est["careers.pubs_per_capital_year"] == pytest.approx(truth["careers.pubs_per_capital_year"], rel=0.08)
    assert record["loss_after"] < record["loss_before"]
    json.dumps(record)  # a record is plain JSON


def test_measures_on_a_constructed_table():
    # ten hires at month 0 of a 15-year run: 3 leave in year 2, 1 in year 7, the rest stay
    n_months = 180
    people = pd.DataFrame({
        "initial": False, "hire_month": 0, "censored": [False] * 4 + [True] * 6,
        "end_month": [18, 20, 22, 84] + [n_months] * 6, "career_award": [True] * 5 + [False] * 5,
        "gender": ["women", "men"] * 5, "max_mentors": [2, 1] * 5,
        "month_first_grant": pd.array([pd.NA, pd.NA, pd.NA, pd.NA, 50, 70, pd.NA, pd.NA, pd.NA, pd.NA], dtype="Int32"),
        "month_associate": pd.array([pd.NA] * 4 + [72, 72, 96, pd.NA, pd.NA, pd.NA], dtype="Int32"),
        "pubs_y5": pd.array([pd.NA] * 3 + [10, 15, 12, 9, 11, 13, 10], dtype="Int32"),
        "pubs_y10": pd.array([pd.NA] * 4 + [40, 30, 20, 22, 24, 26], dtype="Int32"),
    })
    c = cal.cohort(people)
    assert cal.MEASURES["exit_3y"](c, people, None, n_months) == pytest.approx(0.3)
    assert cal.MEASURES["exit_10y"](c, people, None, n_months) == pytest.approx(0.4)
    assert cal.MEASURES["award_grant_5y"](c, people, None, n_months) == pytest.approx(1 / 5)
    assert cal.MEASURES["award_grant_10y"](c, people, None, n_months) == pytest.approx(1 / 5)
    assert cal.MEASURES["years_to_associate"](c, people, None, n_months) == pytest.approx(6.0)
    assert cal.MEASURES["pubs_per_year_early"](c, people, None, n_months) == pytest.approx(
        np.mean([10, 15, 12, 9, 11, 13, 10]) / 5
    )
    assert cal.MEASURES["award_pubs_10y_successful"](c, people, None, n_months) == pytest.approx(40)


def test_evaluate_gives_the_same_measures_in_order_on_every_executor():
    from .conftest import small

    sets = [small("status_quo", "horizon_years=6", "population.n_faculty=200", seed=s) for s in (1, 2, 3)]
    serial = cal.evaluate(sets, executor="serial")
    parallel = cal.evaluate(sets, executor="processes", workers=2)
    import pandas as pd

    pd.testing.assert_frame_equal(pd.DataFrame(serial), pd.DataFrame(parallel), check_exact=True)
    assert len(serial) == 3 and serial[0]["load_median"] != serial[1]["load_median"]


def _target(id_, measure, value, low, high, **extra):
    lines = [f'[[target]]\nid = "{id_}"\nmeasure = "{measure}"\ndescription = "d"\npopulation = "p"\n'
             f'published = "x"\nvalue = {value}\nlow = {low}\nhigh = {high}\nsource = "s"\ntolerance = "t"\n']
    lines += [f"{k} = {v!r}\n".replace("'", '"') for k, v in extra.items()]
    return "".join(lines)


def test_gender_timing_and_effect_measures_on_a_constructed_table():
    # twelve career-award holders hired at month 0 of a 15-year run, six women and six men
    n_months = 180
    women = [True] * 6 + [False] * 6
    people = pd.DataFrame({
        "initial": False, "hire_month": 0, "career_award": True,
        "gender": np.where(women, "women", "men"),
        # women: grants at months 30 and 100; men: 30, 50, 100 and 110
        "month_first_grant": pd.array([30, 100, None, None, None, None, 30, 50, 100, 110, None, None], dtype="Int32"),
        # three women leave at month 24, two men at month 36; the others stay to the end
        "end_month": [180, 180, 24, 24, 24, 180, 180, 180, 180, 180, 36, 36],
        "censored": [True, True, False, False, False, True, True, True, True, True, False, False],
        # promotions 72, 72, 84 months after hire (women), 72, 72, 96 (men)
        "month_associate": pd.array([72, 72, None, None, None, 84, 72, 72, 96, None, None, None], dtype="Int32"),
    })
    c = cal.cohort(people)
    m = {k: cal.MEASURES[k](c, people, None, n_months) for k in (
        "award_grant_5y_women", "award_grant_5y_men", "award_grant_10y_women", "award_grant_10y_men",
        "attrition_5y_ratio_women_men", "promotion_month_peak", "mean_years_to_associate")}
    assert m["award_grant_5y_women"] == pytest.approx(1 / 6)
    assert m["award_grant_5y_men"] == pytest.approx(2 / 6)
    assert m["award_grant_10y_women"] == pytest.approx(2 / 6)
    assert m["award_grant_10y_men"] == pytest.approx(4 / 6)
    assert m["attrition_5y_ratio_women_men"] == pytest.approx((3 / 6) / (2 / 6))
    assert m["promotion_month_peak"] == pytest.approx(4 / 6)  # four of six promotions at month 72
    assert m["mean_years_to_associate"] == pytest.approx((4 * 72 + 84 + 96) / 6 / 12)
    # no man left within 5 years: the ratio is undefined, not infinite
    stay = people.assign(end_month=180, censored=True)
    assert np.isnan(cal.MEASURES["attrition_5y_ratio_women_men"](cal.cohort(stay), stay, None, n_months))


def test_load_targets_reads_blocks_and_contrasts_and_refuses_unknown_scenarios(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(_target("a", "exit_10y", 0.4, 0.3, 0.5)
                    + _target("b", "retention_10y", 0.05, 0.0, 0.1, contrast="no_mentor", sign=-1, block="effects"))
    targets, _ = cal.load_targets(good)
    a, b = targets
    assert (a.contrast, a.sign, a.fit_block) == ("", 1, "careers")
    assert (b.contrast, b.sign, b.fit_block) == ("no_mentor", -1, "effects")
    assert cal.plan(targets) == {cal.CALIBRATED: ["exit_10y", "retention_10y"], "no_mentor": ["retention_10y"]}
    assert cal.plan(targets[:1]) == {cal.CALIBRATED: ["exit_10y"]}  # no contrast target, no contrast runs
    bad = tmp_path / "bad.toml"
    bad.write_text(_target("b", "retention_10y", 0.05, 0.0, 0.1, contrast="no_such_scenario"))
    with pytest.raises(ValueError, match="unknown contrast scenario 'no_such_scenario'"):
        cal.load_targets(bad)
    bad.write_text(_target("b", "retention_10y", 0.05, 0.0, 0.1, contrast="no_mentor", sign=2))
    with pytest.raises(ValueError, match="sign must be 1 or -1"):
        cal.load_targets(bad)


def test_the_package_targets_use_their_blocks():
    targets, free = cal.load_targets()
    by_id = {t.id: t for t in targets}
    assert {t.id for t in cal.block_targets(targets, "gender")} == {
        "award_grant_5y_women", "award_grant_5y_men", "award_grant_10y_women", "award_grant_10y_men",
        "attrition_5y_ratio_women_men"}
    assert {f.name for f in free if f.block == "gender"} == {"caregiving.exit_effect", "startup.capital",
                                                                         "grants.apply_ratio_women"}
    assert by_id["mentoring_effect_retention_10y"].contrast == "no_mentor"
    assert set(cal.block_targets(targets, "loads")) == {by_id[i] for i in cal.LOAD_TARGETS}
    assert not [t for t in cal.block_targets(targets, "careers") if t.contrast]  # careers fits run no contrast


class FakeRuns:
    """Stand-ins for building and running scenarios: a 'run' is (scenario, seed, values), and its measures
    are known numbers. retention_10y: 0.6 + x in the calibrated scenario, 0.5 in no_mentor, 0.55 in dyad,
    plus a seed effect common to all scenarios (so paired differences have no noise)."""

    def __init__(self, monkeypatch):
        self.runs = []
        monkeypatch.setattr(cal, "_scenario", lambda scenario, sets, values=None, seed=1: (scenario, seed,
                                                                                           dict(values or {})))
        monkeypatch.setattr(cal, "evaluate", self.evaluate)

    def evaluate(self, param_sets, names=None, workers=None, progress=False, desc="", executor=None, address=None):
        out = []
        for scenario, seed, values in param_sets:
            self.runs.append(scenario)
            base = {"status_quo": 0.6 + values.get("x", 0.0), "no_mentor": 0.5, "dyad": 0.55}[scenario]
            noise = 0.01 * (seed % 7)
            out.append({"retention_10y": base + noise, "exit_10y": 0.4 - noise})
        return out


def test_contrast_targets_measure_the_paired_difference(monkeypatch, tmp_path):
    fake = FakeRuns(monkeypatch)
    toml = tmp_path / "t.toml"
    toml.write_text(_target("level", "exit_10y", 0.4, 0.3, 0.5)
                    + _target("effect", "retention_10y", 0.1, 0.05, 0.15, contrast="no_mentor")
                    + _target("effect_neg", "retention_10y", -0.1, -0.15, -0.05, contrast="no_mentor", sign=-1))
    table = cal.check(replicates=3, targets_file=toml, progress=False, checks=cal.CHECKS).set_index("target")
    assert table.loc["effect", "simulated"] == pytest.approx(0.1)
    assert table.loc["effect", "ci_low"] == pytest.approx(0.1) and table.loc["effect", "ci_high"] == pytest.approx(0.1)
    assert table.loc["effect_neg", "simulated"] == pytest.approx(-0.1)
    assert table["within"].all()
    assert sorted(fake.runs) == sorted(["status_quo"] * 3 + ["no_mentor"] * 3 + ["dyad"] * 3)
    checks = table.attrs["checks"].set_index("check")
    # |status quo - dyad| = 0.05 is half of status quo - no_mentor = 0.1
    assert checks.loc["dyad_within_mentoring_effect", "ratio"] == pytest.approx(0.5)
    assert checks.loc["dyad_within_mentoring_effect", "holds"]
    assert "holds" in cal.format_checks(table.attrs["checks"])
    # without a contrast target or check, no contrast scenario runs
    fake.runs.clear()
    toml.write_text(_target("level", "exit_10y", 0.4, 0.3, 0.5))
    cal.check(replicates=3, targets_file=toml, progress=False)
    assert fake.runs == ["status_quo"] * 3


def test_fit_runs_contrasts_only_for_blocks_that_need_them(monkeypatch, tmp_path):
    fake = FakeRuns(monkeypatch)
    toml = tmp_path / "t.toml"
    toml.write_text(_target("level", "exit_10y", 0.4, 0.3, 0.5, block="careers")
                    + _target("effect", "retention_10y", 0.3, 0.25, 0.35, contrast="no_mentor", block="effects")
                    + '[[free]]\nname = "x"\nlow = 0.0\nhigh = 0.5\nblock = "effects"\n'
                    + '[[free]]\nname = "y"\nlow = 0.0\nhigh = 1.0\nblock = "careers"\n')
    record = cal.fit(replicates=2, targets_file=toml, lhs_points=6, maxfev=40, rounds=1, workers=1, progress=False,
                     start={"x": 0.0, "y": 0.5})
    # the effect is 0.1 + x: the fit finds x = 0.2
    assert record["estimates"]["x"] == pytest.approx(0.2, abs=0.01)
    assert {t["id"]: t["within"] for t in record["targets"]} == {"level": True, "effect": True}
    # the careers block (no contrast target) ran no no_mentor runs: those are the start, the effects
    # block's evaluations and the final check, two seeds each
    effects_evals = sum(h["evaluations"] for h in record["history"] if h["block"] == "effects")
    assert fake.runs.count("no_mentor") == 2 * (1 + effects_evals + 1)
