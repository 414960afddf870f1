"""The report questions: pure functions of (vault, today, options) that the reports show.

This module owns everything a report or a terminal view computes: who is overdue
and what to do about them, how people move through the rings, what comes up in
the next days, which ties went dormant, the give/ask balance, goal progress and
the dashboard's ranked actions. Grouping, sorting (always with name tie-breaks)
and arithmetic happen here, so templates only loop and format. Results are
frozen dataclasses of plain values and `Contact`s; the `*_json` functions give
their JSON shapes. It never reads or writes files, never formats Markdown and
never looks at the clock.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .dates import next_birthday
from .model import Contact, DatedNote, Goal, Interaction, Move
from .query import Status, find_overdue, per_snapshot, status_map
from .vault import Vault

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
    rows = [
        FollowUpRow(c, c.ring, c.follow_up, (today - c.follow_up).days, c.follow_up_note or "")
        for c in vault.active
        if c.follow_up is not None and c.follow_up <= today and _ring_ok(c, ring)
    ]
    rows.sort(key=lambda r: (r.due, *name_order(r.contact)))
    return rows


def overdue_report(
    vault: Vault, today: date, *, ring: str | None = None, limit: int | None = None
) -> OverdueReport:
    """Overdue contacts by ring (inner first, most overdue first), never contacted, follow-ups."""
    rings = vault.config.rings
    order = _Rings(rings)
    overdue = [s for s in find_overdue(vault, today) if _ring_ok(s.contact, ring)]
    late = [s for s in overdue if s.days_overdue is not None]
    never = [s for s in overdue if s.never_contacted]
    by_ring: dict[str | None, list[OverdueRow]] = {}
    for s in sorted(
        late,
        key=lambda s: (
            order.inner_first(s.contact.ring),
            -(s.days_overdue or 0),
            *name_order(s.contact),
        ),
    ):
        by_ring.setdefault(s.contact.ring, []).append(overdue_row(s, rings, today))
    groups: list[RingGroup] = []
    left = limit
    for r, rows in by_ring.items():
        if left is not None and left <= 0:
            break
        taken = _cap(rows, left)
        if left is not None:
            left -= len(taken)
        groups.append(RingGroup(r, ring_label(r), next_step(r, rings), taken))
    never_rows = [
        overdue_row(s, rings, today)
        for s in sorted(
            never, key=lambda s: (order.inner_first(s.contact.ring), *name_order(s.contact))
        )
    ]
    follow = find_follow_ups(vault, today, ring)
    return OverdueReport(
        today,
        tuple(groups),
        _cap(never_rows, limit),
        _cap(follow, limit),
        len(late),
        len(never_rows),
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


def _moves(vault: Vault, since: date, today: date) -> list[MoveRow]:
    order = _Rings(vault.config.rings)
    rows = []
    for c in vault.active:
        for m in c.moves:
            direction = order.direction(m)
            if direction and since <= m.date <= today:
                rows.append(MoveRow(c, m.date, m.from_ring, m.to_ring, direction))
    rows.sort(key=lambda r: (-r.date.toordinal(), *name_order(r.contact), r.from_ring, r.to_ring))
    return rows


def _added(vault: Vault, since: date, today: date) -> list[AddedRow]:
    rows = []
    for c in vault.active:
        d = added_on(c, today)
        if d is not None and since <= d <= today:
            rows.append(AddedRow(c, d, c.ring))
    rows.sort(key=lambda r: (-r.date.toordinal(), *name_order(r.contact)))
    return rows


def last_activity(c: Contact, today: date) -> date | None:
    """The newest interaction, move or added date on or before today."""
    dates = [i.date for i in c.interactions if i.date <= today]
    dates += [m.date for m in c.moves if m.date <= today]
    if c.manual_last_contact is not None and c.manual_last_contact <= today:
        dates.append(c.manual_last_contact)
    a = added_on(c, today)
    if a is not None and a <= today:
        dates.append(a)
    return max(dates) if dates else None


def find_stalled(vault: Vault, today: date, days: int) -> list[StalledRow]:
    """People in any ring but the innermost with no interaction and no move for `days`."""
    rings = vault.config.rings
    order = _Rings(rings)
    rows = []
    for c in vault.active:
        if c.ring is None or c.ring == rings[-1]:
            continue
        since = last_activity(c, today)
        if since is None or (today - since).days > days:
            rows.append(StalledRow(c, c.ring, since, (today - since).days if since else None))
    rows.sort(
        key=lambda r: (order.inner_first(r.ring), r.since or date.min, *name_order(r.contact))
    )
    return rows


def _conversion(vault: Vault, since: date, today: date) -> list[ConversionRow]:
    rings = vault.config.rings
    order = _Rings(rings)
    held: dict[str, set[str]] = {r: set() for r in rings}
    moved: dict[str, set[str]] = {r: set() for r in rings}
    for c in vault.active:
        a = added_on(c, today)
        if a is not None and a > today:
            continue
        start = max(since, a) if a is not None else since
        rings_held = {ring_on(c, start)}
        for m in c.moves:
            if start <= m.date <= today:
                rings_held.update((m.from_ring, m.to_ring))
                if order.direction(m) == "inward":
                    moved[m.from_ring].add(c.path)
        for r in rings_held:
            if r in held:
                held[r].add(c.path)
    out = []
    for r in rings[:-1]:
        n, k = len(held[r]), len(moved[r] & held[r])
        out.append(ConversionRow(r, ring_label(r), n, k, (100 * k) // n if n else None))
    return out


def funnel_report(vault: Vault, today: date, *, limit: int | None = None) -> FunnelReport:
    config = vault.config
    active = vault.active
    counts = {r: 0 for r in config.rings}
    no_ring = 0
    for c in active:
        if c.ring in counts:
            counts[c.ring] += 1
        else:
            no_ring += 1
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
        total=len(active),
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
    anniversaries in [today, today+days] (kept for the same snapshot: several reports ask)."""
    events = per_snapshot(
        "upcoming",
        vault,
        (today, days, ring),
        lambda: _find_upcoming(vault, today, days, ring=ring),
    )
    return list(events)


