import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simulation.util.destination import DestinationError
from simulation.run.results import Result, run_id
from simulation.run.simulate import run, simulate

from .conftest import small, small_result


def test_same_scenario_and_seed_give_identical_tables():
    a = simulate(small("network_peers", seed=11))
    b = simulate(small("network_peers", seed=11))
    for name in ("series", "people", "ties"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    c = simulate(small("network_peers", seed=12))
    assert not c.people["pubs"].equals(a.people["pubs"])


def _first_hires(people: pd.DataFrame) -> pd.DataFrame:
    hires = people[~people["initial"]].sort_values("person_key")
    return hires[["person_key", "institution", "gender", "career_award", "talent"]].reset_index(drop=True)


@pytest.mark.parametrize("other", ["network", "committee", "network_peers", "peer"])
def test_common_random_numbers_same_people_across_models(other):
    a = small_result("dyad", seed=21).people
    b = small_result(other, seed=21).people
    init_a = a[a["initial"]].drop(columns=a.columns.difference(["person_key", "institution", "gender", "hire_month",
                                                                "talent", "career_award"]))
    init_b = b[b["initial"]].drop(columns=b.columns.difference(["person_key", "institution", "gender", "hire_month",
                                                                "talent", "career_award"]))
    pd.testing.assert_frame_equal(init_a.reset_index(drop=True), init_b.reset_index(drop=True))
    ha, hb = _first_hires(a), _first_hires(b)
    common = ha.merge(hb, on="person_key", suffixes=("_a", "_b"))
    assert len(common) > 0.8 * min(len(ha), len(hb))
    for col in ("institution", "gender", "career_award", "talent"):
        assert (common[f"{col}_a"] == common[f"{col}_b"]).all(), col


def test_manifest_carries_parameters_seed_and_versions():
    r = small_result("network")
    m = r.manifest
    assert m["seed"] == 3 and m["params"]["mentoring"]["model"] == "network"
    assert {"careersim", "numpy", "numba", "mesa", "llvmlite", "python"} <= set(m["versions"])
    # and the machine: what a float may depend on across processors (README, "What is identical where")
    assert {"cpu", "kernel_target", "kernel_features", "numpy_simd"} <= set(m["versions"])
    assert m["versions"]["cpu"] and m["versions"]["kernel_target"]
    assert m["wall_seconds"] > 0 and m["run_id"] == run_id(r.params)
    assert "git_commit" in m


def test_the_manifest_names_the_target_the_kernels_were_compiled_for():
    code = "import json; from simulation.run.results import machine; print(json.dumps(machine()))"
    # the host as a process that emulates no other processor sees it (the tests may run under an emulation)
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NPY_DISABLE_CPU_FEATURES", "GLIBC_TUNABLES")}
    host = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     check=True).stdout)
    env.update(NUMBA_CPU_NAME="generic", NPY_DISABLE_CPU_FEATURES=host["numpy_simd"])
    other = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True).stdout)
    assert other["kernel_target"] == "generic" != host["kernel_target"]
    assert other["kernel_features"] != host["kernel_features"]
    assert other["numpy_simd"] == "" and other["cpu"] == host["cpu"]


