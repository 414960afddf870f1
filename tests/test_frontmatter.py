"""Tests for vaultlib.frontmatter: Obsidian's reading of front matter, YAML 1.2 values,
the hostile-input catalogue items 37-51, and the fast path held to the slow path."""

from __future__ import annotations

import json
import math
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlib import frontmatter
from vaultlib.frontmatter import FrontMatter, _fast_parse, _read, read_front_matter
from vaultlib.model import ERROR, WARNING
from vaultlib.textutil import BOM_BYTES, decode_note

DATA = Path(__file__).parent / "data" / "frontmatter"
CASES = sorted(p.stem for p in DATA.glob("*.md"))
PATH = "People/Ada.md"


def read(text: str) -> FrontMatter:
    return read_front_matter(text, PATH)


def only_problem(fm: FrontMatter) -> tuple[int | None, str, str]:
    assert len(fm.problems) == 1, fm.problems
    p = fm.problems[0]
    return p.line, p.severity, p.message


def assert_error(fm: FrontMatter, line: int | None, fragment: str) -> None:
    got_line, severity, message = only_problem(fm)
    assert (got_line, severity) == (line, ERROR), fm.problems
    assert fragment in message
    assert fm.data is None
    assert not fm.ok
    assert fm.problems[0].hint, "every error carries a hint"
    assert fm.problems[0].path == PATH


def same(a: Any, b: Any) -> bool:
    """Equal including types (1 vs 1.0 vs True) and key order; NaN equals NaN."""
    return repr(a) == repr(b)


# --------------------------------------------------------------------------- table-driven


@pytest.mark.parametrize("case", CASES)
def test_table_cases(case: str) -> None:
    text, had_bom = decode_note((DATA / f"{case}.md").read_bytes())
    expected = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    fm = read_front_matter(text, PATH)
    # json.dumps keeps types (31 vs 31.0 vs true) and key order visible
    assert json.dumps(fm.data) == json.dumps(expected["data"])
    assert fm.key_lines == expected["key_lines"]
    assert list(fm.key_lines) == list(expected["key_lines"])
    assert fm.body_line == expected["body_line"]
    assert len(fm.problems) == len(expected["problems"]), fm.problems
    for problem, (line, severity, fragment) in zip(fm.problems, expected["problems"]):
        assert problem.line == line
        assert problem.severity == severity
        assert fragment in problem.message
        assert problem.path == PATH
    # the body starts on body_line
    assert text[: fm.body_offset].count("\n") + text[: fm.body_offset].count("\r") - text[
        : fm.body_offset
    ].count("\r\n") == (fm.body_line - 1)
    assert not had_bom


def test_table_has_enough_cases() -> None:
    assert len(CASES) >= 12
    for case in CASES:
        assert (DATA / f"{case}.expected.json").is_file(), case


# --------------------------------------------------------------------------- catalogue D


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("title: [unclosed\nother: x\n", 3, "invalid YAML front matter: expected ',' or ']'"),
        ("title: a\n  b: c\n", 3, "mapping values are not allowed here"),
        ('title: "abc\nx: 1\n', 2, "found unexpected end of stream"),
        ("name: Ada\nauthor: @me\n", 3, "found character '@' that cannot start any token"),
        ("a: [x, y\n", 2, "invalid YAML front matter"),
    ],
)
def test_item_37_malformed_yaml(body: str, line: int, fragment: str) -> None:
    fm = read(f"---\n{body}---\nbody text\n")
    assert_error(fm, line, fragment)
    assert fm.body_line == body.count("\n") + 3  # the caller can still find the body


def test_item_37_unclosed_bracket_hint_mentions_the_opening_line() -> None:
    fm = read("---\nname: Ada\ntitle: [unclosed\nother: x\n---\n")
    assert "line 3" in fm.problems[0].hint


@pytest.mark.parametrize(
    ("body", "got"),
    [("- a\n- b\n", "got a list"), ("hello\n", "got a single value"), ("42\n", "single value")],
)
def test_item_38_front_matter_not_a_mapping(body: str, got: str) -> None:
    fm = read(f"---\n{body}---\n")
    assert_error(fm, 2, "front matter must be a mapping of key: value")
    assert got in fm.problems[0].message


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("title: a\ntitle: b\n", 3, "duplicate key 'title' (first on line 2)"),
        ("x:\n  a: 1\n  b: 2\n  a: 3\n", 5, "duplicate key 'a' (first on line 3)"),
        ('1: a\n"1": b\n', 3, "duplicate key '1' (first on line 2)"),
        ("l:\n  - {k: 1, k: 2}\n", 3, "duplicate key 'k' (first on line 3)"),
    ],
)
def test_item_39_duplicate_keys(body: str, line: int, message: str) -> None:
    assert_error(read(f"---\n{body}---\n"), line, message)


