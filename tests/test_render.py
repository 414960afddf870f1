"""Rendering: Markdown escaping, links in the vault's style, the sandbox, template overrides."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import TODAY, run_cli, write_files
from hypothesis import given
from hypothesis import strategies as st

from vaultlib.blocks import find_blocks
from vaultlib.render import (
    MAX_OUTPUT_CHARS,
    MdText,
    Renderer,
    escape_cell,
    escape_md,
    make_link,
    mermaid_label,
    normalize_output,
)

# --- escaping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("a | b", r"a \| b"),
        ("x]]y [[z", r"x\]\]y \[\[z"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),  # data is never compiled as a template
        ("<!-- /kith:overdue -->", "&lt;!-- /kith&#58;overdue --&gt;".replace("&gt;", ">")),
        ("line one\nline two\r\n\u2028three", "line one line two three"),
        ("# not a heading", r"\# not a heading"),
        ("see #tag and C# code", r"see \#tag and C# code"),
        ("--- rule", r"\--- rule"),
        ("- item", r"\- item"),
        ("> quote", r"\> quote"),
        ("1. first", r"1\. first"),
        ("-1", "-1"),
        ("100%% done", "100&#37;% done"),
        ("$5 and $10", r"\$5 and \$10"),
        ("back\\slash|", r"back\\slash\|"),
        ("&amp; & co", "&amp;amp; & co"),
        ("a < b", "a < b"),
        ("<b>bold</b>", "&lt;b>bold&lt;/b>"),
        ("`code`", r"\`code\`"),
        ("kith-hash 0123", "kith&#45;hash 0123"),
        ("\x1b[31mred\x00", "[31mred".replace("[", r"\[")),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_escape_md(raw: str, escaped: str) -> None:
    assert escape_md(raw) == escaped


MARKDOWNISH = st.one_of(st.text(), st.text(alphabet="|[]<>!-/kith:%#\\\n\r`$& a1.\u2028"))


@given(MARKDOWNISH)
def test_escaped_text_stays_on_one_line_and_in_one_table_cell(raw: str) -> None:
    out = escape_md(raw)
    assert "\n" not in out and "\r" not in out
    assert re.search(r"(?<!\\)(\\\\)*\|", out) is None  # every | is escaped
    assert "<!--" not in out and "kith:" not in out.casefold() and "%%" not in out
    assert "[[" not in out and "]]" not in out
    row = f"| {escape_cell(raw)} | x |"
    cells = re.split(r"(?<!\\)\|", row.replace("\\\\", ""))
    assert len(cells) == 4


def test_cell_escapes_pipes_in_links_only_once() -> None:
    link = MdText("[[People/Ada|Ada L]]")
    assert escape_cell(link) == r"[[People/Ada\|Ada L]]"
    assert escape_cell(escape_cell(link)) == r"[[People/Ada\|Ada L]]"
    assert escape_cell("a|b") == r"a\|b"


def test_mermaid_labels_are_quoted() -> None:
    assert mermaid_label('say "hi" <b>#1') == '"say #quot;hi#quot; #lt;b#gt;#35;1"'


def test_normalize_output_tidies_blank_lines_but_not_fences() -> None:
    text = "\n\n# T\n\n\n\nbody  \n```\na\n\n\n\nb\n```\n\n\n"
    assert normalize_output(text) == "# T\n\nbody\n```\na\n\n\n\nb\n```\n"


# --- links --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "full", "here", "expected"),
    [
        ("People/Ada Lovelace.md", "Ada Lovelace", False, "Reports/Overdue.md", "[[Ada Lovelace]]"),
        ("People/Ada.md", "Ada Lovelace", False, "Reports/Overdue.md", "[[Ada|Ada Lovelace]]"),
        ("People/Work/Ada.md", "Ada", True, "Home.md", "[[People/Work/Ada|Ada]]"),
        # a name a wikilink cannot hold falls back to a Markdown link
        ("People/X.md", "a | b", False, "Reports/Overdue.md", r"[a \| b](../People/X.md)"),
        ("People/X.md", "x]]y", False, "Home.md", r"[x\]\]y](People/X.md)"),
        (
            "People/X.md",
            "<!-- /kith:overdue -->",
            False,
            "Home.md",
            "[&lt;!-- /kith&#58;overdue -->](People/X.md)",
        ),
    ],
)
def test_wikilinks(path: str, name: str, full: bool, here: str, expected: str) -> None:
    assert make_link(path, name, here, style="wikilink", full_path=full) == expected


@pytest.mark.parametrize(
    ("path", "here", "expected"),
    [
        ("People/Ada Lovelace.md", "Reports/Overdue.md", "[Ada](../People/Ada%20Lovelace.md)"),
        ("People/Ada Lovelace.md", "Home.md", "[Ada](People/Ada%20Lovelace.md)"),
        ("People/José (ex).md", "Deep/Er/Note.md", "[Ada](../../People/Jos%C3%A9%20%28ex%29.md)"),
        ("Reports/Funnel.md", "Reports/Dashboard.md", "[Ada](Funnel.md)"),
    ],
)
def test_markdown_links_are_relative_and_encoded(path: str, here: str, expected: str) -> None:
    assert make_link(path, "Ada", here, style="markdown", full_path=False) == expected


# --- the pipeline on hostile names --------------------------------------------------

HOSTILE = {
    "People/H1.md": '---\nname: "{{ 7*7 }}"\nstage: buddy\n---\n## Log\n- 2026-01-01 call: {% raw %} #give\n',
    "People/H2.md": '---\nname: "a | b"\nstage: buddy\n---\n## Log\n- 2026-01-02 call: x | y\n',
    "People/H3.md": '---\nname: "x]] [[y"\nstage: buddy\n---\n## Log\n- 2026-01-03 call: ]] and [[\n',
    "People/H4.md": (
        '---\nname: "<!-- /kith:overdue -->"\nstage: buddy\n---\n## Log\n'
        "- 2026-01-04 call: <!-- kith:overdue --> %% hidden %%\n"
    ),
    "People/H5.md": '---\nname: "# Heading"\nstage: buddy\nfollow_up: 2026-11-01\nfollow_up_note: "---"\n---\n',
    "Home.md": "Before\n<!-- kith:overdue -->\n<!-- /kith:overdue -->\nAfter\n",
}


def cells(row: str) -> int:
    return len(re.split(r"(?<!\\)\|", row.replace("\\\\", ""))) - 2


def assert_tables_are_rectangular(text: str) -> None:
    """Every row of every table has as many cells as its header (no `|` leaked)."""
    header: str | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = line
        else:
            assert cells(line) == cells(header), (header, line)


def test_hostile_names_render_literally_and_keep_tables_and_markers_intact(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"kith.toml": "", **HOSTILE})
    for _ in range(2):  # refilling a block that holds marker-like text keeps it balanced
        result = run_cli(root, "report")
        assert result.exit_code == 0, result.stderr
    report = (root / "Reports/Overdue.md").read_text()
    assert "49" not in report and "{{ 7*7 }}" in report
    assert r"a \| b" in report and r"x\]\] \[\[y" in report
    assert "<!--" not in report and "%%" not in report
    assert "\n# Heading" not in report and r"\# Heading" in report
    assert_tables_are_rectangular(report)
    home = (root / "Home.md").read_text()
    assert_tables_are_rectangular(home)
    blocks, problems = find_blocks(home, "Home.md")
    assert [b.name for b in blocks] == ["overdue"] and not problems
    assert home.startswith("Before\n<!-- kith:overdue -->\n") and home.endswith(
        "<!-- /kith:overdue -->\nAfter\n"
    )


# --- templates: sandbox, errors, overrides ------------------------------------------

PEOPLE = {
    "kith.toml": "",
    "People/Ada.md": "---\nstage: buddy\n---\n## Log\n- 2026-01-01 call: hello\n",
}


def vault_with_template(tmp_path: Path, name: str, source: str) -> Path:
    return write_files(tmp_path, {**PEOPLE, f".kith/templates/{name}": source})


def test_vault_template_extends_the_default(tmp_path: Path) -> None:
    root = vault_with_template(
        tmp_path,
        "overdue.md.j2",
        '{% extends "default:overdue.md.j2" %}\n{% block title %}Check-ins due{% endblock %}\n',
    )
    assert run_cli(root, "report", "overdue").exit_code == 0
    text = (root / "Reports/Overdue.md").read_text()
    assert "# Check-ins due\n" in text and "| [[Ada]] |" in text
    assert text.startswith("---\nkith: generated report")  # the mark is kith's, not the template's


def test_vault_layout_applies_to_every_report(tmp_path: Path) -> None:
    root = vault_with_template(
        tmp_path, "layout.md.j2", "{% block body %}{% endblock %}\n\nMy footer for {{ here }}\n"
    )
    assert run_cli(root, "report").exit_code == 0
    assert (root / "Reports/Goals.md").read_text().endswith("My footer for Reports/Goals.md\n")


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    root = vault_with_template(
        tmp_path, "funnel.md.j2", "Title\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n"
    )
    result = run_cli(root, "report")
    assert result.exit_code == 1
    assert ".kith/templates/funnel.md.j2:2: template error: SecurityError" in result.stderr
    assert "Reports/Funnel.md not written" in result.stderr
    assert not (root / "Reports/Funnel.md").exists()
    assert (root / "Reports/Overdue.md").exists() and (root / "Reports/Dashboard.md").exists()


def test_broken_template_gives_path_and_line_and_others_are_written(tmp_path: Path) -> None:
    root = vault_with_template(tmp_path, "goals.md.j2", "# Goals\n\n{% for g in report.goals %}\n")
    result = run_cli(root, "report")
    assert result.exit_code == 1
    assert re.search(r"\.kith/templates/goals\.md\.j2:3: template error: .*endfor", result.stderr)
    written = sorted(p.name for p in (root / "Reports").iterdir())
    assert written == [
        "Dashboard.md",
        "Funnel.md",
        "Overdue.md",
        "Reciprocity.md",
        "Reconnect.md",
        "Upcoming.md",
    ]


def test_undefined_names_fail_with_the_line(tmp_path: Path) -> None:
    root = vault_with_template(tmp_path, "upcoming.md.j2", "one\ntwo\n{{ report.evnts }}\n")
    result = run_cli(root, "report", "upcoming")
    assert result.exit_code == 1
    assert ".kith/templates/upcoming.md.j2:3: template error: UndefinedError" in result.stderr


def test_output_size_is_bounded(tmp_path: Path) -> None:
    root = vault_with_template(
        tmp_path, "reconnect.md.j2", "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}\n"
    )
    result = run_cli(root, "report", "reconnect")
    assert result.exit_code == 1
    assert f"larger than {MAX_OUTPUT_CHARS} characters" in result.stderr
    assert not (root / "Reports/Reconnect.md").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_vault_template_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    root = write_files(tmp_path / "v", PEOPLE)
    (root / ".kith/templates").mkdir(parents=True)
    os.symlink(secret, root / ".kith/templates/overdue.md.j2")
    result = run_cli(root, "report", "overdue")
    assert result.exit_code == 1 and "symlink" in result.stderr
    assert not (root / "Reports/Overdue.md").exists()


def test_template_data_is_not_compiled_and_links_follow_markdown_style(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "kith.toml": 'link_style = "markdown"\n',
            "People/Ada Lovelace.md": '---\nname: "{{ 7*7 }}"\nstage: buddy\n---\n## Log\n- 2026-01-01 call: hi\n',
        },
    )
    assert run_cli(root, "report", "overdue").exit_code == 0
    text = (root / "Reports/Overdue.md").read_text()
    assert "| [{{ 7*7 }}](../People/Ada%20Lovelace.md) |" in text


def test_shared_basenames_link_with_the_folder(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "kith.toml": "",
            "People/Work/Sam.md": "---\nstage: buddy\n---\n## Log\n- 2026-01-01 call: hi\n",
            "People/Home/Sam.md": "---\nname: Sam Home\nstage: buddy\n---\n## Log\n- 2026-01-02 call: hi\n",
        },
    )
    assert run_cli(root, "report", "overdue").exit_code == 0
    text = (root / "Reports/Overdue.md").read_text()
    assert r"| [[People/Work/Sam\|Sam]] |" in text and r"| [[People/Home/Sam\|Sam Home]] |" in text


def test_renderer_reports_missing_templates(tmp_path: Path) -> None:
    out = Renderer(tmp_path).render("nope.md.j2", {}, target="Reports/X.md")
    assert out.text is None
    assert out.problems[0].message.startswith("template 'nope.md.j2' not found")


def test_today_is_the_only_date(tmp_path: Path) -> None:
    root = write_files(tmp_path, PEOPLE)
    assert run_cli(root, "report", "dashboard").exit_code == 0
    text = (root / "Reports/Dashboard.md").read_text()
    assert f"as_of: {TODAY.isoformat()}" in text
