"""Analysis: the outcome registry, statistics, figures, reports and the ODD generator.

Reads results (tables on disk or in memory); imports no numba and runs no simulation."""
