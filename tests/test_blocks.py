"""Generated blocks: only the inside of a block ever changes, and markers stay balanced."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib.blocks import (
    Block,
    body_hash,
    defuse,
    fill_blocks,
    find_blocks,
    parse_options,
    render_inner,
)
from vaultlib.model import ERROR, WARNING, Problem
from vaultlib.textutil import line_ending, split_lines

PATH = "hub.md"


def outside_parts(text: str) -> tuple[list[Block], list[str]]:
    """The blocks of `text` and the text outside them (markers included), in order."""
    blocks, problems = find_blocks(text, PATH)
    assert not [p for p in problems if p.severity == ERROR]
    lines = split_lines(text)
    parts: list[str] = []
    pos = 0
    for b in blocks:
        parts.append("".join(lines[pos : b.begin_line]))
        pos = b.end_line - 1
    parts.append("".join(lines[pos:]))
    return blocks, parts


def inner_text(text: str, block: Block) -> str:
    return "".join(split_lines(text)[block.begin_line : block.end_line - 1])


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def const(body: str | None) -> Callable[[Block], str | None]:
    return lambda block: body


# --- basic filling ------------------------------------------------------------------


def test_fill_empty_block_lf() -> None:
    text = "# Hub\n\n<!-- kith:overdue -->\n<!-- /kith:overdue -->\nAfter\n"
    out, problems = fill_blocks(text, PATH, const("- [[Maya]]\n- [[Ada]]\n"))
    assert problems == []
    h = body_hash(["- [[Maya]]", "- [[Ada]]"])
    assert out == (
        "# Hub\n\n<!-- kith:overdue -->\n- [[Maya]]\n- [[Ada]]\n"
        f"<!-- kith-hash {h} -->\n<!-- /kith:overdue -->\nAfter\n"
    )
    assert re.fullmatch(r"[0-9a-f]{12}", h)


@pytest.mark.parametrize("eol", ["\r\n", "\r", "\n"])
def test_fill_keeps_line_endings_and_missing_final_newline(eol: str) -> None:
    text = eol.join(["top", "<!-- kith:a -->", "", "<!-- /kith:a -->", "tail"])  # no final EOL
    out, problems = fill_blocks(text, PATH, const("one\ntwo"))
    assert problems == []
    lines = split_lines(out)
    assert all(line_ending(x) == eol for x in lines[:-1])
    assert lines[-1] == "tail"
    assert out.startswith(f"top{eol}<!-- kith:a -->{eol}one{eol}two{eol}<!-- kith-hash ")
    assert out.endswith(f"<!-- /kith:a -->{eol}tail")


def test_closing_marker_on_last_line_without_newline() -> None:
    text = "<!-- kith:a -->\r\n<!-- /kith:a -->"
    out, _ = fill_blocks(text, PATH, const("x"))
    assert out.endswith("-->\r\n<!-- /kith:a -->")
    assert "\r\nx\r\n" in out


def test_inserted_lines_use_the_opening_markers_ending() -> None:
    text = "a\r\n<!-- kith:a -->\n<!-- /kith:a -->\r\nb\r\n"
    out, _ = fill_blocks(text, PATH, const("x\r\ny"))
    assert out.startswith("a\r\n<!-- kith:a -->\nx\ny\n<!-- kith-hash ")
    assert out.endswith("<!-- /kith:a -->\r\nb\r\n")


def test_second_fill_is_byte_identical() -> None:
    text = "<!-- kith:a -->\n<!-- /kith:a -->\n"
    once, _ = fill_blocks(text, PATH, const("x\n<!-- /kith:a -->\n]]"))
    twice, problems = fill_blocks(once, PATH, const("x\n<!-- /kith:a -->\n]]"))
    assert twice == once
    assert problems == []


def test_refill_with_new_content_replaces_old() -> None:
    text = "<!-- kith:a -->\n<!-- /kith:a -->\n"
    once, _ = fill_blocks(text, PATH, const("old"))
    again, problems = fill_blocks(once, PATH, const("new"))
    assert problems == []
    assert "old" not in again and "\nnew\n" in again


def test_render_none_leaves_block_alone() -> None:
    text = "<!-- kith:a -->\nanything\n<!-- /kith:a -->\n<!-- kith:b -->\n<!-- /kith:b -->\n"
    out, problems = fill_blocks(text, PATH, lambda b: None if b.name == "a" else "B")
    assert out.startswith("<!-- kith:a -->\nanything\n<!-- /kith:a -->\n")
    assert "\nB\n" in out
    # 'a' was not regenerable (hand text), so it is reported even though render says None.
    assert [p.severity for p in problems] == [WARNING]


def test_render_receives_options_and_lines() -> None:
    text = 'x\n  <!-- kith:list tag=ring sort="last contact" empty="" -->  \n<!-- /kith:list -->\n'
    seen: list[Block] = []

    def render(b: Block) -> str:
        seen.append(b)
        return "ok"

    fill_blocks(text, PATH, render)
    assert seen == [Block("list", {"tag": "ring", "sort": "last contact", "empty": ""}, 2, 3)]


def test_multiple_blocks_and_text_between() -> None:
    text = "a\n<!-- kith:one -->\n<!-- /kith:one -->\nmiddle\n<!-- kith:two -->\n\n<!-- /kith:two -->\nz"
    out, problems = fill_blocks(text, PATH, lambda b: b.name.upper())
    assert problems == []
    blocks, parts = outside_parts(out)
    assert [b.name for b in blocks] == ["one", "two"]
    assert parts == [
        "a\n<!-- kith:one -->\n",
        "<!-- /kith:one -->\nmiddle\n<!-- kith:two -->\n",
        "<!-- /kith:two -->\nz",
    ]


def test_empty_render_is_a_block_with_only_the_hash() -> None:
    text = "<!-- kith:a -->\n<!-- /kith:a -->\n"
    out, _ = fill_blocks(text, PATH, const(""))
    assert out == f"<!-- kith:a -->\n<!-- kith-hash {body_hash([])} -->\n<!-- /kith:a -->\n"
    assert fill_blocks(out, PATH, const("now"))[0].count("now") == 1


# --- hand edits ---------------------------------------------------------------------


def filled(body: str = "- one\n- two", eol: str = "\n") -> str:
    text = eol.join(["# Hub", "<!-- kith:idx -->", "<!-- /kith:idx -->", "end", ""])
    return fill_blocks(text, PATH, const(body))[0]


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("- two", "- two (edited)"),
        lambda t: t.replace("- one\n", "- one\nmy own line\n"),
        lambda t: t.replace("- one\n", ""),
        lambda t: t.replace("- one\n- two\n", ""),  # body deleted, hash line left
        lambda t: re.sub(r"<!-- kith-hash [0-9a-f]+ -->\n", "", t),
        lambda t: t.replace("<!-- kith-hash", "<!-- kith-hash 0"),
        lambda t: t.replace("-->\n<!-- /kith:idx", "-->\nappended\n<!-- /kith:idx"),
    ],
)
def test_hand_edit_is_kept_and_reported(edit: Callable[[str], str]) -> None:
    edited = edit(filled())
    assert edited != filled()
    out, problems = fill_blocks(edited, PATH, const("- new"))
    assert out == edited
    assert len(problems) == 1
    p = problems[0]
    assert (p.severity, p.line, p.path) == (WARNING, 2, PATH)
    assert p.message == "generated block 'idx' was edited by hand; not regenerated"
    assert "delete the text between the markers" in p.hint


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: re.sub(r"(<!-- kith:idx -->\n).*?(<!-- /kith:idx -->)", r"\1\2", t, flags=re.S),
        lambda t: re.sub(
            r"(<!-- kith:idx -->\n).*?(<!-- /kith:idx -->)", r"\1  \n\t\n\2", t, flags=re.S
        ),
        lambda t: t.replace("- two", "- two   "),  # trailing spaces trimmed/added by an editor
        lambda t: t.replace("\n", "\r\n"),  # the whole file converted to CRLF
        lambda t: t.replace("<!-- /kith:idx", "\n<!-- /kith:idx"),  # blank line after the hash
    ],
)
def test_cleared_or_untouched_block_is_regenerated(edit: Callable[[str], str]) -> None:
    edited = edit(filled())
    out, problems = fill_blocks(edited, PATH, const("- new"))
    assert problems == []
    assert "- new" in out and "- one" not in out


def test_deleting_the_body_of_a_hand_edited_block_lets_kith_fill_it() -> None:
    edited = filled().replace("- two", "- mine")
    assert fill_blocks(edited, PATH, const("x"))[1]
    cleared = re.sub(r"(<!-- kith:idx -->\n).*?(<!-- /kith:idx -->)", r"\1\2", edited, flags=re.S)
    out, problems = fill_blocks(cleared, PATH, const("x"))
    assert problems == [] and "\nx\n" in out


def test_an_edited_block_does_not_stop_the_others() -> None:
    text = "<!-- kith:a -->\nmine\n<!-- /kith:a -->\n<!-- kith:b -->\n<!-- /kith:b -->\n"
    out, problems = fill_blocks(text, PATH, const("gen"))
    assert out.startswith("<!-- kith:a -->\nmine\n<!-- /kith:a -->\n<!-- kith:b -->\ngen\n")
    assert [(p.line, p.severity) for p in problems] == [(1, WARNING)]


# --- malformed markers -------------------------------------------------------------------

MALFORMED = [
    (
        "<!-- kith:idx -->\n<!-- kith:idx -->\n<!-- /kith:idx -->\n",
        "block 'idx' has 2 opening and 1 closing markers (lines 1, 2, 3); file left unchanged",
    ),
    ("<!-- kith:idx -->\ntext\n", "block 'idx' has 1 opening and 0 closing markers (line 1)"),
    ("text\n<!-- /kith:idx -->\n", "block 'idx' has 0 opening and 1 closing markers (line 2)"),
    ("<!-- /kith:a -->\n<!-- kith:a -->\n", "comes before its opening marker"),
    (
        "<!-- kith:a -->\n<!-- kith:b -->\n<!-- /kith:a -->\n<!-- /kith:b -->\n",
        "block 'b' (line 2) starts inside block 'a' (line 1)",
    ),
    (
        "<!-- kith:a -->\n<!-- kith:b -->\n<!-- /kith:b -->\n<!-- /kith:a -->\n",
        "starts inside block 'a'",
    ),
    ("<!-- kith:a -->\n<!-- /kith:b -->\n", "block 'a' has 1 opening and 0 closing markers"),
    (
        "<!-- kith:a -->\n<!-- /kith:a -->\n<!-- kith:a -->\n<!-- /kith:a -->\n",
        "block 'a' appears 2 times (opening markers on lines 1, 3)",
    ),
    ("<!-- kith:a\n<!-- /kith:a -->\n", "malformed kith marker"),
    ("<!-- kith:a --> and text\n<!-- /kith:a -->\n", "malformed kith marker"),
    ("<!-- kith:a -->\n<!-- /kith:a --> text\n", "malformed kith marker"),
    ("<!-- kith:a$b -->\n<!-- /kith:a$b -->\n", "malformed kith marker"),
    ("<!-- kith:a x -->\n<!-- /kith:a -->\n", "block 'a': malformed option 'x'"),
    ('<!-- kith:a t="open -->\n<!-- /kith:a -->\n', "malformed option"),
    ("<!-- kith:a n=1 n=2 -->\n<!-- /kith:a -->\n", "option 'n' is given twice"),
    ('<!-- kith:a t="x"y -->\n<!-- /kith:a -->\n', "malformed option"),
    ("<!-- kith:a -->\n<!-- /kith:a -->\n<!-- kith:b -->\n", "block 'b' has 1 opening"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_markers_leave_the_file_unchanged(text: str, message: str) -> None:
    calls: list[Block] = []

    def render(b: Block) -> str:
        calls.append(b)
        return "generated"

    for variant in (text, text.replace("\n", "\r\n"), text.rstrip("\n")):
        out, problems = fill_blocks(variant, PATH, render)
        assert out == variant
        assert calls == []
        assert errors(problems), problems
        assert any(message in p.message for p in problems), problems
        assert all(p.line is not None and p.path == PATH for p in problems)
        blocks, _ = find_blocks(variant, PATH)
        assert blocks == []


def test_problem_points_at_the_first_marker_line() -> None:
    text = "a\nb\n<!-- kith:idx -->\nc\n<!-- kith:idx -->\n<!-- /kith:idx -->\n"
    _, problems = find_blocks(text, PATH)
    assert [(p.line, p.severity) for p in problems] == [(3, ERROR)]
    assert "lines 3, 5, 6" in problems[0].message


def test_other_comments_are_not_markers() -> None:
    text = (
        "<!-- kith: remember to call -->\n"
        "<!-- KITH:a -->\n"
        "<!-- kithara -->\n"
        "text <!-- kith:a --> inline\n"
        "`<!-- kith:a -->`\n"
        "<!-- kith-hash 0123456789ab -->\n"
    )
    assert find_blocks(text, PATH) == ([], [])
    assert fill_blocks(text, PATH, const("x")) == (text, [])


# --- code fences -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fenced",
    [
        "```\n<!-- kith:a -->\n```\n",
        "~~~markdown\n<!-- /kith:a -->\n~~~\n",
        "````md\n```\n<!-- kith:a -->\n```\n<!-- /kith:b -->\n````\n",
        "   ```\n<!-- kith:a -->\n<!-- kith:a -->\n   ```   \n",
        "~~~~\n<!-- kith:a -->\n~~~\n<!-- /kith:x -->\n~~~~\n",
    ],
)
def test_markers_in_code_fences_are_ignored(fenced: str) -> None:
    text = "# Docs\n" + fenced + "<!-- kith:real -->\n<!-- /kith:real -->\n"
    blocks, problems = find_blocks(text, PATH)
    assert problems == []
    assert [b.name for b in blocks] == ["real"]
    out, _ = fill_blocks(text, PATH, const("filled"))
    assert out.startswith("# Docs\n" + fenced + "<!-- kith:real -->\nfilled\n")


def test_unclosed_fence_hides_everything_after_it() -> None:
    text = "```\n<!-- kith:a -->\n<!-- /kith:a -->\n"
    assert find_blocks(text, PATH) == ([], [])


def test_backtick_line_with_backticks_in_info_is_not_a_fence() -> None:
    text = "``` a ` b\n<!-- kith:a -->\n<!-- /kith:a -->\n"
    assert [b.name for b in find_blocks(text, PATH)[0]] == ["a"]


def test_fence_inside_a_block_cannot_hide_its_closing_marker() -> None:
    text = "<!-- kith:a -->\n<!-- /kith:a -->\nafter\n"
    out, _ = fill_blocks(text, PATH, const("```\nunclosed fence"))
    blocks, parts = outside_parts(out)
    assert [b.name for b in blocks] == ["a"]
    assert parts[-1] == "<!-- /kith:a -->\nafter\n"
    assert fill_blocks(out, PATH, const("```\nunclosed fence"))[0] == out


# --- marker injection ---------------------------------------------------------------------


def test_marker_injection_is_defused() -> None:
    text = "Mine above\n<!-- kith:idx -->\n<!-- /kith:idx -->\nMine below\n"
    evil = "[[Evil <!-- /kith:idx -->]]\n<!-- /kith:idx -->\n<!-- kith:idx -->\n<!--kith-hash 0123456789ab-->"
    out = text
    for _ in range(4):
        out, problems = fill_blocks(out, PATH, const(evil))
        assert problems == []
        blocks, parts = outside_parts(out)
        assert [b.name for b in blocks] == ["idx"]
        assert parts == ["Mine above\n<!-- kith:idx -->\n", "<!-- /kith:idx -->\nMine below\n"]
    assert "<!-- /kith&#58;idx -->" in out
    assert "kith&#45;hash" in out
    assert out.count("<!-- /kith:idx -->") == 1


@pytest.mark.parametrize(
    ("line", "defused"),
    [
        ("<!-- /kith:x -->", "<!-- /kith&#58;x -->"),
        ("<!-- KITH:x -->", "<!-- KITH&#58;x -->"),
        ("<!-- kith-hash 0123456789ab -->", "<!-- kith&#45;hash 0123456789ab -->"),
        ("kith: plain text", "kith: plain text"),
        ("<!-- a comment -->", "<!-- a comment -->"),
    ],
)
def test_defuse(line: str, defused: str) -> None:
    assert defuse(line) == defused


def test_parse_options() -> None:
    assert parse_options("") == ({}, None)
    assert parse_options('a=1  b="x y" c=d.e') == ({"a": "1", "b": "x y", "c": "d.e"}, None)
    assert parse_options("=1")[1] is not None
    assert parse_options("a=")[1] is not None
    assert parse_options('a="x')[1] is not None


# --- properties ----------------------------------------------------------------------------

EOLS = st.sampled_from(["\n", "\r\n", "\r"])
NAMES = st.sampled_from(["a", "b", "idx", "over-due", "x_1"])
# User text that is never a marker or a fence (kith never appears, no ``` or ~~~).
SAFE_LINE = (
    st.lists(st.sampled_from(list("ab <!->#:/[]|*\u2028\x0c\té") + ["-->", "<!--"]), max_size=12)
    .map("".join)
    .filter(lambda s: "kith" not in s)
)
HOSTILE_RENDER = st.lists(
    st.sampled_from(
        [
            "<!-- kith:a -->",
            "<!-- /kith:a -->",
            "<!-- /kith:idx -->",
            "<!-- kith-hash 0123456789ab -->",
            "<!--kith:b-->",
            "KITH:",
            "```",
            "~~~",
            "\n",
            "\r\n",
            "\r",
            "x",
            " ",
            "\t",
            "]]",
            "---",
            "\u2028",
            "kith",
            ":",
            "<!--",
            "-->",
        ]
    ),
    max_size=25,
).map("".join)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A note with user lines and blocks (empty, kith-filled or hand-edited), mixed EOLs."""
    names = draw(st.lists(NAMES, unique=True, max_size=3))
    pieces: list[str] = []

    def user_lines() -> None:
        for line in draw(st.lists(SAFE_LINE, max_size=3)):
            pieces.append(line + draw(EOLS))

    user_lines()
    for name in names:
        eol = draw(EOLS)
        opts = draw(st.sampled_from(["", " sort=name", ' title="A b"  ']))
        pieces.append(f"{draw(st.sampled_from(['', '  ']))}<!-- kith:{name}{opts} -->{eol}")
        kind = draw(st.sampled_from(["empty", "blank", "filled", "edited"]))
        if kind == "blank":
            pieces.append(" " + eol)
        elif kind == "filled":
            pieces.extend(render_inner(draw(HOSTILE_RENDER), eol))
        elif kind == "edited":
            pieces.extend(line + draw(EOLS) for line in draw(st.lists(SAFE_LINE, min_size=1)))
        pieces.append(f"<!-- /kith:{name} -->{draw(EOLS)}")
        user_lines()
    text = "".join(pieces)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text, names


