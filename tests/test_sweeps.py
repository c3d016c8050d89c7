"""Sweeps: the sweep file's validation, designs, the dataset, executors, shards, resume."""

from __future__ import annotations

import json
import math
import re
import textwrap

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.experiments import sweeps
from simulation.cli import app
from simulation.util.destination import DestinationError
from simulation.config.scenario import ConfigError
from simulation.experiments.executors import map_tasks
from simulation.experiments.sweeps import load_sweep, read_runs, run_sweep

TINY = textwrap.dedent("""\
    [fixed]
    "population.n_faculty" = 60
    "population.n_institutions" = 2
    horizon_years = 3
    """)

# 3 points x 2 replicates x 2 models = 12 runs
SMALL_GRID = textwrap.dedent("""\
    # a tiny grid for the tests
    base = "network"
    seed = 5
    replicates = 2
    models = ["dyad", "network"]
    outcomes = ["pubs_per_faculty_year", "mean_unmet", "share_months_hole", "load_median"]

    [parameters."network.max_ties"]
    values = [1, 2, 4]

    [design]
    kind = "grid"

    [run]
    batch = 1
    """) + TINY


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def sampled(kind: str, extra: str = "", params: str | None = None) -> str:
    params = params or textwrap.dedent("""\
        [parameters."network.max_ties"]
        low = 1
        high = 6
        [parameters."exits.unmet_effect"]
        low = 0.1
        high = 1.0
        [parameters."mentors.comfortable_load"]
        low = 3.0
        high = 10.0
        distribution = "loguniform"
        """)
    return textwrap.dedent("""\
        base = "network"
        seed = 3
        replicates = 1
        """) + params + f"[design]\nkind = \"{kind}\"\n{extra}\n" + TINY


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    (("replicates = 2", "replicate = 2"), r"replicate = 2: unknown field\. Did you mean replicates"),
    (("replicates = 2", 'replicates = "2"'), r'replicates = "2": must be an integer'),
    (
        ('"network.max_ties"]', '"network.max_tie"]'),
        (
            r'parameters\."network\.max_tie" = \{values = \[1, 2, 4\]\}: unknown parameter\. Did you mean '
            r'network\.max_ties'
        )
    ),
    (
        ("values = [1, 2, 4]", "values = [1, 2, 40]"),
        r"network\.max_ties.*\.values\[2\] = 40: out of network\.max_ties's range \(allowed: 1 to 12\)"
    ),
    (("values = [1, 2, 4]", "values = [1, 2.0, 4]"), r"values\[1\] = 2\.0: network\.max_ties is an integer parameter"),
    (
        ('kind = "grid"', 'kind = "sobolx"'),
        r'design\.kind = "sobolx": must be one of "grid", "lhs", "sobol" or "morris"'
    ),
    (
        ('models = ["dyad", "network"]', 'models = ["dyad", "networks"]'),
        r'models\.\[1\]|models\[1\] = "networks": must be one of'
    ),
    (
        ('outcomes = ["pubs_per_faculty_year"', 'outcomes = ["pubs_per_faculty_yr"'),
        r'outcomes\[0\] = "pubs_per_faculty_yr": unknown outcome\. Did you mean pubs_per_faculty_year'
    ),
])
def test_grid_file_errors_name_the_file_the_field_and_the_value(tmp_path, change, expected):
    path = write(tmp_path, SMALL_GRID.replace(*change))
    assert change[0] in SMALL_GRID
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    text = str(err.value)
    assert str(path) in text
    assert len(text.splitlines()) == 1, text
    assert re.search(expected, text), text


