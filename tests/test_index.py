"""The incremental index: what a second run re-parses, what the cache may and may not lose."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import vaultlib.cache as cache_mod
from vaultlib.cache import (
    CACHE_FILE,
    MANIFEST_FILE,
    SNAPSHOT_FILE,
    cache_path,
    load_cache,
    read_cache_file,
    save_cache,
)
from vaultlib.config import load_config
from vaultlib.index import Index, build_index
from vaultlib.records import KeyStore
from vaultlib.vault import Vault

ADA = "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: hello\n"
FILES = {
    "People/Ada Lovelace.md": ADA,
    "People/Ben Ortiz.md": "---\nstage: cold\n---\n",
    "Daily/2026-11-03.md": "Coffee with [[Ben Ortiz]]\n",
    "Notes/Idea.md": "Nothing dated here.\n",
}


CACHE_FILES = (CACHE_FILE, SNAPSHOT_FILE, MANIFEST_FILE)


def backdate(root: Path, seconds: float = 3600) -> None:
    """Files older than the racy window, so the cache may trust their stat."""
    past = time.time() - seconds
    for dirpath, _dirs, names in os.walk(root):
        if ".kith" in Path(dirpath).parts:
            continue
        for name in names:
            os.utime(os.path.join(dirpath, name), (past, past), follow_symlinks=False)


def index(root: Path, **kw) -> Index:
    return build_index(load_config(root), **kw)


def snapshot(v: Vault):
    return (
        [(c.path, c.name, c.ring, c.interactions, c.moves, c.fields) for c in v.contacts],
        v.problems,
    )


@pytest.fixture
def vault(tmp_path: Path, make_vault) -> Path:
    make_vault(tmp_path, FILES)
    backdate(tmp_path)
    return tmp_path


def test_first_run_parses_everything_and_writes_the_cache(vault: Path):
    idx = index(vault)
    s = idx.stats
    assert (s.notes, s.added, s.modified, s.removed, s.parsed) == (4, 4, 0, 0, 4)
    assert cache_path(vault / ".kith").is_file()


def test_second_run_parses_nothing_and_writes_nothing(vault: Path):
    first = index(vault)
    before = cache_path(vault / ".kith").stat()
    idx = index(vault)
    s = idx.stats
    assert (s.parsed, s.added, s.modified, s.removed, s.unchanged) == (0, 0, 0, 0, 4)
    assert snapshot(idx.vault()) == snapshot(first.vault())
    after = cache_path(vault / ".kith").stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_an_edit_reparses_one_note(vault: Path):
    index(vault)
    (vault / "People/Ada Lovelace.md").write_text(ADA + "- 2026-11-05 coffee: again\n")
    idx = index(vault)
    s = idx.stats
    assert (s.parsed, s.modified, s.added, s.removed, s.unchanged) == (1, 1, 0, 0, 3)
    ada = next(c for c in idx.vault().contacts if c.name == "Ada Lovelace")
    assert [i.date.day for i in ada.interactions] == [5, 1]


def test_a_touch_reparses_but_changes_nothing(vault: Path):
    index(vault)
    backdate(vault, 60)  # new mtime, same bytes
    s = index(vault).stats
    assert (s.parsed, s.modified, s.unchanged) == (4, 0, 4)
    assert index(vault).stats.parsed == 0  # and the cache learned the new mtimes


def test_added_and_removed_notes(vault: Path):
    index(vault)
    (vault / "Daily/2026-11-03.md").unlink()
    (vault / "People/Cleo Park.md").write_text("---\nstage: buddy\n---\n")
    idx = index(vault)
    s = idx.stats
    assert (s.added, s.removed, s.modified, s.parsed, s.notes) == (1, 1, 0, 1, 4)
    v = idx.vault()
    assert [c.name for c in v.contacts] == ["Ada Lovelace", "Ben Ortiz", "Cleo Park"]
    assert next(c for c in v.contacts if c.name == "Ben Ortiz").interactions == ()


def test_deleting_the_cache_loses_nothing(vault: Path):
    before = snapshot(index(vault).vault())
    shutil.rmtree(vault / ".kith" / "cache")
    idx = index(vault)
    assert idx.stats.added == 4
    assert snapshot(idx.vault()) == before
    shutil.rmtree(vault / ".kith")
    assert snapshot(index(vault).vault()) == before


@pytest.mark.parametrize(
    "garbage", [b"", b"not marshal at all", b"\xe3" + b"\x00" * 40, b"\x29\x02\xe9"]
)
def test_a_corrupt_cache_is_ignored(vault: Path, garbage: bytes):
    before = snapshot(index(vault).vault())
    for name in CACHE_FILES:
        cache_path(vault / ".kith", name).write_bytes(garbage)
    idx = index(vault)
    assert idx.stats.parsed == 4
    assert snapshot(idx.vault()) == before


@pytest.mark.parametrize("cut", ["truncated", "damaged", "blob"])
def test_a_record_cache_damaged_part_way_is_not_used_at_all(vault: Path, cut: str):
    """The record cache is read chunk by chunk: damage found after some rows were taken
    makes the index drop those too and parse every note (no note half from the cache)."""
    import vaultlib.cache as cache_mod

    for i in range(30):  # enough notes for several chunks
        (vault / "Notes" / f"n{i:02}.md").parent.mkdir(exist_ok=True)
        (vault / "Notes" / f"n{i:02}.md").write_text(f"---\ntags: [tag{i:02}]\n---\n")
    backdate(vault)  # so that every note could be taken from the cache
    rows = cache_mod._ROWS_PER_CHUNK
    cache_mod._ROWS_PER_CHUNK = 8
    try:
        first = index(vault)
        before = snapshot(first.vault())
        cache_path(vault / ".kith", MANIFEST_FILE).unlink()  # make the index read the records
        path = cache_path(vault / ".kith", CACHE_FILE)
        data = path.read_bytes()
        if cut == "truncated":
            path.write_bytes(data[: len(data) * 2 // 3])
        else:  # the third chunk of rows is damaged
            at = 0
            for _ in range(3):  # past the header and two chunks: each a head, then data
                at += 8 + int.from_bytes(data[at : at + 5], "little")  # (5 bytes of length)
            if cut == "damaged":
                path.write_bytes(data[: at + 8] + b"\xff" * 9 + data[at + 17 :])
            else:  # a tag inside a record: the chunk still decodes (its CRC tells)
                mid = data.index(b"tag20", at)
                path.write_bytes(data[:mid] + b"TAG20" + data[mid + 5 :])
        idx = index(vault)
        assert idx.stats.parsed == idx.stats.notes == len(first.records) == 34
        assert snapshot(idx.vault()) == before
        assert index(vault).stats.parsed == 0  # and the cache written again is whole
    finally:
        cache_mod._ROWS_PER_CHUNK = rows


@pytest.mark.parametrize("name", CACHE_FILES)
@pytest.mark.parametrize("loss", ["deleted", "corrupt"])
def test_any_one_cache_file_can_be_lost(vault: Path, name: str, loss: str):
    """The three files back each other up: losing one costs time, never data."""
    first = index(vault)
    before = snapshot(first.vault())
    path = cache_path(vault / ".kith", name)
    if loss == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"\xe3" + b"\x00" * 40)
    idx = index(vault)
    assert snapshot(idx.vault()) == before
    assert idx.problem_counts() == (0, 0)
    assert sorted(idx.records) == sorted(first.records)
    assert snapshot(index(vault).vault()) == before


def test_an_unchanged_vault_loads_only_the_manifest_and_the_snapshot(vault: Path):
    before = snapshot(index(vault).vault())
    cache_path(vault / ".kith", CACHE_FILE).unlink()  # the records are not needed
    idx = index(vault)
    assert (idx.stats.notes, idx.stats.unchanged, idx.stats.contacts) == (4, 4, 2)
    assert snapshot(idx.vault()) == before
    assert idx.stats.parsed == 0
    # Asking for the records loads them (here: parses again, the record cache being gone).
    assert sorted(idx.records) == sorted(FILES)
    assert idx.stats.parsed == 4
    assert cache_path(vault / ".kith", CACHE_FILE).is_file()


def test_an_edit_after_the_manifest_is_seen(vault: Path):
    index(vault).vault()
    note = vault / "People/Ada Lovelace.md"
    note.write_text(ADA.replace("hello", "a longer hello"))
    idx = index(vault)
    assert idx.stats.parsed == 1
    ada = next(c for c in idx.vault().contacts if c.name == "Ada Lovelace")
    assert ada.interactions[0].summary == "a longer hello"


def test_a_config_change_invalidates_the_cache(vault: Path):
    index(vault)
    (vault / "kith.toml").write_text('[people]\nfolders = ["Nobody"]\ntypes = []\n')
    idx = index(vault)
    assert idx.stats.parsed == 4
    assert idx.vault().contacts == ()
    assert index(vault).stats.parsed == 0


def test_cadence_changes_need_no_reparse_but_still_apply(vault: Path):
    from datetime import date

    from vaultlib.query import contact_status

    index(vault)
    (vault / "kith.toml").write_text("[cadence]\nbuddy = 7\n")
    idx = index(vault)
    v = idx.vault()
    ada = next(c for c in v.contacts if c.name == "Ada Lovelace")
    assert contact_status(ada, v, date(2026, 11, 20)).next_due == date(2026, 11, 8)


def test_an_obsidian_setting_change_invalidates_the_cache(vault: Path):
    index(vault)
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian/daily-notes.json").write_text('{"folder": "Journal"}')
    assert index(vault).stats.parsed == 4


def test_a_kith_version_change_invalidates_the_cache(vault: Path, monkeypatch):
    index(vault)
    monkeypatch.setattr(cache_mod, "__version__", "999.0")
    assert index(vault).stats.parsed == 4


def test_a_parser_code_change_invalidates_the_cache(vault: Path, monkeypatch):
    index(vault)
    monkeypatch.setattr(cache_mod, "CODE_STAMP", "something else")
    assert index(vault).stats.parsed == 4


def test_rebuild_ignores_the_cache(vault: Path):
    index(vault)
    s = index(vault, rebuild=True).stats
    assert (s.parsed, s.added) == (4, 4)


def test_index_without_saving_writes_nothing(vault: Path):
    index(vault, save=False)
    assert not (vault / ".kith").exists()


def test_racy_same_tick_edit_is_seen(vault: Path):
    """An edit that keeps size, mtime and ctime (a coarse-timestamp file system) within the
    racy window of the cache write is still re-parsed; outside the window the cache is trusted.

    The edit is simulated by storing the new stat key next to the old record in the cache."""
    note = vault / "People/Ada Lovelace.md"
    index(vault)
    state = vault / ".kith"
    config = load_config(vault)
    _, entries = load_cache(state, config.fingerprint())
    stale_record = entries["People/Ada Lovelace.md"][3:]  # (record blob, is a person)
    note.write_text(ADA.replace("hello", "HELLO"))  # same size
    st = os.lstat(note)
    entries["People/Ada Lovelace.md"] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, *stale_record)

    # The cache was written in the same second as the edit: re-parse.
    save_cache(state, config.fingerprint(), st.st_mtime_ns + 500_000_000, entries)
    idx = index(vault)
    assert idx.stats.parsed == 1
    ada = next(c for c in idx.vault().contacts if c.name == "Ada Lovelace")
    assert ada.interactions[0].summary == "HELLO"

    # Written long after the last edit: the stat key is trusted (and would hide the edit).
    # (The record cache alone: the manifest, which kept the fresh note's record, is gone.)
    save_cache(state, config.fingerprint(), st.st_mtime_ns + 60_000_000_000, entries)
    cache_path(state, MANIFEST_FILE).unlink()
    idx = index(vault)
    assert idx.stats.parsed == 0
    ada = next(c for c in idx.vault().contacts if c.name == "Ada Lovelace")
    assert ada.interactions[0].summary == "hello"


def test_unwritable_cache_works_with_a_warning(vault: Path, run_cli):
    (vault / ".kith").write_text("a file where kith's folder should be")
    idx = index(vault)
    v = idx.vault()
    assert [c.name for c in v.contacts] == ["Ada Lovelace", "Ben Ortiz"]
    assert [(p.path, p.severity) for p in v.problems] == [(".kith/cache", "warning")]
    assert "could not save the index cache" in v.problems[0].message
    r = run_cli(vault, "check")
    assert r.exit_code == 0
    assert ".kith/cache:-: warning: could not save the index cache" in r.stdout
    r = run_cli(vault, "list", "--json")
    assert r.exit_code == 0 and "Ada Lovelace" in r.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_read_only_vault_works_without_cache(vault: Path):
    for dirpath, _dirs, _names in os.walk(vault):
        os.chmod(dirpath, 0o555)
    try:
        v = index(vault).vault()
        assert [c.name for c in v.contacts] == ["Ada Lovelace", "Ben Ortiz"]
        assert [(p.path, p.severity) for p in v.problems] == [(".kith/cache", "warning")]
    finally:
        for dirpath, _dirs, _names in os.walk(vault):
            os.chmod(dirpath, 0o755)


def test_a_symlinked_state_folder_is_not_written_through(vault: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (vault / ".kith").symlink_to(outside, target_is_directory=True)
    v = index(vault).vault()
    assert [(p.path, p.severity) for p in v.problems] == [(".kith/cache", "warning")]
    assert list(outside.iterdir()) == []


# --- Index.refresh(paths): the watcher's path ------------------------------------------


@pytest.mark.parametrize("rebuild", [False, True], ids=["cached", "rebuilt"])
def test_the_vault_is_built_once_until_a_refresh(vault: Path, rebuild: bool):
    idx = index(vault, rebuild=rebuild, jobs=1)
    v = idx.vault()
    assert idx.vault() is v
    (vault / "People/Ben Ortiz.md").write_text("---\nstage: buddy\n---\n")
    assert idx.refresh(["People/Ben Ortiz.md"]) == {"People/Ben Ortiz.md"}
    after = idx.vault()
    assert after is not v
    assert [c.ring for c in after.contacts] == ["buddy", "buddy"]
    assert snapshot(after) == snapshot(index(vault, rebuild=True).vault())


def test_refresh_semantics(vault: Path):
    idx = index(vault)
    v0 = idx.vault()
    ada = "People/Ada Lovelace.md"

    # touch, or a save with identical bytes: nothing changed
    os.utime(vault / ada)
    assert idx.refresh([ada]) == set()
    (vault / ada).write_text(ADA)
    assert idx.refresh([ada]) == set()
    assert snapshot(idx.vault(set())) == snapshot(v0)

    # an edit
    (vault / ada).write_text(ADA + "- 2026-11-06 email: sent\n")
    assert idx.refresh([ada]) == {ada}
    v = idx.vault({ada})
    assert len(next(c for c in v.contacts if c.path == ada).interactions) == 2

    # a new note, a deleted note, and paths that are not notes
    (vault / "Daily/2026-11-04.md").write_text("Call with [[Ada Lovelace]]\n")
    (vault / "Daily/2026-11-03.md").unlink()
    (vault / "Daily/notes.txt").write_text("[[Ada Lovelace]]")
    changed = idx.refresh(
        [
            "Daily/2026-11-04.md",
            "Daily/2026-11-03.md",
            "Daily/notes.txt",
            ".obsidian/x.md",
            "Nope.md",
        ]
    )
    assert changed == {"Daily/2026-11-04.md", "Daily/2026-11-03.md"}
    v = idx.vault(changed)
    assert [i.source for i in next(c for c in v.contacts if c.path == ada).interactions] == [
        ada,
        "Daily/2026-11-04.md",
        ada,
    ]
    assert next(c for c in v.contacts if c.name == "Ben Ortiz").interactions == ()
    assert snapshot(v) == snapshot(index(vault, save=False).vault())  # same as a full rebuild


def test_refresh_reports_conflict_copies_and_symlinks(vault: Path, tmp_path_factory):
    idx = index(vault)
    copy = "People/Ada Lovelace.sync-conflict-20261101-101010-ABC1234.md"
    (vault / copy).write_text(ADA + "- 2026-11-09 call: only in the copy\n")
    assert idx.refresh([copy]) == set()
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text("---\nstage: buddy\n---\nSECRET\n")
    (vault / "People/Ben Ortiz.md").unlink()
    (vault / "People/Ben Ortiz.md").symlink_to(outside)
    assert idx.refresh(["People/Ben Ortiz.md"]) == {"People/Ben Ortiz.md"}
    v = idx.vault({"People/Ben Ortiz.md"})
    assert [c.name for c in v.contacts] == ["Ada Lovelace"]
    assert [(p.path, p.severity) for p in v.problems] == [
        (copy, "warning"),
        ("People/Ben Ortiz.md", "warning"),
    ]
    assert len(next(c for c in v.contacts if c.name == "Ada Lovelace").interactions) == 1
    # The problem goes away with the file.
    (vault / copy).unlink()
    idx.refresh([copy])
    assert [p.path for p in idx.vault(set()).problems] == ["People/Ben Ortiz.md"]


def test_refresh_everything_finds_what_changed(vault: Path):
    idx = index(vault)
    (vault / "People/Ben Ortiz.md").write_text("---\nstage: buddy\n---\n")
    (vault / "Notes/Idea.md").unlink()
    os.utime(vault / "People/Ada Lovelace.md")
    before = dict(idx.keys)
    assert idx.refresh() == {"People/Ben Ortiz.md", "Notes/Idea.md"}
    # what the rescan changed, with the keys they had: the touched note too, a new one as None
    assert idx.old_keys == {p: before[p] for p in ("People/Ben Ortiz.md", "Notes/Idea.md",
                                                    "People/Ada Lovelace.md")}  # fmt: skip
    assert "Notes/Idea.md" not in idx.keys
    (vault / "Notes/New.md").write_text("hello\n")
    assert idx.refresh() == {"Notes/New.md"}
    assert idx.old_keys == {"Notes/New.md": None}
    assert idx.refresh() == set()
    assert idx.old_keys == {}


def test_refresh_everything_with_packed_keys_as_the_watcher_holds_them(vault: Path):
    idx = index(vault)
    idx.records  # noqa: B018
    idx.keys = KeyStore(idx.keys)
    idx.vault(track=True)
    (vault / "Notes/Idea.md").unlink()
    (vault / "Notes/Other.md").write_text(
        "---\ndate: 2026-11-02\n---\nlunch with [[Ada Lovelace]]\n"
    )
    assert idx.refresh() == {"Notes/Idea.md", "Notes/Other.md"}
    assert isinstance(idx.keys, KeyStore)
    fresh = index(vault)
    assert dict(idx.keys) == dict(fresh.keys)
    assert idx.vault(idx.old_keys.keys()) == fresh.vault()


def test_refresh_of_a_deleted_folder_removes_its_notes(vault: Path):
    idx = index(vault)
    shutil.rmtree(vault / "People")
    changed = idx.refresh(["People"])
    assert changed == {"People/Ada Lovelace.md", "People/Ben Ortiz.md"}
    assert idx.vault(changed).contacts == ()


def test_refresh_of_a_renamed_folder_rekeys_its_notes(vault: Path):
    idx = index(vault)
    (vault / "People").rename(vault / "Contacts")
    changed = idx.refresh(["People", "Contacts"])
    assert changed == {
        "People/Ada Lovelace.md",
        "People/Ben Ortiz.md",
        "Contacts/Ada Lovelace.md",
        "Contacts/Ben Ortiz.md",
    }
    v = idx.vault(changed)
    assert v.contacts == ()  # Contacts/ is not a people folder
    assert snapshot(v) == snapshot(index(vault, save=False).vault())


def test_a_block_kith_fills_keeps_the_next_run_on_the_stored_snapshot(vault: Path, run_cli):
    """`kith report` writes into a note; the note's record cannot change by it (generated
    blocks are never contact), so the next run re-parses only that note and trusts the rest."""
    (vault / "Home.md").write_text("# Home\n<!-- kith:overdue -->\n<!-- /kith:overdue -->\n")
    backdate(vault)
    before = snapshot(index(vault).vault())
    assert run_cli(vault, "--today", "2026-11-20", "report").exit_code == 0
    assert "kith-hash" in (vault / "Home.md").read_text()  # the block was filled
    cache_path(vault / ".kith", CACHE_FILE).unlink()  # proves the records are not loaded
    idx = index(vault)
    assert snapshot(idx.vault()) == before
    assert idx.stats.parsed == 0


def test_a_racy_edit_with_the_same_stat_key_is_caught_by_the_manifest(vault: Path):
    """A note saved twice within one timestamp tick keeps its stat key; the manifest kept its
    record because it was fresh when stored, and the re-parse sees the difference."""
    note = vault / "People/Ada Lovelace.md"
    note.write_text(ADA)  # fresh: within the racy window of the coming scan
    st = os.lstat(note)
    index(vault).vault()
    note.write_text(ADA.replace("hello", "HELLO"))
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    idx = index(vault)
    ada = next(c for c in idx.vault().contacts if c.name == "Ada Lovelace")
    assert ada.interactions[0].summary == "HELLO"


def test_temporary_files_a_killed_kith_left_are_removed_by_the_next_save(vault: Path):
    """A kith killed while writing a cache file leaves its temporary file; the next one to
    write the cache removes those left long enough ago, never one being written now."""
    folder = vault / ".kith" / "cache"
    folder.mkdir(parents=True)
    old, recent = folder / ".kith-dead1234.tmp", folder / ".kith-live5678.tmp"
    for f in (old, recent):
        f.write_bytes(b"half a cache")
    past = time.time() - 3600
    os.utime(old, (past, past))
    index(vault, rebuild=True).vault()
    assert not old.exists()
    assert recent.exists()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        CACHE_FILES
    )


def test_notes_read_as_read_note_reads_them_one_at_a_time(tmp_path: Path, monkeypatch):
    """parse_paths reads each note as read_note does (joining the root once), whatever it
    is: a note, a link, a FIFO, a folder, a note over the size limit, a note gone."""
    import vaultlib.index as index_mod
    from vaultlib.parse import NoteParser

    monkeypatch.setattr(index_mod, "MAX_NOTE_BYTES", 64)
    (tmp_path / "kith.toml").write_text("")
    (tmp_path / "Plain.md").write_text("# plain [[Ada]]\n")
    (tmp_path / "Empty.md").write_bytes(b"")
    (tmp_path / "Huge.md").write_text("x" * 65)
    (tmp_path / "Folder.md").mkdir()
    os.symlink("Plain.md", tmp_path / "Link.md")
    os.mkfifo(tmp_path / "Pipe.md")
    names = ["Plain.md", "Empty.md", "Huge.md", "Folder.md", "Link.md", "Pipe.md", "Gone.md"]
    parser = NoteParser(load_config(tmp_path))
    keys: list = []
    got = index_mod.parse_paths(parser, str(tmp_path), names, keys)
    each = [index_mod.read_note(str(tmp_path), name) for name in names]
    assert keys == [key for _, key in each]
    assert keys[0] is not None and keys[-1] is None
    want = [
        parser.parse(name, data) if isinstance(data, bytes) else None
        for name, (data, _) in zip(names, each, strict=True)
    ]
    assert [r.to_tuple() for r in got[:2]] == [r.to_tuple() for r in want[:2] if r]
    messages = [[p.message for p in r.problems] for r in got[2:]]
    assert messages[0] == ["is 65 bytes, over the 64 byte limit; skipped"]
    assert all(m and m[0].startswith("cannot be read (") for m in messages[1:])


@pytest.mark.parametrize("racy", [False, True])
def test_the_manifest_keeps_the_records_of_racy_notes_and_of_notes_with_blocks(
    vault: Path, racy: bool
):
    """What the next run re-parses and compares when the stat keys alone cannot be
    trusted: notes saved within the racy window of the scan, and notes kith writes into."""
    (vault / "Notes/Board.md").write_text("<!-- kith:overdue -->\n<!-- /kith:overdue -->\n")
    backdate(vault)
    if racy:
        (vault / "People/Ben Ortiz.md").write_text("---\nstage: lukewarm\n---\n")
    config = load_config(vault)
    build_index(config).vault()
    found = read_cache_file(config.state_dir, MANIFEST_FILE, config.fingerprint())
    assert found is not None
    fresh = found[1][3]
    assert sorted(fresh) == ["Notes/Board.md", *(["People/Ben Ortiz.md"] if racy else [])]
    assert fresh["Notes/Board.md"][0] == "Notes/Board.md"  # the record, as a tuple


def test_a_note_read_in_pieces_is_read_whole(tmp_path: Path, monkeypatch):
    """A read may return fewer bytes than asked (a network file system): the rest is read
    until the size the stat key gives; a note whose open file cannot be stat'ed is gone."""
    import vaultlib.index as index_mod

    text = b"---\nstage: cold\n---\n## Log\n- 2026-11-01 call: hello\n"
    (tmp_path / "Ada.md").write_bytes(text)
    read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read(fd, min(n, 5)))
    data, key = index_mod.read_note(str(tmp_path), "Ada.md")
    assert data == text and key is not None and key[0] == len(text)

    fstat = os.fstat

    def no_stat(fd):  # (only while reading the note: pytest stats files too)
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fstat", no_stat)
    try:
        data, key = index_mod.read_note(str(tmp_path), "Ada.md")
    finally:
        monkeypatch.setattr(os, "fstat", fstat)
    assert isinstance(data, OSError) and key is None
