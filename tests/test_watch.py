"""`kith watch` on a real observer and a real folder: every editor's save pattern, no loops.

Editors are reproduced by their file operations (vim and emacs skip backups under
/tmp, so running them would not show their real save sequence). Tests wait on the
watcher's pass queue and event stream with timeouts, never on bare sleeps; the
only sleeps simulate a slow writer.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import REPO_ROOT, TODAY, run_cli, write_files
from watchdog.observers.polling import PollingObserver

from vaultlib.blocks import fill_blocks
from vaultlib.config import load_config
from vaultlib.edit import add_log_line, set_field
from vaultlib.index import build_index
from vaultlib.vault import Vault
from vaultlib.watch import (
    PassResult,
    Watcher,
    WatchLocked,
    count_folders,
    format_event,
    git_busy,
)
from vaultlib.write import UNCHANGED, WOULD_WRITE, Writer, WriteResult

ADA = "People/Ada Lovelace.md"
GRACE = "People/Grace Hopper.md"
ALAN = "People/Alan Turing.md"


def person(name: str, stage: str, log: str = "") -> str:
    return f"---\nname: {name}\nstage: {stage}\ncadence: 30d\n---\n# {name}\n\n## Log\n{log}"


BASE = {
    ADA: person("Ada Lovelace", "strategic", "- 2026-10-01 coffee: engines\n"),
    GRACE: person("Grace Hopper", "buddy", "- 2026-09-12 call: compilers\n"),
    ALAN: person("Alan Turing", "lukewarm"),
    "Daily/2026-11-19.md": "Call with [[Grace Hopper]] about COBOL\n",
    "Home.md": "# Home\n\n<!-- kith:people -->\n<!-- /kith:people -->\n\nMine.\n",
    "kith.toml": "",
}


class StubReports:
    """A small deterministic reports layer: one report plus `people` blocks in notes.

    Records what every call saw (each person's ring), so tests can prove a transient
    state was never indexed.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, str | None]] = []
        self.fail_next = 0

    def __call__(self, vault: Vault, today: date, writer: Writer) -> Any:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("template exploded")
        self.calls.append({c.path: c.ring for c in vault.contacts})
        lines = [f"People as of {today.isoformat()}:", ""]
        for c in vault.contacts:
            last = c.interactions[0].date.isoformat() if c.interactions else "never"
            lines.append(f"- {c.name} ({c.path}): {c.ring}, last {last}, {len(c.moves)} move(s)")
        body = "\n".join(lines) + "\n"
        run = SimpleNamespace(results=[], problems=[])
        rel = f"{vault.config.reports_folder}/People.md"
        run.results.append(writer.write(rel, body.encode(), expected=writer.read(rel)))
        for path in vault.block_notes:
            current = writer.read(path)
            if current is None:
                continue
            text = current.decode()
            new, problems = fill_blocks(text, path, lambda block: body)
            run.problems.extend(problems)
            if new == text:
                run.results.append(WriteResult(path, UNCHANGED))
            else:
                run.results.append(writer.write(path, new.encode(), expected=current))
        return run


