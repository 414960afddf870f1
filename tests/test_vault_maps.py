"""What a builder keeps between updates, and how little: sorted values without key tuples,
link maps that hold one string bare and leave out what another map gives back, nothing at
all after a one-shot build. Each update must still equal a full build."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import pytest

from vaultlib.config import Config
from vaultlib.model import DatedNote, dated_note, slot_setters
from vaultlib.parse import NoteParser
from vaultlib.vault import VaultBuilder, _dated_key, _Sorted

CFG = Config(root=Path("/nonexistent"))
PARSER = NoteParser(CFG)


def dn(day: int, path: str, title: str = "") -> DatedNote:
    return DatedNote(date(2026, 11, day), path, title, ("work",))


def test_dated_note_is_the_one_its_init_makes():
    made = dated_note(date(2026, 11, 3), "a.md", "t", ("work",))
    assert made == dn(3, "a.md", "t") and hash(made) == hash(dn(3, "a.md", "t"))
    assert repr(made) == repr(dn(3, "a.md", "t"))


def test_only_a_class_whose_init_only_sets_its_slots_is_made_without_it():
    @dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            assert self.n >= 0

    @dataclass(frozen=True)
    class Unslotted:
        n: int

    assert slot_setters(Checked) is None and slot_setters(Unslotted) is None
    setters = slot_setters(DatedNote)
    assert setters is not None and len(setters) == len(fields(DatedNote))


def test_sorted_values_sorted_stably_by_head_keep_key_order():
    s: _Sorted[DatedNote] = _Sorted(_dated_key, by_path=False)
    for v in (dn(3, "a.md"), dn(1, "b.md"), dn(3, "c.md"), dn(1, "d.md")):  # in path order
        s.put(v, new=True)
    s.sort_stably(lambda v: v.date)
    assert s.in_order  # sorted now, by the date alone, and not again by the whole key:
    s.key = None  # type: ignore[assignment]
    assert s.ordered() == (dn(1, "b.md"), dn(1, "d.md"), dn(3, "a.md"), dn(3, "c.md"))


def test_sorted_values_are_found_by_path_and_kept_in_key_order():
    s: _Sorted[DatedNote] = _Sorted(_dated_key)
    for v in (dn(3, "c.md"), dn(1, "b.md"), dn(1, "a.md")):
        s.put(v)  # appended until the first read
    assert s.ordered() == (dn(1, "a.md"), dn(1, "b.md"), dn(3, "c.md"))
    assert "b.md" in s and "z.md" not in s
    s.remove("b.md")
    s.remove("z.md")  # not held: nothing happens
    assert s.ordered() == (dn(1, "a.md"), dn(3, "c.md"))
    s.put(dn(5, "a.md", "moved"))  # the same path again: it replaces its value, in place
    s.put(dn(2, "d.md"))
    assert s.ordered() == (dn(2, "d.md"), dn(3, "c.md"), dn(5, "a.md", "moved"))
    assert s.at == {v.path: v for v in s.ordered()}


@pytest.mark.parametrize("seed", range(20))
def test_sorted_in_place_and_loosened_agree_with_a_sort(seed: int):
    rnd = random.Random(seed)
    s: _Sorted[DatedNote] = _Sorted(_dated_key)
    held: dict[str, DatedNote] = {}
    for step in range(60):
        if step in (20, 40):
            s.loosen()  # values by path only, until the next read sorts them
        path = f"n{rnd.randrange(12)}.md"
        if rnd.random() < 0.3:
            s.remove(path)
            held.pop(path, None)
        else:
            held[path] = s_value = dn(rnd.randint(1, 4), path, str(step))
            s.put(s_value)
        assert (path in s) == (path in held)
        if rnd.random() < 0.5:
            assert s.ordered() == tuple(sorted(held.values(), key=_dated_key))
    assert s.ordered() == tuple(sorted(held.values(), key=_dated_key))


def parse(path: str, text: str):
    return PARSER.parse(path, text.encode())


def notes(*pairs: tuple[str, str]):
    return {path: parse(path, text) for path, text in pairs}


PERSON = "---\nstage: cold\n---\n"


def fresh(records):
    return VaultBuilder(CFG, records, track=False).build()


def test_link_maps_hold_one_string_bare_and_only_the_names_no_person_answers():
    one, two, three = "Daily/2026-11-01.md", "Daily/2026-11-02.md", "Daily/2026-11-03.md"
    records = notes(
        ("People/Ada.md", PERSON),
        ("People/Ben.md", PERSON),
        (one, "- call with [[Ada]] about [[Ghost]]\n"),
        (two, "- read [[Ghost]]\n"),
        (three, "- lunch with [[Ada]] and [[Ben]]\n"),
    )
    b = VaultBuilder(CFG, records, track=True)
    b.build()
    assert b.resolved == {one: "People/Ada.md", three: ("People/Ada.md", "People/Ben.md")}
    # "ada" and "ben" are the names of the persons reached: resolved gives them back
    assert b.names_of == {one: "ghost", two: "ghost"}
    assert b.by_name == {"ada": [one, three], "ghost": [one, two], "ben": [three]}

    # A note appears with the name two sources held: both are linked again.
    records.update(notes(("People/Ghost.md", PERSON)))
    v = b.update({"People/Ghost.md"})
    assert v == fresh(records)
    assert b.resolved[one] in (("People/Ada.md", "People/Ghost.md"), ("People/Ghost.md", "People/Ada.md"))  # fmt: skip
    assert b.resolved[two] == "People/Ghost.md"
    assert b.names_of == {}

    # A source goes: it leaves every name it held, the ones resolved gave back included.
    del records[one]
    assert b.update({one}) == fresh(records)
    assert b.by_name == {"ada": [three], "ghost": [two], "ben": [three]}
    assert one not in b.resolved and one not in b.names_of

    # The person goes: the name is held by one source again, and reaches nobody.
    del records["People/Ghost.md"]
    assert b.update({"People/Ghost.md"}) == fresh(records)
    assert b.names_of == {two: "ghost"} and two not in b.resolved


def test_a_name_a_reached_person_does_not_have_is_left_too():
    """A note linking [[Ada]] and [[Home]] reaches People/Ada.md and names "home" too:
    names_of keeps only "home" (what the reached person gives back is not stored), and
    leaving both names when the note changes changes nothing."""
    records = notes(
        ("People/Ada.md", PERSON),
        ("Home.md", "Just a note\n"),
        ("Daily/2026-11-01.md", "- call with [[People/Ada.md]]\n"),
        ("Daily/2026-11-02.md", "- call with [[ada.MD]] at [[Home]]\n"),
    )
    b = VaultBuilder(CFG, records, track=True)
    b.build()
    assert b.names_of == {"Daily/2026-11-02.md": "home"}
    assert {k: sorted(v) for k, v in b.by_name.items()} == {
        "ada": ["Daily/2026-11-01.md", "Daily/2026-11-02.md"], "home": ["Daily/2026-11-02.md"]}  # fmt: skip
    for path in ("Daily/2026-11-01.md", "Daily/2026-11-02.md"):
        records[path] = parse(path, "- nothing\n")
        assert b.update({path}) == fresh(records)
    assert b.by_name == {} and b.names_of == {} and b.resolved == {}


def test_a_one_shot_build_keeps_nothing():
    records = notes(
        ("People/Ada.md", PERSON),
        ("Daily/2026-11-01.md", "---\ntags: [work]\n---\n- call with [[Ada]]\n"),
    )
    b = VaultBuilder(CFG, records, track=False)
    v = b.build()
    assert len(v.contacts) == 1 and len(v.dated_notes) == 1
    assert not (b.found or b.resolver.one or b.by_path or b.dated.values or b.names)
    assert b.update(()) == v  # builds afresh, tracked from then on
    assert b.track and b.resolver.one and b.by_path
    # between updates, what other notes give a person is in its contact only
    assert not b.found and b.found["People/Ada.md"] == list(v.contacts[0].interactions)