def _find_upcoming(vault: Vault, today: date, days: int, *, ring: str | None = None) -> list[Event]:
    until = shift(today, days)
    events: list[tuple[tuple[Any, ...], Event]] = []

    def add(
        d: date,
        kind: str,
        people: tuple[Contact, ...],
        text: str,
        note: Ref | None = None,
        **extra: int | None,
    ) -> None:
        n = (d - today).days
        e = Event(
            d,
            WEEKDAYS[d.weekday()],
            n,
            _when(n),
            kind,
            EVENT_LABELS[kind],
            people,
            text,
            note,
            **extra,
        )
        key = (d, _EVENT_ORDER[kind], *name_order(people[0]), note.path if note else "")
        events.append((key, e))

    meetings: dict[tuple[date, str, int], list[Contact]] = {}
    titles: dict[tuple[date, str, int], str] = {}
    for c in vault.active:
        if not _ring_ok(c, ring):
            continue
        if c.birthday is not None and today.year < date.max.year:
            d = next_birthday(c.birthday, today)
            if d <= until:
                age = d.year - c.birthday.year if c.birthday.year else None
                add(d, BIRTHDAY, (c,), f"turns {age}" if age else "", age=age)
        if c.follow_up is not None and today <= c.follow_up <= until:
            add(c.follow_up, FOLLOW_UP, (c,), c.follow_up_note or "")
        s = status_map(vault, today)[c.path]
        if s.cadence_days and s.last_contact is not None:
            due = shift(s.last_contact, s.cadence_days)
            if today <= due <= until and due != c.follow_up:
                add(
                    due,
                    CHECK_IN,
                    (c,),
                    f"every {s.cadence_days} days, last contact {s.last_contact.isoformat()}",
                )
        for i in c.interactions:  # newest first: stop at the past
            if i.date <= today:
                break
            if i.date <= until:
                key = (i.date, i.source, i.line if i.source == c.path else 0)
                meetings.setdefault(key, []).append(c)
                titles[key] = describe(i) if i.source == c.path else i.summary
        first = first_contact(c, today)
        if first is not None:
            for year in range(today.year, min(today.year + 1, date.max.year) + 1):
                d = _anniversary(first.date, year)
                years = year - first.date.year
                if today <= d <= until and years > 0:
                    unit = "year" if years == 1 else "years"
                    add(d, ANNIVERSARY, (c,), f"{years} {unit} since you first met", years=years)
    for key, people in meetings.items():
        people.sort(key=name_order)
        d, source, _ = key
        own = source in vault.by_path
        add(d, MEETING, tuple(people), titles[key], None if own else Ref(titles[key], source))
    events.sort(key=lambda ke: ke[0])
    return [e for _, e in events]


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
    counts = tuple(
        (EVENT_LABELS[k], n) for k in _EVENT_ORDER if (n := sum(e.kind == k for e in events))
    )
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
    order = _Rings(vault.config.rings)
    rows = [
        DormantRow(
            s.contact, s.contact.ring, s.last_contact, (today - s.last_contact).days, _about(s)
        )
        for s in status_map(vault, today).values()
        if s.last_contact is not None
        and (today - s.last_contact).days > days
        and _ring_ok(s.contact, ring)
    ]
    rows.sort(key=lambda r: (order.inner_first(r.ring), r.days, *name_order(r.contact)))
    return rows


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
    rows = []
    for c in vault.active:
        if not _ring_ok(c, ring):
            continue
        window = [i for i in c.interactions if since <= i.date <= today]
        gives = [i.date for i in window if i.direction == "give"]
        asks = [i.date for i in window if i.direction == "ask"]
        if gives or asks:
            rows.append(
                BalanceRow(
                    c,
                    c.ring,
                    len(gives),
                    len(asks),
                    len(gives) - len(asks),
                    max(gives, default=None),
                    max(asks, default=None),
                )
            )
    only = sorted((r for r in rows if not r.gives), key=lambda r: (-r.asks, *name_order(r.contact)))
    rest = sorted(
        (r for r in rows if r.gives), key=lambda r: (r.balance, -r.asks, *name_order(r.contact))
    )
    return ReciprocityReport(
        today,
        since,
        days,
        _cap(only, limit),
        _cap(rest, limit),
        sum(r.gives for r in rows),
        sum(r.asks for r in rows),
    )


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
    items: list[GoalItem] = []
    if goal.metric == "moves":
        seen: set[str] = set()
        for c in vault.active:
            for m in c.moves:  # oldest first: the first qualifying move counts
                if not start <= m.date <= end or order.direction(m) != "inward" or c.path in seen:
                    continue
                if goal.to_ring is not None and m.to_ring != goal.to_ring:
                    continue
                if goal.from_ring is not None and m.from_ring != goal.from_ring:
                    continue
                seen.add(c.path)
                items.append(GoalItem(m.date, Ref(c.name, c.path), f"{m.from_ring} → {m.to_ring}"))
    elif goal.metric == "added":
        for c in vault.active:
            d = added_on(c, end)
            if d is not None and start <= d <= end:
                items.append(GoalItem(d, Ref(c.name, c.path), c.ring or ""))
    else:
        tag = goal.tag or vault.config.exposure_tag
        for n in vault.dated_notes:
            if start <= n.date <= end and _has_tag(n, tag):
                items.append(GoalItem(n.date, Ref(n.title, n.path), n.title))
    items.sort(key=lambda i: (-i.date.toordinal(), i.ref.name.casefold(), i.ref.path))
    return items


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


