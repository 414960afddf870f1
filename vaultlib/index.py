"""The incremental index: scan, re-parse only what changed, keep the rest from the cache.

This module owns deciding which notes need parsing (path + size + mtime + ctime
against the cache, and notes whose mtime is too recent to trust), parsing them
(on every core when there are many), and returning the vault snapshot with
counts of added, modified and removed notes. When the manifest says no note
changed since the last run, it loads neither records nor notes: the stored snapshot
(`snapshot_cache`) is the vault, and the records are loaded only if something asks
for them; when only persons' notes changed, each still the same person, it patches that
snapshot. A cold run builds the vault and writes the record cache as its workers parse. It reads notes; its only writes are kith's own cache files through `cache`.
"""

from __future__ import annotations

import errno
import gc
import marshal
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter, itemgetter
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from .cache import (
    CACHE_FILE,
    MANIFEST_FILE,
    SNAPSHOT_FILE,
    CacheFile,
    CacheUnusable,
    CacheWriter,
    cache_path,
    decode_rows,
    encode_rows,
    iter_cache,
    open_cache,
    read_cache_file,
    save_cache,
    write_cache_file,
)
from .config import Config
from .model import ERROR, WARNING, Problem
from .paths import is_ignored_name
from .records import (
    MAX_NOTE_BYTES,
    ROW_OTHER,
    NoteRecord,
    RecordStore,
    digest,
    encode,
    is_usable_person,
    readable,
    row_class,
    same_record,
)
from .scan import Entry, StatKey, scan_keys, stat_note, walk_changes, walk_keys

if TYPE_CHECKING:
    from .parse import NoteParser
    from .vault import Vault, VaultBuilder

# The parser, the vault builder and the snapshot codec are imported where they are used:
# a run that finds nothing changed (and a memo answering `report` or `list`) needs none of
# them, and importing them is a tenth of such a run.

# A note modified within this window before the cache was written may have been
# changed again within the same timestamp tick ("racy git"): re-parse it.
RACY_NS = 2_000_000_000
PARALLEL_MIN = 2000
CHUNK = 400


@dataclass
class IndexStats:
    added: int = 0
    modified: int = 0
    removed: int = 0
    unchanged: int = 0
    parsed: int = 0
    problems: int = 0
    errors: int = 0
    notes: int = 0
    contacts: int = 0


@dataclass
class Deferred:
    """What the manifest said when no note changed: the records stay on disk until needed."""

    keys: dict[str, StatKey]
    token: str
    note_counts: tuple[int, int]  # (errors, warnings) found in notes and links
    contacts: int


