"""The parser's shortcuts, held to the plain definitions they stand for.

`NoteParser.parse` and the front matter fast path take shortcuts for speed: cheap
one-character checks before a regex, dates checked by hand, a regex reordered so it
can search, per-process memos (front matter lines, link targets, dates), a dated note's
links deduplicated before their lines are read. Each test here states the plain
definition (as the code read before the shortcut) and checks the shortcut agrees.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from vaultlib import dates, frontmatter, parse
from vaultlib.config import config_from_dict
from vaultlib.frontmatter import _read, front_matter_parts
from vaultlib.records import encode


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


_LAZY_WIKI = re.compile(r"\[\[([^\]\n]*?)\]\]")  # _WIKI as written before it was greedy


@settings(max_examples=500)
@given(_texts(["[", "]", "[[", "]]", "]]]", "\n", "a", "|", "!", " ", "\\"], 24))
def test_wiki_link_regex_is_the_lazy_one(text: str) -> None:
    def found(rx: re.Pattern[str]) -> list[tuple[tuple[int, int], str]]:
        return [(m.span(), m.group(1)) for m in rx.finditer(text)]

    assert found(parse._WIKI) == found(_LAZY_WIKI)


_LOG_ITEM = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[xX]\]\s+)?"
    r"(?:(\d{4}-\d{2}-\d{2})\b|\[\[(\d{4}-\d{2}-\d{2})(?:\|[^\]\n]*)?\]\])"
    r"[ \t]*:?[ \t]*(.*?)\s*$"
)


_KIND = re.compile(r"^([A-Za-z]+)\s*:\s*(.*)$")
_LOG_PIECES = [" ", "\t", "- ", "1. ", "[x] ", "2026-11-03", "[[2026-11-03|Tue]]", ":", "a", "Call", "ſ", "\xa0", "\u2028"]  # fmt: skip


@given(_texts(_LOG_PIECES))
# Lines that read a kind across other spaces than " " (random pieces seldom make them).
@example("- 2026-11-03 Call\t: a")
@example("- 2026-11-03 call\xa0:\u2028x")
@example("1. [[2026-11-03|Tue]] Call :a ")
def test_log_line_rest_is_the_regex_tail(line: str) -> None:
    m, want = parse._LOG_ITEM.match(line), _LOG_ITEM.match(line)
    assert (m is None) == (want is None)
    if m and want:
        assert m.groups()[:2] == want.groups()[:2]
        rest = line[m.end() :].rstrip()
        assert rest == want.group(3)
        # the kind's word and what follows it, as _KIND reads them on the rest
        kind = _KIND.match(rest)
        assert m.group(3) == (kind.group(1) if kind else None)
        if kind:
            assert line[m.start(4) :].rstrip() == kind.group(2)


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
    """_parse_log tries _MOVE only when the kind's word allows it."""
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    rec = parser.parse("People/Ada.md", f"## Log\n- 2026-01-02 {rest}\n".encode())
    said = parse._LOG_ITEM.match(f"- 2026-01-02 {rest}")
    assert said is not None
    is_move = parse._MOVE.match(f"- 2026-01-02 {rest}"[said.end() :].rstrip()) is not None
    assert len(rec.moves) + len(rec.problems) == (1 if is_move else 0)
    assert len(rec.log) == (0 if is_move else 1)


# --- second round: memos of leading dates, log days and own front-matter lines; tags by
# findall; a dated note's links without reading the line of a target already seen; the
# log read from its first heading; PyYAML imported on first use -------------------------


@given(st.lists(_STEMS, max_size=6))
def test_leading_date_memo_answers_as_the_regex(stems: list[str]) -> None:
    for stem in [*stems, *stems]:  # again, from what the memo kept
        assert dates.leading_date(stem) == leading_date(stem)


@given(st.lists(st.text(st.sampled_from(_DIGITS), min_size=8, max_size=8), max_size=4))
def test_log_day_memo_is_parse_date(digit_runs: list[str]) -> None:
    for digits in [*digit_runs, *digit_runs]:
        day = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
        assert parse._log_day(day) == dates.parse_date(day)


