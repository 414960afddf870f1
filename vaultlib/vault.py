"""The vault snapshot: every contact with its interactions and moves, goals, and problems.

This module owns assembling parsed note records into one immutable picture of
the vault: resolving links from dated notes to people, merging log lines and
linking notes into each person's interactions, and collecting every problem.
It is a pure function of the records and the config: it never reads files
and never looks at the clock (what is "overdue" is a question for `query`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from .config import Config
from .dates import parse_date
from .links import Resolver, depends_on_source, path_name, target_name
from .model import (
    WARNING,
    Birthday,
    Contact,
    DatedNote,
    Goal,
    Interaction,
    Move,
    Problem,
    dated_note,
)
from .parse import GOAL, PERSON, NoteRecord, display_text, link_target
from .records import T_DATE, T_HAS_BLOCKS, T_LINKS, T_TAGS, T_TITLE, Link, RecordStore


@dataclass(frozen=True)
class Vault:
    config: Config
    contacts: tuple[Contact, ...]  # every person, archived included, sorted by name
    goals: tuple[Goal, ...] = ()
    dated_notes: tuple[DatedNote, ...] = ()  # dated notes that carry tags
    problems: tuple[Problem, ...] = ()
    by_path: Mapping[str, Contact] = field(default_factory=dict)  # in no particular order
    shared_names: frozenset[str] = frozenset()  # casefolded basenames held by 2+ notes
    block_notes: tuple[str, ...] = ()  # notes carrying generated-block markers

    @property
    def active(self) -> list[Contact]:
        return [c for c in self.contacts if not c.archived]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def name_key(c: Contact) -> tuple[str, str]:
    return (c.name.casefold(), c.path)


def _goal_key(g: Goal) -> tuple[date, str, str]:
    return (g.deadline or date.max, g.name.casefold(), g.path)


_dated_key = attrgetter("date", "path")
_date = attrgetter("date")  # of a dated note or an interaction: a key without its path or source


_Key = tuple[Any, ...]


class _Pathed(Protocol):  # Contact, Goal, DatedNote
    @property
    def path(self) -> str: ...


_V = TypeVar("_V", bound=_Pathed)

# Newest first, as `Contact.interactions` lists them: by date, source and line, but sorted
# by date and source only (a key of two costs a third less than one of three), which is
# the same order when a person's own lines come last line first (the sort is stable, and
# other notes give a person one interaction each). When the interactions are already in
# order of source, the date alone is the key (see `_with_found`).
_interaction_order = attrgetter("date", "source")
_source = attrgetter("source")
_line = itemgetter(4)  # of a log tuple (see NoteRecord.log)

# A named tuple made as a tuple, in C: its own __new__ is a Python call (~10 ms of a build
# at 150k links).
_new = tuple.__new__

# How many plain dated notes take_all hands _link_notes at most at once: a build from every
# record in one call (the watcher's first) held each note's decoded links until the end
# otherwise, ~13 MB more at the peak of `kith watch` at 110k notes (benchmarks.probes watch).
_LINKED_AT_ONCE = 256


class _Days(dict[int, date]):
    """Dates by ordinal: one object per day, however many interactions fall on it."""

    def __missing__(self, ordinal: int) -> date:
        d = self[ordinal] = date.fromordinal(ordinal)
        return d


class _Basenames(dict[str, str]):
    """`target_name` of each link target or reached person's path, for one build or update:
    targets repeat across notes, and equal names come out as one object. (For a path it is
    `path_name`, unless the path starts or ends with a space or holds a backslash: such a
    person's name then stays in `names_of` too, which costs a relink, never a wrong answer.)"""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def __missing__(self, target: str) -> str:
        name = target_name(target)
        name = self[target] = self.names.setdefault(name, name)
        return name

    def clear(self) -> None:
        super().clear()
        self.names.clear()


def _each(held: str | tuple[str, ...]) -> tuple[str, ...]:
    """The strings a map holds for a key: one is held bare, more as a tuple."""
    return (held,) if isinstance(held, str) else held


class _Sorted(Generic[_V]):
    """Values in the order of `key(value)`, a key that ends with the value's path (so no two
    are equal): only the values are held, each key is computed when it is compared. Until
    the first read, puts are only appended (each path at most once) and sorted at that read;
    later puts and removals go in place, so a one-note update sorts nothing. Before many
    changes, `loosen()` holds the values by path only until the next read sorts them once:
    k changes in place would each move up to all n values (k×n)."""

    def __init__(self, key: Callable[[_V], _Key], *, by_path: bool = True) -> None:
        self.key = key
        # Without `by_path` (the dated notes: 80k at 100k notes) no path -> value dict is
        # kept between updates (~2.6 MB): a removal finds its value by a scan, in C.
        self.by_path = by_path
        self.values: list[_V] = []
        self._paths: list[str] | None = None  # without by_path: values' paths, made when needed
        self.in_order = False
        self._at: dict[str, _V] | None = None  # path -> value, made at the first lookup by path
        self._loose = False  # values is stale: _at holds them until the next read
        self._ordered: tuple[_V, ...] | None = None  # the last `ordered()`, while unchanged

    @property
    def at(self) -> dict[str, _V]:
        if self._loose:
            assert self._at is not None
            return self._at
        self._sort()
        if self._at is None:
            self._at = {v.path: v for v in self.values}
        return self._at

    def __contains__(self, path: str) -> bool:
        return path in self.at

    def loosen(self) -> None:
        if not self._loose:
            self._at = self.at  # made from the sorted values, if not yet
            self.values = []
            self._paths = None
            self._loose = True

    def put(self, value: _V, *, new: bool = False) -> None:
        """Put a value in, in place of the one at its path (`new`: there is none)."""
        self._ordered = None
        if self._loose:
            self.at[value.path] = value
            return
        if not self.in_order:
            self.values.append(value)
            return
        path = value.path
        if not new:
            self.remove(path)
        key = self.key
        i = bisect_left(self.values, key(value), key=key)
        self.values.insert(i, value)
        if self.by_path:
            self.at[path] = value
        elif self._paths is not None:
            self._paths.insert(i, path)

    def remove(self, path: str) -> None:
        if not (self.by_path or self._loose):
            self.remove_all((path,))
            return
        old = self.at.pop(path, None)
        if old is not None:
            self._ordered = None
            if not self._loose:
                key = self.key
                del self.values[bisect_left(self.values, key(old), key=key)]

    def remove_all(self, paths: Collection[str]) -> None:
        """Remove the values at these paths (any not held are ignored)."""
        if self.by_path or self._loose:
            for path in paths:
                self.remove(path)
            return
        self._sort()
        values = self.values
        if len(paths) <= _SCAN_REMOVALS:
            if self._paths is None:
                self._paths = list(map(_path_of, values))
            held = self._paths  # a list of the values' paths: scanned in C, ~0.5 ms for 80k
            gone = False
            for p in paths:
                try:
                    i = held.index(p)
                except ValueError:
                    continue
                del values[i], held[i]
                gone = True
        else:
            gone = any(v.path in paths for v in values)
            if gone:
                self.values = [v for v in values if v.path not in paths]
                self._paths = None
        if gone:
            self._ordered = None

    def ordered(self) -> tuple[_V, ...]:
        if self._ordered is None:
            self._sort()
            self._ordered = tuple(self.values)
        return self._ordered

    def sort_stably(self, head: Callable[[_V], Any]) -> None:
        """Sort the values, all put new since this was made and in order of path (a build
        from scratch: see VaultBuilder.finish), by `head`, their key without the path: the
        same order (the sort is stable) at less cost (~15 ms less for 80k dated notes)."""
        assert not (self._loose or self.in_order or self._paths is not None)
        self.values.sort(key=head)
        self.in_order = True

    def _sort(self) -> None:
        if self._loose:
            assert self._at is not None
            self.values = sorted(self._at.values(), key=self.key)
            self._loose = False
            self._paths = None
            if not self.by_path:
                self._at = None
        elif not self.in_order:
            self.values.sort(key=self.key)
            self.in_order = True
            self._paths = None


_SCAN_REMOVALS = 16  # fewer removals than this from a collection without `by_path` scan for each
_path_of = attrgetter("path")

# An update of more notes than this loosens the sorted collections (see `_Sorted.loosen`):
# below it, changes in place cost less than one sort.
BULK_UPDATE = 2000


# Contact's fields from `name` to `tags`, in its order (typed so that mypy checks the order)
_Head = tuple[
    str, str, dict[str, Any], tuple[str, ...], str | None, int | None, date | None,
    date | None, str | None, Birthday | None, str | None, str | None, str | None,
    str | None, str | None, tuple[str, ...],
]  # fmt: skip


class _Own(NamedTuple):
    """What a contact takes from its own note alone: all but the names its links resolve to
    (introduced_by, knows) and the interactions other notes give it, which are known only
    once every note was taken."""

    path: str
    head: _Head
    introduced_by: list[str]  # link targets
    knows: list[str]
    interests: tuple[str, ...]
    archived: bool
    added: date | None
    # its own log's interactions, last line first (merged with the others: see _with_found)
    log: list[Interaction]
    moves: tuple[Move, ...]


class VaultBuilder:
    """Assembles records into a Vault, and re-assembles only what a change touches.

    `build()` assembles every record from scratch (as `start`, `take_all` of the records,
    then `finish`: a cold index calls those itself, taking a chunk of records at a time as
    its workers parse them).
    The watcher keeps one builder per index
    (with `track=True`): after a save, `update(changed)` re-resolves the links of the changed
    notes (and of notes whose links may now resolve differently, because a note with the same
    basename appeared or vanished) and rebuilds only the contacts those links or notes
    concern; the result equals a fresh `build()`.
    """

    def __init__(self, config: Config, records: Mapping[str, NoteRecord], *, track: bool = True):
        self.config = config
        self.records = records  # shared with the index, read only here
        # Tracking keeps the maps an incremental update needs (which note names which
        # basename, which persons a note's links reached); a one-shot CLI run skips them.
        self.track = track
        self.days = _Days()
        self._reset()

    def _reset(self) -> None:
        self.built = False
        self.resolver = Resolver(())
        # Only tracked builds keep resolved, names_of and by_name. A watcher keeps them for
        # every dated note (100k+), so they hold little: one string bare, more as a tuple
        # (see `_each`), no entry for none; and names_of leaves out the basenames of the
        # persons a note reached (most of its names): resolved gives those back.
        self.resolved: dict[str, str | tuple[str, ...]] = {}  # source -> persons reached
        self.names_of: dict[str, str | tuple[str, ...]] = {}  # source -> other names named
        # basename -> sources naming it, each once (a list: most names have few sources, and
        # a source leaves all its names before it names any again)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        # target -> `_reach`, for one build or update (while streaming, also notes not yet
        # known to be persons: see `start`)
        self.reach: dict[str, str | tuple[str, ...]] = {}
        self.link_problems: dict[str, list[Problem]] = {}
        self.contacts: _Sorted[Contact] = _Sorted(name_key)
        # path -> contact, kept as contacts are put and removed: each snapshot gets a copy
        # (a C-level copy; rebuilding it from 10k contacts cost the watcher ~4 ms a pass)
        self.by_path: dict[str, Contact] = {}
        # person -> the interactions other notes give them, during one build or update
        # only: between updates they are in the contacts (see _Found)
        self.found: _Found = _Found(self.by_path)
        self.problems: dict[str, list[Problem]] = {}
        self.goals: _Sorted[Goal] = _Sorted(_goal_key)
        self.dated: _Sorted[DatedNote] = _Sorted(_dated_key, by_path=False)
        self.blocks: set[str] = set()
        self.extra: list[Problem] = []
        self.persons: set[str] = set()  # usable persons' paths (see _person_paths)
        self._streaming = False  # see `start`
        # In a build from scratch, the last note whose links were recorded, while each came
        # after the one before in path order (as a cold index takes them): each person's
        # `found`, and the dated notes, are then in order of source. Else None.
        self._last_source: str | None = None
        # Each build keeps what a person's contact needs from its own note its own way, for
        # what matters to whoever runs it. A tracked build (the watcher, whose peak memory
        # has a target) keeps the persons taken, in order, and reads them again when their
        # contact is made: holding 10k decoded person records through the pass over every
        # note cost ~20 MB at its peak.
        self._people: list[str] = []
        # An untracked build (a one-shot run, whose time counts) keeps each person's _Own as
        # it came: finish reading 10k persons again took ~25% of its CPU at 110k notes.
        self._owns: list[_Own] = []
        self._live_persons = False
        self.names: dict[str, str] = {}  # person -> name, for introduced_by and knows
        self._shared: dict[Any, Any] = {}  # one copy of each tuple the maps and dated notes hold
        self._bases = _Basenames()  # one copy of each name the maps hold

    def build(self, extra_problems: Iterable[Problem] = ()) -> Vault:
        """The snapshot of every record, from scratch, reading each record once, persons
        excepted in a tracked build (see `_people`; a record store decodes on every read)."""
        records = self.records
        self.start(records)
        self.take_all(records.each() if isinstance(records, RecordStore) else records.items())
        return self.finish(extra_problems)

    def start(self, paths: Iterable[str], *, streaming: bool = False) -> None:
        """Begin a build from scratch over the notes at these paths (all of them, as the
        records will hold them), whose records `take_all` is then given (all at once, or a
        chunk at a time) and `finish` ends.

        `streaming`: records are taken as they are parsed, before the last has been (what
        the index does on a cold run, building while its workers parse). A note not yet
        taken may turn out to be a person, so a link to one is recorded whatever it
        reaches, and `finish` keeps what reached persons. (Such records of links to notes
        that are not persons are held until then: ~100 bytes each.)"""
        assert not (streaming and self.track)
        self._reset()
        self.resolver = Resolver(paths)
        self.persons = self._person_paths()
        self._streaming = streaming
        self._last_source = ""

    def take_all(self, records: Iterable[tuple[str, NoteRecord | tuple[Any, ...]]]) -> None:
        """Each (path, record): a plain note's record as its raw tuple (see
        RecordStore.each), any other as a NoteRecord. Plain notes, most of a vault, are read
        here, in one loop (a cold index takes a chunk at a time: with two calls or more per note,
        ~70 ms more of its main process's CPU at 110k notes), and their links recorded
        together (see `_link_notes`)."""
        blocks = self.blocks
        days = self.days
        shared = self._shared
        put_dated = self.dated.put
        take = self._take_record
        linked: list[tuple[str, date, list[Link]]] = []  # plain dated notes, not linked yet
        for path, r in records:
            if isinstance(r, NoteRecord):
                if linked:  # those before it first: every note in the order taken (see
                    self._link_notes(linked)  # `_last_source`, `by_name`)
                    linked = []
                take(path, r)
                continue
            if r[T_HAS_BLOCKS]:
                blocks.add(path)
            o = r[T_DATE]
            if o is not None:
                d = days[o]
                tags = r[T_TAGS]
                if tags:  # see _add_dated
                    put_dated(
                        dated_note(d, path, r[T_TITLE], shared.setdefault(tags, tags)), new=True
                    )
                linked.append((path, d, r[T_LINKS]))
                if len(linked) >= _LINKED_AT_ONCE:
                    self._link_notes(linked)
                    linked = []
        if linked:
            self._link_notes(linked)

    def _take_record(self, path: str, r: NoteRecord) -> None:
        """A note's record other than a plain note's."""
        self._add_notes((r,))
        if path in self.persons:
            self.names[path] = r.person["name"]  # type: ignore[index]
            if self.track:
                self._people.append(path)
                self._index_names(path, _names_known(r, self._bases))
            else:
                self._owns.append(self._own(r))
        elif r.date is not None:
            self._resolve_links((r,))

    def finish(self, extra_problems: Iterable[Problem] = ()) -> Vault:
        """The snapshot, once every record was taken: the contacts, then the rest."""
        self.extra = list(extra_problems)
        # What links reached is known now (see `start`): a path `reach` holds is a person's
        # or else reaches nobody (see `_resolve_name`).
        self._streaming = False
        # Each contact once every link is resolved; a tracked build reads one person's
        # record at a time (see `_people`). Loops, not a generator expression: compiled
        # (hatch_build.py), that would be a list of every person's at once.
        if self.track:
            for _, r in _read(self.records, self._people):
                self._put_contact(self._own(r))
        else:
            for own in self._owns:
                self._put_contact(own)
        self._people = []
        self._owns = []
        if self._last_source is not None:  # the dated notes too were put in path order
            self.dated.sort_stably(_date)
        self.built = True
        self._forget()
        v = self._snapshot()
        if not self.track:  # its first update builds afresh: nothing here serves it
            self._reset()  # (at 100k notes, ~13 MB a one-shot run would hold meanwhile)
        return v

    def _put_contact(self, own: _Own) -> None:
        c = self._complete(own)
        self.contacts.put(c)
        self.by_path[own.path] = c

    def _forget(self) -> None:
        """Drop what served one build or update: what it shared stays shared."""
        self.found = _Found(self.by_path)
        self._shared.clear()
        self._bases.clear()
        self.reach = {}
        self._last_source = None

    def _person_paths(self) -> set[str]:
        """The usable persons: the record store's own set (kept current by the index), or
        else one found by reading every record."""
        live = getattr(self.records, "persons", None)
        self._live_persons = isinstance(live, set)
        if isinstance(live, set):
            return live
        return {p for p, r in self.records.items() if r.kind == PERSON and r.person is not None}

    def update(self, changed: Iterable[str], extra_problems: Iterable[Problem] = ()) -> Vault:
        """The snapshot after these paths were added, changed or removed in the records."""
        if not (self.built and self.track):  # an incremental update needs the link maps
            self.track = True
            return self.build(extra_problems)
        changed = set(changed)
        self.extra = list(extra_problems)
        self.reach = {}
        records = self.records
        resolver = self.resolver
        if len(changed) > BULK_UPDATE:
            self.contacts.loosen()
            self.goals.loosen()
            self.dated.loosen()
        changed_records: dict[str, NoteRecord] = {}  # each read once (a store decodes)
        # Links elsewhere that name a changed note resolve differently only when it appeared
        # or vanished, or became or stopped being a person; a person's new name shows in the
        # contacts that know it. Only then are the notes naming it read again (a close friend
        # is named by hundreds of notes; an edit of their log concerns none of them).
        relink: set[str] = set()
        for p in changed:
            r = records.get(p)
            old_name = self.names.get(p)  # None unless it was a person
            if r is not None:
                changed_records[p] = r
                if p not in resolver:
                    resolver.add(p)
                    relink.add(p)
            elif p in resolver:
                resolver.remove(p)
                relink.add(p)
            person = r is not None and r.kind == PERSON and r.person is not None
            if not self._live_persons:
                if person:
                    self.persons.add(p)
                else:
                    self.persons.discard(p)
            if person:
                self.names[p] = r.person["name"]  # type: ignore[union-attr,index]
            else:
                self.names.pop(p, None)
            if self.names.get(p) != old_name:  # named anew, or became or stopped being a person
                relink.add(p)
        sources = set(changed)
        persons: set[str] = {p for p in changed if p in self.contacts}
        for name in {path_name(p) for p in relink}:  # what links to each named it
            sources.update(self.by_name.get(name, ()))
        dated: list[NoteRecord] = []
        # What the sources said before goes first, person by person and name by name: a
        # person linked from thousands of notes that all changed is filtered once, not once
        # per note (that was k x m for a folder renamed or a git checkout).
        gone_from: dict[str, set[str]] = defaultdict(set)  # person -> sources to drop
        unnamed: dict[str, set[str]] = defaultdict(set)  # basename -> sources to drop
        bases = self._bases
        for src in sources:
            reached = _each(self.resolved.pop(src, ()))
            for pp in reached:
                gone_from[pp].add(src)
            # the names it held (and maybe a reached person's basename it did not name: its
            # source is then in no list of that name, and leaving it changes nothing)
            for name in (*_each(self.names_of.pop(src, ())), *[bases[pp] for pp in reached]):
                unnamed[name].add(src)
        for pp, srcs in gone_from.items():
            self.found[pp] = [i for i in self.found[pp] if i.source not in srcs]
            persons.add(pp)
        for name, srcs in unnamed.items():
            held = self.by_name.get(name)
            if held is not None:
                kept = [s for s in held if s not in srcs]
                if kept:
                    self.by_name[name] = kept
                else:
                    del self.by_name[name]
        for src in sources:
            self.link_problems.pop(src, None)
            r = changed_records[src] if src in changed_records else records.get(src)
            if r is None:
                continue
            if src in self.persons:
                persons.add(src)
                self._index_names(src, _names_known(r, self._bases))
            elif r.date is not None:
                dated.append(r)
        persons.update(self._resolve_links(dated))
        for path in changed:
            self.problems.pop(path, None)
            self.goals.remove(path)
            self.blocks.discard(path)
        self.dated.remove_all(changed)
        self._add_notes(changed_records.values())
        others = dict(_read(records, [p for p in persons if self._is_person(p) and p not in changed_records]))  # fmt: skip
        for pp in persons:
            r = changed_records[pp] if pp in changed_records else others.get(pp)
            old = self.by_path.get(pp)
            if not self._is_person(pp) or (r is None and old is None):
                self.contacts.remove(pp)
                self.by_path.pop(pp, None)
                continue
            if r is not None:
                c = self._contact(r)
            else:
                # A lean store could not read it back (the note gone, its event not handled
                # yet, and the cache rewritten by another kith meanwhile): the contact as
                # indexed, with what other notes now give it. Its own event comes next.
                assert old is not None
                own = [i for i in old.interactions if i.source == pp]  # last line first
                c = replace(old, interactions=self._with_found(pp, own))
            self.contacts.put(c)
            self.by_path[pp] = c
        self._forget()
        return self._snapshot()

    def _is_person(self, path: str) -> bool:
        return path in self.persons

    def _add_notes(self, records: Iterable[NoteRecord]) -> None:
        """What notes add besides links and contacts: problems, blocks, goals, dated notes."""
        for r in records:
            path = r.path
            if r.problems:
                self.problems[path] = list(r.problems)
            if r.has_blocks:
                self.blocks.add(path)
            if r.kind == GOAL and r.fm is not None:
                g = _goal(r, self.config)
                if g is not None:
                    self.goals.put(g)
            elif r.date is not None and r.kind != PERSON and r.tags:
                self._add_dated(path, r.date, r.title, r.tags)

    def _add_dated(self, path: str, ordinal: int, title: str, tags: tuple[str, ...]) -> None:
        """A dated note that carries tags (kept for activity goals); one tuple per set of
        tags, however many notes carry it."""
        d = self.days[ordinal]
        # new: a build adds each path once, and an update removed the changed ones first
        self.dated.put(dated_note(d, path, title, self._shared.setdefault(tags, tags)), new=True)

    def _index_names(self, src: str, names: set[str], reached: list[str] | None = None) -> None:
        """Record the basenames (from `_bases`) src names; `reached`: the persons its links
        reached (see `resolved`), whose basenames names_of need not hold."""
        by_name = self.by_name
        for name in names:
            by_name[name].append(src)
        if reached:
            names = names.difference([self._bases[p] for p in reached])
        if len(names) > 1:
            held = tuple(names)
            self.names_of[src] = self._shared.setdefault(held, held)
        elif names:
            (self.names_of[src],) = names

    def _reach(self, target: str, source: str) -> str | tuple[str, ...]:
        """The person a link reaches, or else the candidates of an ambiguous link (none when
        it reaches no person; while streaming, also a note not yet taken: see `start`).
        Most targets are bare names, the same from every note, so each is resolved once
        per build or update (callers look in `self.reach` first)."""
        path, candidates = self.resolver.resolve(target, source)
        if path is None:
            hit: str | tuple[str, ...] = candidates
        elif self._is_person(path) or (self._streaming and path not in self.records):
            hit = path
        else:
            hit = ()
        if not depends_on_source(target):
            self.reach[target] = hit
        return hit

    def _resolve_links(self, notes: Iterable[NoteRecord]) -> set[str]:
        """Record the interactions dated notes' links make; the persons reached (tracked)."""
        days = self.days
        return self._link_notes([(r.path, days[r.date], r.links) for r in notes])  # type: ignore[index]

    def _link_notes(self, notes: Iterable[tuple[str, date, list[Link]]]) -> set[str]:
        """Record the interactions each (dated note, its date, its links) makes; in a tracked
        build, the persons they reach (else none). One call for many notes, not one a note:
        a cold index's take_all at 110k notes took 304 ms of CPU instead of 323 (median of
        5 runs each, alternated, of a one-off script timing take_all over the record cache's
        rows in chunks of 400, decoded by `readable` beforehand)."""
        last = self._last_source
        cached = self.reach
        found = self.found
        track = self.track
        persons: set[str] = set()
        for src, d, links in notes:
            if last is not None:
                last = src if src > last else None
            reached: list[str] = []
            made: Interaction | None = None
            # kind and direction need no sharing here: the parser interns them, and marshal
            # reads an interned string back as the one object
            for target, line, summary, kind, direction in links:
                hit = cached.get(target)
                if hit is None:
                    hit = self._reach(target, src)
                if isinstance(hit, str):
                    # One interaction per note per person, however many ways the note links them.
                    if hit != src and hit not in reached:
                        # "Lunch with [[A]] and [[B]]": both get the same (immutable) interaction.
                        if not (made is not None and made.line == line and made.summary == summary
                                and made.kind == kind and made.direction == direction):  # fmt: skip
                            made = _new(Interaction, (d, kind, direction, summary, src, line))
                        found[hit].append(made)
                        reached.append(hit)
                elif hit:
                    self.link_problems.setdefault(src, []).append(
                        Problem(
                            src,
                            line,
                            f"link [[{target}]] is ambiguous: {', '.join(hit)}",
                            "link with the folder, e.g. [[" + hit[0][:-3] + "]]",
                            WARNING,
                        )  # fmt: skip
                    )
            if track:
                self._index_links(src, links, reached)
                persons.update(reached)
        self._last_source = last
        return persons

    def _index_links(self, src: str, links: list[Link], reached: list[str]) -> None:
        """What a tracked build keeps of a dated note's links (see `resolved`, `names_of`)."""
        if len(reached) > 1:
            held = tuple(reached)
            self.resolved[src] = self._shared.setdefault(held, held)
        elif reached:
            self.resolved[src] = reached[0]
        bases = self._bases
        self._index_names(src, {bases[t[0]] for t in links}, reached)

    def _resolve_name(self, target: str, source: str) -> str:
        hit = self.reach.get(target)
        if hit is None:
            hit = self._reach(target, source)
        if isinstance(hit, str) and hit in self.persons:  # not one while streaming: see `start`
            return self.names[hit]
        return display_text(target)

    def _with_found(self, path: str, own: list[Interaction]) -> tuple[Interaction, ...]:
        """A person's own interactions (those of one date in the order of their lines, last
        first) and those other notes give them, newest first: `own`, or in a build from
        scratch the person's `found`, is extended and sorted in place."""
        found = self.found[path]
        if self._last_source is None:
            own += found
            own.sort(key=_interaction_order, reverse=True)
            return tuple(own)
        # found is in order of source (see `_last_source`): in the reverse of that order,
        # with own in the place of its source, a stable sort by date alone gives the same
        # order at a fifth of the cost of the two-field key (~27 ms less at 150k).
        after = len(found) - bisect_left(found, path, key=_source)
        found.reverse()
        if own:
            found[after:after] = own
        found.sort(key=_date, reverse=True)
        return tuple(found)

    def _contact(self, r: NoteRecord) -> Contact:
        return self._complete(self._own(r))

    def _own(self, r: NoteRecord) -> _Own:
        p = r.person
        assert p is not None
        path = r.path
        days = self.days
        head: _Head = (
            p["name"], path, r.fm or {}, tuple(p["aliases"]), p["ring"], p["cadence_days"],
            days[p["last_contact"]] if p["last_contact"] else None,
            days[p["follow_up"]] if p["follow_up"] else None,
            p["follow_up_note"], Birthday(*p["birthday"]) if p["birthday"] else None,
            p["company"], p["role"], p["email"], p["phone"], p["linkedin"], tuple(p["tags"]),
        )  # fmt: skip
        return _Own(
            path,
            head,
            p["introduced_by"],
            p["knows"],
            tuple(p["interests"]),
            p["archived"],
            days[p["created"]] if p["created"] else None,
            [
                _new(Interaction, (days[o], k, dr, s, path, ln))
                for o, k, dr, s, ln in sorted(r.log, key=_line, reverse=True)
            ],  # see _with_found
            tuple([_new(Move, (days[o], a, b, path, ln)) for o, a, b, ln in sorted(r.moves)]),
        )

    def _complete(self, own: _Own) -> Contact:
        """The contact, once every link is resolved and every note taken."""
        path = own.path
        resolve = self._resolve_name
        return Contact(
            *own.head,
            introduced_by=tuple([resolve(t, path) for t in own.introduced_by]),
            knows=tuple([resolve(t, path) for t in own.knows]),
            interests=own.interests,
            archived=own.archived,
            added=own.added,
            interactions=self._with_found(path, own.log),
            moves=own.moves,
        )

    def _snapshot(self) -> Vault:
        contacts = self.contacts.ordered()
        problems = [*self.config.problems, *self.extra]
        for plist in self.problems.values():
            problems.extend(plist)
        for plist in self.link_problems.values():
            problems.extend(plist)
        problems.sort(key=Problem.sort_key)
        return Vault(self.config, contacts, self.goals.ordered(), self.dated.ordered(),
                     tuple(problems), dict(self.by_path),
                     self.resolver.shared, tuple(sorted(self.blocks)))  # fmt: skip


def build_vault(
    config: Config, records: Iterable[NoteRecord], extra_problems: Iterable[Problem] = ()
) -> Vault:
    """The whole snapshot from scratch (a one-shot builder)."""
    by_path = {r.path: r for r in records}
    return VaultBuilder(config, by_path).build(extra_problems)


def patch_persons(vault: Vault, records: Iterable[NoteRecord], paths: Iterable[str]) -> Vault:
    """`vault` after these person notes were edited, each still a person under the same
    name (the caller checks that: `vault.by_path[r.path].name == r.person["name"]`), among
    the notes at `paths`; equal to a fresh build of the edited vault. Nothing else depends
    on such a note: links resolve by path, never to a name or an alias, so only its own
    contact, problems and blocks change. Its contact keeps the interactions other notes
    gave it; its own log, fields and links (introduced_by, knows) are read anew."""
    records = list(records)
    b = VaultBuilder(vault.config, {}, track=False)
    b.persons = set(vault.by_path)
    b.names = {p: c.name for p, c in vault.by_path.items()}
    if any(r.person and (r.person["introduced_by"] or r.person["knows"]) for r in records):
        b.resolver = Resolver(paths)
    by_path = dict(vault.by_path)
    changed = {r.path for r in records}
    contacts = list(vault.contacts)
    blocks = set(vault.block_notes)
    problems = [p for p in vault.problems if p.path not in changed]
    b.found = _Found(vault.by_path)
    for r in records:
        old = by_path[r.path]
        c = b._contact(r)
        contacts[next(i for i, x in enumerate(contacts) if x is old)] = c  # same name: same place
        by_path[r.path] = c
        problems.extend(r.problems)
        if r.has_blocks:
            blocks.add(r.path)
        else:
            blocks.discard(r.path)
    problems.sort(key=Problem.sort_key)
    return Vault(vault.config, tuple(contacts), vault.goals, vault.dated_notes, tuple(problems),
                 by_path, vault.shared_names, tuple(sorted(blocks)))  # fmt: skip


class _Found(dict[str, list[Interaction]]):
    """person -> the interactions other notes give them. A person not yet asked for has
    those their contact holds: every interaction it has but its own log's (10k lists at
    10k persons, ~2.3 MB, were kept between updates only to be read this way)."""

    def __init__(self, contacts: Mapping[str, Contact]) -> None:
        super().__init__()
        self.contacts = contacts

    def __missing__(self, person: str) -> list[Interaction]:
        c = self.contacts.get(person)
        got = self[person] = [i for i in c.interactions if i.source != person] if c else []
        return got


def _read(records: Mapping[str, NoteRecord], paths: list[str]) -> Iterator[tuple[str, NoteRecord]]:
    """(path, record) for these paths: a record store reads many in one pass (a lean one
    keeps persons' records in the cache file), a plain mapping one by one (a loop: a
    generator expression would be a list when compiled, see `finish`)."""
    if isinstance(records, RecordStore):
        yield from records.read(paths)
    else:
        for p in paths:
            yield p, records[p]


def _names_known(r: NoteRecord, bases: Mapping[str, str]) -> set[str]:
    """The basenames a person note names in `introduced_by` and `knows`."""
    p = r.person or {}
    return {bases[t] for t in (*p["introduced_by"], *p["knows"])}


def _goal(r: NoteRecord, config: Config) -> Goal | None:
    fm = r.fm or {}
    target = fm.get("target")
    if isinstance(target, bool) or not isinstance(target, int) or target <= 0:
        return None
    metric = str(fm.get("metric", "moves")).strip().casefold()
    if metric not in ("moves", "activity", "added"):
        return None

    def ring(key: str) -> str | None:
        v = fm.get(key)
        if isinstance(v, str) and v.strip().casefold() in config.rings:
            return v.strip().casefold()
        return None

    tag = fm.get("tag")
    tag_s = tag.strip().lstrip("#").casefold() if isinstance(tag, str) and tag.strip() else None
    per = fm.get("per")
    name = fm.get("name") or fm.get("title") or r.title or r.path.rsplit("/", 1)[-1][:-3]
    return Goal(
        name=display_text(str(name)),
        path=r.path,
        metric=metric,
        target=target,
        deadline=parse_date(fm.get("deadline")),
        start=parse_date(fm.get("start")) or parse_date(fm.get("created")),
        from_ring=ring("from"),
        to_ring=ring("to"),
        tag=tag_s if metric == "activity" else None,
        per="month"
        if isinstance(per, str) and per.strip().casefold() in ("month", "monthly")
        else None,
    )


__all__ = ["Vault", "build_vault", "link_target", "patch_persons"]
