import subprocess
import sys

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
    r = runner.invoke(app, ["calibrate", "--check", "--replicates", "2", "--out", str(tmp_path), "--workers", "1",
                            "--set", "population.n_faculty=600", "--set", "population.n_institutions=3",
                            "--set", "horizon_years=21"])
    assert r.exit_code == 0, r.output
    assert "exit_10y" in r.stdout and "targets within tolerance" in r.stdout
    assert (tmp_path / "check.csv").exists() and (tmp_path / "check.md").exists()
    r = runner.invoke(app, ["calibrate"])
    assert r.exit_code == 2 and "--check or --fit" in r.output


def test_patterns_prints_every_pattern(tmp_path):
    r = runner.invoke(app, ["patterns", "--replicates", "2", "--out", str(tmp_path), "--executor", "serial",
                            "--set", "population.n_faculty=300", "--set", "population.n_institutions=2"])
    assert r.exit_code == 0, r.output
    for k in range(1, 8):
        assert f"\n{k}. " in "\n" + r.stdout
    assert "statements hold" in r.stdout and (tmp_path / "patterns.csv").exists()


def test_bench_quick_prints_every_figure():
    r = runner.invoke(app, ["bench", "--quick"])
    assert r.exit_code == 0, r.output
    for phrase in ("cores", "start-up, cold", "start-up, warm", "import", "throughput, 1 thread, network",
                   "throughput, 1 thread, dyad", "NUMBA_DISABLE_JIT=1", "speed-up", "175,000 faculty",
                   "start to results on disk", "peak memory", "share of run time by phase", "hiring", "needs",
                   "ties", "support", "careers", "exits", "record", "cost per faculty-month by phase",
                   "sweep,", "runs/min", "benchmark wall time"):
        assert phrase in r.stdout, phrase
