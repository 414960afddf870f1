"""kith's private state inside the vault: the cache files under `.kith/cache/`.

This module owns the cache files and their headers: `index.marshal` (every note's
parsed record, encoded as `records` keeps it, with the stat key it was parsed from), `snapshot.marshal` (the vault
snapshot built from those records, encoded by `snapshot_cache`) and
`manifest.marshal` (the stat keys and problem counts the snapshot was built from,
read first so that a run where nothing changed loads nothing else). Files are
marshal dumps of plain tuples, which load faster than pickle or SQLite for this
shape (the snapshot's chunks, already marshalled, follow its dump as they are), and are
written atomically. The cache is disposable: a missing, stale,
corrupt or foreign-version file is simply ignored and rebuilt. It never writes a
user's note.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__
from .paths import TEMP_PREFIX, TEMP_SUFFIX, is_kith_temp, kith_temp_name

CACHE_FORMAT = 9
CACHE_FILE = "index.marshal"
SNAPSHOT_FILE = "snapshot.marshal"
MANIFEST_FILE = "manifest.marshal"

# The modules that decide what a note parses to and what the snapshot holds. Their bytes
# are part of every header, so a changed kith invalidates the cache even when the
# version number did not move (an editable install, a development checkout).
_PARSING_MODULES = ("parse.py", "frontmatter.py", "dates.py", "textutil.py", "config.py",
                    "model.py", "cache.py", "vault.py", "links.py", "snapshot_cache.py",
                    "records.py", "yaml_loader.py", "blocks.py")  # fmt: skip


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
    or None when it is missing, corrupt, foreign or stale. Lists of bytes written apart
    come back as memoryviews of the file's bytes (see `write_cache_file`)."""
    try:
        with open(cache_path(state_dir, name), "rb") as f:
            data = f.read()
        # Loading builds millions of tuples and no cycles: the cyclic GC would walk them
        # all again and again (measured: ~1 s of a 1.4 s load at 110k notes).
        was = gc.isenabled()
        gc.disable()
        try:
            header, body = _load(data)
        finally:
            if was:
                gc.enable()
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        return None
    if not isinstance(header, tuple) or len(header) != 4:
        return None
    if header[:3] != (CACHE_FORMAT, _kith_stamp(), fingerprint):
        return None
    return header[3], body


def write_cache_file(
    state_dir: Path,
    name: str,
    fingerprint: str,
    extra: Any,
    body: Any,
    *,
    apart: bool = False,
    repeats: bool = True,
) -> None:
    """Write one cache file atomically; raises OSError when the vault is read-only or
    full, ValueError when the body holds something marshal cannot store.

    `apart`: each list of bytes in a tuple body (the snapshot's marshalled chunks, ~25 MB
    at 110k notes) is written after the dump of the rest, as it is, and read back as
    memoryviews: copying it into that dump cost ~20 ms of CPU, and copying it back out
    when reading ~10 ms.

    `repeats=False`: the body seldom holds one object twice (the manifest: each path and
    stat key once), so it is written without marshal's references (version 2): tracking
    them looks up every object held elsewhere too, such as the paths. At 110k notes the
    manifest's keys dump in 23 ms instead of 49, and load in 48 ms instead of 56 (one-off
    script, best of 7)."""
    body, blobs, sizes = _detach(body) if apart else (body, [], [])
    version = 4 if repeats else 2
    dump = marshal.dumps(((CACHE_FORMAT, _kith_stamp(), fingerprint, extra), body, sizes), version)
    head = len(dump).to_bytes(_HEAD, "little")
    _write_atomically(state_dir, name, lambda f: f.writelines([head, dump, *blobs]))


# A cache file: the length of its dump, the dump of (header, body, where lists were
# detached from the body and the sizes of their bytes), then those bytes.
_HEAD = 8


def _detach(body: Any) -> tuple[Any, list[bytes], list[tuple[int, list[int]]]]:
    """(`body` with None for each list of bytes it holds, those bytes, and where each of
    those lists was with the sizes of its bytes)."""
    if type(body) is not tuple:
        return body, [], []
    at = [i for i, x in enumerate(body)
          if type(x) is list and x and all(type(b) is bytes for b in x)]  # fmt: skip
    rest = list(body)
    for i in at:
        rest[i] = None
    blobs = [b for i in at for b in body[i]]
    return tuple(rest), blobs, [(i, [*map(len, body[i])]) for i in at]


