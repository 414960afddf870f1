"""The reports kept between passes (the watcher's path) must always equal a fresh run.

Covers what makes a watcher pass fast: answers kept per contact across snapshots
(`query.per_contact`, `ranked`, `tally`), renderings kept while their template
context is the same (`reports.ReportCache`), rows kept by `each`, and the fast
paths of escaping and output tidying, each checked against the plain rules.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib import insights, query
from vaultlib.config import load_config
from vaultlib.index import Index, build_index
from vaultlib.model import Contact
from vaultlib.registry import REPORTS
from vaultlib.render import Renderer, escape_md, normalize_output
from vaultlib.reports import ReportCache, render_reports, same_data
from vaultlib.write import Writer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is not installed; it lives beside the package
    sys.path.insert(0, str(ROOT))

from benchmarks import genvault  # noqa: E402

# --- a watcher-like loop over a generated vault -----------------------------------------


def fresh(root: Path, today: date) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every report and every query's JSON from a vault read from scratch (another config
    object: nothing kept can be reused)."""
    vault = build_index(load_config(root), save=False).vault()
    answers = {
        "list": [query.status_json(s) for s in query.statuses(vault, today)],
        "overdue": [query.status_json(s) for s in query.find_overdue(vault, today)],
        "funnel": insights.funnel_json(insights.funnel_report(vault, today)),
        "upcoming": insights.upcoming_json(insights.upcoming_report(vault, today, days=60)),
        "reconnect": [(r.contact.path, r.days) for r in insights.find_dormant(vault, today, 90)],
        "ring": [g.label for g in insights.overdue_report(vault, today, ring="cold").groups],
    }
    return render_reports(vault, today), answers


def kept_answers(vault: Any, today: date) -> dict[str, Any]:
    return {
        "list": [query.status_json(s) for s in query.statuses(vault, today)],
        "overdue": [query.status_json(s) for s in query.find_overdue(vault, today)],
        "funnel": insights.funnel_json(insights.funnel_report(vault, today)),
        "upcoming": insights.upcoming_json(insights.upcoming_report(vault, today, days=60)),
        "reconnect": [(r.contact.path, r.days) for r in insights.find_dormant(vault, today, 90)],
        "ring": [g.label for g in insights.overdue_report(vault, today, ring="cold").groups],
    }


@dataclass
class Loop:
    root: Path
    index: Index
    kept: ReportCache
    today: date

    def notes(self, folder: str = "People") -> list[str]:
        out = []
        for dirpath, _dirs, files in os.walk(self.root / folder):
            for name in files:
                if name.endswith(".md"):
                    out.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return sorted(out)

    def step(self, *paths: str) -> Any:
        """One watcher pass: re-index `paths`, the next snapshot, write the reports."""
        for p in paths:
            self.index.keys.pop(p, None)
        changed = self.index.refresh(list(paths))
        vault = self.index.vault(changed)
        run = self.kept(vault, self.today, Writer(self.root))
        assert run.ok, run.problems
        return vault

    def change(self, *paths: str) -> None:
        """A pass, then every report and answer checked against a fresh run."""
        vault = self.step(*paths)
        expected, answers = fresh(self.root, self.today)
        for path, data in expected.items():
            assert (self.root / path).read_bytes() == data, path
        assert kept_answers(vault, self.today) == answers


@pytest.fixture
def loop(tmp_path: Path) -> Loop:
    root = tmp_path / "vault"
    genvault.generate(root, 60, 260, seed=11)
    index = build_index(load_config(root), save=False)
    kept = ReportCache()
    vault = index.vault(track=True)
    assert kept(vault, TODAY, Writer(root)).ok
    return Loop(root, index, kept, TODAY)


def set_front(text: str, key: str, value: str | None) -> str:
    head, sep, body = text.partition("\n---\n")
    lines = [ln for ln in head.split("\n") if not ln.startswith(f"{key}:")]
    if value is not None:
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + sep + body