def test_run_writes_tables_and_manifest_that_load_back(tmp_path):
    result, folder = run(small("dyad", "horizon_years=3"), tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == [".careersim", "manifest.json", "people.parquet",
                                                        "series.parquet", "ties.parquet"]
    back = Result.load(folder)
    pd.testing.assert_frame_equal(back.people, result.people)
    assert json.loads((folder / "manifest.json").read_text())["scenario"] == "dyad"
    assert not list(tmp_path.glob(".*"))  # no temporary folders left behind
    with pytest.raises(DestinationError, match="careersim did not write it"):  # a user's folder is refused
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "notes.txt").write_text("x")
        run(small("dyad", "horizon_years=3"), tmp_path / "mine")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    r = small_result("dyad")
    target = tmp_path / "run"
    calls = {"n": 0}
    original = pd.DataFrame.to_parquet

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(KeyboardInterrupt):
        r.save(target)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_tables_have_no_missing_values_where_none_are_allowed():
    r = small_result("network_peers")
    s = r.series
    always = [c for c in s.columns
              if not c.startswith(("coverage_", "need_", "mean_load_", "mean_proteges_", "mean_hours"))]
    assert not s[always].isna().any().any()
    assert np.isfinite(s[always].to_numpy(dtype=float)).all()
    # the columns that may be missing are means over a group (a rank, a career stage, the
    # mentors): at 400 faculty no group is ever empty, so they are all there too
    assert np.isfinite(s.to_numpy(dtype=float)).all()
    shares = [c for c in s.columns if c.startswith(("share_", "coverage_"))]
    assert len(shares) == 7 + 15
    assert ((s[shares] >= 0) & (s[shares] <= 1)).all().all()
    counts = [c for c in s.columns if c.startswith("n_") or c == "pubs"]
    assert (s[counts] >= 0).all().all() and all(s[c].dtype == np.int64 for c in counts)
    means = [c for c in s.columns if c.startswith(("need_", "mean_"))]
    assert (s[means] >= 0).all().all()
    p = r.people
    for col in ("talent", "pubs", "hire_month", "end_month"):
        assert p[col].notna().all()
    assert np.isfinite(p["talent"]).all() and (p["talent"] > 0).all()
    assert (p["end_month"] >= np.maximum(p["hire_month"], 0)).all() and (p["end_month"] <= len(s)).all()


def test_series_columns_agree_with_each_other_and_with_the_people_table():
    r = small_result("network_peers")
    s, p = r.series, r.people
    ranks = {rank: s[f"n_{rank}_women"] + s[f"n_{rank}_men"] for rank in ("assistant", "associate", "full")}
    assert (s["n_active"] == ranks["assistant"] + ranks["associate"] + ranks["full"]).all()
    assert (s["n_proteges"] == ranks["assistant"] + ranks["associate"]).all()
    # head count: last month's, plus this month's hires, minus this month's exits (recorded after exits)
    exits = s["n_left"] + s["n_failed_review"] + s["n_retired"]
    previous = s["n_active"].shift(1, fill_value=int(p["initial"].sum()))
    assert (s["n_active"] == previous + s["n_hired"] - exits).all()
    # hires and exits by month, as the people table has them
    months = len(s)
    hires = p[~p["initial"]]
    assert np.array_equal(np.bincount(hires["hire_month"], minlength=months), s["n_hired"])
    for col, reason in (("n_left", "left academia"), ("n_failed_review", "failed review"), ("n_retired", "retired")):
        left = p[p["exit_reason"] == reason]
        assert np.array_equal(np.bincount(left["exit_month"].astype(int), minlength=months), s[col]), col
    assert exits.sum() == (~p["censored"]).sum() > 0
    assert (s.loc[1:, "n_promoted_full"].sum()
            == ((p["month_full"] >= 1) & (p["month_full"] < months)).sum() > 0)
    # means and counts of the same ties
    assert np.allclose(s["mean_mentors"] * s["n_proteges"], s["n_mentor_ties"])
    assert (s["load_p25"] <= s["load_median"]).all() and (s["load_median"] <= s["load_p75"]).all()
    for rank in ("assistant", "associate", "full"):  # a load counts faculty proteges and trainees
        assert (s[f"mean_proteges_{rank}"] <= s[f"mean_load_{rank}"] + 1e-12).all()
    assert (s["mean_proteges_assistant"] == 0).all()  # assistant professors mentor no faculty
    assert (s["mean_peers"].iloc[12:] > 0).all()


def test_thread_count_does_not_change_results():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one core")
    a = simulate(small("network_peers", seed=13), threads=1)
    b = simulate(small("network_peers", seed=13), threads=2)
    assert a.manifest["threads"] == 1 and b.manifest["threads"] == 2
    for name in ("series", "people", "ties"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