@pytest.mark.parametrize("params, expected", [
    ('[parameters."exits.unmet_effect"]\nlow = 0.9\nhigh = 0.2\n', r"low = 0\.9 is not below high = 0\.2"),
    (
        '[parameters."exits.unmet_effect"]\nlow = 0.1\nhigh = 50.0\n',
        r"\.high = 50\.0: out of exits\.unmet_effect's range \(allowed: 0 to 20\)"
    ),
    ('[parameters."exits.unmet_effect"]\nlow = nan\nhigh = 1.0\n', r"\.low = nan: must be a finite number"),
    (
        '[parameters."exits.unmet_effect"]\nlow = 0.0\nhigh = 1.0\ndistribution = "loguniform"\n',
        r"loguniform range needs low > 0"
    ),
    ('[parameters."mentoring.peers"]\nlow = 0\nhigh = 1\n', r"true/false setting cannot be swept"),
    ('[parameters."exits.unmet_effect"]\nvalues = [0.1, 0.2]\n', r"a lhs design samples between low and high"),
])
def test_sampled_parameter_errors(tmp_path, params, expected):
    path = write(tmp_path, sampled("lhs", "n = 4", params))
    with pytest.raises(ConfigError, match=expected) as err:
        load_sweep(path)
    assert str(err.value).startswith(str(path))


def test_design_errors(tmp_path):
    with pytest.raises(
        ConfigError, match=r"design\.n = 12: Sobol' base samples must be a power of 2 \(e\.g\. 8 or 16\)"
    ):
        load_sweep(write(tmp_path, sampled("sobol", "n = 12")))
    with pytest.raises(ConfigError, match=r"design\.n: missing; a lhs design needs n"):
        load_sweep(write(tmp_path, sampled("lhs")))
    with pytest.raises(ConfigError, match=r"unknown field\. Did you mean n\b"):
        load_sweep(write(tmp_path, sampled("lhs", "nn = 4")))


# --- designs -------------------------------------------------------------------------------

def test_a_horizon_too_short_for_an_outcome_is_refused_in_one_line(tmp_path):
    text = SMALL_GRID.replace('"load_median"]', '"load_median", "retention_10y"]').replace("horizon_years = 3",
                                                                                          "horizon_years = 4")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_sweep(path)
    msg = str(e.value)
    assert "\n" not in msg and 'outcomes[4] = "retention_10y"' in msg and "at least 10 years" in msg
    assert "horizon_years = 4" in msg
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
    # swept: its shortest value counts; left to the defaults, the outcomes are those the horizon can give
    swept = text.replace("horizon_years = 4\n", "").replace('[design]', '[parameters.horizon_years]\nvalues = [4, 12]\n'
                                                            '[design]')
    with pytest.raises(ConfigError, match="horizon_years is swept from 4"):
        load_sweep(write(tmp_path, swept, "swept.toml"))
    default = text.replace('outcomes = ["pubs_per_faculty_year", "mean_unmet", "share_months_hole", "load_median", '
                           '"retention_10y"]\n', "")
    outcomes = load_sweep(write(tmp_path, default, "default.toml")).outcomes
    assert "pubs_per_faculty_year" in outcomes and not {"retention_5y", "retention_10y", "grant_5y"} & set(outcomes)


def test_grid_is_the_product_of_the_values(tmp_path):
    text = SMALL_GRID.replace("[design]", '[parameters."exits.unmet_effect"]\nvalues = [0.2, 0.4]\n\n[design]')
    s = load_sweep(write(tmp_path, text))
    d = s.design()
    assert len(d) == 3 * 2 and s.n_runs == 6 * 2 * 2 and s.n_tasks == 24
    assert d[["network.max_ties", "exits.unmet_effect"]].drop_duplicates().shape[0] == 6
    assert list(d.columns) == ["point", "network.max_ties", "exits.unmet_effect"]
    assert d["point"].dtype == np.int64 and d["network.max_ties"].dtype == np.float64


def test_lhs_stays_in_bounds_and_is_seeded(tmp_path):
    a = load_sweep(write(tmp_path, sampled("lhs", "n = 40"))).design()
    b = load_sweep(write(tmp_path, sampled("lhs", "n = 40"), "b.toml")).design()
    c = load_sweep(write(tmp_path, sampled("lhs", "n = 40").replace("seed = 3", "seed = 4"), "c.toml")).design()
    assert len(a) == 40
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["network.max_ties"].between(1, 6).all() and (a["network.max_ties"] % 1 == 0).all()
    assert set(a["network.max_ties"]) == {1, 2, 3, 4, 5, 6}  # every integer, LHS strata
    assert a["exits.unmet_effect"].between(0.1, 1.0).all()
    assert a["mentors.comfortable_load"].between(3.0, 10.0).all()


