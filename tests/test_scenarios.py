import pytest

from simulation.analysis.outcomes import outcomes
from simulation.run.simulate import simulate
from simulation.config.scenario import list_scenarios, load_scenario


@pytest.mark.parametrize("name", list_scenarios())
def test_every_scenario_runs_a_few_years(name):
    p = load_scenario(name, ["horizon_years=3", "population.n_faculty=600"], seed=2)
    r = simulate(p)
    assert len(r.series) == 36
    assert r.series["n_active"].iloc[-1] > 0.8 * p.population.n_faculty
    o = outcomes(r.people, p.n_months)
    assert set(o["group"]) == {"all", "women", "men"}
