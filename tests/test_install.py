"""The package as users install it, and what importing it does (nothing but define names).

The install tests build careersim into fresh virtual environments (non-editable, as
`pip install .` does, and editable) and run the command line from a folder outside the
repository. The environments take the project's dependencies from the environment running the
tests (the one the README's install made), never from the base interpreter's site-packages,
which on a fresh machine hold none of them; the build runs without isolation, and setuptools is
added to the environment only when the running one's is too old to build the wheel (that needs
the package index).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
TINY = ["--set", "population.n_faculty=60", "--set", "population.n_institutions=2", "--set", "horizon_years=1"]


def _env(**extra: str) -> dict[str, str]:
    """The environment for a child process: nothing that points it at the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def _run(args: list, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(**env), capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def _source_copy(dest: Path) -> Path:
    """What a build reads from the repository (no caches, no build leftovers), in `dest`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "*.stamp", "*.lock", "*.egg-info")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("simulation", "scenarios"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


def _build_requirement() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"][0]


def _project_site_dirs() -> list[str]:
    """The site-packages of the environment running the tests: where the README's install put the
    project's dependencies (in a virtual environment, not the base interpreter's)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _venv(path: Path) -> Path:
    """A fresh virtual environment that sees the running environment's packages after its own; its
    python.

    Not `--system-site-packages`: that would show the *base* interpreter's site-packages, which the
    README's install never touches (a fresh machine's holds none of the dependencies). A .pth file
    appends the running environment's site-packages to the new one's path instead; .pth files in
    those folders are not read, so the running environment's editable careersim stays out of it."""
    _run([sys.executable, "-m", "venv", "--without-pip", path], cwd=path.parent)
    python = path / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          env=_env(), cwd=path.parent, capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz_careersim_test_dependencies.pth").write_text("\n".join(_project_site_dirs()) + "\n")
    # pip from the running environment installs into the environment that runs it; a
    # setuptools that has bdist_wheel built in (70.1) builds without the separate `wheel`
    check = ("import setuptools, sys; v = tuple(int(x) for x in setuptools.__version__.split('.')[:2]); "
             "sys.exit(v < (70, 1))")
    if subprocess.run([python, "-c", check], env=_env(), cwd=path.parent).returncode != 0:
        r = subprocess.run([python, "-m", "pip", "install", "--quiet", f"{_build_requirement()},>=70.1"],
                           env=_env(), cwd=path.parent, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.skip(f"cannot install setuptools into the test environment (no package index?):\n{r.stderr[-2000:]}")
    return python


def _where(python: Path, cwd: Path) -> dict:
    code = ("import json, simulation, sysconfig; from simulation.config.resources import scenario_dir; "
            "print(json.dumps({'file': simulation.__file__, 'purelib': sysconfig.get_paths()['purelib'], "
            "'scenarios': str(scenario_dir())}))")
    return json.loads(_run([python, "-c", code], cwd=cwd).stdout)


def _listed(stdout: str) -> list[str]:
    return sorted(line.split()[0] for line in stdout.splitlines() if line.strip())


def test_a_non_editable_install_finds_its_scenarios_and_runs(tmp_path):
    src = _source_copy(tmp_path / "src")
    python = _venv(tmp_path / "venv")
    dist = tmp_path / "dist"
    _run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, src], cwd=tmp_path)
    (wheel,) = dist.glob("careersim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"simulation/config/scenarios/{s}.toml" for s in SHIPPED} <= names
    assert {"simulation/config/targets.toml", "simulation/config/calibration.json"} <= names
    # every module of the source tree is in the wheel (a sub-package missing from pyproject's list
    # would otherwise be found through the running environment's editable install and go unnoticed here)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "simulation").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", wheel], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"  # not the repository: nothing there can shadow the install
    elsewhere.mkdir()
    where = _where(python, elsewhere)
    purelib = Path(where["purelib"])
    assert Path(where["file"]).is_relative_to(purelib), where  # the venv's copy, not the running env's editable one
    assert Path(where["scenarios"]) == purelib / "simulation" / "config" / "scenarios", where

    careersim = tmp_path / "venv" / "bin" / "careersim"
    listed = _run([careersim, "list"], cwd=elsewhere).stdout
    assert _listed(listed) == SHIPPED, listed
    assert _run([careersim, "validate", "network"], cwd=elsewhere).stdout.startswith("ok: network: network model")
    r = subprocess.run([careersim, "validate", "nope"], cwd=elsewhere, env=_env(), capture_output=True, text=True)
    assert r.returncode == 2 and "Known scenarios: " + ", ".join(SHIPPED) in r.stderr, r.stderr
    assert _run([careersim, "params"], cwd=elsewhere).stdout.count(
        "calibrated: simulation/config/calibration.json") >= 10

    # plain Python kernels: the point is the installed files, not minutes of compiling
    out = tmp_path / "r"
    _run([careersim, "run", "network", *TINY, "--out", out, "--quiet"], cwd=elsewhere, NUMBA_DISABLE_JIT="1")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "network" and manifest["params"]["population"]["n_faculty"] == 60
    assert Path(manifest["scenario_file"]).is_relative_to(purelib)
    assert not (elsewhere / "results").exists() and not list(elsewhere.iterdir())


def test_an_editable_install_reads_the_top_level_scenarios_folder(tmp_path):
    src = _source_copy(tmp_path / "src")
    python = _venv(tmp_path / "venv")
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", src], cwd=tmp_path)
    # a scenario the user adds to the top-level folder is one of the scenarios at once
    (src / "scenarios" / "my_own.toml").write_text('# Mine?\nextends = "network"\n')

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _where(python, elsewhere)
    assert Path(where["file"]) == src / "simulation" / "__init__.py", where
    assert Path(where["scenarios"]) == src / "scenarios", where
    assert not (src / "simulation" / "config" / "scenarios").exists()  # one copy of each scenario file

    careersim = tmp_path / "venv" / "bin" / "careersim"
    assert _listed(_run([careersim, "list"], cwd=elsewhere).stdout) == sorted([*SHIPPED, "my_own"])
    assert _run([careersim, "validate", "my_own"], cwd=elsewhere).stdout.startswith("ok: my_own: network model")


# --- importing does nothing but define names ------------------------------------------------

def test_importing_reads_no_calibration_record():
    code = textwrap.dedent("""
        import sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and
                         str(args[0]).endswith("calibration.json") else None)
        import simulation, simulation.config.params, simulation.config.scenario
        import simulation.experiments.calibration, simulation.cli
        assert opened == [], opened
        assert simulation.config.params.calibration_record.cache_info().currsize == 0
        p = simulation.config.params.Params()  # the defaults need it: read now, once
        assert len(opened) == 1 and simulation.config.params.calibration_record.cache_info().currsize == 1, opened
        record = simulation.config.params.calibration_record()
        assert p.exits.hazard_initial == record["estimates"]["exits.hazard_initial"]
        assert simulation.config.params.calibrated_source().startswith(
            "calibrated: simulation/config/calibration.json (")
        assert simulation.config.params.RECORD_FILE.name == "calibration.json"
        simulation.config.params.describe(), simulation.config.scenario.load_scenario("network")
        assert len(opened) == 1, opened
    """)
    _run([sys.executable, "-c", code], cwd=ROOT)


def test_kernel_field_names_match_a_made_params():
    from simulation.config.params import Params
    from simulation.model.kernel_params import DERIVED, KernelParams, _flatten

    # the names are worked out from the schema, so that import needs no Params
    assert KernelParams._fields == tuple(sorted({*_flatten(Params()), *DERIVED}))


def test_importing_deletes_no_kernel_cache_and_the_command_line_clears_it(tmp_path):
    # a private copy of the package, so that the stale files and stamp are its own
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "simulation", pkg / "simulation",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    shutil.copytree(ROOT / "scenarios", pkg / "scenarios")
    cache = pkg / "simulation" / "model" / "__pycache__"
    cache.mkdir()
    stale = [cache / "kernels.old_kernel-1.py311.nbi", cache / "kernels.old_kernel-1.py311.1.nbc"]
    for f in stale:
        f.write_bytes(b"stale")
    (cache / "kernels.stamp").write_text("a hash of other sources")

    code = textwrap.dedent(f"""
        import pathlib, simulation
        assert (pathlib.Path(simulation.__file__).parent
                == pathlib.Path({str(pkg / "simulation")!r})), simulation.__file__
        import simulation.model.kernel_cache, simulation.config.params, simulation.config.scenario
        import simulation.cli, simulation.run.simulate
        assert simulation.model.kernel_cache.CACHE == pathlib.Path({str(cache)!r})
    """)
    _run([sys.executable, "-c", code], cwd=tmp_path, PYTHONPATH=str(pkg))
    assert all(f.exists() for f in stale)
    assert (cache / "kernels.stamp").read_text() == "a hash of other sources"

    # the command line clears them, once, before it works
    r = _run([sys.executable, "-m", "simulation", "list"], cwd=tmp_path, PYTHONPATH=str(pkg))
    assert "network" in r.stdout
    assert not any(f.exists() for f in stale)
    assert (cache / "kernels.stamp").read_text() != "a hash of other sources"
