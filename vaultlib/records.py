"""Every note's parsed record, kept encoded in memory and decoded when asked for.

This module owns the record type (`NoteRecord`: what the index keeps of one note, which
`parse` makes) and how the index holds its records between runs and between the
watcher's passes: one marshal blob per note (what the cache file stores, so loading
and saving never re-encode), plus the set of notes that are usable persons, which
link resolution asks about for every link and must not decode to answer. A record
is decoded each time it is read, and nothing decoded is kept: at 100k notes the
blobs take ~30 MB where the decoded records took ~200 MB. A lean store (the watcher's)
goes further and keeps only a digest of each person's and plain note's blob once the record cache
holds it, reading it back through a `Backing` the index provides. For the same reason it
owns `KeyStore`, the watcher's stat keys packed in one int a note. It never reads
files and never parses a note (see `parse`).
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import ERROR, Problem
from .scan import StatKey

MAX_NOTE_BYTES = 5 * 1024 * 1024

PERSON, GOAL, NOTE = "person", "goal", "note"


# A dated note's link: (target as written, line, summary, kind, direction or None).
Link = tuple[str, int, str, str, str | None]


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
    links: list[Link] = field(default_factory=list)
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
    sharing a string or not, so unequal bytes are compared decoded; one that does not
    decode, from a damaged cache, holds no record)."""
    if a == b:
        return True
    try:
        return bool(marshal.loads(a) == marshal.loads(b))
    except (EOFError, ValueError, TypeError):
        return False


def readable(path: str, blob: bytes) -> NoteRecord | tuple[Any, ...]:
    """A record as a pass over every note reads it at the least cost: a plain note (kind
    NOTE, no problems: most of a vault) as its raw tuple (read it with the T_ positions),
    any other as a NoteRecord (with `path`'s string, not the blob's copy)."""
    t = marshal.loads(blob)
    if t[1] == NOTE and not t[10]:
        return t
    rec = NoteRecord.from_tuple(t)
    rec.path = path
    return rec


# Where NoteRecord.to_tuple() puts what a plain note has (tests check these against it).
T_DATE, T_TITLE, T_TAGS, T_LINKS, T_HAS_BLOCKS = 2, 3, 4, 9, 11


# What a record cache row says of its record, so a reader need not decode it to know.
ROW_OTHER, ROW_PERSON, ROW_PLAIN = 0, 1, 2


def row_class(rec: NoteRecord) -> int:
    """ROW_PERSON for a usable person, ROW_PLAIN for a plain note (kind NOTE, no problems:
    most of a vault), ROW_OTHER for the rest (goals, notes with problems, broken persons)."""
    if is_usable_person(rec):
        return ROW_PERSON
    return ROW_PLAIN if rec.kind == NOTE and not rec.problems else ROW_OTHER


