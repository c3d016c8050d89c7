"""The reproducibility guarantee across processors, emulated on this one (README, "What is identical where").

Every mentoring model runs a small institution in child processes that see another processor:
- numpy with its run-time vector loops switched off (`NPY_DISABLE_CPU_FEATURES`: no AVX-512, no
  AVX2, as on an older x86): the run's tables must be identical bit for bit, since no float of a
  run goes through numpy's vector loops;
- an older processor altogether: numpy as above, the kernels compiled by numba for generic
  x86-64 (`NUMBA_CPU_NAME=generic`) and the C library's maths without its FMA and AVX2 variants
  (`GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,...`): the people, ties and counts identical, every
  float within the guarantee's relative tolerance.

The same processes share one kernel cache (`NUMBA_CACHE_DIR`), as SLURM nodes of different kinds
on one shared home do: each target compiles its own kernels once and afterwards loads them, and
never one compiled for another target (numba keys each cached kernel on the target's name and
features).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.run.reproducibility import RTOL, check

from .every_model import CASES, TABLES, run_every_model, tables

SIZE = ["population.n_faculty=300", "population.n_institutions=3", "horizon_years=12"]


EMULATION = ("NPY_DISABLE_CPU_FEATURES", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "GLIBC_TUNABLES")


def _host_env() -> dict[str, str]:
    """This environment without any emulation of another processor (the tests may run under one)."""
    return {k: v for k, v in os.environ.items() if k not in EMULATION}


def _numpy_off() -> str:
    """numpy's dispatched vector extensions this processor has, as a process that switches none off
    sees them (the value of NPY_DISABLE_CPU_FEATURES that switches them all off)."""
    code = ("from numpy._core import _multiarray_umath as u; "
            "print(' '.join(f for f in u.__cpu_dispatch__ if u.__cpu_features__.get(f)))")
    return subprocess.run([sys.executable, "-c", code], env=_host_env(), capture_output=True, text=True,
                          check=True).stdout.strip()


OLD_GLIBC = "glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA,-FMA4"


def _cache_files(cache: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(cache)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc")}


def _run(out: Path, cache: Path, **env: str) -> dict:
    out.mkdir()
    return run_every_model(out, SIZE, 11, {**_host_env(), "NUMBA_CACHE_DIR": str(cache), **env})


@pytest.fixture(scope="module")
def processors(tmp_path_factory):
    """Runs of every model as four processes see them, in the order a shared cache meets them."""
    root = tmp_path_factory.mktemp("processors")
    cache = root / "shared-cache"
    cache.mkdir()
    runs, cache_after = {}, {}
    old = dict(NPY_DISABLE_CPU_FEATURES=_numpy_off(), NUMBA_CPU_NAME="generic", GLIBC_TUNABLES=OLD_GLIBC)
    plan = [("old", old), ("host", {}),
            ("host, numpy without vector loops", {"NPY_DISABLE_CPU_FEATURES": _numpy_off()}), ("old again", old)]
    for name, env in plan:
        machine = _run(root / name.replace(" ", "_").replace(",", ""), cache, **env)
        runs[name] = (root / name.replace(" ", "_").replace(",", ""), machine)
        cache_after[name] = _cache_files(cache)
    return runs, cache_after


def test_numpy_vector_loops_do_not_change_a_run(processors):
    runs, _ = processors
    (host, m_host), (plain, m_plain) = runs["host"], runs["host, numpy without vector loops"]
    assert m_plain["numpy_simd"] == "" and m_host["numpy_simd"] == _numpy_off()
    for i, (scenario, sets) in enumerate(CASES):
        for t, frame in tables(host, i).items():
            pd.testing.assert_frame_equal(frame, tables(plain, i)[t], check_exact=True, obj=f"{scenario} {sets} {t}")


def test_an_older_processor_gives_the_same_people_and_floats_within_the_guarantee(processors):
    runs, _ = processors
    (host, m_host), (old, m_old) = runs["host"], runs["old"]
    assert m_old["kernel_target"] == "generic" and m_old["kernel_target"] != m_host["kernel_target"]
    floats_differing = 0
    for i, (scenario, sets) in enumerate(CASES):
        got, want = tables(old, i), tables(host, i)
        for t in TABLES:
            diffs = check(got[t], want[t], f"{scenario} {sets} {t}: generic target, old C library vs host")
            # people, ties, every integer and category identical (check() requires it); report the floats
            assert all(d.n_different == 0 for d in diffs if d.kind == "exact")
            floats_differing += sum(d.n_different for d in diffs if d.kind == "float")
            assert max((d.max_relative for d in diffs), default=0.0) <= RTOL
        assert len(got["people"]) > 100 and (len(got["ties"]) > 0) == (scenario != "none")
    print(f"older processor vs host: {floats_differing} float values differ in their last bits, all within {RTOL:g}")


def test_a_shared_kernel_cache_serves_each_target_its_own_kernels(processors):
    runs, after = processors
    first, host, plain, again = (after[k] for k in ("old", "host", "host, numpy without vector loops", "old again"))
    assert first, "the first process cached no kernels"
    # the host target compiled its own kernels beside the generic ones (new entries, nothing loaded
    # from the other target) ...
    assert set(host) > set(first), "the host process added no kernels of its own to the shared cache"
    # ... and afterwards each target loads its own: no file is written or rewritten
    assert plain == host, "the host process compiled again instead of loading its kernels"
    assert again == plain, "the generic process compiled again instead of loading its kernels"
    # loaded kernels compute what freshly compiled ones did, for each target
    for i in range(len(CASES)):
        for t in TABLES:
            pd.testing.assert_frame_equal(tables(runs["old again"][0], i)[t], tables(runs["old"][0], i)[t],
                                          check_exact=True)
    assert np.all([runs[k][1]["kernel_target"] == "generic" for k in ("old", "old again")])


def test_the_stale_kernel_guard_follows_numba_cache_dir(tmp_path, monkeypatch):
    """With NUMBA_CACHE_DIR set (a cache on a shared filesystem), a source change clears the stale
    kernels there, in the folders numba itself uses, and nothing else."""
    from numba.core.caching import _CacheLocator

    from simulation.model import kernel_cache

    pkg = tmp_path / "model"
    (pkg / "mentoring").mkdir(parents=True)
    (pkg / "a.py").write_text("from numba import njit\n")
    (pkg / "mentoring" / "b.py").write_text("from numba import njit\n")
    shared = tmp_path / "shared"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(shared))
    monkeypatch.setattr(kernel_cache, "PACKAGE", pkg)
    for source in (pkg / "a.py", pkg / "mentoring" / "b.py"):
        numba_folder = shared / _CacheLocator.get_suitable_cache_subpath(str(source))
        assert kernel_cache.cache_folder(source.parent) == numba_folder
    stale = [kernel_cache.cache_folder(pkg) / "a.k-1.py311.nbi", kernel_cache.cache_folder(pkg) / "a.k-1.py311.1.nbc",
             kernel_cache.cache_folder(pkg / "mentoring") / "b.k-1.py311.nbi"]
    other = shared / "elsewhere_0123" / "x.k-1.py311.nbi"  # another package's kernels in the same cache
    for f in [*stale, other]:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"compiled")
    kernel_cache.ensure_fresh()  # no stamp yet: the sources may have changed since
    assert not any(f.exists() for f in stale) and other.exists()
    assert (kernel_cache.cache_folder(pkg) / "kernels.stamp").read_text() == kernel_cache.source_hash()
    assert not (pkg / "__pycache__").exists()  # the package's own folder is not where this cache lives
    for f in stale:
        f.write_bytes(b"compiled")
    kernel_cache.ensure_fresh()  # same sources: kept
    assert all(f.exists() for f in stale) and kernel_cache.is_warm()
    (pkg / "a.py").write_text("from numba import njit  # changed\n")
    kernel_cache.ensure_fresh()
    assert not any(f.exists() for f in stale) and other.exists()