def test_sobol_and_morris_point_counts(tmp_path):
    s = load_sweep(write(tmp_path, sampled("sobol", "n = 8")))
    assert s.n_points == 8 * (3 + 2)
    s2 = load_sweep(write(tmp_path, sampled("sobol", "n = 8\ncalc_second_order = true"), "b.toml"))
    assert s2.n_points == 8 * (2 * 3 + 2)
    m = load_sweep(write(tmp_path, sampled("morris", "n = 5\nlevels = 4"), "c.toml"))
    assert m.n_points == (3 + 1) * 5
    assert m.salib_problem() == {"num_vars": 3, "names": ["network.max_ties", "exits.unmet_effect",
                                                          "mentors.comfortable_load"],
                                 "bounds": [[1.0, 6.0], [0.1, 1.0], [3.0, 10.0]]}


def test_shipped_sweep_files_are_valid():
    for name, kind in [("capacity_vs_k", "grid"), ("sobol_network", "sobol"), ("morris_all", "morris")]:
        s = load_sweep(name)
        assert s.spec.design.kind == kind and s.file.read_text().startswith("#")
    assert len(load_sweep("morris_all").parameters) >= 12


# --- the dataset ---------------------------------------------------------------------------

def runs_table(out) -> pd.DataFrame:
    return read_runs(out)


@pytest.fixture(scope="module")
def grid_reference(tmp_path_factory):
    """The small grid, run serially one run per task: the reference every executor must match."""
    tmp = tmp_path_factory.mktemp("ref")
    s = load_sweep(write(tmp, SMALL_GRID))
    res = run_sweep(s, tmp / "out", executor="serial", progress=False)
    assert res.runs == 12 and res.failed == 0
    return s, tmp / "out", runs_table(tmp / "out")


def test_dataset_layout(grid_reference):
    s, out, table = grid_reference
    assert len(table) == 12 * 3
    assert list(table.columns[:7]) == ["point", "replicate", "model", "seed", "group", "status", "error"]
    assert {"network.max_ties", "pubs_per_faculty_year", "load_median"} <= set(table.columns)
    assert (table["status"] == "ok").all() and (table["error"] == "").all()
    assert table["load_median"].notna().eq(table["group"] == "all").all()  # run level: group all only
    # paired: every model at a point and replicate has the same seed
    assert (table.groupby(["point", "replicate"])["seed"].nunique() == 1).all()
    assert table["seed"].nunique() == 2  # common random numbers: replicate r has one seed at every point
    manifest = json.loads((out / "sweep.json").read_text())
    for key in ("name", "description", "sweep_file", "base", "seed", "replicates", "models", "outcomes", "design",
                "n_points", "n_runs", "n_tasks", "versions", "git_commit", "created_utc"):
        assert key in manifest
    assert manifest["n_runs"] == 12 and manifest["models"] == ["dyad", "network"]
    design = pd.read_parquet(out / "design.parquet")
    assert list(design["point"]) == [0, 1, 2] and list(design["network.max_ties"]) == [1.0, 2.0, 4.0]
    assert sorted(p.name for p in (out / "runs" / "shard=0").iterdir()) == [f"task-{t:05d}.parquet" for t in range(12)]


def test_the_function_model_reproduces_a_sweep_run(grid_reference):
    _, _, table = grid_reference
    row = table[
        (table["point"] == 1) & (table["replicate"] == 1) & (table["model"] == "dyad") & (table["group"] == "all")
    ]
    got = sweeps.model(seed=5, base="network", mentoring_model="dyad", replicate=1, network__max_ties=2.0,
                       population__n_faculty=60, population__n_institutions=2, horizon_years=3)
    assert got["pubs_per_faculty_year"] == pytest.approx(float(row["pubs_per_faculty_year"].iloc[0]), rel=0, abs=0)
    assert got["load_median"] == float(row["load_median"].iloc[0])
    assert set(sweeps.outcome_names()) == set(got)
    with pytest.raises(ConfigError, match="network__max_tie"):
        sweeps.model(network__max_tie=2)