@dataclass
class Harness:
    root: Path
    watcher: Watcher
    events: queue.Queue[dict[str, Any]]
    stub: StubReports
    seen: list[dict[str, Any]] = field(default_factory=list)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def next_pass(self, timeout: float = 5.0) -> PassResult:
        try:
            return self.watcher.passes.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no pass within {timeout} s; events: {self.drain()}") from None

    def pass_where(self, pred: Callable[[PassResult], bool], timeout: float = 5.0) -> PassResult:
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching pass within {timeout} s; saw {skipped}")
            r = self.next_pass(left)
            if pred(r):
                return r
            skipped.append(r)

    def passes_within(self, seconds: float) -> list[PassResult]:
        """Every pass during the next `seconds` (a timed wait on the pass queue)."""
        out = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.watcher.passes.get(timeout=left))
            except queue.Empty:
                break
        return out

    def assert_quiet(self, seconds: float = 0.6) -> None:
        busy = [r for r in self.passes_within(seconds) if r.written or r.changed or r.regenerated]
        assert busy == [], f"the vault did not go quiet: {busy}"

    def event(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        for ev in self.seen:
            if pred(ev):
                self.seen.remove(ev)
                return ev
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                break
            if pred(ev):
                return ev
            self.seen.append(ev)
        raise AssertionError(f"no matching event within {timeout} s; saw {self.drain()}")

    def drain(self) -> list[dict[str, Any]]:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return self.seen

    def report(self) -> str:
        return self.path("Reports/People.md").read_text()


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    started: list[Watcher] = []

    def make(files: dict[str, str | bytes] | None = None, **kw: Any) -> Harness:
        root = tmp_path / "vault"
        if not root.exists():
            write_files(root, BASE if files is None else files)
        stub = kw.pop("stub", None) or StubReports()
        kw.setdefault("write_reports", stub)
        kw.setdefault("quiet", 0.15)
        kw.setdefault("reconcile", 3600.0)
        today_fn = kw.pop("today_fn", lambda: TODAY)
        events: queue.Queue[dict[str, Any]] = queue.Queue()
        w = Watcher(load_config(root), today_fn, out=events.put, **kw)
        w.start()
        started.append(w)
        h = Harness(root, w, events, stub)
        assert w.wait_ready(10), f"not ready: {h.drain()}"
        initial = h.next_pass()
        assert initial.reason == "initial"
        return h

    yield make
    for w in started:
        w.stop()


def edit_stage(text: str, stage: str) -> str:
    return set_field(text, "stage", stage)


def add_line(text: str, line: str) -> str:
    return add_log_line(text, ["Log"], line, TODAY)


# --- editors and sync tools, reproduced by their file operations -------------------------


def in_place(path: Path, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


def vim_save(path: Path, data: bytes) -> None:
    """vim's default (writebackup, backupcopy=auto): probe 4913, rename to note.md~, write new."""
    d = path.parent
    probe = d / "4913"
    fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    os.close(fd)
    os.chmod(probe, 0o644)
    os.unlink(probe)
    backup = d / (path.name + "~")
    os.rename(path, backup)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o644)
    os.unlink(backup)


def emacs_save(path: Path, data: bytes) -> None:
    """Emacs defaults: a dangling `.#note.md` lock symlink, an autosave file, a backup kept."""
    d = path.parent
    lock = d / (".#" + path.name)
    os.symlink("someone@host.4242:1700000000", lock)
    (d / ("#" + path.name + "#")).write_bytes(data)
    os.rename(path, d / (path.name + "~"))
    path.write_bytes(data)
    os.unlink(lock)
    os.unlink(d / ("#" + path.name + "#"))


def jetbrains_save(path: Path, data: bytes) -> None:
    d = path.parent
    tmp = d / (path.name + "___jb_tmp___")
    old = d / (path.name + "___jb_old___")
    tmp.write_bytes(data)
    os.rename(path, old)
    os.rename(tmp, path)
    os.unlink(old)


def syncthing_save(path: Path, data: bytes) -> None:
    """Temp file, mtime set to the remote's (older), renamed over the note."""
    tmp = path.parent / f".syncthing.{path.name}.tmp"
    tmp.write_bytes(data)
    past = path.stat().st_mtime - 7200
    os.utime(tmp, (past, past))
    os.rename(tmp, path)


SAVES = {"in-place": in_place, "vim": vim_save, "emacs": emacs_save, "jetbrains": jetbrains_save,
         "syncthing": syncthing_save}  # fmt: skip


# --- start, one save, no loop ---------------------------------------------------------------


def test_ready_writes_reports_and_fills_blocks_then_stays_quiet(
    watch: Callable[..., Harness],
) -> None:
    h = watch()
    ready = h.event(lambda e: e["event"] == "ready")
    assert ready["observer"] == "inotify"
    assert ready["contacts"] == 3
    assert set(ready["written"]) == {"Reports/People.md", "Home.md"}
    assert "- Ada Lovelace (People/Ada Lovelace.md): strategic" in h.report()
    assert "Mine.\n" in h.path("Home.md").read_text()
    # Filling Home.md's block is kith's own write: its events must not cause a pass.
    h.assert_quiet(1.0)


@pytest.mark.parametrize("style", sorted(SAVES))
def test_each_editor_save_is_one_change_and_then_quiet(
    watch: Callable[..., Harness], style: str
) -> None:
    h = watch(quiet=0.25)  # a loaded CI machine may pause between two steps of a save
    path = h.path(ADA)
    SAVES[style](path, edit_stage(path.read_text(), "buddy").encode())
    r = h.next_pass()
    assert r.reason == "change"
    assert r.changed == (ADA,)  # never 4913, note.md~, .#note.md, ___jb_tmp___, .syncthing…
    assert "Reports/People.md" in r.written
    assert ADA in r.moves  # the hand-made move got its line
    assert (
        "- Ada Lovelace (People/Ada Lovelace.md): buddy, last 2026-10-01, 1 move(s)" in h.report()
    )
    # One save, one pass: the watcher never saw the note missing halfway through the save.
    assert [c[ADA] for c in h.stub.calls[1:]] == ["buddy"]
    h.assert_quiet(0.6)
    assert not any(e["event"] == "problem" for e in h.drain())


def test_after_an_edit_the_next_quiet_period_has_zero_writes(watch: Callable[..., Harness]) -> None:
    h = watch()
    path = h.path(GRACE)
    in_place(path, add_line(path.read_text(), "- 2026-11-20 lunch: Navy stories").encode())
    r = h.next_pass()
    assert r.changed == (GRACE,)
    assert set(r.written) == {"Reports/People.md", "Home.md"}
    ev = h.event(lambda e: e["event"] == "regenerated")
    assert ev["changed"] == [GRACE] and ev["reason"] == "change"
    # Within a second the vault is quiet again: the echoes of Reports/People.md and of
    # the refilled Home.md block cause no pass, no write.
    assert h.passes_within(1.0) == []
    assert h.stub.calls[-1][GRACE] == "buddy"


def test_a_burst_of_saves_is_one_pass(watch: Callable[..., Harness]) -> None:
    h = watch()
    path = h.path(ADA)
    text = path.read_text()
    for i in range(5):
        text = add_line(text, f"- 2026-11-{10 + i} note: burst {i}")
        in_place(path, text.encode())
    r = h.next_pass()
    assert r.changed == (ADA,)
    assert h.passes_within(0.5) == []
    assert "last 2026-11-14" in h.report()


def test_a_body_edit_is_reported_even_when_no_report_changes(watch: Callable[..., Harness]) -> None:
    h = watch()
    with open(h.path(ADA), "ab") as f:
        f.write(b"\nA thought that is not a log line.\n")
    r = h.next_pass()
    assert r.changed == (ADA,) and r.written == () and not r.regenerated
    ev = h.event(lambda e: e["event"] == "regenerated")
    assert ev["changed"] == [ADA] and ev["written"] == []


def test_reading_notes_sends_the_watcher_no_events(
    watch: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a note is not an event kith asks for: with inotify the kernel does not even
    queue it (a grep, a backup or Obsidian's indexing once cost a watcher two events a file)."""
    seen: list[str] = []
    real = Watcher._on_event

    def spy(self: Watcher, event: Any) -> None:
        seen.append(event.event_type)
        real(self, event)

    monkeypatch.setattr(Watcher, "_on_event", spy)
    h = watch()
    assert h.watcher.observer_kind == "inotify" or sys.platform != "linux"
    for _ in range(20):
        for rel in (ADA, GRACE, "Daily/2026-11-19.md"):
            h.path(rel).read_bytes()
    assert h.passes_within(0.4) == []
    assert [t for t in seen if t in ("opened", "closed_no_write")] == []
    h.path(ALAN).write_text(person("Alan Turing", "strategic"))  # a save still arrives
    assert h.next_pass().changed == (ALAN,)
    assert "modified" in seen or "closed" in seen


def test_touch_and_chmod_change_nothing(watch: Callable[..., Harness]) -> None:
    h = watch()
    path = h.path(ADA)
    os.utime(path, None)
    os.chmod(path, 0o600)
    os.chmod(path, 0o644)
    assert [r for r in h.passes_within(0.6) if r.changed or r.written or r.regenerated] == []
    assert not any(e["event"] == "regenerated" for e in h.drain())


def test_slow_in_place_writer_is_never_indexed_empty(watch: Callable[..., Harness]) -> None:
    h = watch(quiet=0.1, max_wait=2.0)
    path = h.path(ADA)
    data = edit_stage(path.read_text(), "cold").encode()
    with open(path, "r+b") as f:  # VS Code / nano: truncate, then write a while later
        f.truncate(0)
        f.flush()
        time.sleep(0.5)  # the slow writer: 0 bytes on disk for longer than the quiet period
        f.write(data)
    r = h.next_pass()
    assert r.changed == (ADA,)
    assert [c.get(ADA) for c in h.stub.calls[1:]] == ["cold"]  # never the empty note
    h.assert_quiet(0.5)


def test_poll_mode_picks_up_edits_and_holds_a_transient_empty_note(
    watch: Callable[..., Harness],
) -> None:
    h = watch(poll=True, poll_interval=0.2, quiet=0.1, max_wait=1.5)
    assert h.event(lambda e: e["event"] == "ready")["observer"] == "polling"
    path = h.path(ADA)
    data = edit_stage(path.read_text(), "cold").encode()
    with open(path, "r+b") as f:
        f.truncate(0)
        f.flush()
        time.sleep(0.6)  # long enough for the poller to see the empty file
        f.write(data)
    r = h.next_pass()
    assert r.changed == (ADA,)
    assert [c.get(ADA) for c in h.stub.calls[1:]] == ["cold"]


def test_a_note_really_emptied_is_indexed_after_max_wait_without_closed(
    watch: Callable[..., Harness],
) -> None:
    h = watch(poll=True, poll_interval=0.2, quiet=0.1, max_wait=0.5)
    path = h.path(ALAN)
    path.write_bytes(b"")
    r = h.pass_where(lambda r: ALAN in r.changed)
    assert r.regenerated
    assert "Alan Turing (People/Alan Turing.md): None" in h.report()  # a person with no stage


# --- what never triggers work ----------------------------------------------------------------


def test_ignored_paths_and_leftovers_never_trigger_work(watch: Callable[..., Harness]) -> None:
    h = watch()
    r = h.root
    (r / ".obsidian").mkdir()
    (r / ".git" / "objects" / "ab").mkdir(parents=True)
    (r / ".trash").mkdir()
    for i in range(10):
        (r / ".obsidian" / "workspace.json").write_text(json.dumps({"i": i}))
    (r / ".git" / "objects" / "ab" / "cdef").write_bytes(b"blob")
    (r / ".trash" / "Old Friend.md").write_text(person("Old Friend", "cold"))
    (r / "Reports" / "Extra.md").write_text("mine\n")
    (r / ".kith" / "templates").mkdir(parents=True, exist_ok=True)
    (r / "People" / "4913").write_bytes(b"")
    (r / "People" / "Ada Lovelace.md~").write_text("backup")
    (r / "People" / ".Ada Lovelace.md.swp").write_bytes(b"swap" * 100)
    (r / "People" / ".kith-0123abcd.tmp").write_text("temp")
    (r / "People" / "Ada Lovelace.md.vsctmp").write_text("temp")
    os.symlink("user@host.1:2", r / "People" / ".#Ada Lovelace.md")
    (r / "People" / "#Ada Lovelace.md#").write_text("autosave")
    assert h.passes_within(0.8) == []
    assert not any(e["event"] in ("regenerated", "problem") for e in h.drain())


def test_sync_conflict_copy_is_warned_and_never_indexed(watch: Callable[..., Harness]) -> None:
    h = watch()
    copy = "People/Ada Lovelace.sync-conflict-20261120-101010-ABCDEFG.md"
    h.path(copy).write_text(person("Ada Lovelace", "cold"))
    ev = h.event(lambda e: e["event"] == "problem")
    assert ev["path"] == copy
    assert "sync conflict copy of People/Ada Lovelace.md" in ev["message"]
    assert h.watcher.index is not None and copy not in h.watcher.index.records
    assert h.report().count("- Ada Lovelace (") == 1


# --- git, folders, deletions -----------------------------------------------------------------


@pytest.mark.parametrize("marker", ["index.lock", "rebase-merge", "MERGE_HEAD"])
def test_git_burst_waits_for_git_then_is_one_pass(
    watch: Callable[..., Harness], marker: str
) -> None:
    h = watch()
    git = h.root / ".git"
    git.mkdir()
    lock = git / marker
    if marker == "rebase-merge":
        lock.mkdir()
    else:
        lock.write_bytes(b"")
    assert git_busy(h.root)
    os.unlink(h.path(GRACE))  # a checkout: delete, create, rewrite
    h.path("People/Linus Torvalds.md").write_text(person("Linus Torvalds", "cold"))
    in_place(h.path(ADA), edit_stage(h.path(ADA).read_text(), "lukewarm").encode())
    assert h.event(lambda e: e["event"] == "notice")["message"].startswith("paused: ")
    assert h.passes_within(0.6) == []  # nothing while git works
    if lock.is_dir():
        lock.rmdir()
    else:
        lock.unlink()
    r = h.next_pass()
    assert set(r.changed) == {ADA, GRACE, "People/Linus Torvalds.md"}
    assert h.event(lambda e: e["event"] == "notice")["message"] == "resumed: git is done"
    report = h.report()
    assert "Grace Hopper" not in report and "Linus Torvalds" in report
    h.assert_quiet(0.4)


def test_git_worktree_file_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "wt"
    gitdir = tmp_path / "main.git" / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    root.mkdir()
    (root / ".git").write_text(f"gitdir: {gitdir}\n")
    assert git_busy(root) is None
    (gitdir / "index.lock").write_bytes(b"")
    assert git_busy(root) == "git is updating the work tree"


def test_folder_rename_rekeys_and_folder_moved_out_removes(
    watch: Callable[..., Harness], tmp_path: Path
) -> None:
    files = dict(BASE)
    files["People/Team/Katherine Johnson.md"] = person("Katherine Johnson", "buddy")
    files["People/Team/Dorothy Vaughan.md"] = person("Dorothy Vaughan", "strategic")
    h = watch(files)
    os.rename(h.path("People/Team"), h.path("People/Crew"))
    r = h.next_pass()
    assert set(r.changed) == {
        "People/Team/Katherine Johnson.md", "People/Team/Dorothy Vaughan.md",
        "People/Crew/Katherine Johnson.md", "People/Crew/Dorothy Vaughan.md",
    }  # fmt: skip
    assert "(People/Crew/Katherine Johnson.md): buddy" in h.report()
    h.assert_quiet(0.4)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.rename(h.path("People/Crew"), outside / "Crew")  # only `deleted dir` arrives
    r = h.next_pass()
    assert "People/Crew/Katherine Johnson.md" in r.changed
    assert "Katherine" not in h.report() and "Dorothy" not in h.report()


def test_new_folder_with_files_is_indexed_once(watch: Callable[..., Harness]) -> None:
    h = watch()
    deep = h.path("People/Alumni/2020")
    deep.mkdir(parents=True)
    for name in ("Edsger Dijkstra", "Barbara Liskov"):
        (deep / f"{name}.md").write_text(person(name, "cold"))
    r = h.pass_where(lambda r: len(r.changed) == 2)
    assert r.changed == (
        "People/Alumni/2020/Barbara Liskov.md",
        "People/Alumni/2020/Edsger Dijkstra.md",
    )
    assert h.report().count("- Barbara Liskov (") == 1
    h.assert_quiet(0.4)


def test_a_storm_of_new_notes_is_coalesced(watch: Callable[..., Harness]) -> None:
    h = watch()
    storm = h.path("People/Storm")
    storm.mkdir()
    for i in range(400):
        (storm / f"Person {i:03d}.md").write_text(person(f"Person {i:03d}", "cold"))
    indexed: set[str] = set()
    passes = 0
    while len(indexed) < 400:
        indexed |= set(h.next_pass().changed)
        passes += 1
    assert passes <= 3
    assert h.report().count("(People/Storm/") == 400
    h.assert_quiet(0.4)


def test_deleted_person_disappears_from_reports(watch: Callable[..., Harness]) -> None:
    h = watch()
    os.unlink(h.path(ALAN))
    r = h.next_pass()
    assert r.changed == (ALAN,)
    assert "Alan Turing" not in h.report()


def test_note_moved_out_of_the_vault_is_removed(
    watch: Callable[..., Harness], tmp_path: Path
) -> None:
    h = watch()
    os.rename(h.path(ALAN), tmp_path / "Alan Turing.md")  # the delete arrives late
    r = h.next_pass()
    assert r.changed == (ALAN,)
    assert "Alan Turing" not in h.report()


def test_note_moved_into_the_vault_is_added(watch: Callable[..., Harness], tmp_path: Path) -> None:
    h = watch()
    src = tmp_path / "Hedy Lamarr.md"
    src.write_text(person("Hedy Lamarr", "lukewarm"))
    os.rename(src, h.path("People/Hedy Lamarr.md"))
    r = h.next_pass()
    assert r.changed == ("People/Hedy Lamarr.md",)
    assert "Hedy Lamarr (People/Hedy Lamarr.md): lukewarm" in h.report()


# --- lost events --------------------------------------------------------------------------


class DeafObserver(PollingObserver):
    """A real observer that takes its first snapshot and then hears nothing for an hour."""

    def __init__(self) -> None:
        super().__init__(timeout=3600)


def test_periodic_reconcile_catches_changes_no_event_reported(
    watch: Callable[..., Harness],
) -> None:
    h = watch(observer_factory=lambda poll: DeafObserver(), reconcile=0.5)
    h.path("People/Radia Perlman.md").write_text(person("Radia Perlman", "cold"))
    r = h.pass_where(lambda r: r.changed != ())
    assert r.reason == "reconcile" and r.changed == ("People/Radia Perlman.md",)
    assert "Radia Perlman" in h.report()
    hint = h.event(lambda e: e["event"] == "notice" and "--poll" in e["message"])
    assert "People/Radia Perlman.md" in hint["message"]


def test_periodic_reconcile_catches_deletions_and_hand_moves(
    watch: Callable[..., Harness],
) -> None:
    """The rescan compares stat keys as it walks (keeping only differences): a note gone, a
    note edited and a stage changed by hand, with no event for any, are all found."""
    h = watch(observer_factory=lambda poll: DeafObserver(), reconcile=0.5)
    h.path(GRACE).unlink()
    in_place(h.path(ALAN), edit_stage(h.path(ALAN).read_text(), "strategic").encode())
    (h.path("Daily/2026-11-19.md")).write_text("Call with [[Ada Lovelace]] about engines\n")
    changed: set[str] = set()
    moves: list[str] = []
    while len(changed) < 3:  # one pass, or two if a rescan fell between the edits
        r = h.pass_where(lambda r: r.changed != ())
        assert r.reason == "reconcile"
        changed |= set(r.changed)
        moves += r.moves
    assert changed == {ALAN, "Daily/2026-11-19.md", GRACE}
    assert moves == [ALAN]
    assert h.path(ALAN).read_text().endswith("- 2026-11-20 stage: lukewarm → strategic\n")
    report = h.report()
    assert "Grace Hopper" not in report
    assert "Ada Lovelace (People/Ada Lovelace.md): strategic, last 2026-11-19" in report


def test_overflow_warning_triggers_an_immediate_rescan(watch: Callable[..., Harness]) -> None:
    h = watch(observer_factory=lambda poll: DeafObserver())
    h.path("People/Radia Perlman.md").write_text(person("Radia Perlman", "cold"))
    assert h.passes_within(0.3) == []  # nobody told the watcher
    logging.getLogger("watchdog.observers.inotify_c").warning(
        "Inotify queue overflowed; filesystem events were lost"
    )
    r = h.next_pass()
    assert r.reason == "rescan" and r.changed == ("People/Radia Perlman.md",)
    notice = h.event(lambda e: e["event"] == "notice" and "lost" in e["message"])
    assert notice["level"] == "warning"


def test_watch_budget_warning(watch: Callable[..., Harness]) -> None:
    h = watch(watch_limit=4)
    assert count_folders(h.root) >= 4
    ev = h.event(lambda e: e["event"] == "notice" and "inotify limit" in e["message"])
    assert "periodic rescan" in ev["message"] and ev["level"] == "warning"


def test_polling_waits_for_longer_the_longer_a_poll_works(tmp_path: Path) -> None:
    """A poll of a large vault takes long (~0.4 s of CPU at 110k notes): the next one waits
    POLL_WORK_RATIO times the CPU time the last one took, so polling stays a small share of
    a core; a small vault polls at the interval asked for."""
    from watchdog.observers.api import EventQueue, ObservedWatch

    from vaultlib.watch import POLL_WORK_RATIO, _KeyPollingEmitter, poll_wait

    root = tmp_path / "vault"
    write_files(root, {f"Notes/n{i}.md": "x" for i in range(300)})
    config = load_config(root)
    emitter = _KeyPollingEmitter(EventQueue(), ObservedWatch(str(root), recursive=True),
                                 timeout=0.0, config=lambda: config)  # fmt: skip
    emitter.on_thread_start()  # the first listing
    assert emitter._work == 0.0
    emitter.queue_events(0.0)
    assert emitter._work > 0.0
    assert poll_wait(0.0, emitter._work) == POLL_WORK_RATIO * emitter._work
    assert poll_wait(1.0, 0.01) == 1.0 and poll_wait(1.0, 0.5) == POLL_WORK_RATIO * 0.5


def test_poll_mode_sees_notes_created_and_deleted_and_settings_and_templates_changed(
    watch: Callable[..., Harness],
) -> None:
    h = watch(poll=True, poll_interval=0.1, quiet=0.1)
    assert h.event(lambda e: e["event"] == "ready")["observer"] == "polling"
    h.path("People/Radia Perlman.md").write_text(person("Radia Perlman", "cold"))
    r = h.pass_where(lambda r: r.changed != ())
    assert r.changed == ("People/Radia Perlman.md",)
    h.path(GRACE).unlink()
    r = h.pass_where(lambda r: r.changed != ())
    assert r.changed == (GRACE,)
    h.path("kith.toml").write_text('reports_folder = "Out"\n')
    h.pass_where(lambda r: r.reason == "config")  # fails unless such a pass comes
    assert h.watcher.config.reports_folder == "Out"
    (h.root / ".kith/templates").mkdir(parents=True)
    h.path(".kith/templates/overdue.md.j2").write_text("# mine\n")
    h.pass_where(lambda r: r.reason == "templates")


def test_root_watch_failure_falls_back_to_polling(watch: Callable[..., Harness]) -> None:
    def factory(poll: bool) -> Any:
        if not poll:
            raise OSError(errno.EMFILE, "Too many open files")
        return PollingObserver(timeout=0.2)

    h = watch(observer_factory=factory)
    notice = h.event(lambda e: e["event"] == "notice")
    assert "falling back to polling" in notice["message"]
    assert "Too many open files" in notice["message"]
    assert h.event(lambda e: e["event"] == "ready")["observer"] == "polling"
    in_place(h.path(ADA), edit_stage(h.path(ADA).read_text(), "cold").encode())
    assert h.next_pass().changed == (ADA,)


# --- day rollover, moves, settings -----------------------------------------------------------


def test_day_rollover_regenerates_with_no_file_change(watch: Callable[..., Harness]) -> None:
    day = [TODAY]
    h = watch(today_fn=lambda: day[0], tick=0.1)
    day[0] = TODAY + timedelta(days=1)
    r = h.next_pass()
    assert r.reason == "day" and r.changed == () and r.written
    assert h.report().startswith("People as of 2026-11-21:")
    ev = h.event(lambda e: e["event"] == "regenerated")
    assert ev["reason"] == "day" and ev["today"] == "2026-11-21"
    h.assert_quiet(0.4)


def test_hand_move_is_recorded_once_and_kith_move_not_twice(watch: Callable[..., Harness]) -> None:
    h = watch()
    path = h.path(ALAN)
    in_place(path, edit_stage(path.read_text(), "strategic").encode())
    r = h.next_pass()
    assert r.moves == (ALAN,) and ALAN in r.written
    assert path.read_text().endswith("## Log\n- 2026-11-20 stage: lukewarm → strategic\n")
    h.assert_quiet(0.5)  # the line kith wrote is not a new move
    # `kith move` writes the stage and the line in one save: nothing to add.
    text = edit_stage(path.read_text(), "buddy")
    text = add_line(text, "- 2026-11-20 stage: strategic → buddy")
    in_place(path, text.encode())
    r = h.next_pass()
    assert r.moves == () and r.changed == (ALAN,)
    assert path.read_text() == text
    assert (
        "1 move(s)" not in h.report()
        and "Alan Turing (People/Alan Turing.md): buddy, last never, 2 move(s)" in h.report()
    )


def test_record_moves_false_turns_it_off(watch: Callable[..., Harness]) -> None:
    files = dict(BASE, **{"kith.toml": "record_moves = false\n"})
    h = watch(files)
    path = h.path(ALAN)
    text = edit_stage(path.read_text(), "strategic")
    in_place(path, text.encode())
    r = h.next_pass()
    assert r.changed == (ALAN,) and r.moves == ()
    assert path.read_text() == text


def test_move_made_while_not_watching_is_recorded_at_start(
    watch: Callable[..., Harness], tmp_path: Path
) -> None:
    root = write_files(tmp_path / "vault", BASE)
    build_index(load_config(root))  # any kith command leaves the cache behind
    path = root / ALAN
    in_place(path, edit_stage(path.read_text(), "buddy").encode())
    h = watch()
    ready = h.event(lambda e: e["event"] == "ready")
    assert ready["moves"] == [ALAN]
    assert path.read_text().endswith("- 2026-11-20 stage: lukewarm → buddy\n")
    h.assert_quiet(0.4)


def test_settings_change_is_picked_up(watch: Callable[..., Harness]) -> None:
    h = watch()
    h.path("kith.toml").write_text('reports_folder = "Out"\n')
    r = h.next_pass()
    assert r.reason == "config" and "Out/People.md" in r.written
    h.path("kith.toml").write_text("reports_folder = [\n")
    ev = h.event(lambda e: e["event"] == "problem")
    assert ev["path"] == "kith.toml" and "keeping the previous settings" in ev["message"]


def test_vault_template_edit_regenerates(watch: Callable[..., Harness]) -> None:
    h = watch()
    tdir = h.path(".kith/templates")
    tdir.mkdir(parents=True, exist_ok=True)
    (tdir / "people.md.j2").write_text("x\n")
    r = h.next_pass()
    assert r.reason == "templates" and r.regenerated


# --- robustness ------------------------------------------------------------------------------


def test_an_error_in_one_pass_is_logged_and_the_watch_goes_on(
    watch: Callable[..., Harness],
) -> None:
    h = watch()
    h.stub.fail_next = 1
    in_place(h.path(ADA), edit_stage(h.path(ADA).read_text(), "cold").encode())
    err = h.event(lambda e: e["event"] == "error")
    assert "RuntimeError: template exploded" in err["message"]
    in_place(h.path(GRACE), edit_stage(h.path(GRACE).read_text(), "cold").encode())
    r = h.pass_where(lambda r: GRACE in r.changed)
    assert r.regenerated and "Grace Hopper (People/Grace Hopper.md): cold" in h.report()
    assert "Ada Lovelace (People/Ada Lovelace.md): cold" in h.report()


def test_after_a_failed_pass_the_snapshot_is_built_again(watch: Callable[..., Harness]) -> None:
    """A pass that fails part way may leave the incremental snapshot half updated: the next
    pass builds it afresh from the records instead of updating it."""
    h = watch()
    before = h.watcher.index._builder
    h.stub.fail_next = 1
    in_place(h.path(ADA), edit_stage(h.path(ADA).read_text(), "cold").encode())
    h.event(lambda e: e["event"] == "error")
    assert h.watcher.index._builder is before  # the failed pass updated it in place
    in_place(h.path(GRACE), edit_stage(h.path(GRACE).read_text(), "cold").encode())
    h.pass_where(lambda r: GRACE in r.changed)
    assert h.watcher.index._builder is not before
    assert "Ada Lovelace (People/Ada Lovelace.md): cold" in h.report()


def test_second_watcher_is_refused_naming_the_first(watch: Callable[..., Harness]) -> None:
    h = watch()
    other = Watcher(load_config(h.root), lambda: TODAY, write_reports=StubReports())
    with pytest.raises(WatchLocked) as e:
        other.start()
    assert f"pid {os.getpid()} on {socket.gethostname()}" in str(e.value)
    result = run_cli(h.root, "watch")
    assert result.exit_code == 1
    assert "another kith watch is already running" in result.stderr


def test_stale_lock_is_taken_over_and_foreign_host_respected(tmp_path: Path) -> None:
    root = write_files(tmp_path / "vault", BASE)
    (root / ".kith").mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = root / ".kith" / "lock"
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid}))
    w = Watcher(load_config(root), lambda: TODAY, write_reports=StubReports())
    w.start()
    try:
        assert w.wait_ready(10)
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        w.stop()
    assert not lock.exists()
    lock.write_text(json.dumps({"host": "laptop-elsewhere", "pid": 1}))
    with pytest.raises(WatchLocked, match="pid 1 on laptop-elsewhere"):
        Watcher(load_config(root), lambda: TODAY, write_reports=StubReports()).start()
    assert lock.exists()


