"""Reading the YAML front matter block of a note, the way Obsidian reads it.

This module owns finding the `---` block on line 1, turning its YAML into plain
Python values with YAML 1.2 rules (`no`, `0123`, `7:30` and `2024-01-05` stay
strings), and every hardening rule around it: duplicate keys, aliases, tags,
depth, size and node limits, each reported as a `Problem` with the file line.
Flat front matter goes through a small hand-written fast path (which keeps what
it made of each line, as vaults repeat lines, giving each note values of its own
when asked); keys and one-word values are interned on both paths (see _word);
everything else through PyYAML's pure-Python composer (`yaml_loader`) and our own
node walker, which is the reference the fast path is tested against. PyYAML is
imported on the slow path's first use, so most commands never load it. It never touches the disk, never writes YAML, never uses
PyYAML's C loader or constructors, and never gives fields a meaning (dates,
links and lists are the parser's business).
"""

from __future__ import annotations

import math
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import ERROR, WARNING, Problem
from .yaml_loader import DEPTH_HINT as _DEPTH_HINT
from .yaml_loader import DEPTH_MESSAGE as _DEPTH_MESSAGE
from .yaml_loader import MAX_DEPTH, MAX_NODES
from .yaml_loader import Reject as _Reject
from .yaml_loader import loader_class as _loader_class

if TYPE_CHECKING:  # PyYAML is imported on the slow path's first use (see _loader_class)
    import yaml
    from yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 65536
# Python refuses int() on longer digit strings (sys.int_info.default_max_str_digits).
_MAX_INT_DIGITS = 4000
# 0x / 0o digits whose value stays within that in decimal (3000 hex digits: 3613 decimal).
_MAX_RADIX_DIGITS = 3000


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """What a note's front matter says, and where each part of it is."""

    data: dict[str, Any] | None  # None when there is no front matter block (or it was invalid)
    key_lines: dict[str, int]  # 1-based file line of each top-level key
    body_line: int  # 1-based file line where the body starts (1 when no front matter)
    body_offset: int  # character offset in `text` where the body starts
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.severity == ERROR for p in self.problems)


# FrontMatter's fields as a plain tuple, which is much cheaper to make than the frozen class.
Parts = tuple[dict[str, Any] | None, dict[str, int], int, int, tuple[Problem, ...]]


# --------------------------------------------------------------------------- block

_OPEN_RE = re.compile(r"---[ \t]*(\r\n|\r|\n|\Z)")
_TOML_RE = re.compile(r"\+\+\+[ \t]*(?:\r\n|\r|\n|\Z)")
_CLOSE_RE = re.compile(r"(?<=[\r\n])(?:---|\.\.\.)[ \t]*(\r\n|\r|\n|\Z)")
_EOL_RE = re.compile(r"\r\n|\r|\n")

_UNCLOSED_HINT = (
    "add a line with only '---' after the last property; if the '---' on line 1 "
    "is meant as a horizontal rule, put a blank line above it"
)


def read_front_matter(text: str, path: str) -> FrontMatter:
    """Read the front matter of a note's text (already decoded, without a BOM).

    Front matter exists only when line 1 is `---` (trailing spaces allowed); it
    ends at the next line that is `---` or `...`. Never raises: every problem
    with the text comes back as a `Problem`, and `data` is None whenever there
    is an error, so the caller can skip the note.
    """
    return FrontMatter(*front_matter_parts(text, path))


def _read(text: str, path: str, *, use_fast: bool) -> FrontMatter:
    return FrontMatter(*front_matter_parts(text, path, use_fast=use_fast))


