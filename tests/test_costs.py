"""Costs and savings (issue 25, item 4): the net cost of moving from one scenario to another is
what the formula gives on a hand-built pair of tiny comparisons; a scenario file's [costs] is
read, inherited and checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.comparison import contrasts
from simulation.analysis.costs import add_costs, money
from simulation.config.scenario import ConfigError, scenario_costs, scenario_label

PRICES = {"departure": 200_000.0, "mentor_hour": 100.0, "programme_per_protege": 50.0}


def tiny() -> pd.DataFrame:
    """Two scenarios, two paired runs: departures, mentor hours and proteges per 100 faculty a year."""
    rows = []
    for s, dep, hours, prot in (("dyad", (5.0, 4.0), (1000.0, 1200.0), (70.0, 72.0)),
                                ("network", (4.5, 3.0), (2000.0, 2100.0), (70.0, 71.0))):
        for r in range(2):
            rows.append({"scenario": s, "replicate": r, "group": "all", "departures_per_100": dep[r],
                         "mentor_hours_per_100": hours[r], "proteges_per_100": prot[r]})
            rows.append({"scenario": s, "replicate": r, "group": "women", "departures_per_100": np.nan,
                         "mentor_hours_per_100": np.nan, "proteges_per_100": np.nan})
    return pd.DataFrame(rows)


def test_the_net_cost_is_the_formula():
    t = add_costs(tiny(), {"dyad": PRICES, "network": PRICES})
    net = t[t["group"] == "all"].set_index(["scenario", "replicate"])["net_cost_per_100"]
    # dyad, run 0: 1000 h x $100 + 70 proteges x $50 + 5 departures x $200,000
    assert net[("dyad", 0)] == 100_000 + 3_500 + 1_000_000
    assert net[("network", 1)] == 210_000 + 3_550 + 600_000
    assert t.loc[t["group"] == "women", "net_cost_per_100"].isna().all()
    c = contrasts(t, [("network", "dyad")], ["net_cost_per_100", "departures_per_100"]).set_index("outcome")
    # run by run: network - dyad = (2000-1000)*100 + 0*50 - 0.5*200,000 = 0; (2100-1200)*100 - 50 - 200,000
    by_run = np.array([100_000 - 100_000, 90_000 - 50 - 200_000])
    assert c.loc["net_cost_per_100", "difference"] == pytest.approx(by_run.mean())
    assert c.loc["departures_per_100", "difference"] == pytest.approx(-0.75)  # 0.75 departures avoided
    # a dearer departure makes the network's saving larger, by the departures avoided times the change
    dear = {**PRICES, "departure": 300_000.0}
    c2 = contrasts(add_costs(tiny(), {"dyad": dear, "network": dear}), [("network", "dyad")], ["net_cost_per_100"])
    assert c2["difference"].iloc[0] == pytest.approx(by_run.mean() - 0.75 * 100_000)
    assert money(-51_234) == "-$51,200" and money(float("nan")) == "n/a"


def test_a_scenario_files_costs_are_read_inherited_and_checked(tmp_path):
    shipped = scenario_costs("network_peers")  # network_peers -> network -> status_quo, which sets them
    assert shipped == {"departure": 286_503.0, "mentor_hour": 150.0, "programme_per_protege": 0.0}
    assert scenario_label("network_peers") == "Network with peer groups" and scenario_label("dyad") != "dyad"
    mine = tmp_path / "mine.toml"
    mine.write_text('extends = "network"\nlabel = "Our network"\n[costs]\nmentor_hour = 90\n')
    assert scenario_costs(mine)["mentor_hour"] == 90 and scenario_costs(mine)["departure"] == 286_503.0
    assert scenario_label(mine) == "Our network"
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "dyad"\n[costs]\nmentor_hour = -5\n')
    with pytest.raises(ConfigError, match=r"bad.toml: costs.mentor_hour = -5: .*greater than or equal to 0"):
        scenario_costs(bad)
    bad.write_text('extends = "dyad"\n[costs]\nhour = 5\n')
    with pytest.raises(ConfigError, match="known entries: departure, mentor_hour, programme_per_protege"):
        scenario_costs(bad)
    # a label and costs change no run: the scenario resolves to the same parameters
    from simulation.config.scenario import load_scenario

    assert load_scenario(mine).model_dump(exclude={"name"}) == load_scenario("network").model_dump(exclude={"name"})


def test_compare_refuses_bad_costs_and_contrasts_in_one_line(tmp_path):
    """Checked before any run: a bad [costs] entry and a --contrast that is not two of the scenarios."""
    from typer.testing import CliRunner

    from simulation.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "dyad"\n[costs]\ndeparture = "a lot"\n')
    runner = CliRunner()
    r = runner.invoke(app, ["compare", "dyad", str(bad), "--point", "--out", str(tmp_path / "out")])
    assert r.exit_code != 0 and "costs.departure" in r.output and len(r.output.strip().splitlines()) == 1, r.output
    r = runner.invoke(app, ["compare", "dyad", "network", "--point", "--contrast", "network:peer",
                            "--out", str(tmp_path / "out")])
    assert r.exit_code != 0 and "'peer' is not among the scenarios compared" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