def test_reports_kept_between_passes_equal_a_fresh_run(loop: Loop) -> None:
    rnd = random.Random(5)
    people = loop.notes()
    for step in range(40):
        path = rnd.choice(people)
        file = loop.root / path
        what = step % 10
        if what in (0, 1, 2):  # a check-in, in the past, today or planned
            day = loop.today + timedelta(days=rnd.choice([-400, -30, -1, 0, 3, 9]))
            tag = rnd.choice(["", " #give", " #ask"])
            with open(file, "a", encoding="utf-8") as f:
                f.write(f"\n## Log\n- {day.isoformat()} call: step {step}{tag}\n")
        elif what == 3:  # a stage move, by hand
            ring = rnd.choice(["cold", "lukewarm", "strategic", "buddy"])
            file.write_text(set_front(file.read_text(encoding="utf-8"), "stage", ring))
        elif what == 4:  # a follow-up
            day = loop.today + timedelta(days=rnd.choice([-3, 0, 5]))
            text = set_front(file.read_text(encoding="utf-8"), "follow_up", day.isoformat())
            file.write_text(set_front(text, "follow_up_note", f"note {step}"))
        elif what == 5:  # archived, or back
            text = file.read_text(encoding="utf-8")
            archived = "archived: true" in text
            file.write_text(set_front(text, "archived", None if archived else "true"))
        elif what == 6:  # renamed in place: the name (and the order) changes
            text = file.read_text(encoding="utf-8")
            file.write_text(set_front(text, "name", f"Zed {step} {rnd.random():.3f}"))
        elif what == 7:  # a meeting note naming two people, planned
            a, b = (Path(p).stem for p in rnd.sample(people, 2))
            day = loop.today + timedelta(days=rnd.choice([1, 4, 20]))
            path = f"Meetings/plan-{step}.md"
            write_files(
                loop.root, {path: f"---\ndate: {day.isoformat()}\n---\nWith [[{a}]] and [[{b}]]\n"}
            )
        elif what == 8:  # someone new, or gone
            if step % 20 == 8:
                path = f"People/New Person {step}.md"
                write_files(
                    loop.root, {path: "---\nstage: lukewarm\n---\n## Log\n- 2026-01-02 call: hi\n"}
                )
                people.append(path)
            else:
                file.unlink()
                people.remove(path)
        else:  # a new day
            loop.today += timedelta(days=1)
        loop.change(path)


