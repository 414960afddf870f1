"""The writer: atomic compare-and-swap writes that never leave the vault or lose a user's save."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vaultlib.write as write_mod
from vaultlib.errors import Conflict, UnsafePath, VaultNotFound, WriteRefused
from vaultlib.write import Writer, WriteResult, cleanup_stale_temps

HAVE_RENAMEAT2 = write_mod._RENAMEAT2 is not None


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry below `folder` (not following links) with its content or link target."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", "")
            else:
                out[rel] = ("file", p.read_bytes())
    return out


def temps(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob(".kith-*.tmp") if not p.is_symlink()
    )


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    v = tmp_path / "vault"
    v.mkdir()
    return v


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    o = tmp_path / "outside"
    o.mkdir()
    (o / "secret.md").write_bytes(b"secret\n")
    return o


@pytest.fixture(params=["exchange", "fallback"] if HAVE_RENAMEAT2 else ["fallback"])
def swap_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with renameat2 (Linux) and with the portable check + os.replace path."""
    if request.param == "fallback":
        monkeypatch.setattr(write_mod, "_RENAMEAT2", None)
    return str(request.param)


# --- basic behaviour ------------------------------------------------------------


def test_create_then_write_then_unchanged(vault: Path, swap_mode: str) -> None:
    w = Writer(vault)
    assert w.read("Reports/index.md") is None
    assert w.write("Reports/index.md", b"one\n", expected=None) == WriteResult(
        "Reports/index.md", "created"
    )
    assert (vault / "Reports/index.md").read_bytes() == b"one\n"
    w2 = Writer(vault)
    assert w2.read("Reports/index.md") == b"one\n"
    assert w2.write("Reports/index.md", b"two\n", expected=b"one\n").status == "written"
    assert (vault / "Reports/index.md").read_bytes() == b"two\n"
    assert (
        Writer(vault).write("Reports/index.md", b"two\n", expected=b"two\n").status == "unchanged"
    )
    assert temps(vault) == []


def test_ledger_records_what_was_written(vault: Path) -> None:
    w = Writer(vault)
    w.write("a.md", b"A", expected=None)
    (vault / "b.md").write_bytes(b"B")
    w.write("b.md", b"B", expected=b"B")  # unchanged: not written, not in the ledger
    assert w.written == {"a.md": hashlib.sha256(b"A").hexdigest()}


def test_unchanged_does_not_touch_mtime(vault: Path) -> None:
    note = vault / "index.md"
    note.write_bytes(b"same\r\n")
    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    ino = note.stat().st_ino
    res = Writer(vault).write("index.md", b"same\r\n", expected=b"same\r\n")
    assert res.status == "unchanged"
    assert note.stat().st_mtime_ns == 1_000_000_000
    assert note.stat().st_ino == ino


def test_unchanged_wins_over_stale_expected(vault: Path) -> None:
    """The file already holds what kith wants: nothing to do, even if the caller read older bytes."""
    (vault / "a.md").write_bytes(b"new")
    assert Writer(vault).write("a.md", b"new", expected=b"old").status == "unchanged"


def test_bytes_written_exactly(vault: Path, swap_mode: str) -> None:
    data = b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\nbody\rold mac\nunix" + "\u2028".encode()
    Writer(vault).write("crlf.md", data, expected=None)
    assert (vault / "crlf.md").read_bytes() == data
    Writer(vault).write("crlf.md", data + b"\r\n", expected=data)
    assert (vault / "crlf.md").read_bytes() == data + b"\r\n"
    Writer(vault).write("empty.md", b"", expected=None)
    assert (vault / "empty.md").read_bytes() == b""


def test_permission_bits_kept(vault: Path, swap_mode: str) -> None:
    note = vault / "a.md"
    note.write_bytes(b"x")
    note.chmod(0o640)
    Writer(vault).write("a.md", b"y", expected=b"x")
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert note.read_bytes() == b"y"


