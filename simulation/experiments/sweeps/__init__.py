"""Parameter sweeps and sensitivity analysis: a sweep file in, one Parquet dataset out.

A sweep file (TOML, in sweeps/) names a base scenario, the parameters that vary and how
(`values`, or `low`/`high` with a `distribution`), a design (grid, Latin hypercube, Sobol or
Morris), replicates per point and, optionally, several mentoring models compared at every
point on the same seeds. `careersim sweep FILE` runs it on local processes, a Dask cluster
or SLURM, in tasks of `[run] batch` runs, and writes

    <out>/sweep.json                         what was swept, how, with which versions
    <out>/design.parquet                     one row per design point: point, one float64
                                             column per parameter (SALib's sample order)
    <out>/runs/shard=<k>/task-<t:05d>.parquet   one file per finished task: one row per
                                             point x replicate x model x group

`shard=<k>`: k is the shard that ran the task (`--shard k/N`, 1-based), 0 for a run without
`--shard`. A task is finished when its file exists in any shard folder, so a local run, N shard
runs, or a mix of both write the same set of rows, and a re-run does only what is missing.

Run seeds: numpy `SeedSequence(entropy=seed, spawn_key=(0, replicate))`, its first 64-bit word
shifted right by 2 (a scenario seed is below 2**62): common random numbers, replicate r runs on
the same seed at every design point, so a parameter that does nothing changes nothing and the
indices measure the model, not the dice (`seeds = "independent"` in the file: spawn_key=(point,
replicate), a seed per point). Every model at a point and replicate gets the same seed, so
models are paired. Run r (point-major, then replicate, then model) belongs
to task r // batch; task t belongs to shard (t mod N) + 1 of N.

Calibration (`calibration = "point"`, the default, or `"ensemble"` in the file; `--calibration`
overrides it): "point" runs every point at the package's point defaults; "ensemble" runs
replicate r of every point on member r mod M of the installed record's calibrated ensemble (M
members, `config.params.ensemble_members()`), its values applied at the level of the defaults
(`load_scenario(base=member)`: the base scenario, [fixed], --set and the swept parameters still
win), so every point faces the same members (paired; the run seeds are as in a point sweep).
The rows then get a `member` column (after `replicate`) and sweep.json the calibration mode and
the members' values; the plan id changes with them (a point sweep's id is as before).

Integer parameters: a sampled value u in [0, 1] maps to floor(low + u (high + 1 - low)), capped
at high (uniform: every integer from low to high equally likely; loguniform: the same on a log
scale over [low, high + 1)).

The package, one concept a module (each imports only those above it in this list):

    schema      the sweep file: what may be swept, the pydantic schema, the one-line messages
    design      design points (grid, LHS, Sobol', Morris) and run seeds
    load        `load_sweep`: a file validated and resolved into a `Sweep`
    tasks       a task (a batch of runs in one worker) and its Parquet file
    slurm       the job-array script and the slurm executor's [cluster] settings
    execution   `run_sweep`, the output folder, shards, `read_runs`, `status`
    ema         `model(**kwargs)`: one run as a function, for the EMA Workbench

This package runs sweeps; `simulation.analysis.sweep_analysis` (also with a `Sweep`, a
`SweepError` and a `load_sweep`) reads a finished sweep's folder for `careersim analyze`.
"""

from __future__ import annotations

from simulation.experiments.sweeps.design import Parameter, make_design, run_seed
from simulation.experiments.sweeps.ema import model
from simulation.experiments.sweeps.execution import (SweepRun, default_out, ensemble_manifest, format_status, manifest,
                                                     plan_id, prepare, read_runs, run_sweep, shard_tasks, status)
from simulation.experiments.sweeps.load import MAX_RUNS, Sweep, SweepError, list_sweeps, load_sweep, resolve_sweep_path
from simulation.experiments.sweeps.schema import (CALIBRATIONS, DEFAULT_BATCH, KINDS, MAX_BYTES, MAX_LINES, NO_ENSEMBLE,
                                                  SWEEP_DIR, ClusterSpec, DesignSpec, Knob, ParameterSpec, RunSpecFile,
                                                  SweepFile, default_outcomes, horizon_errors, outcome_names, settable,
                                                  sweepable, years_needed)
from simulation.experiments.sweeps.slurm import (BASE_MEMORY_MB, BIG_RUN_CORES, DEFAULT_MAX_SHARDS, MEMORY_MARGIN,
                                                 array_resources, cluster_settings, cluster_threads, default_shards,
                                                 job_array_script, launcher, slurm_settings)
from simulation.experiments.sweeps.tasks import (ENSEMBLE_KEY_COLUMNS, KEY_COLUMNS, STATUS, Task, biggest_params,
                                                 finished_tasks, make_task, overrides, read_task_record, rows_frame,
                                                 run_outcomes, run_task, task_path, task_record, write_task_file)

__all__ = [
    "BASE_MEMORY_MB",
    "BIG_RUN_CORES",
    "CALIBRATIONS",
    "ClusterSpec",
    "DEFAULT_BATCH",
    "DEFAULT_MAX_SHARDS",
    "DesignSpec",
    "ENSEMBLE_KEY_COLUMNS",
    "KEY_COLUMNS",
    "KINDS",
    "Knob",
    "MAX_BYTES",
    "MAX_LINES",
    "MAX_RUNS",
    "MEMORY_MARGIN",
    "NO_ENSEMBLE",
    "Parameter",
    "ParameterSpec",
    "RunSpecFile",
    "STATUS",
    "SWEEP_DIR",
    "Sweep",
    "SweepError",
    "SweepFile",
    "SweepRun",
    "Task",
    "array_resources",
    "biggest_params",
    "cluster_settings",
    "cluster_threads",
    "default_out",
    "default_outcomes",
    "default_shards",
    "ensemble_manifest",
    "finished_tasks",
    "format_status",
    "horizon_errors",
    "job_array_script",
    "launcher",
    "list_sweeps",
    "load_sweep",
    "make_design",
    "make_task",
    "manifest",
    "model",
    "outcome_names",
    "overrides",
    "plan_id",
    "prepare",
    "read_runs",
    "read_task_record",
    "resolve_sweep_path",
    "rows_frame",
    "run_outcomes",
    "run_seed",
    "run_sweep",
    "run_task",
    "settable",
    "shard_tasks",
    "slurm_settings",
    "status",
    "sweepable",
    "task_path",
    "task_record",
    "write_task_file",
    "years_needed",
]
