"""careersim: agent-based simulation of academic medicine careers under mentoring models.

Importing the package is cheap: the schema and the kernels load when first used, so the
command line can answer Ctrl-C even while the numerical libraries are still loading.
"""

from importlib.metadata import PackageNotFoundError, version

from . import _cache

_cache.ensure_fresh()  # before any kernel module is imported

try:
    __version__ = version("careersim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["Params", "ConfigError", "load_scenario", "__version__"]


def __getattr__(name: str):
    if name == "Params":
        from .params import Params

        return Params
    if name in ("ConfigError", "load_scenario"):
        from . import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
