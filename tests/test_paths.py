"""Path rules: ignore lists, conflict copies, vault-relative paths, new note names."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultlib.errors import KithError, UnsafePath
from vaultlib.paths import (
    IGNORED_DIRS,
    MAX_NAME_BYTES,
    casefold_key,
    check_relpath,
    conflict_original,
    is_ignored_dir,
    is_ignored_name,
    is_kith_temp,
    resolve_inside,
    safe_note_name,
)

# --- ignore lists -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "4913",  # vim's write probe
        "5036",  # ... and the next one it tries
        "note.md~",
        "~",
        ".#note.md",
        "#note.md#",
        ".note.md.swp",
        ".note.md.swa",
        ".note.md.swo",
        ".note.md.swx",
        "note.md___jb_tmp___",
        "note.md___jb_old___",
        "note.md.vsctmp",
        ".goutputstream-AB12CD",
        ".syncthing.note.md.tmp",
        "~syncthing~note.md.tmp",
        ".note.md.icloud",
        ".DS_Store",
        "desktop.ini",
        "Desktop.ini",
        "Thumbs.db",
        "._note.md",
        ".kith-0123456789abcdef.tmp",
        ".kith-x.tmp",
    ],
)
def test_ignored_names(name: str) -> None:
    assert is_ignored_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "note.md",
        "Maya Chen.md",
        "4912",
        "4913.md",
        "2024-01-05.md",
        "note.swp",  # not a vim swap name (no leading dot)
        ".note.md.swq",
        "# heading.md",
        "a#b.md",
        "kith-1.tmp",
        ".kith-.tmp",
        "desktop.ini.md",
        "a.sync-conflict-20240101-120000-ABCDEF.md",  # reported, not silently ignored
        "tilde~in~middle.md",
    ],
)
def test_not_ignored_names(name: str) -> None:
    assert not is_ignored_name(name)


def test_ignored_dirs() -> None:
    for name in IGNORED_DIRS:
        assert is_ignored_dir(name)
    assert is_ignored_dir(".anything")
    assert not is_ignored_dir("People")
    assert not is_ignored_dir("node")


def test_kith_temp_names() -> None:
    assert is_kith_temp(".kith-abc.tmp")
    assert not is_kith_temp(".kith-.tmp")
    assert not is_kith_temp("kith-abc.tmp")
    assert not is_kith_temp(".kith-abc.md")


# --- conflict copies ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "original"),
    [
        ("a.sync-conflict-20240101-120000-ABCDEF.md", "a.md"),
        ("a.sync-conflict-20240101-120000-ABCDEF7.md", "a.md"),
        ("Maya Chen.sync-conflict-20240101-120000-ABCDEF7.md", "Maya Chen.md"),
        ("a.b.sync-conflict-20240101-120000-ABCDEF7.md", "a.b.md"),
        ("README.sync-conflict-20240101-120000-ABCDEF7", "README"),
        ("a (conflicted copy 2024-01-01).md", "a.md"),
        ("a (Alice's conflicted copy 2024-01-01).md", "a.md"),
        ("Maya Chen (Alice's conflicted copy 2024-01-01 (1)).md", "Maya Chen.md"),
        ("a (Conflicted copy 2024-01-01 120000).md", "a.md"),
        (
            "a.sync-conflict-20240101-120000-ABCDEF7.sync-conflict-20240102-120000-XYZ1234.md",
            "a.md",
        ),
    ],
)
def test_conflict_original(name: str, original: str) -> None:
    assert conflict_original(name) == original


@pytest.mark.parametrize(
    "name",
    ["a.md", "sync-conflict.md", "a (copy).md", "notes (2024).md", "a.sync-conflict-2024.md"],
)
def test_not_conflict_copies(name: str) -> None:
    assert conflict_original(name) is None


# --- vault-relative paths -----------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "normal"),
    [
        ("a.md", "a.md"),
        ("People/Maya Chen.md", "People/Maya Chen.md"),
        ("./People/./x.md", "People/x.md"),
        ("People\\x.md", "People/x.md"),
        ("café.md", "café.md"),
    ],
)
def test_check_relpath_normalises(rel: str, normal: str) -> None:
    assert check_relpath(rel) == normal


@pytest.mark.parametrize(
    "rel",
    [
        "",
        ".",
        "../x.md",
        "../../etc/x",
        "a/../../x.md",
        "a/..",
        "/etc/cron.d/x",
        "/etc/cron.d/x.md",
        "\\\\server\\share\\x.md",
        "C:\\Windows\\x.md",
        "c:x.md",
        "a//b.md",
        "a/",
        "a\x00b.md",
        "a\nb.md",
        "a\x7fb.md",
        "a\x85b.md",
        "x" * 300 + ".md",
    ],
)
def test_check_relpath_refuses(rel: str) -> None:
    with pytest.raises(UnsafePath):
        check_relpath(rel)


@given(st.text(max_size=40))
def test_check_relpath_never_escapes(rel: str) -> None:
    """Whatever the input, the result is relative, has no '..' and no control characters."""
    try:
        out = check_relpath(rel)
    except UnsafePath:
        return
    assert not out.startswith("/")
    parts = out.split("/")
    assert all(p not in ("", ".", "..") for p in parts)
    assert not any(unicodedata.category(c) == "Cc" for c in out)
    assert "\\" not in out


def test_resolve_inside_plain(tmp_path: Path) -> None:
    (tmp_path / "People").mkdir()
    assert resolve_inside(tmp_path, "People/new.md") == tmp_path.resolve() / "People" / "new.md"
    assert resolve_inside(tmp_path, "Missing/dir/new.md") == (
        tmp_path.resolve() / "Missing" / "dir" / "new.md"
    )


def test_resolve_inside_refuses_symlinked_folder(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    (vault / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath, match="symlink"):
        resolve_inside(vault, "link/x.md")


def test_resolve_inside_refuses_symlinked_folder_inside_vault(tmp_path: Path) -> None:
    """Even a symlink that stays inside the vault is refused: kith never follows links."""
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(UnsafePath):
        resolve_inside(tmp_path, "alias/x.md")


def test_resolve_inside_refuses_symlinked_file(tmp_path: Path) -> None:
    (tmp_path / "leak.md").symlink_to("/etc/passwd")
    with pytest.raises(UnsafePath):
        resolve_inside(tmp_path, "leak.md")


def test_resolve_inside_refuses_dangling_and_loop_links(tmp_path: Path) -> None:
    (tmp_path / ".#note.md").symlink_to("user@host.1234")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(UnsafePath):
        resolve_inside(tmp_path, ".#note.md")
    with pytest.raises(UnsafePath):
        resolve_inside(tmp_path, "loop/x.md")


def test_resolve_inside_allows_symlinked_root(tmp_path: Path) -> None:
    real = tmp_path / "real-vault"
    real.mkdir()
    (tmp_path / "vault").symlink_to(real, target_is_directory=True)
    assert resolve_inside(tmp_path / "vault", "a.md") == real.resolve() / "a.md"


@pytest.mark.parametrize("rel", ["../../etc/x", "/etc/cron.d/x", "a\x00b", "x" * 300])
def test_resolve_inside_refuses_traversal(tmp_path: Path, rel: str) -> None:
    with pytest.raises(UnsafePath):
        resolve_inside(tmp_path, rel)


# --- new note names -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Maya Chen", "Maya Chen"),
        ("  Maya   Chen  ", "Maya Chen"),
        (" x ", "x"),
        ("x.", "x"),
        ("...hidden", "hidden"),
        ("Dr. Who", "Dr. Who"),
        ("a/b", "a b"),
        ("../../etc/x", "etc x"),
        ("/etc/cron.d/x", "etc cron.d x"),
        ("Maya [[Chen]]", "Maya Chen"),
        ("Maya | Acme", "Maya Acme"),
        ('A#B^C:D*E?F<G>H"I\\J', "A B C D E F G H I J"),
        ("100%% sure", "100% sure"),
        ("100% Corp", "100% Corp"),
        ("a\x00b", "a b"),
        ("tab\there\nnew", "tab here new"),
        ("evil\u202etxt.exe", "evil txt.exe"),
        ("Con Air", "Con Air"),
        ("Côme", "Côme"),
    ],
)
def test_safe_note_name(name: str, stem: str) -> None:
    assert safe_note_name(name) == stem


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        ".",
        "..",
        "...",
        "///",
        "[[]]",
        "CON",
        "con",
        "Nul",
        "nul.txt",
        "CON.md",
        "PRN",
        "AUX",
        "COM1",
        "com9",
        "LPT1",
        "lpt9.tar.gz",
        "COM\u00b9",
        "x" * 300,
        "é" * 101,  # 202 UTF-8 bytes
    ],
)
def test_safe_note_name_refuses(name: str) -> None:
    with pytest.raises(UnsafePath) as exc:
        safe_note_name(name)
    assert isinstance(exc.value, KithError)
    assert exc.value.hint


def test_safe_note_name_length_limit_is_in_bytes() -> None:
    assert safe_note_name("x" * MAX_NAME_BYTES) == "x" * MAX_NAME_BYTES
    assert safe_note_name("é" * 100) == "é" * 100


def test_safe_note_name_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "café")
    assert nfd != "café"
    assert safe_note_name(nfd) == "café"
    assert safe_note_name(nfd).encode() == "café".encode()


def test_casefold_key_collisions() -> None:
    nfd = unicodedata.normalize("NFD", "Café")
    assert casefold_key("café") == casefold_key(nfd)
    assert casefold_key("Note.md") == casefold_key("note.md")
    assert casefold_key("Straße") == casefold_key("STRASSE")
    assert casefold_key("a.md") != casefold_key("b.md")


_HOSTILE = st.lists(
    st.sampled_from(
        list('ab./\\:*?"<>|#^[]% \t\n\x00\x1f~') + ["é", "e\u0301", "\u202e", "..", "CON", "%%"]
    ),
    max_size=30,
).map("".join)


@given(_HOSTILE)
def test_safe_note_name_is_always_a_safe_single_component(name: str) -> None:
    try:
        stem = safe_note_name(name)
    except UnsafePath:
        return
    assert stem and stem == stem.strip(" .")
    assert unicodedata.normalize("NFC", stem) == stem
    assert not any(c in stem for c in '/\\:*?"<>|#^[]\x00\t\n')
    assert "%%" not in stem
    assert check_relpath(stem + ".md") == stem + ".md"
    assert len(stem.encode()) <= MAX_NAME_BYTES


def test_safe_name_stays_inside_vault(tmp_path: Path) -> None:
    for hostile in ["../../etc/x", "/etc/cron.d/x", "a/b", "..\\..\\x", " x ", "x."]:
        stem = safe_note_name(hostile)
        target = resolve_inside(tmp_path, stem + ".md")
        assert os.path.dirname(target) == str(tmp_path.resolve())


@given(st.text(min_size=1, max_size=30))
def test_scan_fast_path_agrees_with_is_ignored_name(stem: str):
    """The scan decides plain `.md` names inline; it must skip exactly what the rules skip."""
    from vaultlib.scan import NOT_PLAIN_FIRST

    for name in (stem + ".md", "#" + stem + ".md", "~" + stem + ".md", stem + "~.md"):
        if name[0] not in NOT_PLAIN_FIRST and "onflict" not in name:
            assert not is_ignored_name(name), name