@pytest.mark.parametrize("how", ["batch3", "processes", "shards", "dask"])
def test_the_same_rows_whatever_the_executor_batch_or_shards(tmp_path, grid_reference, how):
    s0, _, reference = grid_reference
    path = s0.file
    out = tmp_path / "out"
    if how == "batch3":
        run_sweep(load_sweep(path, batch=3), out, executor="serial", progress=False)
    elif how == "processes":
        run_sweep(load_sweep(path), out, executor="processes", workers=2, progress=False)
    elif how == "dask":
        pytest.importorskip("distributed")
        run_sweep(load_sweep(path, batch=4), out, executor="dask", workers=1, progress=False)
    else:
        s = load_sweep(path, batch=2)
        for i in (1, 2, 3):
            run_sweep(s, out, executor="serial", shard=f"{i}/3", progress=False)
        assert sorted(p.name for p in (out / "runs").iterdir()) == ["shard=1", "shard=2", "shard=3"]
    pd.testing.assert_frame_equal(runs_table(out), reference)


def test_resume_runs_only_the_missing_task(tmp_path, monkeypatch):
    s = load_sweep(write(tmp_path, SMALL_GRID), batch=3)
    out = tmp_path / "out"
    run_sweep(s, out, executor="serial", progress=False)
    before = runs_table(out)
    (out / "runs" / "shard=0" / "task-00002.parquet").unlink()
    import socket
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # a process id that is gone: what a killed worker leaves
    leftover = out / "runs" / "shard=0" / f".task-00001.parquet.careersim-tmp.{socket.gethostname()}.{dead.pid}.x"
    leftover.write_text("half a file")
    calls = []
    real = sweeps.run_task

    def counting(task):
        calls.append(task.index)
        return real(task)

    monkeypatch.setattr(sweeps.execution, "run_task", counting)  # run_sweep calls it there
    res = run_sweep(s, out, executor="serial", progress=False)
    assert calls == [2] and res.tasks_run == 1 and res.skipped_tasks == 3
    assert not leftover.exists()
    pd.testing.assert_frame_equal(runs_table(out), before)
    run_sweep(s, out, executor="serial", progress=False)
    assert calls == [2]  # all done: nothing runs
    # the same folder with another batching is refused: its tasks would not match
    with pytest.raises(sweeps.SweepError, match="holds a different sweep"):
        run_sweep(load_sweep(s.file, batch=4), out, executor="serial", progress=False)


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch):
    import simulation.run.simulate as run_module

    real = run_module.simulate

    def flaky(params, **kw):
        if params.network.max_ties == 2 and params.mentoring.model == "network":
            raise RuntimeError("boom at two ties\nsecond line")
        return real(params, **kw)

    monkeypatch.setattr(run_module, "simulate", flaky)
    s = load_sweep(write(tmp_path, SMALL_GRID), batch=4)
    res = run_sweep(s, tmp_path / "out", executor="serial", progress=False)
    assert res.runs == 12 and res.failed == 2
    t = runs_table(tmp_path / "out")
    bad = t[t["status"] == "failed"]
    assert len(bad) == 2 * 3 and set(bad["network.max_ties"]) == {2.0} and set(bad["model"]) == {"network"}
    assert (bad["error"] == "RuntimeError: boom at two ties | second line").all()
    assert bad["pubs_per_faculty_year"].isna().all()
    assert (t[t["status"] == "ok"]["pubs_per_faculty_year"].notna()).all()
    info = sweeps.status(s, tmp_path / "out")
    assert (info["runs_ok"], info["runs_failed"], info["tasks_with_failures"]) == (10, 2, 1)
    # --retry-failed runs those tasks again (now they pass) and replaces their files
    monkeypatch.setattr(run_module, "simulate", real)
    res = run_sweep(s, tmp_path / "out", executor="serial", progress=False, retry_failed=True)
    assert res.tasks_run == 1 and res.failed == 0  # both failed runs were in task 1 (runs 4 to 7)
    t = runs_table(tmp_path / "out")
    assert len(t) == 36 and (t["status"] == "ok").all()


# --- command line ------------------------------------------------------------------------------