@dataclass
class Index:
    """The records of every note plus the stat key they were parsed from."""

    config: Config
    _records: RecordStore = field(default_factory=RecordStore)
    # path -> stat key: a dict, or the watcher's packed KeyStore
    keys: MutableMapping[str, StatKey] = field(default_factory=dict)
    scan_problems: list[Problem] = field(default_factory=list)
    stats: IndexStats = field(default_factory=IndexStats)
    _builder: VaultBuilder | None = field(default=None, repr=False)
    # A cold run's builder, given every record as it was parsed, until vault() finishes it
    _streamed: VaultBuilder | None = field(default=None, repr=False)
    _deferred: Deferred | None = field(default=None, repr=False)
    # The whole (untracked) vault of the notes as they are: the stored snapshot loaded or
    # patched, or the vault last built whole, until the records change. Asked again, it is
    # that vault (freed with the index, not by each caller).
    _whole: Vault | None = field(default=None, repr=False)
    _save: bool = True
    # Lean (the watcher): persons' and plain notes' records are kept as a digest once the
    # record cache holds them, and read back from it (see RecordStore). A one-shot run
    # keeps them all.
    lean: bool = False
    _snapshot_due: bool = False  # store snapshot + manifest after the next full build
    _scan_ns: int = 0  # when the stat keys were taken (the racy-edit reference)
    _token: str | None = None  # of the snapshot this run stored, until anything changes
    # What the last refresh changed: path -> its stat key before (None: it was new)
    old_keys: dict[str, StatKey | None] = field(default_factory=dict)

    @property
    def records(self) -> RecordStore:
        if self._deferred is not None:
            self._load_records()
        return self._records

    def _load_records(self) -> None:
        deferred, self._deferred = self._deferred, None
        assert deferred is not None
        self._whole = None
        cache = iter_cache(self.config.state_dir, self.config.fingerprint())
        self.stats = IndexStats()
        _fill(self, deferred.keys, cache, None, self._save)

    def snapshot_token(self) -> str | None:
        """The stored snapshot's token while the vault is exactly that snapshot: loaded from
        it (no note changed since it was stored), or just built and stored by this run;
        else None. Stable across runs until a note changes."""
        return self._deferred.token if self._deferred is not None else self._token

    def problem_counts(self) -> tuple[int, int]:
        """(errors, warnings) in the vault, without building it when the cache knows."""
        if self._deferred is not None:
            run = [*self.config.problems, *self.scan_problems]
            errors = sum(1 for p in run if p.severity == ERROR)
            e, w = self._deferred.note_counts
            return e + errors, w + len(run) - errors
        problems = self.vault().problems
        errors = sum(1 for p in problems if p.severity == ERROR)
        return errors, len(problems) - errors

    def refresh(self, paths: Iterable[str] | None = None) -> set[str]:
        """Bring the index up to date for these vault-relative paths (None: rescan everything,
        stat only). Returns the paths whose parsed record changed, appeared or disappeared;
        a touch or a save with identical content changes nothing."""
        changed: set[str] = set()
        self._token = None
        self._whole = None
        self.old_keys = {}
        if paths is not None:
            paths = [p for p in paths if p.endswith(".md") or self._is_folder(p)]
            if len(paths) != len({p for p in paths if p.endswith(".md")}):
                paths = None  # a folder moved, appeared or vanished: rescan (stat only)
        if paths is None:
            gone, stale = self._rescan()
        else:
            gone = []
            stale = []
            problems = {p.path: p for p in self.scan_problems}
            for rel in sorted(set(paths)):
                found = stat_note(self.config, rel)
                problems.pop(rel, None)
                if isinstance(found, Entry):
                    if self.keys.get(rel) != found.key:
                        stale.append(found)
                else:
                    if found is not None:
                        problems[rel] = found
                    if rel in self.records:
                        gone.append(rel)
            self.scan_problems = sorted(problems.values(), key=Problem.sort_key)
        store = self.records
        # Loading the records (above, or here) may have streamed a build, which what
        # follows makes stale.
        self._streamed = None
        for rel in gone:
            store.discard(rel)
            self.old_keys[rel] = self.keys.pop(rel, None)
            changed.add(rel)
        for e, (blob, cls, _) in zip(stale, parse_blobs(self.config, [e.path for e in stale])):
            self.old_keys[e.path] = self.keys.get(e.path)
            self.keys[e.path] = e.key
            if not store.holds(e.path, blob):
                store.put_blob(e.path, blob, cls)
                changed.add(e.path)
        return changed

    def _rescan(self) -> tuple[list[str], list[Entry]]:
        """(notes gone, notes whose stat key differs, by path) after walking the whole vault
        (see `walk_changes`: a watcher rescans every minute, and holding every key and path
        twice cost ~50 MB at 110k notes)."""
        found = walk_changes(self.config, self.keys, self.records)
        self.scan_problems = found.problems
        return found.gone, sorted((Entry(p, *k) for p, k in found.changed), key=attrgetter("path"))

    def _is_folder(self, rel: str) -> bool:
        """A folder now, or a vanished one that held indexed notes (editor leftovers are not)."""
        name = rel.rsplit("/", 1)[-1]
        if is_ignored_name(name) or name.startswith("."):
            return False
        if os.path.isdir(os.path.join(self.config.root, rel)):
            return True
        prefix = rel.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.records)

    def vault(self, changed: Iterable[str] | None = None, *, track: bool = False) -> Vault:
        """The snapshot; with `changed` (from refresh), only what those paths touch is rebuilt.

        `track=True` (the watcher) keeps the maps incremental updates need from the start."""
        with paused_gc():
            if changed is None and not track:
                if self._whole is None and self._deferred is not None:
                    self._whole = self._load_snapshot(self._deferred.token)
                if self._whole is not None:
                    return self._whole
            return self._vault(changed, track)

    def _load_snapshot(self, token: str) -> Vault | None:
        """The stored snapshot, if it is the one named `token`."""
        from . import snapshot_cache

        fp = self.config.fingerprint()
        found = read_cache_file(self.config.state_dir, SNAPSHOT_FILE, fp)
        if found is None or found[0] != token:
            return None
        return snapshot_cache.decode(found[1], self.config, self.scan_problems)

    def _vault(self, changed: Iterable[str] | None, track: bool) -> Vault:
        from .vault import VaultBuilder

        records = self.records
        streamed, self._streamed = self._streamed, None
        whole = True  # the snapshot of exactly these records, not an update of one
        if streamed is not None and changed is None and not track:
            self._builder = streamed
            v = streamed.finish(self.scan_problems)
        elif self._builder is None or changed is None:
            self._builder = VaultBuilder(self.config, records, track=track)
            v = self._builder.build(self.scan_problems)
        else:
            v = self._builder.update(changed, self.scan_problems)
            whole = False
        if whole and self._snapshot_due and not track:  # the watcher keeps its own
            self._snapshot_due = False
            self._store_snapshot(v)
        self.stats.problems = len(v.problems)
        self.stats.errors = sum(1 for p in v.problems if p.severity == "error")
        self.stats.contacts = len(v.contacts)
        self._whole = v if whole and not track else None
        return v

    def _store_snapshot(self, v: Vault, fresh: dict[str, Any] | None = None) -> Deferred | None:
        """Save the snapshot, then the manifest naming it: the next run with the same stat
        keys loads only these two files. Written only when the snapshot came from exactly
        these keys (a full build right after scanning, or a stored one patched for edited
        persons), never after an incremental update. What the manifest now says, or None
        when it could not be written."""
        from . import snapshot_cache

        config = self.config
        fp = config.fingerprint()
        token = os.urandom(8).hex()
        encoded = snapshot_cache.encode(v, self.scan_problems)
        errors = sum(1 for p in encoded[4] if p[4] == ERROR)
        counts = (errors, len(encoded[4]) - errors)
        # Notes whose stat key alone cannot be trusted next time keep their record here, to
        # be re-parsed and compared: ones modified just before the scan (racy), and ones
        # kith itself writes generated blocks into (what it writes there is never contact,
        # so after `kith report` their record, and the snapshot, are unchanged).
        keys = self.keys if type(self.keys) is dict else dict(self.keys)
        if fresh is None:
            racy_after = self._scan_ns - RACY_NS
            blobs = self._records.blobs
            blocks = set(v.block_notes)  # (a tuple, scanned once a note: ~11 ms at 110k)
            fresh = {p: marshal.loads(blobs[p]) for p, k in keys.items()
                     if (k[1] >= racy_after or p in blocks) and p in blobs}  # fmt: skip
        try:
            write_cache_file(config.state_dir, SNAPSHOT_FILE, fp, token, encoded, apart=True)
            write_cache_file(config.state_dir, MANIFEST_FILE, fp, (token, self._scan_ns),
                             (keys, counts, len(v.contacts), fresh), repeats=False)  # fmt: skip
            self._token = token
        except (OSError, ValueError):
            return None  # the record cache still works; the problem was reported when saved
        return Deferred(keys, token, counts, len(v.contacts))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building 100k records makes millions of objects and no cycles; the cyclic garbage
    collector would traverse them all again and again (measured: ~40% of a warm run)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built lives as long as the index: the collector need never look at it
        # again (otherwise the next collection walks millions of objects, ~0.2 s).
        gc.freeze()
        if was:
            gc.enable()


