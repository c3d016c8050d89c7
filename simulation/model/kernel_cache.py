"""Keep numba's on-disk kernel cache consistent with the source.

numba keys a cached kernel on its own file's timestamp only. A kernel that calls a
kernel from another module keeps the callee's old machine code after the callee's file
changes. So the package stamps its cache with a hash of all its source files and clears
the cache (this package's *.nbi / *.nbc files only) when the hash changes. With NUMBA_CACHE_DIR
set, the stamp and the files cleared are numba's folders for this package there.

Kernels compiled for different CPU targets live side by side in one cache: numba keys each on
the target's name and features, so nodes of different kinds sharing a cache each load their own.

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
CACHE = PACKAGE / "__pycache__"  # where numba caches this folder's kernels, unless NUMBA_CACHE_DIR is set


def cache_folder(source_folder: Path) -> Path:
    """Where numba keeps the kernels compiled from one source folder: its `__pycache__`, or with
    NUMBA_CACHE_DIR set (a cache shared by cluster nodes, say) numba's own folder for it there,
    named after the folder and a hash of its absolute path (numba's `get_suitable_cache_subpath`)."""
    root = os.environ.get("NUMBA_CACHE_DIR")
    if not root:
        return source_folder / "__pycache__"
    path = os.path.abspath(source_folder)
    return Path(root) / f"{os.path.split(path)[-1]}_{hashlib.sha1(path.encode()).hexdigest()}"


def _cache_folders() -> list[Path]:
    return sorted({cache_folder(p.parent) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts})


def _stamp() -> Path:
    return cache_folder(PACKAGE) / "kernels.stamp"


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
    stamp = _stamp()
    try:
        current = source_hash()
        if stamp.exists() and stamp.read_text() == current:
            return
        stamp.parent.mkdir(parents=True, exist_ok=True)
        with open(stamp.with_name("kernels.lock"), "a") as lock:
            _lock(lock)
            if stamp.exists() and stamp.read_text() == current:
                return  # another process cleared it while this one waited
            for folder in _cache_folders():
                for f in [*folder.glob("*.nbi"), *folder.glob("*.nbc")]:
                    f.unlink(missing_ok=True)
            partial = stamp.with_name(f"{stamp.name}.{os.getpid()}")
            partial.write_text(current)
            os.replace(partial, stamp)
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
    stamp = _stamp()
    try:
        return (stamp.exists() and stamp.read_text() == source_hash()
                and any(any(folder.glob("*.nbi")) for folder in _cache_folders()))
    except OSError:
        return False