_TAG_PIECES = ["#", "##", "# ", "a", "é", "1", "_", "/", "-", "&", "x#y", " ", "\n", "中", "²", "A"]


def body_tags(text: str) -> set[str]:
    out = set()
    for m in parse._TAG.finditer(text):
        i = m.start()
        if i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_/&#"):
            out.add(m.group(1).casefold())
    return out


@settings(max_examples=500)
@given(_texts(_TAG_PIECES, 20))
def test_body_tags_is_its_definition(text: str) -> None:
    assert parse._body_tags(text) == body_tags(text)


def fm_tags(value: object) -> set[str]:
    out: set[str] = set()
    if isinstance(value, str):
        value = [t for t in re.split(r"[,\s]+", value) if t]
    if isinstance(value, list):
        for t in value:
            if isinstance(t, str) and t.strip("# "):
                out.add(t.strip().lstrip("#").casefold())
    return out


@given(st.one_of(_texts(["#", " ", ",", "a", "B", "\t"], 8), st.lists(st.one_of(_texts(["#", " ", "a", "É"], 4), st.integers(), st.none()))))  # fmt: skip
def test_fm_tags_is_its_definition(value: object) -> None:
    assert parse._fm_tags(value) == fm_tags(value)


def dated_links(
    fm: dict[str, object], text: str, summary: str, kind: str, note_dir: str | None
) -> list[tuple[str, int, str, str, str | None]]:
    """What parse made of a dated note's links before the shortcut (not a daily note)."""
    seen: set[str] = set()
    links = []
    candidates = [(t, 1, "") for t in map(link_target, _property_strings(fm)) if t]
    for target, line, ctx in candidates + body_links(text, 7):
        if target.casefold() in seen:
            continue
        seen.add(target.casefold())
        direction = (parse._direction(ctx) if ctx else None) or note_dir
        links.append((target, line, summary, kind, direction))
    return links


def _property_strings(fm: dict[str, object]) -> list[str]:
    out = []
    for value in fm.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                out.append(item)
    return out


_LINK_PIECES = [*_LINE_PIECES, "[[Ada]]", "[[ada|A]]", "![[Ada]]", "[[Bo#x]]", "[b](c%20d.md)", "[[Bo]]", "#Give", "[ ] "]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(_texts(_LINK_PIECES, 4), max_size=3), _texts(_LINK_PIECES, 24), st.sampled_from([None, "give"]))  # fmt: skip
def test_dated_links_is_its_definition(values: list[str], text: str, note_dir: str | None) -> None:
    fm: dict[str, object] = {f"k{i}": v for i, v in enumerate(values)} | {"list": values, "n": 3}
    for _ in range(2):  # again, from what the memos kept
        got = parse._dated_links(fm, {}, text, 7, "S", "meeting", note_dir)
        assert got == dated_links(fm, text, "S", "meeting", note_dir)


def log_start(parser: parse.NoteParser, body: str) -> tuple[int, int]:
    pos = 0
    for line in body.split("\n"):
        m = parse._HEADING.match(line)
        if m and m.group(2).strip().casefold() in parser.headings:
            return min(pos + len(line) + 1, len(body)), len(m.group(1))
        pos += len(line) + 1
    return -1, 0


@given(_texts(["#", "## ", "# ", "Log", "log ", "Notes", "\n", " ", "x", "#\t", "####### "], 16))
def test_log_starts_at_the_first_log_heading(body: str) -> None:
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    assert parser._log_start(body) == log_start(parser, body)


# Front matter lines as persons and notes write them; read with shared=False a line may come
# from the memo of lines, but every value must be the note's own object, as when read anew.
_FM_LINES = [
    "name: Ada Lovelace", "stage: cold", "role: x", "email: a@b.c", "tags:", "  - friend",
    "  - é", "  - 中", "  - x", "a: ''", 'b: "q"', "n: 12", "f: 1.5", "t: true", "z: ~",
    "flow: [a, b]", 'people: ["[[A]]", "[[B]]"]', "k: \u00e9", "k2: \u4e2d", "# c", "",
]  # fmt: skip


