import re
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app

runner = CliRunner()
SMALL = ["--set", "population.n_faculty=200", "--set", "population.n_institutions=2", "--set", "horizon_years=11"]


def test_validate_ok():
    r = runner.invoke(app, ["validate", "scenarios/network.toml"])
    assert r.exit_code == 0 and r.stdout.startswith("ok: network: network model")


def test_run_prints_summary_and_writes_results(tmp_path):
    out = tmp_path / "demo"
    r = runner.invoke(app, ["run", "scenarios/network.toml", "--seed", "7", "--out", str(out), *SMALL])
    assert r.exit_code == 0, r.output
    for word in ("retained 5y", "retained 10y", "pubs/yr", "grant by 5y", "grant by 10y", "promoted", "women", "men"):
        assert word in r.stdout
    assert (out / "manifest.json").exists() and (out / "people.parquet").exists()


def test_compare_prints_the_differences_and_writes_and_times_the_report(tmp_path):
    import json

    from simulation.analysis.comparison import load
    from simulation.experiments.compare import format_differences

    out = tmp_path / "cmp"
    r = runner.invoke(app, ["compare", "dyad", "network", "--replicates", "2", "--point", "--executor", "serial",
                            "-q", "--out", str(out), *SMALL])
    assert r.exit_code == 0, r.output
    assert r.stderr == ("comparing at the point calibration (--point): 2 replicates per scenario; its intervals carry "
                        "chance only, not the calibration's uncertainty\n")
    lines = r.stdout.splitlines()
    head = "paired differences from dyad over 2 replicates (percentage points; publications per faculty-year), 95% CI:"
    assert lines[0] == head
    assert "\n".join(lines[1:]).startswith(format_differences(load(out).differences))
    # a point comparison says its intervals carry chance only (and, with no saved ensemble comparison beside it,
    # how to measure how much wider they would be)
    assert any(x.startswith("These intervals carry chance only") and "without --point" in x for x in lines)
    assert lines[-1] == f"report: {out / 'report.html'}" and (out / "report.html").exists()
    assert len(list((out / "figures").glob("*.png"))) >= 7
    seconds = json.loads((out / "comparison.json").read_text())["seconds"]
    assert set(seconds) == {"runs", "analysis", "figures_and_report"} and seconds["figures_and_report"] > 0


def test_list_shows_every_scenario_with_its_question():
    r = runner.invoke(app, ["list"])
    assert r.exit_code == 0
    for name in ("status_quo", "dyad", "committee", "network", "network_peers", "small_institutions"):
        assert name in r.stdout
    assert "?" in r.stdout


def test_bad_input_exits_nonzero_without_traceback_and_writes_nothing(tmp_path):
    out = tmp_path / "never"
    r = runner.invoke(app, ["run", "scenarios/dyad.toml", "--set", "population.n_faculty=-1", "--out", str(out)])
    assert r.exit_code == 2
    assert "population.n_faculty = -1" in r.output and "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.iterdir())
    r = runner.invoke(app, ["validate", "scenarios/nope.toml"])
    assert r.exit_code == 2 and "no such scenario file" in r.output


