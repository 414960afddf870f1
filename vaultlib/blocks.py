"""Generated blocks inside notes: find them, and refill them without touching anything else.

This module owns the block format. A block sits between two marker lines,

    <!-- kith:NAME opt=value opt2="a value" -->
    ...generated lines...
    <!-- kith-hash 0123456789ab -->
    <!-- /kith:NAME -->

and the hash line records what kith last wrote, so a block the user edited by hand
is reported instead of overwritten. Filling a block changes only the lines strictly
between its markers: line endings, the final-newline state and every other byte
stay as they were. Rendered text that looks like a marker is defused, so markers
stay balanced however often a note is refilled. Unbalanced, duplicated, crossed,
nested or malformed markers leave the whole note unchanged. This module is pure
text -> text: it never reads or writes files and never decides what a block says.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from .model import ERROR, WARNING, Problem
from .textutil import line_ending, split_lines, strip_eol

_OPEN_RE = re.compile(
    r"\A[ \t]*<!--[ \t]*kith:([A-Za-z0-9_-]+?)(?:[ \t]+(.*?))?[ \t]*-->[ \t]*\Z", re.DOTALL
)
_CLOSE_RE = re.compile(r"\A[ \t]*<!--[ \t]*/kith:([A-Za-z0-9_-]+?)[ \t]*-->[ \t]*\Z")
_HASH_RE = re.compile(r"\A[ \t]*<!--[ \t]*kith-hash[ \t]+([0-9a-f]{12})[ \t]*-->[ \t]*\Z")
# A line that starts like a marker but is not one (typo, text after `-->`, bad name).
_MARKERISH_RE = re.compile(r"\A[ \t]*<!--[ \t]*/?kith:[A-Za-z0-9_-]")
_OPTION_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=(?:"([^"]*)"|([^\s"]+))(?=[ \t]|\Z)')
_FENCE_OPEN_RE = re.compile(r"\A {0,3}(`{3,}|~{3,})(.*)\Z", re.DOTALL)
_FENCE_CLOSE_RE = re.compile(r"\A {0,3}(`{3,}|~{3,})[ \t]*\Z")

# Defusing rendered text: `kith:` and `kith-hash` inside an HTML comment can never
# form a marker once written as `kith&#58;` / `kith&#45;hash` (Obsidian shows the same).
_DEFUSE_COLON_RE = re.compile(r"(kith):", re.IGNORECASE)
_DEFUSE_HASH_RE = re.compile(r"(kith)-(hash)", re.IGNORECASE)

HASH_LENGTH = 12
_UNCHANGED = "file left unchanged"
_EDITED_HINT = "delete the text between the markers to let kith fill it again"
_MARKER_HINT = (
    "each block needs one '<!-- kith:NAME -->' line and one '<!-- /kith:NAME -->' line "
    "after it, each alone on its line, with no other block in between"
)


@dataclass(frozen=True)
class Block:
    """One generated block: its name, options, and the 1-based lines of its two markers."""

    name: str
    options: dict[str, str]
    begin_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class _Marker:
    closing: bool
    name: str
    line: int
    options_text: str


def _lines_list(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in lines)


def parse_options(text: str) -> tuple[dict[str, str], str | None]:
    """Parse `key=value key2="a value"`; returns (options, error message or None)."""
    options: dict[str, str] = {}
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return options, None
        m = _OPTION_RE.match(text, pos)
        if m is None:
            rest = text[pos:]
            return (
                options,
                f'malformed option {rest.split()[0]!r}; expected key=value or key="value"',
            )
        key = m.group(1)
        if key in options:
            return options, f"option {key!r} is given twice"
        options[key] = m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()


def _scan(lines: list[str], path: str) -> tuple[list[_Marker], list[Problem]]:
    """Every marker line outside code fences, and problems with malformed marker lines.

    Fences are only tracked outside blocks: kith owns the text inside a block, and a
    fence there must not hide the block's closing marker.
    """
    markers: list[_Marker] = []
    problems: list[Problem] = []
    fence: tuple[str, int] | None = None
    inside = False
    for number, raw in enumerate(lines, 1):
        line = strip_eol(raw)
        if not inside:
            if fence is not None:
                m = _FENCE_CLOSE_RE.match(line)
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1]:
                    fence = None
                continue
            m = _FENCE_OPEN_RE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = (m.group(1)[0], len(m.group(1)))
                continue
        m = _OPEN_RE.match(line)
        if m:
            markers.append(_Marker(False, m.group(1), number, m.group(2) or ""))
            inside = True
            continue
        m = _CLOSE_RE.match(line)
        if m:
            markers.append(_Marker(True, m.group(1), number, ""))
            inside = False
            continue
        if _MARKERISH_RE.match(line):
            problems.append(
                Problem(
                    path,
                    number,
                    "malformed kith marker: expected '<!-- kith:NAME -->' or "
                    f"'<!-- /kith:NAME -->' alone on the line; {_UNCHANGED}",
                    _MARKER_HINT,
                    ERROR,
                )
            )
    return markers, problems


def _structure_problems(markers: list[_Marker], path: str) -> list[Problem]:
    problems: list[Problem] = []
    names: list[str] = []
    opens: dict[str, list[int]] = {}
    closes: dict[str, list[int]] = {}
    for mk in markers:
        if mk.name not in opens:
            names.append(mk.name)
            opens[mk.name] = []
            closes[mk.name] = []
        (closes if mk.closing else opens)[mk.name].append(mk.line)
    for name in names:
        o, c = opens[name], closes[name]
        every = sorted(o + c)
        if len(o) != len(c):
            problems.append(
                Problem(
                    path,
                    every[0],
                    f"block '{name}' has {len(o)} opening and {len(c)} closing markers "
                    f"({_lines_list(every)}); {_UNCHANGED}",
                    _MARKER_HINT,
                    ERROR,
                )
            )
        elif len(o) > 1:
            problems.append(
                Problem(
                    path,
                    every[0],
                    f"block '{name}' appears {len(o)} times (opening markers on "
                    f"{_lines_list(o)}); {_UNCHANGED}",
                    "use each block name once per note",
                    ERROR,
                )
            )
    if problems:
        return problems
    current: _Marker | None = None
    for mk in markers:
        if not mk.closing:
            if current is not None:
                return [
                    Problem(
                        path,
                        current.line,
                        f"block '{mk.name}' (line {mk.line}) starts inside block "
                        f"'{current.name}' (line {current.line}); blocks may not nest "
                        f"or cross; {_UNCHANGED}",
                        _MARKER_HINT,
                        ERROR,
                    )
                ]
            current = mk
        elif current is None:
            return [
                Problem(
                    path,
                    mk.line,
                    f"closing marker of block '{mk.name}' (line {mk.line}) comes before "
                    f"its opening marker; {_UNCHANGED}",
                    _MARKER_HINT,
                    ERROR,
                )
            ]
        elif mk.name != current.name:
            return [
                Problem(
                    path,
                    current.line,
                    f"block '{current.name}' (line {current.line}) is closed by the marker "
                    f"of block '{mk.name}' (line {mk.line}); {_UNCHANGED}",
                    _MARKER_HINT,
                    ERROR,
                )
            ]
        else:
            current = None
    return []


def find_blocks(text: str, path: str) -> tuple[list[Block], list[Problem]]:
    """The generated blocks of a note (text without BOM), in order, and marker problems.

    Markers inside fenced code blocks are ignored. When any marker is unbalanced,
    duplicated, crossed, nested or malformed, no blocks are returned and the
    problems (severity error) say which lines to fix.
    """
    lines = split_lines(text)
    markers, problems = _scan(lines, path)
    problems.extend(_structure_problems(markers, path))
    blocks: list[Block] = []
    pending: _Marker | None = None
    for mk in markers:
        if not mk.closing:
            pending = mk
            continue
        if pending is None:
            continue
        options, error = parse_options(pending.options_text)
        if error is not None:
            problems.append(
                Problem(
                    path,
                    pending.line,
                    f"block '{pending.name}': {error}; {_UNCHANGED}",
                    'write options as key=value or key="value with spaces"',
                    ERROR,
                )
            )
        blocks.append(Block(pending.name, options, pending.line, mk.line))
        pending = None
    problems.sort(key=Problem.sort_key)
    if any(p.severity == ERROR for p in problems):
        return [], problems
    return blocks, problems


def defuse(line: str) -> str:
    """Make a rendered line unable to act as a kith marker or hash line."""
    if "<!--" in line and "kith" in line.casefold():
        line = _DEFUSE_COLON_RE.sub(r"\1&#58;", line)
        line = _DEFUSE_HASH_RE.sub(r"\1&#45;\2", line)
    return line


def body_hash(body_lines: list[str]) -> str:
    """The hash kith records for a block body (lines without endings).

    Lines are joined with `\\n` and their trailing spaces and tabs ignored, so a change
    of line endings or an editor trimming trailing whitespace is not a hand edit.
    """
    canonical = "\n".join(line.rstrip(" \t") for line in body_lines)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def hash_line(body_lines: list[str]) -> str:
    return f"<!-- kith-hash {body_hash(body_lines)} -->"


def _is_regenerable(inner: list[str]) -> bool:
    """True if the block is empty or still holds exactly what kith last wrote."""
    stripped = [strip_eol(line) for line in inner]
    last = len(stripped) - 1
    while last >= 0 and not stripped[last].strip():
        last -= 1
    if last < 0:
        return True
    m = _HASH_RE.match(stripped[last])
    return m is not None and body_hash(stripped[:last]) == m.group(1)


def render_inner(body: str, eol: str) -> list[str]:
    """The lines kith writes between the markers for `body`: defused body lines + hash line."""
    body_lines = [defuse(strip_eol(line)) for line in split_lines(body)]
    return [line + eol for line in body_lines] + [hash_line(body_lines) + eol]


def fill_blocks(
    text: str, path: str, render: Callable[[Block], str | None]
) -> tuple[str, list[Problem]]:
    """Refill every block `render` returns a body for; returns (new text, problems).

    Only the lines strictly between a block's markers change; new lines use the
    opening marker's line ending. Blocks edited by hand are left alone with a
    warning. With any marker error the original text is returned unchanged.
    """
    blocks, problems = find_blocks(text, path)
    if any(p.severity == ERROR for p in problems) or not blocks:
        return text, problems
    lines = split_lines(text)
    out: list[str] = []
    pos = 0
    for block in blocks:
        out.extend(lines[pos : block.begin_line])  # up to and including the opening marker
        inner = lines[block.begin_line : block.end_line - 1]
        pos = block.end_line - 1
        if not _is_regenerable(inner):
            problems.append(
                Problem(
                    path,
                    block.begin_line,
                    f"generated block '{block.name}' was edited by hand; not regenerated",
                    _EDITED_HINT,
                    WARNING,
                )
            )
            out.extend(inner)
            continue
        body = render(block)
        if body is None:
            out.extend(inner)
            continue
        out.extend(render_inner(body, line_ending(lines[block.begin_line - 1])))
    out.extend(lines[pos:])
    problems.sort(key=Problem.sort_key)
    return "".join(out), problems