def test_stale_temp_files_are_removed_at_start(
    watch: Callable[..., Harness], tmp_path: Path
) -> None:
    root = write_files(tmp_path / "vault", BASE)
    (root / "People" / ".kith-0badc0ffee.tmp").write_text("half a report")
    h = watch()
    notice = h.event(lambda e: e["event"] == "notice")
    assert "People/.kith-0badc0ffee.tmp" in notice["message"]
    assert not (root / "People" / ".kith-0badc0ffee.tmp").exists()


@pytest.mark.parametrize("poll", [False, True], ids=["events", "poll"])
def test_vault_disappears_stop_writing_and_resume(
    watch: Callable[..., Harness], tmp_path: Path, poll: bool
) -> None:
    h = watch(retry_base=0.1, retry_max=0.2, tick=0.1, poll=poll, poll_interval=0.1)
    away = tmp_path / "away"
    os.rename(h.root, away)
    ev = h.event(lambda e: e["event"] == "problem")
    assert ev["path"] == "." and "vault not found" in ev["message"]
    # While it is gone nothing is written and nothing recreates it.
    (away / "People" / "Hedy Lamarr.md").write_text(person("Hedy Lamarr", "cold"))
    assert h.passes_within(0.5) == []
    assert not h.root.exists()
    os.rename(away, h.root)
    h.event(lambda e: e["event"] == "notice" and "vault is back" in e["message"])
    r = h.next_pass()
    assert r.reason == "rescan" and "People/Hedy Lamarr.md" in r.changed
    in_place(h.path(ADA), edit_stage(h.path(ADA).read_text(), "cold").encode())
    assert h.pass_where(lambda r: ADA in r.changed).regenerated