def test_cli_job_array_status_and_shard(tmp_path):
    path = write(tmp_path, SMALL_GRID)
    out = tmp_path / "out"
    runner = CliRunner()
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--job-array", "--shards", "4", "--batch", "2"])
    assert r.exit_code == 0, r.output
    script = r.stdout
    assert script.startswith("#!/bin/bash") and "#SBATCH --array=1-4\n" in script
    assert f"sweep {path.resolve()} --shard $SLURM_ARRAY_TASK_ID/4 --out {out.resolve()} --executor serial" in script
    assert "--batch 2" in script and f"#SBATCH --output={out.resolve()}/logs/" in script
    assert (out / "sweep.json").exists() and (out / "logs").is_dir()
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--shard", "2/4", "--batch", "2",
                            "--executor", "serial", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--status", "--batch", "2", "--shards", "4"])
    assert r.exit_code == 0, r.output
    # 6 tasks of 2 runs; shard 2 of 4 holds tasks 1 and 5
    assert "done: 2 tasks, 4 runs (4 ok, 0 failed)" in r.stdout
    assert "remaining: 4 tasks, 8 runs" in r.stdout
    assert "shards: 1 of 4 complete" in r.stdout and str(out.resolve()) in r.stdout
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--shard", "5/4"])
    assert r.exit_code == 2 and "--shard 5/4" in r.output


def test_cli_refuses_a_users_folder_and_bad_files(tmp_path):
    path = write(tmp_path, SMALL_GRID)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("do not touch")
    runner = CliRunner()
    r = runner.invoke(app, ["sweep", str(path), "--out", str(mine), "--executor", "serial"])
    assert r.exit_code == 2 and "careersim did not write it" in r.output
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.docx"]
    with pytest.raises(DestinationError):
        run_sweep(load_sweep(path), mine, executor="serial", progress=False)
    r = runner.invoke(app, ["sweep", str(write(tmp_path, SMALL_GRID.replace("seed = 5", "seed = -1"), "bad.toml"))])
    assert r.exit_code == 2 and "bad.toml: seed = -1: must be at least 0" in r.output


def test_map_tasks_runs_any_function():
    assert sorted(map_tasks(math.sqrt, [4.0, 9.0, 16.0], executor="serial")) == [2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="serial, processes, dask"):
        map_tasks(math.sqrt, [1.0], executor="threads")


def test_slurm_executor_runs_on_the_cluster_that_cluster_py_provides(tmp_path, monkeypatch, grid_reference):
    """--executor slurm: `simulation.experiments.cluster.slurm_cluster([cluster] settings)` gives a cluster
    (here a stand-in: an in-process LocalCluster), which the dask path runs the tasks on."""
    import sys
    import types
    from contextlib import contextmanager

    distributed = pytest.importorskip("distributed")
    seen = {}

    @contextmanager
    def slurm_cluster(settings, say=None):
        seen.update(settings)
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster:
            yield cluster

    fake = types.ModuleType("simulation.experiments.cluster")
    fake.slurm_cluster = slurm_cluster
    fake.check_slurm = lambda settings: settings
    monkeypatch.setitem(sys.modules, "simulation.experiments.cluster", fake)
    text = SMALL_GRID + '\n[cluster]\nqueue = "debug"\nmemory = "1GB"\nwalltime = "00:10:00"\n'
    s = load_sweep(write(tmp_path, text), batch=6)
    run_sweep(s, tmp_path / "out", executor="slurm", progress=False)
    # the file's settings, the workers' logs in the sweep's folder, and the cores its runs need (1 below 4,000 faculty)
    assert seen == {"queue": "debug", "memory": "1GB", "walltime": "00:10:00", "cores": 1,
                    "log_directory": str((tmp_path / "out" / "logs").resolve())}
    pd.testing.assert_frame_equal(runs_table(tmp_path / "out"), grid_reference[2])