def billion_laughs(levels: int = 9) -> str:
    lines = ["---", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n---\n"


def test_item_40_aliases_rejected_and_never_expanded() -> None:
    text = billion_laughs()
    tracemalloc.start()
    try:
        fm = read(text)
        repr(fm)  # walking the result must not expand anything either
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_error(fm, 3, "YAML aliases (*name) are not allowed in front matter")
    assert peak < 5_000_000, peak


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("a: &x 1\n", 2),  # an anchor alone
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 4),  # merge key
        ("a: *nowhere\n", 2),  # an alias to nothing
    ],
)
def test_item_40_anchors_and_merge_keys(body: str, line: int) -> None:
    assert_error(read(f"---\n{body}---\n"), line, "aliases (*name) are not allowed in front matter")


def test_item_41_deep_nesting() -> None:
    for opener in ("[", "{", "- ", "? "):
        text = "---\na:\n  " + opener * 30_000 + "x\n---\nbody\n"
        if opener in "[{":
            text = "---\na: " + opener * 30_000 + "\n---\nbody\n"
        started = time.perf_counter()
        fm = read(text)
        assert time.perf_counter() - started < 2.0
        assert fm.problems[0].message == "front matter nests deeper than 32 levels"
        assert fm.data is None


def test_item_41_deep_nesting_is_caught_before_the_yaml_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the YAML parser saw deeply nested text")

    monkeypatch.setattr(frontmatter._loader_class(), "__init__", refuse)
    fm = read("---\nname: Ada\na: " + "[" * 30_000 + "\n---\n")
    assert_error(fm, 3, "front matter nests deeper than 32 levels")


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "---\na: " + "[" * (n - 1) + "]" * (n - 1) + "\n---\n",
        lambda n: "---\na: " + "{b: " * (n - 1) + "x" + "}" * (n - 1) + "\n---\n",
        lambda n: "---\na:\n" + "- " * (n - 1) + "x\n---\n",
        lambda n: (
            "---\n"
            + "".join(" " * i + f"k{i}:\n" for i in range(n - 1))
            + " " * (n - 1)
            + "v: 1\n---\n"
        ),
    ],
)
def test_item_41_depth_limit_is_32_levels(make: Any) -> None:
    assert read(make(32)).ok  # the top-level mapping counts as level 1
    fm = read(make(33))
    assert fm.problems[0].message == "front matter nests deeper than 32 levels"


def test_item_41_composer_backstop_counts_depth_exactly() -> None:
    # Quotes and brackets arranged so a text pre-scan could undercount: the
    # composer still refuses at level 33.
    text = "---\na: " + '["]",' * 40 + "x" + "]" * 40 + "\n---\n"
    fm = read(text)
    assert fm.problems[0].message == "front matter nests deeper than 32 levels"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('!!python/object/apply:os.system ["echo pwned"]', "!!python/object/apply:os.system"),
        ("!include other.yaml", "!include"),
        ("!!str 42", "!!str"),
        ("! plain", "!"),
        ("[a, !!binary x]", "!!binary"),
    ],
)
def test_item_42_tags_refused_never_constructed(
    value: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any) -> int:
        raise AssertionError("os.system was called")

    monkeypatch.setattr(os, "system", explode)
    fm = read(f"---\ntitle: ok\nx: {value}\n---\n")
    assert_error(fm, 3, f"tag '{shown}' is not allowed in front matter")


def test_item_43_keys_are_strings_and_content_is_ordinary() -> None:
    fm = read(
        "---\n1: one\ntrue: x\nNO: NO\n2024-01-01: d\n~: t\n1.5: f\ncontent: c\nhandler: h\n---\n"
    )
    assert fm.ok and not fm.problems
    assert fm.data == {
        "1": "one",
        "true": "x",
        "NO": "NO",
        "2024-01-01": "d",
        "~": "t",
        "1.5": "f",
        "content": "c",
        "handler": "h",
    }
    assert all(type(k) is str for k in fm.data)
    assert fm.key_lines["handler"] == 9


