"""Every note's parsed record, kept encoded in memory and decoded when asked for.

This module owns the record type (`NoteRecord`: what the index keeps of one note, which
`parse` makes) and how the index holds its records between runs and between the
watcher's passes: one marshal blob per note (what the cache file stores, so loading
and saving never re-encode), plus the set of notes that are usable persons, which
link resolution asks about for every link and must not decode to answer. A record
is decoded each time it is read, and nothing decoded is kept: at 100k notes the
blobs take ~30 MB where the decoded records took ~200 MB. For the same reason it
owns `KeyStore`, the watcher's stat keys packed 24 bytes to a note. It never reads
files and never parses a note (see `parse`).
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .model import ERROR, Problem
from .scan import StatKey

MAX_NOTE_BYTES = 5 * 1024 * 1024

PERSON, GOAL, NOTE = "person", "goal", "note"


@dataclass(slots=True)
class NoteRecord:
    """What the index keeps of one note. Dates are ordinals so the cache stays plain."""

    path: str
    kind: str = NOTE
    date: int | None = None
    title: str = ""
    tags: tuple[str, ...] = ()
    fm: dict[str, Any] | None = None  # person and goal notes only
    person: dict[str, Any] | None = None  # normalised person fields
    log: list[tuple[int, str, str | None, str, int]] = field(default_factory=list)
    moves: list[tuple[int, str, str, int]] = field(default_factory=list)
    # dated notes: (target, line, summary, kind, direction)
    links: list[tuple[str, int, str, str, str | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    has_blocks: bool = False  # carries `<!-- kith:NAME -->` markers to fill

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.path, self.kind, self.date, self.title, self.tags, self.fm, self.person,
            self.log, self.moves, self.links,
            [(p.path, p.line, p.message, p.hint, p.severity) for p in self.problems],
            self.has_blocks,
        )  # fmt: skip

    @classmethod
    def from_tuple(cls, t: tuple[Any, ...]) -> NoteRecord:
        return cls(t[0], t[1], t[2], t[3], tuple(t[4]), t[5], t[6], t[7], t[8], t[9],
                   [Problem(*p) for p in t[10]], t[11])  # fmt: skip

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


# Versions of marshal agree on the bytes they read (version 4 since Python 3.4); pinned so
# blobs written by one Python are read by another (the cache header names the kith code).
_MARSHAL_VERSION = 4


def encode(rec: NoteRecord) -> bytes:
    return marshal.dumps(rec.to_tuple(), _MARSHAL_VERSION)


def decode(blob: bytes) -> NoteRecord:
    return NoteRecord.from_tuple(marshal.loads(blob))


def is_usable_person(rec: NoteRecord) -> bool:
    """A person note whose fields could be read: a contact (a person note with an error in
    its front matter is not one, and links to it reach nobody)."""
    return rec.kind == PERSON and rec.person is not None


def same_record(a: bytes, b: bytes) -> bool:
    """Whether two blobs hold the same record (marshal may spell equal values differently,
    sharing a string or not, so unequal bytes are compared decoded)."""
    return a == b or marshal.loads(a) == marshal.loads(b)


# Where NoteRecord.to_tuple() puts what a plain note has (tests check these against it).
T_DATE, T_TITLE, T_TAGS, T_LINKS, T_HAS_BLOCKS = 2, 3, 4, 9, 11


class RecordStore(Mapping[str, NoteRecord]):
    """path -> NoteRecord, read-only as a Mapping; `put`, `put_blob` and `discard` change it."""

    __slots__ = ("blobs", "persons")

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.persons: set[str] = set()  # paths of usable persons (see is_usable_person)

    def __getitem__(self, path: str) -> NoteRecord:
        return decode(self.blobs[path])

    def __contains__(self, path: object) -> bool:
        return path in self.blobs

    def __iter__(self) -> Iterator[str]:
        return iter(self.blobs)

    def __len__(self) -> int:
        return len(self.blobs)

    def put(self, rec: NoteRecord) -> bytes:
        blob = encode(rec)
        self.put_blob(rec.path, blob, is_usable_person(rec))
        return blob

    def put_blob(self, path: str, blob: bytes, person: bool) -> None:
        self.blobs[path] = blob
        if person:
            self.persons.add(path)
        else:
            self.persons.discard(path)

    def clear(self) -> None:
        self.blobs.clear()
        self.persons.clear()

    def discard(self, path: str) -> None:
        self.blobs.pop(path, None)
        self.persons.discard(path)

    def each(self) -> Iterator[tuple[str, NoteRecord | tuple[Any, ...]]]:
        """(path, record) for every note, for one pass over the vault at the least cost: a
        plain note (kind NOTE, no problems: most of a vault) comes as its raw tuple (read it
        with the T_ positions), any other as a NoteRecord."""
        loads = marshal.loads
        from_tuple = NoteRecord.from_tuple
        for path, blob in self.blobs.items():
            t = loads(blob)
            if t[1] == NOTE and not t[10]:
                yield path, t
            else:
                rec = from_tuple(t)
                rec.path = path
                yield path, rec

    def tuples(self) -> Iterator[tuple[str, Any]]:
        """(path, record tuple) for every note, decoded one at a time."""
        loads = marshal.loads
        for path, blob in self.blobs.items():
            yield path, loads(blob)


_PACKED_KEY = struct.Struct("=qqq")  # (size, mtime_ns, ctime_ns), each a signed 64-bit int


class KeyStore(MutableMapping[str, StatKey]):
    """path -> stat key, as a dict of them reads, each key packed in one 24-byte string.

    A key as a tuple of three ints takes ~160 bytes, packed ~57: the watcher holds one per
    note for as long as it runs (~12 MB less at 110k notes). Reads unpack a fresh tuple."""

    __slots__ = ("packed",)

    def __init__(self, keys: Mapping[str, StatKey] | Iterable[tuple[str, StatKey]] = ()):
        pack = _PACKED_KEY.pack
        items = keys.items() if isinstance(keys, Mapping) else keys
        self.packed: dict[str, bytes] = {p: pack(*k) for p, k in items}

    def __getitem__(self, path: str) -> StatKey:
        return _PACKED_KEY.unpack(self.packed[path])

    def __setitem__(self, path: str, key: StatKey) -> None:
        self.packed[path] = _PACKED_KEY.pack(*key)

    def __delitem__(self, path: str) -> None:
        del self.packed[path]

    def __contains__(self, path: object) -> bool:
        return path in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)
