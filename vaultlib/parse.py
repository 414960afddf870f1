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
import sys
import unicodedata
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Any
from urllib.parse import unquote

from .blocks import find_blocks
from .config import BUILTIN_ALIASES, KNOWN_FIELDS, Config
from .dates import (
    leading_date,
    match_moment,
    moment_regex,
    parse_birthday,
    parse_cadence,
    parse_date,
)
from .frontmatter import front_matter_parts
from .model import ERROR, INTERACTION_KINDS, WARNING, Problem

# The record type lives with the store that keeps it, so that a run finding nothing changed
# need not import the parser; its names stay importable from here.
from .records import GOAL, MAX_NOTE_BYTES, NOTE, PERSON, Link, NoteRecord  # noqa: F401
from .textutil import decode_note

# --- body scanning -----------------------------------------------------------------

# (The link text runs to the first ']' or line break, so a greedy run ends where a lazy one
# would, without trying the closing brackets after each character.)
_WIKI = re.compile(r"\[\[([^\]\n]*)\]\]")
_MDLINK = re.compile(r"\[([^\]\n]*)\]\((<[^>\n]+>|[^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_UNCHECKED = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[ \]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[^\]]\]\s+)?")
# A dated list item (bulleted or numbered); an unchecked task `- [ ] …` is a plan, not a log line.
# The date may be a link to the daily note: `- [[2026-11-03]] call: …`. The rest of the line,
# without trailing whitespace, is what the line says (cut by hand: a regex tail backtracks).
# Where the rest starts with a kind (`call: …`), the lookahead reads its word (group 3) and
# where what follows it starts (group 4), as matching `([A-Za-z]+)\s*:\s*` on the rest
# would, without a second match.
_LOG_ITEM = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[xX]\]\s+)?"
    r"(?:(\d{4}-\d{2}-\d{2})\b|\[\[(\d{4}-\d{2}-\d{2})(?:\|[^\]\n]*)?\]\])"
    r"[ \t]*:?[ \t]*(?:(?=([A-Za-z]+)\s*:\s*()))?"
)
_EMBED_BANG = re.compile(r"!(?=\[)")
_DATE_LIKE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\b")
_MOVE = re.compile(r"^(?:stage|ring)\s*:\s*(.+?)\s*(?:→|->|=>)\s*(.+?)\s*$", re.IGNORECASE)
_TAG = re.compile(r"#([\w/-]*[^\W\d_][\w/-]*)")  # a tag, where no word character precedes
_WS = re.compile(r"\s+")
_MD_OPEN = re.compile(r"\]\(")
# _TAG at a '#' not after a word character or one of '/&#' (the lookbehind checks the
# character before the '#', as in _DIRECTION_TAG).
_BODY_TAG = re.compile(r"#(?<![\w/&#]#)([\w/-]*[^\W\d_][\w/-]*)")
_TAG_SPLIT = re.compile(r"[,\s]+")
# `#give` / `#ask` not after a word character or '/'. The '#' comes first (the lookbehind
# then checks the character before it) so that the regex can search for the '#'.
_DIRECTION_TAG = re.compile(r"#(?<![\w/]#)(give|ask)\b", re.IGNORECASE)

# Words every record repeats (rings, tags, interaction kinds, directions) are interned, as
# front matter keys and one-word values are (see frontmatter._word): records then hold one
# object for each, and so do the records marshal reads back (it keeps strings interned).
_intern = sys.intern
_KINDS = {kind: _intern(kind) for kind in INTERACTION_KINDS}  # each kind to itself, interned
_GIVE_ASK = frozenset({"give", "ask"})


def split_target(inner: str) -> tuple[str, str | None]:
    """`Target#Heading|Shown` -> ('Target', 'Shown'); handles `\\|` inside tables."""
    if "\\" in inner:
        inner = inner.replace("\\|", "|")
    target, _, shown = inner.partition("|")
    return _target(target), (shown.strip() or None)