@pytest.mark.parametrize("body", ["? [a, b]\n: c\n", "? {a: 1}\n: c\n", "x: {[a]: 1}\n"])
def test_item_43_list_or_mapping_key(body: str) -> None:
    fm = read(f"---\n{body}---\n")
    assert fm.problems[0].message.startswith("key is a list or mapping")
    assert fm.data is None


def test_item_44_implicit_typing_and_hashtag_warning() -> None:
    fm = read(
        "---\ncountry: no\nzip: 01234\nversion: 1.10\nduration: 12:30\n"
        "bad_date: 2024-02-30\ncreated: 2024-01-05\ntags: #project\n---\n"
    )
    assert fm.ok
    assert fm.data == {
        "country": "no",
        "zip": "01234",
        "version": 1.1,
        "duration": "12:30",
        "bad_date": "2024-02-30",
        "created": "2024-01-05",
        "tags": None,
    }
    line, severity, message = only_problem(fm)
    assert (line, severity) == (8, WARNING)
    assert "did you mean '#project'? quote it or drop the #" in message


def test_item_44_hashtag_in_block_list_item_warns() -> None:
    fm = read("---\ntags:\n  - #a\n  - b\n---\n")
    assert fm.data == {"tags": [None, "b"]}
    line, severity, message = only_problem(fm)
    assert (line, severity) == (3, WARNING)
    assert "did you mean '#a'" in message


def test_item_44_plain_comments_do_not_warn() -> None:
    fm = read("---\nrole:  # to do later\nname: Ada # the name\n---\n")
    assert fm.data == {"role": None, "name": "Ada"}
    assert fm.problems == ()


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "---\nname: Ada\ncontacts:\n\tmail: x\n---\n",
            4,
            "tab used for indentation in front matter",
        ),
        ("---\r\na: 1\r\nb:\r\n\t- x\r\n---\r\n", 4, "tab used for indentation in front matter"),
        ("---\ntitle:\tok\n---\n", 2, "tab used"),
        ("---\ntitle: a\tb\n---\n", 2, "tab used"),
    ],
)
def test_item_45_tabs(text: str, line: int, fragment: str) -> None:
    assert_error(read(text), line, fragment)


def test_item_45_tab_inside_quotes_is_text() -> None:
    fm = read('---\ntitle: "a\tb"\n---\n')
    assert fm.data == {"title": "a\tb"}


def test_item_46_unclosed_front_matter() -> None:
    fm = read("---\ntitle: a\nrole: b\n\nSome body text.\n")
    assert_error(fm, 1, "front matter opened with '---' on line 1 is never closed")
    assert (fm.body_line, fm.body_offset) == (1, 0)


def test_item_46_unclosed_then_horizontal_rule_is_read_as_the_editor_does() -> None:
    # The first `---` line closes the block, as in Obsidian; the prose in
    # between is then YAML, and here it is not valid YAML.
    text = "---\ntitle: a\n\nSome body text.\n\n---\n\nMore text\n"
    fm = read(text)
    assert_error(fm, 4, "invalid YAML front matter")
    assert fm.body_line == 7
    assert text[fm.body_offset :] == "\nMore text\n"
    # ... and where the prose happens to be valid YAML it is read as strings.
    fm = read("---\ntitle: a\nnote: see below\n---\n# Heading\n")
    assert fm.data == {"title": "a", "note": "see below"}


@pytest.mark.parametrize(
    "text",
    [
        "\n---\ntitle: a\n---\n",
        " ---\ntitle: a\n---\n",
        "-----\ntitle: a\n-----\n",
        "--- x\ntitle: a\n---\n",
        '{"title": "a"}\n',
        "{\n",
        "# Heading\n---\ntitle: a\n---\n",
    ],
)
def test_item_47_not_front_matter(text: str) -> None:
    fm = read(text)
    assert (fm.data, fm.key_lines, fm.body_line, fm.body_offset) == (None, {}, 1, 0)
    assert fm.problems == ()
    assert fm.ok


def test_item_47_toml_warns() -> None:
    fm = read("+++\ntitle = 'a'\n+++\nbody\n")
    assert fm.data is None
    line, severity, message = only_problem(fm)
    assert (line, severity) == (1, WARNING)
    assert message == "TOML front matter is not read; Obsidian reads YAML only"
    assert fm.ok


