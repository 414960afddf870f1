"""One test per reliability-catalogue item the core must survive (shared/docs/reliability-catalogue.md).

Front-matter items (37-48) are tested with the front-matter reader; here are the ones that
concern which files are read at all and how a whole note's bytes are judged: 2 (editor
leftovers), 6 (sync conflict copies), 33 (cloud placeholders), 49 (encodings and binary),
50 (huge files), 51 (empty notes), 53 (symlinks), plus the folders kith must never read.
"""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaultlib import index as index_mod
from vaultlib import scan as scan_mod
from vaultlib.config import load_config
from vaultlib.index import build_index
from vaultlib.parse import MAX_NOTE_BYTES
from vaultlib.scan import classify
from vaultlib.vault import Vault


@pytest.fixture(params=["one process", "workers"])
def readers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The item read by this process, and by two parse workers started while the scan goes
    on (what a first index of a large vault does). For the items whose vaults index two
    notes or more: fewer are never handed to workers."""
    if request.param == "one process":
        yield
        return
    monkeypatch.setattr(index_mod, "PARALLEL_MIN", 2)
    monkeypatch.setattr(index_mod, "CHUNK", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # (on a machine of one core too)
    started: list[None] = []
    start = index_mod._Pool._start
    monkeypatch.setattr(index_mod._Pool, "_start", lambda pool: started.append(start(pool)))
    yield
    assert len(started) >= 2, "the item was not read by two workers"


on_workers_too = pytest.mark.usefixtures("readers")


ADA = "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: the real one\n"
LINKS_ADA = "Coffee with [[Ada Lovelace]] #give\n"


def load(root: Path) -> Vault:
    return build_index(load_config(root), save=False).vault()


def ada_interactions(v: Vault) -> list[tuple[str, str]]:
    ada = next(c for c in v.contacts if c.name == "Ada Lovelace")
    return [(i.date.isoformat(), i.source) for i in ada.interactions]


# --- item 2 and the ignore lists: skipped without a word ---------------------------------


def test_editor_and_sync_leftovers_are_skipped_without_a_word(tmp_path, make_vault, run_cli):
    junk = ADA + "- 2026-11-15 call: from a leftover file\n"
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": ADA,
            # vim, emacs, JetBrains, VS Code, GNOME, Syncthing, macOS, kith's own temp files
            "People/Ada Lovelace.md~": junk,
            "People/.Ada Lovelace.md.swp": b"b0VIM 9.0\x00\x00binary",
            "People/.Ada Lovelace.md.swx": b"\x00\x01",
            "People/#Ada Lovelace.md#": junk,
            "People/4913": "",
            "People/5036": "",
            "People/Ada Lovelace.md___jb_tmp___": junk,
            "People/Ada Lovelace.md___jb_old___": junk,
            "People/Ada Lovelace.md.vsctmp": junk,
            "People/.goutputstream-XYZ123": junk,
            "People/.syncthing.Ada Lovelace.md.tmp": junk,
            "People/~syncthing~Ada Lovelace.md.tmp": junk,
            "People/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "People/._Ada Lovelace.md": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X",
            "People/.kith-abc123.tmp": junk,
            "People/desktop.ini": "[.ShellClassInfo]",
            # folders kith never reads
            ".obsidian/workspace.md": LINKS_ADA,
            ".git/COMMIT_EDITMSG.md": LINKS_ADA,
            ".trash/2026-11-16.md": LINKS_ADA,
            ".stversions/Daily/2026-11-17~20261117-101010.md": LINKS_ADA,
            ".kith/notes/2026-11-18.md": LINKS_ADA,
            "Reports/2026-11-19 Overdue.md": LINKS_ADA,
            "Daily/.hidden/2026-11-19.md": LINKS_ADA,
        },
    )
    # emacs' lock file: a dangling symlink whose name ends in .md
    os.symlink("root@host.12345:1700000000", tmp_path / "People/.#Ada Lovelace.md")
    v = load(tmp_path)
    assert v.problems == ()
    assert [c.name for c in v.contacts] == ["Ada Lovelace"]
    assert ada_interactions(v) == [("2026-11-01", "People/Ada Lovelace.md")]
    r = run_cli(tmp_path, "check")
    assert (r.exit_code, r.stdout) == (0, "")
    r = run_cli(tmp_path, "index")
    assert r.exit_code == 0
    assert r.stdout.startswith("notes 1, contacts 1:")


@on_workers_too
def test_templates_and_ignore_globs_are_not_read(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "kith.toml": 'ignore = ["Archive/**", "Drafts/*.md"]\n',
            ".obsidian/templates.json": '{"folder": "Meta/Templates"}',
            "People/Ada Lovelace.md": ADA,
            "Meta/Templates/2026-11-10 Meeting.md": "---\ndate: {{date}}\n---\n[[Ada Lovelace]]\n",
            "Archive/2026/2026-11-11 Lunch.md": LINKS_ADA,
            "Drafts/2026-11-12 Call.md": LINKS_ADA,
            "Drafts/Deeper/2026-11-13 Call.md": LINKS_ADA,  # `*` does not cross folders
        },
    )
    v = load(tmp_path)
    assert v.problems == ()
    assert ada_interactions(v) == [
        ("2026-11-13", "Drafts/Deeper/2026-11-13 Call.md"),
        ("2026-11-01", "People/Ada Lovelace.md"),
    ]


# --- item 6: sync conflict copies are reported, not indexed ------------------------------


@pytest.mark.parametrize(
    "copy",
    [
        "People/Ada Lovelace.sync-conflict-20261101-101010-ABC1234.md",
        "People/Ada Lovelace (conflicted copy 2026-11-01).md",
        "People/Ada Lovelace (Bob's conflicted copy 2026-11-01).md",
    ],
)
def test_conflict_copies_are_warned_and_not_indexed(tmp_path, make_vault, run_cli, copy):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": ADA,
            copy: ADA + "- 2026-11-15 call: only in the conflict copy\n",
            "Daily/2026-11-16.sync-conflict-20261116-090000-XYZ.md": LINKS_ADA,
        },
    )
    v = load(tmp_path)
    assert [c.path for c in v.contacts] == ["People/Ada Lovelace.md"]
    assert ada_interactions(v) == [("2026-11-01", "People/Ada Lovelace.md")]
    got = sorted((p.path, p.line, p.severity, p.message) for p in v.problems)
    assert got == sorted(
        [
            (copy, None, "warning", "sync conflict copy of People/Ada Lovelace.md; not indexed"),
            (
                "Daily/2026-11-16.sync-conflict-20261116-090000-XYZ.md",
                None,
                "warning",
                "sync conflict copy of Daily/2026-11-16.md; not indexed",
            ),
        ]
    )
    r = run_cli(tmp_path, "check")
    assert r.exit_code == 0  # warnings only
    assert f"{copy}:-: warning: sync conflict copy of People/Ada Lovelace.md" in r.stdout


# --- item 33: cloud placeholders ---------------------------------------------------------


def test_icloud_placeholders_are_skipped_without_a_word(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": ADA,
            "People/.Ben Ortiz.md.icloud": b"bplist00\xd4\x01\x02",
        },
    )
    v = load(tmp_path)
    assert (v.problems, [c.name for c in v.contacts]) == ((), ["Ada Lovelace"])


def test_dataless_cloud_files_are_not_read_on_macos(tmp_path, monkeypatch):
    """A OneDrive/iCloud file that is not downloaded has a size but no blocks: reading it
    would download it (or block), so kith reports it instead."""
    config = load_config(tmp_path)
    fake = types.SimpleNamespace(
        st_mode=0o100644, st_size=1234, st_blocks=0, st_mtime_ns=1, st_ctime_ns=1
    )
    monkeypatch.setattr(scan_mod.sys, "platform", "darwin")
    p = classify(config, "People/Ada Lovelace.md", fake)  # type: ignore[arg-type]
    assert p is not None and not isinstance(p, scan_mod.Entry)
    assert (p.severity, p.message) == ("warning", "not downloaded from the cloud; skipped")
    fake.st_blocks = 8
    assert isinstance(classify(config, "People/Ada Lovelace.md", fake), scan_mod.Entry)  # type: ignore[arg-type]


# --- item 49: encodings, NUL bytes, binary files -----------------------------------------


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (
            "---\nname: Café\n---\n".encode("latin-1"),
            2,
            "is not valid UTF-8 (byte 0xe9 at offset 13); skipped",
        ),
        ("Ünïcödé\r\n".encode("cp1252"), 1, "is not valid UTF-8 (byte 0xdc at offset 0); skipped"),
        ("---\nstage: buddy\n---\n".encode("utf-16"), None, "is UTF-16 encoded; skipped"),
        (
            "---\nstage: buddy\n---\n".encode("utf-16-be"),
            None,
            "contains a NUL byte (not a text note); skipped",
        ),
        (b"---\nstage: buddy\x00\n---\n", None, "contains a NUL byte (not a text note); skipped"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
            None,
            "contains a NUL byte (not a text note); skipped",
        ),
    ],
    ids=["latin-1", "cp1252", "utf-16-bom", "utf-16-no-bom", "nul-in-yaml", "png"],
)
@on_workers_too
def test_undecodable_notes_are_errors_and_skipped(
    tmp_path, make_vault, run_cli, data, line, message
):
    make_vault(tmp_path, {"People/Ada Lovelace.md": ADA, "People/Zed.md": data})
    before = (tmp_path / "People/Zed.md").read_bytes()
    v = load(tmp_path)
    assert [(p.path, p.line, p.severity, p.message) for p in v.problems] == [
        ("People/Zed.md", line, "error", message)
    ]
    assert [c.name for c in v.contacts] == ["Ada Lovelace"]  # skipped; the run goes on
    r = run_cli(tmp_path, "check", "--json")
    assert r.exit_code == 1
    assert [p["path"] for p in json.loads(r.stdout)] == ["People/Zed.md"]
    assert (tmp_path / "People/Zed.md").read_bytes() == before  # never transcoded


# --- item 50: huge files -----------------------------------------------------------------
@on_workers_too
def test_a_huge_note_is_skipped_with_its_size(tmp_path, make_vault):
    big = "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: hi\n" + "x" * MAX_NOTE_BYTES
    make_vault(tmp_path, {"People/Big.md": big, "People/Ada Lovelace.md": ADA})
    v = load(tmp_path)
    size = len(big.encode())
    assert [(p.path, p.line, p.severity, p.message) for p in v.problems] == [
        (
            "People/Big.md",
            None,
            "error",
            f"is {size} bytes, over the {MAX_NOTE_BYTES} byte limit; skipped",
        )
    ]
    assert [c.name for c in v.contacts] == ["Ada Lovelace"]


def test_a_note_at_the_size_limit_is_read(tmp_path, make_vault):
    head = "---\nstage: buddy\n---\n"
    make_vault(tmp_path, {"People/Big.md": head + "x" * (MAX_NOTE_BYTES - len(head))})
    v = load(tmp_path)
    assert (v.problems, [c.name for c in v.contacts]) == ((), ["Big"])


# --- item 51: empty notes ----------------------------------------------------------------
@on_workers_too
def test_empty_note_is_fine_and_lone_dashes_are_never_closed(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {"People/Empty.md": b"", "People/Dashes.md": b"---", "People/Dashes2.md": b"---\n"},
    )
    v = load(tmp_path)
    assert [c.name for c in v.contacts] == ["Empty"]
    assert [(p.path, p.line, p.severity) for p in v.problems] == [
        ("People/Dashes.md", 1, "error"),
        ("People/Dashes2.md", 1, "error"),
    ]
    assert all("never closed" in p.message for p in v.problems)


# --- item 53: symlinks are not followed --------------------------------------------------

SECRET = "---\nstage: buddy\nemail: root@secret.example\n---\n## Log\n- 2026-11-19 call: SECRET-CONTENT\n"


@pytest.fixture
def linked_vault(tmp_path_factory, make_vault):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "passwd.md").write_text(SECRET)
    (outside / "folder").mkdir()
    (outside / "folder/Eve Secret.md").write_text(SECRET)
    (outside / "2026-11-19.md").write_text("Call with [[Ada Lovelace]] SECRET-CONTENT\n")
    vault = tmp_path_factory.mktemp("vault")
    make_vault(vault, {"People/Ada Lovelace.md": ADA, "Daily/2026-11-01.md": "x\n"})
    os.symlink(outside / "passwd.md", vault / "People/Leak.md")  # a file link out
    os.symlink(outside / "folder", vault / "People/Outside")  # a folder link out
    os.symlink(outside / "2026-11-19.md", vault / "Daily/2026-11-19.md")  # a dated note out
    os.symlink("..", vault / "People/Loop")  # a folder loop
    os.symlink("Self.md", vault / "People/Self.md")  # a link to itself
    os.symlink(
        vault / "People/Ada Lovelace.md", vault / "People/Ada again.md"
    )  # inside, still a link
    return vault


@on_workers_too
def test_symlinks_are_not_followed_and_reported_once(linked_vault: Path):
    v = load(linked_vault)
    assert [c.name for c in v.contacts] == ["Ada Lovelace"]
    assert ada_interactions(v) == [("2026-11-01", "People/Ada Lovelace.md")]
    reported = sorted((p.path, p.severity) for p in v.problems)
    assert reported == [
        ("Daily/2026-11-19.md", "warning"),
        ("People/Ada again.md", "warning"),
        ("People/Leak.md", "warning"),
        ("People/Loop", "warning"),
        ("People/Outside", "warning"),
        ("People/Self.md", "warning"),
    ]
    assert all("symbolic link" in p.message for p in v.problems)


@on_workers_too
def test_no_content_from_outside_leaks_into_output(linked_vault: Path, run_cli):
    outputs = []
    for args in (("list", "--json"), ("check", "--json"), ("show", "Ada Lovelace", "--json"),
                 ("show", "Leak", "--json"), ("show", "Eve", "--json"), ("index",)):  # fmt: skip
        r = run_cli(linked_vault, *args)
        assert "Traceback" not in r.output
        outputs.append(r.output)
    text = "\n".join(outputs)
    assert "SECRET" not in text and "secret.example" not in text
    ada = json.loads(run_cli(linked_vault, "show", "Ada Lovelace", "--json").stdout)
    assert [i["source"] for i in ada["interactions"]] == ["People/Ada Lovelace.md"]
    assert run_cli(linked_vault, "show", "Leak").exit_code == 1


@on_workers_too
def test_symlinks_are_never_written_through(linked_vault: Path, run_cli):
    """`kith index` writes its cache, and nothing else, inside the vault."""
    outside = Path(os.readlink(linked_vault / "People/Leak.md")).parent
    before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    r = run_cli(linked_vault, "index")
    assert r.exit_code == 0
    assert {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()} == before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks")
def test_a_symlinked_vault_root_is_fine(tmp_path, make_vault):
    real = make_vault(tmp_path / "real", {"People/Ada Lovelace.md": ADA})
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    v = load(tmp_path / "link")
    assert (v.problems, [c.name for c in v.contacts]) == ((), ["Ada Lovelace"])