def _target(inner: str) -> str:
    """split_target(inner)[0], for callers that need only the target."""
    if "\\" in inner:
        inner = inner.replace("\\|", "|")
    if "|" in inner:
        inner = inner[: inner.index("|")]
    if "#" in inner:
        inner = inner[: inner.index("#")]
    if "^" in inner:
        inner = inner[: inner.index("^")]
    return inner.strip()


def link_target(value: object) -> str | None:
    """The target of a property value written as a quoted link `"[[Target|x]]"`."""
    if isinstance(value, str) and "[[" in value:
        m = _WIKI.search(value)
        if m:
            return _target(m.group(1)) or None
    return None


def display_text(value: str) -> str:
    """A property or line with links shown as Obsidian shows them ([[A|B]] -> B)."""
    if "[[" not in value:
        return value.strip()
    return _WIKI.sub(_shown, value).strip()


def _shown(m: re.Match[str]) -> str:
    target, shown = split_target(m.group(1))
    return shown or target.rsplit("/", 1)[-1]


def _md_text(m: re.Match[str]) -> str:
    return m.group(1)


def _strip_line(text: str) -> str:
    # Each substitution runs only when the text holds what it looks for.
    first = text[:1]
    if first and (first in "-*+" or first.isspace() or first.isdecimal()):  # _LIST_ITEM's start
        m = _LIST_ITEM.match(text)
        if m:
            text = text[m.end() :]
    if "#" in text:
        text = _DIRECTION_TAG.sub("", text)
    if "!" in text:  # an embed in a summary reads as its name, like a link
        text = _EMBED_BANG.sub("", text)
    if "]" in text and "](" in text:
        text = _MDLINK.sub(_md_text, text)
    text = display_text(text) if "[" in text and "[[" in text else text.strip()
    # Every whitespace character but the space is unprintable, so this finds all runs to fold.
    if "  " in text or not text.isprintable():
        text = _WS.sub(" ", text)
    return text.strip(" -–—:")[:160]


def _direction(text: str) -> str | None:
    if "#" not in text:
        return None
    found = {tag.lower() for tag in _DIRECTION_TAG.findall(text)}
    if len(found) == 1:
        return _intern(found.pop())
    return None


def _kind_of(text: str, default: str) -> str:
    words = text.split(None, 1)
    word = words[0].strip(":,.").casefold() if words else ""
    return _KINDS.get(word, default)


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
    # One-character checks first: they are a memchr, a longer needle is a slow scan.
    if (
        "`" in body
        or ("~" in body and "~~~" in body)
        or ("<" in body and "<!--" in body)
        or ("%" in body and "%%" in body)
    ):
        body = _MASK.sub(_blank, body)
    return body


def _note_body(text: str, path: str, body_offset: int, body_line: int, has_blocks: bool) -> str:
    """The body as contact is read from it: visible_text, without kith's generated blocks."""
    body = visible_text(text[body_offset:])
    if has_blocks:
        body = _without_blocks(text, path, body, body_line)
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


def _body_links(text: str, first_line: int) -> list[tuple[str, int, str]]:
    """(target, line, line text) for every link in visible text that may count as contact."""
    found: list[tuple[str, int, str]] = []
    first = text.find("[")  # both kinds of link start with one: the regexes start there
    if first < 0:
        return found
    # (position, target) or, for a wiki link, (position, what is inside the brackets) whose
    # target is read only if the link is kept
    hits: list[tuple[int, str, bool]] = []
    for m in _WIKI.finditer(text, first):
        start = m.start()
        if start > 0 and text[start - 1] == "!":
            continue  # embed
        hits.append((start, m.group(1), True))
    if _has_md_link(text, first):
        hits += [(pos, target, False) for pos, target in _md_links(text)]
        hits.sort()
    line, last = first_line, 0
    for pos, target, wiki in hits:
        start = text.rfind("\n", 0, pos) + 1  # the link's line
        end = text.find("\n", pos)
        ctx = text[start:end] if end >= 0 else text[start:]
        if "[ ]" in ctx and _UNCHECKED.match(ctx):
            continue  # an intention ("- [ ] email [[Sam]]"), not contact
        if wiki:
            target = _target(target)
            if not target:
                continue
        line += text.count("\n", last, pos)  # lines are counted only up to links kept
        last = pos
        found.append((target, line, ctx))
    return found


