"""kith's private state inside the vault: the cache files under `.kith/cache/`.

This module owns the cache files and their headers: `index.marshal` (every note's
parsed record, encoded as `records` keeps it, with the stat key it was parsed from), `snapshot.marshal` (the vault
snapshot built from those records, encoded by `snapshot_cache`) and
`manifest.marshal` (the stat keys and problem counts the snapshot was built from,
read first so that a run where nothing changed loads nothing else). Files are
marshal dumps of plain tuples, which load faster than pickle or SQLite for this
shape, and are written atomically. The cache is disposable: a missing, stale,
corrupt or foreign-version file is simply ignored and rebuilt. It never writes a
user's note.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from . import __version__

CACHE_FORMAT = 5
CACHE_FILE = "index.marshal"
SNAPSHOT_FILE = "snapshot.marshal"
MANIFEST_FILE = "manifest.marshal"

# The modules that decide what a note parses to and what the snapshot holds. Their bytes
# are part of every header, so a changed kith invalidates the cache even when the
# version number did not move (an editable install, a development checkout).
_PARSING_MODULES = ("parse.py", "frontmatter.py", "dates.py", "textutil.py", "config.py",
                    "model.py", "cache.py", "vault.py", "links.py", "snapshot_cache.py",
                    "records.py")  # fmt: skip


def _code_stamp() -> str:
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _PARSING_MODULES:
        try:
            h.update((here / name).read_bytes())
        except OSError:  # e.g. only bytecode installed: the version number has to do
            h.update(name.encode())
    return h.hexdigest()[:16]


CODE_STAMP = _code_stamp()


def _kith_stamp() -> str:
    return f"{__version__}+{CODE_STAMP}"


def cache_path(state_dir: Path, name: str = CACHE_FILE) -> Path:
    return state_dir / "cache" / name


def read_cache_file(state_dir: Path, name: str, fingerprint: str) -> tuple[Any, Any] | None:
    """(extra header value, body) of a cache file written by this kith for this config,
    or None when it is missing, corrupt, foreign or stale."""
    try:
        with open(cache_path(state_dir, name), "rb") as f:
            data = f.read()
        # Loading builds millions of tuples and no cycles: the cyclic GC would walk them
        # all again and again (measured: ~1 s of a 1.4 s load at 110k notes).
        was = gc.isenabled()
        gc.disable()
        try:
            header, body = marshal.loads(data)
        finally:
            if was:
                gc.enable()
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(header, tuple) or len(header) != 4:
        return None
    if header[:3] != (CACHE_FORMAT, _kith_stamp(), fingerprint):
        return None
    return header[3], body


def write_cache_file(state_dir: Path, name: str, fingerprint: str, extra: Any, body: Any) -> None:
    """Write one cache file atomically; raises OSError when the vault is read-only or
    full, ValueError when the body holds something marshal cannot store."""
    payload = marshal.dumps(((CACHE_FORMAT, _kith_stamp(), fingerprint, extra), body))
    folder = state_dir / "cache"
    if state_dir.is_symlink() or folder.is_symlink():
        raise OSError(f"{folder} is a symbolic link; kith does not write through links")
    # Never `parents=True`: a vault that vanished meanwhile must not be recreated.
    state_dir.mkdir(exist_ok=True)
    folder.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kith-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            # No fsync: the cache is disposable, and a torn or empty one after a crash
            # fails to load and is rebuilt. (fsync of ~30 MB cost seconds per save.)
            f.write(payload)
        os.replace(tmp, folder / name)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_cache(state_dir: Path, fingerprint: str) -> tuple[int, dict[str, Any]]:
    """(written_ns, {path: (size, mtime_ns, ctime_ns, record_blob, is_usable_person)});
    empty when unusable. A blob is the marshal dump of the record's tuple (see `records`)."""
    found = read_cache_file(state_dir, CACHE_FILE, fingerprint)
    if found is None:
        return 0, {}
    written_ns, entries = found
    if not isinstance(written_ns, int) or not isinstance(entries, dict):
        return 0, {}
    return written_ns, entries


def save_cache(state_dir: Path, fingerprint: str, written_ns: int, entries: dict[str, Any]) -> None:
    """Write the record cache atomically; raises OSError when the vault is read-only or full."""
    write_cache_file(state_dir, CACHE_FILE, fingerprint, written_ns, entries)
