"""The vault snapshot in marshalled chunks, so a run where nothing changed can skip the records.

This module owns encoding a `Vault` (contacts with their interactions and moves,
goals, dated notes, the problems found in notes and links, shared names, notes with
generated blocks) into values marshal stores, and decoding them back into an equal
`Vault`. It is built for speed at 100k notes, both ways, where time goes less to
Python than to reaching objects scattered over a large heap. So contacts (with their
logs) and dated notes are taken a few dozen at a time, and each chunk is converted and
marshalled while its objects are still in the CPU's cache. Every step is done in C
(map, zip, join, split, array): a field is one column, the interactions (or moves) of
a chunk's contacts are rows of shared columns cut back per contact by counts, dates
and line numbers travel packed into bytes (dates as ordinals, decoded to one object
per day), free text (names, summaries, titles) as one joined string, and the rest as
it is (marshal writes a repeat within a chunk as a reference). Decoding makes one
string per path again, however many chunks name it. What depends on the current run
rather than on the notes (the config, its problems, the problems seen while
scanning) is not stored: `decode` takes them. It is pure: `cache` reads and writes
the bytes and `index` decides when a stored snapshot is still valid.
"""

from __future__ import annotations

import marshal
import sys
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import date
from itertools import accumulate, chain, repeat
from operator import attrgetter
from typing import Any

from .config import Config
from .model import Birthday, Contact, DatedNote, Goal, Interaction, Move, Problem, slot_setters
from .vault import Vault

# Bumped with any change to the layout below (the code stamp also covers it).
LAYOUT = 3

_MARSHAL_VERSION = 4  # pinned, as for records (references need version 3 or later)
_CONTACTS_PER_CHUNK = 32  # ~20 interactions each: what a chunk touches stays in cache
_NOTES_PER_CHUNK = 256
_SEP = "\0"  # joins a text column; a column holding it is stored as a tuple instead
_UINT = "I" if array("I").itemsize == 4 else "L"  # packed: 4 bytes, little-endian
_SWAP = sys.byteorder == "big"

# How a field travels: 'x' joined text, 'd' dates as ordinals, 'n' counts or line numbers
# packed, 'b' birthdays, 'i' / 'm' interactions / moves as columns, 'v' as it is, 'V' as it
# is and shared on decoding (paths: a meeting note is named in many chunks; sharing
# costs ~0.08 s at 100k notes and saves ~15 MB).
_HOW = {
    "name": "x", "path": "V", "manual_last_contact": "d", "follow_up": "d", "added": "d",
    "birthday": "b", "interactions": "i", "moves": "m",
}  # fmt: skip
_CONTACT = "".join(_HOW.get(f.name, "v") for f in fields(Contact))  # in the model's order
_contact_row = attrgetter(*(f.name for f in fields(Contact)))
# The fields `_contact_chunk` converts: most ('v', 'V') are stored as they are.
_CONTACT_CONVERTED = [(i, how) for i, how in enumerate(_CONTACT) if how not in "vV"]
_INTERACTION = "dvvxVn"  # date, kind, direction, summary, source, line
_MOVE = "dvvVn"  # date, from_ring, to_ring, source, line
_NOTE = "dVxv"  # date, path, title, tags
_note_fields = [attrgetter(name) for name in ("date", "path", "title", "tags")]


def _problem(p: Problem) -> tuple[Any, ...]:
    return (p.path, p.line, p.message, p.hint, p.severity)


def _text(col: Sequence[Any]) -> tuple[int, Any]:
    """Strings as (count, one joined string): marshal writes and reads one object, and
    `split` rebuilds them in C. A column holding the separator (or anything but strings)
    is kept as a tuple."""
    try:
        joined = _SEP.join(col)
    except TypeError:
        return len(col), tuple(col)
    if col and joined.count(_SEP) != len(col) - 1:
        return len(col), tuple(col)
    return len(col), joined


def _untext(data: tuple[int, Any], n: int) -> list[Any]:
    """The `n` strings `_text` stored."""
    size, x = data
    items = (x.split(_SEP) if size else []) if isinstance(x, str) else list(x)
    if len(items) != size or size != n:
        raise ValueError("text column of the wrong length")
    return items


def _pack(ints: Iterable[int]) -> bytes | list[Any]:
    """Small non-negative ints as 4 bytes each (marshal copies bytes at once, where it
    writes an int at a time and looks each shared one up), or a list when one is not."""
    ints = ints if isinstance(ints, (list, tuple)) else list(ints)
    try:
        a = array(_UINT, ints)
    except (OverflowError, TypeError):
        return list(ints)
    if _SWAP:
        a.byteswap()
    return a.tobytes()