def _has_md_link(text: str, start: int = 0) -> bool:
    """`"](" in text[start:]`, by a regex search, which finds the pair faster than `in`
    does. A markdown link's `](` follows its `[`: search from the first `[`."""
    return _MD_OPEN.search(text, start) is not None


def _md_links(text: str) -> list[tuple[int, str]]:
    """(position, './relative/path.md') of each markdown link to a note."""
    hits: list[tuple[int, str]] = []
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
            hits.append((m.start(), href if href.startswith(("./", "../", "/")) else "./" + href))
    return hits


def _body_tags(text: str) -> set[str]:
    if "#" not in text:
        return set()
    # A match of _TAG holds no '#' after its first, so each '#' starts the same match
    # whether or not the one before was kept: findall with the check in the regex.
    out = set()
    for tag in _BODY_TAG.findall(text):
        out.add(tag.casefold())
    return out


# _fm_tags's answers by the `tags` value (a list as the tuple of its items): vaults repeat
# their tags lists (`[meeting]`, `[meeting, exposure]`). Only the value's strings decide the
# answer, so items equal as keys (1 and True) answer alike. The memo holds the items, so it
# is only for values that are shared already (front_matter_parts(shared=True)): an item of
# a note's own that the memo held too would marshal differently (with a reference flag).
_FM_TAGS: dict[str | tuple[Any, ...], frozenset[str]] = {}
_MAX_FM_TAGS = 8192
_NO_TAGS: frozenset[str] = frozenset()


def _fm_tags(value: object) -> frozenset[str]:
    """The tags a `tags` property gives (casefolded, without '#'), kept in _FM_TAGS."""
    key: str | tuple[Any, ...]
    if type(value) is str:
        key = value
    elif type(value) is list:
        key = tuple(value)
    else:  # no tags (or a subclass of str or list, which front matter never makes)
        return frozenset(_read_fm_tags(value)) if isinstance(value, (str, list)) else _NO_TAGS
    try:
        found = _FM_TAGS.get(key)
    except TypeError:  # an item is a list or a mapping
        return frozenset(_read_fm_tags(value))
    if found is None:
        found = frozenset(_read_fm_tags(value))
        if len(_FM_TAGS) >= _MAX_FM_TAGS:
            _FM_TAGS.clear()
        _FM_TAGS[key] = found
    return found


# What the tags of the front matter say, by _fm_tags's answer: (them sorted, the note's
# direction: `give` or `ask` when it has one of them only, else None).
_TAG_FACTS: dict[frozenset[str], tuple[tuple[str, ...], str | None]] = {}


def _tag_facts(tags: frozenset[str]) -> tuple[tuple[str, ...], str | None]:
    facts = _TAG_FACTS.get(tags)
    if facts is None:
        given = tags & _GIVE_ASK
        facts = tuple(sorted(tags)), (next(iter(given)) if len(given) == 1 else None)
        if len(_TAG_FACTS) >= _MAX_FM_TAGS:
            _TAG_FACTS.clear()
        _TAG_FACTS[tags] = facts
    return facts


def _read_fm_tags(value: object) -> set[str]:
    out: set[str] = set()
    if isinstance(value, str):
        value = [t for t in _TAG_SPLIT.split(value) if t]
    if isinstance(value, list):
        for t in value:
            if isinstance(t, str) and t.strip("# "):
                out.add(_intern(t.strip().lstrip("#").casefold()))
    return out