def goals_report(vault: Vault, today: date, *, limit: int | None = None) -> GoalsReport:
    rows = [_goal_row(g, vault, today) for g in vault.goals]
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


def dashboard_report(vault: Vault, today: date, *, limit: int | None = None) -> DashboardReport:
    """Ranked actions: birthdays today, follow-ups due, the most overdue inner-ring people,
    birthdays tomorrow, one dormant tie; one action per person."""
    config = vault.config
    limit = DASHBOARD_ACTIONS if limit is None else limit
    order = _Rings(config.rings)
    candidates: list[tuple[str, Contact, str, str]] = []
    soon = find_upcoming(vault, today, 1)
    birthdays = [e for e in soon if e.kind == BIRTHDAY]
    for e in birthdays:
        if e.in_days == 0:
            candidates.append(
                (BIRTHDAY, e.people[0], "Wish a happy birthday to", _join("today", e.text))
            )
    for f in find_follow_ups(vault, today):
        due = "due today" if f.days == 0 else f"due {f.due.isoformat()}"
        candidates.append(
            (FOLLOW_UP, f.contact, "Follow up with", f"{f.note} ({due})" if f.note else due)
        )
    inner = set(config.rings[-2:])
    late = [
        s
        for s in find_overdue(vault, today)
        if s.days_overdue is not None and s.contact.ring in inner
    ]
    late.sort(
        key=lambda s: (
            order.inner_first(s.contact.ring),
            -(s.days_overdue or 0),
            *name_order(s.contact),
        )
    )
    for s in late[:DASHBOARD_OVERDUE]:
        c = s.contact
        step = next_step(c.ring, config.rings)
        candidates.append(
            (
                "overdue",
                c,
                "Check in with",
                f"{_days(s.days_overdue or 0)} overdue ({c.ring}); {step[:1].lower()}{step[1:]}",
            )
        )
    for e in birthdays:
        if e.in_days == 1:
            candidates.append(
                (BIRTHDAY, e.people[0], "Wish a happy birthday to", _join("tomorrow", e.text))
            )
    dormant = find_dormant(vault, today, config.dormant_days)
    if dormant:
        d = dormant[0]
        detail = f"last contact {d.last_contact.isoformat()}" + (f" ({d.about})" if d.about else "")
        candidates.append(("reconnect", d.contact, "Revive your tie with", detail))
    actions: list[Action] = []
    seen: set[str] = set()
    for kind, c, verb, detail in candidates:
        if c.path in seen or len(actions) >= limit:
            continue
        seen.add(c.path)
        actions.append(Action(len(actions) + 1, kind, c, verb, detail))
    overdue = overdue_report(vault, today)
    upcoming = find_upcoming(vault, today, config.upcoming_days)
    funnel_30 = _moves(vault, shift(today, -FUNNEL_PERIODS[0]), today)
    goals = [_goal_row(g, vault, today) for g in vault.goals]
    heads = (
        Headline("People", str(len(vault.active)), "funnel"),
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
