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
    # three replicates of the full default scenario; a target passes if its 95% interval reaches the band
    table = cal.check(replicates=3, seed=4000, ci_overlap=True, progress=False)
    missed = table[~table["within"]]
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
