"""Rewrite every region of generated code from the declarations it is generated from
(codegen.py): `python -m simulation.model.regenerate`. Nothing imports this module."""

from __future__ import annotations

from simulation.model import state
from simulation.model.mentoring import registry


def main() -> None:
    changed = (["archive kernels"] if state.write_archive_kernels() else []) + registry.write_generated()
    print("regenerated: " + ", ".join(changed) if changed else "every generated region is fresh")


if __name__ == "__main__":
    main()
