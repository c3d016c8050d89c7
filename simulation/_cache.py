"""Keep numba's on-disk kernel cache consistent with the source.

numba keys a cached kernel on its own file's timestamp only. A kernel that calls a
kernel from another module keeps the callee's old machine code after the callee's file
changes. So the package stamps its cache with a hash of all its source files and clears
the cache (this package's *.nbi / *.nbc files only) when the hash changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CACHE = PACKAGE / "__pycache__"
STAMP = CACHE / "kernels.stamp"


def source_hash() -> str:
    """A hash of every source file that defines or feeds kernels (those that mention njit)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_bytes()
        if b"njit" in text or b"intrinsic" in text or path.name == "params.py":
            h.update(path.name.encode())
            h.update(text)
    return h.hexdigest()


def ensure_fresh() -> None:
    """Clear stale compiled kernels if any source file changed since they were cached."""
    try:
        current = source_hash()
        if STAMP.exists() and STAMP.read_text() == current:
            return
        CACHE.mkdir(exist_ok=True)
        for f in list(CACHE.glob("*.nbi")) + list(CACHE.glob("*.nbc")):
            f.unlink(missing_ok=True)
        STAMP.write_text(current)
    except OSError:
        pass  # a read-only install: numba then caches elsewhere, keyed per file


def is_warm() -> bool:
    """Whether compiled kernels for the current source are cached (a run will not compile)."""
    try:
        return STAMP.exists() and STAMP.read_text() == source_hash() and any(CACHE.glob("*.nbi"))
    except OSError:
        return False