# Where link_target's answer sits in a property value (`"[[Ada|A]]"` -> 2, 5), by value, as
# a vault repeats its links (`"[[Ada]]"` in every meeting with Ada), with the target
# casefolded (which only dedupes, so may be shared). The target is cut out of the value each
# time, so that every note gets a string of its own. () for no target.
_TARGET_SPANS: dict[str, tuple[int, int, str] | tuple[()]] = {}
_MAX_TARGET_SPANS = 32768


def _fm_links(fm: dict[str, Any], key_lines: dict[str, int]) -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    spans = _TARGET_SPANS
    for key, value in fm.items():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and "[[" in item:
                span = spans.get(item)
                if span is None:
                    span = _target_span(item) if len(item) <= 200 else None
                    if span is None:  # long, or not a slice of the value: read it each time
                        target = link_target(item)
                        if target:
                            out.append((target, key_lines.get(key, 1), ""))
                        continue
                    if len(spans) >= _MAX_TARGET_SPANS:
                        spans.clear()
                    spans[item] = span
                if span:
                    out.append((item[span[0] : span[1]], key_lines.get(key, 1), ""))
    return out


def _target_span(value: str) -> tuple[int, int, str] | tuple[()] | None:
    """Where link_target(value) is in `value`, and it casefolded: () when it is None, None
    when a `\\|` in the link makes it no slice of the value."""
    m = _WIKI.search(value)
    if not m:
        return ()
    span = _inner_span(m.group(1))
    if not span:
        return span
    return span[0] + m.start(1), span[1] + m.start(1), span[2]


def _inner_span(inner: str) -> tuple[int, int, str] | tuple[()] | None:
    """Where _target(inner) is in `inner` (what a wiki link holds), and it casefolded: ()
    when it is empty, None when a `\\|` makes it no slice of `inner`."""
    if "\\" in inner:
        return None
    target = _target(inner)
    if not target:
        return ()
    start = inner.find(target)  # after the spaces strip() took off
    return start, start + len(target), target.casefold()


# _inner_span by what a wiki link in a body holds (`Ada`, `People/Ada|Ada`), as bodies
# repeat their links as properties do.
_INNER_SPANS: dict[str, tuple[int, int, str] | tuple[()]] = {}


