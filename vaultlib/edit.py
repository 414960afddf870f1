"""Surgical edits of one note's text: set or remove a front-matter key, add a log line.

This module owns changing a user's note by splicing whole lines, so that
everything it was not asked to change stays byte-for-byte identical: comments,
key order, quoting, flow lists, blank lines, other keys, the body, the line
endings and the final-newline state. Values it writes follow Obsidian's
canonical YAML style (block lists indented two spaces, links double-quoted), so
an edit by kith and an edit through Obsidian's Properties UI produce the same
bytes. It never parses and re-serialises the whole YAML block (no
`frontmatter.dumps`, no YAML dump), never touches the disk (text in, text out:
the caller reads and writes through the atomic writer and keeps the BOM) and
never reads the clock.

Front matter is recognised the way Obsidian does it: line 1 is exactly `---`
(trailing spaces allowed), closed by the first later line that is `---` or
`...`. Keys are recognised only at column 0 (`key:`, `"quoted key":`,
`'quoted key':`), never inside block scalars, nested maps or lists.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .textutil import detect_eol, line_ending, split_lines, strip_eol

__all__ = [
    "EditError",
    "add_log_line",
    "format_value",
    "get_field_text",
    "remove_field",
    "set_field",
]


class EditError(Exception):
    """The note cannot be edited surgically without risking the user's data.

    Raised for front matter opened with `---` but never closed, for a value
    whose quote or bracket is never closed, and for a key written twice (or
    matching several keys that differ only in case). `line` is the 1-based line
    to look at, or None.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


# --------------------------------------------------------------------------- values

# Characters YAML readers do not accept raw (PyYAML's printable set), plus the
# characters YAML 1.1 counts as line breaks or that are invisible and fragile
# (NEL, LS, PS, BOM): these are written as escapes inside double quotes.
_NEEDS_ESCAPE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]"
)
_SIMPLE_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
# A plain scalar may not start with these (YAML indicators, quotes, and `-?:`
# which are only safe when followed by a non-space; quoting them is simpler).
_INDICATOR_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Booleans and nulls in YAML 1.1 or 1.2 (compared case-insensitively).
_SPECIAL_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"})
# Digits with the punctuation of numbers, dates, times, base-60 and phone
# numbers: `0123`, `1_000`, `1.10`, `12:30`, `2026-01-05`, `+41 79 123 45 67`.
_NUMBERISH = re.compile(r"[0-9 ()+\-./:_,]*[0-9][0-9 ()+\-./:_,]*")
_OTHER_NUMBERS = re.compile(
    r"[-+]?0[xob][0-9a-fA-F_]+"  # hex, octal, binary
    r"|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+"  # exponent
    r"|[-+]?\.(?:inf|nan)",
    re.IGNORECASE,
)
_STR_TAG = "tag:yaml.org,2002:str"


@functools.cache
def _yaml() -> Any:
    """PyYAML, imported when a value is first written or front matter read back: the
    watcher and most runs never need it (~3 MB and ~10 ms to import)."""
    import yaml

    return yaml


@functools.cache
def _resolver() -> Any:
    return _yaml().resolver.Resolver()


_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}"
    r"(?::[0-9]{2}(?:\.[0-9]*)?)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?"
)


def _plain_is_safe(s: str) -> bool:
    """True when `s` written without quotes reads back as the same string in YAML 1.1 and 1.2."""
    if not s or s != s.strip() or _NEEDS_ESCAPE.search(s) or re.search("[\t\n\r]", s):
        return False
    if s[0] in _INDICATOR_START:
        return False
    if "[[" in s or "#" in s or ": " in s or s.endswith(":"):
        return False
    if s.lower() in _SPECIAL_WORDS or s in ("=", "<<"):
        return False
    if _resolver().resolve(_yaml().ScalarNode, s, (True, False)) != _STR_TAG:
        return False  # whatever else PyYAML (YAML 1.1) would not read as a string
    return not (_NUMBERISH.fullmatch(s) or _OTHER_NUMBERS.fullmatch(s) or _TIMESTAMP.fullmatch(s))