def test_creates_parent_folders(vault: Path) -> None:
    Writer(vault).write("a/b/c/d.md", b"deep", expected=None)
    assert (vault / "a/b/c/d.md").read_bytes() == b"deep"


def test_same_path_twice_refused(vault: Path) -> None:
    w = Writer(vault)
    w.write("Reports/a.md", b"1", expected=None)
    with pytest.raises(WriteRefused, match="twice"):
        w.write("Reports/a.md", b"2", expected=b"1")
    with pytest.raises(WriteRefused, match="twice"):
        w.write("./Reports/A.md", b"3", expected=None)  # same file on macOS/Windows
    assert (vault / "Reports/a.md").read_bytes() == b"1"
    assert not (vault / "Reports/A.md").exists()
    # A new Writer (the watcher's next pass) may write it again.
    assert Writer(vault).write("Reports/a.md", b"2", expected=b"1").status == "written"


def test_unchanged_counts_as_a_write_for_the_twice_rule(vault: Path) -> None:
    (vault / "a.md").write_bytes(b"x")
    w = Writer(vault)
    assert w.write("a.md", b"x", expected=b"x").status == "unchanged"
    with pytest.raises(WriteRefused):
        w.write("a.md", b"y", expected=b"x")


def test_dry_run_touches_nothing(vault: Path) -> None:
    (vault / "a.md").write_bytes(b"old")
    before = snapshot(vault)
    w = Writer(vault, dry_run=True)
    assert w.write("a.md", b"new", expected=b"old").status == "would-write"
    assert w.write("b.md", b"same", expected=None).status == "would-write"
    assert w.write("new/dir/c.md", b"x", expected=None).status == "would-write"
    (vault / "d.md").write_bytes(b"d")
    assert w.write("d.md", b"d", expected=b"d").status == "unchanged"
    with pytest.raises(Conflict):
        w.write("e.md", b"e", expected=b"was there")
    assert w.written == {}
    after = snapshot(vault)
    del after["d.md"]
    assert after == before


