"""The snapshot does not depend on how it was reached: a full build, the same build from
records in another order, and any sequence of one-note updates all give the same Vault;
a resolver kept up to date note by note equals one built afresh."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib import links
from vaultlib import vault as vault_mod
from vaultlib.config import Config
from vaultlib.links import Resolver
from vaultlib.model import WARNING, Problem
from vaultlib.parse import NoteParser, NoteRecord
from vaultlib.records import RecordStore
from vaultlib.vault import Vault, VaultBuilder

CFG = Config(root=Path("/nonexistent"))
PARSER = NoteParser(CFG)

PEOPLE = ["People/Ada Lovelace.md", "People/Ben Ortiz.md", "People/Old/Ada Lovelace.md",
          "Clients/ben ortiz.md", "People/Zoë Ng.md"]  # fmt: skip
NAMES = ["Ada Lovelace", "Ben Ortiz", "ben ortiz", "Zoë Ng", "Nobody"]
TARGETS = [
    *NAMES,
    "People/Ada Lovelace",
    "Old/Ada Lovelace",
    "Clients/Ben Ortiz.md",
    "../People/Ben Ortiz.md",
    "./People/Zoë Ng.md",
    "Home",
    "ada lovelace.MD",
    "/Ada Lovelace",
    "People\\Ben Ortiz",
]  # fmt: skip (odd spellings too)
DATED = ["Daily/2026-11-01.md", "Daily/2026-11-02.md", "Meetings/2026-11-01 Sync.md"]
OTHER = ["Home.md", "Goals/Funnel.md", "Ada Lovelace.md"]


def person(rnd: random.Random) -> str:
    if rnd.random() < 0.1:  # broken front matter: a person note that is not a contact
        return "---\nstage: [\n---\n## Log\n- 2026-10-10 call: hi\n"
    knows = rnd.sample(TARGETS, rnd.randint(0, 2))
    fm = "---\nstage: " + rnd.choice(["cold", "buddy"]) + "\n"
    if rnd.random() < 0.3:  # a display name of its own, which contacts that know it show
        fm += "name: " + rnd.choice(["Countess", "Ben O.", "Zoë"]) + "\n"
    if knows:
        fm += "knows:\n" + "".join(f'  - "[[{k}]]"\n' for k in knows)
    log = "".join(f"- 2026-10-{rnd.randint(10, 12)} {rnd.choice(['call', 'coffee'])}: hi\n"
                  for _ in range(rnd.randint(0, 3)))  # fmt: skip
    moves = "- 2026-10-11 stage: cold -> buddy\n" if rnd.random() < 0.3 else ""
    return fm + "---\n## Log\n" + log + moves


def dated(rnd: random.Random) -> str:
    tags = "---\ntags: [work]\n---\n" if rnd.random() < 0.5 else ""
    lines = []
    for _ in range(rnd.randint(0, 4)):
        links = " and ".join(f"[[{t}]]" for t in rnd.sample(TARGETS, rnd.randint(1, 2)))
        lines.append(f"- {rnd.choice(['lunch', 'call'])} with {links}")
    return tags + "\n".join(lines) + "\n"


def other(path: str, rnd: random.Random) -> str:
    if path.startswith("Goals/"):
        return f"---\ntype: goal\nmetric: moves\ntarget: {rnd.randint(1, 5)}\n---\n"
    return "Just a note <!-- kith:overdue -->\n<!-- /kith:overdue -->\n" * rnd.randint(0, 1)


def note(path: str, rnd: random.Random) -> NoteRecord:
    if path in PEOPLE:
        text = person(rnd)
    elif path in DATED:
        text = dated(rnd)
    else:
        text = other(path, rnd)
    return PARSER.parse(path, text.encode())


def same(a: Vault, b: Vault) -> None:
    assert a.contacts == b.contacts
    assert a.goals == b.goals
    assert a.dated_notes == b.dated_notes
    assert a.problems == b.problems
    assert a.shared_names == b.shared_names
    assert a.block_notes == b.block_notes
    assert a.by_path == b.by_path  # lookups only: in no particular order


ALL = PEOPLE + DATED + OTHER


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.tuples(st.sampled_from(ALL), st.booleans()), max_size=25))
def test_updates_equal_a_full_build(seed: int, steps: list[tuple[str, bool]]):
    rnd = random.Random(seed)
    records = {p: note(p, rnd) for p in ALL if rnd.random() < 0.6}
    builder = VaultBuilder(CFG, records, track=True)
    builder.build()
    for path, delete in steps:
        if delete:
            records.pop(path, None)
        else:
            records[path] = note(path, rnd)
        incremental = builder.update({path})
        same(incremental, VaultBuilder(CFG, records, track=False).build())
    shuffled = dict(rnd.sample(sorted(records.items()), len(records)))
    same(VaultBuilder(CFG, shuffled, track=False).build(), builder.update(()))


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("how", ["loosened", "filtered"])
def test_bulk_updates_equal_a_full_build(seed: int, how: str, monkeypatch: pytest.MonkeyPatch):
    """Updates of many notes at once (a folder renamed, a git checkout) loosen the sorted
    collections and sort once, or (below BULK_UPDATE) take the dated notes out in one pass
    over them: the result is the same."""
    if how == "loosened":
        monkeypatch.setattr(vault_mod, "BULK_UPDATE", 1)
    else:
        monkeypatch.setattr(vault_mod, "_SCAN_REMOVALS", 1)
    rnd = random.Random(seed)
    records = {p: note(p, rnd) for p in ALL if rnd.random() < 0.6}
    builder = VaultBuilder(CFG, records, track=True)
    builder.build()
    for _ in range(6):
        changed = set(rnd.sample(ALL, rnd.randint(0, len(ALL))))
        for path in changed:
            if rnd.random() < 0.3:
                records.pop(path, None)
            else:
                records[path] = note(path, rnd)
        same(builder.update(changed), VaultBuilder(CFG, records, track=False).build())
        path = rnd.choice(ALL)  # then a one-note update, in place again
        records[path] = note(path, rnd)
        same(builder.update({path}), VaultBuilder(CFG, records, track=False).build())


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.tuples(st.sampled_from(ALL), st.booleans()), max_size=25))
def test_a_record_store_builds_and_updates_as_a_dict_does(seed: int, steps: list[tuple[str, bool]]):
    """The index keeps records encoded in a RecordStore, whose set of persons the builder
    uses live: every build and update equals the one made from a plain dict."""
    rnd = random.Random(seed)
    records = {p: note(p, rnd) for p in ALL if rnd.random() < 0.6}
    store = RecordStore()
    for rec in records.values():
        store.put(rec)
    builder = VaultBuilder(CFG, store, track=True)
    same(builder.build(), VaultBuilder(CFG, records, track=False).build())
    for path, delete in steps:
        if delete:
            records.pop(path, None)
            store.discard(path)
        else:
            records[path] = note(path, rnd)
            store.put(records[path])
        same(builder.update({path}), VaultBuilder(CFG, records, track=False).build())


def test_a_one_shot_builder_turns_incremental_on_its_first_update():
    rnd = random.Random(1)
    records = {p: note(p, rnd) for p in ALL}
    builder = VaultBuilder(CFG, records, track=False)
    builder.build()
    records["Daily/2026-11-01.md"] = PARSER.parse(
        "Daily/2026-11-01.md", b"- call with [[Ben Ortiz]]\n"
    )
    same(builder.update({"Daily/2026-11-01.md"}), VaultBuilder(CFG, records).build())
    assert builder.track


def test_a_note_whose_name_starts_with_a_space_is_relinked_when_it_becomes_a_person():
    """The notes that named it are found by the name the resolver files its path under
    (" ada"), not by the name a link target would be read as (stripped: "ada")."""
    path = " Ada.md"
    records = {
        path: PARSER.parse(path, b"just a note\n"),
        "Daily/2026-11-01.md": PARSER.parse(
            "Daily/2026-11-01.md", b"- call with [a](<./ Ada.md>)\n"
        ),
    }
    builder = VaultBuilder(CFG, records)
    builder.build()
    records[path] = PARSER.parse(path, b"---\ntype: person\nstage: cold\n---\n")
    v = builder.update({path})
    same(v, VaultBuilder(CFG, records).build())
    assert len(v.by_path[path].interactions) == 1


def test_two_people_linked_on_one_line_get_equal_interactions():
    rec = PARSER.parse("Daily/2026-11-01.md", b"- lunch with [[Ada Lovelace]] and [[Ben Ortiz]]\n")
    records = {p: note(p, random.Random(0)) for p in PEOPLE[:2]} | {rec.path: rec}
    v = VaultBuilder(CFG, records).build()
    ada, ben = (v.by_path[p].interactions for p in PEOPLE[:2])
    assert [i for i in ada if i.source == rec.path] == [i for i in ben if i.source == rec.path]


PATHS = ["People/Ada.md", "people/ada.md", "Old/Ada.md", "Ada.md", "Ada", "Ada.md.md",
         "Zoe\u0308.md", "Zoë.md", "Notes/x.md", "x", "a/b/Notes/x.md"]  # fmt: skip
LOOKUPS = ["Ada", "ada", "People/Ada", "people/ada.md", "Old/Ada", "Ada.md", "Ada.md.md",
           "Zoë", "Zoe\u0308", "x", "Notes/x", "b/Notes/x", "Nobody", "./Ada.md", "../Old/Ada.md"]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(PATHS), max_size=30))
def test_resolver_kept_up_to_date_equals_a_fresh_one(toggles: list[str]):
    known: set[str] = set()
    kept = Resolver(())
    for p in toggles:
        if p in known:
            known.discard(p)
            kept.remove(p)
        else:
            known.add(p)
            kept.add(p)
        fresh = Resolver(sorted(known))
        assert (kept.one, kept.many, kept.shared) == (fresh.one, fresh.many, fresh.shared)
        assert all((p in kept) == (p in known) for p in PATHS)
        for t in LOOKUPS:
            assert kept.resolve(t, "People/x.md") == fresh.resolve(t, "People/x.md")


@pytest.mark.parametrize("mask", [0, 1, 3])
@pytest.mark.parametrize("seed", range(10))
def test_resolver_answers_alike_when_names_share_a_key(
    mask: int, seed: int, monkeypatch: pytest.MonkeyPatch
):
    """The resolver looks names up by a number made from them: when different names give
    the same number (forced here by a narrow mask), every answer is still the same."""
    rnd = random.Random(seed)
    known = sorted(rnd.sample(PATHS, rnd.randint(0, len(PATHS))))
    plain = Resolver(known)
    answers = [plain.resolve(t, "People/x.md") for t in LOOKUPS]
    holding = [plain.holding(p.rpartition("/")[2].removesuffix(".md").casefold()) for p in PATHS]
    monkeypatch.setattr(links, "_KEY_MASK", mask)
    kept = Resolver(())
    for p in rnd.sample(known, len(known)):
        kept.add(p)
    for p in rnd.sample(PATHS, 3):  # add and remove again: the same paths held
        if p not in known:
            kept.add(p)
            kept.remove(p)
    for clashing in (Resolver(known), kept):
        assert [clashing.resolve(t, "People/x.md") for t in LOOKUPS] == answers
        assert [clashing.holding(p.rpartition("/")[2].removesuffix(".md").casefold())
                for p in PATHS] == holding  # fmt: skip
        assert clashing.shared == plain.shared
        assert all((p in clashing) == (p in known) for p in PATHS)


@pytest.mark.parametrize("target", [*TARGETS, " Ada Lovelace ", "PEOPLE/ada lovelace.md"])
def test_a_target_is_filed_under_the_name_of_every_path_it_resolves_to(target: str):
    """The builder files a note under `target_name` of each link, to find it again when a
    note of that name appears or goes: it must be the name of what `resolve` answers."""
    resolver = Resolver([*PEOPLE, *DATED, *OTHER])
    path, candidates = resolver.resolve(target, "Daily/2026-11-01.md")
    for hit in [path] if path else candidates:
        assert links.path_name(hit) == links.target_name(target)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6))
def test_a_streamed_build_equals_a_full_build(seed: int):
    """A cold index builds while its workers parse (start(streaming=True), take, finish):
    records come one by one, each put in the store just before it is taken, so whether a
    link's target is a person is not known yet when the link is read. In any order of
    arrival, the result equals a full build of the same records."""
    rnd = random.Random(seed)
    records = {p: note(p, rnd) for p in ALL if rnd.random() < 0.8}
    order = rnd.sample(sorted(records), len(records))
    store = RecordStore()
    builder = VaultBuilder(CFG, store, track=False)
    builder.start(order, streaming=True)
    for path in order:
        store.put(records[path])
        builder.take_all([(path, next(r for p, r in store.each() if p == path))])
    same(builder.finish(), VaultBuilder(CFG, records, track=False).build())


def test_chunks_taken_whole_stay_in_path_order_and_equal_a_full_build():
    """A cold index takes a chunk of records at a time: the plain dated notes' links are
    recorded together, and those before a dated note that comes as a NoteRecord (one with
    a problem) before its own, so the build stays in path order (its fast path, see
    `_last_source`) and equals a full build."""
    rnd = random.Random(0)
    records = {p: note(p, rnd) for p in PEOPLE}
    for day in range(1, 10):
        p = f"Daily/2026-11-0{day}.md"
        text = f"- lunch with [[{NAMES[day % 2]}]] and [[{NAMES[3]}]]\n- call [[Ada Lovelace]]\n"
        records[p] = PARSER.parse(p, text.encode())
    odd = records["Daily/2026-11-05.md"]
    odd.problems.append(Problem(odd.path, 1, "an odd line", "look at it", WARNING))
    store = RecordStore()
    for rec in records.values():
        store.put(rec)
    taken = dict(store.each())
    assert isinstance(taken[odd.path], NoteRecord) and isinstance(
        taken["Daily/2026-11-04.md"], tuple
    )
    paths = sorted(records)
    builder = VaultBuilder(CFG, store, track=False)
    builder.start(paths, streaming=True)
    for chunk in (paths[:7], paths[7:]):
        builder.take_all((p, taken[p]) for p in chunk)
    assert builder._last_source is not None
    same(builder.finish(), VaultBuilder(CFG, records, track=False).build())


@pytest.mark.parametrize("seed", range(10))
def test_records_taken_together_are_indexed_as_when_taken_one_by_one(seed: int):
    """A tracked build taking many records at once (its plain dated notes' links recorded
    together) keeps the maps one taking them one by one keeps, down to the order of the
    sources of each name (persons come between dated notes, naming the same people)."""
    rnd = random.Random(seed)
    records = {p: note(p, rnd) for p in ALL}
    later = "Zz/2026-11-03.md"  # after the persons, in path order
    records[later] = PARSER.parse(later, dated(rnd).encode())
    store = RecordStore()
    for rec in records.values():
        store.put(rec)
    taken = sorted(store.each())
    together, one_by_one = VaultBuilder(CFG, store), VaultBuilder(CFG, store)
    together.start(sorted(records))
    one_by_one.start(sorted(records))
    together.take_all(taken)
    for path, r in taken:
        one_by_one.take_all([(path, r)])
    assert together.by_name == one_by_one.by_name
    assert together.names_of == one_by_one.names_of
    assert together.resolved == one_by_one.resolved
    same(together.finish(), one_by_one.finish())


@pytest.mark.skipif(
    not vault_mod.__file__.endswith(".py"),
    reason="compiled by mypyc (hatch_build.py): its methods cannot be patched; "
    "the run of the Python sources checks the bound",
)
def test_records_taken_together_are_linked_a_bounded_batch_at_a_time(monkeypatch):
    """take_all hands its plain dated notes' links on in batches of at most _LINKED_AT_ONCE
    (a build from every record at once would otherwise hold them all: the watcher's peak
    memory), and the maps and the vault are those of a build taking them one by one."""
    rnd = random.Random(7)
    records = {p: note(p, rnd) for p in ALL}
    for day in range(1, 10):
        p = f"Daily/2026-10-0{day}.md"
        records[p] = PARSER.parse(p, dated(rnd).encode())
    store = RecordStore()
    for rec in records.values():
        store.put(rec)
    taken = sorted(store.each())
    monkeypatch.setattr(vault_mod, "_LINKED_AT_ONCE", 2)
    batches: list[int] = []
    link_notes = VaultBuilder._link_notes

    def counted(self, notes):
        notes = list(notes)
        batches.append(len(notes))
        return link_notes(self, notes)

    monkeypatch.setattr(VaultBuilder, "_link_notes", counted)
    together, one_by_one = VaultBuilder(CFG, store), VaultBuilder(CFG, store)
    together.start(sorted(records))
    together.take_all(taken)
    assert batches and max(batches) == 2 and sum(batches) >= 9
    one_by_one.start(sorted(records))
    for path, r in taken:
        one_by_one.take_all([(path, r)])
    assert together.by_name == one_by_one.by_name
    assert together.resolved == one_by_one.resolved
    same(together.finish(), one_by_one.finish())


def test_a_streamed_build_keeps_no_interaction_for_a_note_known_to_be_no_person():
    """While streaming, a link to a note not yet taken is kept until `finish` (it may be a
    person); one to a note already taken, and no person, is not kept at all."""
    records = {
        "Home.md": PARSER.parse("Home.md", b"just a note\n"),
        "Daily/2026-11-01.md": PARSER.parse("Daily/2026-11-01.md", b"- [[Home]] and [[Later]]\n"),
        "Later.md": PARSER.parse("Later.md", b"not a person either\n"),
    }
    store = RecordStore()
    builder = VaultBuilder(CFG, store, track=False)
    builder.start(list(records), streaming=True)
    for path, rec in records.items():
        store.put(rec)
        builder.take_all([(path, next(r for p, r in store.each() if p == path))])
    assert set(builder.found) == {"Later.md"}
    same(builder.finish(), VaultBuilder(CFG, records, track=False).build())