def test_item_47_trailing_whitespace_on_delimiters() -> None:
    fm = read("--- \t\ntitle: a\n---  \nbody")
    assert fm.data == {"title": "a"}
    assert fm.body_line == 4


def test_item_48_bom_is_stripped_by_decode_note() -> None:
    text, had_bom = decode_note(BOM_BYTES + b"---\r\ntitle: a\r\n---\r\nbody")
    assert had_bom
    fm = read(text)
    assert fm.data == {"title": "a"}
    assert fm.key_lines == {"title": 2}


def test_item_48_text_still_starting_with_a_bom_warns() -> None:
    # decode_note strips one BOM; a second one (or a typed U+FEFF) hides the block
    fm = read("\ufeff---\ntitle: a\n---\n")
    assert fm.data is None
    line, severity, message = only_problem(fm)
    assert (line, severity) == (1, WARNING)
    assert "U+FEFF" in message


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("a: b\x00c\n", 2, "contains a NUL byte"),
        ("a: 1\nb: \x01\n", 3, "control character U+0001"),
        ("a: 1\nb: x\x7f\n", 3, "control character U+007F"),
        ("a: \ud800\n", 2, "control character U+D800"),
    ],
)
def test_item_49_nul_and_control_characters(body: str, line: int, fragment: str) -> None:
    assert_error(read(f"---\n{body}---\n"), line, fragment)


def test_item_50_huge_front_matter() -> None:
    fm = read("---\ntitle: " + "x" * 2_000_000 + "\n---\nbody\n")
    assert_error(fm, 1, "front matter is 2000008 bytes, over the 65536 byte limit")
    assert fm.body_line == 4


def test_item_50_limit_counts_utf8_bytes_of_the_block_only() -> None:
    ok = "---\nt: " + "é" * 32_000 + "\n---\n" + "body " * 100_000
    assert read(ok).ok
    fm = read("---\nt: " + "é" * 33_000 + "\n---\n")
    assert "over the 65536 byte limit" in fm.problems[0].message


def test_node_limit() -> None:
    fm = read("---\nname: a\nids: [" + ",".join(["1"] * 5000) + "]\n---\n")
    assert_error(fm, 3, "more than 5000 nodes")
    assert read("---\nids: [" + ",".join(["1"] * 4990) + "]\n---\n").ok


def test_item_51_empty_file_and_only_dashes() -> None:
    fm = read("")
    assert (fm.data, fm.problems, fm.body_line, fm.body_offset) == (None, (), 1, 0)
    for text in ("---", "---\n", "---\r\n", "--- \n\n"):
        assert_error(read(text), 1, "front matter opened with '---' on line 1 is never closed")


@pytest.mark.parametrize("text", ["---\n---\n", "---\n---", "---\n# only a comment\n\n---\n"])
def test_item_51_empty_block_is_an_empty_mapping(text: str) -> None:
    fm = read(text)
    assert fm.data == {}
    assert fm.problems == ()


# --------------------------------------------------------------------------- values

