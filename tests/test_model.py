import mesa
import numpy as np
import pytest

from simulation.model import mesa_model
from simulation.model.mesa_model import PHASE_NAMES, PHASES, CareerModel, Faculty

from .conftest import small


def test_model_is_a_mesa_model_that_steps_one_month():
    m = CareerModel(small("network"))
    assert isinstance(m, mesa.Model)
    m.step()
    m.step()
    assert m.steps == 2 and m.month == 1
    assert list(m.phase_seconds) == list(PHASE_NAMES) == [p.name for p in PHASES]
    assert all(v > 0 for v in m.phase_seconds.values())


def test_step_runs_the_phase_list_in_its_order(monkeypatch):
    m = CareerModel(small("network"))
    ran = []

    def spy(phase):
        def run(model, month):
            ran.append((phase.name, month))
            phase.run(model, month)
        return mesa_model.Phase(phase.name, run, phase.kernels, phase.does, phase.reads, phase.writes)

    # the list, reversed in two places, is what step() runs: the model follows its data
    order = list(PHASES[:4]) + [PHASES[5], PHASES[4]]
    monkeypatch.setattr(mesa_model, "PHASES", tuple(spy(p) for p in order))
    m.step()
    m.step()
    assert ran == [(p.name, month) for month in (0, 1) for p in order]
    assert m.month == 1


def test_agents_are_views_over_the_active_rows():
    m = CareerModel(small("network"))
    for _ in range(14):
        m.step()
    agents = m.agents
    assert len(agents) == m.n_active
    assert all(isinstance(a, Faculty) for a in agents)
    a = next(iter(agents))
    fs = m.faculty
    assert a.talent == fs.talent[a.row] and a.rank == fs.rank[a.row]
    assert np.array_equal(a.coverage, fs.coverage[a.row])
    a.satisfaction = 0.123  # writes go to the column: there is no second copy
    assert fs.satisfaction[a.row] == 0.123
    for mentor, kind in a.mentors:
        assert isinstance(mentor, Faculty) and kind in ("primary", "secondary", "external", "peer")


def test_views_follow_exits_and_hires():
    m = CareerModel(small("status_quo"))
    m.step()
    before = {a.row for a in m.agents}
    for _ in range(24):
        m.step()
    after = {a.row for a in m.agents}
    assert after == set(m.active_rows().tolist())
    assert before - after  # some left
    assert after - before  # some were hired


def test_agent_set_supports_mesa_queries():
    m = CareerModel(small("status_quo"))
    m.step()
    women_full = m.agents.select(lambda a: a.female and a.rank_name == "full")
    assert len(women_full) == int((m.faculty.female & (m.faculty.rank == 2) & (m.faculty.status == 0)).sum())
    assert np.isclose(np.mean(m.agents.get("talent")), m.faculty.talent[m.active_rows()].mean())


def test_everyone_gives_columns_by_person_id_and_says_what_leavers_do_not_keep():
    m = CareerModel(small("status_quo"))
    for _ in range(30):
        m.step()
    everyone = m.everyone()
    hire_month = everyone.hire_month
    assert len(hire_month) == m.n_people and m.archive.n > 0
    # person ids are order of first appearance: the initial population, then hires month by month
    assert np.all(np.diff(hire_month[~everyone.initial]) >= 0)
    act = m.active_rows()
    assert np.array_equal(everyone.pubs[m.faculty.person_id[act]], m.faculty.pubs[act])
    with pytest.raises(AttributeError, match="not kept for people who left"):
        everyone.coverage
    loads = everyone.of_active("n_proteges", fill=-1)
    assert np.all(loads[everyone.status != 0] == -1)
    assert np.array_equal(loads[m.faculty.person_id[act]], m.faculty.n_proteges[act])


def test_a_view_kept_across_months_follows_its_person_not_the_position():
    m = CareerModel(small("status_quo"))
    m.step()
    views = list(m.agents)
    for _ in range(36):
        m.step()
    gone = [a for a in views if not a.active]
    assert gone, "someone should have left in three years"
    a = gone[0]
    assert a.exit_month >= 1 and a.unique_id == m.everyone().person_id[a.unique_id]
    assert a.mentors == []
    with pytest.raises(AttributeError, match="has left"):
        a.coverage
    with pytest.raises(AttributeError, match="read-only"):
        a.talent = 1.0
    # whoever holds the position now is someone else
    if m.faculty.status[a.row] == 0:
        assert m.faculty.person_id[a.row] != a.unique_id