def _unpack(data: bytes | list[Any]) -> Sequence[Any]:
    if not isinstance(data, bytes):
        return data
    a = array(_UINT)
    a.frombytes(data)  # ValueError unless whole
    if _SWAP:
        a.byteswap()
    return a


def _ordinals(col: Sequence[date | None]) -> bytes | list[Any]:
    try:
        return _pack(map(date.toordinal, col))  # type: ignore[arg-type]  # in C, when none is None
    except TypeError:
        return [d.toordinal() if d is not None else None for d in col]


def _columns(cols: list[Any], how: str) -> list[Any]:
    """`cols` (one per field) encoded in place as `how` says."""
    for i, h in enumerate(how):
        if h == "x":
            cols[i] = _text(cols[i])
        elif h == "d":
            cols[i] = _ordinals(cols[i])
        elif h == "n":
            cols[i] = _pack(cols[i])
    return cols


def _log(per: Sequence[tuple[tuple[Any, ...], ...]], how: str) -> tuple[Any, ...]:
    """Named tuples, one tuple of them per owner, as (counts, one column per field): all
    owners' rows in one transposition."""
    rows = list(chain.from_iterable(per))
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(how)
    return (_pack(map(len, per)), *_columns(cols, how))


def _dumps(chunk: tuple[Any, ...]) -> bytes:
    """A chunk marshalled now, while what it names is in cache. One holding a value marshal
    cannot store is returned as it is, so that storing the snapshot fails where it always
    has (`cache.write_cache_file` raises ValueError, which `index` expects)."""
    try:
        return marshal.dumps(chunk, _MARSHAL_VERSION)
    except ValueError:
        return chunk  # type: ignore[return-value]


def _contact_chunk(contacts: Sequence[Contact]) -> bytes:
    cols: list[Any] = list(zip(*map(_contact_row, contacts), strict=True))
    for i, how in _CONTACT_CONVERTED:
        col = cols[i]
        if how == "b":
            cols[i] = [(j, b.month, b.day, b.year) for j, b in enumerate(col) if b is not None]
        elif how == "i":
            cols[i] = _log(col, _INTERACTION)
        elif how == "m":
            cols[i] = _log(col, _MOVE)
        else:
            cols[i] = _columns([col], how)[0]
    return _dumps((len(contacts), cols))


def _note_chunk(notes: Sequence[DatedNote]) -> bytes:
    # A column at a time: with four fields, cheaper than rows transposed by zip.
    return _dumps((len(notes), _columns([tuple(map(f, notes)) for f in _note_fields], _NOTE)))


def _chunks(items: Sequence[Any], size: int, encode: Callable[[Any], bytes]) -> list[bytes]:
    return [encode(items[i : i + size]) for i in range(0, len(items), size)]


def encode(vault: Vault, run_problems: Iterable[Problem]) -> tuple[Any, ...]:
    """The snapshot minus `run_problems` (the config's and the scan's, which the next run
    finds again by itself)."""
    drop = Counter(map(_problem, [*vault.config.problems, *run_problems]))
    problems = []
    for t in map(_problem, vault.problems):
        if drop[t] > 0:
            drop[t] -= 1
        else:
            problems.append(t)
    goals = [
        (g.name, g.path, g.metric, g.target, _ordinals([g.deadline, g.start]), g.from_ring,
         g.to_ring, g.tag, g.per)
        for g in vault.goals
    ]  # fmt: skip
    return (
        LAYOUT,
        _chunks(vault.contacts, _CONTACTS_PER_CHUNK, _contact_chunk),
        _chunks(vault.dated_notes, _NOTES_PER_CHUNK, _note_chunk),
        goals,
        problems,  # at [4], where `index` counts them
        sorted(vault.shared_names),
        list(vault.block_notes),
    )


class _Days(dict[int | None, date | None]):
    """ordinal -> date, one object per day (None -> None), looked up in C."""

    def __missing__(self, ordinal: int | None) -> date | None:
        d = self[ordinal] = date.fromordinal(ordinal)  # type: ignore[arg-type]
        return d