def front_matter_parts(
    text: str, path: str, *, shared: bool = False, use_fast: bool = True
) -> Parts:
    """read_front_matter as the tuple (data, key_lines, body_line, body_offset, problems),
    for the indexer, which reads every note of the vault.

    With `shared`, a value read from a line seen before (in any note) is the object made
    for it then, lists excepted: much faster on a vault, where lines repeat, and
    for callers that keep no value of the front matter beyond the note. `use_fast=False`
    is for tests: the slow path alone, the reference for the fast path."""
    if text.startswith("---\n"):  # the usual line 1, known without the regex
        start = after_break = 4
    else:
        opened = _OPEN_RE.match(text) if text.startswith("---") else None
        if opened is None:
            return _no_front_matter(text, path)
        start = opened.end()
        if not opened.group(1):  # no line break: the whole file is '---'
            return _unclosed(path)
        after_break = opened.start(1) + 1
    # _find_closer's common case first: the first `---` after line 1 is a line of its own,
    # ended by \n, with no `...` before it.
    block_end = text.find("---", after_break)
    if (
        block_end > 0
        and text[block_end - 1] == "\n"
        and text[block_end + 3 : block_end + 4] == "\n"
        # no `...` line first ('.' first: a memchr, a longer needle is a slow scan)
        and (
            text.find(".", after_break, block_end) < 0
            or text.find("...", after_break, block_end) < 0
        )
    ):
        body_offset = block_end + 4
    else:
        found = _find_closer(text, after_break)
        if found is None:
            return _unclosed(path)
        block_end, body_offset = found
    block = text[start:block_end]
    # line 1, the block's lines, the closing line
    body_line = 3 + (block.count("\n") if "\r" not in block else _count_eols(block))
    if len(block) * 4 > MAX_BYTES:
        size = len(block.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            message = f"front matter is {size} bytes, over the {MAX_BYTES} byte limit"
            hint = "move long text out of the properties and into the note body"
            return None, {}, body_line, body_offset, (Problem(path, 1, message, hint),)
    if use_fast:
        fast = _fast_parse(block, shared)
        if fast is not None:
            return fast[0], fast[1], body_line, body_offset, ()
    try:
        data, key_lines, problems = _slow_parse(block, path)
    except Exception as exc:  # last resort: the contract is "never raises"
        message = f"could not read front matter (internal error: {type(exc).__name__}: {exc})"
        problem = Problem(path, 1, message, "please report this note to the kith developers")
        return None, {}, body_line, body_offset, (problem,)
    return data, key_lines, body_line, body_offset, tuple(problems)


def _find_closer(text: str, start: int) -> tuple[int, int] | None:
    """(start, end including its line break) of the line closing the block.

    `start` is just after the first line break of line 1 (inside a `\\r\\n`
    when that is the ending, which does no harm). The common case, where the
    first `---` or `...` in the text is the closing line, costs two `find`s.
    """
    dashes = text.find("---", start)
    dots = text.find("...", start, dashes + 3 if dashes >= 0 else len(text))
    first = dots if dots >= 0 and (dashes < 0 or dots < dashes) else dashes
    if first < 0:
        return None
    if text[first - 1] in "\r\n":
        end = first + 3
        length = len(text)
        while end < length and text[end] in " \t":
            end += 1
        if end == length:
            return first, end
        if text[end] == "\n":
            return first, end + 1
        if text[end] == "\r":
            return first, end + (2 if text.startswith("\n", end + 1) else 1)
    m = _CLOSE_RE.search(text, start)
    return (m.start(), m.end()) if m else None


def _count_eols(block: str) -> int:
    return block.count("\n") + block.count("\r") - block.count("\r\n")


def _no_front_matter(text: str, path: str) -> Parts:
    problems: tuple[Problem, ...] = ()
    if text.startswith("+++") and _TOML_RE.match(text):
        problems = (
            Problem(
                path,
                1,
                "TOML front matter is not read; Obsidian reads YAML only",
                "convert the '+++' block to YAML between '---' lines to use it as properties",
                WARNING,
            ),
        )
    elif text.startswith("\ufeff") and _OPEN_RE.match(text, 1):
        problems = (
            Problem(
                path,
                1,
                "front matter is not read: line 1 starts with an invisible U+FEFF character before '---'",
                "delete the invisible character (an extra byte-order mark) at the start of the file",
                WARNING,
            ),
        )
    return None, {}, 1, 0, problems


def _unclosed(path: str) -> Parts:
    problem = Problem(
        path, 1, "front matter opened with '---' on line 1 is never closed", _UNCLOSED_HINT
    )
    return None, {}, 1, 0, (problem,)


# --------------------------------------------------------------------------- values

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_NUMBER_RE = re.compile(
    r"""(?:
      (?P<int>[-+]?(?P<digits>[0-9]+))
    | (?P<hex>0x[0-9a-fA-F]+)
    | (?P<oct>0o[0-7]+)
    | (?P<float>[-+]?(?:\.[0-9]+|(?P<whole>[0-9]+)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)
    | (?P<inf>(?P<sign>[-+]?)\.(?:inf|Inf|INF))
    | (?P<nan>\.(?:nan|NaN|NAN))
    )\Z""",
    re.VERBOSE,
)


def resolve_plain(value: str) -> Any:
    """The value of an unquoted scalar under YAML 1.2 core-schema-like rules.

    Null (`~`, `null`, empty), `true`/`false` in three spellings, decimal,
    `0x` and `0o` integers, floats and `.inf`/`.nan`; everything else is the
    string as written (`no`, `yes`, `7:30`, `2024-01-05`). Two departures
    from the core schema, on purpose: a number written with a leading zero
    (`0123`, `01.5`) stays the string as written (phone numbers, postcodes),
    and so does a float too large for a float (`1e1000`), or a number of more digits
    than Python will print (over 4000 decimal, 3000 hex or octal).
    """
    if not value:
        return None
    first = value[0]
    if first in "0123456789+-.":
        if value[4:5] == "-" and value[:4].isdigit():
            return value  # a date (2024-01-05): a number has '-' only first or after 'e'
        m = _NUMBER_RE.match(value)
        if m is None:
            return value
        digits = m.group("digits")
        if digits is not None:
            if (len(digits) > 1 and digits[0] == "0") or len(digits) > _MAX_INT_DIGITS:
                return value
            return int(value)
        if m.group("hex") is not None or m.group("oct") is not None:
            if len(value) - 2 > _MAX_RADIX_DIGITS:
                return value  # its decimal form would be too long for Python to print
            return int(value[2:], 16 if m.group("hex") is not None else 8)
        if m.group("float") is not None:
            whole = m.group("whole")
            if whole is not None and len(whole) > 1 and whole[0] == "0":
                return value
            number = float(value)
            return value if math.isinf(number) else number
        if m.group("inf") is not None:
            return -math.inf if m.group("sign") == "-" else math.inf
        return math.nan
    if first in "~nN":
        return None if value in _NULLS else value
    if first in "tT":
        return True if value in _TRUES else value
    if first in "fF":
        return False if value in _FALSES else value
    return value


# --------------------------------------------------------------------------- shared words
#
# Keys and one-word values repeat from note to note (`stage`, `tags`; `cold`, `friend`).
# Both paths intern them, so that every record holding one holds the same object: marshal
# writes an interned string as interned and reads it back as the one interned object, so the
# watcher's decoded persons share them instead of each holding copies (the 10k persons of
# the large benchmark vault: 42.2 -> 31.7 MB live when decoded). Other text (names, emails,
# dates, sentences) is not interned: it seldom repeats, and interned strings are immortal
# in Python 3.12.

_MAX_WORD = 24
_intern = sys.intern


def _word(value: Any) -> Any:
    """`value`, interned when it is one word: letters, maybe hyphenated (`ex-colleague`), of
    at most _MAX_WORD characters. _own_entry and _fast_line repeat the test inline."""
    if (
        type(value) is str
        and len(value) <= _MAX_WORD
        and (value.isalpha() or ("-" in value and value.replace("-", "").isalpha()))
    ):
        return _intern(value)
    return value


# --------------------------------------------------------------------------- fast path
#
# Accepts only flat front matter it is sure about and returns None ("not
# handled") for anything else; the slow path then gives the answer. The
# property test in tests/test_frontmatter.py holds the two paths to the same
# result. Written for speed: str methods first, a regex only where needed, and,
# when asked, each line read once per process (see _FAST_LINES).

_FAST_KEY_RE = re.compile(r"\w(?:[\w .\-]*[\w.\-])?\Z")
# Keys that passed _FAST_KEY_RE, each to itself interned (vaults reuse few names).
_FAST_KEYS: dict[str, str] = {}
_MAX_FAST_KEY = 1000  # PyYAML refuses implicit keys longer than 1024 characters
# First characters a plain value may not have here (YAML indicators and space).
_PLAIN_BAD_START = frozenset("?:,[]{}#&*!|>'\"%@` ")
_FLOW_ITEM_RE = re.compile(
    r"""[ ]*(?:"([^"\\]*)"|'([^']*)'|([^\s,\[\]{}\#:?"'&*!|>%@`\-][^,\[\]{}\#:?]*?|-[0-9.][^,\[\]{}\#:?]*?))[ ]*([,\]])""",
    re.VERBOSE,
)
_FLOW_TAIL_RE = re.compile(r"(?:[ ]+(?:\#.*)?)?\Z")
_BAIL: Any = object()
# First characters of plain text that neither YAML nor resolve_plain reads as more
_WORD_START = frozenset("ABCDEGHIJKLMOPQRSUVWXYZabcdeghijklmopqrsuvwxyz")


# What _fast_line made of each line, by line text, for _fast_parse(shared=True): vaults
# repeat many lines (`type: person`, `tags: [x]`, `  - "[[Ada]]"`). A `key: ...` line is
# kept as (_KEY, _OPEN or _FLOW; the key, interned; its value): see _fast_parse.
_BLANK, _ITEM, _KEY, _OPEN, _FLOW = 0, 1, 2, 3, 4
_BLANK_LINE = (_BLANK, 0, None)
_NO_VALUE: Any = object()  # `key:` with nothing after it: a block list may follow
_COPY = ("", "")  # value.join(_COPY): a string equal to value, but another object
_FAST_LINES: dict[str, tuple[int, Any, Any]] = {}
# The same for _fast_parse(shared=False), kept apart: the notes read so (persons) have many
# lines of their own (names, emails), which would push out the lines other notes repeat.
# Its entries hold only values a note may share or copy, and say whether it needs a copy:
# a kind plus _OWN means "copy the value"; see _own_entry.
_OWN_LINES: dict[str, tuple[int, Any, Any]] = {}
_OWN = 8
_MAX_FAST_LINES = 32768
_MAX_KEPT_LINE = 200  # characters: longer lines seldom repeat


def _own_entry(kind: int, arg: Any, value: Any) -> tuple[int, Any, Any] | None:
    """The _OWN_LINES entry for a line _fast_line read as (kind, arg, value), for notes
    whose values are their own: a value every note may share as it is (a word _word
    interned, '' or one Latin-1 character, None, a bool); any other string copied, with
    _OWN added to the kind (each note then gets a copy of its own); None for anything
    else (a number, a flow list: kept, these would push out the lines that do repeat),
    whose line is read again each time."""
    if type(value) is str:
        if len(value) <= _MAX_WORD and (
            value.isalpha() or ("-" in value and value.replace("-", "").isalpha())
        ):
            return kind, arg, value  # a word, interned by _word as _fast_line read it
        if len(value) > 1 or value > "\xff":
            return kind + _OWN, arg, value.join(_COPY)
        return kind, arg, value
    if value is None or type(value) is bool:
        return kind, arg, value
    return None


def _fast_parse(block: str, shared: bool = False) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Parse flat front matter, or return None when it is not sure.

    `shared`: see front_matter_parts (a flow list is kept as a tuple and copied out).
    Without it, lines are read from the memo too, but each value is made the note's own
    (words excepted, which _word interned: every note shares them anyway)."""
    lines = _EOL_RE.split(block) if "\r" in block else block.split("\n")
    if lines[-1] == "":
        lines.pop()
    data: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    list_key: str | None = None  # the `key:` whose block list items may follow
    items: list[Any] = []
    indent = -1
    known = _FAST_LINES if shared else _OWN_LINES
    number = 1
    for line in lines:
        number += 1
        entry = known.get(line)
        if entry is not None:
            kind, arg, value = entry
            if kind >= _OWN:  # from _OWN_LINES: this note's copy of the value
                kind -= _OWN
                value = value.join(_COPY)
        else:
            entry = _fast_line(line)
            if entry is None:
                return None
            kind, arg, value = entry
            if kind == _KEY:
                if value is _NO_VALUE:
                    kind = _OPEN
                elif type(value) is tuple:
                    kind = _FLOW
            # A list of two or more links is kept as seldom as it repeats (who was at a
            # meeting): kept, such lines would push out those that do repeat.
            if len(line) <= _MAX_KEPT_LINE and not (
                kind == _FLOW and len(value) > 1 and "[[" in line
            ):
                entry = (kind, arg, value)
                if not shared and kind != _OPEN and kind != _BLANK:
                    entry = _own_entry(kind, arg, value)  # the note's value stays its own
                if entry is not None:
                    if len(known) >= _MAX_FAST_LINES:
                        known.clear()
                    known[line] = entry
        if kind == _ITEM:
            if list_key is None:
                return None  # a stray item
            if indent < 0:
                indent = arg
                items = data[list_key] = []
            elif arg != indent:
                return None
            items.append(value)
        elif kind != _BLANK:
            if arg in data:
                return None
            key_lines[arg] = number
            if kind == _KEY:
                data[arg] = value
                list_key = None
            elif kind == _FLOW:
                data[arg] = list(value)
                list_key = None
            else:
                data[arg] = None
                list_key = arg
                indent = -1
    # Nodes: the mapping, each key and its value, each list item. A line makes no more
    # nodes than it has characters (`k:` 2, `- x` 1, a flow item 2 or more with its
    # separator), so only a block of MAX_NODES characters or more can have too many.
    if (
        len(block) >= MAX_NODES
        and 1 + 2 * len(data) + sum(len(v) for v in data.values() if type(v) is list) > MAX_NODES
    ):
        return None
    return data, key_lines


def _fast_line(line: str) -> tuple[int, Any, Any] | None:
    """(_KEY, key, value), (_ITEM, indent, value) or _BLANK_LINE; None when not sure."""
    if not line.isprintable():
        # Tabs, control characters, NEL, U+2028/9, U+FEFF, NBSP...: the slow path decides.
        return None
    if not line or line[0] in " -#":
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            return _BLANK_LINE
        if stripped[:2] != "- ":
            return None  # nested map, continuation line...
        value = stripped[2:].lstrip(" ")
        if not value:
            return None
        item = _fast_scalar(value)  # (a name of its own: see hatch_build.py on types)
        if item is _BAIL:
            return None
        return _ITEM, len(line) - len(stripped), _word(item)
    colon = line.find(":")
    if colon <= 0:
        return None
    key = line[:colon]
    seen = _FAST_KEYS.get(key)
    if seen is not None:
        key = seen
    else:
        if len(key) > _MAX_FAST_KEY or not _FAST_KEY_RE.match(key):
            return None
        key = _intern(key)
        if len(_FAST_KEYS) < 4096:
            _FAST_KEYS[key] = key
    rest = line[colon + 1 :]
    value = rest.lstrip(" ")
    if not value:
        return _KEY, key, _NO_VALUE
    if rest[0] != " ":
        return None
    first = value[0]
    if first == "[":
        items = _fast_flow_list(value)
        return None if items is None else (_KEY, key, tuple(items))
    if first in _WORD_START and "#" not in value and ": " not in value:
        # _fast_scalar's answer for plain text that resolve_plain keeps as it is
        value = value.rstrip(" ")
        if value[-1] != ":":
            if len(value) <= _MAX_WORD and (  # _word, inline
                value.isalpha() or ("-" in value and value.replace("-", "").isalpha())
            ):
                value = _intern(value)
            return _KEY, key, value
    scalar = _fast_scalar(value)
    return None if scalar is _BAIL else (_KEY, key, _word(scalar))


def _fast_scalar(value: str) -> Any:
    """A quoted or plain scalar (with an optional comment) filling the rest of a line."""
    first = value[0]
    if first == '"' or first == "'":
        end = value.find(first, 1)
        if end < 0:
            return _BAIL  # multi-line, or a `'` escaped as `''`
        text = value[end + 1 :]
        if text and (text[0] != " " or text.lstrip(" ")[:1] not in ("", "#")):
            return _BAIL
        text = value[1:end]
        if first == '"' and "\\" in text:
            return _BAIL
        return text
    if first in _PLAIN_BAD_START:
        return _BAIL
    if first == "-" and value[1:2] in ("", " "):
        return _BAIL  # `-`, `- x`: a sequence entry in YAML (`-x`, `--10-06` are text)
    hash_at = value.find("#")
    if hash_at >= 0:
        if value[hash_at - 1] != " ":
            return _BAIL  # `C#`, `a#b`: part of the value in YAML, not worth the risk here
        value = value[:hash_at]
    value = value.rstrip(" ")
    if value[-1] == ":" or ": " in value:
        return _BAIL
    return resolve_plain(value)


def _fast_flow_list(text: str) -> list[Any] | None:
    if text[-2:] == '"]' and text[:2] == '["' and len(text) > 3 and "\\" not in text:
        # `["a", "b"]`, the way Obsidian writes a list of links: split on the separators,
        # which hold every quote of the text when no item has one of its own.
        quoted = text[2:-2].split('", "')
        if text.count('"') == 2 * len(quoted):
            return [_word(item) for item in quoted]
    if text[-1] == "]" and text[1:2].isalpha():
        # `[a, b]`, the way tags are written: split on the separators, which hold every space
        # and comma of the text when each item is a word (which YAML reads as plain text).
        words = text[1:-1].split(", ")
        if "".join(words).isalpha() and "" not in words:
            return [_word(resolve_plain(word)) for word in words]
    pos = 1
    items: list[Any] = []
    length = len(text)
    while pos < length and text[pos] == " ":
        pos += 1
    if pos < length and text[pos] == "]":
        pos += 1
    else:
        while True:
            m = _FLOW_ITEM_RE.match(text, pos)
            if m is None:
                return None
            dq, sq, plain, sep = m.groups()
            if dq is not None:
                items.append(_word(dq))
            elif sq is not None:
                items.append(_word(sq))
            else:
                items.append(_word(resolve_plain(plain)))
            pos = m.end()
            if sep == "]":
                break
    if not _FLOW_TAIL_RE.match(text, pos):
        return None
    return items


# --------------------------------------------------------------------------- slow path

_LINK_SOURCE_RE = re.compile(r"\[\[[^\[\]\r\n]+\]\]\Z")
_HASHTAG_COMMENT_RE = re.compile(
    r"[ ]+(#[^\s#][^\s#]*(?:[ ]+#[^\s#][^\s#]*)*)[ ]*(?:\r\n|\r|\n|\Z)"
)


class _Walker:
    """Turns composed nodes into Python values, checking keys on the way."""

    def __init__(self, block: str, path: str, line_of: Any) -> None:
        self.block = block
        self.path = path
        self.line_of = line_of
        self.warnings: list[Problem] = []

    def value(self, node: Node) -> Any:
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode  # see _loader_class

        if isinstance(node, ScalarNode):
            return _word(resolve_plain(node.value) if node.style is None else node.value)
        if isinstance(node, SequenceNode):
            link = self._unquoted_link(node)
            if link is not None:
                return link
            items = []
            for item in node.value:
                value = self.value(item)
                if value is None:
                    self._check_hashtag(item, None)
                items.append(value)
            return items
        assert isinstance(node, MappingNode)
        return self.mapping(node, None)

    def mapping(self, node: MappingNode, key_lines: dict[str, int] | None) -> dict[str, Any]:
        from yaml.nodes import ScalarNode

        out: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Reject(
                    "key is a list or mapping; property names must be plain text",
                    "write the property name as text before the ':'",
                    key_node.start_mark.index,
                )
            key = key_node.value
            if len(key) <= _MAX_FAST_KEY:  # interned as the fast path's keys are (see _word)
                key = _intern(key)
            line = self.line_of(key_node.start_mark.index)
            if key in first:
                raise _Reject(
                    f"duplicate key '{key}' (first on line {first[key]})",
                    "each property may appear once: merge the values or rename one of the keys",
                    key_node.start_mark.index,
                )
            first[key] = line
            if key_lines is not None:
                key_lines[key] = line
            value = self.value(value_node)
            if value is None:
                self._check_hashtag(value_node, key)
            out[key] = value
        return out

    def _unquoted_link(self, node: SequenceNode) -> str | None:
        if not node.flow_style:
            return None
        source = self.block[node.start_mark.index : node.end_mark.index]
        if not _LINK_SOURCE_RE.match(source):
            return None
        self.warnings.append(
            Problem(
                self.path,
                self.line_of(node.start_mark.index),
                f'link in a property must be quoted: "{source}"',
                f'unquoted, YAML reads {source} as a nested list; write "{source}" with the quotes',
                WARNING,
            )
        )
        return source

    def _check_hashtag(self, node: Node, key: str | None) -> None:
        """Warn about `tags: #project`, which YAML reads as an empty value and a comment."""
        from yaml.nodes import ScalarNode

        if not isinstance(node, ScalarNode) or node.style is not None or node.value != "":
            return
        m = _HASHTAG_COMMENT_RE.match(self.block, node.start_mark.index)
        if m is None:
            return
        tag = m.group(1)
        where = f"'{key}' is empty" if key is not None else "list item is empty"
        self.warnings.append(
            Problem(
                self.path,
                self.line_of(node.start_mark.index),
                f"{where} (YAML reads {tag} as a comment); did you mean '{tag}'? quote it or drop the #",
                f'write "{tag}" in quotes, or the tag without the #',
                WARNING,
            )
        )


def _slow_parse(
    block: str, path: str
) -> tuple[dict[str, Any] | None, dict[str, int], list[Problem]]:
    import yaml  # here, not at the top: the fast path reads most notes without it
    from yaml.nodes import MappingNode, SequenceNode
    from yaml.reader import ReaderError

    starts = [0] + [m.end() for m in _EOL_RE.finditer(block)]
    if len(starts) > 1 and starts[-1] == len(block):
        starts.pop()

    def line_of(index: int | None) -> int:
        if index is None:
            return 2
        return 1 + bisect_right(starts, index)

    def fail(
        message: str, hint: str, index: int | None
    ) -> tuple[None, dict[str, int], list[Problem]]:
        return None, {}, [Problem(path, line_of(index), message, hint)]

    nul = block.find("\x00")
    if nul >= 0:
        return fail("front matter contains a NUL byte", "the file may be binary or damaged", nul)
    deep = _prescan_depth(block, starts)
    if deep is not None:
        return fail(_DEPTH_MESSAGE, _DEPTH_HINT, deep)

    try:
        loader = _loader_class()(block)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if loader.kith_anchor is not None:
            raise _Reject(
                "YAML anchors (&name) and aliases (*name) are not allowed in front matter",
                "remove the '&name'; quote the value if the '&' is part of the text",
                loader.kith_anchor,
            )
        if root is None:
            return {}, {}, []
        if not isinstance(root, MappingNode):
            got = "a list" if isinstance(root, SequenceNode) else "a single value"
            raise _Reject(
                f"front matter must be a mapping of key: value, got {got}",
                "write one 'key: value' property per line; put a list under a key "
                "('tags:' followed by '  - item' lines)",
                root.start_mark.index,
            )
        walker = _Walker(block, path, line_of)
        key_lines: dict[str, int] = {}
        data = walker.mapping(root, key_lines)
        return data, key_lines, walker.warnings
    except _Reject as reject:
        return fail(reject.message, reject.hint, reject.index)
    except ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return fail(
            f"front matter contains the control character U+{ord(char):04X}, which YAML does not allow",
            "delete the invisible character (or quote it as an escape in a double-quoted value)",
            exc.position,
        )
    except yaml.MarkedYAMLError as exc:
        message, hint, index = _describe_yaml_error(exc, block, line_of)
        return fail(message, hint, index)
    except (yaml.YAMLError, RecursionError) as exc:
        return fail(f"invalid YAML front matter: {exc}", _GENERIC_HINT, None)


_GENERIC_HINT = (
    "check quotes, brackets and indentation; quote values that contain ': ', ' #' "
    "or start with a special character such as [ { & * ! | > @ or `"
)


def _describe_yaml_error(
    exc: yaml.MarkedYAMLError, block: str, line_of: Any
) -> tuple[str, str, int | None]:
    problem = exc.problem or "syntax error"
    mark = exc.problem_mark or exc.context_mark
    context_mark = exc.context_mark
    if context_mark is not None and (
        "end of stream" in problem
        or "<stream end>" in problem
        or "could not find expected ':'" in problem
    ):
        mark = context_mark  # point at what was opened (a quote, '[', a key), not past it
    index = mark.index if mark is not None else None
    if "'\\t' that cannot start any token" in problem and mark is not None:
        line_start = max(block.rfind("\n", 0, mark.index), block.rfind("\r", 0, mark.index)) + 1
        if block[line_start : mark.index].strip(" \t") == "":
            return (
                "tab used for indentation in front matter",
                "YAML indentation must use spaces; replace the tab with spaces",
                index,
            )
        return (
            "tab used as spacing in front matter (only spaces are allowed outside quotes)",
            "replace the tab with a space, or quote the value if the tab belongs to it",
            index,
        )
    hint = _GENERIC_HINT
    opened_on = f" opened on line {line_of(context_mark.index)}" if context_mark is not None else ""
    if "quoted scalar" in (exc.context or ""):
        hint = f"the quoted value{opened_on} is never closed; add the closing quote"
    elif "flow sequence" in (exc.context or "") or "flow mapping" in (exc.context or ""):
        hint = (
            f"the '[' or '{{'{opened_on} is not closed properly; if the brackets are text, "
            'quote the value (links must be quoted: "[[Name]]")'
        )
    elif "cannot start any token" in problem:
        hint = "quote the value: a value cannot start with this character unquoted"
    elif "mapping values are not allowed" in problem:
        hint = "quote the value if it contains ': ', or fix the indentation of this line"
    return f"invalid YAML front matter: {problem}", hint, index


# --------------------------------------------------------------------------- depth pre-scan

_PRESCAN_TOKEN_RE = re.compile(r"""[\[\]{}]|(?<![^\s\[{,:])["']|(?<!\S)#""")
_COMPACT_RE = re.compile(r"(?:[-?:](?: +|\Z))*")
_KEYISH_RE = re.compile(r"""[^\s\[{"'#][^#]*?:(?: |\Z)""")
_PLAIN_END_RE = re.compile(r" #|:(?: |\Z)")
_PROPERTY_RE = re.compile(r"\S*")
_DQ_END_RE = re.compile(r'(?:[^"\\]|\\.)*"')
_SQ_END_RE = re.compile(r"(?:[^']|'')*'")


def _prescan_depth(block: str, starts: list[int]) -> int | None:
    """Index in `block` where nesting first exceeds MAX_DEPTH, judged from the text alone.

    Runs before any YAML parser sees the text, so a 60 KB `[[[[...` costs one
    regex pass. Block nesting is estimated from indentation and compact `- `
    indicators; flow brackets are counted where a node can start and inside
    flow collections, outside quotes and comments. The composer checks the
    exact depth again, so an estimate off by one in odd layouts is harmless.
    """
    bound = block.count("[") + block.count("{") + block.count("- ") + block.count("? ")
    if bound + len(starts) <= MAX_DEPTH:
        return None
    stack: list[tuple[int, bool]] = []  # (indent, is_sequence) of open block collections
    flow = 0
    flow_base = 0
    quote = ""
    indent = 0
    scalar_indent = -1  # inside a block scalar (`|`, `>`) indented deeper than this
    for number, line in enumerate(_EOL_RE.split(block)):
        offset = starts[number] if number < len(starts) else len(block)
        pos = 0
        at_node = False  # True where a node may start (after an indicator or ': ')
        if quote:
            end = (_DQ_END_RE if quote == '"' else _SQ_END_RE).match(line)
            if end is None:
                continue
            quote = ""
            pos = end.end()
        elif flow == 0:
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            indent = len(line) - len(stripped)
            if scalar_indent >= 0:
                if indent > scalar_indent:
                    continue
                scalar_indent = -1
            compact = _COMPACT_RE.match(stripped)
            assert compact is not None
            is_seq = stripped[0] == "-" and compact.end() > 0
            while stack and stack[-1][0] > indent:
                stack.pop()
            if stack and stack[-1][0] == indent:
                if stack[-1][1] != is_seq:
                    if is_seq:
                        stack.append((indent, True))  # a list under a key at the same indent
                    else:
                        stack.pop()
                        if not (stack and stack[-1][0] == indent):
                            stack.append((indent, False))
            else:
                stack.append((indent, is_seq))
            head = stripped[: compact.end()]
            extra = head.count("-") + head.count("?") - (1 if is_seq else 0)
            if is_seq and _KEYISH_RE.match(stripped, compact.end()):
                extra += 1  # `- key: value` opens a mapping inside the item
            flow_base = len(stack) + extra
            if flow_base > MAX_DEPTH:
                return offset + indent
            pos = indent + compact.end()
            at_node = True
        length = len(line)
        while pos < length:
            if flow:
                token = _PRESCAN_TOKEN_RE.search(line, pos)
                if token is None:
                    break
                char = token.group()
                pos = token.end()
                if char in "[{":
                    flow += 1
                    if flow_base + flow > MAX_DEPTH:
                        return offset + token.start()
                elif char in "]}":
                    flow -= 1
                    at_node = False
                elif char == "#":
                    break
                else:
                    end = (_DQ_END_RE if char == '"' else _SQ_END_RE).match(line, pos)
                    if end is None:
                        quote = char
                        break
                    pos = end.end()
                continue
            # block context: only the start of a node can open a flow collection
            while pos < length and line[pos] == " ":
                pos += 1
            if pos >= length or line[pos] == "#":
                break
            char = line[pos]
            if not at_node:
                if char != ":":
                    break
                pos += 1
                at_node = True
            elif char in "[{":
                flow = 1
                if flow_base + 1 > MAX_DEPTH:
                    return offset + pos
                pos += 1
            elif char in "\"'":
                end = (_DQ_END_RE if char == '"' else _SQ_END_RE).match(line, pos + 1)
                if end is None:
                    quote = char
                    break
                pos = end.end()
                at_node = False
            elif char in "&!":  # an anchor or tag; the node follows
                pos = _PROPERTY_RE.match(line, pos).end()  # type: ignore[union-attr]
            elif char in "|>":
                scalar_indent = indent
                break
            else:
                end_plain = _PLAIN_END_RE.search(line, pos)
                if end_plain is None or end_plain.group() == " #":
                    break
                pos = end_plain.end()
    return None
