"""`kith watch`: keep the index and the reports current while the user edits the vault.

This module owns the watcher: the only place kith imports watchdog. Its event
handler only records which vault-relative paths were touched (both ends of a
move) and wakes one loop; the loop waits for a quiet period after the last
event (and, on inotify, for the `closed` that ends an in-place write, bounded by
`max_wait`), then re-indexes exactly those paths, records stage moves made by
hand (`moves`), rebuilds the snapshot and lets the reports layer rewrite what
changed (a `ReportCache` kept across passes renders only the reports whose data
changed; skip-unchanged, through a fresh `Writer` per pass). Everything kith
writes itself (reports, filled blocks, move lines, temp files, the cache, the
lock) is recognised and never triggers work, so the vault goes quiet after each
save. It also owns the watcher's safety nets: a periodic stat-only rescan, the
inotify overflow and watch-budget checks, the fallback to polling, pausing while
git rewrites the work tree, the day rollover, the per-vault lock, and stopping
cleanly when the vault disappears. It writes only through `Writer`, the index
cache and its own lock file, never decides what a report says, and reads no
clock but `time.monotonic` for timing and the `today_fn` it is given.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import marshal
import os
import queue
import signal
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, EventEmitter

from .cache import iter_cache
from .config import CONFIG_NAME, Config, load_config
from .errors import ConfigError, KithError, VaultNotFound
from .index import Index, build_index, save_index
from .model import ERROR, WARNING, Problem
from .moves import (
    CONFLICT,
    RECORDED,
    REFUSED,
    StageChange,
    find_stage_changes,
    record_stage_change,
)
from .parse import NoteParser
from .paths import is_ignored_name
from .records import ROW_PERSON, KeyStore, person_ring
from .registry import VAULT_TEMPLATES
from .scan import Put, folder_ok, is_excluded, walk_changes, walk_keys
from .vault import Vault
from .write import CREATED, WRITTEN, Writer, cleanup_stale_temps, sha256_hex

__all__ = [
    "PassResult",
    "VaultLock",
    "WatchLocked",
    "Watcher",
    "count_folders",
    "format_event",
    "git_busy",
    "read_watch_limit",
]

log = logging.getLogger(__name__)

# Obsidian settings that change how kith reads the vault (see config.load_config).
CONFIG_FILES = frozenset(
    {CONFIG_NAME, ".obsidian/app.json", ".obsidian/daily-notes.json", ".obsidian/templates.json"}
)
# Files whose presence in the git folder means git is rewriting the work tree.
GIT_MARKERS = (
    ("index.lock", "git is updating the work tree"),
    ("MERGE_HEAD", "a git merge is in progress"),
    ("rebase-merge", "a git rebase is in progress"),
    ("rebase-apply", "a git rebase is in progress"),
    ("CHERRY_PICK_HEAD", "a git cherry-pick is in progress"),
    ("REVERT_HEAD", "a git revert is in progress"),
)
# The events kith asks the observer for: none for reading (watchdog drops the rest before
# they are queued). With inotify the kernel then
# does not even queue a note opened for reading (Obsidian indexing, grep, a backup, kith's
# own parse workers): 220k of those once made a watcher's first index of a 110k-note vault
# take 13 s instead of 3 s.
_WANTED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, DirCreatedEvent, FileDeletedEvent, DirDeletedEvent, FileModifiedEvent,
    DirModifiedEvent, FileMovedEvent, DirMovedEvent, FileClosedEvent,
]  # fmt: skip
_WATCHDOG_LOGGER = "watchdog.observers"
GIT_RECHECK = 0.2  # seconds between checks while git is busy
CACHE_SAVE_EVERY = 5.0  # seconds: the index cache is saved at most this often (and at stop)
CACHE_SAVE_IDLE = 3.0  # seconds without file events before the cache is saved
WATCH_BUDGET_SHARE = 0.75  # warn when the vault alone needs this share of max_user_watches
POLL_INTERVAL = 1.0
# Polling waits at least this many times as long as a poll takes (~0.4 s of CPU at 110k
# notes), so that polling stays under ~10% of a core.
POLL_WORK_RATIO = 9.0


def poll_wait(interval: float, work: float) -> float:
    """Seconds to wait before the next poll, after one that took `work` seconds."""
    return max(interval, POLL_WORK_RATIO * work)


class _KeyPollingEmitter(EventEmitter):
    """Polls the vault with kith's own walk (`scan.walk_changes`): the stat key of every
    note, of the settings files and of the vault's templates, compared with the last poll's;
    a difference becomes the event an OS observer would have sent, for the same intake.

    watchdog's poller keeps a full stat result per file, twice while it compares: at 110k
    notes ~230 MB and ~2 s of CPU a poll. This keeps 24 bytes a file, compares as it walks
    and takes ~0.4 s. It waits POLL_WORK_RATIO times the CPU time of the last poll (this
    thread's time: a poll waiting for the GIL behind a pass is not a slow one)."""

    def __init__(self, event_queue: Any, watch: Any, *, timeout: float = POLL_INTERVAL,
                 event_filter: Any = None, config: Callable[[], Config]) -> None:  # fmt: skip
        super().__init__(event_queue, watch, timeout=timeout, event_filter=event_filter)
        self._config = config
        self._keys = KeyStore()  # rel -> stat key at the last poll, packed
        self._work = 0.0

    def on_thread_start(self) -> None:
        keys = self._keys

        def put(rel: str, key: tuple[int, int, int] | None) -> None:
            if key is not None:
                keys[rel] = key

        walk_keys(self._config(), put)
        self._more(put)

    def _more(self, put: Put) -> None:
        """Hand `put` the stat key of the other files the watcher reacts to: the settings
        files and the vault's own templates (None: not a file)."""
        root = self.watch.path
        for rel in CONFIG_FILES:
            put(rel, _file_key(os.path.join(root, *rel.split("/"))))
        templates = os.path.join(root, *VAULT_TEMPLATES.split("/"))
        for folder, _, files in os.walk(templates):
            for name in files:
                path = os.path.join(folder, name)
                put(os.path.relpath(path, root).replace(os.sep, "/"), _file_key(path))

    def queue_events(self, timeout: float) -> None:
        if self.stopped_event.wait(poll_wait(timeout, self._work)):
            return
        start = time.thread_time()
        root = self.watch.path
        try:
            os.stat(root)
        except (FileNotFoundError, NotADirectoryError):
            self.queue_event(DirDeletedEvent(root))
            self.stop()
            return
        except OSError:
            return  # unreachable for now: the next poll tries again
        keys = self._keys
        was = gc.isenabled()
        gc.disable()  # a walk makes many objects and no cycles
        try:
            found = walk_changes(self._config(), keys, keys, self._more)
        finally:
            if was:
                gc.enable()
        for rel, key in found.changed:
            path = os.path.join(root, *rel.split("/"))
            self.queue_event(FileModifiedEvent(path) if rel in keys else FileCreatedEvent(path))
            keys[rel] = key
        if found.complete:  # else a share gone for a moment: its notes are not deleted
            for rel in found.gone:
                del keys[rel]
                self.queue_event(FileDeletedEvent(os.path.join(root, *rel.split("/"))))
        self._work = time.thread_time() - start


def _file_key(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns) if stat.S_ISREG(st.st_mode) else None


class _KeyPollingObserver(BaseObserver):
    """An observer whose one emitter is `_KeyPollingEmitter` (kith's `--poll`)."""

    def __init__(self, config: Callable[[], Config], *, timeout: float = POLL_INTERVAL) -> None:
        super().__init__(functools.partial(_KeyPollingEmitter, config=config), timeout=timeout)  # type: ignore[arg-type]


PASSES_KEPT = 1000

WriteReports = Callable[[Vault, date, Writer], Any]
ObserverFactory = Callable[[bool], BaseObserver]
Out = Callable[[dict[str, Any]], None]


class WatchLocked(KithError):
    """Another `kith watch` holds the vault's lock."""


@dataclass(frozen=True)
class PassResult:
    """What one pass of the loop did (tests and benchmarks wait on these)."""

    reason: str  # "initial" | "change" | "rescan" | "reconcile" | "day" | "config" | "templates"
    changed: tuple[str, ...]  # notes whose content changed (re-indexed)
    written: tuple[str, ...]  # files kith wrote (reports, blocks, move lines)
    moves: tuple[str, ...]  # notes that got a stage-change line
    regenerated: bool  # the reports layer ran
    ms: float


# --------------------------------------------------------------------------- small helpers


def git_busy(root: Path) -> str | None:
    """Why git is rewriting the work tree right now (a lock, a merge, a rebase), or None."""
    dotgit = os.path.join(root, ".git")
    try:
        st = os.lstat(dotgit)
    except OSError:
        return None
    gitdir = dotgit
    if stat.S_ISREG(st.st_mode):  # a worktree or submodule: "gitdir: <path>"
        try:
            with open(dotgit, encoding="utf-8", errors="replace") as f:
                first = f.readline().strip()
        except OSError:
            return None
        if not first.startswith("gitdir:"):
            return None
        gitdir = os.path.join(root, first[len("gitdir:") :].strip())
    elif not stat.S_ISDIR(st.st_mode):
        return None
    for name, what in GIT_MARKERS:
        if os.path.lexists(os.path.join(gitdir, name)):
            return what
    return None


def read_watch_limit() -> int | None:
    """inotify's per-user watch limit (Linux), or None where there is no such limit."""
    try:
        with open("/proc/sys/fs/inotify/max_user_watches", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def count_folders(root: Path) -> int:
    """How many folders a recursive OS watch of `root` needs (every folder, dot-folders too)."""
    n = 0
    for _dirpath, _dirnames, _files in os.walk(root, followlinks=False):
        n += 1
    return n


def _hash_file(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            return sha256_hex(f.read())
    except OSError:
        return None


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no safe liveness probe here (os.kill would terminate the process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


# --------------------------------------------------------------------------- the lock


class VaultLock:
    """`.kith/lock`: one watcher per vault. Holds `{"host": ..., "pid": ...}`.

    Created with O_CREAT|O_EXCL. A lock left by a dead process on this host is
    taken over; one from another host (a vault synced between machines) is
    respected, because its process cannot be checked from here.
    """

    def __init__(self, path: Path, owner: dict[str, Any]) -> None:
        self.path = path
        self.owner = owner

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                data = json.loads(f.read(4096).decode("utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if isinstance(data, dict) and isinstance(data.get("pid"), int):
            return data
        return None

    @classmethod
    def acquire(cls, state_dir: Path) -> VaultLock:
        root = state_dir.parent
        if not root.is_dir():
            raise VaultNotFound(f"vault folder not found: {root}")
        try:
            st = os.lstat(state_dir)
        except FileNotFoundError:
            try:
                os.mkdir(state_dir)
            except FileExistsError:
                pass
            st = os.lstat(state_dir)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(os.lstat(state_dir).st_mode):
            raise KithError(
                f"{state_dir} is not a folder (or is a symbolic link); kith keeps its lock there",
                hint="remove it; kith creates it again",
            )
        path = state_dir / "lock"
        owner = {"host": socket.gethostname(), "pid": os.getpid()}
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_CLOEXEC", 0)
        unreadable = 0
        for _attempt in range(20):
            try:
                fd = os.open(path, flags, 0o644)
            except FileExistsError:
                holder = cls._read(path)
                if holder is None:
                    unreadable += 1
                    if unreadable < 5:  # maybe being written right now by another watcher
                        time.sleep(0.05)
                        continue
                elif holder.get("host") != owner["host"] or _pid_alive(holder["pid"]):
                    raise cls._locked(path, holder) from None
                cls._take_over(path, holder)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(owner) + "\n")
                f.flush()
                os.fsync(f.fileno())
            return cls(path, owner)
        raise cls._locked(path, cls._read(path) or {})

    @staticmethod
    def _locked(path: Path, holder: dict[str, Any]) -> WatchLocked:
        who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}"
        return WatchLocked(
            f"another kith watch is already running on this vault ({who}; lock file {path})",
            hint="stop that watcher first; if it is no longer running, delete the lock file",
        )

    @staticmethod
    def _take_over(path: Path, holder: dict[str, Any] | None) -> None:
        """Remove a stale lock, but only the one we judged stale (another watcher may race us)."""
        aside = path.with_name(f"lock.stale-{os.getpid()}")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return
        if holder is not None and VaultLock._read(aside) != holder:
            try:  # we moved someone's fresh lock: put it back unless a new one exists
                os.link(aside, path)
            except OSError:
                pass
        try:
            os.unlink(aside)
        except OSError:
            pass

    def ours(self) -> bool:
        return self._read(self.path) == self.owner

    def ensure(self) -> None:
        """After the vault came back: keep our lock, re-create it if it is gone."""
        if self.ours():
            return
        fresh = VaultLock.acquire(self.path.parent)
        self.owner = fresh.owner

    def release(self) -> None:
        if self.ours():
            try:
                os.unlink(self.path)
            except OSError:
                pass


# --------------------------------------------------------------------------- event intake


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self.watcher._on_event(event)
        except Exception:  # an intake error must never kill watchdog's thread
            log.exception("kith watch: could not record an event")


class _WatchdogLog(logging.Handler):
    """Hears watchdog's log: queue overflow means lost events (rescan); other warnings are shown."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__(logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        self.watcher._on_watchdog_log(message)


# --------------------------------------------------------------------------- the watcher


class Watcher:
    """Watch one vault and keep its reports current.

    `today_fn` is called once per loop tick (the day rollover); `out` receives one
    dict per event (`ready`, `regenerated`, `problem`, `notice`, `error`, `stopped`).
    `write_reports(vault, today, writer)` defaults to a `vaultlib.reports.ReportCache` (which
    calls `write_reports`, rendering again only the reports whose data changed).
    `start()` returns at once; `wait_ready()` and the `passes` queue let callers wait.
    """

    def __init__(
        self,
        config: Config,
        today_fn: Callable[[], date],
        *,
        poll: bool = False,
        quiet: float = 0.3,
        max_wait: float = 2.0,
        reconcile: float = 60.0,
        out: Out | None = None,
        write_reports: WriteReports | None = None,
        observer_factory: ObserverFactory | None = None,
        watch_limit: int | None = None,
        tick: float = 1.0,
        retry_base: float = 1.0,
        retry_max: float = 30.0,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.config = config
        self.root = Path(config.root)
        self._root_str = os.path.normpath(str(config.root))
        self._today_fn = today_fn
        self.today = today_fn()
        self.poll = poll
        self.quiet = quiet
        self.max_wait = max_wait
        self.reconcile = reconcile
        self._out = out or (lambda ev: None)
        self._write_fn = write_reports
        self._observer_factory = observer_factory or self._default_observer
        self._watch_limit = watch_limit
        self.tick = tick
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.poll_interval = poll_interval

        # The latest passes, for callers that wait on them (tests, benchmarks); the
        # oldest are dropped so a watcher running for weeks stays small.
        self.passes: queue.Queue[PassResult] = queue.Queue(maxsize=PASSES_KEPT)
        self.ready = threading.Event()
        self.observer_kind = ""
        self.index: Index | None = None

        # intake state, shared with watchdog's thread (guarded by _lock)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: set[str] = set()
        self._open: dict[str, float] = {}  # modified, no `closed` yet: time of the last write
        self._closed: dict[str, bool] = {}  # True when `closed` followed the last `modified`
        self._last_event = 0.0
        self._rescan: str | None = None  # why a full rescan is wanted
        self._config_dirty = False
        self._templates_dirty = False
        self._log_notes: list[str] = []

        # loop state
        self._out_lock = threading.Lock()
        self._stop_flag = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: BaseObserver | None = None
        self._supports_closed = False
        self._log_handler: _WatchdogLog | None = None
        self._vault_lock: VaultLock | None = None
        self._root_id: tuple[int, int] | None = None
        self._own: dict[str, str] = {}  # path -> sha256 of kith's last write there
        self._hashes: dict[str, str | None] = {}  # content hash of notes seen by a pass
        self._dirty: set[str] = set()  # record changes not yet in a snapshot
        self._built = False
        self._known_problems: set[Problem] = set()
        self._retry_moves: dict[str, str] = {}  # path -> old ring, after a Conflict
        self._held: dict[str, float] = {}  # transiently empty notes -> release time
        self._held_at = 0.0
        self._paused: str | None = None
        self._missing = False
        self._retry_at = 0.0
        self._retry_delay = retry_base
        self._next_reconcile = 0.0
        self._cache_dirty = False
        self._cache_saved_at = 0.0
        self._seen_since_reconcile: set[str] = set()
        self._hinted_poll = False
        self._stopped = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Take the lock, clean up after a crash, start watching; the first pass runs
        in the loop thread (`wait_ready`). Raises WatchLocked, VaultNotFound."""
        self._vault_lock = VaultLock.acquire(self.config.state_dir)
        try:
            st = os.stat(self.root)
            self._root_id = (st.st_dev, st.st_ino)
            removed = cleanup_stale_temps(self.root)
            if removed:
                self._notice(
                    f"removed {len(removed)} temp file(s) left by an earlier crash: "
                    + ", ".join(removed[:5])
                    + (" …" if len(removed) > 5 else "")
                )
            self._log_handler = _WatchdogLog(self)
            logging.getLogger(_WATCHDOG_LOGGER).addHandler(self._log_handler)
            self._start_observer()
            self._thread = threading.Thread(target=self._run, name="kith-watch", daemon=True)
            self._thread.start()
        except BaseException:
            self._teardown()
            raise

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def request_stop(self) -> None:
        self._stop_flag.set()
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the pass in progress, stop the observer, save the cache, drop the lock."""
        if self._stopped:
            return
        self.request_stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._teardown()
        self._stopped = True
        self._emit({"event": "stopped"})

    def _teardown(self) -> None:
        self._stop_observer()
        if self._log_handler is not None:
            logging.getLogger(_WATCHDOG_LOGGER).removeHandler(self._log_handler)
            self._log_handler = None
        if self.index is not None and not self._missing:
            self._save_cache(force=True)
        if self._vault_lock is not None:
            self._vault_lock.release()
            self._vault_lock = None

    def run(self) -> None:
        """Start and block until SIGINT or SIGTERM (or `request_stop`), then stop cleanly.

        Raises what `start` raises (WatchLocked, VaultNotFound) before watching begins."""
        self.start()
        main = threading.current_thread() is threading.main_thread()
        previous: dict[int, Any] = {}
        signalled: list[int] = []
        try:
            if main:
                # The handlers only note the signal. One that raised (KeyboardInterrupt, as
                # Python's own does) could land inside a `with lock:` of `threading` before
                # its try block and leave the lock held: stop() would then wait for good on
                # the stop flag's lock (a test's SIGINT stop hung once, on a loaded
                # machine). A signal ignored when kith started (a background job's SIGINT)
                # stays ignored.
                for sig in (signal.SIGINT, signal.SIGTERM):
                    if signal.getsignal(sig) is not signal.SIG_IGN:
                        previous[sig] = signal.signal(sig, lambda n, _f: signalled.append(n))
            while not signalled and not self._stop_flag.wait(0.1):
                pass
        finally:
            for caught in previous:  # a second Ctrl-C must not interrupt the clean stop
                signal.signal(caught, signal.SIG_IGN)
            try:
                self.stop()
            finally:
                for caught, handler in previous.items():
                    signal.signal(caught, handler)

    # ------------------------------------------------------------------ output

    def _emit(self, event: dict[str, Any]) -> None:
        with self._out_lock:
            try:
                self._out(event)
            except Exception:
                log.exception("kith watch: output failed")

    def _notice(self, message: str, level: str = "info") -> None:
        self._emit({"event": "notice", "level": level, "message": message})

    def _error(self, message: str) -> None:
        self._emit({"event": "error", "message": message})

    # ------------------------------------------------------------------ observer

    def _start_observer(self) -> None:
        handler = _Handler(self)
        poll = self.poll
        if not poll:
            obs: BaseObserver | None = None
            try:
                obs = self._observer_factory(False)
                obs.schedule(handler, self._root_str, recursive=True, event_filter=_WANTED_EVENTS)
                obs.start()
            except OSError as e:
                self._stop_one(obs)
                self._notice(
                    f"cannot watch the vault with file system events ({e.strerror or e}); "
                    f"falling back to polling every {self.poll_interval:g} s",
                    "warning",
                )
                poll = True
            else:
                self._observer = obs
                self.observer_kind = _observer_name(obs)
                self._supports_closed = self.observer_kind == "inotify"
                self._check_watch_budget()
                return
        obs = self._observer_factory(True)
        obs.schedule(handler, self._root_str, recursive=True, event_filter=_WANTED_EVENTS)
        obs.start()
        self._observer = obs
        self.observer_kind = _observer_name(obs)
        self._supports_closed = False

    def _default_observer(self, poll: bool) -> BaseObserver:
        if poll:
            return _KeyPollingObserver(lambda: self.config, timeout=self.poll_interval)
        return Observer()

    @staticmethod
    def _stop_one(obs: BaseObserver | None) -> None:
        if obs is None:
            return
        try:
            obs.stop()
            if obs.is_alive():
                obs.join(5.0)
        except Exception:
            pass

    def _stop_observer(self) -> None:
        obs, self._observer = self._observer, None
        self._stop_one(obs)

    def _check_watch_budget(self) -> None:
        if self.observer_kind != "inotify":
            return
        limit = self._watch_limit if self._watch_limit is not None else read_watch_limit()
        if not limit:
            return
        folders = count_folders(self.root)
        if folders >= limit:
            self._notice(
                f"{folders} folders, inotify limit {limit}: changes in some folders will be "
                f"picked up by the periodic rescan (every {self.reconcile:g} s); raise "
                "fs.inotify.max_user_watches or use --poll",
                "warning",
            )
        elif folders >= limit * WATCH_BUDGET_SHARE:
            self._notice(
                f"{folders} folders, close to the inotify limit of {limit} watches (shared "
                "with other programs); if some changes show up late, raise "
                "fs.inotify.max_user_watches or use --poll",
                "warning",
            )

    # ------------------------------------------------------------------ intake (watchdog thread)

    def _rel(self, path: bytes | str) -> str | None:
        p = os.fsdecode(path)
        root = self._root_str
        if p == root:
            return ""
        if not p.startswith(root + os.sep):
            return None
        rel = p[len(root) + 1 :]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel

    def _is_note(self, rel: str) -> bool:
        """A path that may hold a note the index cares about (conflict copies included)."""
        name = rel.rsplit("/", 1)[-1]
        if not name.endswith(".md") or name.startswith(".") or is_ignored_name(name):
            return False
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        config = self.config
        return folder_ok(config, parent) and not is_excluded(config, rel)

    def _on_event(self, event: FileSystemEvent) -> None:
        etype = event.event_type
        rels = [self._rel(event.src_path)]
        if event.dest_path:
            rels.append(self._rel(event.dest_path))
        now = time.monotonic()
        if "" in rels and etype in ("deleted", "moved"):  # the vault folder itself
            self._wake.set()
            return
        if event.is_directory:
            if etype not in ("created", "deleted", "moved"):
                return
            if not any(r and folder_ok(self.config, r) for r in rels):
                return
            with self._lock:
                self._rescan = self._rescan or "folder"
                self._last_event = now
            self._wake.set()
            return
        woke = False
        for i, rel in enumerate(rels):
            if not rel:
                continue
            if rel in CONFIG_FILES:
                with self._lock:
                    self._config_dirty = True
                    self._last_event = now
                woke = True
                continue
            if rel.startswith(VAULT_TEMPLATES + "/"):  # the vault's own report templates
                with self._lock:
                    self._templates_dirty = True
                    self._last_event = now
                woke = True
                continue
            if not self._is_note(rel):
                continue
            with self._lock:
                # The loop sleeps until the quiet period ends; only the first event of a
                # burst, and a `closed` that may end a wait for an in-place writer, wake it.
                if not self._pending or etype == "closed" or rel in self._held:
                    woke = True
                self._pending.add(rel)
                self._last_event = now
                if etype == "modified":
                    self._open[rel] = now
                    self._closed[rel] = False
                elif etype == "closed":
                    self._open.pop(rel, None)
                    self._closed[rel] = True
                elif etype == "deleted" or (etype == "moved" and i == 0):
                    self._open.pop(rel, None)
        if woke:
            self._wake.set()

    def _on_watchdog_log(self, message: str) -> None:
        with self._lock:
            if "overflow" in message.lower():
                self._rescan = "overflow"
            self._log_notes.append(message)
        self._wake.set()

    def _requeue(self, rel: str) -> None:
        with self._lock:
            self._pending.add(rel)
            self._last_event = time.monotonic()
        self._wake.set()

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        while not self._stop_flag.is_set():
            try:
                wait = self._step(time.monotonic())
            except Exception as e:  # one failed pass never ends the watch
                wait = self._after_failure(e)
            if self._stop_flag.is_set():
                break
            if wait > 0:
                self._wake.wait(wait)
            self._wake.clear()

    def _after_failure(self, e: Exception) -> float:
        if isinstance(e, VaultNotFound) or self._vault_state() != "same":
            if not self._missing:
                self._enter_missing()
            return self._retry_delay
        if isinstance(e, KithError):
            self._error(str(e) + (f" (hint: {e.hint})" if e.hint else ""))
        else:
            log.debug("kith watch: pass failed", exc_info=True)
            self._error(f"{type(e).__name__}: {e}; the watcher goes on")
        # A pass that failed part way may have left the incremental snapshot half updated:
        # the next one builds it again from the records (the index itself is consistent).
        self._built = False
        return self.tick

    def _step(self, now: float) -> float:
        self._flush_log_notes()
        if self._missing:
            return self._step_missing(now)
        state = self._vault_state()
        if state != "same":
            self._enter_missing()
            return 0.0 if state == "replaced" else self._retry_delay
        busy = git_busy(self.root)
        if busy:
            if self._paused != busy:
                self._paused = busy
                self._notice(f"paused: {busy}")
            return GIT_RECHECK
        if self._paused:
            self._paused = None
            self._notice("resumed: git is done")
        if not self.ready.is_set():
            self._initial_pass()
            return 0.0
        return self._step_watching(now)

    def _step_watching(self, now: float) -> float:
        today = self._today_fn()
        day_changed = today != self.today
        if day_changed:
            self.today = today
        paths: set[str] = set()
        rescan: str | None = None
        config_dirty = False
        templates_dirty = False
        closed: dict[str, bool] = {}
        wait = self.tick
        with self._lock:
            busy = bool(
                self._pending or self._rescan or self._config_dirty or self._templates_dirty
            )
            if busy:
                left = self._last_event + self.quiet - now
                if self._supports_closed:
                    for rel in self._pending:
                        t = self._open.get(rel)
                        if t is not None:
                            left = max(left, t + self.max_wait - now)
                held = [t for r, t in self._held.items() if r in self._pending]
                if (
                    held
                    and self._pending.issubset(self._held)
                    and not self._rescan
                    and self._last_event <= self._held_at  # nothing new since they were held
                ):
                    left = max(left, min(held) - now)
                if left > 0:
                    wait = min(wait, left)
                else:
                    paths, self._pending = self._pending, set()
                    rescan, self._rescan = self._rescan, None
                    config_dirty, self._config_dirty = self._config_dirty, False
                    templates_dirty, self._templates_dirty = self._templates_dirty, False
                    closed = {p: self._closed.pop(p, False) for p in paths}
                    for p in paths:
                        self._open.pop(p, None)
        reconcile_due = now >= self._next_reconcile and not busy
        if templates_dirty or config_dirty:
            self._forget_renderings()
        if config_dirty and self._reload_config():
            self._pass("config", set(), full=False, force_reports=True)
            paths, rescan = set(), None
        if paths:
            paths = self._hold_transient_empty(paths, closed, now)
            paths = self._drop_echoes(paths)
        if rescan or reconcile_due:
            reason = "rescan" if rescan else "reconcile"
            if rescan == "overflow":
                self._notice(
                    "file system events were lost (inotify queue overflow); rescanned the vault",
                    "warning",
                )
            self._pass(reason, paths, full=True, force_reports=day_changed)
            self._next_reconcile = time.monotonic() + self.reconcile
        elif paths:
            self._pass("change", paths, full=False, force_reports=day_changed or templates_dirty)
        elif templates_dirty:
            self._pass("templates", set(), full=False, force_reports=True)
        elif day_changed:
            self._pass("day", set(), full=False, force_reports=True)
        self._save_cache()
        until_reconcile = self._next_reconcile - time.monotonic()
        return max(0.0, min(wait, until_reconcile, self.tick))

    def _hold_transient_empty(
        self, paths: set[str], closed: dict[str, bool], now: float
    ) -> set[str]:
        """Keep back notes that are empty now but were not, until `closed` or `max_wait`."""
        assert self.index is not None
        out = set()
        back = set()
        for p in paths:
            release = self._held.get(p)
            if release is not None and now >= release:
                del self._held[p]
                out.add(p)
                continue
            if not closed.get(p) and self._transiently_empty(p):
                self._held.setdefault(p, now + self.max_wait)
                back.add(p)
                continue
            self._held.pop(p, None)
            out.add(p)
        if back:
            with self._lock:
                self._pending |= back
                self._held_at = time.monotonic()
        return out

    def _transiently_empty(self, rel: str) -> bool:
        assert self.index is not None
        key = self.index.keys.get(rel)
        if key is None or key[0] == 0:
            return False
        try:
            st = os.lstat(os.path.join(self.root, rel))
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size == 0

    def _drop_echoes(self, paths: set[str]) -> set[str]:
        """Paths whose bytes are exactly what kith itself last wrote there are not changes."""
        out = set()
        for p in paths:
            mine = self._own.get(p)
            if mine is not None and _hash_file(os.path.join(self.root, p)) == mine:
                continue
            out.add(p)
        return out

    def _flush_log_notes(self) -> None:
        with self._lock:
            notes, self._log_notes = self._log_notes, []
        for message in notes:
            if "overflow" not in message.lower():
                self._notice(f"watchdog: {message}", "warning")

    # ------------------------------------------------------------------ the vault going away

    def _vault_state(self) -> str:
        """ "same", "replaced" (a different folder that is a vault) or "missing"."""
        try:
            st = os.stat(self.root)
        except OSError:
            return "missing"
        if not stat.S_ISDIR(st.st_mode):
            return "missing"
        ident = (st.st_dev, st.st_ino)
        if ident == self._root_id:
            return "same"
        if (self.root / CONFIG_NAME).is_file() or (self.root / ".obsidian").is_dir():
            return "replaced"
        return "missing"  # e.g. an empty mount point: never write into it

    def _enter_missing(self) -> None:
        self._missing = True
        self._retry_delay = self.retry_base
        self._retry_at = time.monotonic()
        self._stop_observer()
        with self._lock:
            self._pending.clear()
            self._open.clear()
            self._closed.clear()
            self._rescan = None
        self._emit(
            {
                "event": "problem",
                "path": ".",
                "line": None,
                "severity": ERROR,
                "message": f"vault not found at {self.root}; stopped writing, will retry",
                "hint": "bring the folder back (mount the drive, undo the rename); kith never recreates it",
            }
        )

    def _step_missing(self, now: float) -> float:
        if now < self._retry_at:
            return self._retry_at - now
        state = self._vault_state()
        if state == "missing":
            self._retry_at = now + self._retry_delay
            wait = self._retry_delay
            self._retry_delay = min(self._retry_delay * 2, self.retry_max)
            return wait
        st = os.stat(self.root)
        self._root_id = (st.st_dev, st.st_ino)
        if self._vault_lock is not None:
            try:
                self._vault_lock.ensure()
            except KithError as e:
                self._error(f"{e}; stopping")
                self.request_stop()
                return 0.0
        self._missing = False
        self._start_observer()
        self._notice(f"vault is back at {self.root}; rescanning")
        with self._lock:
            self._rescan = "vault"
            self._last_event = now
        return 0.0

    # ------------------------------------------------------------------ passes

    def _write_reports_fn(self) -> WriteReports:
        if self._write_fn is None:
            from .reports import ReportCache  # the reports layer (issue 3)

            # Keeps the last pass's renderings: a report whose data did not change is
            # not rendered again (only checked against its file).
            self._write_fn = ReportCache()
        return self._write_fn

    def _forget_renderings(self) -> None:
        """Templates or settings changed: the next pass renders every report afresh."""
        reset = getattr(self._write_fn, "reset", None)
        if callable(reset):
            reset()

    def _initial_pass(self) -> None:
        t0 = time.perf_counter()
        before = self._cached_rings() if self.config.record_moves else {}
        self.index = build_index(self.config, lean=True)
        self._built = False
        self._dirty = set()
        moved: list[str] = []
        written: list[str] = []
        problems: list[Problem] = []
        try:
            moved = self._apply_moves(find_stage_changes(before, self.index.records.ring, before))
            vault = self._snapshot()
            written, problems = self._write_reports(vault)
        except VaultNotFound:
            raise
        except Exception as e:  # keep watching: the next change tries again
            self._after_failure(e)
            vault = self._snapshot()
        self._known_problems = set(vault.problems) | set(problems)
        ms = (time.perf_counter() - t0) * 1000
        self._next_reconcile = time.monotonic() + self.reconcile
        self._record_pass(PassResult("initial", (), tuple(written), tuple(moved), True, ms))
        stats = self.index.stats
        self.ready.set()
        self._emit(
            {
                "event": "ready",
                "vault": str(self.root),
                "observer": self.observer_kind,
                "today": self.today.isoformat(),
                "notes": stats.notes,
                "contacts": len(vault.contacts),
                "problems": len(self._known_problems),
                "written": written,
                "moves": moved,
                "ms": round(ms, 1),
            }
        )

    def _cached_rings(self) -> dict[str, str]:
        """The ring of every person in the index cache: the stage kith saw last time."""
        out: dict[str, str] = {}
        found = iter_cache(self.config.state_dir, self.config.fingerprint())
        if found is None:
            return out
        try:
            for rows in found[1]:
                for row in rows:
                    try:
                        if row[5] != ROW_PERSON:  # not a usable person
                            continue
                        ring = person_ring(marshal.loads(row[4]))
                    except Exception:
                        continue
                    if ring is not None:
                        out[row[0]] = ring
        except Exception:  # a damaged cache: nothing seen last time is known
            return {}
        return out

    def _reload_config(self) -> bool:
        try:
            new = load_config(self.root)
        except ConfigError as e:
            self._emit({"event": "problem", "path": CONFIG_NAME, "line": None, "severity": ERROR,
                        "message": f"{e.message}; keeping the previous settings", "hint": e.hint})  # fmt: skip
            return False
        if new == self.config:
            return False
        self.config = new
        self.index = build_index(new, lean=True)
        self._built = False
        self._dirty = set()
        self._notice("settings changed; re-indexed the vault")
        return True

    def _snapshot(self) -> Vault:
        assert self.index is not None
        if not self._built:
            idx = self.index
            idx.records  # noqa: B018 -- loads the records (and their keys) if deferred
            if not isinstance(idx.keys, KeyStore):
                # packed before the build, which reuses the memory the tuples leave
                idx.keys = KeyStore(idx.keys)
            v = idx.vault(track=True)
            self._built = True
            # The index is long-lived and acyclic: keep the cyclic collector from walking
            # its millions of objects on every later pass (they are still freed normally).
            gc.collect()
            gc.freeze()
        else:
            v = self.index.vault(self._dirty)
        self._dirty = set()
        return v

    def _write_reports(self, vault: Vault) -> tuple[list[str], list[Problem]]:
        assert self.index is not None
        if self._vault_state() != "same":
            raise VaultNotFound(f"vault not found at {self.root}")
        writer = Writer(self.root)
        try:
            run = self._write_reports_fn()(vault, self.today, writer)
        finally:
            self._own.update(writer.written)
            self._absorb_own_writes(writer.written)
        written = [r.path for r in run.results if r.status in (CREATED, WRITTEN)]
        return written, list(run.problems)

    def _absorb_own_writes(self, written: dict[str, str]) -> None:
        """Re-index the notes kith just wrote (filled blocks, move lines), so their echo is
        a no-op and the next rescan does not see them as changed."""
        assert self.index is not None
        notes = [p for p in written if self._is_note(p)]
        if not notes:
            return
        for p in notes:
            self.index.keys.pop(p, None)
            self._hashes[p] = written[p]
        self._dirty |= self.index.refresh(notes)
        self._cache_dirty = True

    def _apply_moves(self, changes: Iterable[StageChange]) -> list[str]:
        assert self.index is not None
        if not self.config.record_moves:
            self._retry_moves.clear()
            return []
        todo = {c.path: c for c in changes}
        for p, old in self._retry_moves.items():
            new = self.index.records.ring(p)
            if p not in todo and new is not None and new != old:
                todo[p] = StageChange(p, old, new)
        self._retry_moves = {}
        if not todo:
            return []
        if self._vault_state() != "same":
            raise VaultNotFound(f"vault not found at {self.root}")
        writer = Writer(self.root)
        parser = NoteParser(self.config)
        recorded: list[str] = []
        try:
            for path in sorted(todo):
                outcome = record_stage_change(self.config, todo[path], self.today, writer, parser)
                if outcome.status == RECORDED:
                    recorded.append(path)
                elif outcome.status == CONFLICT:
                    self._retry_moves[path] = todo[path].old
                    self._requeue(path)
                elif outcome.status == REFUSED and outcome.problem is not None:
                    self._emit({"event": "problem", **outcome.problem.to_json()})
        finally:
            self._own.update(writer.written)
            self._absorb_own_writes(writer.written)
        return recorded

    def _pass(self, reason: str, paths: set[str], *, full: bool, force_reports: bool) -> None:
        assert self.index is not None
        t0 = time.perf_counter()
        idx = self.index
        record_moves = self.config.record_moves
        before_keys: Mapping[str, tuple[int, int, int] | None] = {}
        # only persons have a ring (a lean store keeps theirs: no record is read)
        store = idx.records
        if full:
            before_rings = {p: store.ring(p) for p in store.persons} if record_moves else {}
        else:
            before_keys = {p: idx.keys.get(p) for p in paths}
            before_rings = {p: store.ring(p) for p in paths} if record_moves else {}
            for p in paths:  # an event is proof of a change: never trust a same-tick stat key
                idx.keys.pop(p, None)
        before_problems = list(idx.scan_problems)
        changed_records: set[str] = set()
        if full or paths:
            changed_records = idx.refresh(None if full else paths)
            self._dirty |= changed_records
            self._cache_dirty = True
        if full:  # the keys the rescan changed, as they were (the rest are as they are)
            before_keys = idx.old_keys
        content = self._content_changes(before_keys, None if full else paths, changed_records)
        if reason == "reconcile":
            self._hint_unreported(content)
            self._seen_since_reconcile = set()
        else:
            self._seen_since_reconcile |= paths
        moved = self._apply_moves(find_stage_changes(before_rings, store.ring, changed_records))
        problems_changed = idx.scan_problems != before_problems
        written: list[str] = []
        ran = False
        if changed_records or moved or problems_changed or force_reports:
            vault = self._snapshot()
            written, run_problems = self._write_reports(vault)
            self._emit_new_problems(vault, run_problems)
            ran = True
        ms = (time.perf_counter() - t0) * 1000
        changed = tuple(sorted(content | changed_records))
        written_all = tuple(dict.fromkeys([*moved, *written]))
        self._record_pass(PassResult(reason, changed, written_all, tuple(moved), ran, ms))
        if changed or moved or written or force_reports:
            event: dict[str, Any] = {
                "event": "regenerated",
                "reason": reason,
                "changed": list(changed),
                "written": list(written_all),
                "moves": list(moved),
                "ms": round(ms, 1),
            }
            if reason == "day":
                event["today"] = self.today.isoformat()
            self._emit(event)

    def _record_pass(self, result: PassResult) -> None:
        while True:
            try:
                self.passes.put_nowait(result)
                return
            except queue.Full:
                try:
                    self.passes.get_nowait()
                except queue.Empty:
                    pass

    def _content_changes(
        self,
        before_keys: Mapping[str, tuple[int, int, int] | None],
        event_paths: set[str] | None,
        changed_records: set[str],
    ) -> set[str]:
        """Notes whose bytes changed: by hash where kith knows the old one, else by size.
        A touch or chmod changes nothing here."""
        assert self.index is not None
        keys = self.index.keys
        if event_paths is None:  # a rescan: before_keys holds the keys it changed
            candidates = {p for p in before_keys if before_keys[p] != keys.get(p)}
        else:
            candidates = set(event_paths)
        out = set(changed_records)
        for p in candidates:
            old_key, new_key = before_keys.get(p), keys.get(p)
            if new_key is None:
                self._hashes.pop(p, None)
                if old_key is not None:
                    out.add(p)
                continue
            h = _hash_file(os.path.join(self.root, p))
            old_h = self._hashes.get(p)
            self._hashes[p] = h
            if old_key is None:
                out.add(p)
            elif old_h is not None:
                if h != old_h:
                    out.add(p)
            elif old_key[0] != new_key[0]:  # first sight: a touch keeps the size, an edit rarely
                out.add(p)
        return out

    def _hint_unreported(self, content: set[str]) -> None:
        if self._hinted_poll or self.observer_kind == "polling" or not content:
            return
        with self._lock:
            pending = set(self._pending)
        unreported = sorted(content - self._seen_since_reconcile - pending)
        if unreported:
            self._hinted_poll = True
            self._notice(
                f"the periodic rescan found changes no file system event reported ({unreported[0]}"
                + (f" and {len(unreported) - 1} more" if len(unreported) > 1 else "")
                + "); on a network or synced folder, run `kith watch --poll`",
                "warning",
            )

    def _emit_new_problems(self, vault: Vault, extra: Iterable[Problem]) -> None:
        current = set(vault.problems) | set(extra)
        for p in sorted(current - self._known_problems, key=Problem.sort_key):
            self._emit({"event": "problem", **p.to_json()})
        self._known_problems = current

    def _save_cache(self, force: bool = False) -> None:
        if not self._cache_dirty or self.index is None:
            return
        now = time.monotonic()
        if not force and now - self._cache_saved_at < CACHE_SAVE_EVERY:
            return
        with self._lock:
            busy = bool(self._pending) or now - self._last_event < CACHE_SAVE_IDLE
        if not force and busy:
            return  # a save takes ~1 s at 100k notes: never while the user is saving notes
        if self._vault_state() != "same":
            return  # never recreate a vanished vault through the cache folder
        self._cache_dirty = False
        self._cache_saved_at = now
        try:
            save_index(self.index)
        except OSError as e:
            if self._vault_state() != "same":
                return  # the vault went away meanwhile: the next step says so
            self._notice(f"could not save the index cache ({e}); kith works without it", "warning")


def _observer_name(obs: BaseObserver) -> str:
    if type(obs) is _KeyPollingObserver:
        return "polling"
    name = type(obs).__name__
    if name.endswith("Observer"):
        name = name[: -len("Observer")]
    return name.lower() or "observer"


# --------------------------------------------------------------------------- the live log


def _short(paths: list[str], reports_folder: str) -> str:
    prefix = reports_folder.rstrip("/") + "/"
    shown = [p[len(prefix) :] if p.startswith(prefix) else p for p in paths]
    if len(shown) > 6:
        return ", ".join(shown[:6]) + f" and {len(shown) - 6} more"
    return ", ".join(shown)


def format_event(event: dict[str, Any], reports_folder: str = "Reports") -> str | None:
    """One human log line for an event (without the time of day), or None to print nothing."""
    kind = event.get("event")
    if kind == "ready":
        written = event.get("written") or []
        wrote = f"wrote {_short(written, reports_folder)}" if written else "reports up to date"
        problems = event.get("problems") or 0
        extra = f"; {problems} problem(s), run `kith check`" if problems else ""
        return (
            f"watching {event['vault']} ({event['observer']}): {event['contacts']} contacts "
            f"in {event['notes']} notes; {wrote}{extra} ({event['ms']:.0f} ms)"
        )
    if kind == "regenerated":
        changed = event.get("changed") or []
        reason = event.get("reason")
        if reason == "day":
            what = f"new day {event.get('today')}"
        elif changed:
            what = changed[0] + (f" and {len(changed) - 1} more" if len(changed) > 1 else "")
            what += " changed"
            if reason in ("rescan", "reconcile"):
                what = f"rescan: {what}"
        elif reason == "config":
            what = "settings changed"
        elif reason == "templates":
            what = "templates changed"
        else:
            what = f"{reason}"
        written = [p for p in event.get("written") or [] if p not in (event.get("moves") or [])]
        result = _short(written, reports_folder) if written else "no report changed"
        line = f"{what} → {result} ({event.get('ms', 0):.0f} ms)"
        moves = event.get("moves") or []
        if moves:
            line += f"; recorded the stage change in {_short(moves, reports_folder)}"
        return line
    if kind == "problem":
        loc = f"{event.get('path')}:{event.get('line') if event.get('line') is not None else '-'}"
        sev = "" if event.get("severity") == ERROR else f"{event.get('severity', WARNING)}: "
        hint = f" (hint: {event['hint']})" if event.get("hint") else ""
        return f"{loc}: {sev}{event.get('message')}{hint}"
    if kind == "notice":
        return str(event.get("message"))
    if kind == "error":
        return f"error: {event.get('message')}"
    if kind == "stopped":
        return "stopped"
    return None