def _load(data: bytes) -> tuple[Any, Any]:
    """(header, body) from a cache file's bytes, with each detached list back as
    memoryviews of them (marshal reads those as bytes, and nothing is copied)."""
    view = memoryview(data)
    end = _HEAD + int.from_bytes(view[:_HEAD], "little")
    header, body, detached = marshal.loads(view[_HEAD:end])
    if detached:
        body = list(body)
        for i, sizes in detached:
            ends = list(accumulate(sizes, initial=end))
            body[i] = list(map(view.__getitem__, map(slice, ends, ends[1:])))
            end = ends[-1]
        body = tuple(body)
    if end != len(data):
        raise ValueError("cache file of the wrong length")
    return header, body


def _write_atomically(state_dir: Path, name: str, write: Callable[[BinaryIO], object]) -> None:
    out = _AtomicFile(state_dir, name)
    try:
        write(out.file)
    except BaseException:
        out.abort()
        raise
    out.commit()


# A temporary cache file untouched for this long was left by a kith that was killed (one
# being written is written to every few milliseconds, a cold index for a few seconds).
_STALE_SECONDS = 600


def _remove_stale(folder: Path) -> None:
    """Remove what killed kiths left in the cache folder: their temporary files. (A watcher
    removes them all when it starts, holding the vault's lock: see write.cleanup_stale_temps.
    Without that lock, only those long untouched can be known to be left.)"""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    too_old = time.time() - _STALE_SECONDS
    for e in entries:
        if is_kith_temp(e.name):
            try:
                if e.stat(follow_symlinks=False).st_mtime < too_old:
                    os.unlink(e.path)
            except OSError:
                pass


# Renaming a file over a large one costs the caller, on ext4 ~15–30 ms for each 25–35 MB
# cache file of a cold index at 110k notes (`strace -T` of `kith index --rebuild`): the kernel frees the replaced file's pages in
# the rename, and starts writing the new file out first (so that a crash cannot leave it
# empty where the old one was). Renamed into a free name, neither happens. So a large file
# about to be replaced is first renamed aside (a kith temporary name, which stale-file
# clean-up knows) and removed on a thread of its own (an unlink releases the GIL) while
# this one goes on. Meanwhile a reader may find no file for an instant, and then reads the
# cache as missing, as after a crash. Not on Windows, which frees files differently.
_ASIDE_MIN = 1 << 20  # bytes: a smaller file is replaced in place
_releasing: list[Any] = []  # the threads removing a replaced file (threading.Thread)


def _set_aside(dest: Path) -> Path | None:
    """Where the large regular file at `dest` now is (None: none, small, or left there)."""
    if os.name != "posix":
        return None
    try:
        st = os.lstat(dest)
        if not stat.S_ISREG(st.st_mode) or st.st_size < _ASIDE_MIN:
            return None
        aside = dest.with_name(kith_temp_name())
        os.rename(dest, aside)
    except OSError:
        return None
    return aside


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _release(aside: Path) -> None:
    """Remove a replaced file, set aside, on a thread of its own."""
    import threading

    _releasing[:] = [t for t in _releasing if t.is_alive()]  # (a watcher saves for days)
    t = threading.Thread(target=_unlink_quietly, args=(aside,), name="kith-release")
    t.start()
    _releasing.append(t)


def wait_released() -> None:
    """Return once every replaced cache file is removed (before a process ends: see cli.run)."""
    while _releasing:
        _releasing.pop().join()


