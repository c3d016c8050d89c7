"""The model core: state columns, random streams, the kernel parameters, the monthly phases
(numba kernels over arrays), observation, the Mesa model and its agent views.

Imports only `config` and `util`. Importing the package imports none of its modules."""