@given(st.lists(st.sampled_from(_FM_LINES), max_size=8), st.booleans())
def test_front_matter_from_the_memo_reads_as_anew(lines: list[str], shared: bool) -> None:
    block = "".join(line + "\n" for line in lines)
    frontmatter._OWN_LINES.clear()
    plain = frontmatter._fast_parse(block, shared)  # fills the memo
    again = frontmatter._fast_parse(block, shared)  # reads from it
    fresh = _read("---\n" + block + "---\n", "a.md", use_fast=False)
    if plain is None:
        assert again is None
        return
    assert again is not None
    assert repr(again) == repr(plain) == repr((fresh.data, fresh.key_lines))
    if not shared:  # a value is shared with another note only as Python shares it
        frontmatter._OWN_LINES.clear()
        first = frontmatter._fast_parse(block, shared)
        frontmatter._OWN_LINES.clear()
        second = frontmatter._fast_parse(block, shared)
        assert first is not None and second is not None
        python_shares = [a is b for a, b in zip(_values(first[0]), _values(second[0]))]
        assert [a is b for a, b in zip(_values(again[0]), _values(plain[0]))] == python_shares


def _values(data: dict[str, object]) -> list[object]:
    out: list[object] = []
    for value in data.values():
        out.extend(value if isinstance(value, list) else [value])
    return out


@given(st.lists(st.sampled_from(['"[[A]]"', '"[[B c]]"', '"x"', '""', 'a', '"q\\"', "'s'"]), min_size=1, max_size=4), st.sampled_from(["", " ", "  # c", ","]))  # fmt: skip
def test_flow_list_of_quoted_items_is_read_as_before(items: list[str], tail: str) -> None:
    text = "[" + ", ".join(items) + "]" + tail
    frontmatter_items = frontmatter._fast_flow_list(text)
    block = f"k: {text}\n"
    fresh = _read("---\n" + block + "---\n", "a.md", use_fast=False)
    if frontmatter_items is not None:
        assert fresh.data == {"k": frontmatter_items}


def test_pyyaml_is_imported_only_for_the_slow_path() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from vaultlib.frontmatter import read_front_matter\n"
        "read_front_matter('---\\na: b\\ntags: [x]\\n---\\n', 'a.md')\n"
        "assert 'yaml' not in sys.modules\n"
        "fm = read_front_matter('---\\na: {b: c}\\n---\\n', 'a.md')\n"
        "assert 'yaml' in sys.modules and fm.data == {'a': {'b': 'c'}}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# --- third round: memos of front matter tags (and what they say) and of property dates;
# a markdown link searched from the first '['; the closing line found past a '.' -----------


_TAG_VALUES = st.one_of(
    _texts(["#", " ", ",", "a", "B", "\t", "give", "Ask"], 8),
    st.lists(
        st.one_of(
            _texts(["#", " ", "a", "É", "give", "ASK"], 4),
            st.integers(0, 2),
            st.booleans(),
            st.none(),
            st.lists(st.just("a"), max_size=1),  # unhashable: not kept
        ),
        max_size=4,
    ),
)


@settings(max_examples=300)
@given(st.lists(_TAG_VALUES, min_size=1, max_size=4))
def test_fm_tags_memo_answers_as_its_definition(values: list[object]) -> None:
    for value in [*values, *values]:  # again, from what the memo kept
        got = parse._fm_tags(value)
        assert got == fm_tags(value)
        facts = parse._tag_facts(got)
        given_ = got & {"give", "ask"}
        assert facts == (tuple(sorted(got)), next(iter(given_)) if len(given_) == 1 else None)


def test_fm_tags_memo_keeps_equal_keys_apart_only_by_their_strings() -> None:
    """1 and True are one key in a dict: the memo may answer one with the other's answer,
    which is right only because _fm_tags reads strings alone."""
    assert parse._fm_tags(["a", 1]) == parse._fm_tags(["a", True]) == {"a"}
    assert parse._fm_tags("a b") == {"a", "b"} and parse._fm_tags(("a b",)) == frozenset()


