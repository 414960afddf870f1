"""One note's bytes -> a NoteRecord: what kith needs from it, with line numbers.

This module owns reading a single note the way Obsidian does: front matter
(through `frontmatter`), whether the note is a person, a goal or an ordinary
note, its date (daily-note name, a dated file name or a `date:` property), the
links that count as contact (not embeds, unchecked tasks, code or comments),
a person's log lines and stage moves, and field validation with `path:line`
problems. It keeps only what the index needs, never note bodies. It reads
nothing but the bytes it is given, and never resolves links (that needs the
whole vault: see `links`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import unquote

from .blocks import find_blocks
from .config import Config
from .dates import (
    leading_date,
    match_moment,
    moment_regex,
    parse_birthday,
    parse_cadence,
    parse_date,
)
from .frontmatter import read_front_matter
from .model import ERROR, INTERACTION_KINDS, WARNING, Problem
from .textutil import decode_note

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


# --- body scanning -----------------------------------------------------------------

_WIKI = re.compile(r"\[\[([^\]\n]*?)\]\]")
_MDLINK = re.compile(r"\[([^\]\n]*)\]\((<[^>\n]+>|[^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_UNCHECKED = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[ \]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[^\]]\]\s+)?")
# A dated list item (bulleted or numbered); an unchecked task `- [ ] …` is a plan, not a log line.
# The date may be a link to the daily note: `- [[2026-11-03]] call: …`.
_LOG_ITEM = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[xX]\]\s+)?"
    r"(?:(\d{4}-\d{2}-\d{2})\b|\[\[(\d{4}-\d{2}-\d{2})(?:\|[^\]\n]*)?\]\])"
    r"[ \t]*:?[ \t]*(.*?)\s*$"
)
_EMBED_BANG = re.compile(r"!(?=\[)")
_DATE_LIKE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\b")
_MOVE = re.compile(r"^(?:stage|ring)\s*:\s*(.+?)\s*(?:→|->|=>)\s*(.+?)\s*$", re.IGNORECASE)
_KIND = re.compile(r"^([A-Za-z]+)\s*:\s*(.*)$")
_TAG = re.compile(r"#([\w/-]*[^\W\d_][\w/-]*)")  # preceding character checked by hand
_WS = re.compile(r"\s+")
_DIRECTION_TAG = re.compile(r"(?<![\w/])#(give|ask)\b", re.IGNORECASE)


def split_target(inner: str) -> tuple[str, str | None]:
    """`Target#Heading|Shown` -> ('Target', 'Shown'); handles `\\|` inside tables."""
    inner = inner.replace("\\|", "|")
    target, _, shown = inner.partition("|")
    target = target.split("#", 1)[0].split("^", 1)[0].strip()
    return target, (shown.strip() or None)


def link_target(value: object) -> str | None:
    """The target of a property value written as a quoted link `"[[Target|x]]"`."""
    if isinstance(value, str):
        m = _WIKI.search(value)
        if m:
            target, _ = split_target(m.group(1))
            return target or None
    return None


def display_text(value: str) -> str:
    """A property or line with links shown as Obsidian shows them ([[A|B]] -> B)."""

    def repl(m: re.Match[str]) -> str:
        target, shown = split_target(m.group(1))
        return shown or target.rsplit("/", 1)[-1]

    return _WIKI.sub(repl, value).strip()


def _strip_line(text: str) -> str:
    text = _LIST_ITEM.sub("", text, count=1)
    text = _DIRECTION_TAG.sub("", text)
    if "!" in text:  # an embed in a summary reads as its name, like a link
        text = _EMBED_BANG.sub("", text)
    text = display_text(_MDLINK.sub(lambda m: m.group(1), text))
    text = _WS.sub(" ", text).strip(" -–—:")
    return text[:160]


def _direction(text: str) -> str | None:
    found = {m.group(1).lower() for m in _DIRECTION_TAG.finditer(text)}
    if len(found) == 1:
        return found.pop()
    return None


def _kind_of(text: str, default: str) -> str:
    word = text.split(None, 1)[0].strip(":,.").casefold() if text.strip() else ""
    return word if word in INTERACTION_KINDS else default


_MASK = re.compile(
    r"^ {0,3}(?P<fence>`{3,}|~{3,})[^\n]*(?:\n.*?(?:\n {0,3}(?P=fence)[`~]*[ \t]*(?=\n|\Z))|.*\Z)"  # fences
    r"|<!--.*?(?:-->|\Z)"  # HTML comments
    r"|%%.*?(?:%%|\Z)"  # Obsidian comments
    r"|(?P<tick>`+)[^\n]*?(?P=tick)",  # inline code on one line
    re.M | re.S,
)


def _blank(m: re.Match[str]) -> str:
    return "\n" * m.group(0).count("\n")


def visible_text(body: str) -> str:
    """The body with line endings normalised to \\n and code and comments blanked out
    (newlines kept, so line numbers stay right). Only \\r\\n, \\r and \\n end lines."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if "`" in body or "~~~" in body or "<!--" in body or "%%" in body:
        body = _MASK.sub(_blank, body)
    return body


def _without_blocks(text: str, path: str, body: str, body_line: int) -> str:
    """`body` (from visible_text) with the lines of kith's own generated blocks blanked:
    what kith wrote there is never contact. Blocks are found by `blocks`, the one
    definition of the markers; a note with broken markers keeps its text."""
    blocks, _ = find_blocks(text, path)
    if not blocks:
        return body
    lines = body.split("\n")
    for b in blocks:
        for n in range(max(b.begin_line, body_line), b.end_line + 1):
            if 0 <= n - body_line < len(lines):
                lines[n - body_line] = ""
    return "\n".join(lines)


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end != -1 else len(text)]


def _body_links(text: str, first_line: int) -> list[tuple[str, int, str]]:
    """(target, line, line text) for every link in visible text that may count as contact."""
    found: list[tuple[str, int, str]] = []
    has_md = "](" in text
    if "[[" not in text and not has_md:
        return found
    hits: list[tuple[int, str]] = []
    for m in _WIKI.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "!":
            continue  # embed
        target, _ = split_target(m.group(1))
        if target:
            hits.append((m.start(), target))
    if has_md:
        for m in _MDLINK.finditer(text):
            if m.start() > 0 and text[m.start() - 1] == "!":
                continue
            href = m.group(2)
            if href.startswith("<"):
                href = href[1:-1]
            if "://" in href or href.startswith(("mailto:", "#", "obsidian:")):
                continue
            href = unquote(href.split("#", 1)[0])
            if href.endswith(".md"):
                hits.append(
                    (m.start(), href if href.startswith(("./", "../", "/")) else "./" + href)
                )
        hits.sort()
    line, last = first_line, 0
    for pos, target in hits:
        line += text.count("\n", last, pos)
        last = pos
        ctx = _line_at(text, pos)
        if _UNCHECKED.match(ctx):
            continue  # an intention ("- [ ] email [[Sam]]"), not contact
        found.append((target, line, ctx))
    return found


def _body_tags(text: str) -> set[str]:
    if "#" not in text:
        return set()
    out = set()
    for m in _TAG.finditer(text):
        i = m.start()
        if i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_/&#"):
            out.add(m.group(1).casefold())
    return out


def _fm_tags(value: object) -> set[str]:
    out: set[str] = set()
    if isinstance(value, str):
        value = [t for t in re.split(r"[,\s]+", value) if t]
    if isinstance(value, list):
        for t in value:
            if isinstance(t, str) and t.strip("# "):
                out.add(t.strip().lstrip("#").casefold())
    return out


def _fm_links(fm: dict[str, Any], key_lines: dict[str, int]) -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    for key, value in fm.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            t = link_target(item)
            if t:
                out.append((t, key_lines.get(key, 1), ""))
    return out


# --- person fields ----------------------------------------------------------------


def _as_list(value: object) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None and v != ""]
    if isinstance(value, str) and "," in value and "[[" not in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _text(value: object) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _display(value: object) -> str | None:
    t = _text(value)
    return display_text(t) if t else None


def read_person(fm: dict[str, Any], key_lines: dict[str, int], stem: str, path: str,
                config: Config, problems: list[Problem]) -> dict[str, Any]:  # fmt: skip
    """Normalise a person's front matter; bad values become problems and are dropped."""
    by_field: dict[str, tuple[str, Any]] = {}
    for key, value in fm.items():
        f = config.field_for(key)
        if f and (f not in by_field or key == f):  # the exact spelling wins
            by_field[f] = (key, value)

    def get(f: str) -> tuple[Any, int | None]:
        if f in by_field:
            key, value = by_field[f]
            return value, key_lines.get(key)
        return None, None

    def bad(f: str, line: int | None, msg: str, hint: str) -> None:
        problems.append(Problem(path, line, msg, hint, ERROR))

    p: dict[str, Any] = {}
    name = _text(get("name")[0])
    p["name"] = unicodedata.normalize("NFC", name or stem)
    p["aliases"] = [
        str(a).strip()
        for a in _as_list(get("aliases")[0])
        if isinstance(a, (str, int)) and str(a).strip()
    ]
    stage, line = get("stage")
    ring = None
    if _text(stage) is not None:
        s = str(_text(stage)).casefold()
        if s in config.rings:
            ring = s
        else:
            bad(
                "stage",
                line,
                f"stage '{_text(stage)}' is not a ring",
                f"use one of: {', '.join(config.rings)}",
            )
    p["ring"] = ring
    cad, line = get("cadence")
    p["cadence_days"] = None
    if _text(cad) is not None:
        days = parse_cadence(cad)
        if days is None:
            bad(
                "cadence",
                line,
                f"cadence '{_text(cad)}' is not a cadence",
                "use 30d, 6w, 3m, 1y, weekly, monthly, quarterly, yearly or a number of days",
            )
        p["cadence_days"] = days
    for f in ("last_contact", "follow_up", "created"):
        value, line = get(f)
        d = None
        if _text(value) is not None:
            d = parse_date(value)
            if d is None:
                bad(f, line, f"{f} '{_text(value)}' is not a date", "use YYYY-MM-DD")
        p[f] = d.toordinal() if d else None
    p["follow_up_note"] = _display(get("follow_up_note")[0])
    bday, line = get("birthday")
    p["birthday"] = None
    if _text(bday) is not None:
        b = parse_birthday(bday)
        if b is None:
            bad(
                "birthday",
                line,
                f"birthday '{_text(bday)}' is not a date",
                "use YYYY-MM-DD, or --MM-DD when you don't know the year",
            )
        else:
            p["birthday"] = (b.month, b.day, b.year)
    company = get("company")[0]
    p["company"] = _display(company)
    p["company_link"] = link_target(
        company[0] if isinstance(company, list) and company else company
    )
    for f in ("role", "email", "phone", "linkedin"):
        p[f] = _display(get(f)[0])
    tags = sorted(_fm_tags(get("tags")[0]))
    p["tags"] = tags
    p["introduced_by"] = [
        t for t in (link_target(v) or _text(v) for v in _as_list(get("introduced_by")[0])) if t
    ]
    p["knows"] = [t for t in (link_target(v) or _text(v) for v in _as_list(get("knows")[0])) if t]
    p["interests"] = [
        display_text(str(v))
        for v in _as_list(get("interests")[0])
        if isinstance(v, (str, int, float))
    ]
    archived, line = get("archived")
    p["archived"] = archived is True or (
        isinstance(archived, str) and archived.strip().casefold() == "true"
    )
    return p


# --- the note -----------------------------------------------------------------------


class NoteParser:
    """Parses notes for one config; reusable across many notes (and processes)."""

    def __init__(self, config: Config):
        self.config = config
        self.daily_rx = moment_regex(config.daily_format)
        self.daily_prefix = (config.daily_folder + "/") if config.daily_folder else ""
        self.headings = {h.casefold() for h in config.log_headings}
        self.people_prefixes = tuple(f + "/" for f in config.people_folders if f)
        self.people_types = {t.casefold() for t in config.people_types}
        self.people_tags = {t.casefold() for t in config.people_tags}
        self.people_categories = {c.casefold() for c in config.people_categories}

    def note_date(self, path: str, stem: str, fm: dict[str, Any] | None) -> date | None:
        if path.startswith(self.daily_prefix):
            rel = path[len(self.daily_prefix) : -3]
            d = match_moment(self.daily_rx, rel) or match_moment(self.daily_rx, stem)
            if d:
                return d
        d = leading_date(stem)
        if d:
            return d
        if fm:
            for key in ("date", "Date"):
                if key in fm:
                    return parse_date(fm[key])
        return None

    def is_person(self, path: str, fm: dict[str, Any] | None, tags: set[str]) -> bool:
        if path.startswith(self.people_prefixes):
            return True
        if not fm:
            return False
        t = fm.get("type")
        for v in _as_list(t):
            if isinstance(v, str) and (
                v.casefold() in self.people_types
                or (link_target(v) or "").casefold() in self.people_types
            ):
                return True
        if self.people_tags & tags:
            return True
        if self.people_categories:
            for v in _as_list(fm.get("categories")):
                target = link_target(v) or (v if isinstance(v, str) else "")
                if target.casefold() in self.people_categories:
                    return True
        return False

    def parse(self, path: str, data: bytes) -> NoteRecord:
        rec = NoteRecord(path)
        stem = path.rsplit("/", 1)[-1][:-3]
        if len(data) > MAX_NOTE_BYTES:
            rec.problems.append(Problem(path, None, f"is {len(data)} bytes, over the {MAX_NOTE_BYTES} byte limit; skipped",
                                        "split the note, or move large content out of the vault"))  # fmt: skip
            return rec
        if b"\x00" in data:
            utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
            rec.problems.append(Problem(path, None, "is UTF-16 encoded; skipped" if utf16 else "contains a NUL byte (not a text note); skipped",
                                        "save it as UTF-8" if utf16 else "remove it, or rename it so it does not end in .md"))  # fmt: skip
            return rec
        try:
            text, _bom = decode_note(data)
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            rec.problems.append(Problem(path, line, f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); skipped",
                                        "re-save the note as UTF-8 in your editor"))  # fmt: skip
            return rec
        rec.has_blocks = "<!-- kith:" in text
        fm_res = read_front_matter(text, path)
        rec.problems.extend(fm_res.problems)
        if not fm_res.ok:
            return rec
        fm = fm_res.data
        body = visible_text(text[fm_res.body_offset :])
        if rec.has_blocks:
            body = _without_blocks(text, path, body, fm_res.body_line)
        fm_tags = _fm_tags(fm.get("tags")) if fm else set()
        config = self.config
        if self.is_person(path, fm, fm_tags):
            rec.kind = PERSON
            rec.fm = fm or {}
            rec.person = read_person(
                rec.fm, dict(fm_res.key_lines), stem, path, config, rec.problems
            )
            rec.tags = tuple(sorted(fm_tags))
            self._parse_log(rec, body, fm_res.body_line)
            return rec
        if fm and isinstance(fm.get("type"), str) and fm["type"].strip().casefold() == "goal":
            rec.kind = GOAL
            rec.fm = fm
            rec.title = stem
            rec.problems.extend(check_goal(fm, dict(fm_res.key_lines), path))
            return rec
        d = self.note_date(path, stem, fm)
        if d is None:  # undated notes are never contact: keep nothing but their problems
            rec.tags = tuple(sorted(fm_tags))
            for key in ("date", "Date"):
                value = fm.get(key) if fm else None
                if isinstance(value, str) and _DATE_LIKE.match(value):
                    rec.problems.append(Problem(path, fm_res.key_lines.get(key), f"date '{value}' is not a date; the note is not dated, so its links are not contact",
                                                "use YYYY-MM-DD", WARNING))  # fmt: skip
            return rec
        rec.tags = tuple(sorted(fm_tags | _body_tags(body)))
        rec.date = d.toordinal()
        # A daily note keeps its whole name as title, whatever its format ("2026-11-03 Tuesday").
        is_daily = path.startswith(self.daily_prefix) and (
            match_moment(self.daily_rx, path[len(self.daily_prefix) : -3]) is not None
            or match_moment(self.daily_rx, stem) is not None
        )
        title = stem
        if not is_daily and leading_date(stem) is not None:
            title = stem[10:].strip(" -_.") or stem
        rec.title = title
        note_kind = "note" if is_daily else _kind_of(title, "meeting")
        note_dir = None
        if fm_tags & {"give", "ask"} and len(fm_tags & {"give", "ask"}) == 1:
            note_dir = next(iter(fm_tags & {"give", "ask"}))
        seen: set[str] = set()
        links = []
        candidates = (_fm_links(fm, dict(fm_res.key_lines)) if fm else []) + _body_links(
            body, fm_res.body_line
        )
        for target, line, ctx in candidates:
            key = target.casefold()
            if key in seen:
                continue
            seen.add(key)
            if is_daily and ctx:
                summary = _strip_line(ctx)
                kind = _kind_of(summary, "note")
                direction = _direction(ctx) or note_dir
            else:
                summary = title
                kind = note_kind
                direction = (_direction(ctx) if ctx else None) or note_dir
            links.append((target, line, summary, kind, direction))
        rec.links = links
        return rec

    def _parse_log(self, rec: NoteRecord, body: str, first_line: int) -> None:
        in_log = False
        log_level = 0
        path = rec.path
        for i, text in enumerate(body.split("\n")):
            n = first_line + i
            if text.startswith("#"):
                m = _HEADING.match(text)
                if m:
                    level = len(m.group(1))
                    if m.group(2).strip().casefold() in self.headings:
                        in_log, log_level = True, level
                        continue
                    if in_log and level <= log_level:
                        in_log = False
                    continue
            if not in_log:
                continue
            m = _LOG_ITEM.match(text)
            if not m:
                continue
            day = m.group(1) or m.group(2)
            d = parse_date(day)
            if d is None:
                rec.problems.append(Problem(path, n, f"log date '{day}' is not a valid date; line skipped",
                                            "use YYYY-MM-DD", WARNING))  # fmt: skip
                continue
            rest = m.group(3)
            mv = _MOVE.match(rest)
            if mv:
                old, new = mv.group(1).strip().casefold(), mv.group(2).strip().casefold()
                bad = [r for r in (old, new) if r not in self.config.rings]
                if bad:
                    rec.problems.append(Problem(path, n, f"stage move names unknown ring '{bad[0]}'; line skipped",
                                                f"use one of: {', '.join(self.config.rings)}", WARNING))  # fmt: skip
                    continue
                rec.moves.append((d.toordinal(), old, new, n))
                continue
            direction = _direction(rest)
            km = _KIND.match(rest)
            if km and km.group(1).casefold() in INTERACTION_KINDS:
                kind, summary = km.group(1).casefold(), km.group(2)
            else:
                kind, summary = "note", rest
            rec.log.append((d.toordinal(), kind, direction, _strip_line(summary), n))


# --- goals --------------------------------------------------------------------------

GOAL_METRICS = ("moves", "activity", "added")


def check_goal(fm: dict[str, Any], key_lines: dict[str, int], path: str) -> list[Problem]:
    out: list[Problem] = []
    metric = fm.get("metric", "moves")
    if not isinstance(metric, str) or metric.strip().casefold() not in GOAL_METRICS:
        out.append(Problem(path, key_lines.get("metric"), f"goal metric '{metric}' is not known",
                           f"use one of: {', '.join(GOAL_METRICS)}"))  # fmt: skip
    target = fm.get("target")
    if isinstance(target, bool) or not isinstance(target, int) or target <= 0:
        out.append(Problem(path, key_lines.get("target"), f"goal target '{target}' is not a positive whole number",
                           "write e.g. target: 3"))  # fmt: skip
    for key in ("deadline", "start"):
        if key in fm and fm[key] not in (None, "") and parse_date(fm[key]) is None:
            out.append(
                Problem(
                    path,
                    key_lines.get(key),
                    f"goal {key} '{fm[key]}' is not a date",
                    "use YYYY-MM-DD",
                )
            )
    if "deadline" not in fm or fm["deadline"] in (None, ""):
        out.append(
            Problem(
                path,
                key_lines.get("type"),
                "goal has no deadline",
                "add deadline: YYYY-MM-DD",
                WARNING,
            )
        )
    return out