_worker_parser: NoteParser | None = None


def _init_worker(config: Config) -> None:
    from .parse import NoteParser

    global _worker_parser
    gc.disable()  # a worker builds records and no cycles, then exits (see paused_gc)
    _worker_parser = NoteParser(config)


# Never through a symlink, never blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_note(root: str, rel: str) -> tuple[bytes | OSError, StatKey | None]:
    """A note's bytes, never through a symlink, never blocking on a FIFO, and never more
    than the size limit allows (a larger file yields TooLarge, an OSError), with the note's
    stat key as it was opened (from the open file, so it can only be older than the bytes
    read: a later edit shows as a changed key next time).
    The key comes from lstat when the note cannot be opened, and is None when it is gone."""
    return _read_file(os.path.join(root, rel))


def _read_file(path: str) -> tuple[bytes | OSError, StatKey | None]:
    """`read_note` of the note at this full path (parse_paths joins its root once)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        try:
            st = os.lstat(path)
        except OSError:
            return e, None
        return e, (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    key = None
    try:
        st = os.fstat(fd)
        size = st.st_size
        key = (size, st.st_mtime_ns, st.st_ctime_ns)
        if not S_ISREG(st.st_mode):
            return OSError(errno.EINVAL, "not a regular file"), key
        if size > MAX_NOTE_BYTES:
            return TooLarge(size), key
        # The bytes the key describes: as many as the size said (one read, as a rule), or
        # fewer if the file shrank. Bytes appended since are not read; the key then differs
        # from the next scan's, and the note is read again.
        data = os.read(fd, size) if size else b""
        if 0 < len(data) < size:
            chunks = [data]
            got = len(data)
            while got < size:
                chunk = os.read(fd, size - got)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
            data = b"".join(chunks)
        return data, key
    except OSError as e:
        return e, key  # (None when even fstat failed)
    finally:
        os.close(fd)


class TooLarge(OSError):
    def __init__(self, size: int):
        super().__init__(errno.EFBIG, "too large")
        self.size = size


def parse_paths(
    parser: NoteParser, root: str, paths: Iterable[str], keys: list[StatKey | None] | None = None
) -> list[NoteRecord]:
    """Read and parse each note; with `keys`, append each note's stat key as read to it."""
    out = []
    parse = parser.parse
    read = _read_file
    prefix = os.path.join(root, "")  # joined once: ~0.5 µs a note (one-off script)
    for rel in paths:
        data, key = read(prefix + rel)
        if keys is not None:
            keys.append(key)
        if isinstance(data, bytes):
            out.append(parse(rel, data))
            continue
        rec = NoteRecord(rel)
        if isinstance(data, TooLarge):
            rec.problems.append(Problem(rel, None, f"is {data.size} bytes, over the {MAX_NOTE_BYTES} byte limit; skipped",
                                        "split the note, or move large content out of the vault"))  # fmt: skip
        else:
            rec.problems.append(Problem(rel, None, f"cannot be read ({data.strerror}); skipped",
                                        "check the file's permissions", WARNING))  # fmt: skip
        out.append(rec)
    return out