_DATE_TEXTS = st.one_of(
    _texts([*_DIGITS, "-", " ", "T", ":", "Z", "+", ".", "x"], 20),
    st.builds(
        lambda y, m, d, tail: f"{y:04d}-{m:02d}-{d:02d}{tail}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", " ", "T10:30", " 7:05:09.5+01:00", "Z", "x", "\n"]),
    ),
)


@given(st.lists(_DATE_TEXTS, min_size=1, max_size=6))
def test_parse_date_memo_answers_as_the_regex(texts: list[str]) -> None:
    for text in [*texts, *texts]:
        for variant in (text + "x", text, text[:10], f" {text} "):  # near keys, each its own
            assert dates.parse_date(variant) == dates._read_date(variant)


_NOTE_TAGS = st.lists(st.sampled_from(["a", "B", "give", "ask", "#x", "a b", "é"]), max_size=3)
_BODY_TEXT = _texts(["#a", "#b", " ", "\n", "#give", "#ask", "x", "# H", "[[Ada]]"], 10)


@given(_NOTE_TAGS, _BODY_TEXT)
def test_a_dated_notes_tags_and_direction_are_their_definitions(tags: list[str], body: str) -> None:
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    value = "[" + ", ".join(f'"{t}"' for t in tags) + "]"
    data = f"---\ntags: {value}\n---\n{body}".encode()
    for _ in range(2):  # again, from what the memos kept
        rec = parser.parse("Meetings/2020-01-01 Lunch.md", data)
        assert rec.tags == tuple(sorted(fm_tags(tags) | body_tags(body)))
        given_ = fm_tags(tags) & {"give", "ask"}
        note_dir = next(iter(given_)) if len(given_) == 1 else None
        lines = body.split("\n")
        for link in rec.links:  # the direction of the link's line, or else the note's
            assert link[4] == (parse._direction(lines[link[1] - 4]) or note_dir)


def test_memos_never_hold_a_persons_own_values() -> None:
    """A person's record keeps its property values; a memo holding one of them would make
    marshal write it with a reference flag, so the record's bytes would depend on what the
    process read before. The memos key on copies, or are not used for such notes."""
    parser = parse.NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    text = "---\nlast_contact: 2017-03-16\ncreated: 2016-06-02 10:00\ntags: [network/berlin, x y]\n---\n"
    parse._FM_TAGS.clear()
    dates._DATES.clear()
    first = parser.parse("People/Ada.md", text.encode())  # the first to read these values
    parser.parse("Meetings/2020-01-01 Lunch.md", text.encode())  # the same values, shared
    again = parser.parse("People/Ada.md", text.encode())
    assert encode(first) == encode(again)
    for rec in (first, again):
        assert rec.fm is not None and rec.person is not None
        own = [rec.fm["last_contact"], rec.fm["created"], *rec.fm["tags"]]
        held = [*dates._DATES]
        for key in parse._FM_TAGS:
            held.extend(key if isinstance(key, tuple) else (key,))
        assert not any(o is h for o in own for h in held)


_MD_PIECES = ["[", "]", "(", ")", "](", "a.md", "x", "\n", "!", "[[A]]", "<b c.md>", " "]


@settings(max_examples=500)
@given(_texts(_MD_PIECES, 16))
def test_markdown_links_are_found_from_the_first_bracket(text: str) -> None:
    first = text.find("[")
    if first >= 0:
        assert parse._has_md_link(text, first) == ("](" in text[first:])
        if "](" not in text[first:]:
            assert parse._md_links(text) == []  # what _has_md_link(text, first) skips


_CLOSER_PIECES = ["---", "...", ".", "..", "\n", "a: b", " ", "\r\n", "-", "x"]


@settings(max_examples=500)
@given(_texts(_CLOSER_PIECES, 12))
@example("...\n---\n")
@example("a: b.\n...\nc: d\n---\n")
@example("a: ---\n---\n")
def test_closing_line_is_found_as_find_closer_finds_it(rest: str) -> None:
    text = "---\n" + rest
    got = front_matter_parts(text, "a.md")
    found = frontmatter._find_closer(text, 4)
    if found is None:
        assert got[0] is None and got[3] == 0
    else:
        assert got[3] == found[1]  # where the body starts