def _dated_links(
    fm: dict[str, Any] | None,
    key_lines: dict[str, int],
    body: str,
    first_line: int,
    summary: str,
    kind: str,
    note_dir: str | None,
) -> list[Link]:
    """The links of a dated note that is not a daily note, as NoteParser.parse makes them
    from _fm_links and _body_links: each target once (the first), every link saying the
    note's summary and kind, its direction that of its line or else of the note. A body
    link whose target was seen is dropped before its line is read."""
    links: list[Link] = []
    seen: set[str] = set()
    if fm:
        spans = _TARGET_SPANS
        for key, value in fm.items():
            if isinstance(value, str):
                if "[[" not in value:
                    continue
                value = (value,)
            elif not isinstance(value, list):
                continue
            for item in value:
                if isinstance(item, str) and "[[" in item:
                    span = spans.get(item)
                    if span is None:
                        span = _target_span(item) if len(item) <= 200 else None
                        if span is None:
                            target = link_target(item)
                            if target and target.casefold() not in seen:
                                seen.add(target.casefold())
                                links.append(
                                    (target, key_lines.get(key, 1), summary, kind, note_dir)
                                )
                            continue
                        if len(spans) >= _MAX_TARGET_SPANS:
                            spans.clear()
                        spans[item] = span
                    if span and span[2] not in seen:
                        seen.add(span[2])
                        links.append((item[span[0] : span[1]], key_lines.get(key, 1), summary, kind, note_dir))  # fmt: skip
    first = body.find("[")
    if first < 0:
        return links
    inners = _INNER_SPANS
    # Most dated notes link in their body only whom their properties name (a meeting's
    # actions, for its attendees): then findall, which makes no match objects, shows that
    # no body link is kept.
    md = _has_md_link(body, first)
    if not md:
        for inner in _WIKI.findall(body, first):
            span = inners.get(inner)
            if span is None or (span and span[2] not in seen):
                break  # a link that may be kept: read them all below
        else:
            return links
    # (position, target, None) or, for a wiki link, (position, what it holds, where its
    # target is in that and the target casefolded)
    hits: list[tuple[int, str, tuple[int, int, str] | None]] = []
    for m in _WIKI.finditer(body, first):
        pos = m.start()
        if pos > 0 and body[pos - 1] == "!":
            continue  # embed
        inner = m.group(1)
        span = inners.get(inner)
        if span is None:
            span = _inner_span(inner) if len(inner) <= 200 else None
            if span is None:  # long, or not a slice of what the link holds
                target = _target(inner)
                if target:
                    hits.append((pos, target, None))
                continue
            if len(inners) >= _MAX_TARGET_SPANS:
                inners.clear()
            inners[inner] = span
        if span and span[2] not in seen:
            hits.append((pos, inner, span))
    if md:
        hits += [(pos, target, None) for pos, target in _md_links(body)]
        hits.sort()  # by position: a wiki link and a markdown link never start at one
    line, last = first_line, 0
    for pos, target, span in hits:
        folded = target.casefold() if span is None else span[2]
        if folded in seen:
            continue
        start = body.rfind("\n", 0, pos) + 1  # the link's line
        end = body.find("\n", pos)
        ctx = body[start:end] if end >= 0 else body[start:]
        if "[ ]" in ctx and _UNCHECKED.match(ctx):
            continue  # an intention ("- [ ] email [[Sam]]"), not contact
        seen.add(folded)
        if span is not None:
            target = target[span[0] : span[1]]
        line += body.count("\n", last, pos)  # lines are counted only up to links kept
        last = pos
        links.append((target, line, summary, kind, ("#" in ctx and _direction(ctx)) or note_dir))
    return links


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
    if isinstance(value, str):  # the usual case, first
        return value.strip() or None
    if value is None or value == []:
        return None
    if isinstance(value, list):
        value = value[0]
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
                config: Config, problems: list[Problem],
                fields: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Normalise a person's front matter; bad values become problems and are dropped.

    `fields` may hold config.field_for's answers ('' for none) for the usual keys."""
    keys: dict[str, str] = {}  # kith field -> the front matter key it is read from
    values: dict[str, Any] = {}  # kith field -> its value
    for key, value in fm.items():
        f = fields.get(key) if fields else None
        if f is None:
            f = config.field_for(key) or ""
        if f and (f not in keys or key == f):  # the exact spelling wins
            keys[f] = key
            values[f] = value
    get = values.get

    def bad(f: str, msg: str, hint: str) -> None:
        problems.append(Problem(path, key_lines.get(keys[f]), msg, hint, ERROR))

    # Every field in its place as a note without it has it; then the fields the note has.
    p: dict[str, Any] = {
        "name": None, "aliases": [], "ring": None, "cadence_days": None,
        "last_contact": None, "follow_up": None, "created": None,
        "follow_up_note": None, "birthday": None, "company": None, "company_link": None,
        "role": None, "email": None, "phone": None, "linkedin": None,
        "tags": [], "introduced_by": [], "knows": [], "interests": [], "archived": False,
    }  # fmt: skip
    name = _text(values["name"]) if "name" in values else None
    p["name"] = unicodedata.normalize("NFC", name or stem)
    if "aliases" in values:
        p["aliases"] = [
            str(a).strip()
            for a in _as_list(values["aliases"])
            if isinstance(a, (str, int)) and str(a).strip()
        ]
    stage = _text(values["stage"]) if "stage" in values else None
    if stage is not None:
        s = stage.casefold()
        if s in config.rings:
            p["ring"] = _intern(s)
        else:
            bad("stage", f"stage '{stage}' is not a ring", f"use one of: {', '.join(config.rings)}")
    cad = get("cadence")
    if cad is not None and _text(cad) is not None:
        days = parse_cadence(cad)
        if days is None:
            bad(
                "cadence",
                f"cadence '{_text(cad)}' is not a cadence",
                "use 30d, 6w, 3m, 1y, weekly, monthly, quarterly, yearly or a number of days",
            )
        p["cadence_days"] = days
    for f in ("last_contact", "follow_up", "created"):
        value = get(f)
        if value is not None and _text(value) is not None:
            d = parse_date(value)
            if d is None:
                bad(f, f"{f} '{_text(value)}' is not a date", "use YYYY-MM-DD")
            else:
                p[f] = d.toordinal()
    if "follow_up_note" in values:
        p["follow_up_note"] = _display(values["follow_up_note"])
    bday = get("birthday")
    if bday is not None and _text(bday) is not None:
        b = parse_birthday(bday)
        if b is None:
            bad(
                "birthday",
                f"birthday '{_text(bday)}' is not a date",
                "use YYYY-MM-DD, or --MM-DD when you don't know the year",
            )
        else:
            p["birthday"] = (b.month, b.day, b.year)
    if "company" in values:
        company = values["company"]
        p["company"] = _display(company)
        p["company_link"] = link_target(
            company[0] if isinstance(company, list) and company else company
        )
    for f in ("role", "email", "phone", "linkedin"):
        if f in values:
            p[f] = _display(values[f])
    if "tags" in values:
        p["tags"] = sorted(_read_fm_tags(values["tags"]))
    if "introduced_by" in values:
        p["introduced_by"] = _names(values["introduced_by"])
    if "knows" in values:
        p["knows"] = _names(values["knows"])
    if "interests" in values:
        p["interests"] = [
            display_text(str(v))
            for v in _as_list(values["interests"])
            if isinstance(v, (str, int, float))
        ]
    archived = get("archived")
    p["archived"] = archived is True or (
        isinstance(archived, str) and archived.strip().casefold() == "true"
    )
    return p


