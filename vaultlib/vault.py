"""The vault snapshot: every contact with its interactions and moves, goals, and problems.

This module owns assembling parsed note records into one immutable picture of
the vault: resolving links from dated notes to people, merging log lines and
linking notes into each person's interactions, and collecting every problem.
It is a pure function of the records and the config: it never reads files
and never looks at the clock (what is "overdue" is a question for `query`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .config import Config
from .dates import parse_date
from .links import Resolver, fold_path
from .model import WARNING, Birthday, Contact, DatedNote, Goal, Interaction, Move, Problem
from .parse import GOAL, PERSON, NoteRecord, display_text, link_target


@dataclass(frozen=True)
class Vault:
    config: Config
    contacts: tuple[Contact, ...]  # every person, archived included, sorted by name
    goals: tuple[Goal, ...] = ()
    dated_notes: tuple[DatedNote, ...] = ()  # dated notes that carry tags
    problems: tuple[Problem, ...] = ()
    by_path: Mapping[str, Contact] = field(default_factory=dict)
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


def _basename(path: str) -> str:
    stem = path[:-3] if path.endswith(".md") else path
    return fold_path(stem.rsplit("/", 1)[-1])  # the resolver's key for this name


class VaultBuilder:
    """Assembles records into a Vault, and re-assembles only what a change touches.

    The watcher keeps one builder per index: after a save, `update(changed)` re-resolves
    the links of the changed notes (and of notes whose links may now resolve differently,
    because a note with the same basename appeared or vanished) and rebuilds only the
    contacts those links or notes concern. `build()` is the same work for every note.
    """

    def __init__(self, config: Config, records: Mapping[str, NoteRecord], *, track: bool = True):
        self.config = config
        self.records = records  # shared with the index, read only here
        # Tracking keeps the maps an incremental update needs (which note names which
        # basename); a one-shot CLI run skips them.
        self.track = track
        self.resolver = Resolver(())
        self.known: set[str] = set()
        self.found: dict[str, dict[str, list[Interaction]]] = defaultdict(
            dict
        )  # person -> source -> found
        self.resolved: dict[str, list[str]] = {}  # source -> persons its links reached
        self.names_of: dict[str, set[str]] = {}  # source -> basenames its links name
        self.by_name: dict[str, set[str]] = defaultdict(
            set
        )  # basename -> sources/persons naming it
        self.link_problems: dict[str, list[Problem]] = {}
        self.contacts: dict[str, Contact] = {}
        self.problems: dict[str, list[Problem]] = {}
        self.goals: dict[str, Goal] = {}
        self.dated: dict[str, DatedNote] = {}
        self.blocks: set[str] = set()
        self.extra: list[Problem] = []

    def build(self, extra_problems: Iterable[Problem] = ()) -> Vault:
        self.__init__(self.config, self.records, track=self.track)  # type: ignore[misc]
        return self.update(set(self.records), extra_problems)

    def _is_person(self, path: str) -> bool:
        r = self.records.get(path)
        return r is not None and r.kind == PERSON and r.person is not None

    def update(self, changed: Iterable[str], extra_problems: Iterable[Problem] = ()) -> Vault:
        if not self.track and self.known:  # an incremental update needs the link maps
            self.track = True
            return self.build(extra_problems)
        first = not self.known
        changed = set(changed)
        self.extra = list(extra_problems)
        records = self.records
        added = {p for p in changed if p in records and p not in self.known}
        removed = {p for p in changed if p not in records and p in self.known}
        if added or removed:
            self.known |= added
            self.known -= removed
            self.resolver = Resolver(sorted(self.known))
        sources = set(changed)
        persons: set[str] = {p for p in changed if p in self.contacts}
        if not first:
            for name in {_basename(p) for p in changed}:
                for src in self.by_name.get(name, ()):
                    sources.add(src)
        for src in sources:
            if not first:
                for pp in self.resolved.pop(src, ()):
                    self.found[pp].pop(src, None)
                    persons.add(pp)
                for name in self.names_of.pop(src, ()):
                    self.by_name[name].discard(src)
                self.link_problems.pop(src, None)
            r = records.get(src)
            if r is None:
                continue
            if r.kind == PERSON and r.person is not None:
                persons.add(src)
                if self.track:
                    names = {_basename(t) for t in (*r.person["introduced_by"], *r.person["knows"])}
                    self._index_names(src, names)
                continue
            if r.date is None:
                continue
            self._resolve_links(r)
            persons.update(self.resolved[src])
        for path in changed:
            r = records.get(path)
            self.problems.pop(path, None)
            self.goals.pop(path, None)
            self.dated.pop(path, None)
            self.blocks.discard(path)
            if r is None:
                continue
            if r.problems:
                self.problems[path] = list(r.problems)
            if r.has_blocks:
                self.blocks.add(path)
            if r.kind == GOAL and r.fm is not None:
                g = _goal(r, self.config)
                if g is not None:
                    self.goals[path] = g
            elif r.date is not None and r.kind != PERSON and r.tags:
                self.dated[path] = DatedNote(date.fromordinal(r.date), r.path, r.title, r.tags)
        for pp in persons:
            if self._is_person(pp):
                self.contacts[pp] = self._contact(records[pp])
            else:
                self.contacts.pop(pp, None)
        return self._snapshot()

    def _index_names(self, src: str, names: set[str]) -> None:
        self.names_of[src] = names
        for name in names:
            self.by_name[name].add(src)

    def _resolve_links(self, r: NoteRecord) -> None:
        d = date.fromordinal(r.date)  # type: ignore[arg-type]
        reached: list[str] = []
        src = r.path
        resolve = self.resolver.resolve
        records = self.records
        found = self.found
        for target, line, summary, kind, direction in r.links:
            path, candidates = resolve(target, src)
            if path is None:
                if candidates:
                    self.link_problems.setdefault(src, []).append(
                        Problem(
                            src,
                            line,
                            f"link [[{target}]] is ambiguous: {', '.join(candidates)}",
                            "link with the folder, e.g. [[" + candidates[0][:-3] + "]]",
                            WARNING,
                        )  # fmt: skip
                    )
                continue
            # One interaction per note per person, however many ways the note links them.
            if path != src and path not in reached:
                target_rec = records.get(path)
                if (
                    target_rec is not None
                    and target_rec.kind == PERSON
                    and target_rec.person is not None
                ):
                    found[path][src] = [Interaction(d, kind, direction, summary, src, line)]
                    reached.append(path)
        self.resolved[src] = reached
        if self.track:
            self._index_names(src, {_basename(t[0]) for t in r.links})

    def _resolve_name(self, target: str, source: str) -> str:
        path, _ = self.resolver.resolve(target, source)
        if path is not None and self._is_person(path):
            return self.records[path].person["name"]  # type: ignore[index]
        return display_text(target)

    def _contact(self, r: NoteRecord) -> Contact:
        p = r.person
        assert p is not None
        path = r.path
        inter = [Interaction(date.fromordinal(o), k, dr, s, path, ln) for o, k, dr, s, ln in r.log]
        for found in self.found.get(path, {}).values():
            inter.extend(found)
        inter.sort(key=lambda i: (i.date, i.source, i.line), reverse=True)
        moves = tuple(Move(date.fromordinal(o), a, b, path, ln) for o, a, b, ln in sorted(r.moves))
        return Contact(
            name=p["name"],
            path=path,
            fields=r.fm or {},
            aliases=tuple(p["aliases"]),
            ring=p["ring"],
            cadence_days=p["cadence_days"],
            manual_last_contact=_d(p["last_contact"]),
            follow_up=_d(p["follow_up"]),
            follow_up_note=p["follow_up_note"],
            birthday=Birthday(*p["birthday"]) if p["birthday"] else None,
            company=p["company"],
            role=p["role"],
            email=p["email"],
            phone=p["phone"],
            linkedin=p["linkedin"],
            tags=tuple(p["tags"]),
            introduced_by=tuple(self._resolve_name(t, path) for t in p["introduced_by"]),
            knows=tuple(self._resolve_name(t, path) for t in p["knows"]),
            interests=tuple(p["interests"]),
            archived=p["archived"],
            added=_d(p["created"]),
            interactions=tuple(inter),
            moves=moves,
        )

    def _snapshot(self) -> Vault:
        contacts = sorted(self.contacts.values(), key=name_key)
        problems = list(self.config.problems) + self.extra
        for plist in self.problems.values():
            problems.extend(plist)
        for plist in self.link_problems.values():
            problems.extend(plist)
        problems.sort(key=Problem.sort_key)
        goals = sorted(
            self.goals.values(), key=lambda g: (g.deadline or date.max, g.name.casefold(), g.path)
        )
        dated = sorted(self.dated.values(), key=lambda n: (n.date, n.path))
        shared = frozenset(n for n, paths in self.resolver.by_name.items() if len(paths) > 1)
        return Vault(self.config, tuple(contacts), tuple(goals), tuple(dated), tuple(problems),
                     {c.path: c for c in contacts}, shared, tuple(sorted(self.blocks)))  # fmt: skip


def build_vault(
    config: Config, records: Iterable[NoteRecord], extra_problems: Iterable[Problem] = ()
) -> Vault:
    """The whole snapshot from scratch (a one-shot builder)."""
    by_path = {r.path: r for r in records}
    return VaultBuilder(config, by_path).build(extra_problems)


def _d(ordinal: int | None) -> date | None:
    return date.fromordinal(ordinal) if ordinal else None


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


__all__ = ["Vault", "build_vault", "link_target"]