YAML12 = [
    ("no", "no"),
    ("yes", "yes"),
    ("on", "on"),
    ("off", "off"),
    ("NO", "NO"),
    ("y", "y"),
    ("0123", "0123"),
    ("01234", "01234"),
    ("00", "00"),
    ("-01", "-01"),
    ("01.5", "01.5"),
    ("0", 0),
    ("-0", 0),
    ("+5", 5),
    ("-42", -42),
    ("7:30", "7:30"),
    ("12:30", "12:30"),
    ("1.10", 1.1),
    ("1.", 1.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("0.5", 0.5),
    ("1e5", 100000.0),
    ("1E-2", 0.01),
    ("1e1000", "1e1000"),
    ("-1e1000", "-1e1000"),
    ("1_000", "1_000"),
    ("1,000", "1,000"),
    ("0x1F", 31),
    ("0o17", 15),
    ("0b101", "0b101"),
    ("0x" + "f" * 3000, int("f" * 3000, 16)),  # 3613 decimal digits: Python prints it
    ("0x" + "f" * 3001, "0x" + "f" * 3001),  # more would not print (a ValueError, not text)
    ("0o" + "7" * 3001, "0o" + "7" * 3001),
    ("0x", "0x"),
    ("0o8", "0o8"),
    ("2024-01-05", "2024-01-05"),
    ("2024-02-30", "2024-02-30"),
    ("2024-06-14 23:02", "2024-06-14 23:02"),
    ("2024-06-14T23:02:00Z", "2024-06-14T23:02:00Z"),
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("false", False),
    ("False", False),
    ("FALSE", False),
    ("tRUE", "tRUE"),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("~", None),
    ("", None),
    ("nULL", "nULL"),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("+.INF", math.inf),
    ("inf", "inf"),
    ("nan", "nan"),
    ('"42"', "42"),
    ("'true'", "true"),
    ('"no"', "no"),
    ('""', ""),
    ("https://example.com/a?b=c#frag", "https://example.com/a?b=c#frag"),
    ("C#", "C#"),
    ("a # comment", "a"),
    ("9" * 5000, "9" * 5000),
]


@pytest.mark.parametrize(("source", "expected"), YAML12)
def test_yaml12_value_table(source: str, expected: Any) -> None:
    for text in (f"---\nv: {source}\n---\n", f"---\nv: [{source}]\n---\n"):
        if "[" in text and (not source or "#" in source or "," in source):
            continue  # not a list item form
        fm = read(text)
        assert fm.ok, fm.problems
        assert fm.data is not None
        got = fm.data["v"]
        if isinstance(got, list):
            got = got[0]
        assert same(got, expected), (source, got)


def test_yaml12_nan() -> None:
    fm = read("---\nv: .nan\nw: .NaN\n---\n")
    assert fm.data is not None
    assert math.isnan(fm.data["v"]) and math.isnan(fm.data["w"])


def test_block_scalars_and_quoted_strings_stay_text() -> None:
    fm = read(
        "---\nbio: |\n  Line one\n  Line two\nshort: >\n  folded\n  text\nq: 'it''s'\nd: \"a\\tb\"\n---\n"
    )
    assert fm.data == {
        "bio": "Line one\nLine two\n",
        "short": "folded text\n",
        "q": "it's",
        "d": "a\tb",
    }


def test_unquoted_links_become_strings_with_a_warning() -> None:
    fm = read(
        '---\ncompany: [[Acme]]\npeople: [[[A]], [[B|Bee]]]\nlist:\n  - [[C#Heading]]\nok: "[[D]]"\n'
        "nested: [[a], [b]]\n---\n"
    )
    assert fm.data == {
        "company": "[[Acme]]",
        "people": ["[[A]]", "[[B|Bee]]"],
        "list": ["[[C#Heading]]"],
        "ok": "[[D]]",
        "nested": [["a"], ["b"]],  # not link-shaped: left as YAML reads it
    }
    assert [(p.line, p.severity) for p in fm.problems] == [
        (2, WARNING),
        (3, WARNING),
        (3, WARNING),
        (5, WARNING),
    ]
    assert fm.problems[0].message == 'link in a property must be quoted: "[[Acme]]"'
    assert fm.ok


# --------------------------------------------------------------------------- lines


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_error_lines_with_any_line_ending(eol: str) -> None:
    def note(*lines: str) -> str:
        return eol.join(lines)

    assert_error(read(note("---", "a: 1", "b: [x", "c: 2", "---", "")), 4, "expected ',' or ']'")
    assert_error(
        read(note("---", "a: 1", "", "a: 2", "---")), 4, "duplicate key 'a' (first on line 2)"
    )
    assert_error(read(note("---", "a: 1", "b:", "\t- x", "---")), 4, "tab used for indentation")
    assert_error(read(note("---", "x: &a 1", "y: *a", "---")), 3, "aliases")
    fm = read(note("---", "a: 1", "b:", "  - x", "", "c: 3", "---", "body"))
    assert fm.key_lines == {"a": 2, "b": 3, "c": 6}
    assert fm.body_line == 8
    assert fm.body_offset == len(note("---", "a: 1", "b:", "  - x", "", "c: 3", "---", ""))


def test_unicode_line_separators_do_not_shift_line_numbers() -> None:
    # YAML counts U+2028 as a line break; editors and kith do not.
    fm = read("---\na: 'x\u2028y'\nb: 1\nb: 2\n---\n")
    assert_error(fm, 4, "duplicate key 'b' (first on line 3)")


def test_body_position_without_final_newline() -> None:
    fm = read("---\ntitle: a\n---")
    assert fm.data == {"title": "a"}
    assert (fm.body_line, fm.body_offset) == (4, len("---\ntitle: a\n---"))
    fm = read("---\ntitle: a\n...\r\nbody")
    assert fm.body_offset == len("---\ntitle: a\n...\r\n")


def test_bom_free_input_contract() -> None:
    raw = b"---\nname: Ada\n---\nbody\n"
    plain, bom_plain = decode_note(raw)
    stripped, bom_stripped = decode_note(BOM_BYTES + raw)
    assert (bom_plain, bom_stripped) == (False, True)
    assert read(plain) == read(stripped)
    assert read(plain).data == {"name": "Ada"}
    assert read(plain).body_offset == raw.index(b"body")  # offsets are in the BOM-free text


# --------------------------------------------------------------------------- never raises

YAMLISH = [
    "key",
    ": ",
    ":",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "\t",
    "- ",
    "-",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "'",
    '"',
    "\\",
    "#",
    " #c",
    "|",
    ">",
    "%YAML 1.2",
    "---",
    "...",
    "1",
    "no",
    "0x1F",
    "[[A]]",
    "\x00",
    "\u2028",
    "\ufeff",
    "é",
    "<<",
    "@",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    for candidate in (text, "---\n" + text, "---\n" + text + "\n---\n"):
        check_invariants(candidate, read_front_matter(candidate, PATH))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAMLISH), max_size=40))