class _AtomicFile:
    """A cache file being written: a temporary file beside it until `commit` renames it into
    place (`abort` removes it). Opening raises OSError when the state folder is a link,
    cannot be made, or is not writable."""

    def __init__(self, state_dir: Path, name: str) -> None:
        folder = state_dir / "cache"
        if state_dir.is_symlink() or folder.is_symlink():
            raise OSError(f"{folder} is a symbolic link; kith does not write through links")
        # Never `parents=True`: a vault that vanished meanwhile must not be recreated.
        state_dir.mkdir(exist_ok=True)
        folder.mkdir(exist_ok=True)
        _remove_stale(folder)
        import tempfile  # here: a run that writes nothing need not import it (nor shutil, random)

        fd, self._tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        self._dest = folder / name
        # No fsync: the cache is disposable, and a torn or empty one after a crash fails
        # to load and is rebuilt. (fsync of ~30 MB cost seconds per save.)
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def commit(self) -> None:
        aside = None
        try:
            self.file.close()
            aside = _set_aside(self._dest)
            os.replace(self._tmp, self._dest)
        except BaseException:
            if aside is not None:  # put back what was there
                try:
                    os.rename(aside, self._dest)
                except OSError:
                    pass
            self.abort()
            raise
        if aside is not None:
            _release(aside)

    def abort(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        try:
            os.unlink(self._tmp)
        except OSError:
            pass


# The record cache is written in chunks, each a length-prefixed marshal dump of a list of
# (path, size, mtime_ns, ctime_ns, blob, row class) rows (see `records.row_class`), after
# a header and before an empty chunk that marks its end: neither writing nor reading it ever holds more than one
# chunk beyond the records themselves (at 100k notes a single dump peaked at ~100 MB).
_ROWS_PER_CHUNK = 1024  # a decoded chunk is ~1.5 MB: what saving or loading holds at once
_BYTES_PER_CHUNK = 8 << 20  # of blobs: a chunk stays a few MB, however large the notes
_LEN = 8  # a chunk's head: its length (5 bytes), then 24 bits of its CRC-32
_MAX_CHUNK = 1 << 30  # a larger length is damage, not a chunk (a chunk is a few MB)


class CacheUnusable(Exception):
    """The record cache ended early or was damaged after its header was read."""


class CacheFile:
    """An open record cache whose header was checked: its chunks can be read from the start
    again, from the same file even when a newer one has replaced it since."""

    def __init__(self, f: BinaryIO, written_ns: int) -> None:
        self._f = f
        self._start = f.tell()
        self.written_ns = written_ns

    def chunks(self) -> Iterator[list[tuple[Any, ...]]]:
        """The chunks of rows, from the first; raises CacheUnusable on damage (see iter_cache)."""
        self._f.seek(self._start)
        while True:
            try:
                rows = _read_chunk(self._f)
            except OSError as e:
                raise CacheUnusable(str(e)) from None
            if rows is None:
                return
            if not isinstance(rows, list):
                raise CacheUnusable("not a chunk of rows")
            yield rows

    def close(self) -> None:
        self._f.close()


def open_cache(state_dir: Path, fingerprint: str) -> CacheFile | None:
    """The record cache, open, or None when it is missing, foreign or stale."""
    try:
        f = open(cache_path(state_dir, CACHE_FILE), "rb")  # noqa: SIM115 (the caller closes)
    except OSError:
        return None
    try:
        header = _read_chunk(f)
    except (OSError, CacheUnusable):
        f.close()
        return None
    if (not isinstance(header, tuple) or len(header) != 4
            or header[:3] != (CACHE_FORMAT, _kith_stamp(), fingerprint)
            or not isinstance(header[3], int)):  # fmt: skip
        f.close()
        return None
    return CacheFile(f, header[3])


def iter_cache(
    state_dir: Path, fingerprint: str
) -> tuple[int, Iterator[list[tuple[Any, ...]]]] | None:
    """(written_ns, the chunks of rows) of the record cache, or None when it is missing,
    foreign or stale. Iterating raises CacheUnusable when the rest of the file is damaged,
    so a caller that used some rows must then start over without them."""
    cf = open_cache(state_dir, fingerprint)
    if cf is None:
        return None
    return cf.written_ns, _chunks(cf)


def _read_chunk(f: BinaryIO) -> Any:
    head = f.read(_LEN)
    if len(head) != _LEN:
        raise CacheUnusable("truncated")
    n = int.from_bytes(head[:5], "little")
    if n > _MAX_CHUNK:
        raise CacheUnusable("damaged chunk length")
    data = f.read(n)
    if len(data) != n:
        raise CacheUnusable("truncated")
    if n and zlib.crc32(data) & 0xFFFFFF != int.from_bytes(head[5:], "little"):
        raise CacheUnusable("damaged chunk")  # a chunk that still decodes could hold a bad blob
    was = gc.isenabled()
    gc.disable()  # rows make many objects and no cycles (see read_cache_file)
    try:
        return marshal.loads(data) if n else None
    except (EOFError, ValueError, TypeError) as e:
        raise CacheUnusable(str(e)) from None
    finally:
        if was:
            gc.enable()


def _chunks(cf: CacheFile) -> Iterator[list[tuple[Any, ...]]]:
    try:
        yield from cf.chunks()
    finally:
        cf.close()


def load_cache(state_dir: Path, fingerprint: str) -> tuple[int, dict[str, Any]]:
    """(written_ns, {path: (size, mtime_ns, ctime_ns, record_blob, row_class)});
    empty when unusable. A blob is the marshal dump of the record's tuple (see `records`)."""
    found = iter_cache(state_dir, fingerprint)
    if found is None:
        return 0, {}
    written_ns, chunks = found
    try:
        return written_ns, {row[0]: row[1:] for rows in chunks for row in rows}
    except (CacheUnusable, IndexError, TypeError):
        return 0, {}


def save_cache(state_dir: Path, fingerprint: str, written_ns: int,
               entries: Mapping[str, tuple[Any, ...]] | Iterable[tuple[Any, ...]]) -> None:  # fmt: skip
    """Write the record cache atomically, from {path: entry} or from rows (path, *entry);
    raises OSError when the vault is read-only or full, ValueError for a value marshal
    cannot store."""
    rows: Iterable[tuple[Any, ...]] = (
        ((p, *e) for p, e in entries.items()) if isinstance(entries, Mapping) else entries
    )
    out = CacheWriter(state_dir, fingerprint, written_ns)
    try:
        for chunk in chunked(rows):
            out.add(*_chunk_parts(chunk))  # (not joined: ~30 MB copied once more at 110k notes)
    except BaseException:
        out.abort()
        raise
    out.commit()


def chunked(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """Rows cut into the chunks the record cache holds: up to _ROWS_PER_CHUNK rows, and
    not many more than _BYTES_PER_CHUNK bytes of records."""
    chunk: list[tuple[Any, ...]] = []
    size = 0
    for row in rows:
        chunk.append(row)
        size += len(row[4])
        if len(chunk) == _ROWS_PER_CHUNK or size > _BYTES_PER_CHUNK:
            yield chunk
            chunk = []
            size = 0
    if chunk:
        yield chunk


class CacheWriter:
    """The record cache, written a chunk at a time (from `encode_chunk`, or several from
    `encode_rows`) by whoever has the rows: `save_cache`, or a cold index as its workers
    send the chunks they encoded. Nothing replaces the cache until `commit`; `abort` leaves
    it as it was, and is the caller's to call when `add` fails. Raises OSError as
    save_cache does."""

    def __init__(self, state_dir: Path, fingerprint: str, written_ns: int) -> None:
        self._out = _AtomicFile(state_dir, CACHE_FILE)
        try:
            self.add(encode_chunk((CACHE_FORMAT, _kith_stamp(), fingerprint, written_ns)))
        except BaseException:
            self.abort()
            raise

    def add(self, *parts: bytes | memoryview) -> None:
        """One or more chunks, or the parts of one, as written."""
        self._out.file.writelines(parts)

    def commit(self) -> None:
        """Put it in place (on OSError, nothing was: the temporary file is removed)."""
        try:
            self.add(bytes(_LEN))  # the end
        except BaseException:
            self.abort()
            raise
        self._out.commit()

    def abort(self) -> None:
        self._out.abort()


def encode_chunk(value: Any) -> bytes:
    """A chunk of the record cache as written: its head (length, CRC), then its dump."""
    return b"".join(_chunk_parts(value))


def _chunk_parts(value: Any) -> tuple[bytes, bytes]:
    data = marshal.dumps(value)
    head = len(data).to_bytes(5, "little") + (zlib.crc32(data) & 0xFFFFFF).to_bytes(3, "little")
    return head, data


def encode_rows(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """Rows as the record cache stores them: one or more chunks (see `chunked`)."""
    return b"".join([encode_chunk(chunk) for chunk in chunked(rows)])


def decode_rows(data: bytes | memoryview) -> list[tuple[Any, ...]]:
    """The rows `encode_rows` encoded. (For what kith's own workers hand over, in memory:
    neither length nor CRC is checked, as they are when reading the file.)"""
    view = memoryview(data)
    rows: list[tuple[Any, ...]] = []
    pos = 0
    while pos < len(view):
        end = pos + _LEN + int.from_bytes(view[pos : pos + 5], "little")
        rows += marshal.loads(view[pos + _LEN : end])
        pos = end
    return rows
