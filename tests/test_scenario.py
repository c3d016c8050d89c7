from pathlib import Path

import pytest

from simulation.config.scenario import ConfigError, list_scenarios, load_scenario, parse_override

REQUIRED = {"status_quo", "dyad", "committee", "network", "network_peers",
            "network_women_mentor_policy", "small_institutions"}


def test_required_scenarios_exist_and_open_with_a_question():
    names = set(list_scenarios())
    assert REQUIRED <= names
    for name in names:
        first = (Path("scenarios") / f"{name}.toml").read_text().splitlines()[0]
        assert first.startswith("# ") and "?" in first, name


def test_extends_inherits_and_overrides(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text('extends = "network"\n[network]\nmax_ties = 5\n')
    (tmp_path / "network.toml").write_text('[mentoring]\nmodel = "network"\nexternal_ties = true\n')
    p = load_scenario(child)
    assert p.name == "child"
    assert p.mentoring.model == "network" and p.mentoring.external_ties
    assert p.network.max_ties == 5


def test_set_overrides_parse_toml_values():
    assert parse_override("population.n_faculty=2000") == (["population", "n_faculty"], 2000)
    assert parse_override("mentoring.model=network") == (["mentoring", "model"], "network")
    assert parse_override("grants.cycle_months=[0, 6]") == (["grants", "cycle_months"], [0, 6])
    p = load_scenario("dyad", ["population.n_faculty=2000", "horizon_years=30"], seed=7)
    assert (p.population.n_faculty, p.horizon_years, p.seed) == (2000, 30, 7)


def _error(*args, **kwargs) -> str:
    with pytest.raises(ConfigError) as exc:
        load_scenario(*args, **kwargs)
    return str(exc.value)


def test_unknown_key_names_file_field_and_nearest_names(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[mentoring]\nmodle = "network"\n')
    msg = _error(f)
    assert str(f) in msg and "mentoring.modle" in msg and "unknown field" in msg
    assert "Did you mean mentoring.model?" in msg and msg.startswith(f"{f.resolve()}: mentoring.modle = \"network\": ")


def test_unknown_section_suggests_the_section(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[populaton]\nn_faculty = 10\n')
    msg = _error(f)
    assert msg.startswith(f"{f.resolve()}: populaton.n_faculty = 10: unknown section populaton.")
    assert "Did you mean population" in msg


def test_out_of_range_names_field_value_and_range(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[population]\nn_faculty = -5\n")
    msg = _error(f)
    assert msg == f"{f.resolve()}: population.n_faculty = -5: out of range (allowed: 20 to 5000000)"


def test_wrong_type_names_field(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[mentoring]\nexternal_ties = "sometimes"\n')
    msg = _error(f)
    assert msg == f'{f.resolve()}: mentoring.external_ties = "sometimes": must be true or false (without quotes)'


def test_bad_model_name_lists_the_choices():
    msg = _error("status_quo", ["mentoring.model=mentorship"])
    assert msg == ('--set: mentoring.model = "mentorship": must be one of "dyad", "committee", "network", "peer", '
                   '"none" or "facilitated_peer"')


def test_set_errors_are_attributed_to_set():
    msg = _error("status_quo", ["horizon_years=0"])
    assert msg == "--set: horizon_years = 0: out of range (allowed: 1 to 200)"
    msg = _error("status_quo", ["mentoring.capp=3"])
    assert msg.startswith("--set: mentoring.capp = 3: unknown field capp.")
    assert "Valid fields in [mentoring]: model, " in msg and "cap_mentees" in msg
    assert _error("status_quo", ["mentoring.cap"]).startswith('--set "mentoring.cap": expected KEY=VALUE')


def test_missing_file_bad_toml_and_cycles(tmp_path):
    msg = _error(tmp_path / "nope.toml")
    assert msg.startswith(f"{tmp_path / 'nope.toml'}: no such scenario file. Known scenarios: ")
    assert all(name in msg for name in REQUIRED)
    bad = tmp_path / "broken.toml"
    bad.write_text("[mentoring\nmodel = 1\n")
    msg = _error(bad)
    assert msg.startswith(f"{bad.resolve()}: not valid TOML: ") and "(at line 1, column 11)" in msg
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b"\n')
    b.write_text('extends = "a"\n')
    msg = _error(a)
    assert f"'extends' forms a cycle ({a.resolve()} -> {b.resolve()} -> {a.resolve()})" in msg


def test_cross_field_check_gives_a_fix():
    msg = _error(None, ["population.n_faculty=50", "population.n_institutions=10"])
    assert msg.startswith("--set: population.n_faculty = 50, population.n_institutions = 10")
    assert ("n_faculty (50) is smaller than n_institutions x min_institution_size (10 x 8 = 80); "
            "lower n_institutions or raise n_faculty") in msg


def test_section_checks_are_blamed_on_whoever_set_the_fields(tmp_path):
    msg = _error("status_quo", ["population.n_faculty=300", "population.n_institutions=400"])
    assert msg.startswith("--set: population.n_faculty = 300, population.n_institutions = 400")
    assert _error("status_quo", ["grants.cycle_months=[-1]"]).startswith("--set: grants.cycle_months = [-1]: ")
    f = tmp_path / "big.toml"
    f.write_text("[population]\nn_institutions = 400\n")
    assert _error(f).startswith(f"{f.resolve()}: population.n_faculty = 2000, population.n_institutions = 400")
    msg = _error(f, ["population.n_faculty=300"])
    assert msg.startswith("--set: population.n_faculty = 300, population.n_institutions = 400")
    assert "defaults" not in msg


def test_misspelt_section_is_blamed_on_set_and_shows_the_value():
    msg = _error("status_quo", ["populaton.n_faculty=300"])
    assert msg.startswith("--set: populaton.n_faculty = 300: unknown section") and "Did you mean population" in msg


def test_nan_is_refused_as_non_finite():
    msg = _error("status_quo", ["population.institution_size_cv=nan"])
    assert msg == ("--set: population.institution_size_cv = nan: must be a finite number, not nan, inf or -inf "
                   "(allowed: 0 to 3)")


def test_unsafe_names_are_refused():
    msg = _error("status_quo", ["name=.."])
    assert msg.startswith('--set: name = "..": not a usable name') and "starting with a letter or digit" in msg


def test_an_existing_file_without_the_suffix_is_read(tmp_path):
    f = tmp_path / "plain"
    f.write_text('extends = "dyad"\n')
    assert load_scenario(str(f)).mentoring.model == "dyad"


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "x.toml").mkdir()
    assert _error(tmp_path / "x.toml").startswith(
        f"{(tmp_path / 'x.toml').resolve()}: is a folder, not a scenario file"
    )
    (tmp_path / "e.toml").write_text("")
    assert _error(tmp_path / "e.toml").startswith(f"{(tmp_path / 'e.toml').resolve()}: the file is empty")
    (tmp_path / "b.toml").write_bytes(b"\xff\xfe\x00\x01")
    assert _error(tmp_path / "b.toml").startswith(
        f"{(tmp_path / 'b.toml').resolve()}: not a text file: byte 0xff (line 1) is not UTF-8"
    )
    child = tmp_path / "child.toml"
    child.write_text('extends = "nowhere"\n')
    msg = _error(child)
    assert msg.startswith(f"{child.resolve()}: extends = \"nowhere\": {tmp_path.resolve() / 'nowhere.toml'}: "
                          "no such scenario file")


def test_an_ensemble_member_sits_at_the_level_of_the_defaults(tmp_path):
    member = {"exits.hazard_floor": 0.05, "mentors.trainees_mean.full": 6.0}
    p = load_scenario("dyad", base=member)
    # the member beats the defaults (the calibration record's point estimates)
    assert p.exits.hazard_floor == 0.05 and p.mentors.trainees_mean.full == 6.0
    assert p.mentors.trainees_mean.assistant == load_scenario("dyad").mentors.trainees_mean.assistant
    # a scenario file that sets the same parameter beats the member, and --set beats both
    child = tmp_path / "child.toml"
    child.write_text('extends = "dyad"\n[exits]\nhazard_floor = 0.02\n')
    p = load_scenario(child, base=member)
    assert p.exits.hazard_floor == 0.02 and p.mentors.trainees_mean.full == 6.0
    assert load_scenario(child, ["exits.hazard_floor=0.03"], base=member).exits.hazard_floor == 0.03
    # the defaults as a member change nothing
    assert load_scenario("dyad", base={"exits.hazard_floor": load_scenario("dyad").exits.hazard_floor}) == \
        load_scenario("dyad")


def test_a_bad_ensemble_member_value_names_the_member(tmp_path):
    text = _error("dyad", base={"exits.hazard_floor": -1.0})
    assert text.startswith("ensemble member: exits.hazard_floor = -1") and "out of range" in text
    assert _error("dyad", base={"exits.hazard_flor": 0.1}).startswith("ensemble member: exits.hazard_flor")
    assert _error("dyad", base={"exits..x": 0.1}).startswith("ensemble member:")
    # a file that sets the parameter is blamed for its own bad value, not the member
    child = tmp_path / "child.toml"
    child.write_text('extends = "dyad"\n[exits]\nhazard_floor = -2.0\n')
    assert "child.toml" in _error(child, base={"exits.hazard_floor": 0.1}).split(":")[0]
