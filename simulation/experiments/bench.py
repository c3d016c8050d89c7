"""`careersim bench`: the speed and memory figures, measured on this machine.

Figures come from the code running now; nothing is typed in. Targets (docs/performance.md):
the default `careersim compare` <= 15 s warm and <= 90 s cold (an empty kernel cache), from
start to report, with its analysis and report <= 5 s; >= 10 M faculty-months/s single-threaded
(network, 10,000 faculty); 175,000 faculty x 40 years in <= 15 s including writing, <= 2 GB
peak memory; warm start <= 2 s; >= 400 runs/min on the sweep of 2,000-faculty 30-year runs.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

TARGETS = {
    "throughput_network_10k": 10e6,
    "big_run_seconds": 15.0,
    "big_run_rss_gb": 2.0,
    "warm_start_seconds": 2.0,
    "sweep_runs_per_minute": 400.0,
    "compare_warm_seconds": 15.0,
    "compare_cold_seconds": 90.0,
    "analysis_report_seconds": 5.0,
}

STARTUP = """
import time, json
t0 = time.perf_counter()
from simulation import load_scenario
from simulation.model.mesa_model import CareerModel
from simulation.model.recorder import Recorder
t1 = time.perf_counter()
p = load_scenario("network_peers", ["population.n_faculty=60", "population.n_institutions=2", "horizon_years=1"])
m = CareerModel(p)
r = Recorder(p.n_months)
for _ in range(2):
    m.step(); r.record(m, m.last_hired, m.last_exits, m.last_events)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "jit": t2 - t1}))
"""

THROUGHPUT = """
import json, sys, time
from simulation import load_scenario
from simulation.model.mesa_model import CareerModel
from simulation.model.recorder import Recorder
from simulation.run.simulate import numba_threads
scenario, n, months, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
p = load_scenario(scenario, [f"population.n_faculty={n}", f"population.n_institutions={max(1, n // 1130)}",
                             f"horizon_years={months // 12 + 2}"], seed=11)
with numba_threads(threads):
    m = CareerModel(p)
    r = Recorder(p.n_months)
    for _ in range(3):  # load kernels, settle month 0
        m.step(); r.record(m, m.last_hired, m.last_exits, m.last_events)
    fm = 0
    t = time.perf_counter()
    for _ in range(months):
        fm += int(m.n_active)
        m.step(); r.record(m, m.last_hired, m.last_exits, m.last_events)
    dt = time.perf_counter() - t
print(json.dumps({"faculty_months": fm, "seconds": dt}))
"""

BIG_RUN = """
import json, resource, sys, time
t0 = time.perf_counter()
from simulation import load_scenario
from simulation.run.simulate import run
n, out = int(sys.argv[1]), sys.argv[2]
p = load_scenario("network", [f"population.n_faculty={n}", f"population.n_institutions={max(1, n // 1130)}"], seed=7)
result, folder = run(p, out)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "phase_seconds": result.manifest["phase_seconds"],
                  "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "people": len(result.people), "ties": len(result.ties)}))
"""

SWEEP = """
import json, sys, time, shutil
from pathlib import Path
from simulation import load_scenario
from simulation.experiments.executors import RunSpec, run_many
n_runs, out = int(sys.argv[1]), Path(sys.argv[2])
specs = [RunSpec(load_scenario("network", ["population.n_faculty=2000", "horizon_years=30"], seed=100 + k),
                 out / f"run{k:04d}") for k in range(n_runs)]
run_many(specs[:2], progress=False)  # start the workers and load the kernels
t = time.perf_counter()
run_many(specs, progress=False)
dt = time.perf_counter() - t
print(json.dumps({"runs": n_runs, "seconds": dt, "workers": __import__("os").cpu_count()}))
"""


def _python(code: str, *args: str, env: dict | None = None, timeout: float = 3600) -> dict:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _compare(out: Path, env: dict | None = None, timeout: float = 3600) -> dict:
    """The README's main command, `careersim compare` (the default comparison), as a user runs
    it: a new process, from start to report; wall time, and the stages' times it records."""
    import time

    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "simulation", "compare", "--out", str(out)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=timeout)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed: careersim compare:\n{proc.stderr[-2000:]}")
    meta = json.loads((out / "comparison.json").read_text())
    # the decomposition of the gender gaps (on by default) reruns the reference once per mechanism and replicate
    reruns = sum(not m["already_off"] for m in (meta.get("decomposition") or {}).values()) * meta["replicates"]
    ensemble = meta.get("ensemble") or {}
    return {"wall": wall, **meta["seconds"], "decomposition_runs": reruns, "scenarios": len(meta["scenarios"]),
            "runs_per_scenario": meta["replicates"], "members": ensemble.get("members"),
            "seeds_per_member": ensemble.get("seeds_per_member")}


