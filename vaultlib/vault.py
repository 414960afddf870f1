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
from .links import Resolver
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


def build_vault(
    config: Config, records: Iterable[NoteRecord], extra_problems: Iterable[Problem] = ()
) -> Vault:
    recs = sorted(records, key=lambda r: r.path)
    resolver = Resolver(r.path for r in recs)
    problems: list[Problem] = list(config.problems) + list(extra_problems)
    people: dict[str, NoteRecord] = {}
    for r in recs:
        problems.extend(r.problems)
        if r.kind == PERSON and r.person is not None:
            people[r.path] = r

    found: dict[str, list[Interaction]] = defaultdict(list)
    dated: list[DatedNote] = []
    ambiguous_seen: set[tuple[str, str]] = set()
    for r in recs:
        if r.date is None or r.kind == PERSON:
            continue
        d = date.fromordinal(r.date)
        if r.tags:
            dated.append(DatedNote(d, r.path, r.title, r.tags))
        for target, line, summary, kind, direction in r.links:
            path, candidates = resolver.resolve(target, r.path)
            if path is None:
                if candidates and (r.path, target) not in ambiguous_seen:
                    ambiguous_seen.add((r.path, target))
                    problems.append(Problem(r.path, line, f"link [[{target}]] is ambiguous: {', '.join(candidates)}",
                                            "link with the folder, e.g. [[" + candidates[0][:-3] + "]]", WARNING))  # fmt: skip
                continue
            if path in people and path != r.path:
                found[path].append(Interaction(d, kind, direction, summary, r.path, line))

    def resolve_name(target: str, source: str) -> str:
        path, _ = resolver.resolve(target, source)
        if path is not None and path in people:
            return people[path].person["name"]  # type: ignore[index]
        return display_text(target)

    contacts: list[Contact] = []
    for path, r in people.items():
        p = r.person
        assert p is not None
        inter = [Interaction(date.fromordinal(o), k, dr, s, path, ln) for o, k, dr, s, ln in r.log]
        inter.extend(found.get(path, ()))
        inter.sort(key=lambda i: (i.date, i.source, i.line), reverse=True)
        moves = tuple(Move(date.fromordinal(o), a, b, path, ln) for o, a, b, ln in sorted(r.moves))
        bday = Birthday(*p["birthday"]) if p["birthday"] else None
        contacts.append(
            Contact(
                name=p["name"],
                path=path,
                fields=r.fm or {},
                aliases=tuple(p["aliases"]),
                ring=p["ring"],
                cadence_days=p["cadence_days"],
                manual_last_contact=_d(p["last_contact"]),
                follow_up=_d(p["follow_up"]),
                follow_up_note=p["follow_up_note"],
                birthday=bday,
                company=p["company"],
                role=p["role"],
                email=p["email"],
                phone=p["phone"],
                linkedin=p["linkedin"],
                tags=tuple(p["tags"]),
                introduced_by=tuple(resolve_name(t, path) for t in p["introduced_by"]),
                knows=tuple(resolve_name(t, path) for t in p["knows"]),
                interests=tuple(p["interests"]),
                archived=p["archived"],
                added=_d(p["created"]),
                interactions=tuple(inter),
                moves=moves,
            )
        )
    contacts.sort(key=name_key)
    goals = [
        g
        for r in recs
        if r.kind == GOAL and r.fm is not None and (g := _goal(r, config)) is not None
    ]
    goals.sort(key=lambda g: (g.deadline or date.max, g.name.casefold(), g.path))
    dated.sort(key=lambda n: (n.date, n.path))
    problems.sort(key=Problem.sort_key)
    shared = frozenset(n for n, paths in resolver.by_name.items() if len(paths) > 1)
    blocks = tuple(r.path for r in recs if r.has_blocks)
    return Vault(config, tuple(contacts), tuple(goals), tuple(dated), tuple(problems),
                 {c.path: c for c in contacts}, shared, blocks)  # fmt: skip


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
