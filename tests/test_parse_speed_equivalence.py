"""The parser's shortcuts, held to the plain definitions they stand for.

`NoteParser.parse` and the front matter fast path take shortcuts for speed: cheap
one-character checks before a regex, dates checked by hand, a regex reordered so it
can search, a per-process memo of front matter lines. Each test here states the plain
definition (as the code read before the shortcut) and checks the shortcut agrees.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib import dates, frontmatter, parse
from vaultlib.config import config_from_dict
from vaultlib.frontmatter import _read, front_matter_parts


def _texts(pieces: list[str], max_size: int = 16) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


# --- dates -------------------------------------------------------------------------

_LEADING_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?=$|[ _.\-])")


def leading_date(stem: str) -> date | None:
    m = _LEADING_DATE.match(stem)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_DIGITS = list("0123456789") + ["٣", "²", "１"]  # Arabic-Indic and fullwidth digits are \d
_STEMS = st.one_of(
    _texts(list("0123456789-_. x\n") + ["٣", "²", "é"], 14),
    st.builds(
        lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
        st.integers(0, 9999),
        st.integers(0, 99),
        st.integers(0, 99),
        _texts(list(" _.-x\né"), 3),
    ),
)


@given(_STEMS)
def test_leading_date_is_the_regex(stem: str) -> None:
    assert dates.leading_date(stem) == leading_date(stem)


@given(st.text(st.sampled_from(_DIGITS), min_size=8, max_size=8))
def test_log_day_is_parse_date(digits: str) -> None:
    day = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    assert parse._iso_day(day) == dates.parse_date(day)


@given(st.text(st.sampled_from(_DIGITS + list("-.eE+x")), min_size=5, max_size=10))
def test_a_date_is_never_a_yaml_number(value: str) -> None:
    if value[0] in "0123456789+-." and value[4] == "-" and value[:4].isdigit():
        assert frontmatter._NUMBER_RE.match(value) is None  # what resolve_plain skips


# --- line text ----------------------------------------------------------------------

_DIRECTION_TAG = re.compile(r"(?<![\w/])#(give|ask)\b", re.IGNORECASE)
_LINE_PIECES = [
    "#", "/", "_", " ", "  ", "\t", "\xa0", "x", "é", "1", "2.", "- ", "* ", "[ ] ", "[x] ",
    "give", "ask", "GIVE", "Ask", "#give", "!", "[[", "]]", "|", "\\", "^", "](", "(", ")",
    "a.md", "<b c.md>", "—", ":", "\n", "\u2028",
]  # fmt: skip


def split_target(inner: str) -> tuple[str, str | None]:
    inner = inner.replace("\\|", "|")
    target, _, shown = inner.partition("|")
    target = target.split("#", 1)[0].split("^", 1)[0].strip()
    return target, (shown.strip() or None)


def link_target(value: str) -> str | None:
    m = parse._WIKI.search(value)
    return (split_target(m.group(1))[0] or None) if m else None


def display_text(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        target, shown = split_target(m.group(1))
        return shown or target.rsplit("/", 1)[-1]

    return parse._WIKI.sub(repl, value).strip()


def strip_line(text: str) -> str:
    text = parse._LIST_ITEM.sub("", text, count=1)
    text = _DIRECTION_TAG.sub("", text)
    if "!" in text:
        text = parse._EMBED_BANG.sub("", text)
    text = display_text(parse._MDLINK.sub(lambda m: m.group(1), text))
    text = parse._WS.sub(" ", text).strip(" -–—:")
    return text[:160]


@settings(max_examples=500)
@given(st.lists(_texts(_LINE_PIECES, 8), max_size=4))
def test_property_links_are_link_target(values: list[str]) -> None:
    fm = {f"k{i}": v for i, v in enumerate(values)} | {"list": values}
    want = [(t, 1, "") for t in map(link_target, [*values, *values]) if t]
    assert parse._fm_links(fm, {}) == want
    assert parse._fm_links(fm, {}) == want  # again, from what the first call kept


@settings(max_examples=500)
@given(_texts(_LINE_PIECES))
def test_line_helpers_are_their_definitions(text: str) -> None:
    assert parse._DIRECTION_TAG.findall(text) == _DIRECTION_TAG.findall(text)
    assert parse._DIRECTION_TAG.sub("", text) == _DIRECTION_TAG.sub("", text)
    assert parse.split_target(text) == split_target(text)
    assert parse.link_target(text) == link_target(text)
    assert parse.display_text(text) == display_text(text)
    assert parse._strip_line(text) == strip_line(text)


def body_links(text: str, first_line: int) -> list[tuple[str, int, str]]:
    hits: list[tuple[int, str]] = []
    for m in parse._WIKI.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "!":
            continue
        target, _ = split_target(m.group(1))
        if target:
            hits.append((m.start(), target))
    for m in parse._MDLINK.finditer(text):
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
    hits.sort()
    found = []
    for pos, target in hits:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        ctx = text[start : end if end != -1 else len(text)]
        if not parse._UNCHECKED.match(ctx):
            found.append((target, first_line + text.count("\n", 0, pos), ctx))
    return found


@settings(max_examples=500)
@given(_texts([*_LINE_PIECES, "[[Ada]]", "![[Ada]]", "[b](c%20d.md)", "[e](https://f.md)"], 24))
def test_body_links_is_its_definition(text: str) -> None:
    assert parse._body_links(text, 7) == body_links(text, 7)


_LOG_ITEM = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[xX]\]\s+)?"
    r"(?:(\d{4}-\d{2}-\d{2})\b|\[\[(\d{4}-\d{2}-\d{2})(?:\|[^\]\n]*)?\]\])"
    r"[ \t]*:?[ \t]*(.*?)\s*$"
)


_LOG_PIECES = [" ", "\t", "- ", "1. ", "[x] ", "2026-11-03", "[[2026-11-03|Tue]]", ":", "a", "\xa0", "\u2028"]  # fmt: skip


@given(_texts(_LOG_PIECES))
def test_log_line_rest_is_the_regex_tail(line: str) -> None:
    m, want = parse._LOG_ITEM.match(line), _LOG_ITEM.match(line)
    assert (m is None) == (want is None)
    if m and want:
        assert m.groups() == want.groups()[:2]
        assert line[m.end() :].rstrip() == want.group(3)


# --- front matter -------------------------------------------------------------------


def test_shared_front_matter_has_lists_of_its_own() -> None:
    """The line memo keeps flow lists as tuples: every note gets lists of its own."""
    text = "---\ntags: [a, b]\npeople:\n  - xy\n---\n"
    first = front_matter_parts(text, "a.md", shared=True)
    assert first[0] is not None
    first[0]["tags"].append("c")
    first[0]["people"].append("y")
    second = front_matter_parts(text, "b.md", shared=True)
    assert second[0] == {"tags": ["a", "b"], "people": ["xy"]}
    assert repr(second) == repr(front_matter_parts(text, "b.md"))


def test_kept_front_matter_is_the_notes_own() -> None:
    """Persons and goals keep their front matter: no value in it is shared with another
    note (so a record marshals exactly as when its note is read on its own)."""
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    data = b"---\ntype: goal\ncompany: Acme Bank\n---\n"
    seen = front_matter_parts(data.decode(), "Meetings/x.md", shared=True)[0]
    assert seen is not None
    for path in ("Goals/g.md", "People/Ada.md", "Notes/Bo.md"):
        rec = parser.parse(path, data)
        assert rec.fm is not None and rec.fm["company"] == "Acme Bank"
        assert rec.fm["company"] is not seen["company"]


def test_fast_path_reads_values_starting_with_a_dash() -> None:
    block = "birthday: --10-06\nnote: -x\ntemp: -5\n"
    assert frontmatter._fast_parse(block) is not None
    text = "---\n" + block + "---\n"
    assert repr(_read(text, "a.md", use_fast=True)) == repr(_read(text, "a.md", use_fast=False))


_MOVE_PIECES = ["stage", "Stage", "ſtage", "ring", "RING", "rings", " ", ":", "a", "→", "->", "cold", "buddy"]  # fmt: skip


@given(_texts(_MOVE_PIECES, 8))
def test_a_log_line_is_a_move_exactly_when_move_matches(rest: str) -> None:
    """_parse_log tries _MOVE only when _KIND's word allows it."""
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    rec = parser.parse("People/Ada.md", f"## Log\n- 2026-01-02 {rest}\n".encode())
    said = parse._LOG_ITEM.match(f"- 2026-01-02 {rest}")
    assert said is not None
    is_move = parse._MOVE.match(f"- 2026-01-02 {rest}"[said.end() :].rstrip()) is not None
    assert len(rec.moves) + len(rec.problems) == (1 if is_move else 0)
    assert len(rec.log) == (0 if is_move else 1)
