"""The report questions: pure functions of (vault, today, options) that the reports show.

This module owns everything a report or a terminal view computes: who is overdue
and what to do about them, how people move through the rings, what comes up in
the next days, which ties went dormant, the give/ask balance, goal progress and
the dashboard's ranked actions. Grouping, sorting (always with name tie-breaks)
and arithmetic happen here, so templates only loop and format; each list is built
per contact through `query` (`ranked`, `tally`), so after a saved note only that
person's rows are computed again. Results are
frozen dataclasses of plain values and `Contact`s; the `*_json` functions give
their JSON shapes. It never reads or writes files, never formats Markdown and
never looks at the clock.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from itertools import groupby, islice
from operator import attrgetter, itemgetter
from typing import Any

from .dates import next_birthday
from .model import Contact, DatedNote, Goal, Interaction, Move
from .query import (
    Status,
    active,
    per_snapshot,
    ranked,
    ranked_with_keys,
    same_inputs,
    status_map,
    tally,
)
from .vault import Vault

Rows = Sequence[tuple[tuple[Any, ...], Any]]  # what `ranked` takes from one contact

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # never strftime: locale

# What to do next with someone, by ring, from the coaching texts. Custom rings get the
# text of the default ring at the same relative depth (outermost -> cold's).
NEXT_STEPS: dict[str, str] = {
    "cold": "Find a warm introduction, or ask for a coffee with a clear purpose",
    "lukewarm": "Suggest a coffee or lunch, and offer something useful",
    "strategic": "Meet face to face, thank them, and return a favour",
    "buddy": "Keep it warm, and ask whom they could introduce you to",
}
_DEPTH_ORDER = ("cold", "lukewarm", "strategic", "buddy")
NO_RING_STEP = "Get back in touch"

FUNNEL_PERIODS = (30, 90)
CONVERSION_DAYS = 90
RECIPROCITY_DAYS = 365
DASHBOARD_ACTIONS = 7
DASHBOARD_OVERDUE = 3
MEETINGS_KEPT = 20_000  # meeting events kept between snapshots (see `_with_meetings`)


# --- shared helpers -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """Something a report links to: a note path and the text to show."""

    name: str
    path: str


def shift(d: date, days: int) -> date:
    """`d` plus `days`, clamped to the calendar (a `--today` near year 1 or 9999 must not crash)."""
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def ring_label(ring: str | None) -> str:
    return ring[:1].upper() + ring[1:] if ring else "No ring"


def next_step(ring: str | None, rings: Sequence[str]) -> str:
    if ring is None or ring not in rings:
        return NO_RING_STEP
    if ring in NEXT_STEPS:
        return NEXT_STEPS[ring]
    depth = rings.index(ring) * (len(_DEPTH_ORDER) - 1) * 2 // max(len(rings) - 1, 1)
    return NEXT_STEPS[_DEPTH_ORDER[(depth + 1) // 2]]


class _Rings:
    """Ring order helpers for one vault: outer -> inner, inner-first sort keys."""

    def __init__(self, rings: Sequence[str]):
        self.rings = tuple(rings)
        self.rank = {r: i for i, r in enumerate(self.rings)}

    def inner_first(self, ring: str | None) -> int:
        """Sort key: innermost ring 0, then outward; no ring last."""
        if ring is None or ring not in self.rank:
            return len(self.rings)
        return len(self.rings) - 1 - self.rank[ring]

    def direction(self, m: Move) -> str | None:
        a, b = self.rank.get(m.from_ring), self.rank.get(m.to_ring)
        if a is None or b is None or a == b:
            return None
        return "inward" if b > a else "outward"


def name_order(c: Contact) -> tuple[str, str]:
    return (c.name.casefold(), c.path)


def describe(i: Interaction | None) -> str:
    """What an interaction was about, as one short line: `coffee: talked about Berlin`."""
    if i is None:
        return ""
    summary = i.summary.strip()
    if not summary:
        return i.kind
    if i.kind == "note" or summary.casefold().startswith(i.kind):
        return summary
    return f"{i.kind}: {summary}"


def first_contact(c: Contact, today: date) -> Interaction | None:
    """The oldest interaction on or before today (interactions are newest first)."""
    for i in reversed(c.interactions):
        if i.date <= today:
            return i
    return None


def added_on(c: Contact, today: date) -> date | None:
    """When the person was added: `created`, else the first interaction."""
    if c.added is not None:
        return c.added
    first = first_contact(c, today)
    return first.date if first else None


def _about(s: Status) -> str:
    i = s.last_interaction
    if i is None or s.last_contact is None or i.date != s.last_contact:
        return ""
    return describe(i)


def _cap(rows: Iterable[Any], limit: int | None) -> tuple[Any, ...]:
    rows = tuple(rows)
    return rows if limit is None else rows[:limit]


def _ring_ok(c: Contact, ring: str | None) -> bool:
    return ring is None or c.ring == ring


# --- overdue --------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    contact: Contact
    ring: str | None
    days_overdue: int | None
    last_contact: date | None
    about: str
    next_step: str
    added: date | None


@dataclass(frozen=True)
class RingGroup:
    ring: str | None
    label: str
    next_step: str
    rows: tuple[OverdueRow, ...]


@dataclass(frozen=True)
class FollowUpRow:
    contact: Contact
    ring: str | None
    due: date
    days: int  # days since it was due; 0 = due today
    note: str


@dataclass(frozen=True)
class OverdueReport:
    today: date
    groups: tuple[RingGroup, ...]  # inner ring first; rows most overdue first
    never: tuple[OverdueRow, ...]  # cadence set, never contacted
    follow_ups: tuple[FollowUpRow, ...]  # follow_up on or before today, oldest first
    overdue_count: int  # before any limit
    never_count: int
    follow_up_count: int


def overdue_row(s: Status, rings: Sequence[str], today: date) -> OverdueRow:
    """One overdue contact as the report shows it: last contact, what it was about, next step."""
    c = s.contact
    step = next_step(c.ring, rings)
    if s.follow_up_due and c.follow_up_note:
        step = f"Follow up: {c.follow_up_note}"
    return OverdueRow(
        c, c.ring, s.days_overdue, s.last_contact, _about(s), step, added_on(c, today)
    )


def find_follow_ups(vault: Vault, today: date, ring: str | None = None) -> list[FollowUpRow]:
    """Follow-ups due on or before today, oldest first."""
    rows = _follow_ups(vault, today)
    return list(rows) if ring is None else [r for r in rows if r.contact.ring == ring]


def _follow_ups(vault: Vault, today: date) -> tuple[FollowUpRow, ...]:

    def entries(c: Contact) -> Rows:
        if c.follow_up is not None and c.follow_up <= today:
            row = FollowUpRow(
                c, c.ring, c.follow_up, (today - c.follow_up).days, c.follow_up_note or ""
            )
            return (((c.follow_up, *name_order(c)), row),)
        return ()

    return ranked("follow_ups", vault, today, entries)


def _overdue_rows(
    vault: Vault, today: date
) -> tuple[tuple[OverdueRow, ...], tuple[OverdueRow, ...]]:
    """(late, never): every overdue contact's row, late ones by inner ring first then most
    overdue, never-contacted ones by inner ring first; then by name."""
    rings = vault.config.rings
    order = _Rings(rings)
    statuses = status_map(vault, today)

    def late(c: Contact) -> Rows:
        s = statuses[c.path]
        if s.overdue and s.days_overdue is not None:
            key = (order.inner_first(c.ring), -s.days_overdue, *name_order(c))
            return ((key, overdue_row(s, rings, today)),)
        return ()

    def never(c: Contact) -> Rows:
        s = statuses[c.path]
        if s.overdue and s.never_contacted:
            key = (order.inner_first(c.ring), *name_order(c))
            return ((key, overdue_row(s, rings, today)),)
        return ()

    return (
        ranked("overdue.late", vault, today, late),
        ranked("overdue.never", vault, today, never),
    )


def overdue_report(
    vault: Vault, today: date, *, ring: str | None = None, limit: int | None = None
) -> OverdueReport:
    """Overdue contacts by ring (inner first, most overdue first), never contacted, follow-ups."""
    return per_snapshot(
        "overdue_report", vault, (today, ring, limit), lambda: _overdue(vault, today, ring, limit)
    )


def _overdue(vault: Vault, today: date, ring: str | None, limit: int | None) -> OverdueReport:
    late, never = _overdue_rows(vault, today)
    follow = _follow_ups(vault, today)
    return same_inputs(
        "overdue",
        (today, ring, limit, vault.config.rings),
        (late, never, follow),
        lambda: _overdue_from(vault.config.rings, today, late, never, follow, ring, limit),
    )


def _overdue_from(
    rings: Sequence[str],
    today: date,
    late: Sequence[OverdueRow],
    never: Sequence[OverdueRow],
    follow: Sequence[FollowUpRow],
    ring: str | None,
    limit: int | None,
) -> OverdueReport:
    if ring is not None:
        late = tuple(r for r in late if r.ring == ring)
        never = tuple(r for r in never if r.ring == ring)
        follow = tuple(r for r in follow if r.ring == ring)
    by_ring: dict[str | None, list[OverdueRow]] = {}
    for r, rows in groupby(late, attrgetter("ring")):  # runs of one ring (inner first)
        by_ring.setdefault(r, []).extend(rows)
    groups: list[RingGroup] = []
    left = limit
    for r, group in by_ring.items():
        if left is not None and left <= 0:
            break
        taken = _cap(group, left)
        if left is not None:
            left -= len(taken)
        groups.append(RingGroup(r, ring_label(r), next_step(r, rings), taken))
    return OverdueReport(
        today,
        tuple(groups),
        _cap(never, limit),
        _cap(follow, limit),
        len(late),
        len(never),
        len(follow),
    )


# --- funnel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RingCount:
    ring: str
    label: str
    count: int
    cadence_days: int | None


@dataclass(frozen=True)
class MoveRow:
    contact: Contact
    date: date
    from_ring: str
    to_ring: str
    direction: str  # "inward" | "outward"


@dataclass(frozen=True)
class PeriodSummary:
    days: int
    since: date
    inward: int
    outward: int
    added: int


@dataclass(frozen=True)
class AddedRow:
    contact: Contact
    date: date
    ring: str | None


@dataclass(frozen=True)
class StalledRow:
    contact: Contact
    ring: str
    since: date | None  # last interaction, move or the date they were added; None = never
    days: int | None


@dataclass(frozen=True)
class ConversionRow:
    ring: str
    label: str
    in_ring: int  # in this ring at some time during the period
    moved_inward: int  # of those, moved inward from it during the period
    rate: int | None  # percent, rounded down; None when nobody was in the ring


@dataclass(frozen=True)
class FunnelReport:
    today: date
    rings: tuple[RingCount, ...]  # outer -> inner
    pie: tuple[RingCount, ...]  # rings with people, for the chart
    no_ring: int
    total: int
    periods: tuple[PeriodSummary, ...]  # 30 and 90 days
    moves: tuple[MoveRow, ...]  # in the longest period, newest first
    moves_since: date
    added: tuple[AddedRow, ...]  # in the longest period, newest first
    stalled: tuple[StalledRow, ...]
    stalled_days: int
    conversion: tuple[ConversionRow, ...]  # every ring but the innermost, outer -> inner
    conversion_days: int
    conversion_since: date


def ring_on(c: Contact, d: date) -> str | None:
    """The ring a contact was in on day `d`, from their stage-move log lines."""
    before = [m for m in c.moves if m.date <= d]
    if before:
        return before[-1].to_ring
    after = [m for m in c.moves if m.date > d]
    if after:
        return after[0].from_ring
    return c.ring


def _moves(vault: Vault, since: date, today: date) -> Sequence[MoveRow]:
    """Moves inward or outward in [since, today], newest first."""
    longest = shift(today, -max(FUNNEL_PERIODS))
    if longest < since:  # the newest of the funnel's longest period, which is kept
        return _since(_moves(vault, longest, today), since)
    order = _Rings(vault.config.rings)

    def entries(c: Contact) -> Rows:
        out = []
        for m in c.moves:
            direction = order.direction(m)
            if direction and since <= m.date <= today:
                key = (-m.date.toordinal(), *name_order(c), m.from_ring, m.to_ring, m.line)
                out.append((key, MoveRow(c, m.date, m.from_ring, m.to_ring, direction)))
        return out

    return ranked("moves", vault, (since, today), entries)


def _added(vault: Vault, since: date, today: date) -> Sequence[AddedRow]:
    """People added in [since, today], newest first."""
    longest = shift(today, -max(FUNNEL_PERIODS))
    if longest < since:  # the newest of the funnel's longest period, which is kept
        return _since(_added(vault, longest, today), since)

    def entries(c: Contact) -> Rows:
        d = added_on(c, today)
        if d is not None and since <= d <= today:
            return (((-d.toordinal(), *name_order(c)), AddedRow(c, d, c.ring)),)
        return ()

    return ranked("added", vault, (since, today), entries)


def _since(rows: Sequence[Any], since: date) -> Sequence[Any]:
    """The rows (newest first, with a `date`) on or after `since`."""
    return rows[: bisect_right(rows, -since.toordinal(), key=_minus_day)]


def _minus_day(row: Any) -> int:
    return -row.date.toordinal()


def last_activity(c: Contact, today: date) -> date | None:
    """The newest interaction, move or added date on or before today."""
    dates = []
    for i in c.interactions:  # newest first
        if i.date <= today:
            dates.append(i.date)
            break
    for m in reversed(c.moves):  # oldest first
        if m.date <= today:
            dates.append(m.date)
            break
    if c.manual_last_contact is not None and c.manual_last_contact <= today:
        dates.append(c.manual_last_contact)
    a = added_on(c, today)
    if a is not None and a <= today:
        dates.append(a)
    return max(dates) if dates else None


def find_stalled(vault: Vault, today: date, days: int) -> tuple[StalledRow, ...]:
    """People in any ring but the innermost with no interaction and no move for `days`."""
    rings = vault.config.rings
    order = _Rings(rings)

    def entries(c: Contact) -> Rows:
        if c.ring is None or c.ring == rings[-1]:
            return ()
        since = last_activity(c, today)
        if since is None or (today - since).days > days:
            row = StalledRow(c, c.ring, since, (today - since).days if since else None)
            return (((order.inner_first(c.ring), since or date.min, *name_order(c)), row),)
        return ()

    return ranked("stalled", vault, (today, days), entries)


def _conversion(vault: Vault, since: date, today: date) -> list[ConversionRow]:
    rings = vault.config.rings
    order = _Rings(rings)

    def part(c: Contact) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(rings held in the period, rings of those moved inward from), in config order."""
        a = added_on(c, today)
        if a is not None and a > today:
            return (), ()
        if not c.moves:  # most people: the ring they are in now, no move
            return ((c.ring,) if c.ring in order.rank else ()), ()
        start = max(since, a) if a is not None else since
        rings_held = {ring_on(c, start)}
        moved = set()
        for m in c.moves:
            if start <= m.date <= today:
                rings_held.update((m.from_ring, m.to_ring))
                if order.direction(m) == "inward":
                    moved.add(m.from_ring)
        return (
            tuple(r for r in rings if r in rings_held),
            tuple(r for r in rings if r in moved and r in rings_held),
        )

    held: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    for (h, m), n in tally("conversion", vault, (since, today), part).items():
        for r in h:
            held[r] += n
        for r in m:
            moved[r] += n
    out = []
    for r in rings[:-1]:
        n, k = held[r], moved[r]
        out.append(ConversionRow(r, ring_label(r), n, k, (100 * k) // n if n else None))
    return out


def funnel_report(vault: Vault, today: date, *, limit: int | None = None) -> FunnelReport:
    config = vault.config
    people = active(vault)
    by_ring = tally("rings", vault, None, attrgetter("ring"))
    counts = {r: by_ring[r] for r in config.rings}
    no_ring = len(people) - sum(counts.values())
    rings = tuple(
        RingCount(r, ring_label(r), counts[r], config.cadence.get(r)) for r in config.rings
    )
    periods = []
    for days in FUNNEL_PERIODS:
        since = shift(today, -days)
        mv = _moves(vault, since, today)
        periods.append(
            PeriodSummary(
                days,
                since,
                sum(m.direction == "inward" for m in mv),
                sum(m.direction == "outward" for m in mv),
                len(_added(vault, since, today)),
            )
        )
    longest = shift(today, -max(FUNNEL_PERIODS))
    conv_since = shift(today, -CONVERSION_DAYS)
    return FunnelReport(
        today=today,
        rings=rings,
        pie=tuple(r for r in rings if r.count),
        no_ring=no_ring,
        total=len(people),
        periods=tuple(periods),
        moves=_cap(_moves(vault, longest, today), limit),
        moves_since=longest,
        added=_cap(_added(vault, longest, today), limit),
        stalled=_cap(find_stalled(vault, today, config.stalled_days), limit),
        stalled_days=config.stalled_days,
        conversion=tuple(_conversion(vault, conv_since, today)),
        conversion_days=CONVERSION_DAYS,
        conversion_since=conv_since,
    )


def funnel_json(f: FunnelReport) -> dict[str, Any]:
    """The `kith funnel --json` object."""
    return {
        "today": f.today.isoformat(),
        "rings": [{"ring": r.ring, "count": r.count} for r in f.rings],
        "no_ring": f.no_ring,
        "moves": [
            {
                "name": m.contact.name,
                "from": m.from_ring,
                "to": m.to_ring,
                "date": m.date.isoformat(),
            }
            for m in f.moves
        ],
        "moves_since": f.moves_since.isoformat(),
        "periods": [
            {
                "days": p.days,
                "since": p.since.isoformat(),
                "inward": p.inward,
                "outward": p.outward,
                "added": p.added,
            }
            for p in f.periods
        ],
        "added": [
            {
                "name": a.contact.name,
                "path": a.contact.path,
                "date": a.date.isoformat(),
                "ring": a.ring,
            }
            for a in f.added
        ],
        "stalled": [
            {
                "name": s.contact.name,
                "path": s.contact.path,
                "ring": s.ring,
                "since": s.since.isoformat() if s.since else None,
                "days": s.days,
            }
            for s in f.stalled
        ],
        "stalled_days": f.stalled_days,
        "conversion": [
            {"ring": c.ring, "in_ring": c.in_ring, "moved_inward": c.moved_inward, "rate": c.rate}
            for c in f.conversion
        ],
        "conversion_days": f.conversion_days,
    }


# --- upcoming -------------------------------------------------------------------------

BIRTHDAY, FOLLOW_UP, CHECK_IN, MEETING, ANNIVERSARY = (
    "birthday",
    "follow-up",
    "check-in",
    "meeting",
    "anniversary",
)
_EVENT_ORDER = {BIRTHDAY: 0, FOLLOW_UP: 1, CHECK_IN: 2, MEETING: 3, ANNIVERSARY: 4}
EVENT_LABELS = {
    BIRTHDAY: "Birthday",
    FOLLOW_UP: "Follow-up",
    CHECK_IN: "Check-in due",
    MEETING: "Meeting",
    ANNIVERSARY: "Anniversary",
}


@dataclass(frozen=True)
class Event:
    date: date
    weekday: str  # Mon … Sun
    in_days: int  # 0 = today
    when: str  # "today", "tomorrow", "in 5 days"
    kind: str  # birthday | follow-up | check-in | meeting | anniversary
    label: str  # Birthday | Follow-up | Check-in due | Meeting | Anniversary
    people: tuple[Contact, ...]
    text: str  # "turns 41", the follow-up note, "every 60 days", the meeting title, "3 years since you first met"
    note: Ref | None  # the meeting note, when it is not a person's own note
    age: int | None = None  # birthdays with a known year
    years: int | None = None  # anniversaries


@dataclass(frozen=True)
class UpcomingReport:
    today: date
    until: date
    days: int
    events: tuple[Event, ...]  # by date, then kind, then name
    counts: tuple[tuple[str, int], ...]  # (label, count) per kind with events


def _when(n: int) -> str:
    return "today" if n == 0 else "tomorrow" if n == 1 else f"in {n} days"


def _anniversary(d: date, year: int) -> date:
    if d.month == 2 and d.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return d.replace(year=year)


def find_upcoming(vault: Vault, today: date, days: int, *, ring: str | None = None) -> list[Event]:
    """Birthdays, follow-ups, check-ins falling due, planned meetings and first-meeting
    anniversaries in [today, today+days], by date, then kind, then name."""
    events = per_snapshot(
        "upcoming",
        vault,
        (today, days, ring),
        lambda: _find_upcoming(vault, today, days, ring=ring),
    )
    return list(events)


def _event(today: date, d: date, kind: str, people: tuple[Contact, ...], text: str,
           note: Ref | None = None, **extra: int | None) -> tuple[tuple[Any, ...], Event]:  # fmt: skip
    """(sort key, event): by date, kind, the first person's name, the note."""
    n = (d - today).days
    e = Event(d, WEEKDAYS[d.weekday()], n, _when(n), kind, EVENT_LABELS[kind], people, text, note,
              **extra)  # fmt: skip
    return (d, _EVENT_ORDER[kind], *name_order(people[0]), note.path if note else ""), e


def _find_upcoming(vault: Vault, today: date, days: int, *, ring: str | None = None) -> list[Event]:
    until = shift(today, days)
    statuses = status_map(vault, today)

    def own(c: Contact) -> Rows:
        """The events of one person alone: all but meetings."""
        if not _ring_ok(c, ring):
            return ()
        out = []
        if c.birthday is not None and today.year < date.max.year:
            d = next_birthday(c.birthday, today)
            if d <= until:
                age = d.year - c.birthday.year if c.birthday.year else None
                out.append(_event(today, d, BIRTHDAY, (c,), f"turns {age}" if age else "", age=age))
        if c.follow_up is not None and today <= c.follow_up <= until:
            out.append(_event(today, c.follow_up, FOLLOW_UP, (c,), c.follow_up_note or ""))
        s = statuses[c.path]
        if s.cadence_days and s.last_contact is not None:
            due = shift(s.last_contact, s.cadence_days)
            if today <= due <= until and due != c.follow_up:
                text = f"every {s.cadence_days} days, last contact {s.last_contact.isoformat()}"
                out.append(_event(today, due, CHECK_IN, (c,), text))
        first = first_contact(c, today)
        if first is not None:
            for year in range(today.year, min(today.year + 1, date.max.year) + 1):
                d = _anniversary(first.date, year)
                years = year - first.date.year
                if today <= d <= until and years > 0:
                    unit = "year" if years == 1 else "years"
                    text = f"{years} {unit} since you first met"
                    out.append(_event(today, d, ANNIVERSARY, (c,), text, years=years))
        return out

    def planned(c: Contact) -> Rows:
        """The person's planned interactions in the window: (meeting key, title), by
        meeting, then name."""
        if not _ring_ok(c, ring):
            return ()
        out = []
        for i in c.interactions:  # newest first: stop at the past
            if i.date <= today:
                break
            if i.date <= until:
                key = (i.date, i.source, i.line if i.source == c.path else 0)
                title = describe(i) if i.source == c.path else i.summary
                out.append(((*key, *name_order(c)), (key, c, title)))
        return out

    keys, events = ranked_with_keys("upcoming.own", vault, (today, days, ring), own)
    found = ranked("upcoming.planned", vault, (today, days, ring), planned)
    if not found:
        return list(events)
    people = vault.by_path
    owned = tuple(key[1] in people for key, _, _ in found)  # a person's own note?
    return same_inputs(
        "upcoming",
        (today, days, ring, owned),
        (events, found),
        lambda: _with_meetings(today, keys, events, found, owned),
    )


def _with_meetings(
    today: date,
    keys: Sequence[tuple[Any, ...]],
    events: Sequence[Event],
    found: Sequence[tuple[tuple[date, str, int], Contact, str]],
    owned: Sequence[bool],
) -> list[Event]:
    """The events with the planned meetings merged in: one per note (or log line), with
    everyone it names (by name) and the title the last of them gives it. Its note is
    shown unless it is a person's own note."""
    meetings = []
    at = 0
    for key, rows in groupby(found, itemgetter(0)):  # each meeting's people, by name
        group = list(rows)
        people = tuple(c for _, c, _ in group)
        title = group[-1][2]
        d, source, line = key
        mine = owned[at]
        at += len(group)
        # The same meeting as last time (the same people and title) keeps its event.
        k, e = same_inputs(
            "meeting",
            (today, key),
            (*people, title, mine),
            partial(
                _event, today, d, MEETING, people, title, None if mine else Ref(title, source)
            ),  # fmt: skip
            keys_kept=MEETINGS_KEPT,
        )
        meetings.append((k, -line, e))  # a person's log lines on one day: the last first
    meetings.sort(key=itemgetter(0, 1))
    # Merge them into the others, sorted by the same keys (none equals a meeting's).
    out: list[Event] = []
    start = 0
    for k, _, e in meetings:
        at = bisect_left(keys, k, lo=start)
        out.extend(events[start:at])
        out.append(e)
        start = at
    out.extend(events[start:])
    return out


def upcoming_report(
    vault: Vault,
    today: date,
    *,
    days: int | None = None,
    ring: str | None = None,
    limit: int | None = None,
) -> UpcomingReport:
    days = vault.config.upcoming_days if days is None else days
    events = find_upcoming(vault, today, days, ring=ring)
    kinds = Counter(map(attrgetter("kind"), events))
    counts = tuple((EVENT_LABELS[k], kinds[k]) for k in _EVENT_ORDER if kinds[k])
    return UpcomingReport(today, shift(today, days), days, _cap(events, limit), counts)


def event_json(e: Event) -> dict[str, Any]:
    return {
        "date": e.date.isoformat(),
        "kind": e.kind,
        "names": [c.name for c in e.people],
        "paths": [c.path for c in e.people],
        "text": e.text,
        "note": e.note.path if e.note else None,
        "age": e.age,
        "years": e.years,
    }


def upcoming_json(u: UpcomingReport) -> dict[str, Any]:
    """The `kith upcoming --json` object."""
    return {
        "today": u.today.isoformat(),
        "until": u.until.isoformat(),
        "days": u.days,
        "events": [event_json(e) for e in u.events],
    }


# --- reconnect ------------------------------------------------------------------------


@dataclass(frozen=True)
class DormantRow:
    contact: Contact
    ring: str | None
    last_contact: date
    days: int  # since the last contact
    about: str


@dataclass(frozen=True)
class ReconnectReport:
    today: date
    days: int  # the threshold
    since: date  # no contact since this day
    rows: tuple[DormantRow, ...]  # inner ring first, most recently lapsed first
    count: int


def find_dormant(
    vault: Vault, today: date, days: int, *, ring: str | None = None
) -> list[DormantRow]:
    """Contacts last seen more than `days` ago: inner ring first, most recently lapsed first."""
    order = _Rings(vault.config.rings)
    statuses = status_map(vault, today)

    def entries(c: Contact) -> Rows:
        s = statuses[c.path]
        if s.last_contact is not None and (today - s.last_contact).days > days:
            n = (today - s.last_contact).days
            row = DormantRow(c, c.ring, s.last_contact, n, _about(s))
            return (((order.inner_first(c.ring), n, *name_order(c)), row),)
        return ()

    rows = ranked("dormant", vault, (today, days), entries)
    return list(rows) if ring is None else [r for r in rows if r.contact.ring == ring]


def reconnect_report(
    vault: Vault,
    today: date,
    *,
    days: int | None = None,
    ring: str | None = None,
    limit: int | None = None,
) -> ReconnectReport:
    days = vault.config.dormant_days if days is None else days
    rows = find_dormant(vault, today, days, ring=ring)
    return ReconnectReport(today, days, shift(today, -days), _cap(rows, limit), len(rows))


# --- reciprocity ----------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    contact: Contact
    ring: str | None
    gives: int
    asks: int
    balance: int  # gives - asks
    last_give: date | None
    last_ask: date | None


@dataclass(frozen=True)
class ReciprocityReport:
    today: date
    since: date
    days: int
    only_asked: tuple[BalanceRow, ...]  # asks, no gives: most asks first
    others: tuple[BalanceRow, ...]  # lowest balance first
    gives: int  # totals over everyone in the window
    asks: int


def reciprocity_report(
    vault: Vault,
    today: date,
    *,
    days: int = RECIPROCITY_DAYS,
    ring: str | None = None,
    limit: int | None = None,
) -> ReciprocityReport:
    since = shift(today, -days)

    def entries(c: Contact) -> Rows:
        gives: list[date] = []
        asks: list[date] = []
        for i in c.interactions:  # newest first
            if i.date > today:
                continue
            if i.date < since:
                break
            if i.direction == "give":
                gives.append(i.date)
            elif i.direction == "ask":
                asks.append(i.date)
        if gives or asks:
            g, a = len(gives), len(asks)
            row = BalanceRow(c, c.ring, g, a, g - a, max(gives, default=None),
                             max(asks, default=None))  # fmt: skip
            # Ask-only rows first (most asks first), then the rest by balance.
            key = (0, -a, *name_order(c)) if not g else (1, g - a, -a, *name_order(c))
            return ((key, row),)
        return ()

    rows: Sequence[BalanceRow] = ranked("reciprocity", vault, (since, today), entries)
    if ring is not None:
        rows = [r for r in rows if r.ring == ring]
    split = bisect_left(rows, True, key=_gave)  # ask-only rows come first
    return ReciprocityReport(
        today,
        since,
        days,
        _cap(rows[:split], limit),
        _cap(rows[split:], limit),
        sum(map(attrgetter("gives"), rows)),
        sum(map(attrgetter("asks"), rows)),
    )


def _gave(r: BalanceRow) -> bool:
    return r.gives > 0


# --- goals ----------------------------------------------------------------------------

DONE, ON_TRACK, BEHIND, MISSED, NOT_STARTED, NO_DEADLINE = (
    "done",
    "on track",
    "behind",
    "missed",
    "not started",
    "no deadline",
)
GOAL_WINDOW_DAYS = 90  # default start: this many days before the deadline


@dataclass(frozen=True)
class GoalItem:
    date: date
    ref: Ref  # the person moved or added, or the dated note
    text: str


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    count: int
    target: int
    met: bool | None  # None: the month is still running and not met yet


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    ref: Ref
    description: str  # "Move 3 people from lukewarm to strategic"
    start: date | None
    deadline: date | None
    progress: int  # this month's count for monthly goals
    target: int
    percent: int  # progress / target, capped at 100
    elapsed_percent: int | None  # of the goal's (or this month's) time
    expected: int  # what on-track progress would be by today
    status: str  # done | on track | behind | missed | not started | no deadline
    items: tuple[GoalItem, ...]  # what counted, newest first
    months: tuple[MonthRow, ...]  # monthly goals only


@dataclass(frozen=True)
class GoalsReport:
    today: date
    goals: tuple[GoalRow, ...]  # by deadline, then name
    counts: tuple[tuple[str, int], ...]  # (status, count) for statuses that occur


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _goal_items(goal: Goal, vault: Vault, start: date, end: date) -> list[GoalItem]:
    order = _Rings(vault.config.rings)
    if goal.metric == "moves":
        to_ring, from_ring = goal.to_ring, goal.from_ring

        def moved(c: Contact) -> Rows:
            for m in c.moves:  # oldest first: the first qualifying move counts
                if not start <= m.date <= end or order.direction(m) != "inward":
                    continue
                if to_ring is not None and m.to_ring != to_ring:
                    continue
                if from_ring is not None and m.from_ring != from_ring:
                    continue
                item = GoalItem(m.date, Ref(c.name, c.path), f"{m.from_ring} → {m.to_ring}")
                return (((-m.date.toordinal(), *name_order(c)), item),)
            return ()

        return list(ranked("goal.moves", vault, (start, end, from_ring, to_ring), moved))
    if goal.metric == "added":

        def added(c: Contact) -> Rows:
            d = added_on(c, end)
            if d is not None and start <= d <= end:
                return (
                    (
                        (-d.toordinal(), *name_order(c)),
                        GoalItem(d, Ref(c.name, c.path), c.ring or ""),
                    ),
                )
            return ()

        return list(ranked("goal.added", vault, (start, end), added))
    tag = goal.tag or vault.config.exposure_tag
    notes = vault.dated_notes  # in date order (the builder sorts them): look at the window only
    lo = bisect_left(notes, start, key=_note_date)
    hi = bisect_right(notes, end, lo=lo, key=_note_date)
    items = [
        GoalItem(n.date, Ref(n.title, n.path), n.title) for n in notes[lo:hi] if _has_tag(n, tag)
    ]
    items.sort(key=lambda i: (-i.date.toordinal(), i.ref.name.casefold(), i.ref.path))
    return items


def _note_date(n: DatedNote) -> date:
    return n.date


def _has_tag(n: DatedNote, tag: str) -> bool:
    return any(t == tag or t.startswith(tag + "/") for t in n.tags)


def describe_goal(goal: Goal, vault: Vault) -> str:
    t = goal.target
    people = "person" if t == 1 else "people"
    if goal.metric == "moves":
        if goal.from_ring and goal.to_ring:
            return f"Move {t} {people} from {goal.from_ring} to {goal.to_ring}"
        if goal.to_ring:
            return f"Move {t} {people} into {goal.to_ring}"
        if goal.from_ring:
            return f"Move {t} {people} inward from {goal.from_ring}"
        return f"Move {t} {people} inward"
    if goal.metric == "added":
        return f"Add {t} {people}"
    tag = goal.tag or vault.config.exposure_tag
    what = "activity" if t == 1 else "activities"
    return f"{t} #{tag} {what}" + (" a month" if goal.per == "month" else "")


def _status(
    progress: int, target: int, start: date, end: date, today: date
) -> tuple[str, int, int]:
    """(status, elapsed percent, expected progress by today) for a window [start, end]."""
    total = max((end - start).days, 1)
    elapsed = min(max((today - start).days, 0), total)
    expected = _ceil_div(target * elapsed, total)
    if progress >= target:
        status = DONE
    elif today > end:
        status = MISSED
    elif today < start:
        status = NOT_STARTED
    else:
        status = ON_TRACK if progress * total >= target * elapsed else BEHIND
    return status, 100 * elapsed // total, expected


def _month_bounds(d: date) -> tuple[date, date]:
    return d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _goal_row(goal: Goal, vault: Vault, today: date) -> GoalRow:
    ref = Ref(goal.name, goal.path)
    desc = describe_goal(goal, vault)
    deadline = goal.deadline
    if deadline is None:
        start = goal.start or date.min
        items = _goal_items(goal, vault, start, today)
        return GoalRow(
            goal,
            ref,
            desc,
            goal.start,
            None,
            len(items),
            goal.target,
            min(100, 100 * len(items) // goal.target),
            None,
            0,
            NO_DEADLINE,
            tuple(items),
            (),
        )
    start = goal.start or shift(deadline, -GOAL_WINDOW_DAYS)
    end = min(today, deadline)
    items = _goal_items(goal, vault, start, end) if end >= start else []

    def row(
        progress: int, elapsed: int, expected: int, status: str, months: tuple[MonthRow, ...]
    ) -> GoalRow:
        percent = min(100, 100 * progress // goal.target)
        return GoalRow(goal, ref, desc, start, deadline, progress, goal.target, percent,
                       elapsed, expected, status, tuple(items), months)  # fmt: skip

    if goal.per != "month":
        progress = len(items)
        status, elapsed, expected = _status(progress, goal.target, start, deadline, today)
        return row(progress, elapsed, expected, status, ())
    months: list[MonthRow] = []
    m_start = start.replace(day=1)
    while m_start <= end:
        lo, hi = _month_bounds(m_start)
        count = sum(1 for i in items if lo <= i.date <= hi)
        running = lo <= today <= min(hi, deadline)
        met = True if count >= goal.target else (None if running else False)
        months.append(MonthRow(f"{lo.year:04d}-{lo.month:02d}", count, goal.target, met))
        if hi >= end:
            break
        m_start = hi + timedelta(days=1)
    if today < start:
        status, elapsed, expected, progress = NOT_STARTED, 0, 0, 0
    elif today > deadline:
        progress = months[-1].count if months else 0
        status, elapsed, expected = (
            (DONE if all(m.met for m in months) else MISSED),
            100,
            goal.target,
        )
    else:
        lo, hi = _month_bounds(today)
        progress = months[-1].count if months else 0
        status, elapsed, expected = _status(
            progress, goal.target, max(lo, start), min(hi, deadline), today
        )
        if status == DONE:
            status = ON_TRACK  # a monthly goal is only done once its deadline has passed
    return row(progress, elapsed, expected, status, tuple(months))


def _goal_rows(vault: Vault, today: date) -> tuple[GoalRow, ...]:
    return per_snapshot(
        "goal_rows", vault, today, lambda: tuple(_goal_row(g, vault, today) for g in vault.goals)
    )


def goals_report(vault: Vault, today: date, *, limit: int | None = None) -> GoalsReport:
    rows = _goal_rows(vault, today)
    order = (BEHIND, ON_TRACK, NOT_STARTED, DONE, MISSED, NO_DEADLINE)
    counts = tuple((s, n) for s in order if (n := sum(r.status == s for r in rows)))
    return GoalsReport(today, _cap(rows, limit), counts)


# --- dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    rank: int  # 1-based
    kind: str  # birthday | follow-up | overdue | reconnect
    contact: Contact
    verb: str  # "Follow up with"
    detail: str  # "send the deck (due 2026-11-18)"


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    report: str  # the report name it links to ("" for none)


@dataclass(frozen=True)
class DashboardReport:
    today: date
    actions: tuple[Action, ...]
    headlines: tuple[Headline, ...]


def _candidates(
    vault: Vault, today: date, upcoming: Sequence[Event], dormant: Sequence[DormantRow]
) -> Iterator[tuple[str, Contact, str, str]]:
    """The dashboard's possible actions, most urgent first (made only as far as needed)."""
    config = vault.config
    if config.upcoming_days >= 1:  # the next day's events are the first of those
        tomorrow = shift(today, 1)
        soon = upcoming[: bisect_right(upcoming, tomorrow, key=attrgetter("date"))]
    else:
        soon = find_upcoming(vault, today, 1)
    birthdays = [e for e in soon if e.kind == BIRTHDAY]
    for e in birthdays:
        if e.in_days == 0:
            yield (BIRTHDAY, e.people[0], "Wish a happy birthday to", _join("today", e.text))
    for f in _follow_ups(vault, today):
        due = "due today" if f.days == 0 else f"due {f.due.isoformat()}"
        yield (FOLLOW_UP, f.contact, "Follow up with", f"{f.note} ({due})" if f.note else due)
    inner = set(config.rings[-2:])
    late = (row for row in _overdue_rows(vault, today)[0] if row.ring in inner)
    for s in islice(late, DASHBOARD_OVERDUE):  # inner ring first, most overdue first
        c = s.contact
        step = next_step(c.ring, config.rings)
        yield (
            "overdue",
            c,
            "Check in with",
            f"{_days(s.days_overdue or 0)} overdue ({c.ring}); {step[:1].lower()}{step[1:]}",
        )
    for e in birthdays:
        if e.in_days == 1:
            yield (BIRTHDAY, e.people[0], "Wish a happy birthday to", _join("tomorrow", e.text))
    if dormant:
        d = dormant[0]
        detail = f"last contact {d.last_contact.isoformat()}" + (f" ({d.about})" if d.about else "")
        yield ("reconnect", d.contact, "Revive your tie with", detail)


def dashboard_report(vault: Vault, today: date, *, limit: int | None = None) -> DashboardReport:
    """Ranked actions: birthdays today, follow-ups due, the most overdue inner-ring people,
    birthdays tomorrow, one dormant tie; one action per person."""
    config = vault.config
    limit = DASHBOARD_ACTIONS if limit is None else limit
    upcoming = find_upcoming(vault, today, config.upcoming_days)
    dormant = find_dormant(vault, today, config.dormant_days)
    actions: list[Action] = []
    seen: set[str] = set()
    for kind, c, verb, detail in _candidates(vault, today, upcoming, dormant):
        if len(actions) >= limit:
            break  # the rest could only be left out
        if c.path in seen:
            continue
        seen.add(c.path)
        actions.append(Action(len(actions) + 1, kind, c, verb, detail))
    overdue = overdue_report(vault, today)
    funnel_30 = _moves(vault, shift(today, -FUNNEL_PERIODS[0]), today)
    goals = _goal_rows(vault, today)
    heads = (
        Headline("People", str(len(active(vault))), "funnel"),
        Headline("Overdue for a check-in", str(overdue.overdue_count), "overdue"),
        Headline("Never contacted", str(overdue.never_count), "overdue"),
        Headline("Follow-ups due", str(overdue.follow_up_count), "overdue"),
        Headline(f"Coming up in {config.upcoming_days} days", str(len(upcoming)), "upcoming"),
        Headline("Dormant ties", str(len(dormant)), "reconnect"),
        Headline(
            f"Moved inward in {FUNNEL_PERIODS[0]} days",
            str(sum(m.direction == "inward" for m in funnel_30)),
            "funnel",
        ),
        Headline(
            "Goals on track or done",
            f"{sum(g.status in (ON_TRACK, DONE) for g in goals)} of {len(goals)}",
            "goals",
        ),
    )
    return DashboardReport(today, tuple(actions), heads)


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"