# --- the note -----------------------------------------------------------------------


def _names(value: object) -> list[str]:
    """Link targets or plain names, as a person's `introduced_by` and `knows` list them."""
    names = []
    for v in _as_list(value):
        t = link_target(v) or _text(v)
        if t:
            names.append(t)
    return names


def _iso_day(day: str) -> date | None:
    """parse_date for text already shaped `dddd-dd-dd` (as a log line's date is)."""
    try:
        if day.isascii():  # fromisoformat reads ASCII digits only; \d is any decimal digit
            return date.fromisoformat(day)
        return date(int(day[:4]), int(day[5:7]), int(day[8:]))
    except ValueError:
        return None


# _iso_day's answers, by the text of the day: a person's log has many lines, on few days.
_LOG_DAYS: dict[str, date | None] = {}
_MAX_LOG_DAYS = 8192


def _log_day(day: str) -> date | None:
    """_iso_day(day), kept in _LOG_DAYS."""
    d = _iso_day(day)
    if len(_LOG_DAYS) >= _MAX_LOG_DAYS:
        _LOG_DAYS.clear()
    _LOG_DAYS[day] = d
    return d


def _own_front_matter(text: str, path: str, shared: dict[str, Any] | None) -> dict[str, Any]:
    """Front matter read with shared=True, again with values of its own, for a record that
    keeps it. The keys stay those of the first reading, which were the note's own already
    (and which the fast path may have kept as the first of their name)."""
    data = front_matter_parts(text, path)[0]
    if not shared or not data:
        return data or {}
    return dict(zip(shared, data.values()))