def _builder(cls: type) -> Callable[..., list[Any]]:
    """Instances of a dataclass from one column per field, in field order: a frozen,
    slotted one by setting each field a column at a time, in C (see `model.slot_setters`),
    any other by calling it."""
    setters = slot_setters(cls)
    if setters is None:
        return lambda n, *cols: list(map(cls, *cols))
    new = object.__new__

    def build(n: int, *cols: Iterable[Any]) -> list[Any]:
        objs: list[Any] = list(map(new, repeat(cls, n)))
        for put, col in zip(setters, cols, strict=True):
            deque(map(put, objs, col), 0)
        return objs

    return build


_contacts = _builder(Contact)
_dated = _builder(DatedNote)
_birthdays = _builder(Birthday)


def decode(data: Any, config: Config, run_problems: Iterable[Problem]) -> Vault | None:
    """The Vault `encode` was given (with this run's problems merged back in), or None when
    the data is not a snapshot this kith wrote."""
    try:
        return _decode(data, config, run_problems)
    except (TypeError, ValueError, IndexError, KeyError, OverflowError, EOFError):
        return None


def _sized(col: Any, n: int) -> Any:
    if len(col) != n:
        raise ValueError("column of the wrong length")
    return col


class _Decoder:
    """Columns back from what `encode` made, with one date object per day."""

    def __init__(self) -> None:
        self.day = _Days({None: None}).__getitem__
        shared: dict[str, str] = {}
        self.share = shared.setdefault

    def columns(self, cols: list[Any], how: str, n: int) -> list[Any]:
        """`cols` (one per field, `n` rows) decoded in place as `how` says."""
        for i, h in enumerate(how):
            col = cols[i]
            if h == "x":
                cols[i] = _untext(col, n)
            elif h == "V":
                cols[i] = map(self.share, _sized(col, n), col)
            elif h == "d":
                cols[i] = map(self.day, _sized(_unpack(col), n))
            else:
                cols[i] = _sized(_unpack(col) if h == "n" else col, n)
        return cols

    def log(self, kind: type, n: int, data: tuple[Any, ...], how: str) -> list[Any]:
        """The named tuples `_log` stored (built in C: map, zip, tuple.__new__), one tuple
        of them per owner."""
        counts, *cols = data
        ends = list(accumulate(_sized(_unpack(counts), n)))
        total = ends[-1] if ends else 0
        cols = self.columns(cols, how, total)
        rows: tuple[Any, ...] = tuple(map(tuple.__new__, repeat(kind), zip(*cols, strict=True)))
        return list(map(rows.__getitem__, map(slice, [0, *ends[:-1]], ends)))

    def contacts(self, chunk: bytes) -> list[Contact]:
        n, stored = marshal.loads(chunk)
        cols = list(stored)
        for i, (how, col) in enumerate(zip(_CONTACT, stored, strict=True)):
            if how == "b":
                bdays: list[Any] = [None] * n
                if col:
                    at, *bcols = zip(*col, strict=True)
                    deque(map(bdays.__setitem__, at, _birthdays(len(at), *bcols)), 0)
                cols[i] = bdays
            elif how == "i":
                cols[i] = self.log(Interaction, n, col, _INTERACTION)
            elif how == "m":
                cols[i] = self.log(Move, n, col, _MOVE)
            else:
                cols[i] = self.columns([col], how, n)[0]
        return _contacts(n, *cols)

    def notes(self, chunk: bytes) -> list[DatedNote]:
        n, cols = marshal.loads(chunk)
        return _dated(n, *self.columns(list(cols), _NOTE, n))


def _decode(data: Any, config: Config, run_problems: Iterable[Problem]) -> Vault | None:
    if not isinstance(data, tuple) or not data or data[0] != LAYOUT:
        return None
    _, contact_chunks, note_chunks, goals_t, problems_t, shared, blocks = data
    dec = _Decoder()
    contacts = list(chain.from_iterable(map(dec.contacts, contact_chunks)))
    dated = tuple(chain.from_iterable(map(dec.notes, note_chunks)))
    goals = tuple(
        Goal(g[0], g[1], g[2], g[3], dec.day(d[0]), dec.day(d[1]), g[5], g[6], g[7], g[8])
        for g in goals_t
        for d in [_sized(_unpack(g[4]), 2)]
    )
    # The same order `VaultBuilder` produces: config, scan, then note problems, sorted stably.
    problems = [*config.problems, *run_problems, *(Problem(*p) for p in problems_t)]
    problems.sort(key=Problem.sort_key)
    return Vault(config, tuple(contacts), goals, dated, tuple(problems),
                 dict(zip(map(attrgetter("path"), contacts), contacts)), frozenset(shared),
                 tuple(blocks))  # fmt: skip