def test_never_raises_on_yamlish_text(parts: list[str]) -> None:
    text = "---\n" + "".join(parts) + "\n---\nbody"
    fm = read_front_matter(text, PATH)
    check_invariants(text, fm)


def check_invariants(text: str, fm: FrontMatter) -> None:
    assert isinstance(fm, FrontMatter)
    assert 0 <= fm.body_offset <= len(text)
    assert fm.body_line >= 1
    for p in fm.problems:
        assert "internal error" not in p.message, p
        assert p.severity in (ERROR, WARNING)
        assert p.line is None or 1 <= p.line < fm.body_line or p.line == 1
    if fm.data is not None:
        assert all(type(k) is str for k in fm.data)
        assert set(fm.key_lines) == set(fm.data)
        assert fm.ok
    if not fm.ok:
        assert fm.data is None


# --------------------------------------------------------------------------- fast path

TRICKY_VALUES = [
    "no", "yes", "on", "NO", "0123", "7:30", "12:30", "1.10", "0x1F", "0o17", "2024-01-05",
    "2024-02-30", "2024-06-14 23:02", "1e1000", ".inf", "-.inf", ".nan", "-5", "+5", "-0",
    "01.5", "1.", ".5", "~", "null", "NULL", "true", "False", "tRUE", "a # c", "C#", "a#b",
    "a: b", "a:b", "a:", "https://x.com/a?b=c#d", "[[Acme]]", "#project", "- x", "-x", "---",
    "...", "'q'", '"q"', "it's", 'say "hi"', "a, b", "[a, b]", "{a: b}", "&a x", "*a", "!x y",
    "|", ">", "%x", "@me", "`x`", "? x", ": x", "a  b", "é", "日本", "a\u00a0b", "😀",
    "a\\b", "'it''s'", '"a\\"b"', "-", "x]", "Acme, Inc.",
]  # fmt: skip
_plain = st.one_of(
    st.sampled_from(TRICKY_VALUES),
    st.text(st.sampled_from(list("abcXZ019 .-_:#'\"[]{},&*!|>%@`?~\\/é")), min_size=1, max_size=10),
)
_scalar = st.one_of(_plain, _plain.map(lambda s: f'"{s}"'), _plain.map(lambda s: f"'{s}'"))
_key = st.one_of(
    st.sampled_from(
        [
            "name",
            "tags",
            "a",
            "first-name",
            "Created",
            "x.y",
            "1",
            "true",
            "NO",
            "2024-01-01",
            "a b",
        ]
    ),
    st.sampled_from(["a:", "-a", "a#", "<<", "? a", '"q"', "k "]),
    st.text(st.sampled_from(list("ab1 -._:")), min_size=1, max_size=6),
)
_comment = st.sampled_from(["", "", " # c", "  #c", "#c", " #"])