def test_short_forms_and_a_sampled_design_end_to_end(tmp_path):
    """`set = [...]` for fixed settings, `"x" = [..]` for values, no [design] = a grid; and a
    Sobol' sweep whose runs carry the design's points and values, in SALib's order."""
    short = write(tmp_path, textwrap.dedent("""\
        base = "network"
        seed = 11
        replicates = 2
        set = ["population.n_faculty=60", "population.n_institutions=2", "horizon_years=3"]
        [parameters]
        "network.max_ties" = [2, 3]
        """), "short.toml")
    s = load_sweep(short)
    assert s.spec.design.kind == "grid" and s.n_runs == 4 and s.fixed[0] == "population.n_faculty=60"
    with pytest.raises(ConfigError, match=r'short2\.toml: set\[0\] = "population\.n_facult=60": unknown parameter\. '
                                          r"Did you mean population\.n_faculty"):
        load_sweep(write(tmp_path, short.read_text().replace("n_faculty=60", "n_facult=60"), "short2.toml"))

    text = sampled("sobol", "n = 2", '[parameters."network.max_ties"]\nlow = 1\nhigh = 4\n'
                                     '[parameters."exits.unmet_effect"]\nlow = 0.1\nhigh = 1.0\n')
    path = write(tmp_path, text, "sobol.toml")
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "sobol"), "--executor", "serial", "-q"])
    assert r.exit_code == 0, r.output
    assert "done: 2 tasks, 8 runs (8 ok, 0 failed)" in r.stdout
    design = pd.read_parquet(tmp_path / "sobol" / "design.parquet")
    manifest = json.loads((tmp_path / "sobol" / "sweep.json").read_text())
    assert len(design) == 2 * (2 + 2) == manifest["n_points"]
    assert manifest["design"]["salib_problem"]["names"] == ["network.max_ties", "exits.unmet_effect"]
    assert manifest["design"]["calc_second_order"] is False
    runs = read_runs(tmp_path / "sobol")
    merged = runs[runs["group"] == "all"].merge(design, on="point", suffixes=("", "_design"))
    assert len(merged) == 8
    for name in ("network.max_ties", "exits.unmet_effect"):
        assert (merged[name] == merged[f"{name}_design"]).all()
    assert set(design["network.max_ties"]) <= {1.0, 2.0, 3.0, 4.0}


def test_a_run_found_in_two_task_files_counts_once(grid_reference, tmp_path):
    import shutil

    from simulation.analysis import sweep_analysis as analyze

    _, out, table = grid_reference
    copy = tmp_path / "dup"
    shutil.copytree(out, copy)
    first = sorted((copy / "runs").rglob("task-*.parquet"))[0]
    (copy / "runs" / "shard=9").mkdir()
    shutil.copy(first, copy / "runs" / "shard=9" / first.name)  # e.g. a local run beside shard runs
    pd.testing.assert_frame_equal(read_runs(copy), table)
    sweep = analyze.load_sweep(copy)
    assert len(analyze.replicate_values(sweep)) == len(analyze.replicate_values(analyze.load_sweep(out)))


# --- across the calibrated ensemble ------------------------------------------------------------

# 2 points x 3 replicates on a 2-member ensemble: replicates 0 and 2 on member 0, replicate 1 on member 1
ENSEMBLE_GRID = textwrap.dedent("""\
    base = "network"
    seed = 9
    replicates = 3
    calibration = "ensemble"
    outcomes = ["pubs_per_faculty_year", "mean_unmet", "share_months_hole", "load_median"]

    [parameters]
    "network.max_ties" = [1, 3]

    [run]
    batch = 1

    [fixed]
    "population.n_faculty" = 60
    "population.n_institutions" = 2
    horizon_years = 2
    """)