def test_python_dash_m_is_the_same_cli():
    r = subprocess.run([sys.executable, "-m", "simulation", "validate", "dyad"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("ok: dyad")
    r = subprocess.run([sys.executable, "-m", "simulation", "validate", "dyad", "--set", "mentoring.modle=x"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Did you mean mentoring.model" in r.stderr and "Traceback" not in r.stderr


def test_calibrate_check_prints_and_writes_the_table(tmp_path):
    r = runner.invoke(app, ["calibrate", "--check", "--point", "--replicates", "2", "--out", str(tmp_path),
                            "--workers", "1",
                            "--set", "population.n_faculty=600", "--set", "population.n_institutions=3",
                            "--set", "horizon_years=21"])
    assert r.exit_code == 0, r.output
    assert "exit_10y" in r.stdout and "targets within tolerance" in r.stdout
    assert (tmp_path / "check.csv").exists() and (tmp_path / "check.md").exists()
    r = runner.invoke(app, ["calibrate"])
    assert r.exit_code == 2 and "say --check, --fit, --history-match or --ensemble N" in r.output


def test_patterns_prints_every_pattern(tmp_path):
    # 9 variants x 2 replicates: tiny runs (60 faculty, 2 years) check the printing, not the patterns
    r = runner.invoke(app, ["patterns", "--replicates", "2", "--out", str(tmp_path), "--executor", "serial",
                            "--set", "population.n_faculty=60", "--set", "population.n_institutions=2",
                            "--set", "horizon_years=2"])
    assert r.exit_code == 0, r.output
    for k in range(1, 9):
        assert f"\n{k}. " in "\n" + r.stdout
    table = pd.read_csv(tmp_path / "patterns.csv")
    assert sorted(table["pattern"].unique()) == list(range(1, 9))
    verdicts = re.findall(r"^\d\. .*: (holds|does NOT hold)$", r.stdout, re.MULTILINE)
    assert verdicts == ["holds" if h else "does NOT hold" for h in table["holds"]]
    assert (f"{int(table['holds'].sum())} of {len(table)} statements hold; table: {tmp_path / 'patterns.csv'}"
            in r.stdout)
    assert len(list((tmp_path / "runs").glob("*/rep*"))) == 9 * 2


class FakeBench:
    """Stands in for `bench._python` (each figure's subprocess): canned figures, and the calls made."""

    RATES = {("network", 1000, 1): 20e6, ("network", 10000, 1): 12.5e6, ("dyad", 1000, 1): 30e6,
             ("dyad", 10000, 1): 25e6, ("network", 10000, 4): 40e6, ("network", 200, 1): 5e6,
             ("network", 100000, 1): 8e6, ("dyad", 100000, 1): 9e6}
    PHASES = {"hiring": 1.0, "needs": 1.0, "ties": 4.0, "support": 2.0, "careers": 1.0, "exits": 0.5, "record": 0.5}

    def __init__(self):
        self.calls = []

    def __call__(self, code, *args, env=None, timeout=3600):
        from simulation.experiments import bench

        env = env or {}
        self.calls.append((code, args, env))
        if code == bench.STARTUP:
            cold = "NUMBA_CACHE_DIR" in env and not any(c == bench.STARTUP for c, _, _ in self.calls[:-1])
            return {"import": 0.3, "jit": 45.0} if cold else {"import": 0.25, "jit": 1.5}
        if code == bench.THROUGHPUT:
            scenario, n, months, threads = args[0], int(args[1]), int(args[2]), int(args[3])
            rate = 1e3 if env.get("NUMBA_DISABLE_JIT") == "1" else self.RATES[(scenario, n, threads)]
            return {"faculty_months": n * months, "seconds": n * months / rate}
        if code == bench.BIG_RUN:
            n = int(args[0])
            scale = 1.0 if n in (20_000, 175_000) else 0.2
            return {"wall": 12.5, "phase_seconds": {k: v * scale for k, v in self.PHASES.items()}, "rss_gb": 1.25,
                    "people": 3 * n, "ties": 5 * n}
        if code == bench.SWEEP:
            return {"runs": int(args[0]), "seconds": 3.0 * int(args[0]) / 20, "workers": 4}
        raise AssertionError("an unknown benchmark step")


@pytest.fixture
def fake_bench(monkeypatch):
    from simulation.experiments import bench

    fake = FakeBench()
    monkeypatch.setattr(bench, "_python", fake)
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 4)
    # the default comparison (a full run only) is another subprocess: canned too, where there is one
    monkeypatch.setattr(bench, "_compare", lambda out, env=None, timeout=3600: {
        "wall": 20.0, "runs": 15.0, "analysis": 2.0, "figures_and_report": 3.0}, raising=False)
    return fake


def test_bench_quick_prints_every_figure_from_the_measurements(fake_bench, tmp_path):
    from simulation.experiments import bench

    record = tmp_path / "perf.md"
    record.write_text("# Performance\n\n<!-- generated:bench -->\nPREVIOUS FIGURES\n<!-- /generated:bench -->\ntail\n")
    r = runner.invoke(app, ["bench", "--quick", "--record", str(record)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("careersim ") and " benchmark (quick): 4 cores, Python " in lines[0]
    for expected in (
        "start-up, cold (empty kernel cache): skipped with --quick (it compiles every kernel, about two minutes)",
        "start-up, warm (kernels cached):      import 0.25 s, load kernels 1.50 s, total 1.75 s (target <= 2 s)",
        "throughput, 1 thread, network   1,000 faculty: 20.00 M faculty-months/s",
        "throughput, 1 thread, network  10,000 faculty: 12.50 M faculty-months/s (target >= 10.00 M/s)",
        "throughput, 1 thread, dyad      1,000 faculty: 30.00 M faculty-months/s",
        "throughput, 1 thread, dyad     10,000 faculty: 25.00 M faculty-months/s",
        "throughput, 4 threads, network  10,000 faculty: 40.00 M faculty-months/s",
        "NUMBA_DISABLE_JIT=1 (network, 200 faculty, 3 months): 1,000 faculty-months/s; with the JIT 5,000,000/s: "
        "speed-up x5,000",
        "175,000 faculty x 40 years: skipped with --quick (run `careersim bench`); the same figures at 20,000:",
        "20,000 faculty x 40 years, network, start to results on disk: 12.5 s, peak memory 1.25 GB; "
        "60,000 people, 100,000 ties",
        "  share of run time by phase: hiring 10%, needs 10%, ties 40%, support 20%, careers 10%, exits 5%, record 5%",
        "  cost per faculty-month by phase, 2,000 -> 20,000 faculty (all threads): hiring 208 -> 104 ns, "
        "needs 208 -> 104 ns, ties 833 -> 417 ns, support 417 -> 208 ns, careers 208 -> 104 ns, exits 104 -> 52 ns, "
        "record 104 -> 52 ns",
        "sweep, 20 runs of 2,000 faculty x 30 years on 4 cores: 400 runs/min (target >= 400)",
    ):
        assert expected in lines, expected
    assert re.fullmatch(r"benchmark wall time \d+ s", lines[-2]) and lines[-1] == f"recorded in {record}"
    # the quick sizes, the no-JIT run in its own environment, the tenth-size big run and sweep
    throughput = [(args, env) for code, args, env in fake_bench.calls if code == bench.THROUGHPUT]
    assert [a for a, _ in throughput] == [
        ("network", "1000", "240", "1"), ("network", "10000", "120", "1"), ("dyad", "1000", "240", "1"),
        ("dyad", "10000", "120", "1"), ("network", "10000", "120", "4"), ("network", "200", "3", "1"),
        ("network", "200", "3", "1")]
    assert [env for _, env in throughput].count({"NUMBA_DISABLE_JIT": "1"}) == 1
    assert [args[0] for code, args, _ in fake_bench.calls if code == bench.BIG_RUN] == ["20000", "2000"]
    assert [args[0] for code, args, _ in fake_bench.calls if code == bench.SWEEP] == ["20"]
    # --record puts exactly the printed lines into the generated block, and keeps the rest of the file
    text = record.read_text()
    assert text.startswith("# Performance\n\n<!-- generated:bench -->\nMeasured ") and text.endswith(
        "<!-- /generated:bench -->\ntail\n")
    assert "with `careersim bench --quick`" in text and "PREVIOUS FIGURES" not in text
    assert "\n".join(lines[:-1]) in text


def test_bench_full_prints_the_cold_start_and_the_targets_at_full_size(fake_bench):
    from simulation.experiments import bench

    lines = []
    figures = bench.bench(quick=False, out=lines.append)
    for expected in (
        "start-up, cold (empty kernel cache): import 0.30 s, JIT compile 45.0 s",
        "start-up, warm (kernels cached):      import 0.25 s, load kernels 1.50 s, total 1.75 s (target <= 2 s)",
        "175,000 faculty x 40 years, network, start to results on disk: 12.5 s (target <= 15 s at 175,000), "
        "peak memory 1.25 GB (target <= 2 GB); 525,000 people, 875,000 ties",
        "sweep, 200 runs of 2,000 faculty x 30 years on 4 cores: 400 runs/min (target >= 400)",
    ):
        assert expected in lines, expected
    assert not any("skipped" in line for line in lines)
    # the returned figures are the measured ones
    assert figures["quick"] is False and figures["cores"] == 4
    assert figures["cold"] == {"import": 0.3, "jit": 45.0} and figures["warm_start_seconds"] == pytest.approx(1.75)
    assert figures["throughput"]["network_10000"] == pytest.approx(12.5e6)
    assert figures["throughput"]["dyad_100000"] == pytest.approx(9e6)
    assert "throughput, 1 thread, dyad    100,000 faculty: 9.00 M faculty-months/s" in lines
    assert figures["throughput"]["network_10000_all_threads"] == pytest.approx(40e6)
    assert figures["no_jit"]["speedup"] == pytest.approx(5000)
    assert figures["big_run"]["people"] == 525_000 and figures["sweep_runs_per_minute"] == pytest.approx(400)
    cache_dirs = {env.get("NUMBA_CACHE_DIR") for code, _, env in fake_bench.calls if code == bench.STARTUP}
    assert len(cache_dirs) == 1 and None not in cache_dirs  # cold and warm share one fresh kernel cache


@pytest.fixture
def record_with_ensemble(install_ensemble):
    """The installed calibration record with a two-member ensemble, installed in its place."""
    from simulation.config.params import calibration_record

    floor = calibration_record()["estimates"]["exits.hazard_floor"]
    return install_ensemble([{"exits.hazard_floor": floor}, {"exits.hazard_floor": 3 * floor}])


def test_compare_runs_across_the_installed_ensemble_by_default(tmp_path, record_with_ensemble):
    import json

    out = tmp_path / "cmp"
    args = ["compare", "dyad", "network", "--executor", "serial", "-q", "--no-decomposition", *SMALL]
    r = runner.invoke(app, [*args, "--replicates", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "across the calibrated ensemble: 2 of its 2 members x 2 seeds each" in r.stderr
    assert r.stdout.splitlines()[0].startswith("paired differences from dyad over 2 ensemble members x 2 seeds")
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["ensemble"]["member_values"] == record_with_ensemble and meta["ensemble"]["seeds_per_member"] == 2
    from simulation.config.params import calibration_record

    assert meta["ensemble"]["method"] == calibration_record()["ensemble"]["method"]  # the record's, carried over
    assert meta["replicates"] == 4
    assert "2 members of the calibrated ensemble" in (out / "report.html").read_text()
    # more members than the ensemble has: one clear line, nothing run
    r = runner.invoke(app, [*args, "--replicates", "3", "--out", str(tmp_path / "never")])
    assert r.exit_code == 2 and "the installed ensemble has only 2 members" in r.output
    assert not (tmp_path / "never").exists()
    # --point: the point calibration, as before
    r = runner.invoke(app, [*args, "--replicates", "2", "--point", "--out", str(tmp_path / "point")])
    assert r.exit_code == 0, r.output
    assert "at the point calibration (--point)" in r.stderr
    assert json.loads((tmp_path / "point" / "comparison.json").read_text())["ensemble"] is None


def test_compare_says_when_there_is_no_ensemble(tmp_path, install_ensemble):
    install_ensemble([])  # a calibration record without an ensemble
    r = runner.invoke(app, ["compare", "dyad", "network", "--replicates", "2", "--executor", "serial", "-q",
                            "--out", str(tmp_path / "cmp"), *SMALL])
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("the installed calibration record has no ensemble: the comparison uses the point "
                               "calibration (2 replicates per scenario)")
    assert "`careersim calibrate --history-match` then `careersim calibrate --ensemble 200 --apply`" in r.stderr
    r = runner.invoke(app, ["compare", "dyad", "--replicates", "0"])  # stops before running anything
    assert r.exit_code == 2
    r = runner.invoke(app, ["compare", "dyad", "--seeds-per-member", "3", "--replicates", "1"])
    assert r.exit_code == 2 and "--seeds-per-member: only for a comparison across the calibrated ensemble" in r.output


def test_bench_names_the_default_comparisons_runs_as_made():
    from simulation.experiments import bench

    base = {"wall": 100.0, "runs": 80.0, "analysis": 10.0, "figures_and_report": 5.0, "scenarios": 5}
    ensemble = bench._compare_line("warm", {**base, "runs_per_scenario": 32, "members": 16, "seeds_per_member": 2,
                                            "decomposition_runs": 224}, 15)
    assert ensemble.startswith("default comparison (careersim compare: 5 scenarios x 32 runs (16 ensemble members "
                               "x 2 seeds), and 224 reruns of the reference")
    point = bench._compare_line("warm", {**base, "runs_per_scenario": 16}, 15)
    assert "5 scenarios x 16 runs (the point calibration)), warm: 100.0 s" in point