@st.composite
def _entry(draw: st.DrawFn) -> list[str]:
    key = draw(_key)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return [f"{key}: {draw(_scalar)}{draw(_comment)}"]
    if kind == 1:
        return [f"{key}:{draw(st.sampled_from(['', ' ', ' # c', ' #tag']))}"]
    if kind == 2:
        items = draw(st.lists(_scalar, max_size=4))
        sep = draw(st.sampled_from([", ", ",", " , "]))
        return [f"{key}: [{sep.join(items)}]{draw(_comment)}"]
    if kind == 3:
        indent = draw(st.sampled_from(["", "  ", "    "]))
        lines = [f"{key}:"]
        for item in draw(st.lists(_scalar, min_size=1, max_size=4)):
            lead = draw(st.sampled_from([indent, indent, indent + " "]))
            lines.append(
                f"{lead}-{draw(st.sampled_from([' ', ' ', '  ', '']))}{item}{draw(_comment)}"
            )
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "  # c", "# c"])))
        return lines
    return [draw(st.sampled_from(["", "# comment", "  # indented", "  continuation", "- stray"]))]


@st.composite
def flat_front_matter(draw: st.DrawFn) -> str:
    lines = [line for entry in draw(st.lists(_entry(), max_size=8)) for line in entry]
    eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return "---" + eol + "".join(line + eol for line in lines) + "---" + eol + "body"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flat_front_matter())
def test_fast_path_agrees_with_slow_path(text: str) -> None:
    slow = _read(text, PATH, use_fast=False)
    fast = _read(text, PATH, use_fast=True)
    assert same(fast, slow)


COMMON_SHAPES = [
    'name: Maya Chen\naliases: [Maya, "M. Chen"]\nstage: strategic\ncadence: 30d\n'
    'last_contact: 2026-01-05\ncompany: "[[Acme]]"\nrole: CTO  # since 2024\n'
    'email: maya@example.com\nphone: "+49 170 1234567"\nlinkedin: https://linkedin.com/in/maya\n'
    'tags:\n  - people\n  - berlin\nknows: ["[[Ada]]", "[[Bob]]"]\n',
    'categories:\n  - "[[People]]"\ntype:\n  - "[[Authors]]"\ncreated: 2023-09-12\nurl: https://stephango.com/\n',
    'categories:\n- "[[Meetings]]"\ntype: []\ndate: 2023-09-12\norg:\nloc:\n- Remote\npeople: []\n',
    "# a comment\n\ntitle: 'single quoted'\ncount: 3\nratio: 0.5\narchived: false\nbirthday:\n",
    "Created: 2024-06-14 23:02\nFirst Name: Max\nPhone Number: '0171 555'\n",
    "tags: [a, b, c]  # comment\nempty: ''\n",
]


@pytest.mark.parametrize("block", COMMON_SHAPES)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_fast_path_accepts_common_shapes(block: str, eol: str) -> None:
    block = block.replace("\n", eol)
    fast = _fast_parse(block)
    assert fast is not None, "the fast path must handle ordinary flat front matter"
    text = "---" + eol + block + "---" + eol
    slow = _read(text, PATH, use_fast=False)
    assert slow.problems == ()
    assert same(fast[0], slow.data)
    assert fast[1] == slow.key_lines


@pytest.mark.parametrize(
    "block",
    [
        'a: "x\\ty"\n',  # escapes
        "a: 'it''s'\n",
        "a: C#\n",
        "a: b: c\n",
        "a: &x 1\n",
        "a: [[A]]\n",
        "a: {b: 1}\n",
        "a: |\n  text\n",
        "a: first\n  second\n",
        "a:\n  b: 1\n",
        "a: #tag\n",
        "a: x\na: y\n",
        "- a\n",
        "a:\n  - x\n    - y\n",
        "a: \tx\n",
        "a: x\u2028y\n",
        '"a": 1\n',
        "a: - x\n",
        "a: @me\n",
    ],
)
def test_fast_path_bails_on_what_it_does_not_handle(block: str) -> None:
    assert _fast_parse(block) is None


@pytest.mark.parametrize("field", ["name", "cadence", "stage", "aliases", "interests"])
def test_a_person_field_with_a_huge_hex_number_is_read_as_text_not_a_crash(field):
    """`0x` and 4000 digits made an int whose decimal form Python refuses to print
    (ValueError: Exceeds the limit), which ended `kith index` with an internal error."""
    from vaultlib.config import Config
    from vaultlib.parse import NoteParser

    huge = "0x" + "f" * 4000
    text = f"---\ntags: [person]\nname: Ada\n{field}: {huge}\n---\n"
    if field == "name":
        text = f"---\ntags: [person]\nname: {huge}\n---\n"
    rec = NoteParser(Config(root=Path("/nonexistent"))).parse("People/Ada.md", text.encode())
    assert rec.kind == "person"
    if field == "name":
        assert rec.person is not None and rec.person["name"] == huge  # the text as written