Parsed = tuple[bytes, int, "StatKey | None"]  # (record blob, its row class, stat key)
# A note parsed, as a record cache row: (path, size, mtime_ns, ctime_ns, blob, row class);
# the stat key is (None, None, None) for a note gone before it could be read.
Row = tuple[str, Any, Any, Any, bytes, int]
_GONE = (None, None, None)


def _rows(parser: NoteParser, root: str, paths: list[str]) -> list[Row]:
    keys: list[StatKey | None] = []
    recs = parse_paths(parser, root, paths, keys)
    return [(r.path, *(k or _GONE), encode(r), row_class(r)) for r, k in zip(recs, keys)]


def _key(row: Row) -> StatKey | None:
    return None if row[1] is None else (row[1], row[2], row[3])


def _parse_chunk(root: str, paths: list[str]) -> bytes:
    """What a worker sends for a chunk of paths: their rows, encoded as the record cache
    stores them (one or more of its chunks)."""
    assert _worker_parser is not None
    return encode_rows(_rows(_worker_parser, root, paths))


def parse_blobs(config: Config, paths: list[str], jobs: int | None = None) -> Iterator[Parsed]:
    """(encoded record, its row class, stat key as read) for each path, in order."""
    for _, rows in parse_chunks(config, paths, jobs):
        for row in rows:
            yield row[4], row[5], _key(row)


def parse_chunks(
    config: Config, paths: list[str], jobs: int | None = None, pool: _Pool | None = None
) -> Iterator[tuple[memoryview | None, list[Row]]]:
    """The notes at these paths parsed, a chunk of rows at a time, in order, each chunk as
    soon as it is parsed: on every core when there are many (see `_Pool`), when each
    chunk also comes encoded as the record cache stores it (else None). `pool`: workers
    already given the first of these paths (see `_Feeder`); this takes it over."""
    from .parse import NoteParser

    if pool is not None:
        if pool.paths == paths[: len(pool.paths)]:
            yield from _parallel(pool, paths[len(pool.paths) :])
            return
        pool.close()  # given other notes (a note listed twice?): start again
    cpus = _cpus(jobs)
    if len(paths) < PARALLEL_MIN or cpus < 2:
        yield None, _rows(NoteParser(config), str(config.root), paths)
    else:
        yield from _parallel(_Pool(config, cpus), paths)


def _cpus(jobs: int | None) -> int:
    """How many processes may parse: `jobs`, or one per core. With fewer than two, and for
    fewer than PARALLEL_MIN notes, they are parsed in this process."""
    return jobs or os.cpu_count() or 1


def _parallel(pool: _Pool, paths: list[str]) -> Iterator[tuple[memoryview, list[Row]]]:
    """The pool fed these paths too, then its chunks as they are parsed, in order."""
    try:
        for i in range(0, len(paths), CHUNK):
            pool.feed(paths[i : i + CHUNK])
        yield from pool.results()
    finally:
        pool.close()


class _Pool:
    """Worker processes parsing the chunks of paths fed to them: chunk k goes to worker
    k % size, started when its first chunk comes. Each sends its chunks, encoded as the
    record cache stores them (a cold index writes the cache from what they send), after a
    "+" (a "!" and a message when it failed), down a pipe of its own made large enough to
    hold many: a worker seldom waits for this process, which may be busy with what came
    before (building the vault from it, or still listing the vault: see `_Feeder`), and
    never for a thread of this process to hand it work. (Through a process pool, both
    kept the workers idle for ~10% of a cold run.) A worker reads the paths fed to it on
    a thread of its own, so that feeding never waits on a worker that waits to send.
    Workers also stat the notes they open, so a full scan need not."""

    def __init__(self, config: Config, size: int) -> None:
        import multiprocessing

        self.config = config
        self.size = size
        self.ctx = multiprocessing.get_context()
        self.workers: list[Any] = []
        self.feeds: list[Any] = []  # this process's end of each worker's paths
        self.reads: list[Any] = []  # and of its parsed chunks
        self.paths: list[str] = []  # every path fed, in order
        self.chunks = 0  # how many chunks were fed
        self._done = False  # every chunk fed came back

    def feed(self, chunk: list[str]) -> None:
        i = self.chunks % self.size
        if i == len(self.workers):
            self._start()
        try:
            self.feeds[i].send_bytes(marshal.dumps(chunk))
        except OSError:
            pass  # the worker is gone: `results` says why, for what it was fed never comes
        self.chunks += 1
        self.paths += chunk

    def _start(self) -> None:
        ctx = self.ctx
        recv, send = ctx.Pipe(duplex=False)  # parsed chunks, to here
        take, give = ctx.Pipe(duplex=False)  # paths, from here
        _widen(send.fileno())
        self.reads.append(recv)
        self.feeds.append(give)
        # A forked worker holds a copy of each pipe end open here: it closes the read ends
        # of the chunks (so that if this process dies, its writes fail instead of waiting
        # forever for a reader) and the write ends of the paths (so that its reads end).
        inherited = [*self.reads, *self.feeds] if ctx.get_start_method() == "fork" else []
        w = ctx.Process(target=_worker, args=(self.config, take, send, inherited), daemon=True)
        try:
            w.start()
        finally:
            send.close()  # the worker's now: its ends of the pipes end when it does
            take.close()
        self.workers.append(w)

    def results(self) -> Iterator[tuple[memoryview, list[Row]]]:
        """Each chunk fed, parsed, in order, as soon as it is; nothing is fed after this."""
        from multiprocessing.connection import wait

        for give in self.feeds:
            give.close()  # what was fed is read, then the worker's reading ends
        receivers = {recv: i for i, recv in enumerate(self.reads)}  # still open at the far end
        ready: dict[int, bytes] = {}
        expect = list(range(len(self.workers)))  # the chunk each worker sends next
        for k in range(self.chunks):
            while k not in ready:
                waiting: list[Any] = wait(list(receivers))
                for recv in waiting:
                    i = receivers[recv]
                    try:
                        data = recv.recv_bytes()
                    except EOFError:
                        del receivers[recv]  # it finished, or died: see below
                        continue
                    if data[:1] != b"+":
                        raise _failed(data[1:].decode())
                    ready[expect[i]] = data
                    expect[i] += self.size
                if k not in ready and not receivers:
                    raise RuntimeError("a parsing process stopped unexpectedly")
            encoded = memoryview(ready.pop(k))[1:]
            yield encoded, decode_rows(encoded)
        self._done = True

    def close(self) -> None:
        """End the workers: unless every chunk came back, those still running are stopped
        (after a failure, when interrupted, or when not given all their notes)."""
        for give in self.feeds:
            give.close()
        for recv in self.reads:
            recv.close()
        if self._done:
            return  # each sent all it was fed, and is ending (no need to wait for that)
        stopped = [w for w in self.workers if w.is_alive()]
        for w in stopped:
            w.terminate()
        for w in stopped:
            w.join()


