"""Where careersim may write: new folders, or folders it wrote itself. Nothing else.

Every command that takes `--out` checks its destination *before* any simulation starts:

- a folder that does not exist yet is fine, if it can be created (probed, nothing is left);
- an empty folder is fine (there is nothing in it to lose);
- a folder careersim wrote is fine for the same kind of output: it carries a marker file
  (`.careersim`, naming the kind), or, for folders written before markers existed, a file
  only careersim writes, with the keys careersim puts in it (a run's `manifest.json`, a
  comparison's `comparison.json`, a calibration record, a sweep's `sweep.json`);
- anything else (a file, a folder holding other things, a careersim folder of another kind,
  a place where folders cannot be created) is refused with one line that says why and what
  to do, and nothing is written.

A re-run into careersim's own folder replaces only careersim's own files; anything a user
put beside them stays. Files are written under a temporary name in the same folder and
renamed into place, so a crash or an interruption never leaves a half-written file under the
real name. Temporary names carry the host and process id, so a later run can tell leftovers
of a process that died from the work of one still running, and removes only the former.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

MARKER = ".careersim"
TMP_TAG = ".careersim-tmp."

# the kinds of folder careersim writes (a marker names one)
KINDS = ("run", "comparison", "calibration", "history match", "patterns", "sweep")
# what identifies a folder written before markers existed: a JSON file careersim writes, with
# every one of these keys (a generic file name with a common key is not enough: a user's own
# manifest.json or check.csv must never be taken for careersim's)
LEGACY_SIGN: dict[str, tuple[str, tuple[str, ...]]] = {
    "run": ("manifest.json", ("run_id", "params", "versions", "phase_seconds")),
    "comparison": ("comparison.json", ("scenarios", "reference", "replicates", "run_ids")),
    "calibration": ("record.json", ("estimates", "loss_before", "loss_after")),
    "sweep": ("sweep.json", ("plan_id", "design", "sweep_file")),
}


class DestinationError(ValueError):
    """An output folder careersim may not write to; the message says why and what to do."""


def kind_of(folder: Path) -> str | None:
    """Which kind of careersim output `folder` holds, or None if careersim did not write it."""
    marker = folder / MARKER
    if marker.is_file():
        try:
            kind = json.loads(marker.read_text()).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind in KINDS:
            return kind
    for kind, (name, keys) in LEGACY_SIGN.items():
        sign = folder / name
        if sign.is_file():
            try:
                if set(keys) <= set(json.loads(sign.read_text())):
                    return kind
            except (OSError, ValueError, TypeError):
                pass
    return None


def _nearest_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return Path(path.anchor or ".")


def check(folder: str | Path, kind: str, source: str = "--out") -> Path:
    """Refuse a destination careersim may not write `kind` output to. Creates nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    folder = Path(folder)
    shown = f"{source} {folder}"
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise DestinationError(f"{shown}: is a file, not a folder; careersim writes a folder of results and "
                                   "never replaces a file. Give a folder name that does not exist yet")
        try:
            owner = kind_of(folder)
            entries = sorted(p.name for p in folder.iterdir())
        except OSError as exc:
            raise DestinationError(f"{shown}: cannot read the folder ({exc.strerror}); choose another folder") from None
        if owner == kind or not entries:
            return folder
        if owner is not None:
            raise DestinationError(f"{shown}: holds a careersim {owner}, not a {kind}; give a folder that does not "
                                   "exist yet, or one written by the same command")
        listed = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise DestinationError(f"{shown}: the folder exists and careersim did not write it (it holds {listed}); "
                               "careersim writes only into new folders or its own. Give a folder name that does "
                               "not exist yet")
    base = _nearest_existing(folder.parent if str(folder.parent) else Path("."))
    if not base.is_dir():
        raise DestinationError(f"{shown}: {base} is a file, so no folder can be made below it; choose another place")
    try:  # can folders be created there? (the probe is removed at once)
        os.rmdir(tempfile.mkdtemp(prefix=".careersim-probe-", dir=base))
    except OSError as exc:
        raise DestinationError(f"{shown}: cannot create a folder in {base} ({exc.strerror or exc}); choose a "
                               "writable place") from None
    return folder


def claim(folder: str | Path, kind: str, source: str = "--out") -> Path:
    """Check the destination, create it if need be and mark it as careersim's `kind` output."""
    folder = check(folder, kind, source)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / MARKER).is_file():
        write_text(folder / MARKER, marker_text(kind))
    return folder


def marker_text(kind: str) -> str:
    return json.dumps({"tool": "careersim", "kind": kind}) + "\n"


def _tmp_prefix(name: str) -> str:
    return f".{name}{TMP_TAG}{socket.gethostname()}.{os.getpid()}."


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def readable(path: str | Path, folder: bool = False) -> None:
    """The permissions a plain open() or mkdir() would give (mkstemp gives 0600, mkdtemp 0700,
    which would hide results from a group on a shared cluster)."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def write_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write `path` atomically: `write(tmp)` writes a temporary file beside it, then a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path.name), dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_file(path, lambda tmp: tmp.write_text(text))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_file(path, lambda tmp: tmp.write_bytes(data))


def write_parquet(frame, path: str | Path) -> Path:
    return write_file(path, lambda tmp: frame.to_parquet(tmp, index=False))


def temp_folder(folder: Path) -> Path:
    """A fresh temporary folder beside `folder`, named so that leftovers can be recognised."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(folder.name), dir=folder.parent))
    readable(tmp, folder=True)
    return tmp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(folders: Iterable[str | Path]) -> list[Path]:
    """Remove temporary files and folders that a careersim process on this host left behind
    when it died (its process id is gone); those of running processes are left alone."""
    host = socket.gethostname()
    removed = []
    for folder in {Path(f) for f in folders}:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if TMP_TAG not in name or not name.startswith("."):
                continue
            rest = name.split(TMP_TAG, 1)[1]
            try:
                entry_host, pid_text, _ = rest.rsplit(".", 2) if rest.count(".") >= 2 else (None, None, None)
                pid = int(pid_text)
            except (TypeError, ValueError):
                continue
            if entry_host != host or _alive(pid):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
