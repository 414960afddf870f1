"""The vault snapshot as plain tuples, so a run where nothing changed can skip the records.

This module owns encoding a `Vault` (contacts with their interactions and moves,
goals, dated notes, the problems found in notes and links, shared names, notes with
generated blocks) into marshal-friendly tuples, and decoding them back into an
equal `Vault`. Dates travel as ordinals, a contact's interactions and moves as one
tuple per field (rebuilt in C), and every note path as one shared string. What depends on the current run rather
than on the notes (the config, its problems, the problems seen while scanning) is
not stored: `decode` takes them. It is pure: `cache` reads and writes the bytes and
`index` decides when a stored snapshot is still valid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from itertools import repeat
from typing import Any

from .config import Config
from .model import Birthday, Contact, DatedNote, Goal, Interaction, Move, Problem
from .vault import Vault

# Bumped with any change to the tuple layout below (the code stamp also covers it).
LAYOUT = 2


def _o(d: date | None) -> int | None:
    return d.toordinal() if d is not None else None


def _problem(p: Problem) -> tuple[Any, ...]:
    return (p.path, p.line, p.message, p.hint, p.severity)


def _columns(rows: tuple[tuple[Any, ...], ...], width: int) -> tuple[tuple[Any, ...], ...]:
    """Named tuples as one tuple per field (dates as ordinals): marshal stores a column of
    small ints or recurring strings compactly, and decoding zips them back in C."""
    if not rows:
        return ()
    cols = tuple(zip(*rows, strict=True))
    return (tuple([d.toordinal() for d in cols[0]]), *cols[1:width])


def encode(vault: Vault, run_problems: Iterable[Problem]) -> tuple[Any, ...]:
    """The snapshot minus `run_problems` (the config's and the scan's, which the next run
    finds again by itself)."""
    drop = Counter(map(_problem, [*vault.config.problems, *run_problems]))
    # One string object per note path: marshal writes each repeat as a short reference
    # (an interaction's source is mostly its contact's own note), and decoding shares it.
    paths: dict[str, str] = {}
    share = paths.setdefault

    def interactions(c: Contact) -> tuple[Any, ...]:
        cols = _columns(c.interactions, 6)
        if cols:
            cols = (*cols[:4], tuple([share(p, p) for p in cols[4]]), cols[5])
        return cols

    contacts = [
        (
            c.name, share(c.path, c.path), c.fields, c.aliases, c.ring, c.cadence_days,
            _o(c.manual_last_contact), _o(c.follow_up), c.follow_up_note,
            (c.birthday.month, c.birthday.day, c.birthday.year) if c.birthday else None,
            c.company, c.role, c.email, c.phone, c.linkedin, c.tags, c.introduced_by, c.knows,
            c.interests, c.archived, _o(c.added), interactions(c), _columns(c.moves, 5),
        )
        for c in vault.contacts
    ]  # fmt: skip
    goals = [
        (g.name, g.path, g.metric, g.target, _o(g.deadline), _o(g.start), g.from_ring,
         g.to_ring, g.tag, g.per)
        for g in vault.goals
    ]  # fmt: skip
    dated = [(n.date.toordinal(), n.path, n.title, tuple(n.tags)) for n in vault.dated_notes]
    problems = []
    for t in map(_problem, vault.problems):
        if drop[t] > 0:
            drop[t] -= 1
        else:
            problems.append(t)
    return (LAYOUT, contacts, goals, dated, problems, sorted(vault.shared_names),
            list(vault.block_notes))  # fmt: skip


class _Days(dict[int, date]):
    def __missing__(self, ordinal: int) -> date:
        d = self[ordinal] = date.fromordinal(ordinal)
        return d


def decode(data: Any, config: Config, run_problems: Iterable[Problem]) -> Vault | None:
    """The Vault `encode` was given (with this run's problems merged back in), or None when
    the data is not a snapshot this kith wrote."""
    try:
        return _decode(data, config, run_problems)
    except (TypeError, ValueError, IndexError, KeyError, OverflowError):
        return None


def _decode(data: Any, config: Config, run_problems: Iterable[Problem]) -> Vault | None:
    layout, contacts_t, goals_t, dated_t, problems_t, shared, blocks = data
    if layout != LAYOUT:
        return None
    days = _Days()  # one date object per day, looked up in C

    def day(o: int | None) -> date | None:
        return None if o is None else days[o]

    new = tuple.__new__  # what a named tuple's constructor does, without the call overhead
    get_day = days.__getitem__

    def rows(kind: type, cols: tuple[Any, ...]) -> tuple[Any, ...]:
        """Named tuples back from `_columns`, built in C (map, zip, tuple.__new__)."""
        if not cols:
            return ()
        return tuple(map(new, repeat(kind), zip(map(get_day, cols[0]), *cols[1:], strict=True)))

    contacts = []
    for t in contacts_t:
        bday = t[9]
        contacts.append(
            Contact(
                t[0], t[1], t[2], tuple(t[3]), t[4], t[5], day(t[6]), day(t[7]), t[8],
                Birthday(*bday) if bday else None,
                t[10], t[11], t[12], t[13], t[14], tuple(t[15]), tuple(t[16]), tuple(t[17]),
                tuple(t[18]), t[19], day(t[20]), rows(Interaction, t[21]), rows(Move, t[22]),
            )
        )  # fmt: skip
    goals = tuple(
        Goal(g[0], g[1], g[2], g[3], day(g[4]), day(g[5]), g[6], g[7], g[8], g[9]) for g in goals_t
    )
    dated = tuple(DatedNote(days[n[0]], n[1], n[2], tuple(n[3])) for n in dated_t)
    # The same order `VaultBuilder` produces: config, scan, then note problems, sorted stably.
    problems = [*config.problems, *run_problems, *(Problem(*p) for p in problems_t)]
    problems.sort(key=Problem.sort_key)
    return Vault(config, tuple(contacts), goals, dated, tuple(problems),
                 {c.path: c for c in contacts}, frozenset(shared), tuple(blocks))  # fmt: skip
