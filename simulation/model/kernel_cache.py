"""Keep numba's on-disk kernel cache consistent with the source.

numba keys a cached kernel on its own file's timestamp only. A kernel that calls a
kernel from another module keeps the callee's old machine code after the callee's file
changes. So the package stamps its cache with a hash of all its source files and clears
the cache (this package's *.nbi / *.nbc files only) when the hash changes.

Importing the package does none of this: the command line calls `ensure_fresh()` once, in
the parent process, before any work starts (worker processes that import the package later
must not delete files another process may be loading). Library code and test sessions that
want the same guarantee call it themselves, once, before the first kernel runs.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CACHE = PACKAGE / "__pycache__"
STAMP = CACHE / "kernels.stamp"
LOCK = CACHE / "kernels.lock"


def source_hash() -> str:
    """A hash of every source file that defines or feeds kernels (those that mention njit)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        if b"njit" in text or b"intrinsic" in text:
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(text)
    return h.hexdigest()


def ensure_fresh() -> None:
    """Clear stale compiled kernels if any source file changed since they were cached.

    Called explicitly (the command line calls it once before work starts), never at import.
    Two processes that call it at once do not both clear: they take turns on a lock file, and
    the stamp is replaced in one step, so the second finds it current."""
    try:
        current = source_hash()
        if STAMP.exists() and STAMP.read_text() == current:
            return
        CACHE.mkdir(exist_ok=True)
        with open(LOCK, "a") as lock:
            _lock(lock)
            if STAMP.exists() and STAMP.read_text() == current:
                return  # another process cleared it while this one waited
            for f in list(PACKAGE.rglob("__pycache__/*.nbi")) + list(PACKAGE.rglob("__pycache__/*.nbc")):
                f.unlink(missing_ok=True)
            partial = STAMP.with_name(f"{STAMP.name}.{os.getpid()}")
            partial.write_text(current)
            os.replace(partial, STAMP)
    except OSError:
        pass  # a read-only install: numba then caches elsewhere, keyed per file


def _lock(fh) -> None:
    """An exclusive lock on an open file, released when it is closed (where the OS has one)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; the command line calls ensure_fresh once anyway
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def is_warm() -> bool:
    """Whether compiled kernels for the current source are cached (a run will not compile)."""
    try:
        return STAMP.exists() and STAMP.read_text() == source_hash() and any(PACKAGE.rglob("__pycache__/*.nbi"))
    except OSError:
        return False
