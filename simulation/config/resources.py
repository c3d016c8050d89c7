"""Where the package's own data files are, in a source tree and in an installed copy.

The calibration targets (`targets.toml`) and record (`calibration.json`) live in the package.
The shipped scenarios live in the top-level `scenarios/` folder of the source tree, the folder
users add their own scenario files to; `pip install -e .` reads them there. A wheel
(`pip install .`) carries them inside the package as `simulation/config/scenarios/`: pyproject.toml
maps the sub-package `simulation.config.scenarios` onto the top-level folder and ships its *.toml as
package data, so the repository holds one copy of each file.

Nothing here reads a file at import: the scenario folder is looked up on first use.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(str(resources.files(__package__))).resolve()
TARGETS_FILE = PACKAGE_DIR / "targets.toml"
RECORD_FILE = PACKAGE_DIR / "calibration.json"
SOURCE_SCENARIOS = PACKAGE_DIR.parent.parent / "scenarios"  # a source tree's (and an editable install's) folder
INSTALLED_SCENARIOS = PACKAGE_DIR / "scenarios"  # the copy a non-editable install carries


@functools.cache
def scenario_dir() -> Path:
    """The folder of the shipped scenarios: the copy inside an installed package if there is
    one, else the source tree's top-level `scenarios/` (a checkout or an editable install)."""
    return INSTALLED_SCENARIOS if INSTALLED_SCENARIOS.is_dir() else SOURCE_SCENARIOS