class _Feeder:
    """A cold scan's notes handed to parsing workers as they are listed, in order, so that
    the workers parse while this process lists the rest of the vault (~0.2 s at 110k
    notes, with a core idle, when they started after it: a one-off script stamping the
    first worker's start). They start once there are
    enough notes to be worth them (PARALLEL_MIN); parse_chunks then takes over the pool
    and feeds it the rest."""

    def __init__(self, config: Config, jobs: int | None) -> None:
        self.config = config
        self.cpus = _cpus(jobs)
        self.keys: dict[str, StatKey | None] = {}
        self.pending: list[str] = []  # listed, not fed yet
        self.pool: _Pool | None = None
        self._next = PARALLEL_MIN if self.cpus >= 2 else sys.maxsize  # pending, to act

    def put(self, path: str, key: StatKey | None) -> None:
        self.keys[path] = key
        pending = self.pending
        pending.append(path)
        if len(pending) >= self._next:
            if self.pool is None:
                from . import parse  # noqa: F401  (imported once here, not in each worker)

                self.pool = _Pool(self.config, self.cpus)
            whole = len(pending) - len(pending) % CHUNK
            for i in range(0, whole, CHUNK):
                self.pool.feed(pending[i : i + CHUNK])
            del pending[:whole]
            self._next = CHUNK

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _widen(fd: int) -> None:
    """Let a pipe hold 1 MB (Linux; elsewhere it keeps its size, and a worker may wait)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _worker(config: Config, take: Any, send: Any, inherited: list[Any]) -> None:
    """A parsing process of `_Pool`: the chunks of paths fed to it, parsed and sent in order."""
    import queue
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
    for conn in inherited:
        conn.close()
    _init_worker(config)
    fed: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()

    def read() -> None:  # every chunk fed, as it comes; None once the feeding ended
        try:
            while True:
                fed.put(marshal.loads(take.recv_bytes()))
        except (EOFError, OSError):
            fed.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        root = str(config.root)
        while (chunk := fed.get()) is not None:
            send.send_bytes(b"+" + _parse_chunk(root, chunk))
    except BrokenPipeError:
        return  # the parent is gone: so is the reason to go on
    except Exception as e:  # a bug, or memory: the parent raises it (see _failed)
        import traceback

        said = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        try:
            send.send_bytes(b"!" + said.encode(errors="replace"))
        except OSError:
            pass
        sys.exit(1)  # (not the exception: multiprocessing would print its traceback)
    finally:
        send.close()


def _failed(said: str) -> RuntimeError:
    """What the parent raises for a worker's failure: its one-line summary, with the
    worker's traceback as a note (shown where tracebacks are: `kith --debug`)."""
    summary, _, trace = said.partition("\n")
    e = RuntimeError(f"a parsing process failed: {summary}")
    if trace:
        e.add_note(f"in the parsing process:\n{trace.rstrip()}")
    return e


