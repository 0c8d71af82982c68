"""Put rendered outputs on disk, atomically, with a manifest.

Every file is written to a temporary name in its final folder and renamed into place, so a crash
or a kill never leaves a torn file, and a file that did not change is not rewritten (its bytes
and mtime stay).  ``manifest.json`` is written last and lists each file's kind, colourway,
sha256, pixel size and dpi, sorted by path, with no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from teeprint.errors import TeeprintError
from teeprint.pipeline import Output

MANIFEST = "manifest.json"


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process's file-creation mask (read from /proc where there is one: setting and
    restoring the mask to read it would race with other threads creating files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Suffix of the temporary files :func:`atomic_write` renames into place.
TMP_SUFFIX = ".tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(folder: Path) -> list[Path]:
    """Remove temporary files left in ``folder`` by a writer that was killed (``kill -9``
    mid-write): their name carries the writer's process id, which no longer runs."""
    removed: list[Path] = []
    try:
        names = list(folder.glob(f".*{TMP_SUFFIX}"))
    except OSError:
        return removed
    for tmp in names:
        parts = tmp.name[: -len(TMP_SUFFIX)].split(".")
        pid = parts[-2] if len(parts) >= 3 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a render folder while its manifest is read, merged and
    rewritten, so two renders into one folder keep each other's entries."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # the folder itself: no lock file
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file and rename; return False if unchanged."""
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX,
                                   dir=path.parent)
    except OSError as exc:
        msg = f"{path.parent}: cannot write here ({exc.strerror}); choose another --out"
        raise TeeprintError(msg) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; files get the usual mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        msg = (f"{path}: cannot write ({exc.strerror}); free some space or choose another "
               "--out")
        raise TeeprintError(msg) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def manifest_entry(out: Output) -> dict[str, Any]:
    """The manifest record of one output."""
    entry: dict[str, Any] = {
        "path": out.path,
        "kind": out.kind,
        "colorway": out.colorway,
        "sha256": sha256(out.data),
        "bytes": len(out.data),
        "width": out.width,
        "height": out.height,
        "dpi": out.dpi,
    }
    entry.update(out.extra)
    return entry


def read_manifest(folder: Path) -> dict[str, Any]:
    """A specimen folder's manifest, or an empty one."""
    path = folder / MANIFEST
    if not path.is_file():
        return {"outputs": []}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"outputs": []}
    return data if isinstance(data, dict) and isinstance(data.get("outputs"), list) else {"outputs": []}


def write_outputs(folder: Path, outputs: Iterable[Output], extra: dict[str, Any] | None = None) -> list[Path]:
    """Write outputs into ``folder`` and merge them into its manifest.

    Earlier manifest entries for files this run did not produce are kept while the file is still
    there, so rendering one colourway does not forget the others.
    """
    outs = list(outputs)
    written: list[Path] = []
    for out in outs:
        atomic_write(folder / out.path, out.data)
        written.append(folder / out.path)
    fresh = {o.path: manifest_entry(o) for o in outs}
    try:
        with folder_lock(folder):
            _merge_manifest(folder, fresh, extra)
    except OSError as exc:
        msg = f"{folder}: cannot write here ({exc.strerror}); choose another --out"
        raise TeeprintError(msg) from None
    return written


def _merge_manifest(folder: Path, fresh: dict[str, Any], extra: dict[str, Any] | None) -> None:
    """Merge this run's entries into the folder's manifest (the caller holds the lock)."""
    sweep_orphans(folder)
    old = read_manifest(folder)
    merged = {e["path"]: e for e in old["outputs"]
              if isinstance(e, dict) and "path" in e and (folder / e["path"]).is_file()}
    merged.update(fresh)
    manifest: dict[str, Any] = {"outputs": [merged[k] for k in sorted(merged)]}
    if extra:
        manifest.update(extra)
    text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(folder / MANIFEST, text.encode("utf-8"))