# the members differ strongly in one parameter that moves exits
MEMBERS = [{"exits.unmet_effect": 0.0}, {"exits.unmet_effect": 2.0}]


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def test_an_ensemble_sweep_runs_replicate_r_on_member_r_mod_m(tmp_path, install_ensemble):
    members = install_ensemble(MEMBERS)
    path = write(tmp_path, ENSEMBLE_GRID)
    s = load_sweep(path)
    assert s.calibration == "ensemble" and s.members == tuple(members)
    out = tmp_path / "out"
    res = run_sweep(s, out, executor="serial", progress=False)
    assert res.runs == 6 and res.failed == 0
    table = runs_table(out)
    assert tuple(table.columns[:8]) == sweeps.ENSEMBLE_KEY_COLUMNS and table["member"].dtype == np.int64
    assert (table["member"] == table["replicate"] % 2).all()
    # paired: every point faces the same members; the seeds are as in a point sweep
    assert (table.groupby("replicate")["member"].nunique() == 1).all()
    assert (table["seed"] == [sweeps.run_seed(9, 0, r) for r in table["replicate"]]).all()
    # the runs' parameters differ as the members do (and only so, besides the seed)
    params = {}
    for t in range(s.n_tasks):
        task = sweeps.make_task(s, out, t, 0)
        for run in task.runs:
            params[run[0], run[1]] = task.params(run)
            assert run[5] == run[1] % 2
    for point in (0, 1):
        a, b = _flat(params[point, 0].model_dump()), _flat(params[point, 1].model_dump())
        assert {k for k in a if a[k] != b[k]} == {"seed", "exits.unmet_effect"}
        assert (a["exits.unmet_effect"], b["exits.unmet_effect"]) == (0.0, 2.0)
        assert params[point, 2].exits.unmet_effect == 0.0 and params[point, 0].network.max_ties == [1, 3][point]
    # the function model on the same member reproduces a run
    row = table[(table["point"] == 1) & (table["replicate"] == 1) & (table["group"] == "all")]
    got = sweeps.model(seed=9, base="network", replicate=1, member=1, network__max_ties=3,
                       population__n_faculty=60, population__n_institutions=2, horizon_years=2)
    assert got["pubs_per_faculty_year"] == float(row["pubs_per_faculty_year"].iloc[0])
    assert got["mean_unmet"] == float(row["mean_unmet"].iloc[0])
    # sweep.json: the mode and the members' values
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["calibration"] == "ensemble" and manifest["ensemble"]["member_values"] == members
    assert manifest["ensemble"]["method"] == "by hand (test)" and "r mod M" in manifest["member_rule"]
    # the same rows whatever the batching, the shards or the executor
    other = tmp_path / "other"
    for i in (1, 2):
        run_sweep(load_sweep(path, batch=2), other, executor="serial", shard=f"{i}/2", progress=False)
    pd.testing.assert_frame_equal(runs_table(other), table)
    run_sweep(load_sweep(path, batch=3), tmp_path / "procs", executor="processes", workers=2, progress=False)
    pd.testing.assert_frame_equal(runs_table(tmp_path / "procs"), table)
    # the point sweep of the same file: another plan, refused in this folder; its id as before ensembles
    point = load_sweep(path, calibration="point")
    assert point.calibration == "point" and point.member_of(1) is None
    assert sweeps.plan_id(point) != sweeps.plan_id(s)
    plain = load_sweep(write(tmp_path, ENSEMBLE_GRID.replace('calibration = "ensemble"\n', ""), "plain.toml"))
    assert sweeps.plan_id(plain) == sweeps.plan_id(point)
    with pytest.raises(sweeps.SweepError, match="calibration ensemble there, point now"):
        run_sweep(point, out, executor="serial", progress=False)
    # a new ensemble is a new sweep too
    install_ensemble([{"exits.unmet_effect": 0.5}, {"exits.unmet_effect": 2.0}])
    with pytest.raises(sweeps.SweepError, match="a different calibrated ensemble"):
        run_sweep(load_sweep(path), out, executor="serial", progress=False)


def test_an_ensemble_sweep_without_an_ensemble_says_how_to_make_one(tmp_path, install_ensemble):
    install_ensemble([])
    path = write(tmp_path, ENSEMBLE_GRID)
    how = ("the installed calibration record has no ensemble; make one with `careersim calibrate --history-match`, "
           "then `careersim calibrate --ensemble 200 --apply`")
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert str(err.value) == f'{path}: calibration = "ensemble": {how}'
    assert load_sweep(path, calibration="point").calibration == "point"
    runner = CliRunner()
    plain = write(tmp_path, ENSEMBLE_GRID.replace('calibration = "ensemble"\n', ""), "plain.toml")
    r = runner.invoke(app, ["sweep", str(plain), "--calibration", "ensemble", "--status"])
    assert r.exit_code == 2 and f"--calibration ensemble: {how}" in r.output
    r = runner.invoke(app, ["sweep", str(plain), "--calibration", "ensembles", "--status"])
    assert r.exit_code == 2 and "--calibration ensembles: must be point" in r.output
    with pytest.raises(ConfigError, match=r'calibration = "members": must be one of "point" or "ensemble"'):
        load_sweep(write(tmp_path, ENSEMBLE_GRID.replace('"ensemble"', '"members"'), "bad.toml"))