def build_index(
    config: Config,
    *,
    rebuild: bool = False,
    save: bool = True,
    jobs: int | None = None,
    lean: bool = False,
) -> Index:
    """Scan the vault and bring the index up to date, using and refreshing the cache
    (`lean`: keep persons' and plain notes' records out of memory once the cache holds
    them)."""
    fp = config.fingerprint()
    scan_ns = time.time_ns()
    # With no cache to compare with, every note is read anyway: the readers stat them.
    state = config.state_dir
    if rebuild or not (
        cache_path(state, CACHE_FILE).exists() or cache_path(state, MANIFEST_FILE).exists()
    ):
        feeder = _Feeder(config, jobs)
        try:
            scan_problems = walk_keys(config, feeder.put, stat_notes=False, ordered=True)
            idx = Index(config, scan_problems=scan_problems, _save=save, _scan_ns=scan_ns,
                        lean=lean)  # fmt: skip
            _fill(idx, feeder.keys, None, jobs, save, feeder.pool)
        finally:
            feeder.close()  # (its workers ended with the parse, unless something failed)
        return idx
    keys, scan_problems = scan_keys(config)
    idx = Index(config, scan_problems=scan_problems, _save=save, _scan_ns=scan_ns, lean=lean)
    found = _unchanged(config, fp, keys, patchable=save and not lean)
    modified = parsed = 0
    if isinstance(found, _Edited):
        parsed = found.parsed
        found, modified = _patch(idx, keys, found)
    if found is not None:
        idx._deferred = found
        idx.keys = keys
        s = idx.stats
        s.notes = len(keys)
        s.unchanged = len(keys) - modified
        s.modified = modified
        s.parsed = parsed
        s.contacts = found.contacts
        s.errors, warnings = idx.problem_counts()
        s.problems = s.errors + warnings
        return idx
    _fill(idx, keys, iter_cache(config.state_dir, fp), jobs, save)
    return idx


@dataclass
class _Edited:
    """The manifest's word, but for these notes, edited since: all of them persons."""

    token: str
    fresh: dict[str, Any]  # the manifest's kept records, and those of every note just parsed
    records: list[NoteRecord]
    parsed: int  # notes parsed to find them (the edited ones, and racy ones)


def _patch(idx: Index, keys: dict[str, StatKey], edited: _Edited) -> tuple[Deferred | None, int]:
    """The stored snapshot patched for persons whose notes alone were edited (a log line
    added, a field changed: `kith log`, an editor), stored with a new manifest: what a
    capture command leaves is read without loading every record and building the vault
    again. (None, 0) unless each is still the person it was, under the same name; else
    what the manifest now says, and how many of those notes changed what kith knows (a
    note touched, or saved as it was, did not)."""
    from .vault import patch_persons

    old = idx._load_snapshot(edited.token)
    if old is None:
        return None, 0
    for r in edited.records:
        c = old.by_path.get(r.path)
        if c is None or r.person is None or c.name != r.person["name"]:
            return None, 0
    v = patch_persons(old, edited.records, keys)
    idx.keys = keys
    deferred = idx._store_snapshot(v, edited.fresh)
    if deferred is None:
        return None, 0
    idx._whole = v
    changed = {p for p in (r.path for r in edited.records)
               if v.by_path[p] != old.by_path[p]
               or (p in v.block_notes) != (p in old.block_notes)}  # fmt: skip
    changed.update(p.path for p in set(v.problems) ^ set(old.problems))
    return deferred, len(changed)


def _unchanged(
    config: Config, fp: str, keys: dict[str, StatKey], *, patchable: bool
) -> Deferred | _Edited | None:
    """The manifest's word when every note has the stat key the stored snapshot was built
    from, and none was modified too close to when those keys were taken to trust them;
    `_Edited` when the only notes that changed since are usable persons, if the caller
    can patch the stored snapshot for them (`patchable`)."""
    found = read_cache_file(config.state_dir, MANIFEST_FILE, fp)
    if found is None:
        return None
    try:
        (token, scan_ns), (stored_keys, counts, contacts, fresh) = found
    except (TypeError, ValueError):
        return None
    if not isinstance(stored_keys, dict) or not isinstance(fresh, dict):
        return None
    if stored_keys != keys:
        if stored_keys.keys() != keys.keys():
            return None  # a note appeared or went away
        doubt = [p for p, k in keys.items() if stored_keys[p] != k]
    else:
        doubt = []
    racy_after = scan_ns - RACY_NS
    # Notes racy when the manifest was written are among those it kept (see _store_snapshot):
    # look only there, not at every key.
    doubt.extend(
        p for p in fresh if p in keys and keys[p][1] >= racy_after and stored_keys.get(p) == keys[p]
    )
    if doubt:
        # Changed or racy notes are fine only if the manifest kept their record and they
        # still parse to it (a note kith filled a block in; a save with the same content),
        # or if they are usable persons, which the stored snapshot is patched for (_patch).
        if len(doubt) > 50 or (not patchable and any(p not in fresh for p in doubt)):
            return None  # (a note without a kept record could only be an edited person)
        from .parse import NoteParser

        parser = NoteParser(config)
        root = str(config.root)
        edited = []
        now = dict(fresh)
        for rec, p in zip(parse_paths(parser, root, doubt), doubt):
            t = rec.to_tuple()
            if p not in fresh or t != fresh[p]:
                if not patchable or not is_usable_person(rec):
                    return None
                edited.append(rec)
            now[p] = t  # whatever changes next within the racy window is seen
        if edited:
            return _Edited(token, now, edited, len(doubt))
    return Deferred(keys, token, counts, contacts)


