"""Code generated from declarations, kept in the source files that use it.

Numba caches a compiled kernel by its source file, so a kernel that handles every declared
column or every registered model by name is generated as source text and written into its
module, between two marker lines, rather than built at run time. The generators live beside
what they generate (`state.archive_source`, `mentoring.registry.dispatch_source`,
`mentoring.consts.consts_source`, `mentoring.planner.planner_source`);
`python -m simulation.model.regenerate` rewrites every region, and tests check that each
region is what its declarations generate now (a stale region fails them).
"""

from __future__ import annotations

from pathlib import Path

PADDING = "\n\n"  # blank lines around a generated region's code
COMMAND = "python -m simulation.model.regenerate"


def markers(name: str) -> tuple[str, str]:
    """The lines that open and close the region `name` (built here, so that a module holding a
    region never spells its markers in a string of its own)."""
    return (f"# --- generated: {name} ({COMMAND}); do not edit ---",
            f"# --- end of generated {name} ---")


def _span(text: str, name: str) -> tuple[int, int]:
    begin, end = markers(name)
    lo = text.index("\n" + begin + "\n") + len(begin) + 2
    hi = text.index("\n" + end + "\n", lo - 1) + 1
    return lo, hi


def region(text: str, name: str) -> str:
    """The code of the region `name` in a source text, as written (the padding included).

    Parameters
    ----------
    text : str
        A module's source.
    name : str
        The region's name (its marker lines are `markers(name)`).

    Returns
    -------
    str
        The text between the marker lines.
    """
    lo, hi = _span(text, name)
    return text[lo:hi]


def expected(source: str) -> str:
    """What a region holds when it is fresh: the generated source, padded."""
    return PADDING + source + PADDING


def write(path: str | Path, name: str, source: str) -> bool:
    """Rewrite the region `name` of the file at `path` with `source`; returns whether it changed."""
    path = Path(path)
    text = path.read_text()
    lo, hi = _span(text, name)
    new = text[:lo] + expected(source) + text[hi:]
    if new == text:
        return False
    path.write_text(new)
    return True
