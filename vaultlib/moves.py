"""Recording stage moves made by hand: `stage:` edited in any editor becomes a log line.

This module owns deciding whether a person's stage change still needs its log
line (`- YYYY-MM-DD stage: old → new`) and adding it, once, through the same
surgical editor (`edit.add_log_line`) and atomic compare-and-swap writer as
`kith move`. It compares a person's ring in the previous index record with the
current one; the caller (the watcher) supplies both, and today's date. It never
reads the clock, never changes the front matter, never writes a note whose
bytes changed since it read them, and never writes anything but that one line.

Idempotency rule ("never twice"): a change old → new is recorded unless the
note's *newest* stage-change line already reads old → new. Newest means the
latest date; among lines with the same date, the one the log's own order puts
last (the top one in a newest-first log, the bottom one otherwise; the same
rule `add_log_line` uses to place a same-day entry). So `kith move`, which
writes `stage:` and the line in one atomic write, is never recorded a second
time (also with `--date` in the past, as long as no later move exists), a line
the user typed together with the stage edit counts, and a real round trip
(cold → lukewarm → cold → lukewarm) records every step because each newest line
differs from the next change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .config import Config
from .edit import EditError, add_log_line
from .errors import Conflict, UnsafePath, WriteRefused
from .model import WARNING, Problem
from .parse import PERSON, NoteParser, NoteRecord
from .textutil import decode_note, encode_note
from .write import Writer, WriteResult

RECORDED = "recorded"  # the line was written
ALREADY = "already"  # the note's newest move already records old → new
STALE = "stale"  # the note no longer shows the new stage (or is gone): nothing to do now
CONFLICT = "conflict"  # the note changed while kith was writing: retry after the next quiet period
REFUSED = "refused"  # the note cannot be edited safely; see `problem`

ARROW = "→"


@dataclass(frozen=True, slots=True)
class StageChange:
    """A person's ring went from `old` to `new` (both rings of the config)."""

    path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    change: StageChange
    status: str  # RECORDED | ALREADY | STALE | CONFLICT | REFUSED
    result: WriteResult | None = None
    problem: Problem | None = None


def ring_of(rec: NoteRecord | None) -> str | None:
    """The ring a parsed note puts its person in, or None (not a person, no valid stage)."""
    if rec is None or rec.kind != PERSON or rec.person is None:
        return None
    ring = rec.person.get("ring")
    return ring if isinstance(ring, str) else None


def find_stage_changes(
    before: Mapping[str, str | None], ring_now: Callable[[str], str | None], paths: Iterable[str]
) -> list[StageChange]:
    """The stage changes among `paths`: a ring in `before` and a different one now
    (`ring_now(path)`: `RecordStore.ring`, or `ring_of` of a record).

    A note that gained its first stage, lost it, or stopped being a person is not a move.
    """
    out = []
    for path in sorted(set(paths)):
        old = before.get(path)
        new = ring_now(path)
        if old is not None and new is not None and old != new:
            out.append(StageChange(path, old, new))
    return out


def move_line(old: str, new: str, day: date) -> str:
    """The log line for a move, exactly as `kith move` writes it."""
    return f"- {day.isoformat()} stage: {old} {ARROW} {new}"


def newest_move(rec: NoteRecord) -> tuple[int, str, str, int] | None:
    """The note's newest stage-change line (ordinal, old, new, line), by the rule above."""
    if not rec.moves:
        return None
    dated = sorted([(m[3], m[0]) for m in rec.moves] + [(e[4], e[0]) for e in rec.log])
    pairs = list(zip(dated, dated[1:]))
    descending = sum(b[1] < a[1] for a, b in pairs) > sum(b[1] > a[1] for a, b in pairs)
    if descending:
        return max(rec.moves, key=lambda m: (m[0], -m[3]))
    return max(rec.moves, key=lambda m: (m[0], m[3]))


def already_recorded(rec: NoteRecord, old: str, new: str) -> bool:
    """True when the note's newest stage-change line reads old → new."""
    m = newest_move(rec)
    return m is not None and (m[1], m[2]) == (old, new)


def record_stage_change(
    config: Config,
    change: StageChange,
    today: date,
    writer: Writer,
    parser: NoteParser | None = None,
) -> MoveOutcome:
    """Add the log line for `change` to its note unless it is already there.

    The note is read through `writer`, re-parsed (it must still be a person in
    `change.new`), edited with `add_log_line` under the config's log headings,
    and written with `expected` = the bytes read, so a save by the user in the
    meantime is never overwritten (status CONFLICT: try again later).
    """
    path = change.path
    try:
        data = writer.read(path)
    except (WriteRefused, UnsafePath) as e:
        return MoveOutcome(change, REFUSED, problem=_problem(change, _reason(e), e.hint))
    if data is None:
        return MoveOutcome(change, STALE)
    rec = (parser or NoteParser(config)).parse(path, data)
    if ring_of(rec) != change.new:
        return MoveOutcome(change, STALE)
    if already_recorded(rec, change.old, change.new):
        return MoveOutcome(change, ALREADY)
    try:
        text, bom = decode_note(data)
        new_text = add_log_line(
            text, config.log_headings, move_line(change.old, change.new, today), today
        )
    except UnicodeDecodeError:
        return MoveOutcome(change, STALE)  # cannot happen after a person parse; be safe
    except (EditError, ValueError) as e:
        line = e.line if isinstance(e, EditError) else None
        return MoveOutcome(
            change,
            REFUSED,
            problem=_problem(
                change, str(e), "fix the note; kith records the move after the next save", line
            ),
        )
    try:
        result = writer.write(path, encode_note(new_text, bom), expected=data)
    except Conflict:
        return MoveOutcome(change, CONFLICT)
    except (WriteRefused, UnsafePath) as e:
        return MoveOutcome(change, REFUSED, problem=_problem(change, _reason(e), e.hint))
    return MoveOutcome(change, RECORDED, result=result)


def _reason(e: WriteRefused | UnsafePath) -> str:
    return e.reason if isinstance(e, WriteRefused) else e.message


def _problem(change: StageChange, reason: str, hint: str, line: int | None = None) -> Problem:
    return Problem(
        change.path,
        line,
        f"stage change {change.old} {ARROW} {change.new} not recorded in the log: {reason}",
        hint or "add the line by hand, or run `kith move`",
        WARNING,
    )


__all__ = [
    "ALREADY",
    "CONFLICT",
    "RECORDED",
    "REFUSED",
    "STALE",
    "MoveOutcome",
    "StageChange",
    "already_recorded",
    "find_stage_changes",
    "move_line",
    "newest_move",
    "record_stage_change",
    "ring_of",
]
