"""Analysis: the outcome registry, statistics (comparisons' intervals, gender gaps, sensitivity
indices), figures and reports. The ODD's generated tables are made by `simulation.odd`, at the top.

Reads results (tables on disk or in memory); imports no numba and runs no simulation."""