class Backing(Protocol):
    """Where a lean store reads back the records it holds only a digest of (see `index`)."""

    def fetch(self, path: str, want: int) -> bytes | None:
        """The note's record with digest `want` (the one indexed), else as it is now (None
        when the note is gone)."""

    def rows(self, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
        """(path, blob) once for each wanted path: the blob whose digest it holds while one
        can be found, else the note's record as it is now (none when the note is gone).
        The path is `wanted`'s own string wherever the order allows (see RecordStore.rows)."""


_READ_ONE_BY_ONE = 32  # more records than this are read by one pass over the cache file


def person_ring(t: tuple[Any, ...]) -> str | None:
    """A usable person's ring from its record tuple, undecoded (as `moves.ring_of` reads
    it from a record)."""
    ring = t[6].get("ring")
    return ring if isinstance(ring, str) else None


def digest(blob: bytes) -> int:
    """What a lean store keeps of a record's blob: enough to tell a changed record (a
    60-bit hash, this process's only, never stored: an int of 60 bits takes 32 bytes,
    a full 64-bit one 36, allocated as 40)."""
    return hash(blob) & _DIGEST_MASK


_DIGEST_MASK = (1 << 60) - 1


class RecordStore(Mapping[str, NoteRecord]):
    """path -> NoteRecord, read-only as a Mapping; `put`, `put_blob` and `discard` change it.

    A lean store (one given a `backing`: the watcher's) keeps the records of plain notes
    and persons, all but a few of a vault, as a digest only, once they are in the record
    cache file (`put_digest`, `compact`), and reads them back when asked: a whole pass
    (`each`, `rows`, `read` of many) streams the file, a single note is parsed again
    (and taken from the file instead if it no longer parses to the record indexed). It
    keeps each person's ring (`ring`), which the watcher compares on every save. Goals
    and notes with problems stay in memory, as does any record not yet saved."""

    __slots__ = ("blobs", "persons", "others", "digests", "rings", "backing")

    def __init__(self, backing: Backing | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.persons: set[str] = set()  # paths of usable persons (see is_usable_person)
        self.others: set[str] = set()  # paths of ROW_OTHER records (few)
        self.digests: dict[str, int] = {}  # records held as a digest (lean only)
        self.rings: dict[str, str | None] = {}  # each person's ring (lean only)
        self.backing = backing

    def __getitem__(self, path: str) -> NoteRecord:
        blob = self.blobs.get(path)
        if blob is None:
            want = self.digests.get(path)
            if want is None:
                raise KeyError(path)
            assert self.backing is not None
            blob = self.backing.fetch(path, want)
            if blob is None:
                raise KeyError(path)
        return decode(blob)

    def read(self, paths: Iterable[str]) -> Iterator[tuple[str, NoteRecord]]:
        """(path, record) for each of these held paths, in no particular order: a few are
        read one by one, many by one pass over the cache file."""
        wanted: dict[str, int] = {}
        for path in paths:
            if path in self.blobs:
                yield path, decode(self.blobs[path])
            elif path in self.digests:
                wanted[path] = self.digests[path]
        if len(wanted) <= _READ_ONE_BY_ONE:
            for path in wanted:
                got = self.get(path)
                if got is not None:
                    yield path, got
        else:
            assert self.backing is not None
            for path, blob in self.backing.rows(wanted):
                yield path, decode(blob)

    def ring(self, path: str) -> str | None:
        """A usable person's ring (None for any other note), without reading its record
        in a lean store."""
        if path not in self.persons:
            return None
        if self.backing is not None:
            return self.rings.get(path)
        return person_ring(marshal.loads(self.blobs[path]))

    def __contains__(self, path: object) -> bool:
        return path in self.blobs or path in self.digests

    def __iter__(self) -> Iterator[str]:
        yield from self.blobs
        yield from self.digests

    def __len__(self) -> int:
        return len(self.blobs) + len(self.digests)

    def put(self, rec: NoteRecord) -> bytes:
        blob = encode(rec)
        self.put_blob(rec.path, blob, row_class(rec))
        return blob

    def put_blob(self, path: str, blob: bytes, cls: int) -> None:
        """A record, kept in memory (its ROW_ class, from row_class, as the cache row says)."""
        self.blobs[path] = blob
        self.digests.pop(path, None)
        self._classify(path, blob, cls)

    def put_new(self, paths: list[str], blobs: Iterable[bytes], classes: Iterable[int]) -> None:
        """`put_blob` of each record, at paths not held (a cold index's, a chunk at a time):
        in bulk, and with nothing to undo for a plain note (most of a vault)."""
        self.blobs.update(zip(paths, blobs))
        for path, cls in zip(paths, classes):
            if cls != ROW_PLAIN:
                self._classify(path, self.blobs[path], cls)

    def put_digest(self, path: str, blob: bytes, cls: int) -> None:
        """A record the backing's cache file holds (a person's or a plain note's): kept as
        its digest."""
        assert self.backing is not None and cls != ROW_OTHER
        self.digests[path] = digest(blob)
        self.blobs.pop(path, None)
        self._classify(path, blob, cls)

    def _classify(self, path: str, blob: bytes, cls: int) -> None:
        if cls == ROW_PERSON:
            self.persons.add(path)
            if self.backing is not None:
                self.rings[path] = person_ring(marshal.loads(blob))
        else:
            self.persons.discard(path)
            self.rings.pop(path, None)
        if cls == ROW_OTHER:
            self.others.add(path)
        else:
            self.others.discard(path)

    def compact(self) -> None:
        """Keep only the digest of every record held in memory but goals and notes with
        problems (once the cache file holds them all: after a save). No-op for a store
        that is not lean."""
        if self.backing is None:
            return
        blobs = self.blobs
        for path in [p for p in blobs if p not in self.others]:
            self.digests[path] = digest(blobs.pop(path))

    def holds(self, path: str, blob: bytes) -> bool:
        """Whether the record held for `path` is the one `blob` encodes."""
        old = self.blobs.get(path)
        if old is not None:
            return same_record(old, blob)
        d = self.digests.get(path)
        return d is not None and d == digest(blob)

    def row_class(self, path: str) -> int:
        if path in self.persons:
            return ROW_PERSON
        return ROW_OTHER if path in self.others else ROW_PLAIN

    def clear(self) -> None:
        self.blobs.clear()
        self.persons.clear()
        self.others.clear()
        self.digests.clear()
        self.rings.clear()

    def discard(self, path: str) -> None:
        self.blobs.pop(path, None)
        self.digests.pop(path, None)
        self.persons.discard(path)
        self.others.discard(path)
        self.rings.pop(path, None)

    def rows(self) -> Iterator[tuple[str, bytes]]:
        """(path, blob) for every note: those read back, then those in memory. (A cache
        saved in this order lists the records read back in the order `digests` holds them, so
        `backing.rows` can hand out the store's own path strings, not a copy of each.)"""
        if self.digests:
            assert self.backing is not None
            yield from self.backing.rows(self.digests)
        yield from self.blobs.items()

    def each(self) -> Iterator[tuple[str, NoteRecord | tuple[Any, ...]]]:
        """(path, record) for every note, for one pass over the vault at the least cost: a
        plain note (kind NOTE, no problems: most of a vault) comes as its raw tuple (read it
        with the T_ positions), any other as a NoteRecord."""
        for path, blob in self.rows():
            yield path, readable(path, blob)

    def tuples(self) -> Iterator[tuple[str, Any]]:
        """(path, record tuple) for every note, decoded one at a time."""
        loads = marshal.loads
        for path, blob in self.rows():
            yield path, loads(blob)


_PACKED_KEY = struct.Struct("<qqq")  # (size, mtime_ns, ctime_ns), each a signed 64-bit int


def _pack(size: int, mtime: int, ctime: int) -> int:
    return int.from_bytes(_PACKED_KEY.pack(size, mtime, ctime), "little")


def _unpack(packed: int) -> StatKey:
    return _PACKED_KEY.unpack(packed.to_bytes(24, "little"))


class KeyStore(MutableMapping[str, StatKey]):
    """path -> stat key, as a dict of them reads, each key packed in one 192-bit int.

    A key as a tuple of three ints takes ~160 bytes, packed in bytes 57 (allocated as 64),
    in an int 52 (allocated as 56): the watcher holds one per note for as long as it runs.
    Reads unpack a fresh tuple."""

    __slots__ = ("packed",)

    def __init__(self, keys: Mapping[str, StatKey] | Iterable[tuple[str, StatKey]] = ()):
        items = keys.items() if isinstance(keys, Mapping) else keys
        self.packed: dict[str, int] = {p: _pack(*k) for p, k in items}

    def __getitem__(self, path: str) -> StatKey:
        return _unpack(self.packed[path])

    def __setitem__(self, path: str, key: StatKey) -> None:
        self.packed[path] = _pack(*key)

    def __delitem__(self, path: str) -> None:
        del self.packed[path]

    def __contains__(self, path: object) -> bool:
        return path in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)