def _read_events(proc: subprocess.Popen[bytes], sink: queue.Queue[dict[str, Any] | None]) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        try:
            sink.put(json.loads(raw))
        except ValueError:
            pass
    sink.put(None)


def _cli_watch(
    root: Path, **popen: Any
) -> tuple[subprocess.Popen[bytes], queue.Queue[dict[str, Any] | None]]:
    """`kith watch --json` on `root` in a process of its own, and the queue of its events
    (None once its output ends)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "cli.py"),
            "--vault",
            str(root),
            "--today",
            "2026-11-20",
            "watch",
            "--json",
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "KITH_VAULT": ""},
        **popen,
    )
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()
    threading.Thread(target=_read_events, args=(proc, events), daemon=True).start()
    return proc, events


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_watch_stops_cleanly_on_signals(tmp_path: Path, sig: int) -> None:
    root = write_files(tmp_path / "vault", BASE)
    proc, events = _cli_watch(root)
    try:
        ready = events.get(timeout=30)
        assert ready is not None and ready["event"] == "ready", ready
        assert (root / ".kith" / "lock").exists()
        in_place(root / ADA, edit_stage((root / ADA).read_text(), "buddy").encode())
        while (ev := events.get(timeout=10)) is not None and ev["event"] != "regenerated":
            pass
        assert ev is not None and ev["changed"] == [ADA]
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_stopped_cleanly(root, events)
    assert "Overdue.md" in os.listdir(root / "Reports")  # the real reports layer ran


def _assert_stopped_cleanly(root: Path, events: queue.Queue[dict[str, Any] | None]) -> None:
    rest = []
    while (ev := events.get(timeout=5)) is not None:
        rest.append(ev)
    assert rest[-1] == {"event": "stopped"}
    assert not (root / ".kith" / "lock").exists()
    assert not list(root.rglob(".kith-*.tmp"))


# --- the live log ----------------------------------------------------------------------------


def test_format_event_lines() -> None:
    ev = {"event": "regenerated", "reason": "change", "changed": ["People/Ada Lovelace.md"],
          "written": ["Reports/Overdue.md", "Reports/Dashboard.md"], "moves": [], "ms": 18.2}  # fmt: skip
    assert format_event(ev) == "People/Ada Lovelace.md changed → Overdue.md, Dashboard.md (18 ms)"
    ev = dict(
        ev,
        written=["People/Ada Lovelace.md", "Reports/Funnel.md"],
        moves=["People/Ada Lovelace.md"],
    )
    assert format_event(ev) == (
        "People/Ada Lovelace.md changed → Funnel.md (18 ms); "
        "recorded the stage change in People/Ada Lovelace.md"
    )
    assert format_event({"event": "regenerated", "reason": "change", "changed": ["a.md", "b.md"],
                         "written": [], "moves": [], "ms": 1}) == "a.md and 1 more changed → no report changed (1 ms)"  # fmt: skip
    assert format_event({"event": "regenerated", "reason": "day", "today": "2026-11-21", "changed": [],
                         "written": ["Reports/Overdue.md"], "moves": [], "ms": 5}) == "new day 2026-11-21 → Overdue.md (5 ms)"  # fmt: skip
    assert format_event({"event": "problem", "path": "a.md", "line": 3, "severity": "warning",
                         "message": "bad", "hint": ""}) == "a.md:3: warning: bad"  # fmt: skip
    assert format_event({"event": "stopped"}) == "stopped"
    assert format_event({"event": "something-new"}) is None


# --- soak ------------------------------------------------------------------------------------


def _soak(tmp_path: Path, seconds: float, poll: bool = False) -> None:
    """Several writers with different save styles at once; then the invariants."""
    files = dict(BASE)
    files["Daily/2026-11-20.md"] = "# Today\n\n<!-- kith:overdue -->\n<!-- /kith:overdue -->\n"
    files["Home.md"] = "# Home\n\n<!-- kith:dashboard -->\n<!-- /kith:dashboard -->\n\nMine.\n"
    root = write_files(tmp_path / "vault", files)
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    w = Watcher(load_config(root), lambda: TODAY, out=events.put, quiet=0.15, reconcile=2.0,
                poll=poll, poll_interval=0.1)  # fmt: skip
    w.start()
    assert w.wait_ready(30)
    stop = threading.Event()
    last: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def writer(rel: str, save: Callable[[Path, bytes], None], seed: int, moves: bool) -> None:
        rng = random.Random(seed)
        path = root / rel
        i = 0
        try:
            while not stop.is_set():
                i += 1
                text = path.read_text()  # like Obsidian: reload what is on disk, then edit
                text = add_line(text, f"- 2026-11-{rng.randint(1, 20):02d} note: {rel} edit {i}")
                if moves and rng.random() < 0.4:
                    text = edit_stage(text, rng.choice(["cold", "lukewarm", "strategic", "buddy"]))
                data = text.encode()
                save(path, data)
                last[rel] = data
                stop.wait(rng.uniform(0.02, 0.5))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def churn() -> None:
        n = 0
        while not stop.wait(0.05):
            n += 1
            (root / ".obsidian").mkdir(exist_ok=True)
            (root / ".obsidian" / "workspace.json").write_text(json.dumps({"n": n}))
            temp = root / "People" / f"Temp {n % 3}.md"
            if temp.exists():
                temp.unlink()
            else:
                temp.write_text(person(f"Temp {n % 3}", "cold"))

    threads = [
        threading.Thread(target=writer, args=(ADA, in_place, 1, True)),
        threading.Thread(target=writer, args=(GRACE, vim_save, 2, False)),
        threading.Thread(target=writer, args=(ALAN, jetbrains_save, 3, True)),
        threading.Thread(
            target=writer, args=("People/Mary Somerville.md", syncthing_save, 4, False)
        ),
        threading.Thread(target=churn),
    ]
    (root / "People/Mary Somerville.md").write_text(person("Mary Somerville", "cold"))
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(10)
    try:
        assert errors == []
        # Settle: the last edits are processed, then nothing more happens.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                w.passes.get(timeout=1.5)
            except queue.Empty:
                break
        else:
            raise AssertionError("the watcher never went quiet")
        busy = []
        end = time.monotonic() + 1.0
        while (left := end - time.monotonic()) > 0:
            try:
                r = w.passes.get(timeout=left)
            except queue.Empty:
                break
            if r.written:
                busy.append(r)
        assert busy == [], "writes in the final quiet period"
    finally:
        w.stop()
    # No user edit lost or reverted: every line the writer saved last is on disk, in order
    # (kith may only have added its stage-change lines).
    for rel, data in last.items():
        disk = (root / rel).read_text().splitlines()
        mine = data.decode().splitlines()
        it = iter(disk)
        assert all(line in it for line in mine), f"{rel} lost a user edit"
        extra = [line for line in disk if line not in mine]
        assert all(" stage: " in line for line in extra), (rel, extra)
    # Never twice: no two consecutive stage-change lines record the same move.
    for rel in (ADA, ALAN):
        moves = [line for line in (root / rel).read_text().splitlines() if " stage: " in line]
        assert all(a.split(" ", 2)[2] != b.split(" ", 2)[2] for a, b in zip(moves, moves[1:])), (
            moves
        )
    assert not list(root.rglob(".kith-*.tmp"))
    # The reports equal a fresh `kith report`: a dry run over a rebuilt index writes nothing.
    assert _fresh_report_writes_nothing(root) == []
    seen = []
    while not events.empty():
        seen.append(events.get_nowait())
    assert [e for e in seen if e["event"] == "error"] == []


def _fresh_report_writes_nothing(root: Path) -> list[str]:
    from vaultlib.reports import write_reports

    vault = build_index(load_config(root), rebuild=True, save=False).vault()
    run = write_reports(vault, TODAY, Writer(root, dry_run=True))
    return [r.path for r in run.results if r.status == WOULD_WRITE]


def test_generated_block_in_a_daily_note_does_not_feed_back(tmp_path: Path) -> None:
    """Links kith writes into a block of today's daily note are not contact: the next
    fresh `kith report` agrees with what the watcher wrote."""
    files = dict(BASE)
    files["Daily/2026-11-20.md"] = "# Today\n\n<!-- kith:overdue -->\n<!-- /kith:overdue -->\n"
    root = write_files(tmp_path / "vault", files)
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    w = Watcher(load_config(root), lambda: TODAY, out=events.put, quiet=0.1)
    w.start()
    try:
        assert w.wait_ready(30)
        assert "[[Alan Turing]]" in (root / "Daily/2026-11-20.md").read_text()  # never contacted
    finally:
        w.stop()
    assert _fresh_report_writes_nothing(root) == []


def test_soak_short(tmp_path: Path) -> None:
    _soak(tmp_path, float(os.environ.get("KITH_SOAK_SECONDS", "8")))


def test_soak_short_polling(tmp_path: Path) -> None:
    _soak(tmp_path, float(os.environ.get("KITH_SOAK_SECONDS", "8")), poll=True)


@pytest.mark.slow
def test_soak_long(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("long soak: run with -m slow (KITH_SOAK_LONG_SECONDS, default 120)")
    _soak(tmp_path, float(os.environ.get("KITH_SOAK_LONG_SECONDS", "120")))


def test_cli_watch_keeps_ignoring_a_sigint_it_started_with(tmp_path: Path) -> None:
    """A job started with SIGINT ignored (as a shell starts a background job) is not
    stopped by one; SIGTERM still stops it cleanly."""
    root = write_files(tmp_path / "vault", BASE)
    proc, events = _cli_watch(root, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        ready = events.get(timeout=30)
        assert ready is not None and ready["event"] == "ready", ready
        proc.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_stopped_cleanly(root, events)


def test_run_stops_on_sigint_in_the_main_thread_and_puts_the_handlers_back(tmp_path: Path):
    """In the main thread, run() takes SIGINT and SIGTERM for as long as it watches (its
    handlers only note the signal), stops cleanly, and leaves the handlers as it found
    them."""
    root = write_files(tmp_path / "vault", BASE)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    events: list[dict[str, Any]] = []
    w = Watcher(load_config(root), lambda: TODAY, out=events.append, write_reports=StubReports())

    def interrupt() -> None:
        assert w.wait_ready(30)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    w.run()  # returns, rather than raising KeyboardInterrupt
    assert events[-1] == {"event": "stopped"}
    assert {s: signal.getsignal(s) for s in before} == before
    assert not (root / ".kith" / "lock").exists()