def test_only_reports_whose_context_changed_are_rendered(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    real = Renderer.render

    def spy(self: Renderer, name: str, context: Any, *, target: str) -> Any:
        rendered.append(name)
        return real(self, name, context, target=target)

    monkeypatch.setattr(Renderer, "render", spy)
    late = insights.overdue_report(loop.index.vault(set()), loop.today).groups[0].rows
    person = late[0].contact.path
    file = loop.root / person
    # An edit no report shows: the snapshot differs by one Contact object, so only the
    # reports that list that person are rendered (Overdue among them), none is written.
    file.write_text(set_front(file.read_text(encoding="utf-8"), "email", "new@example.org"))
    rendered.clear()
    before = {p: p.read_bytes() for p in (loop.root / "Reports").iterdir()}
    loop.step(person)
    assert "overdue.md.j2" in rendered and len(rendered) < len(REPORTS)
    for name in rendered:
        text = (loop.root / f"Reports/{name.split('.')[0].title()}.md").read_text(encoding="utf-8")
        assert late[0].contact.name in text
    assert {p: p.read_bytes() for p in (loop.root / "Reports").iterdir()} == before
    rendered.clear()
    # The same snapshot again: nothing is rendered.
    rendered.clear()
    vault = loop.index.vault(set())
    run = loop.kept(vault, loop.today, Writer(loop.root))
    assert rendered == [] and run.changed == []
    # A report edited or removed by hand gets the kept text back, without rendering.
    (loop.root / "Reports/Funnel.md").write_text("---\nkith: generated report\n---\nmine\n")
    (loop.root / "Reports/Goals.md").unlink()
    run = loop.kept(vault, loop.today, Writer(loop.root))
    assert rendered == []
    assert sorted(r.path for r in run.changed) == ["Reports/Funnel.md", "Reports/Goals.md"]
    assert (loop.root / "Reports/Funnel.md").read_bytes() == before[loop.root / "Reports/Funnel.md"]
    # A vault template appears: every report renders again with it.
    write_files(
        loop.root, {".kith/templates/goals.md.j2": "{% block body %}my goals{% endblock %}\n"}
    )
    run = loop.kept(vault, loop.today, Writer(loop.root))
    assert len(rendered) == len(REPORTS)
    assert (loop.root / "Reports/Goals.md").read_text().endswith("my goals\n")


# --- the pieces ---------------------------------------------------------------------------


def test_same_data_compares_types_too() -> None:
    c = Contact(name="Ada", path="People/Ada.md", fields={"x": 1})
    twin = Contact(name="Ada", path="People/Ada.md", fields={"x": 1})
    other = Contact(name="Ada", path="People/Ada.md", fields={"x": True})
    assert same_data({"a": (1, "x", date(2026, 1, 1))}, {"a": (1, "x", date(2026, 1, 1))})
    assert not same_data((1,), (True,))  # equal in Python, printed differently
    assert not same_data({"a": 1, "b": 2}, {"b": 2, "a": 1})  # a template sees the order
    assert same_data([c], [twin]) and not same_data([c], [other])
    assert not same_data(object(), object())  # unknown: render again
    row = insights.Ref("Ada", "People/Ada.md")
    assert same_data((row,), (insights.Ref("Ada", "People/Ada.md"),))
    assert not same_data((row,), (insights.Ref("Ada", "People/Ada2.md"),))


def test_each_reuses_a_row_only_in_the_same_place(tmp_path: Path) -> None:
    renderer = Renderer(tmp_path, keep_rows=True)
    rows = (insights.Ref("Ada", "People/Ada.md"), insights.Ref("Bo", "People/Bo.md"))
    plain = "{% call(r) each(rows) %}[{{ r | link }}]{% endcall %}"
    outer = "{% for n in [1, 2] %}{% call(r) each(rows) %}{{ n }}{% endcall %}{% endfor %}"
    uses_report = "{% call(r) each(rows) %}{{ report }}{% endcall %}"

    def render(source: str, **ctx: Any) -> str:
        renderer.new_pass()
        return renderer.env.from_string(source).render(rows=rows, **ctx)

    assert render(plain, here="a.md") == "[[[Ada]]][[[Bo]]]"
    assert render(plain, here="a.md") == "[[[Ada]]][[[Bo]]]"  # kept
    assert render(outer) == "1122"  # an outer loop variable: never kept
    assert render(uses_report, report="x") + render(uses_report, report="y") == "xxyy"


# The line rules of `normalize_output`, one line at a time (the reference).
def normalize_reference(text: str) -> str:
    out: list[str] = []
    blank = 0
    fence: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and not line.strip():
            blank += 1
            if blank > 1 or not out:
                continue
            out.append("")
            continue
        blank = 0
        out.append(line.rstrip() if fence is None else line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n" if out else ""


PIECES = st.lists(
    st.sampled_from(
        [
            "a",
            "b c",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            "\r",
            "\x0c",
            "\u2028",
            "\xa0",
            "```",
            "~~~",
            "`",
            "~",
            "|",
            "#",
        ]
    ),  # fmt: skip
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(PIECES)
def test_normalize_output_follows_the_line_rules(text: str) -> None:
    assert normalize_output(text) == normalize_reference(text)


MARKUP = st.lists(
    st.one_of(
        st.text(max_size=3),
        st.sampled_from(
            [
                "kith:",
                "KITH-",
                "\u212aith:",
                "1.",
                "2)",
                "- ",
                "--",
                "---",
                "> ",
                "#",
                " #x",
                "&amp;",
                "<b",
                "%%",
                "$",
                "[[",
                "]]",
                "|",
                "\\",
                "`",
                "  ",
                "\n",
                "\x00",
                "\x85",
                "\xa0",
                "\u2028",
                "=",
                "===",
            ]
        ),  # fmt: skip
    ),
    max_size=8,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(MARKUP)
def test_escape_md_fast_path_gives_what_the_rules_give(text: str) -> None:
    from vaultlib.render import _escape_md

    assert escape_md(text) == _escape_md(text)


def test_ranked_rows_follow_single_contacts_through_changes(loop: Loop) -> None:
    """`ranked` moves only the changed contact's rows, to where a full sort puts them."""

    def entries(c: Contact) -> list[tuple[tuple[Any, ...], tuple[str, int]]]:
        return [
            ((len(c.interactions) % 3, i, c.name.casefold(), c.path), (c.path, i))
            for i in range(len(c.name) % 3)
        ]

    before = query.ranked("test.rows", loop.index.vault(set()), None, entries)
    person = loop.notes()[7]
    with open(loop.root / person, "a", encoding="utf-8") as f:
        f.write("\n## Log\n- 2026-11-01 call: again\n")
    loop.index.keys.pop(person, None)
    after_vault = loop.index.vault(loop.index.refresh([person]))
    after = query.ranked("test.rows", after_vault, None, entries)
    full = sorted((k, r) for c in query.active(after_vault) for k, r in entries(c))
    assert list(after) == [r for _, r in full]
    assert len(before) == len(after)


def test_watcher_keeps_renderings_between_passes() -> None:
    from vaultlib.watch import Watcher

    w = Watcher.__new__(Watcher)
    w._write_fn = None
    kept = w._write_reports_fn()
    assert isinstance(kept, ReportCache) and w._write_reports_fn() is kept
    kept.texts[("x",)] = ({}, "text")
    w._forget_renderings()  # templates or settings changed
    assert kept.texts == {}


def wiki_ok_reference(text: str) -> bool:
    from vaultlib.render import _CONTROL, _WIKI_UNSAFE

    return (
        bool(text)
        and text == " ".join(text.split())
        and not _WIKI_UNSAFE.search(text)
        and not _CONTROL.search(text)
    )


@settings(max_examples=600, deadline=None)
@given(MARKUP)
def test_wikilink_check_in_one_pass_gives_what_the_rules_give(text: str) -> None:
    from vaultlib.render import _wiki_ok

    assert _wiki_ok(text) == wiki_ok_reference(text)
    assert _wiki_ok(" " + text) == wiki_ok_reference(" " + text)
    assert _wiki_ok(text + " ") == wiki_ok_reference(text + " ")
