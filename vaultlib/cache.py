"""kith's private state inside the vault: the index cache under `.kith/cache/`.

This module owns the cache file format (a marshal dump of plain tuples, which
loads faster than pickle or SQLite for this shape) and writing it atomically.
The cache is disposable: a missing, stale, corrupt or foreign-version cache
is simply ignored and rebuilt. It never writes a user's note.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from . import __version__

CACHE_FORMAT = 3
CACHE_FILE = "index.marshal"

# The modules that decide what a note parses to. Their bytes are part of the cache
# header, so a changed kith invalidates the cache even when the version number did not
# move (an editable install, a development checkout).
_PARSING_MODULES = ("parse.py", "frontmatter.py", "dates.py", "textutil.py", "config.py",
                    "model.py", "cache.py")  # fmt: skip


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


def cache_path(state_dir: Path) -> Path:
    return state_dir / "cache" / CACHE_FILE


def load_cache(state_dir: Path, fingerprint: str) -> tuple[int, dict[str, Any]]:
    """(written_ns, {path: (size, mtime_ns, ctime_ns, record_tuple)}); empty when unusable."""
    path = cache_path(state_dir)
    try:
        with open(path, "rb") as f:
            data = f.read()
        header, entries = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return 0, {}
    if not isinstance(header, tuple) or len(header) != 4:
        return 0, {}
    if header[:3] != (CACHE_FORMAT, _kith_stamp(), fingerprint) or not isinstance(header[3], int):
        return 0, {}
    if not isinstance(entries, dict):
        return 0, {}
    return header[3], entries


def save_cache(state_dir: Path, fingerprint: str, written_ns: int, entries: dict[str, Any]) -> None:
    """Write the cache atomically; raises OSError when the vault is read-only or full."""
    folder = state_dir / "cache"
    if state_dir.is_symlink() or folder.is_symlink():
        raise OSError(f"{folder} is a symbolic link; kith does not write through links")
    # Never `parents=True`: a vault that vanished meanwhile must not be recreated.
    state_dir.mkdir(exist_ok=True)
    folder.mkdir(exist_ok=True)
    payload = marshal.dumps(((CACHE_FORMAT, _kith_stamp(), fingerprint, written_ns), entries))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kith-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            # No fsync: the cache is disposable, and a torn or empty one after a crash
            # fails to load and is rebuilt. (fsync of ~30 MB cost seconds per save.)
            f.write(payload)
        os.replace(tmp, folder / CACHE_FILE)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