def renders(data: st.DataObject) -> Callable[[Block], str | None]:
    bodies = data.draw(st.dictionaries(NAMES, st.one_of(st.none(), HOSTILE_RENDER)))
    return lambda b: bodies.get(b.name, "default")


@settings(max_examples=150, deadline=None)
@given(documents(), st.data())
def test_only_block_insides_change_and_fills_are_idempotent(
    doc: tuple[str, list[str]], data: st.DataObject
) -> None:
    text, names = doc
    blocks0, parts0 = outside_parts(text)
    assert [b.name for b in blocks0] == names  # the generator's blocks are all found
    render = renders(data)
    out1, problems1 = fill_blocks(text, PATH, render)
    assert not errors(problems1)
    blocks1, parts1 = outside_parts(out1)
    assert [(b.name, b.options) for b in blocks1] == [(b.name, b.options) for b in blocks0]
    assert parts1 == parts0
    # Idempotent: the same render again changes nothing.
    out2, problems2 = fill_blocks(out1, PATH, render)
    assert out2 == out1
    assert [p.message for p in problems2] == [p.message for p in problems1]
    # Any number of fills with other content keeps markers balanced and the outside intact.
    out = out1
    for _ in range(3):
        out, problems = fill_blocks(out, PATH, renders(data))
        assert not errors(problems)
        blocks, parts = outside_parts(out)
        assert [b.name for b in blocks] == names
        assert parts == parts0