def _reruns(r: dict) -> str:
    n = r.get("decomposition_runs")
    return f", and {n} reruns of the reference for the decomposition of the gender gaps" if n else ""


def _compare_line(label: str, r: dict, target: float) -> str:
    from simulation.experiments.compare import DEFAULT_REPLICATES, DEFAULT_SCENARIOS

    after = r["analysis"] + r["figures_and_report"]
    runs = r.get("runs_per_scenario", DEFAULT_REPLICATES)
    how = (f" ({r['members']} ensemble members x {r['seeds_per_member']} seeds)" if r.get("members") else
           " (the point calibration)")
    return (f"default comparison (careersim compare: {r.get('scenarios', len(DEFAULT_SCENARIOS))} scenarios x "
            f"{runs} runs{how}{_reruns(r)}), {label}: {r['wall']:.1f} s start to "
            f"report (target <= {target:g} s); runs {r['runs']:.1f} s, analysis {r['analysis']:.1f} s, figures and "
            f"report {r['figures_and_report']:.1f} s; analysis and report {after:.1f} s "
            f"(target <= {TARGETS['analysis_report_seconds']:g} s)")


def _fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M"


def bench(quick: bool = False, out=print) -> dict:
    """Run the benchmark and print each figure as it is measured; return them all."""
    import numba

    from simulation import __version__

    figures: dict = {"version": __version__, "cores": os.cpu_count(), "python": platform.python_version(),
                     "numba": numba.__version__, "quick": quick}
    out(f"careersim {__version__} benchmark{' (quick)' if quick else ''}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numba {numba.__version__}, {platform.machine()}")

    # the main job: the default comparison, cold (an empty kernel cache: compile, then run) and warm
    if quick:
        out("default comparison (careersim compare): skipped with --quick (it runs the main job twice, once compiling)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            cold = _compare(Path(tmp) / "cold", env={"NUMBA_CACHE_DIR": str(Path(tmp) / "kernels")})
            figures["compare_cold"] = cold
            out(_compare_line("cold (empty kernel cache)", cold, TARGETS["compare_cold_seconds"]))
            warm = _compare(Path(tmp) / "warm")
            figures["compare_warm"] = warm
            out(_compare_line("warm", warm, TARGETS["compare_warm_seconds"]))

    # start-up: cold (an empty kernel cache) and warm (the cache present)
    with tempfile.TemporaryDirectory() as cache:
        if quick:  # the package's own kernel cache, filled by the first call if it is empty
            env = {}
            out("start-up, cold (empty kernel cache): skipped with --quick "
                "(it compiles every kernel, about two minutes)")
            _python(STARTUP)
        else:
            env = {"NUMBA_CACHE_DIR": cache}
            cold = _python(STARTUP, env=env)
            figures["cold"] = cold
            out(f"start-up, cold (empty kernel cache): import {cold['import']:.2f} s, JIT compile {cold['jit']:.1f} s")
        warm = _python(STARTUP, env=env)
        figures["warm"] = warm
        total = warm["import"] + warm["jit"]
        out(f"start-up, warm (kernels cached):      import {warm['import']:.2f} s, load kernels {warm['jit']:.2f} s, "
            f"total {total:.2f} s (target <= {TARGETS['warm_start_seconds']:g} s)")
        figures["warm_start_seconds"] = total

    # single-threaded throughput of the full monthly step (phases 1-7)
    sizes = [(1_000, 240), (10_000, 120)] if quick else [(1_000, 480), (10_000, 240), (100_000, 36)]
    figures["throughput"] = {}
    for scenario in ("network", "dyad"):
        for n, months in sizes:
            r = _python(THROUGHPUT, scenario, str(n), str(months), "1")
            rate = r["faculty_months"] / r["seconds"]
            figures["throughput"][f"{scenario}_{n}"] = rate
            target = (f" (target >= {_fmt_rate(TARGETS['throughput_network_10k'])}/s)"
                      if scenario == "network" and n == 10_000 else "")
            out(f"throughput, 1 thread, {scenario:7s} {n:>7,d} faculty: {_fmt_rate(rate)} faculty-months/s{target}")
    threads = os.cpu_count() or 1
    if threads > 1:
        r = _python(THROUGHPUT, "network", "10000", str(sizes[1][1]), str(threads))
        figures["throughput"]["network_10000_all_threads"] = r["faculty_months"] / r["seconds"]
        out(f"throughput, {threads} threads, network  10,000 faculty: "
            f"{_fmt_rate(r['faculty_months'] / r['seconds'])} faculty-months/s")

    # the same step without the JIT, in the same invocation
    r_py = _python(THROUGHPUT, "network", "200", "3", "1", env={"NUMBA_DISABLE_JIT": "1"}, timeout=1800)
    r_jit = _python(THROUGHPUT, "network", "200", "3", "1")
    py_rate, jit_rate = r_py["faculty_months"] / r_py["seconds"], r_jit["faculty_months"] / r_jit["seconds"]
    figures["no_jit"] = {"no_jit": py_rate, "jit": jit_rate, "speedup": jit_rate / py_rate}
    out(f"NUMBA_DISABLE_JIT=1 (network, 200 faculty, 3 months): {py_rate:,.0f} faculty-months/s; "
        f"with the JIT {jit_rate:,.0f}/s: speed-up x{jit_rate / py_rate:,.0f}")

    # the whole of US academic medicine (--quick: a tenth of it, the same figures)
    with tempfile.TemporaryDirectory() as tmp:
        n_big, n_small = (20_000, 2_000) if quick else (175_000, 10_000)
        if quick:
            out("175,000 faculty x 40 years: skipped with --quick (run `careersim bench`); the same figures at 20,000:")
        big = _python(BIG_RUN, str(n_big), str(Path(tmp) / "big"))
        figures["big_run"] = big
        target = (f" (target <= {TARGETS['big_run_seconds']:g} s at 175,000)",
                  f" (target <= {TARGETS['big_run_rss_gb']:g} GB)")
        out(f"{n_big:,d} faculty x 40 years, network, start to results on disk: {big['wall']:.1f} s"
            f"{target[0] if not quick else ''}, peak memory {big['rss_gb']:.2f} GB{target[1] if not quick else ''}; "
            f"{big['people']:,d} people, {big['ties']:,d} ties")
        phases = by_phase(big["phase_seconds"])
        total = sum(phases.values())
        out("  share of run time by phase: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in phases.items()))
        small = _python(BIG_RUN, str(n_small), str(Path(tmp) / "small"))
        out(f"  cost per faculty-month by phase, {n_small:,d} -> {n_big:,d} faculty (all threads): " + ", ".join(
            f"{k} {1e9 * small['phase_seconds'][k] / (480 * n_small):.0f} -> {1e9 * v / (480 * n_big):.0f} ns"
            for k, v in phases.items() if k in small["phase_seconds"]))

        # a sweep on all cores
        n_runs = 20 if quick else 200
        sweep = _python(SWEEP, str(n_runs), str(Path(tmp) / "sweep"))
        per_min = 60 * sweep["runs"] / sweep["seconds"]
        figures["sweep_runs_per_minute"] = per_min
        out(f"sweep, {n_runs} runs of 2,000 faculty x 30 years on {sweep['workers']} cores: {per_min:.0f} runs/min "
            f"(target >= {TARGETS['sweep_runs_per_minute']:g})")
    return figures


def by_phase(seconds: dict[str, float]) -> dict[str, float]:
    """A run's phase timings in the order the month runs them: the model's phases (mesa_model.PHASES),
    then the recorder and the tables (and anything else the manifest holds, after them)."""
    from simulation.model.mesa_model import PHASE_NAMES

    order = [k for k in (*PHASE_NAMES, "record", "tables") if k in seconds]
    return {k: seconds[k] for k in order + [k for k in seconds if k not in order]}


def write_record(path: Path, lines: list[str], quick: bool) -> None:
    """Put the printed figures, with the command and date, into a Markdown file's generated:bench block."""
    import re
    from datetime import UTC, datetime

    command = "careersim bench" + (" --quick" if quick else "")
    block = (f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `{command}`:\n\n```\n"
             + "\n".join(lines) + "\n```")
    path = Path(path)
    text = path.read_text() if path.exists() else "<!-- generated:bench -->\n<!-- /generated:bench -->\n"
    if "<!-- generated:bench -->" not in text:
        text += "\n<!-- generated:bench -->\n<!-- /generated:bench -->\n"
    pattern = re.compile(r"(<!-- generated:bench -->\n).*?(\n?<!-- /generated:bench -->)", re.DOTALL)
    from simulation.util.destination import write_text

    write_text(path, pattern.sub(lambda m: m.group(1) + block + "\n<!-- /generated:bench -->", text))


def check_record(path: Path) -> None:
    """Refuse, before minutes of benchmarking, a --record target that is not a text file (or a new one)."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ValueError(f"--record {path}: is not a file; give a Markdown file (it gets a generated:bench block)")
    if path.exists():
        try:
            path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--record {path}: cannot be read as text ({exc}); give a Markdown file") from None
    elif not path.parent.is_dir():
        raise ValueError(f"--record {path}: the folder {path.parent} does not exist")
