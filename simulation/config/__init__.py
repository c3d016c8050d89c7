"""Configuration: the parameter schema, scenario files and the data files shipped with the package.

Imports nothing from the floors above (model, run, analysis, experiments) and no numba."""