@settings(max_examples=100, deadline=None)
@given(documents(), st.data())
def test_regenerated_blocks_hold_exactly_the_render(
    doc: tuple[str, list[str]], data: st.DataObject
) -> None:
    text, _ = doc
    render = renders(data)
    out, problems = fill_blocks(text, PATH, render)
    warned = {p.line for p in problems if p.severity == WARNING}
    blocks0, _ = find_blocks(text, PATH)
    blocks1, _ = find_blocks(out, PATH)
    lines0 = split_lines(text)
    for b0, b1 in zip(blocks0, blocks1, strict=True):
        before, after = inner_text(text, b0), inner_text(out, b1)
        body = render(b0)
        if b0.begin_line in warned or body is None:
            assert after == before
        else:
            eol = line_ending(lines0[b0.begin_line - 1])
            assert after == "".join(render_inner(body, eol))


HOSTILE_LINE = st.one_of(
    SAFE_LINE,
    st.sampled_from(
        [
            "<!-- kith:a -->",
            "<!-- /kith:a -->",
            "  <!-- kith:b n=1 -->  ",
            "<!-- /kith:b -->",
            "<!-- kith:a x -->",
            "<!-- kith-hash 0123456789ab -->",
            "<!-- kith:a",
            "```",
            "~~~",
            "````",
            "```` x",
        ]
    ),
)


@settings(max_examples=250, deadline=None)
@given(st.lists(st.tuples(HOSTILE_LINE, EOLS), max_size=12), st.booleans(), st.data())
def test_arbitrary_text_is_either_untouched_or_only_inside_blocks(
    lines: list[tuple[str, str]], final_newline: bool, data: st.DataObject
) -> None:
    text = "".join(line + eol for line, eol in lines)
    if not final_newline:
        text = text.rstrip("\r\n")
    render = renders(data)
    blocks, problems = find_blocks(text, PATH)
    out, fill_problems = fill_blocks(text, PATH, render)
    if errors(problems):
        assert out == text
        assert errors(fill_problems)
        return
    _, parts0 = outside_parts(text)
    blocks1, parts1 = outside_parts(out)
    assert parts1 == parts0
    assert [b.name for b in blocks1] == [b.name for b in blocks]
    assert fill_blocks(out, PATH, render)[0] == out
