"""Experiments: executors (local, Dask, SLURM), comparisons, calibration, patterns, sweeps
and the benchmark. Each runs many simulations and hands the tables to `analysis`."""