def test_missing_vault_is_not_recreated(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with pytest.raises(VaultNotFound):
        Writer(gone).write("Reports/index.md", b"x", expected=None)
    assert not gone.exists()


# --- conflicts ------------------------------------------------------------------


def test_conflict_in_place_change(vault: Path, swap_mode: str) -> None:
    note = vault / "a.md"
    note.write_bytes(b"original\n")
    w = Writer(vault)
    seen = w.read("a.md")
    with open(note, "r+b") as f:  # an in-place editor save
        f.write(b"USER")
    with pytest.raises(Conflict):
        w.write("a.md", b"generated\n", expected=seen)
    assert note.read_bytes() == b"USERinal\n"
    assert temps(vault) == []


def test_conflict_replace_style_change(vault: Path, swap_mode: str) -> None:
    note = vault / "a.md"
    note.write_bytes(b"original\n")
    w = Writer(vault)
    seen = w.read("a.md")
    (vault / "a.md.tmp").write_bytes(b"user's save\n")
    os.replace(vault / "a.md.tmp", note)  # a rename-style editor save
    with pytest.raises(Conflict):
        w.write("a.md", b"generated\n", expected=seen)
    assert note.read_bytes() == b"user's save\n"
    assert temps(vault) == []


def test_conflict_when_deleted_since_read(vault: Path) -> None:
    (vault / "a.md").write_bytes(b"x")
    w = Writer(vault)
    seen = w.read("a.md")
    (vault / "a.md").unlink()
    with pytest.raises(Conflict, match="deleted"):
        w.write("a.md", b"y", expected=seen)
    assert not (vault / "a.md").exists()


def test_new_file_that_exists_already_is_a_conflict(vault: Path) -> None:
    (vault / "a.md").write_bytes(b"user")
    with pytest.raises(Conflict):
        Writer(vault).write("a.md", b"kith", expected=None)
    assert (vault / "a.md").read_bytes() == b"user"


def test_new_file_race_in_the_last_moment(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user creates the file after kith's check, just before the link: EEXIST -> Conflict."""
    real_link = os.link

    def racing_link(src: str, dst: str, **kw: object) -> None:
        (vault / "a.md").write_bytes(b"user was faster")
        real_link(src, dst, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", racing_link)
    with pytest.raises(Conflict):
        Writer(vault).write("a.md", b"kith", expected=None)
    assert (vault / "a.md").read_bytes() == b"user was faster"
    assert temps(vault) == []


@pytest.mark.skipif(not HAVE_RENAMEAT2, reason="needs renameat2 (Linux)")
@pytest.mark.parametrize("style", ["in-place", "replace"])
def test_user_save_inside_the_swap_window_is_kept(
    vault: Path, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    """A save landing after the last check but before the swap is swapped back, not lost."""
    note = vault / "a.md"
    note.write_bytes(b"original\n")
    real = write_mod._renameat2
    calls: list[int] = []

    def racing(dirfd: int | None, old: str, new: str, flags: int) -> None:
        if not calls:
            if style == "in-place":
                with open(note, "r+b") as f:
                    f.write(b"USER")
            else:
                (vault / "user.tmp").write_bytes(b"user's save\n")
                os.replace(vault / "user.tmp", note)
        calls.append(flags)
        real(dirfd, old, new, flags)

    monkeypatch.setattr(write_mod, "_renameat2", racing)
    w = Writer(vault)
    seen = w.read("a.md")
    with pytest.raises(Conflict):
        w.write("a.md", b"generated\n", expected=seen)
    expected_user = b"USERinal\n" if style == "in-place" else b"user's save\n"
    assert note.read_bytes() == expected_user
    assert calls == [write_mod.RENAME_EXCHANGE, write_mod.RENAME_EXCHANGE]  # swapped, swapped back
    assert temps(vault) == []
    assert w.written == {}


def test_user_save_just_before_fallback_replace(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without renameat2 the re-check right before os.replace still catches earlier saves."""
    monkeypatch.setattr(write_mod, "_RENAMEAT2", None)
    note = vault / "a.md"
    note.write_bytes(b"original\n")
    real_read = write_mod._read_at
    calls: list[str] = []

    def read_then_user_saves(d: write_mod._Dir, name: str, rel: str) -> bytes | None:
        out = real_read(d, name, rel)
        calls.append(name)
        if len(calls) == 1:  # after kith's first read inside write(), the user saves
            note.write_bytes(b"user\n")
        return out

    monkeypatch.setattr(write_mod, "_read_at", read_then_user_saves)
    with pytest.raises(Conflict):
        Writer(vault).write("a.md", b"generated\n", expected=b"original\n")
    assert note.read_bytes() == b"user\n"
    assert len(calls) == 2
    assert temps(vault) == []


# --- refusals: symlinks, traversal, links, permissions ------------------------------


def test_symlinked_target_refused(vault: Path, outside: Path, swap_mode: str) -> None:
    (vault / "leak.md").symlink_to(outside / "secret.md")
    before = snapshot(outside)
    w = Writer(vault)
    with pytest.raises(WriteRefused, match="symlink"):
        w.read("leak.md")
    with pytest.raises((WriteRefused, UnsafePath)):
        Writer(vault).write("leak.md", b"pwned", expected=b"secret\n")
    assert snapshot(outside) == before
    assert (vault / "leak.md").is_symlink()
    assert temps(vault) == []


def test_symlinked_parent_folder_refused(vault: Path, outside: Path) -> None:
    (vault / "Reports").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    with pytest.raises(UnsafePath):
        Writer(vault).write("Reports/index.md", b"pwned", expected=None)
    with pytest.raises(UnsafePath):
        Writer(vault).write("Reports/secret.md", b"pwned", expected=b"secret\n")
    with pytest.raises(UnsafePath):
        Writer(vault).write("Reports/new/deeper.md", b"pwned", expected=None)
    with pytest.raises(UnsafePath):
        Writer(vault).read("Reports/secret.md")
    assert snapshot(outside) == before


def test_folder_swapped_for_symlink_after_the_check(
    vault: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder replaced by a symlink between the path check and the write is still refused."""
    (vault / "Reports").mkdir()
    real_resolve = write_mod.resolve_inside

    def check_then_swap(root: Path, rel: str) -> Path:
        out = real_resolve(root, rel)
        (vault / "Reports").rmdir()
        (vault / "Reports").symlink_to(outside, target_is_directory=True)
        return out

    monkeypatch.setattr(write_mod, "resolve_inside", check_then_swap)
    before = snapshot(outside)
    with pytest.raises(UnsafePath):
        Writer(vault).write("Reports/index.md", b"pwned", expected=None)
    assert snapshot(outside) == before


@pytest.mark.parametrize(
    "rel", ["../outside/x.md", "../outside/secret.md", "a/../../outside/x.md", "/abs/x.md"]
)
def test_traversal_refused(vault: Path, outside: Path, rel: str) -> None:
    rel = rel.replace("/abs", str(outside))
    before_out, before_vault = snapshot(outside), snapshot(vault)
    with pytest.raises(UnsafePath):
        Writer(vault).write(rel, b"pwned", expected=None)
    with pytest.raises(UnsafePath):
        Writer(vault).read(rel)
    assert snapshot(outside) == before_out
    assert snapshot(vault) == before_vault


def test_hard_link_refused(vault: Path, outside: Path) -> None:
    os.link(outside / "secret.md", vault / "a.md")
    with pytest.raises(WriteRefused, match="hard link"):
        Writer(vault).write("a.md", b"new", expected=b"secret\n")
    assert (outside / "secret.md").read_bytes() == b"secret\n"
    assert (vault / "a.md").read_bytes() == b"secret\n"
    assert (vault / "a.md").stat().st_nlink == 2
    assert temps(vault) == []


def test_read_only_file_refused_and_not_chmodded(vault: Path) -> None:
    note = vault / "a.md"
    note.write_bytes(b"keep")
    note.chmod(0o444)
    with pytest.raises(WriteRefused, match="read-only"):
        Writer(vault).write("a.md", b"new", expected=b"keep")
    assert stat.S_IMODE(note.stat().st_mode) == 0o444
    assert note.read_bytes() == b"keep"
    assert temps(vault) == []


def test_read_only_file_with_same_bytes_is_unchanged(vault: Path) -> None:
    note = vault / "a.md"
    note.write_bytes(b"keep")
    note.chmod(0o444)
    assert Writer(vault).write("a.md", b"keep", expected=b"keep").status == "unchanged"


def test_not_a_regular_file_refused(vault: Path) -> None:
    (vault / "dir.md").mkdir()
    os.mkfifo(vault / "fifo.md")
    with pytest.raises(WriteRefused):
        Writer(vault).write("dir.md", b"x", expected=None)
    with pytest.raises(WriteRefused):
        Writer(vault).read("fifo.md")  # must not block
    with pytest.raises(WriteRefused):
        Writer(vault).write("fifo.md", b"x", expected=None)


def test_parent_is_a_file(vault: Path) -> None:
    (vault / "a.md").write_bytes(b"x")
    with pytest.raises(WriteRefused, match="not a folder"):
        Writer(vault).write("a.md/b.md", b"y", expected=None)
    assert (vault / "a.md").read_bytes() == b"x"


def test_temp_file_name_refused(vault: Path) -> None:
    with pytest.raises(WriteRefused):
        Writer(vault).write(".kith-0123456789abcdef.tmp", b"x", expected=None)


# --- I/O failures -------------------------------------------------------------------


def _fail_with(err: int):  # noqa: ANN202
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(err, os.strerror(err))

    return fail


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_enospc_keeps_original(
    vault: Path, monkeypatch: pytest.MonkeyPatch, where: str, swap_mode: str
) -> None:
    note = vault / "a.md"
    note.write_bytes(b"original bytes\r\n")
    monkeypatch.setattr(os, where, _fail_with(errno.ENOSPC))
    with pytest.raises(WriteRefused) as exc:
        Writer(vault).write("a.md", b"new", expected=b"original bytes\r\n")
    monkeypatch.undo()
    assert "could not write (No space left on device)" in str(exc.value)
    assert not isinstance(exc.value, Conflict)
    assert note.read_bytes() == b"original bytes\r\n"
    assert temps(vault) == []


def test_enospc_on_new_file_leaves_nothing(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", _fail_with(errno.ENOSPC))
    with pytest.raises(WriteRefused, match="No space left"):
        Writer(vault).write("Reports/new.md", b"new", expected=None)
    monkeypatch.undo()
    assert not (vault / "Reports/new.md").exists()
    assert temps(vault) == []


@pytest.mark.skipif(not HAVE_RENAMEAT2, reason="needs renameat2 (Linux)")
def test_failure_at_the_swap_keeps_original(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = vault / "a.md"
    note.write_bytes(b"original")

    def eio(*args: object) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(write_mod, "_renameat2", eio)
    with pytest.raises(WriteRefused, match="Input/output error"):
        Writer(vault).write("a.md", b"new", expected=b"original")
    assert note.read_bytes() == b"original"
    assert temps(vault) == []


def test_failure_at_link_keeps_nothing(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", _fail_with(errno.EROFS))
    with pytest.raises(WriteRefused, match="Read-only file system"):
        Writer(vault).write("a.md", b"new", expected=None)
    monkeypatch.undo()
    assert sorted(os.listdir(vault)) == []


def test_failure_creating_folder(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "mkdir", _fail_with(errno.EACCES))
    with pytest.raises(WriteRefused, match="could not create folder 'Reports'"):
        Writer(vault).write("Reports/a.md", b"x", expected=None)


def test_file_system_without_hard_links(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT and some network shares refuse link(); new files still appear, never overwrite."""
    monkeypatch.setattr(os, "link", _fail_with(errno.EPERM))
    assert Writer(vault).write("a.md", b"new", expected=None).status == "created"
    assert (vault / "a.md").read_bytes() == b"new"
    assert temps(vault) == []


def test_windows_lock_is_retried(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_mod, "_RENAMEAT2", None)
    (vault / "a.md").write_bytes(b"old")
    real_replace = os.replace
    attempts: list[int] = []

    def locked_twice(src: str, dst: str, **kw: object) -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            e = PermissionError(13, "The process cannot access the file")
            e.winerror = 32  # type: ignore[attr-defined]
            raise e
        real_replace(src, dst, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", locked_twice)
    w = Writer(vault)
    slept: list[float] = []
    w._sleep = slept.append
    assert w.write("a.md", b"new", expected=b"old").status == "written"
    assert (vault / "a.md").read_bytes() == b"new"
    assert len(attempts) == 3 and len(slept) == 2


def test_windows_lock_gives_up_after_about_2_5_s(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_mod, "_RENAMEAT2", None)
    (vault / "a.md").write_bytes(b"old")

    def always_locked(src: str, dst: str, **kw: object) -> None:
        e = PermissionError(13, "Access is denied")
        e.winerror = 5  # type: ignore[attr-defined]
        raise e

    monkeypatch.setattr(os, "replace", always_locked)
    w = Writer(vault)
    slept: list[float] = []
    w._sleep = slept.append
    with pytest.raises(WriteRefused, match="locked"):
        w.write("a.md", b"new", expected=b"old")
    assert 2.0 <= sum(slept) <= 3.0
    monkeypatch.undo()
    assert (vault / "a.md").read_bytes() == b"old"
    assert temps(vault) == []


def test_other_permission_errors_are_not_retried(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_mod, "_RENAMEAT2", None)
    (vault / "a.md").write_bytes(b"old")
    monkeypatch.setattr(os, "replace", _fail_with(errno.EACCES))
    w = Writer(vault)
    slept: list[float] = []
    w._sleep = slept.append
    with pytest.raises(WriteRefused, match="Permission denied"):
        w.write("a.md", b"new", expected=b"old")
    assert slept == []


# --- stale temp files -------------------------------------------------------------


def test_cleanup_stale_temps(vault: Path, outside: Path) -> None:
    (vault / ".kith-0123456789abcdef.tmp").write_bytes(b"torn")
    (vault / "People").mkdir()
    (vault / "People/.kith-fedcba9876543210.tmp").write_bytes(b"torn")
    (vault / ".kith").mkdir()
    (vault / ".kith/.kith-aaaaaaaaaaaaaaaa.tmp").write_bytes(b"state")
    (vault / ".git").mkdir()
    (vault / ".git/.kith-bbbbbbbbbbbbbbbb.tmp").write_bytes(b"not ours to judge")
    (vault / "People/note.md").write_bytes(b"keep")
    (vault / "People/.kith-notes.md").write_bytes(b"keep")
    (outside / ".kith-cccccccccccccccc.tmp").write_bytes(b"outside")
    (vault / "linked").symlink_to(outside, target_is_directory=True)
    (vault / ".kith-dddddddddddddddd.tmp").symlink_to(outside / "secret.md")
    removed = cleanup_stale_temps(vault)
    assert removed == [
        ".kith-0123456789abcdef.tmp",
        ".kith/.kith-aaaaaaaaaaaaaaaa.tmp",
        "People/.kith-fedcba9876543210.tmp",
    ]
    assert (vault / ".git/.kith-bbbbbbbbbbbbbbbb.tmp").exists()
    assert (vault / "People/note.md").exists()
    assert (vault / "People/.kith-notes.md").exists()
    assert (outside / ".kith-cccccccccccccccc.tmp").exists()
    assert (outside / "secret.md").read_bytes() == b"secret\n"
    assert (vault / ".kith-dddddddddddddddd.tmp").is_symlink()
    assert cleanup_stale_temps(vault) == []


# --- properties -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    old=st.one_of(st.none(), st.binary(max_size=300)),
    new=st.binary(max_size=300),
    use_fallback=st.booleans(),
)
def test_after_write_the_file_holds_exactly_new(
    old: bytes | None, new: bytes, use_fallback: bool
) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        if old is not None:
            (root / "n.md").write_bytes(old)
        saved = write_mod._RENAMEAT2
        if use_fallback:
            write_mod._RENAMEAT2 = None
        try:
            res = Writer(root).write("n.md", new, expected=old)
        finally:
            write_mod._RENAMEAT2 = saved
        assert (root / "n.md").read_bytes() == new
        if old == new:
            assert res.status == "unchanged"
        else:
            assert res.status == ("created" if old is None else "written")
        assert os.listdir(root) == ["n.md"]


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from vaultlib.write import Writer
    root = Path(sys.argv[1])
    a, b = b"A" * 3_000_000, b"B" * 3_000_000
    cur = (root / "n.md").read_bytes()
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    while True:
        new = b if cur == a else a
        Writer(root).write("n.md", new, expected=cur)
        cur = new
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_never_leaves_a_torn_file(tmp_path: Path) -> None:
    root = tmp_path / "v"
    root.mkdir()
    a, b = b"A" * 3_000_000, b"B" * 3_000_000
    (root / "n.md").write_bytes(a)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    for i in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, str(root)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.05 + 0.04 * i)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert (root / "n.md").read_bytes() in (a, b)
        cleanup_stale_temps(root)
        assert os.listdir(root) == ["n.md"]