def _property_date(fm: dict[str, Any] | None) -> date | None:
    if fm:
        for key in ("date", "Date"):
            if key in fm:
                return parse_date(fm[key])
    return None


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
        # config.field_for for the names it knows (a note's own key objects are not kept)
        self.fields = {
            key: config.field_for(key) or ""
            for key in (*KNOWN_FIELDS, *BUILTIN_ALIASES, *config.field_aliases)
        }

    def note_date(self, path: str, stem: str, fm: dict[str, Any] | None) -> date | None:
        return self.daily_date(path, stem) or leading_date(stem) or _property_date(fm)

    def daily_date(self, path: str, stem: str) -> date | None:
        """The date of a daily note: named in the daily format, in the daily folder."""
        if path.startswith(self.daily_prefix):
            rel = path[len(self.daily_prefix) : -3]
            return match_moment(self.daily_rx, rel) or match_moment(self.daily_rx, stem)
        return None

    def is_person(self, path: str, fm: dict[str, Any] | None, tags: AbstractSet[str]) -> bool:
        if path.startswith(self.people_prefixes):
            return True
        if not fm:
            return False
        t = fm.get("type")
        if t is not None:
            for v in _as_list(t):
                if isinstance(v, str) and (
                    v.casefold() in self.people_types
                    or (link_target(v) or "").casefold() in self.people_types
                ):
                    return True
        if not self.people_tags.isdisjoint(tags):
            return True
        if self.people_categories:
            for v in _as_list(fm.get("categories")):
                target = link_target(v) or (v if isinstance(v, str) else "")
                if target.casefold() in self.people_categories:
                    return True
        return False

    def parse(self, path: str, data: bytes) -> NoteRecord:
        rec = NoteRecord(path)
        stem = path[path.rfind("/") + 1 : -3]
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
        rec.has_blocks = "<" in text and "<!-- kith:" in text  # "<" first: a fast scan
        # Persons and goals keep their front matter in the record, so it must be theirs alone;
        # any other note may share values with other notes (see front_matter_parts).
        in_people = path.startswith(self.people_prefixes)
        fm, key_lines, body_line, body_offset, fm_problems = front_matter_parts(
            text, path, shared=not in_people
        )
        if fm_problems:
            rec.problems.extend(fm_problems)
            if any(p.severity == ERROR for p in fm_problems):
                return rec
        tags_value = fm.get("tags") if fm else None
        # (a person's tags are values of its own, which no memo may hold: see _fm_tags)
        fm_tags = _NO_TAGS if tags_value is None or in_people else _fm_tags(tags_value)
        # is_person, asked only when the front matter may make a person (a type, a tag or
        # categories; see there)
        if in_people or (
            fm
            and ("type" in fm or self.people_categories or not self.people_tags.isdisjoint(fm_tags))
            and self.is_person(path, fm, fm_tags)
        ):
            if not in_people:
                fm = _own_front_matter(text, path, fm)
            rec.kind = PERSON
            rec.fm = fm or {}
            rec.person = read_person(
                rec.fm, key_lines, stem, path, self.config, rec.problems, self.fields
            )
            if tags_value is not None and in_people and self.fields["tags"] == "tags":
                # read_person read the same value for its `tags` field (key "tags" is that
                # field, and the exact spelling wins over aliases): sorted, as wanted here
                rec.tags = tuple(rec.person["tags"])
            else:
                own = fm_tags if tags_value is None or not in_people else _read_fm_tags(tags_value)
                rec.tags = tuple(sorted(own))
            body = _note_body(text, path, body_offset, body_line, rec.has_blocks)
            self._parse_log(rec, body, body_line)
            return rec
        if fm and isinstance(fm.get("type"), str) and fm["type"].strip().casefold() == "goal":
            fm = _own_front_matter(text, path, fm)
            rec.kind = GOAL
            rec.fm = fm
            rec.title = stem
            rec.problems.extend(check_goal(fm, key_lines, path))
            return rec
        # note_date, keeping what the title and the kind need to know on the way
        daily = self.daily_date(path, stem) if path.startswith(self.daily_prefix) else None
        lead = None if daily else leading_date(stem)
        d = daily or lead or _property_date(fm)
        if d is None:  # undated notes are never contact: keep nothing but their problems
            rec.tags = _tag_facts(fm_tags)[0]
            for key in ("date", "Date"):
                value = fm.get(key) if fm else None
                if isinstance(value, str) and _DATE_LIKE.match(value):
                    rec.problems.append(Problem(path, key_lines.get(key), f"date '{value}' is not a date; the note is not dated, so its links are not contact",
                                                "use YYYY-MM-DD", WARNING))  # fmt: skip
            return rec
        body = _note_body(text, path, body_offset, body_line, rec.has_blocks)
        sorted_tags, note_dir = _tag_facts(fm_tags)
        body_tags = _body_tags(body)
        rec.tags = tuple(sorted(fm_tags | body_tags)) if body_tags else sorted_tags
        rec.date = d.toordinal()
        # A daily note keeps its whole name as title, whatever its format ("2026-11-03 Tuesday").
        title = stem
        if lead is not None:
            title = stem[10:].strip(" -_.") or stem
        rec.title = title
        if daily is None:
            rec.links = _dated_links(
                fm, key_lines, body, body_line, title, _kind_of(title, "meeting"), note_dir
            )
            return rec
        seen: set[str] = set()
        links = []
        candidates = (_fm_links(fm, key_lines) if fm else []) + _body_links(body, body_line)
        for target, line, ctx in candidates:
            key = target.casefold()
            if key in seen:
                continue
            seen.add(key)
            if ctx:
                summary = _strip_line(ctx)
                kind = _kind_of(summary, "note")
                direction = _direction(ctx) or note_dir
            else:
                summary = title
                kind = "note"
                direction = note_dir
            links.append((target, line, summary, kind, direction))
        rec.links = links
        return rec

    def _log_start(self, body: str) -> tuple[int, int]:
        """Where the line after the first log heading starts in `body` (its length when the
        heading is the last line), and the heading's level; (-1, 0) when there is none."""
        pos = 0 if body.startswith("#") else body.find("\n#") + 1 or -1
        while pos >= 0:
            end = body.find("\n", pos)
            m = _HEADING.match(body[pos:end] if end >= 0 else body[pos:])
            if m and m.group(2).strip().casefold() in self.headings:
                return (end + 1 if end >= 0 else len(body)), len(m.group(1))
            if end < 0:
                break
            pos = body.find("\n#", end) + 1 or -1
        return -1, 0

    def _parse_log(self, rec: NoteRecord, body: str, first_line: int) -> None:
        path = rec.path
        log = rec.log
        days = _LOG_DAYS
        # Nothing before the first log heading counts: start after it.
        start, log_level = self._log_start(body)
        if start < 0:
            return
        in_log = True
        first_line += body.count("\n", 0, start)
        body = body[start:]
        for n, text in enumerate(body.split("\n"), first_line):
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
            if not in_log or not text:
                continue
            m = _LOG_ITEM.match(text)
            if not m:
                continue
            day = m.group(1) or m.group(2)
            d = days[day] if day in days else _log_day(day)
            if d is None:
                rec.problems.append(Problem(path, n, f"log date '{day}' is not a valid date; line skipped",
                                            "use YYYY-MM-DD", WARNING))  # fmt: skip
                continue
            rest = text[m.end() :].rstrip()
            word = m.group(3)
            if word is not None:
                word = word.casefold()
            # a move is `stage: a → b`, whose kind the match reads (unless it is spelt with a
            # letter beyond A-Z that IGNORECASE matches, such as 'ſ': then it reads none)
            mv = _MOVE.match(rest) if word is None or word in ("stage", "ring") else None
            if mv:
                old, new = mv.group(1).strip().casefold(), mv.group(2).strip().casefold()
                bad = [r for r in (old, new) if r not in self.config.rings]
                if bad:
                    rec.problems.append(Problem(path, n, f"stage move names unknown ring '{bad[0]}'; line skipped",
                                                f"use one of: {', '.join(self.config.rings)}", WARNING))  # fmt: skip
                    continue
                rec.moves.append((d.toordinal(), _intern(old), _intern(new), n))
                continue
            direction = _direction(rest) if "#" in rest else None
            kind, summary = "note", rest
            if word in _KINDS:
                kind, summary = _KINDS[word], text[m.start(4) :].rstrip()
            log.append((d.toordinal(), kind, direction, _strip_line(summary), n))


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