def _double_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif _NEEDS_ESCAPE.match(ch):
            cp = ord(ch)
            out.append(f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _format_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        # YAML 1.1 (PyYAML) only reads `1.0e+20` as a float, not `1e+20`.
        text = f"{mantissa}.0e{exponent}"
    return text


def format_value(value: object) -> str:
    """One value in Obsidian's canonical YAML style, as it follows `key:`.

    - `str`: plain when that reads back as the same string under YAML 1.1
      (PyYAML) and 1.2 (Obsidian); otherwise double-quoted with JSON-style
      escapes. Quoted are: the empty string, strings containing `[[`, `#`,
      `: ` or ending in `:`, starting with an indicator (`-*&!%@` `` ` ``
      `[{>|'"?,:]}`), with leading/trailing whitespace or control characters,
      and strings that look like a number, boolean, null, date or time
      (`0123`, `+41 79 123 45 67`, `12:30`, `yes`, `no`, `on`, `null`,
      `2026-01-05`), so phone numbers always end up quoted.
    - `date` -> `2026-11-03`; `datetime` -> `2026-11-03T10:30:00` (an offset
      only if the value carries one); `bool` -> `true`/`false`; `int` and
      `float` plain (`.nan`, `.inf`); `None` -> `` (an empty value, not `null`).
    - a list or tuple of scalars -> a block list as `"\\n  - a\\n  - b"`, so
      that `key:` followed by it is a block list indented two spaces; links
      come out as `  - "[[Ada]]"`. An empty list -> `[]`.

    Raises TypeError for anything else (nested lists, mappings, sets): kith
    never creates nested structures in front matter.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value if _plain_is_safe(value) else _double_quote(value)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = []
        for item in value:
            if isinstance(item, list | tuple | dict | set | frozenset):
                raise TypeError("kith writes flat lists only, not nested collections")
            text = format_value(item)
            items.append(f"\n  - {text}" if text else "\n  -")
        return "".join(items)
    raise TypeError(f"cannot write a {type(value).__name__} into front matter")


# --------------------------------------------------------------------------- front matter


def _is_blank(content: str) -> bool:
    return content.strip(" \t") == ""


def _front_matter(lines: list[str]) -> tuple[int, int] | None:
    """(index of the first line inside, index of the closing line), or None without one."""
    if not lines or strip_eol(lines[0]).rstrip(" \t") != "---":
        return None
    for i in range(1, len(lines)):
        if strip_eol(lines[i]).rstrip(" \t") in ("---", "..."):
            return 1, i
    raise EditError(
        "front matter opened with '---' on line 1 is never closed "
        "(add a line '---' after the last property)",
        line=1,
    )


_KEY_RE = re.compile(
    r"""(?P<key>
        "(?:[^"\\]|\\.)*"
      | '(?:[^']|'')*'
      | (?![-?][ \t]|[-?]$)[^\s#'"\[\]{},&*!|>%@`:]
        (?:[^#:]|:(?![ \t]|$)|(?<![ \t])\#)*?
    )[ \t]*:(?=[ \t]|$)""",
    re.VERBOSE,
)
_BLOCK_SCALAR = re.compile(r"[|>](?:[1-9][+-]?|[+-][1-9]?)?")
_LIST_ITEM_AT_0 = re.compile(r"-(?:[ \t]|$)")


@dataclass(frozen=True, slots=True)
class _Field:
    """One top-level key: lines[start] is the key line, lines[start + 1:end] its continuation.

    The key line's content is exactly `keypart + ":" + sep + value + ws + comment`.
    """

    name: str  # the key as YAML reads it (quotes removed)
    start: int
    end: int
    keypart: str  # the key as written, up to the colon (`"quoted key"`, `Phone `)
    sep: str  # whitespace after the colon
    value: str  # the value on the key line, without comment and surrounding whitespace
    ws: str  # whitespace after the value (before the comment, or trailing)
    comment: str  # `# ...` to the end of the line, or ''


def _unquote_key(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"'):
        try:
            loaded = _yaml().safe_load(raw)
        except _yaml().YAMLError:
            return raw[1:-1]
        return loaded if isinstance(loaded, str) else raw[1:-1]
    return raw


def _scan_open(s: str, quote: str | None, depth: int) -> tuple[str | None, int, int]:
    """Continue a quoted or flow value through `s`.

    Returns the new (quote, depth) and the index just past the character that
    closed the value, or -1 when it is still open at the end of `s`.
    """
    last = ","  # a quote may open at the start of a line inside a flow collection
    prev = " "
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if quote == '"':
            if c == "\\":
                i += 2
                prev = "x"
                continue
            if c == '"':
                quote = None
                last = c
        elif quote == "'":
            if c == "'":
                if s[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = None
                last = c
        else:
            if c == "#" and prev in " \t":
                return quote, depth, -1  # a comment inside a still-open flow collection
            if c in "\"'" and last in "[{,:?":
                quote = c
            elif c in "[{":
                depth += 1
                last = c
            elif c in "]}":
                depth -= 1
                last = c
            elif c not in " \t":
                last = c
        if quote is None and depth <= 0:
            return None, 0, i + 1
        prev = c
        i += 1
    return quote, depth, -1


def _split_value(body: str) -> tuple[str, str, str, str | None, int]:
    """Split what follows `key: ` into (value, ws, comment, open quote, open depth)."""
    if not body:
        return "", "", "", None, 0
    if body[0] == "#":
        return "", "", body, None, 0
    end = -1
    quote: str | None = None
    depth = 0
    if body[0] in "\"'":
        quote, depth, stop = _scan_open(body[1:], body[0], 0)
        end = stop + 1 if stop >= 0 else -1
    elif body[0] in "[{":
        quote, depth, stop = _scan_open(body[1:], None, 1)
        end = stop + 1 if stop >= 0 else -1
    else:
        m = re.search(r"[ \t]#", body)
        head = body[: m.start()] if m else body
        value = head.rstrip(" \t")
        rest = body[len(value) :]
        ws = rest[: len(rest) - len(rest.lstrip(" \t"))]
        return value, ws, rest[len(ws) :], None, 0
    if end < 0:  # still open at the end of the key line: a multi-line value
        value = body.rstrip(" \t")
        return value, body[len(value) :], "", quote, depth
    after = body[end:]
    ws = after[: len(after) - len(after.lstrip(" \t"))]
    rest = after[len(ws) :]
    if not rest or (rest.startswith("#") and ws):
        return body[:end], ws, rest, None, 0
    # Text after a closing quote or bracket is invalid YAML; keep it all as the value.
    value = body.rstrip(" \t")
    return value, body[len(value) :], "", None, 0


def _is_continuation(content: str) -> bool:
    if not content:
        return False
    if content[0] in " \t":
        stripped = content.strip(" \t")
        return bool(stripped) and not stripped.startswith("#")
    return bool(_LIST_ITEM_AT_0.match(content))


def _scan_fields(lines: list[str], first: int, close: int) -> list[_Field]:
    fields: list[_Field] = []
    i = first
    while i < close:
        content = strip_eol(lines[i])
        m = _KEY_RE.match(content)
        if not m:
            i += 1
            continue
        keypart = content[: m.end() - 1]
        rest = content[m.end() :]
        body = rest.lstrip(" \t")
        sep = rest[: len(rest) - len(body)]
        value, ws, comment, quote, depth = _split_value(body)
        j = i + 1
        if quote is not None or depth > 0:
            while j < close and (quote is not None or depth > 0):
                quote, depth, _ = _scan_open(strip_eol(lines[j]), quote, depth)
                j += 1
            if quote is not None or depth > 0:
                raise EditError(
                    f"the value of '{_unquote_key(m.group('key'))}' opens a "
                    f"{'quote' if quote else 'bracket'} that is never closed",
                    line=i + 1,
                )
        if _BLOCK_SCALAR.fullmatch(value):
            # Block scalar: every indented or blank line is content (even `  # x`).
            while j < close and (_is_blank(strip_eol(lines[j])) or lines[j][0] in " \t"):
                j += 1
            while j > i + 1 and _is_blank(strip_eol(lines[j - 1])):
                j -= 1
            end = j
        else:
            # Indented lines and `- ` items; blank and comment lines only when
            # more of the value follows them.
            end = j
            while j < close:
                c = strip_eol(lines[j])
                if _is_continuation(c):
                    j += 1
                    end = j
                elif _is_blank(c) or c.lstrip(" \t").startswith("#"):
                    j += 1
                else:
                    break
        fields.append(
            _Field(
                name=_unquote_key(m.group("key")),
                start=i,
                end=end,
                keypart=keypart,
                sep=sep,
                value=value,
                ws=ws,
                comment=comment,
            )
        )
        i = end
    return fields


def _find_field(fields: list[_Field], key: str) -> _Field | None:
    """The field for `key`: exact match first, then case-insensitive; EditError when ambiguous."""
    for matches in (
        [f for f in fields if f.name == key],
        [f for f in fields if f.name.casefold() == key.casefold()],
    ):
        if len(matches) > 1:
            raise EditError(
                f"the key '{key}' appears more than once in the front matter "
                f"(lines {', '.join(str(f.start + 1) for f in matches)}); keep one",
                line=matches[1].start + 1,
            )
        if matches:
            return matches[0]
    return None


def _field_text(lines: list[str], f: _Field) -> str:
    parts = [f.value]
    parts.extend(strip_eol(lines[k]) for k in range(f.start + 1, f.end))
    return "\n".join(parts)


def _key_text(key: str) -> str:
    if not key:
        raise ValueError("a front-matter key cannot be empty")
    return format_value(key)


def _new_field_lines(head: str, formatted: str, head_eol: str, eol: str) -> list[str]:
    """`head` (everything up to and including the colon) plus the value, as lines."""
    if formatted.startswith("\n"):
        return [head + head_eol] + [item + eol for item in formatted.split("\n")[1:]]
    return [head + (" " + formatted if formatted else "") + head_eol]


def _parse(text: str) -> tuple[list[str], str, tuple[int, int] | None]:
    lines = split_lines(text)
    return lines, detect_eol(text), _front_matter(lines)


def set_field(text: str, key: str, value: object) -> str:
    """Set a top-level front-matter key, changing only that key's lines.

    - No front matter: a block `---` / `key: value` / `---` is put at the very
      top, in the note's line ending; every other byte stays. (An empty note
      gets a final newline.)
    - The key exists (exact spelling first, then case-insensitively; the
      user's spelling is kept): only its value is replaced. On a one-line
      value the text before the value and a trailing ` # comment` are kept; a
      value that spans several lines (block list, block scalar, continuation
      lines, nested map, multi-line quoted or flow value) is replaced as a
      whole, keeping the key line's comment.
    - The key is missing: `key: value` becomes the last line of the front
      matter, just before the closing `---`.

    If the value is already written exactly as `format_value(value)`, `text`
    is returned unchanged. Raises EditError for unclosed front matter or
    values and for a duplicated key; TypeError for values kith cannot write.
    """
    formatted = format_value(value)
    lines, eol, fm = _parse(text)
    if fm is None:
        block = ["---" + eol, *_new_field_lines(_key_text(key) + ":", formatted, eol, eol)]
        return "".join(block) + "---" + eol + text
    first, close = fm
    f = _find_field(_scan_fields(lines, first, close), key)
    if f is None:
        new = _new_field_lines(_key_text(key) + ":", formatted, eol, eol)
        return "".join(lines[:close] + new + lines[close:])
    if _field_text(lines, f) == formatted:
        return text
    head_eol = line_ending(lines[f.start])
    if formatted and not formatted.startswith("\n"):
        if f.value:
            head = f"{f.keypart}:{f.sep}{formatted}{f.ws}{f.comment}"
        else:
            head = f"{f.keypart}: {formatted}" + (f"{f.sep}{f.comment}" if f.comment else "")
        new = [head + head_eol]
    else:
        gap = (f.ws if f.value else f.sep) or " "
        head = f"{f.keypart}:" + (gap + f.comment if f.comment else "")
        new = _new_field_lines(head, formatted, head_eol, eol)
    return "".join(lines[: f.start] + new + lines[f.end :])


def remove_field(text: str, key: str) -> str:
    """Remove a top-level key's line(s) (matched as in set_field); unchanged if absent.

    The front matter block stays even when it becomes empty (`---` / `---`).
    Blank lines around the key stay. Known limit: if the key sat between a
    block scalar (`|`, `>`) and blank or whitespace-only lines, YAML may then
    count those lines as trailing whitespace of that scalar (`|+`, or lines
    indented deeper than its text); the bytes are untouched.
    """
    lines, _, fm = _parse(text)
    if fm is None:
        return text
    f = _find_field(_scan_fields(lines, *fm), key)
    if f is None:
        return text
    return "".join(lines[: f.start] + lines[f.end :])


def get_field_text(text: str, key: str) -> str | None:
    """The value of a top-level key as written, or None when the key is absent.

    A one-line value comes back without its comment and surrounding
    whitespace, quotes kept (`"+41 79"`); an empty value is `""`. A value on
    several lines is the key line's part followed by each continuation line,
    joined with `\\n` whatever the note's line ending, so that for a list it
    equals `format_value(...)` (`"\\n  - a\\n  - b"`).
    """
    lines, _, fm = _parse(text)
    if fm is None:
        return None
    f = _find_field(_scan_fields(lines, *fm), key)
    return None if f is None else _field_text(lines, f)


# --------------------------------------------------------------------------- log lines

_HEADING_RE = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)(.*)")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_ITEM_RE = re.compile(r"(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]|$)")
# As vaultlib.parse reads log lines: a bullet or number, an optional checked box, the date.
_DATED_ITEM_RE = re.compile(
    r"(?:[-*+]|[0-9]{1,9}[.)])[ \t]+(?:\[[xX]\][ \t]+)?(?:\[\[)?([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])"
)


@dataclass(slots=True)
class _Item:
    start: int
    end: int  # exclusive: past the last continuation line
    day: date | None


def _fences(lines: list[str], start: int) -> list[int | None]:
    """For each line, the index of the fence line that opened the code block it is in."""
    owner: list[int | None] = [None] * len(lines)
    opened: int | None = None
    char = ""
    length = 0
    for k in range(start, len(lines)):
        c = strip_eol(lines[k])
        if opened is None:
            m = _FENCE_OPEN.fullmatch(c)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                opened, char, length = k, m.group(1)[0], len(m.group(1))
                owner[k] = k
        else:
            owner[k] = opened
            m = _FENCE_CLOSE.fullmatch(c)
            if m and m.group(1)[0] == char and len(m.group(1)) >= length:
                opened = None
    return owner


def _heading(content: str) -> tuple[int, str] | None:
    m = _HEADING_RE.fullmatch(content)
    if not m:
        return None
    title = _CLOSING_HASHES.sub("", m.group(2).strip(" \t")).strip(" \t")
    return len(m.group(1)), title


def _item_date(content: str) -> date | None:
    m = _DATED_ITEM_RE.match(content)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _section_items(lines: list[str], start: int, end: int, owner: list[int | None]) -> list[_Item]:
    items: list[_Item] = []
    cur: _Item | None = None
    for k in range(start, end):
        c = strip_eol(lines[k])
        fence = owner[k]
        if fence is None and _ITEM_RE.match(c):
            cur = _Item(k, k + 1, _item_date(c))
            items.append(cur)
        elif fence is None and _heading(c) is not None:
            cur = None
        elif cur is not None and (
            (c[:1] in (" ", "\t") and not _is_blank(c))
            or (fence is not None and cur.start < fence < cur.end)  # code opened inside the item
        ):
            cur.end = k + 1
        elif cur is not None and _is_blank(c):
            continue  # belongs to the item only if an indented line follows
        else:
            cur = None
    return items


def _insert_line(lines: list[str], index: int, content: str, eol: str) -> str:
    if index == len(lines) and lines and not line_ending(lines[-1]):
        # Appending after a last line without an ending: keep "no final newline".
        return "".join(lines[:-1]) + lines[-1] + eol + content
    rest = "".join(lines[index:])
    if eol == "\r" and rest.startswith("\n"):
        eol = "\r\n"  # a lone `\r` before an empty `\n` line would merge with it into one ending
    return "".join(lines[:index]) + content + eol + rest


def add_log_line(text: str, headings: Sequence[str], entry: str, entry_date: date) -> str:
    """Insert `entry` (a full list item, e.g. `- 2026-11-03 coffee: intro #give`) in the log.

    The log is the first heading (any level, outside fenced code and front
    matter) whose text equals one of `headings` case-insensitively; its
    section runs to the next heading of the same or a higher level. Its list
    items (`- `, `* `, `+ `, `1. ` at column 0, with their indented
    continuation lines and sub-bullets) are dated when they start with
    `YYYY-MM-DD` (also after a checked box `[x] ` or as `[[YYYY-MM-DD`). The order the note uses is kept: when the dated items
    are mostly newest first, the entry goes before the first item dated on or
    before `entry_date` (a same-day entry lands on top); otherwise
    (chronological, the default for 0-1 items) after the last item dated on
    or before `entry_date`, i.e. usually at the end of the list. It goes
    right after the list items, before the section's trailing blank lines.
    A section without items gets it right after the heading, or after one
    blank line under the heading when that blank line is followed by another
    blank line or the end of the section (so the blank line stays between
    heading and item, and the entry never glues onto a following paragraph).

    With no such heading, a section is appended at the end of the note: a
    blank line (unless the note is empty or already ends with a blank line),
    `## <headings[0]>`, then the entry directly on the next line (no blank
    line between heading and first item, as Obsidian's list continuation
    writes it).

    Inserted lines use the note's line ending; a note without a final newline
    still has none afterwards (an empty note gets one). Raises ValueError when
    `entry` or `headings[0]` contains a line break or `headings` is empty, and
    EditError for front matter that is never closed.
    """
    if not headings:
        raise ValueError("add_log_line needs at least one heading name")
    if re.search(r"[\r\n]", entry) or re.search(r"[\r\n]", headings[0]):
        raise ValueError("a log entry and its heading must be single lines")
    lines, eol, fm = _parse(text)
    body_start = fm[1] + 1 if fm else 0
    owner = _fences(lines, body_start)
    wanted = {h.strip().casefold() for h in headings}

    found: tuple[int, int] | None = None  # (line index, level)
    section_end = len(lines)
    for k in range(body_start, len(lines)):
        if owner[k] is not None:
            continue
        h = _heading(strip_eol(lines[k]))
        if h is None:
            continue
        if found is None:
            if h[1].casefold() in wanted:
                found = (k, h[0])
        elif h[0] <= found[1]:
            section_end = k
            break

    if found is None:
        if not lines:
            return f"## {headings[0]}{eol}{entry}{eol}"
        last_eol = line_ending(lines[-1])
        out = text if last_eol else text + eol
        if not _is_blank(strip_eol(lines[-1])):
            # The blank line repeats the last line's own ending: an `\n` after a
            # last line ending in `\r` would merge with it into one `\r\n`.
            out += last_eol or eol
        had_final = bool(last_eol)
        return out + f"## {headings[0]}{eol}{entry}" + (eol if had_final else "")

    heading_at = found[0]
    items = _section_items(lines, heading_at + 1, section_end, owner)
    dated = [(it, it.day) for it in items if it.day is not None]
    if not items:
        index = heading_at + 1
        if (
            index < section_end
            and _is_blank(strip_eol(lines[index]))
            and (index + 1 >= section_end or _is_blank(strip_eol(lines[index + 1])))
        ):
            index += 1
    elif not dated:
        index = items[-1].end
    else:
        pairs = list(zip(dated, dated[1:]))
        descending = sum(b[1] < a[1] for a, b in pairs) > sum(b[1] > a[1] for a, b in pairs)
        on_or_before = [it for it, day in dated if day <= entry_date]
        if descending:
            index = on_or_before[0].start if on_or_before else dated[-1][0].end
        else:
            index = on_or_before[-1].end if on_or_before else dated[0][0].start
    return _insert_line(lines, index, entry, eol)
