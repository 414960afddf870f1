"""The record store keeps each note's record as bytes and gives back an equal record."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib import records
from vaultlib.config import Config
from vaultlib.parse import NoteParser
from vaultlib.records import KeyStore, RecordStore, decode, encode, is_usable_person, same_record

PARSER = NoteParser(Config(root=Path("/nonexistent")))

PERSON = b"---\nstage: buddy\nbirthday: 1990-02-03\n---\n## Log\n- 2026-01-02 call: hi [[Ben]]\n"
BROKEN_PERSON = b"---\nstage: [\n---\n"
DAILY = b"- lunch with [[Ada]] #give\n- [ ] email [[Ben]]\n"

_PIECES = ["---\n", "stage: cold\n", "tags: [a, b]\n", "date: 2026-01-02\n", "- ", "[[Ada]]",
           "## Log\n", "2026-03-04 ", "call: ", "#ask ", "\n", "x", "é", "\r\n"]  # fmt: skip


@settings(max_examples=300)
@given(st.sampled_from(["People/Ada.md", "Daily/2026-01-02.md", "Notes/x.md"]),
       st.lists(st.sampled_from(_PIECES), max_size=30))  # fmt: skip
def test_a_record_comes_back_equal(path: str, pieces: list[str]) -> None:
    rec = PARSER.parse(path, "".join(pieces).encode())
    back = decode(encode(rec))
    assert back == rec
    assert back.to_tuple() == rec.to_tuple()
    assert same_record(encode(rec), encode(PARSER.parse(path, "".join(pieces).encode())))


def test_the_store_reads_as_a_mapping_and_tracks_usable_persons() -> None:
    store = RecordStore()
    ada = PARSER.parse("People/Ada.md", PERSON)
    broken = PARSER.parse("People/Bad.md", BROKEN_PERSON)
    daily = PARSER.parse("Daily/2026-01-02.md", DAILY)
    for rec in (ada, broken, daily):
        store.put(rec)
    assert is_usable_person(ada) and not is_usable_person(broken)
    assert store.persons == {"People/Ada.md"}
    assert sorted(store) == ["Daily/2026-01-02.md", "People/Ada.md", "People/Bad.md"]
    assert store["People/Ada.md"] == ada and store.get("nope.md") is None
    assert "Daily/2026-01-02.md" in store and len(store) == 3
    assert store["People/Ada.md"] is not store["People/Ada.md"]  # decoded anew: nothing kept

    store.put(PARSER.parse("People/Ada.md", BROKEN_PERSON))  # a person that broke
    assert store.persons == set()
    store.put(ada)
    store.discard("People/Ada.md")
    store.discard("People/Ada.md")  # twice is fine
    assert "People/Ada.md" not in store and store.persons == set()
    assert dict(store.tuples())["Daily/2026-01-02.md"] == daily.to_tuple()


def test_put_new_holds_what_put_blob_would() -> None:
    recs = [PARSER.parse("People/Ada.md", PERSON), PARSER.parse("People/Bad.md", BROKEN_PERSON),
            PARSER.parse("Daily/2026-01-02.md", DAILY)]  # fmt: skip
    one_by_one, at_once = RecordStore(), RecordStore()
    for rec in recs:
        one_by_one.put(rec)
    at_once.put_new([r.path for r in recs], map(encode, recs), map(records.row_class, recs))
    for name in RecordStore.__slots__:
        assert getattr(at_once, name) == getattr(one_by_one, name), name


def test_same_record_sees_through_how_marshal_spells_a_value() -> None:
    shared = "x" * 20
    one = (shared, shared)  # marshal writes the second as a reference to the first
    two = ("x" * 20, "".join(["x"] * 20))  # two distinct but equal strings
    import marshal

    a, b = marshal.dumps(one), marshal.dumps(two)
    assert a != b
    assert same_record(a, b)
    assert not same_record(a, marshal.dumps(("x", "y")))


def test_tuple_positions_name_the_record_fields() -> None:
    rec = PARSER.parse(
        "Daily/2026-01-02.md", b"---\ntags: [x]\n---\n- lunch with [[Ada]]\n<!-- kith:overdue -->\n"
    )
    t = rec.to_tuple()
    assert t[records.T_DATE] == rec.date and t[records.T_TITLE] == rec.title
    assert t[records.T_TAGS] == rec.tags == ("x",)
    assert t[records.T_LINKS] == rec.links and rec.links
    assert t[records.T_HAS_BLOCKS] is rec.has_blocks is True


def test_each_gives_plain_notes_as_tuples_and_the_rest_as_records() -> None:
    store = RecordStore()
    ada = PARSER.parse("People/Ada.md", PERSON)
    daily = PARSER.parse("Daily/2026-01-02.md", DAILY)
    bad = PARSER.parse("Notes/bad.md", b"---\nx: [\n---\n")
    for rec in (ada, daily, bad):
        store.put(rec)
    got = dict(store.each())
    assert got["People/Ada.md"] == ada and got["Notes/bad.md"] == bad
    assert got["Daily/2026-01-02.md"] == daily.to_tuple()


_INT64 = st.integers(-(2**63), 2**63 - 1)


@given(st.dictionaries(st.text(max_size=20), st.tuples(st.integers(0, 2**63 - 1), _INT64, _INT64),
                       max_size=30))  # fmt: skip
def test_packed_keys_read_back_as_the_keys_put_in(keys: dict[str, tuple[int, int, int]]) -> None:
    ks = KeyStore(keys)
    assert dict(ks) == keys and len(ks) == len(keys)
    assert all(ks.get(p) == k and p in ks for p, k in keys.items())
    absent = "\0absent"
    assert ks.get(absent) == keys.get(absent)
    copy = KeyStore(ks)  # from another store, as the watcher makes one from the index's keys
    for p in list(keys)[:3]:
        del ks[p]
        ks["new/" + p] = (1, -2, 3)
    assert dict(copy) == keys  # the copy is its own
    assert ks.pop("nowhere", None) is None