def _fill(idx: Index, keys: Mapping[str, StatKey | None],
          cache: tuple[int, Iterator[list[tuple[Any, ...]]]] | None,
          jobs: int | None, save: bool, pool: _Pool | None = None) -> None:  # fmt: skip
    """Take every unchanged record from the record cache (read chunk by chunk), parse the
    rest, save when anything moved. A cold run (nothing from the cache, many notes) also
    builds the vault and writes the record cache as the chunks arrive (see _Cold).

    A key of None (a note the scan listed without a stat) is the one its reader saw; a note
    gone by then is dropped, as if the scan had not seen it."""
    stats = idx.stats
    store = idx._records
    if idx.lean and store.backing is None:
        store.backing = _Reread(idx.config)
    lean = store.backing is not None
    idx.keys = final = {p: k for p, k in keys.items() if k is not None}
    written_ns, chunks = cache if cache is not None else (0, iter(()))
    racy_after = written_ns - RACY_NS
    old: dict[str, Any] = {}  # the cached blob of each note that must be parsed again
    rows_read = removed = 0
    put = store.put_blob
    put_digest = store.put_digest
    with paused_gc():
        try:
            for rows in chunks:
                rows_read += len(rows)
                for path, size, mtime, ctime, blob, cls in rows:
                    key = final.get(path)
                    if path not in keys:
                        removed += 1
                    elif (key is not None and key[0] == size and key[1] == mtime
                          and key[2] == ctime and mtime < racy_after and type(blob) is bytes):  # fmt: skip
                        if lean and cls != ROW_OTHER:
                            put_digest(path, blob, cls)
                        else:
                            put(path, blob, cls)
                    else:
                        old[path] = blob
        except (CacheUnusable, ValueError, TypeError):
            store.clear()  # damaged part way: trust none of it
            old.clear()
            rows_read = removed = 0
        stats.unchanged = len(store)
        to_parse = [p for p in sorted(keys) if p not in store]
        cold = None
        if not lean and not store and not old and len(to_parse) >= PARALLEL_MIN:
            cold = _Cold(idx, to_parse, save=save)
        try:
            names = iter(to_parse)  # the scan's strings, which the keys hold: not a copy
            for encoded, rows in parse_chunks(idx.config, to_parse, jobs, pool):
                paths = list(islice(names, len(rows)))
                if cold is None or not cold.put(paths, rows, final):
                    for (_, size, mtime, ctime, blob, cls), path in zip(rows, paths):
                        key = keys[path] or (None if size is None else (size, mtime, ctime))
                        if key is None:  # gone between the scan and the reading
                            if cold is not None:
                                cold.stop()
                                cold = None
                            continue
                        final[path] = key
                        if path not in old:
                            stats.added += 1
                        elif type(old[path]) is bytes and same_record(old[path], blob):
                            stats.unchanged += 1
                        else:
                            stats.modified += 1
                        put(path, blob, cls)
                    if cold is not None:
                        cold.take(paths, rows)
                if cold is not None:
                    cold.add(encoded)
        except BaseException:
            if cold is not None:
                cold.stop()
            raise
    idx._streamed = cold.builder if cold is not None else None
    if rows_read:  # one string per path: the store's (from the cache) in the keys too
        idx.keys = final = {p: final[p] for p in store}
    stats.parsed = len(to_parse)
    stats.removed = removed
    stats.notes = len(final)
    idx._snapshot_due = save
    if save and (to_parse or removed or not rows_read):
        try:
            if cold is None or not cold.commit():
                save_index(idx, idx._scan_ns)
        except OSError as e:
            idx._snapshot_due = False
            idx.scan_problems.append(Problem(".kith/cache", None, f"could not save the index cache ({e})",
                                             "kith works without it, only slower; check the vault is writable", WARNING))  # fmt: skip


# fields of a Row, read a chunk at a time
_size, _stat, _blob, _class = itemgetter(1), itemgetter(1, 2, 3), itemgetter(4), itemgetter(5)


