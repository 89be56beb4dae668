"""repmon's cache folder: data derived from model files, kept on disk so the next process starts fast.

What is cached is never the truth, only a faster form of it: a file that cannot be read or
written is rebuilt from its sources, and a cache folder that cannot be created makes every
load build again (slower, never wrong). The folder is ``$REPMON_CACHE_DIR``, else
``$XDG_CACHE_HOME/repmon``, else ``~/.cache/repmon``.

:func:`cached` keys an entry on its sources' paths, sizes and modification times (and the
parameters the caller passes), so a retrained model or an upgraded dictionary is never read
stale. Entries are marshal files: loading one is a single ``marshal.loads``, several times
faster than parsing the JSON or rescanning the text it came from, and floats round-trip
exactly, so scores from a cache are bit-identical to scores without it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from monitor.gcpause import gc_paused

T = TypeVar("T")
ENV = "REPMON_CACHE_DIR"
# Entries kept per name: the bundled models and a few trained ones. Older ones (models
# trained and thrown away, in tests for instance) are removed, so the folder stays small.
KEEP = 6


def cache_dir() -> Path | None:
    """The cache folder, created on first use; None when it cannot be created."""
    configured = os.environ.get(ENV)
    if configured:
        folder = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "repmon"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _digest(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def entry_path(folder: Path, name: str, sources: Iterable[Path], params: Any = ()) -> Path:
    """Where the entry for these sources lives: ``<name>-<which files>-<their state>.marshal``.

    The middle part names the source files and parameters, the last their sizes and
    modification times; a new state of the same files replaces the old entry."""
    paths = [Path(p).resolve() for p in sources]
    stats = [(p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
    return folder / f"{name}-{_digest(paths, params)}-{_digest(stats)}.marshal"


def cached(name: str, sources: Iterable[Path], build: Callable[[], T], params: Any = ()) -> T:
    """``build()``'s result, read from the cache when an entry for these sources exists,
    else built and written there. The result must be marshal-able (dicts, lists, tuples,
    str, int, float, bool, None); ``params`` (a repr-able value) is part of the key."""
    with gc_paused():  # model data: many objects, all long-lived (see monitor.gcpause)
        return _cached(name, list(sources), build, params)


def _cached(name: str, sources: list[Path], build: Callable[[], T], params: Any) -> T:
    folder = cache_dir()
    if folder is None:
        return build()
    path = entry_path(folder, name, sources, params)
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass  # absent or unreadable: build it again
    else:
        _touch(path)  # recently used: kept by _prune
        return value
    value = build()
    write_atomically(path, marshal.dumps(value))
    _prune(folder, name, path)
    return value


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(folder: Path, name: str, written: Path) -> None:
    """Remove the earlier states of the files just cached (never read again), and all but
    the :data:`KEEP` most recently used entries of ``name``."""
    same_files = written.name.rsplit("-", 1)[0] + "-"
    entries = []
    for entry in folder.glob(f"{name}-*.marshal"):
        if entry == written:
            continue
        try:
            if entry.name.startswith(same_files):
                entry.unlink()
            else:
                entries.append((entry.stat().st_mtime, entry))
        except OSError:
            pass  # another process removed it first
    for _, entry in sorted(entries, reverse=True)[KEEP - 1:]:
        entry.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a reader never sees half a
    file; a folder that is not writable is left alone (the next process builds again)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
