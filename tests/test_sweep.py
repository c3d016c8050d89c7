import pandas as pd
import pytest

from simulation.run.results import Result
from simulation.experiments.executors import RunSpec, is_complete, run_many

from .conftest import small


def _specs(tmp_path, n=3):
    return [RunSpec(small("network", "population.n_faculty=200", "horizon_years=4", seed=40 + k),
                    tmp_path / f"run{k}") for k in range(n)]


def _people(folders):
    return [Result.load(f).people for f in folders]


def test_processes_give_the_same_results_as_serial(tmp_path):
    serial = run_many(_specs(tmp_path / "a"), executor="serial", progress=False)
    parallel = run_many(_specs(tmp_path / "b"), executor="processes", workers=2, progress=False)
    for a, b in zip(_people(serial), _people(parallel)):
        pd.testing.assert_frame_equal(a, b)


def test_dask_executor_gives_the_same_results(tmp_path):
    pytest.importorskip("distributed")
    serial = run_many(_specs(tmp_path / "a", 2), executor="serial", progress=False)
    dask = run_many(_specs(tmp_path / "b", 2), executor="dask", workers=1, progress=False)
    for a, b in zip(_people(serial), _people(dask)):
        pd.testing.assert_frame_equal(a, b)


def test_finished_runs_are_skipped_and_changed_ones_rerun(tmp_path, monkeypatch):
    specs = _specs(tmp_path, 2)
    run_many(specs, executor="serial", progress=False)
    assert all(is_complete(s) for s in specs)
    import simulation.run.simulate as run_mod

    def boom(*a, **k):
        raise AssertionError("a finished run was run again")

    monkeypatch.setattr(run_mod, "simulate", boom)
    run_many(specs, executor="serial", progress=False)  # nothing to do
    changed = RunSpec(specs[0].params.model_copy(update={"seed": 99}), specs[0].out)
    assert not is_complete(changed)


def test_unknown_executor_is_refused(tmp_path):
    with pytest.raises(ValueError, match="serial, processes, dask"):
        run_many(_specs(tmp_path, 1), executor="threads")


def test_resuming_runs_made_by_another_version_says_so(tmp_path, capsys, monkeypatch):
    import json

    from simulation.util import progress

    monkeypatch.setattr(progress, "_stream", lambda: __import__("sys").stderr)
    specs = _specs(tmp_path, 2)
    run_many(specs, executor="serial", progress=False)
    manifest = specs[0].out / "manifest.json"
    data = json.loads(manifest.read_text())
    data["git_commit"] = "0123456789abcdef"  # as if an earlier careersim had made it
    manifest.write_text(json.dumps(data))
    run_many(specs, executor="serial", progress=True)
    err = capsys.readouterr().err
    assert "note: 1 finished runs kept from an earlier start were made by another version of careersim" in err
    run_many(specs[1:], executor="serial", progress=True)  # runs of this version: nothing said
    assert "another version" not in capsys.readouterr().err
