"""careersim: agent-based simulation of academic medicine careers under mentoring models.

Importing the package is cheap and does nothing but define names: the schema, the kernels
and the calibration record load when first used, so the command line can answer Ctrl-C even
while the numerical libraries are still loading. Stale compiled kernels are cleared by the
command line (`_cache.ensure_fresh()`, once, before work starts), not by importing.
"""

from functools import cache
from importlib.metadata import PackageNotFoundError, version

__all__ = ["Params", "ConfigError", "load_scenario", "__version__"]


@cache
def _version() -> str:
    try:
        return version("careersim")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0.0.0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        return _version()
    if name == "Params":
        from simulation.config.params import Params

        return Params
    if name in ("ConfigError", "load_scenario"):
        from simulation.config import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
