"""A lean index (the watcher's) keeps plain notes' records out of memory, once the record
cache holds them, and reads them back from it: nothing it answers may differ from a
one-shot index that keeps every record."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_index import backdate

from vaultlib.cache import CACHE_FILE, cache_path, load_cache
from vaultlib.config import Config, load_config
from vaultlib.index import Index, build_index, save_index
from vaultlib.parse import NoteParser
from vaultlib.records import (
    ROW_OTHER,
    ROW_PERSON,
    ROW_PLAIN,
    RecordStore,
    decode,
    encode,
    row_class,
)
from vaultlib.snapshot_cache import encode as encode_snapshot

PARSER = NoteParser(Config(root=Path("/nonexistent")))

FILES = {
    "People/Ada Lovelace.md": "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: hello\n",
    "People/Ben Ortiz.md": "---\nstage: cold\n---\n",
    "Goals/Grow.md": "---\ntype: goal\nmetric: moves\ntarget: 3\n---\n",
    "Notes/Broken.md": "---\nstage: [\n---\n",
    "Notes/Idea.md": "Nothing dated here.\n",
    **{
        f"Daily/2026-10-{d:02}.md": f"- coffee with [[Ben Ortiz]] #give {d}\n" for d in range(1, 25)
    },
    **{
        f"Meetings/m{d:02}.md": f"---\ndate: 2026-09-{d:02}\npeople: ['[[Ada Lovelace]]']\n---\n"
        for d in range(1, 20)
    },  # fmt: skip
}


def lean(root: Path) -> Index:
    idx = build_index(load_config(root), lean=True)
    idx.records  # noqa: B018 -- the records themselves, as the watcher asks for them
    return idx


def state(idx: Index) -> tuple[object, ...]:
    v = idx.vault(track=True)
    return encode_snapshot(v, idx.scan_problems), sorted(idx.records.tuples())


@pytest.fixture
def vault(tmp_path: Path, make_vault) -> Path:
    make_vault(tmp_path, FILES)
    backdate(tmp_path)
    build_index(load_config(tmp_path))  # the cache a lean index reads
    return tmp_path


def test_row_classes() -> None:
    ada = PARSER.parse("People/Ada.md", b"---\nstage: buddy\n---\n")
    broken = PARSER.parse("People/Bad.md", b"---\nstage: [\n---\n")
    daily = PARSER.parse("Daily/2026-01-02.md", b"- lunch with [[Ada]]\n")
    assert [row_class(r) for r in (ada, broken, daily)] == [ROW_PERSON, ROW_OTHER, ROW_PLAIN]


def test_a_lean_index_holds_digests_of_persons_and_plain_notes_and_answers_the_same(vault: Path):
    full = build_index(load_config(vault), save=False)
    idx = lean(vault)
    store = idx.records
    assert set(store.blobs) == {"Goals/Grow.md", "Notes/Broken.md"}
    assert set(store.digests) == set(FILES) - set(store.blobs)
    assert store.rings == {"People/Ada Lovelace.md": "buddy", "People/Ben Ortiz.md": "cold"}
    assert [store.ring(p) for p in FILES] == [full.records.ring(p) for p in FILES]
    assert store.persons == {"People/Ada Lovelace.md", "People/Ben Ortiz.md"}
    assert sorted(store) == sorted(FILES) and len(store) == len(FILES)
    assert state(idx) == state(full)
    assert store["Daily/2026-10-03.md"] == full.records["Daily/2026-10-03.md"]  # read back
    assert store.get("Daily/nowhere.md") is None


def test_read_back_paths_are_the_stores_own_strings(vault: Path):
    """Whatever keeps a path from a full pass keeps the string the store holds, not a copy
    made by reading the cache (which cost ~7 MB at 100k notes)."""
    store = lean(vault).records
    held = {p: p for p in store.digests}
    for path, _blob in store.rows():
        if path in held:
            assert path is held[path]


def test_an_edit_a_touch_and_a_save_in_lean_mode(vault: Path):
    idx = lean(vault)
    store = idx.records
    note = vault / "Daily/2026-10-05.md"
    os.utime(note)  # a touch: parsed again, the same record
    assert idx.refresh(["Daily/2026-10-05.md"]) == set()
    assert "Daily/2026-10-05.md" in store.digests
    note.write_text("- lunch with [[Ada Lovelace]]\n")
    assert idx.refresh(["Daily/2026-10-05.md"]) == {"Daily/2026-10-05.md"}
    assert "Daily/2026-10-05.md" in store.blobs  # in memory until the cache holds it
    save_index(idx)
    assert "Daily/2026-10-05.md" in store.digests
    assert set(store.blobs) == {"Goals/Grow.md", "Notes/Broken.md"}
    backdate(vault)
    full = build_index(load_config(vault), save=False)
    assert state(idx) == state(full)
    # and the cache the lean index saved is whole: every record, each with its class
    _, rows = load_cache(vault / ".kith", load_config(vault).fingerprint())
    assert {p: (decode(r[3]), r[4]) for p, r in rows.items()} == {
        p: (full.records[p], full.records.row_class(p)) for p in FILES
    }


@pytest.mark.parametrize("loss", ["deleted", "rewritten", "reordered"])
def test_the_cache_going_away_or_changing_under_a_lean_index(vault: Path, loss: str):
    """The file a lean store reads back from may be deleted or rewritten by another kith
    at any time: it then parses the notes again, and never yields a note twice."""
    idx = lean(vault)
    path = cache_path(vault / ".kith", CACHE_FILE)
    if loss == "deleted":
        path.unlink()
    elif loss == "rewritten":  # by a one-shot run after an edit the lean index has not seen
        (vault / "Daily/2026-10-07.md").write_text("- call with [[Ada Lovelace]]\n")
        build_index(load_config(vault), rebuild=True)
    else:  # the same records in another order
        other = build_index(load_config(vault), rebuild=True, save=False)
        blobs = other.records.blobs
        other.records.blobs = dict(reversed(list(blobs.items())))
        save_index(other)
    paths = [p for p, _ in idx.records.rows()]
    assert sorted(paths) == sorted(FILES)
    if loss != "rewritten":
        full = build_index(load_config(vault), save=False)
        assert state(idx) == state(full)
    else:  # the edited note is read as it is now: what the next refresh confirms
        assert idx.records["Daily/2026-10-07.md"].links[0][0] == "Ada Lovelace"


class _Backing:
    """Reads back from a dict, as the cache would (and counts what it was asked)."""

    def __init__(self, held: dict[str, bytes]) -> None:
        self.held = held
        self.fetched: list[str] = []

    def fetch(self, path: str, want: int) -> bytes | None:
        self.fetched.append(path)
        return self.held.get(path)

    def rows(self, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
        for path in wanted:
            if path in self.held:
                yield path, self.held[path]


_NOTES = [b"- lunch with [[Ada]]\n", b"---\nstage: cold\n---\n", b"---\nx: [\n---\n", b"plain\n"]


@settings(max_examples=150)
@given(st.lists(st.tuples(st.sampled_from(["put", "compact", "discard"]), st.integers(0, 5),
                          st.sampled_from(_NOTES)), max_size=25))  # fmt: skip
def test_a_lean_store_reads_as_the_same_mapping_as_a_full_one(ops) -> None:
    """Whatever is put, compacted and discarded, a lean store answers as a plain one."""
    full = RecordStore()
    on_disk: dict[str, bytes] = {}
    store = RecordStore(_Backing(on_disk))
    for op, n, text in ops:
        path = f"Notes/n{n}.md"
        if op == "put":
            rec = PARSER.parse(path, text)
            full.put(rec)
            blob = store.put(rec)
            other = PARSER.parse(path, b"---\ntags: [other]\n---\n")
            assert store.holds(path, encode(other)) is (other == rec)
            assert store.holds(path, blob)
        elif op == "compact":  # as after a save: the cache holds what the store holds
            saved = dict(store.rows())
            on_disk.clear()
            on_disk.update(saved)
            store.compact()
        else:
            full.discard(path)
            store.discard(path)
        assert dict(store.tuples()) == dict(full.tuples())
        assert sorted(store) == sorted(full) and len(store) == len(full)
        assert store.persons == full.persons
        assert all(store.ring(p) == full.ring(p) for p in full)
        assert {p: store.row_class(p) for p in store} == {p: full.row_class(p) for p in full}
        assert all(store[p] == full[p] for p in full)
    assert not store.digests.keys() & store.blobs.keys()


def test_a_person_changed_on_disk_reads_as_indexed_until_its_event_is_handled(vault: Path):
    """A lean store parses a person again to read it, and takes the record from the cache
    when the note no longer parses to the one indexed: the watcher compares stages with
    what it indexed, so a stage changed meanwhile is still seen as a move."""
    idx = lean(vault)
    store = idx.records
    ada = "People/Ada Lovelace.md"
    indexed = store[ada]
    (vault / ada).write_text("---\nstage: strategic\n---\n")
    assert store[ada] == indexed and store.ring(ada) == "buddy"
    assert dict(store.read([ada, "People/Ben Ortiz.md"]))[ada] == indexed
    assert idx.refresh([ada]) == {ada}
    assert store.ring(ada) == "strategic" and store[ada].person["ring"] == "strategic"
    (vault / ada).unlink()  # gone, its event not handled: still the record indexed
    save_index(idx)
    assert store[ada].person["ring"] == "strategic"


def test_reading_many_persons_is_one_pass_over_the_cache(vault: Path, monkeypatch):
    idx = lean(vault)
    store = idx.records
    for i in range(40):
        (vault / f"People/P{i:02}.md").write_text("---\nstage: cold\n---\n")
    idx.refresh(None)
    save_index(idx)
    assert len(store.persons) == 42 and not store.persons & store.blobs.keys()
    parsed: list[str] = []
    backing = store.backing
    monkeypatch.setattr(backing, "_parse_now", lambda p: parsed.append(p))
    got = dict(store.read(sorted(store.persons)))
    assert set(got) == store.persons and parsed == []
    assert got["People/P07.md"].person["ring"] == "cold"


def test_a_person_that_cannot_be_read_back_keeps_its_contact_until_its_event(tmp_path, make_vault):
    """A person deleted, its event not handled yet, and the record cache rewritten without
    it by another kith: an update that needs its contact keeps the one indexed (with what
    other notes now give it) instead of failing, and the deletion then removes it."""
    make_vault(tmp_path, {
        "People/Ada.md": "---\nstage: buddy\n---\n## Log\n- 2026-09-01 call: hi\n",
        "People/Ben.md": "---\nstage: cold\n---\n",
        "Daily/2026-10-01.md": "- lunch with [[Ada]] and [[Ben]]\n",
    })  # fmt: skip
    backdate(tmp_path)
    build_index(load_config(tmp_path))
    idx = lean(tmp_path)
    idx.vault(track=True)
    (tmp_path / "People/Ada.md").unlink()
    (tmp_path / "Daily/2026-10-01.md").write_text("- lunch with [[Ada]], [[Ben]] and cake\n")
    build_index(load_config(tmp_path))  # another kith: the cache no longer has Ada
    v = idx.vault(idx.refresh(["Daily/2026-10-01.md"]))
    ada = v.by_path["People/Ada.md"]
    assert [i.summary for i in ada.interactions] == ["lunch with Ada, Ben and cake", "hi"]
    v = idx.vault(idx.refresh(["People/Ada.md"]))
    assert "People/Ada.md" not in v.by_path
    assert state(idx) == state(build_index(load_config(tmp_path), save=False))
