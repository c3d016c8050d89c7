"""Rewrite every region of generated code from the declarations it is generated from
(codegen.py): `python -m simulation.model.regenerate`. Nothing imports this module.

One region feeds another (the models' state columns, copied into model/state.py, are archived by
kernels generated from state.py's declarations), so after a pass that changed anything the
command runs again in a fresh interpreter, until a pass changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys

from simulation.model import state
from simulation.model.mentoring import registry

MAX_PASSES = 4


def main() -> int:
    passes = int(os.environ.get("CAREERSIM_REGENERATE_PASS", "1"))
    changed = registry.write_generated() + (["archive kernels"] if state.write_archive_kernels() else [])
    if not changed:
        print("every generated region is fresh")
        return 0
    print("regenerated: " + ", ".join(changed))
    if passes >= MAX_PASSES:
        print(f"still changing after {passes} passes: a generator is not deterministic", file=sys.stderr)
        return 1
    env = {**os.environ, "CAREERSIM_REGENERATE_PASS": str(passes + 1)}
    return subprocess.call([sys.executable, "-m", "simulation.model.regenerate"], env=env)


if __name__ == "__main__":
    sys.exit(main())