def test_cli_calibration_ensemble_in_status_and_job_array(tmp_path, install_ensemble):
    install_ensemble(MEMBERS)
    plain = write(tmp_path, ENSEMBLE_GRID.replace('calibration = "ensemble"\n', ""), "plain.toml")
    out = tmp_path / "out"
    runner = CliRunner()
    r = runner.invoke(app, ["sweep", str(plain), "--out", str(out), "--calibration", "ensemble", "--status"])
    assert r.exit_code == 0, r.output
    assert "calibration: the calibrated ensemble's 2 members (replicate r of every point on member r mod 2" in r.stdout
    r = runner.invoke(app, ["sweep", str(plain), "--out", str(out), "--calibration", "ensemble", "--job-array"])
    assert r.exit_code == 0, r.output
    assert "--executor serial --threads $NUMBA_NUM_THREADS --calibration ensemble" in r.stdout
    assert json.loads((out / "sweep.json").read_text())["calibration"] == "ensemble"
    r = runner.invoke(app, ["sweep", str(plain), "--out", str(out), "--status"])  # the point sweep: another plan
    assert r.exit_code == 0 and "the folder holds a different sweep" in r.stdout


def test_task_files_record_their_machine_and_status_says_when_they_differ(grid_reference, tmp_path):
    import shutil

    import pyarrow.parquet as pq

    from simulation.analysis import sweep_analysis as an
    from simulation.run.results import machine

    s, out, reference = grid_reference
    files = sorted((out / "runs" / "shard=0").glob("task-*.parquet"))
    record = sweeps.read_task_record(files[0])
    assert record["machine"] == machine() and record["threads"] == [1]
    # lean: no pandas metadata, and the footer (schema and record) is under 2 KB for 3 rows of 11 columns
    assert pq.read_metadata(files[0]).serialized_size < 2048 and b"pandas" not in (pq.read_schema(files[0]).metadata
                                                                                    or {})
    assert "kinds of machine" not in sweeps.format_status(s, sweeps.status(s, out))
    # two hand-made task records of different kernel targets and numpy SIMD sets
    copy = tmp_path / "mixed"
    shutil.copytree(out, copy)
    other = {**record, "machine": {**record["machine"], "kernel_target": "skylake-avx512", "numpy_simd": "AVX2"}}
    for f in sorted((copy / "runs" / "shard=0").glob("task-*.parquet"))[:3]:
        sweeps.write_task_file(pq.read_table(f).to_pandas(), f, other)
    text = sweeps.format_status(s, sweeps.status(s, copy))
    line = next(x for x in text.splitlines() if "kinds of machine" in x)
    here = record["machine"]["kernel_target"]
    assert "2 kinds of machine" in line and "3 on skylake-avx512" in line and f"9 on {here}" in line
    assert "every count are identical" in line and "within a relative 1e-09" in line
    pd.testing.assert_frame_equal(read_runs(copy), reference)  # rewritten files read back the same
    a = an.analyze(copy, progress=False, figures=False)
    assert any("2 kinds of machine" in n["what"] and "skylake-avx512" in n["why"] for n in a.notes)


def test_a_folder_from_before_common_seeds_says_how_to_resume_it(tmp_path):
    path = write(tmp_path, SMALL_GRID.replace("replicates = 2", 'replicates = 2\nseeds = "independent"'))
    s = load_sweep(path)
    assert not s.common_seeds and s.seed_of(1, 1) == sweeps.run_seed(5, 1, 1) != sweeps.run_seed(5, 0, 1)
    out = sweeps.prepare(s, tmp_path / "out")
    manifest = json.loads((out / "sweep.json").read_text())
    del manifest["seeds"]  # as a sweep written before common random numbers
    (out / "sweep.json").write_text(json.dumps(manifest))
    sweeps.prepare(s, out)  # the same plan: independent seeds keep the id they had
    with pytest.raises(sweeps.SweepError, match=r'seeds independent there \(made before sweeps ran on common random '
                                                r'numbers\), common now; seeds = "independent" in the file resumes it'):
        sweeps.prepare(load_sweep(write(tmp_path, SMALL_GRID, "common.toml")), out)
