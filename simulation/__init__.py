"""careersim: agent-based simulation of academic medicine careers under mentoring models."""

from importlib.metadata import PackageNotFoundError, version

from . import _cache

_cache.ensure_fresh()  # before any kernel module is imported

try:
    __version__ = version("careersim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

from .params import Params  # noqa: E402
from .scenario import ConfigError, load_scenario  # noqa: E402

__all__ = ["Params", "ConfigError", "load_scenario", "__version__"]
