"""A run's result on disk: three Parquet tables and a manifest, written atomically.

    <run dir>/manifest.json    resolved parameters, seed, versions, git commit, wall time
    <run dir>/series.parquet   one row per month: model-level quantities
    <run dir>/people.parquet   one row per person ever present
    <run dir>/ties.parquet     one row per mentoring tie (peer ties: one row per direction)

A run directory is written under a temporary name and renamed when complete, so an
interrupted run leaves nothing that looks finished; careersim writes only into new folders
or run folders it wrote itself (see `destination`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.util import destination
from simulation.config.params import Params

TABLES = ("series", "people", "ties")


@dataclass
class Result:
    """The tables of one run, with the manifest that says how they were made."""

    series: pd.DataFrame
    people: pd.DataFrame
    ties: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> Params:
        return Params.model_validate(self.manifest["params"])

    def save(self, folder: str | Path, source: str = "output folder") -> Path:
        """Write the tables and manifest to `folder`, never losing or half-writing anything.

        The folder must be new, empty, or a run folder careersim wrote (`destination.check`).
        A new folder appears whole, by one rename. Into an existing run folder the files are
        renamed one by one, the manifest last (it says the run is complete), so an interrupted
        save looks unfinished; files a user put beside them are kept.
        """
        folder = Path(folder)
        destination.check(folder, "run", source)
        tmp = destination.temp_folder(folder)
        try:
            for name in TABLES:
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str) + "\n")
            (tmp / destination.MARKER).write_text(destination.marker_text("run"))
            try:
                os.rename(tmp, folder)  # a new (or empty) folder appears whole
                return folder
            except OSError:
                if not folder.is_dir():
                    raise
            # an existing run folder (or one another process saved meanwhile): the manifest
            # goes first and comes back last, so the folder never looks complete while mixed
            os.replace(tmp / destination.MARKER, folder / destination.MARKER)
            (folder / "manifest.json").unlink(missing_ok=True)
            for name in TABLES:
                os.replace(tmp / f"{name}.parquet", folder / f"{name}.parquet")
            os.replace(tmp / "manifest.json", folder / "manifest.json")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Result:
        """Read a run that `save` (or `careersim run --out`) wrote.

        Parameters
        ----------
        folder : str or Path
            A run folder: manifest.json beside series, people and ties as Parquet.

        Returns
        -------
        Result
            The three tables and the manifest (resolved parameters, seed, versions and machine).

        Raises
        ------
        FileNotFoundError
            When the folder holds no manifest.json (not a run, or an unfinished one)."""
        folder = Path(folder)
        if not (folder / "manifest.json").exists():
            raise FileNotFoundError(f"{folder}: not a run directory (no manifest.json)")
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        manifest = json.loads((folder / "manifest.json").read_text())
        return cls(**tables, manifest=manifest)


def params_hash(params: Params) -> str:
    text = json.dumps(params.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def run_id(params: Params) -> str:
    """Deterministic: the same resolved scenario and seed always map to the same folder."""
    return f"seed{params.seed}-{params_hash(params)}"


def default_run_dir(params: Params, root: str | Path = "results") -> Path:
    return Path(root) / params.name / run_id(params)


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the source tree this package runs from, '+dirty' if modified."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
            capture_output=True, text=True, timeout=5,
        )
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    import mesa
    import numba
    import numpy

    from simulation import __version__

    return (
        ("careersim", __version__),
        ("python", sys.version.split()[0]),
        ("numpy", numpy.__version__),
        ("numba", numba.__version__),
        ("mesa", mesa.__version__),
        ("pandas", pd.__version__),
        ("platform", platform.platform()),
    )


def versions() -> dict[str, str]:
    """Versions of this package, Python and the libraries that shape results, and the machine
    they ran on (`machine()`), cached per process."""
    return dict(_versions()) | machine()


@functools.lru_cache(maxsize=1)
def _machine() -> tuple[tuple[str, str], ...]:
    import llvmlite
    import numba
    from llvmlite import binding
    from numpy._core import _multiarray_umath as umath

    # the target numba compiles kernels for: NUMBA_CPU_NAME / NUMBA_CPU_FEATURES when set (as for a
    # cache shared by different nodes), else the host's own processor
    name = numba.config.CPU_NAME or binding.get_host_cpu_name()
    features = numba.config.CPU_FEATURES if numba.config.CPU_NAME else binding.get_host_cpu_features().flatten()
    # numpy's vector loops chosen at run time (NPY_DISABLE_CPU_FEATURES switches some off)
    simd = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
    return (
        ("cpu", _cpu_model()),
        ("kernel_target", name),
        ("kernel_features", hashlib.sha256((features or "").encode()).hexdigest()[:12]),
        ("numpy_simd", " ".join(simd)),
        ("llvmlite", llvmlite.__version__),
    )


def machine() -> dict[str, str]:
    """The processor a run ran on and what its numbers may depend on: the CPU model, the target
    numba compiled the kernels for (name and a hash of its feature list), numpy's dispatched
    vector extensions and llvmlite's version. Results are identical bit for bit when these agree;
    across them, the README's reproducibility guarantee says what is equal."""
    return dict(_machine())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
