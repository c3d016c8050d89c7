"""The mentoring models' registry (model/mentoring/registry.py): the code generated from the models'
declarations is fresh, follows the declarations, and the plan buffers' bounds are checked."""

from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from simulation.config.params import MODELS
from simulation.model import codegen
from simulation.model.mentoring import consts, planner, registry
from simulation.model.mentoring.planner import action

from .conftest import small


@pytest.mark.parametrize("region", list(registry.GENERATED))
def test_every_generated_region_is_what_the_declarations_generate(region):
    """Run `python -m simulation.model.regenerate` after changing a model's declarations."""
    path, source = registry.GENERATED[region]
    assert codegen.region(Path(path).read_text(), region) == codegen.expected(source())


def test_every_model_has_a_module_and_the_dispatch_follows_the_codes():
    assert list(registry.MODULES) == list(MODELS)  # found by name: simulation/model/mentoring/NAME.py
    assert all(module.__name__ == f"simulation.model.mentoring.{name}" for name, module in registry.MODULES.items())
    source = registry.dispatch_source()
    for code, model in enumerate(MODELS[:-1]):
        assert f"code == {code}:  # {model}\n        return {model}.due(x, c, i, month)" in source
        assert f"code == {code}:  # {model}\n        {model}.plan(x, c, p, i, month)" in source
    last = MODELS[-1]
    assert f"    else:  # {last}\n        {last}.at_hire(" in source


def test_a_models_declarations_reach_consts_and_the_planner(monkeypatch):
    """A parameter or a column a model declares becomes a field of `Consts` or the `Planner`, once."""
    network = registry.MODULES["network"]
    monkeypatch.setattr(network, "PARAMETERS", network.PARAMETERS + ("peers_cohort_months", "mentoring_candidates"))
    monkeypatch.setattr(network, "PLANNER_COLUMNS", network.PLANNER_COLUMNS + ("talent",))
    c_source, p_source = registry.consts_source(), registry.planner_source()
    assert c_source.count('"peers_cohort_months"') == 1 and c_source.count("kp.peers_cohort_months,") == 1
    assert c_source.count('"mentoring_candidates"') == 1  # shared already: not twice
    assert p_source.count('"talent"') == 1 and "fs.talent," in p_source
    for derived, expression in consts.DERIVED_AS.items():
        assert expression in c_source
    # the generated fields are in the order the constructor binds them
    fields = [f.strip('" ') for line in p_source.split(")")[0].splitlines()[1:] for f in line.split(",") if f.strip()]
    assert fields[: len(planner.COMMON_COLUMNS)] == list(planner.COMMON_COLUMNS)
    assert fields[-len(planner.BOUND_AS):] == list(planner.BOUND_AS)


def test_a_models_state_columns_are_copied_into_the_state_declarations(monkeypatch):
    """A column a model declares (`STATE`) is generated into model/state.py's `MODEL_COLUMNS` with its
    dtype, width, fill and keep; one two models declare differently, or one state.py has, is refused."""
    from simulation.model.state import CORE_COLUMNS, FACULTY_COLUMNS, MODEL_COLUMNS, NEVER, Col

    models_columns = ["next_search", "facilitated_group", "groups_facilitated"]  # network, facilitated_peer
    assert [c.name for c in MODEL_COLUMNS] == models_columns and FACULTY_COLUMNS == CORE_COLUMNS + MODEL_COLUMNS
    dyad = registry.MODULES["dyad"]
    extra = Col("x_by_function", np.float64, 'what "x" gives', "F", 0.5)
    monkeypatch.setattr(dyad, "STATE", (extra, Col("x_month", np.int32, "a month", fill=NEVER, keep=False)))
    source = registry.state_source()
    assert '    Col("x_by_function", np.float64, "what \\"x\\" gives", "F", fill=0.5),\n' in source
    assert '    Col("x_month", np.int32, "a month", fill=NEVER, keep=False),\n' in source
    namespace = {"Col": Col, "np": np, "NEVER": NEVER}
    exec(source, namespace)
    assert namespace["MODEL_COLUMNS"][0] == extra and [c.name for c in namespace["MODEL_COLUMNS"]] == [
        "x_by_function", "x_month", *models_columns]  # code order: dyad before network
    monkeypatch.setattr(dyad, "STATE", (Col("next_search", np.int32, "another meaning"),))
    with pytest.raises(ValueError, match="differently"):
        registry.state_source()
    monkeypatch.setattr(dyad, "STATE", (Col("rank", np.int8, "rank again"),))
    with pytest.raises(ValueError, match="declares already"):
        registry.state_source()


def test_each_models_plan_width_bounds_what_it_plans():
    """The widest plan seen in runs that recruit, drop and replace stays within the model's width,
    and the width follows the parameters the model reads."""
    from simulation.model.mesa_model import CareerModel

    for scenario, sets in [("network", ("network.max_ties=2", "network.max_new_per_search=3",
                                        "mentoring.women_mentor_policy=true", "network.drop_below=0.3")),
                           ("committee", ("committee.size=3",)), ("dyad", ())]:
        m = CareerModel(small(scenario, *sets))
        width = registry.plan_width(m.params)
        assert m.plans.slot.shape[1] == width
        widest = 0
        for _ in range(36):
            m.step()
            widest = max(widest, int(m.plans.n.max()))
        assert 0 < widest <= width, scenario
    assert registry.plan_width(small("network", "network.max_ties=2", "network.max_new_per_search=3")) == 2 + 6 + 2
    assert registry.plan_width(small("committee", "committee.size=4")) == 4
    assert registry.plan_width(small("no_mentor")) == 1


def test_a_plan_longer_than_its_buffer_stops_instead_of_writing_past_it():
    fields = ("plan_n", "plan_slot", "plan_mentor", "plan_kind", "plan_fit", "plan_reason", "slot_mentor",
              "slot_kind", "slot_value")
    X = namedtuple("X", fields)
    width = 2
    x = X(np.zeros(3, np.int32), np.zeros((3, width), np.int8), np.zeros((3, width), np.int32),
          np.zeros((3, width), np.int8), np.zeros((3, width)), np.zeros((3, width), np.int8),
          np.full(4, -1, np.int32), np.zeros(4, np.int8), np.zeros(4))
    action(x, 1, 0, 7, 1, 1.0, 0)
    action(x, 1, 1, 8, 2, 1.0, 0)
    assert x.plan_n[1] == 2 and list(x.plan_mentor[1]) == [7, 8] and list(x.slot_mentor[:2]) == [7, 8]
    with pytest.raises(IndexError, match="plan_width"):
        action(x, 1, 2, 9, 2, 1.0, 0)
    assert x.plan_n[1] == 2  # nothing written past the buffer