class _Cold:
    """What a cold run (every note to parse, on every core) does with the workers' chunks
    as they come in, besides keeping their records: it builds the vault from them (see
    VaultBuilder.start), and, to `save` a scan that took no stat key (a row's key is then
    the one to save), it writes the record cache from the chunks as the workers encoded
    them. Done after the workers, both took one core while the other
    idled (~40% of the run at 110k notes). Both stop for good when a note turns out to be
    gone (the caller drops this, after `stop`): the builder resolves links against every
    path listed, that one too, and its row holds no stat key."""

    def __init__(self, idx: Index, paths: list[str], *, save: bool) -> None:
        self.idx = idx
        self.paths = paths
        self.builder: VaultBuilder | None = None
        self.writer: CacheWriter | None = None
        self.unstated = not idx.keys  # the scan took no stat key (see _fill): the rows' count
        if save and self.unstated:
            config = idx.config
            try:
                self.writer = CacheWriter(config.state_dir, config.fingerprint(),
                                          idx._scan_ns or time.time_ns())  # fmt: skip
            except OSError:
                pass  # save_index says what is wrong

    def put(self, paths: list[str], rows: list[Row], final: dict[str, StatKey]) -> bool:
        """A chunk's rows, of notes at these paths and new to the store: their records in
        the store, their stat keys in `final` (the rows', when the scan took none), the
        vault built from them, in bulk (one by one, ~45 ms more of this process's CPU at
        110k notes: a one-off replay of the workers' chunks). False, with nothing done, if a row has no stat (its note may be
        gone) or the scan took stat keys: the caller reads each row."""
        if not self.unstated or None in map(_size, rows):
            return False
        self.idx._records.put_new(paths, map(_blob, rows), map(_class, rows))
        final.update(zip(paths, map(_stat, rows)))
        self.idx.stats.added += len(paths)
        self.take(paths, rows)
        return True

    def take(self, paths: list[str], rows: list[Row]) -> None:
        """A chunk's records, at these paths, once the store holds them (see take_all)."""
        if self.builder is None:  # now that the workers are busy
            from .vault import VaultBuilder

            self.builder = VaultBuilder(self.idx.config, self.idx._records, track=False)
            self.builder.start(self.paths, streaming=True)
        self.builder.take_all(zip(paths, map(readable, paths, map(_blob, rows))))

    def add(self, encoded: memoryview | None) -> None:
        """A chunk, as the record cache stores it (None: parsed here, not encoded)."""
        if self.writer is None:
            return
        if encoded is None:
            self.stop()
            return
        try:
            self.writer.add(encoded)
        except OSError:
            self.stop()  # save_index then says what is wrong

    def stop(self) -> None:
        """Stop writing the record cache, and remove what was written of it."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None

    def commit(self) -> bool:
        """Put the record cache written in place; False if none was (save_index must)."""
        if self.writer is None:
            return False
        writer, self.writer = self.writer, None
        writer.commit()
        return True


def save_index(idx: Index, written_ns: int | None = None) -> None:
    """Write the record cache from the index as it is now (rows made one at a time; a
    lean store's digested records come from the cache being replaced, a chunk at a time),
    then let a lean store keep only digests of the records it held in memory (all but
    goals and notes with problems): the cache now has them."""
    store = idx.records
    keys = idx.keys
    cls = store.row_class
    rows = ((p, *keys[p], b, cls(p)) for p, b in store.rows())
    with paused_gc():
        save_cache(
            idx.config.state_dir, idx.config.fingerprint(), written_ns or time.time_ns(), rows
        )
    store.compact()


class _Reread:
    """A lean store's backing: it reads the records the store holds as a digest back from
    the record cache (many at once, streamed a chunk at a time) or, for one note, parses
    it again (and takes it from the cache if it no longer parses to the record indexed);
    notes the cache no longer holds are parsed again."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._parser: NoteParser | None = None

    def fetch(self, path: str, want: int) -> bytes | None:
        now = self._parse_now(path)
        if now is not None and digest(now) == want:
            return now
        # The note changed (or went) since it was indexed, and its event is not handled
        # yet: the record indexed is in the cache file, unless that was replaced too.
        cf = open_cache(self.config.state_dir, self.config.fingerprint())
        if cf is not None:
            try:
                for _path, blob in _matching(cf, {path: want}):
                    return blob
            finally:
                cf.close()
        return now

    def _parse_now(self, path: str) -> bytes | None:
        from .parse import NoteParser

        if self._parser is None:
            self._parser = NoteParser(self.config)
        row = _rows(self._parser, str(self.config.root), [path])[0]
        return None if _key(row) is None else row[4]

    def rows(self, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
        cf = open_cache(self.config.state_dir, self.config.fingerprint())
        seen: set[str] = set()
        if cf is not None:
            try:
                # The file lists them in `wanted`'s order (as a lean store saves it): hand
                # out wanted's own strings, not the file's copies, which whatever keeps a
                # path would otherwise hold twice (~7 MB at 100k notes).
                order = iter(wanted)
                expect = next(order, None)
                found = 0
                for path, blob in _matching(cf, wanted):
                    found += 1
                    if path == expect:
                        path = expect
                        expect = next(order, None)
                    yield path, blob
                if found == len(wanted):
                    return
                # Some are no longer in the file (replaced or damaged since): name those
                # found, reading the same file again, and parse the others.
                seen = {path for path, _ in _matching(cf, wanted)}
            finally:
                cf.close()
        for path in [p for p in wanted if p not in seen]:
            now = self._parse_now(path)
            if now is not None:
                yield path, now


def _matching(cf: CacheFile, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
    """(path, blob) of the rows holding a wanted record, up to any damage in the file."""
    try:
        for chunk in cf.chunks():
            for row in chunk:
                path, blob = row[0], row[4]
                d = wanted.get(path)
                if d is not None and type(blob) is bytes and digest(blob) == d:
                    yield path, blob
    except (CacheUnusable, IndexError, TypeError):
        pass
