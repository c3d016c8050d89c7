"""The package's history match, ensemble and check across it, end to end through the CLI on tiny runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.config import params, resources
from simulation.experiments import calibration as cal
from simulation.experiments import ensemble_calibration as ec

runner = CliRunner()
TINY = ["--set", "population.n_faculty=80", "--set", "population.n_institutions=2", "--set", "horizon_years=12"]


@pytest.fixture
def record(install_ensemble):
    """A copy of the installed calibration record, without an ensemble, that the commands read and
    write instead (conftest's `install_ensemble`)."""
    install_ensemble([])
    return params.RECORD_FILE


def test_history_match_ensemble_and_check_through_the_cli(tmp_path, record):
    package_record = resources.RECORD_FILE.read_text()
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calibrate", "--history-match", "--points", "8", "--waves", "1", "--executor", "serial",
                            "--out", str(out), *TINY])
    assert r.exit_code == 0, r.output
    waves = pd.read_csv(out / "history" / "waves.csv")
    assert list(waves["wave"]) == list(range(1, len(waves) + 1))
    assert "volume kept" in r.output and "emulators' LOO within 3 sd" in r.output
    assert (waves["runs"] == 8 * 2).all()
    for w in waves["wave"]:
        assert (out / "history" / "figures" / f"implausibility_wave_{w:02d}.png").stat().st_size > 10_000
    # every target has its observation and discrepancy variance, from the band unless stated
    meta = json.loads((out / "history" / "history.json").read_text())
    targets, free = cal.load_targets()
    by_id = {t["id"]: t for t in meta["targets"]}
    assert by_id["exit_10y"]["obs_var"] == pytest.approx(((0.43 - 0.34) / 4) ** 2)
    assert by_id["exit_10y"]["disc_var"] == pytest.approx((0.1 * (0.43 - 0.34)) ** 2)
    assert [f["name"] for f in meta["free"]] == [f.name for f in free]

    r = runner.invoke(app, ["calibrate", "--ensemble", "6", "--apply", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "installed as the package's calibrated ensemble" in r.output
    installed = json.loads(record.read_text())
    members = installed["ensemble"]["members"]
    assert len(members) == 6
    for f in free:
        assert all(f.low <= m[f.name] <= f.high for m in members)
    # the point estimates stay those of the package's record, which --apply did not touch
    assert installed["estimates"] == json.loads(package_record)["estimates"]
    assert resources.RECORD_FILE.read_text() == package_record
    assert "drawn at random, alike" in installed["ensemble"]["method"]
    assert (out / "history" / "figures" / "ensemble_marginals.png").exists()
    assert params.ensemble_members() == members

    r = runner.invoke(app, ["calibrate", "--check", "--replicates", "3", "--executor", "serial", "--out", str(out),
                            *TINY])
    assert r.exit_code == 0, r.output
    assert "3 ensemble members" in r.output and "90% predictive" in r.output
    table = pd.read_csv(out / "check_ensemble.csv")
    assert not (out / "check.csv").exists()  # the point check's table is kept apart
    assert {"predictive_mean", "predictive_low", "predictive_high", "within"} <= set(table.columns)
    ok = table["predictive_mean"].notna()
    assert ok.any()
    assert (table.loc[ok, "predictive_low"] <= table.loc[ok, "predictive_mean"] + 1e-12).all()
    assert (table.loc[ok, "predictive_mean"] <= table.loc[ok, "predictive_high"] + 1e-12).all()
    assert (out / "figures" / "ensemble_check.png").exists()

    # --point checks the point defaults as before
    r = runner.invoke(app, ["calibrate", "--check", "--point", "--replicates", "1", "--executor", "serial",
                            "--out", str(out), *TINY])
    assert r.exit_code == 0, r.output
    assert "simulated (95% CI)" in r.output
    assert {"simulated", "ci_low", "ci_high"} <= set(pd.read_csv(out / "check.csv").columns)


def test_check_across_an_ensemble_runs_each_member_on_its_own_seed(monkeypatch):
    seen = []

    def fake(scenario, sets, points, seeds, needs, *a, **k):
        seen.append((points, seeds, needs))
        return [{role: [{m: float(i) for m in ms}] for role, ms in needs.items()} for i, _ in enumerate(points)]
    monkeypatch.setattr(cal, "measure_points", fake)
    members = [{"exits.hazard_floor": 0.01 * (i + 1)} for i in range(4)]
    table = cal.check_ensemble(members, seed=50, progress=False)
    points, seeds, needs = seen[0]
    assert points == members and seeds == [[50], [51], [52], [53]]
    # members' values 0..3: mean 1.5, 90% interval the 5th and 95th percentiles
    row = table[table["target"] == "exit_10y"].iloc[0]
    assert row["predictive_mean"] == pytest.approx(1.5)
    assert row["predictive_low"] == pytest.approx(0.15) and row["predictive_high"] == pytest.approx(2.85)
    # a contrast target is the member's paired difference (0 here: both roles give the same value)
    contrast = table[table["target"] == "mentoring_effect_retention_10y"].iloc[0]
    assert contrast["predictive_mean"] == 0


def test_uncertainty_is_read_and_checked(tmp_path):
    good = tmp_path / "t.toml"
    text = cal.TARGETS_FILE.read_text()
    good.write_text(text)
    assert cal.load_uncertainty(good) == {"observation_band_share": 0.25, "discrepancy_band_share": 0.10}
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("discrepancy_band_share = 0.10", "discrepancy_band_share = -1"))
    with pytest.raises(ValueError, match=r"\[uncertainty\] discrepancy_band_share must be a number >= 0, not -1"):
        cal.load_uncertainty(bad)
    stated = tmp_path / "stated.toml"
    stated.write_text(text.replace('id = "exit_10y"\n', 'id = "exit_10y"\nobs_sd = 0.01\n'))
    targets, _ = cal.load_targets(stated)
    obs = {o.id: o for o in cal.observed(targets, cal.load_uncertainty(stated))}
    assert obs["exit_10y"].obs_var == pytest.approx(1e-4)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('id = "exit_10y"\n', 'id = "exit_10y"\nobs_sd = -0.01\n'))
    with pytest.raises(ValueError, match="target exit_10y: obs_sd must be a positive number"):
        cal.load_targets(wrong)


def test_the_waves_table_prints_each_wave():
    table = pd.DataFrame([{"wave": 1, "points": 120, "runs": 480, "volume_kept": 0.0123, "volume_ratio": 0.0123,
                           "loo_within_3": 0.97, "worst_target": "exit_3y", "worst_loo_within_3": 0.9,
                           "seconds": 420.0}])
    text = ec.format_waves(table)
    assert "1.230%" in text and "exit_3y (90%)" in text and "7.0" in text


def test_the_history_match_simulator_gives_the_same_values_on_every_executor():
    """The runs a history match makes are the same wherever they execute (here serial and a local Dask
    cluster): a wave can be scaled out without changing the calibration."""
    targets, _ = cal.load_targets()
    tiny = [s for s in TINY if s != "--set"]
    points = [{"exits.hazard_floor": 0.03}, {"exits.hazard_floor": 0.08}]
    serial = cal.simulator("status_quo", targets, tiny, executor="serial")(points, [5, 6])
    dask = cal.simulator("status_quo", targets, tiny, workers=1, executor="dask")(points, [5, 6])
    assert pd.DataFrame([v for p in serial for v in p]).equals(pd.DataFrame([v for p in dask for v in p]))
    assert serial[0][0]["exit_10y"] != serial[1][0]["exit_10y"]  # the points differ
