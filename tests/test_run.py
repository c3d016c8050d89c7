import json

import numpy as np
import pandas as pd
import pytest

from simulation.destination import DestinationError
from simulation.results import Result, run_id
from simulation.run import run, simulate

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
    init_a = a[a["initial"]].drop(columns=a.columns.difference(["person_key", "institution", "gender", "hire_month", "talent", "career_award"]))
    init_b = b[b["initial"]].drop(columns=b.columns.difference(["person_key", "institution", "gender", "hire_month", "talent", "career_award"]))
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
    assert {"careersim", "numpy", "numba", "mesa"} <= set(m["versions"])
    assert m["wall_seconds"] > 0 and m["run_id"] == run_id(r.params)
    assert "git_commit" in m


def test_run_writes_tables_and_manifest_that_load_back(tmp_path):
    result, folder = run(small("dyad", "horizon_years=3"), tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == [".careersim", "manifest.json", "people.parquet", "series.parquet",
                                                        "ties.parquet"]
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
    always = [c for c in s.columns if not c.startswith(("coverage_", "need_", "mean_load_", "mean_proteges_", "mean_hours"))]
    assert not s[always].isna().any().any()
    assert np.isfinite(s.select_dtypes("number").to_numpy(dtype=float)[:, :]).sum() > 0
    p = r.people
    for col in ("talent", "pubs", "hire_month", "end_month"):
        assert p[col].notna().all()


def test_thread_count_does_not_change_results():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one core")
    a = simulate(small("network_peers", seed=13), threads=1)
    b = simulate(small("network_peers", seed=13), threads=2)
    assert a.manifest["threads"] == 1 and b.manifest["threads"] == 2
    for name in ("series", "people", "ties"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
