"""Dates as a vault writes them: ISO dates, year-less birthdays, cadences, and
daily-note file names in Obsidian's moment.js formats.

This module owns turning user text into dates and day counts. It never reads
the clock: "today" always comes from the caller.
"""

from __future__ import annotations

import re
from datetime import date

from .model import Birthday

_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$)"
)


# parse_date's answers by the text: a vault writes few dates in many properties
# (`last_contact`, `created`, `date`). Dates are immutable, so callers may share them. Each
# key is a copy of the text: a person's record keeps its property values, and one that the
# memo held too would marshal differently (with a reference flag).
_DATES: dict[str, date | None] = {}
_MAX_DATES = 8192
_COPY = ("", "")  # text.join(_COPY): a string equal to text, but another object


def parse_date(value: object) -> date | None:
    """An ISO date (optionally with a time, which is dropped); None when not a date."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    if value in _DATES:
        return _DATES[value]
    found = _read_date(value)
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    _DATES[value.join(_COPY)] = found
    return found


def _read_date(value: str) -> date | None:
    """parse_date for text, without the memo."""
    m = _ISO_DATE.match(value.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_BIRTHDAY_NOYEAR = re.compile(r"^(?:--)?(\d{2})-?(\d{2})$")


def parse_birthday(value: object) -> Birthday | None:
    """`YYYY-MM-DD`, or year-less `--MM-DD`, `--MMDD` or `MM-DD`; None when invalid."""
    if isinstance(value, date):
        return Birthday(value.month, value.day, value.year)
    if not isinstance(value, str):
        return None
    text = value.strip()
    full = parse_date(text)
    if full is not None:
        return Birthday(full.month, full.day, full.year)
    m = _BIRTHDAY_NOYEAR.match(text)
    if not m or (not text.startswith("--") and "-" not in text):
        return None
    month, day = int(m.group(1)), int(m.group(2))
    try:
        date(2000, month, day)  # a leap year, so --02-29 is valid
    except ValueError:
        return None
    return Birthday(month, day, None)


def next_birthday(b: Birthday, today: date) -> date:
    """The next occurrence on or after today (Feb 29 falls on Feb 28 in common years)."""
    for year in (today.year, today.year + 1):
        try:
            d = date(year, b.month, b.day)
        except ValueError:
            d = date(year, 2, 28)
        if d >= today:
            return d
    raise AssertionError("unreachable")


_CADENCE_WORDS = {
    "daily": 1,
    "weekly": 7,
    "biweekly": 14,
    "fortnightly": 14,
    "monthly": 30,
    "bimonthly": 60,
    "quarterly": 91,
    "biannually": 182,
    "semiannually": 182,
    "yearly": 365,
    "annually": 365,
}
_CADENCE_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}
_CADENCE_RE = re.compile(r"^(\d+)\s*([dwmy])$")


def parse_cadence(value: object) -> int | None:
    """Days between check-ins: `30d`, `6w`, `3m`, `1y`, a word, or an integer; None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in _CADENCE_WORDS:
        return _CADENCE_WORDS[text]
    if text.isdigit():
        n = int(text)
        return n if n > 0 else None
    m = _CADENCE_RE.match(text)
    if not m:
        return None
    n = int(m.group(1)) * _CADENCE_UNITS[m.group(2)]
    return n if n > 0 else None


# moment.js tokens -> regex groups, longest first.
_MOMENT_TOKENS = [
    ("YYYY", r"(?P<Y>\d{4})"),
    ("MMMM", r"(?P<MMMM>[A-Za-z]+)"),
    ("MMM", r"(?P<MMM>[A-Za-z]{3})"),
    ("MM", r"(?P<M>\d{2})"),
    ("M", r"(?P<M>\d{1,2})"),
    ("DD", r"(?P<D>\d{2})"),
    ("Do", r"(?P<D>\d{1,2})(?:st|nd|rd|th)"),  # before "D", which would take its D
    ("D", r"(?P<D>\d{1,2})"),
    ("dddd", r"[A-Za-z]+"),
    ("ddd", r"[A-Za-z]{3}"),
    ("YY", r"(?P<YY>\d{2})"),
]
_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip


def moment_regex(fmt: str) -> re.Pattern[str]:
    """Compile an Obsidian daily-note format (moment.js tokens) into a full-match regex."""
    out: list[str] = []
    i = 0
    seen: set[str] = set()
    while i < len(fmt):
        if fmt[i] == "[":  # literal text in brackets
            j = fmt.find("]", i)
            if j == -1:
                j = len(fmt)
            out.append(re.escape(fmt[i + 1 : j]))
            i = j + 1
            continue
        for token, rx in _MOMENT_TOKENS:
            if fmt.startswith(token, i):
                name = rx[4 : rx.find(">")] if rx.startswith("(?P<") else None
                if name and name in seen:  # a repeated token must not redefine a group
                    rx = re.sub(r"\(\?P<\w+>", "(?:", rx)
                elif name:
                    seen.add(name)
                out.append(rx)
                i += len(token)
                break
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return re.compile("".join(out) + r"$")


def match_moment(rx: re.Pattern[str], text: str) -> date | None:
    m = rx.match(text)
    if not m:
        return None
    g = m.groupdict()
    try:
        if g.get("Y"):
            year = int(g["Y"])
        elif g.get("YY"):
            year = 2000 + int(g["YY"])
        else:
            return None
        if g.get("M"):
            month = int(g["M"])
        elif g.get("MMMM"):
            month = _MONTHS.index(g["MMMM"].lower()) + 1
        elif g.get("MMM"):
            month = [m_[:3] for m_ in _MONTHS].index(g["MMM"].lower()) + 1
        else:
            return None
        return date(year, month, int(g["D"]))
    except (ValueError, KeyError, TypeError):
        return None


_LEADING_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?=$|[ _.\-])")


# leading_date's answers by what it reads of a name: its first 11 characters (the date
# and the one after it), or 12 when the 11th is a line break, which `$` matches only last.
# Vaults have few dates in many names.
_LEADING_DATES: dict[str, date | None] = {}
_MAX_LEADING_DATES = 8192


def leading_date(stem: str) -> date | None:
    """A date at the start of a file name such as `2026-02-14 Lunch with Maya`."""
    if stem[4:5] != "-":  # most names: no regex at all
        return None
    key = stem[:11] if stem[10:11] != "\n" else stem[:12]
    if key in _LEADING_DATES:
        return _LEADING_DATES[key]
    found = _read_leading_date(stem)
    if len(_LEADING_DATES) >= _MAX_LEADING_DATES:
        _LEADING_DATES.clear()
    _LEADING_DATES[key] = found
    return found


def _read_leading_date(stem: str) -> date | None:
    if not _LEADING_DATE.match(stem):
        return None
    try:
        if stem[:10].isascii():  # fromisoformat reads ASCII digits only; \d is any decimal digit
            return date.fromisoformat(stem[:10])
        return date(int(stem[:4]), int(stem[5:7]), int(stem[8:10]))
    except ValueError:
        return None
