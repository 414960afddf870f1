"""The vault snapshot and status: link resolution as Obsidian does it, and when a contact is due."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest

from vaultlib.config import load_config
from vaultlib.index import build_index
from vaultlib.links import Resolver
from vaultlib.query import contact_json, contact_status, filter_contacts, status_json
from vaultlib.vault import Vault

TODAY = date(2026, 11, 20)


def load(root: Path) -> Vault:
    return build_index(load_config(root), save=False).vault()


def contact(v: Vault, name: str):
    hits = [c for c in v.contacts if c.name == name]
    assert len(hits) == 1, [c.name for c in v.contacts]
    return hits[0]


# --- link resolution -------------------------------------------------------------------

PATHS = [
    "People/Ada Lovelace.md",
    "People/Alumni/Wei Zhang.md",
    "People/Sam Lee.md",
    "Clients/Sam Lee.md",
    "Home.md",
    "Daily/2026-11-03.md",
]


@pytest.mark.parametrize(
    ("target", "source", "expected"),
    [
        ("People/Ada Lovelace", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("People/Ada Lovelace.md", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("Ada Lovelace", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("ada lovelace", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("Ada Lovelace.md", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("Alumni/Wei Zhang", "Daily/2026-11-03.md", "People/Alumni/Wei Zhang.md"),
        ("people/alumni/wei zhang", "Daily/2026-11-03.md", "People/Alumni/Wei Zhang.md"),
        ("People/Sam Lee", "Daily/2026-11-03.md", "People/Sam Lee.md"),
        ("Clients/Sam Lee", "Daily/2026-11-03.md", "Clients/Sam Lee.md"),
        ("home", "People/Sam Lee.md", "Home.md"),
        # Markdown links, as the parser hands them over (relative, or ./-prefixed)
        ("../People/Ada Lovelace.md", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("./Sam Lee.md", "Clients/x.md", "Clients/Sam Lee.md"),
        ("./Alumni/Wei Zhang.md", "People/Ada Lovelace.md", "People/Alumni/Wei Zhang.md"),
        # Obsidian's "absolute path in vault" Markdown links, written from a subfolder
        ("./People/Ada Lovelace.md", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
        ("/People/Ada Lovelace.md", "Daily/2026-11-03.md", "People/Ada Lovelace.md"),
    ],
)
def test_resolve(target: str, source: str, expected: str):
    assert Resolver(PATHS).resolve(target, source) == (expected, ())


@pytest.mark.parametrize(
    "target",
    [
        "Ada",  # an alias or a prefix is not a link target
        "Lovelace",
        "Nobody",
        "../../outside/Ada Lovelace.md",  # a relative link leaving the vault
        "Wei Zhang/Alumni",
        "",
    ],
)
def test_unresolved(target: str):
    assert Resolver(PATHS).resolve(target, "Daily/2026-11-03.md") == (None, ())


def test_ambiguous_basename_gives_candidates():
    assert Resolver(PATHS).resolve("Sam Lee", "Daily/2026-11-03.md") == (
        None,
        ("Clients/Sam Lee.md", "People/Sam Lee.md"),
    )


def test_ambiguous_link_is_a_warning_and_not_contact(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Sam Lee.md": "---\nstage: buddy\n---\n",
            "People/Old/Sam Lee.md": "---\nstage: cold\n---\n",
            "Daily/2026-11-03.md": "Coffee with [[Sam Lee]]\nand [[People/Old/Sam Lee]]\n",
        },
    )
    v = load(tmp_path)
    problems = [p for p in v.problems]
    assert [(p.path, p.line, p.severity) for p in problems] == [
        ("Daily/2026-11-03.md", 1, "warning")
    ]
    assert "People/Old/Sam Lee.md" in problems[0].message
    assert "People/Sam Lee.md" in problems[0].message
    new, old = sorted(v.contacts, key=lambda c: c.path)[::-1]
    assert new.path == "People/Sam Lee.md" and new.interactions == ()
    assert [i.source for i in old.interactions] == ["Daily/2026-11-03.md"]


def test_alias_link_does_not_resolve(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Maya Chen.md": "---\naliases: [Mei]\nstage: buddy\n---\n",
            "Daily/2026-11-03.md": "Lunch with [[Mei]]\n",
            "Daily/2026-11-04.md": "Lunch with [[Maya Chen|Mei]]\n",
        },
    )
    maya = contact(load(tmp_path), "Maya Chen")
    assert [(i.date, i.kind, i.summary) for i in maya.interactions] == [
        (date(2026, 11, 4), "lunch", "Lunch with Mei")
    ]


def test_one_interaction_per_note_per_person(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": "---\nstage: buddy\n---\n",
            "Meetings/2026-11-03 Lunch with Ada.md": (
                '---\npeople: ["[[Ada Lovelace]]"]\n---\n'
                "Lunch with [[Ada Lovelace|Ada]], [[People/Ada Lovelace]] and "
                "[Ada](../People/Ada%20Lovelace.md)\n"
            ),
        },
    )
    ada = contact(load(tmp_path), "Ada Lovelace")
    assert [(i.source, i.line, i.kind) for i in ada.interactions] == [
        ("Meetings/2026-11-03 Lunch with Ada.md", 2, "lunch")
    ]


def test_markdown_and_path_links_reach_the_person(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ben Ortiz.md": "---\nstage: buddy\n---\n",
            "People/Alumni/Wei Zhang.md": "---\nstage: cold\n---\n",
            "Daily/2026-10-21.md": "Met [Ben](../People/Ben%20Ortiz.md) for lunch\n",
            "Daily/2026-10-22.md": "Call with [[People/Alumni/Wei Zhang|Wei]]\n",
            "Daily/2026-10-23.md": "Coffee with [Ben](People/Ben%20Ortiz.md)\n",
        },
    )
    v = load(tmp_path)
    assert [(i.date.day, i.kind) for i in contact(v, "Ben Ortiz").interactions] == [
        (23, "coffee"),
        (21, "note"),
    ]
    assert [(i.date.day, i.kind) for i in contact(v, "Wei Zhang").interactions] == [(22, "call")]
    assert v.problems == ()


def test_person_notes_and_undated_notes_are_not_contact(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": "---\nstage: buddy\nknows: ['[[Ben Ortiz]]']\n---\n[[Ben Ortiz]]\n",
            "People/Ben Ortiz.md": "---\nstage: buddy\n---\nSee [[Ben Ortiz]] (myself)\n",
            "Notes/Ideas.md": "Ask [[Ben Ortiz]] about it\n",
        },
    )
    v = load(tmp_path)
    assert contact(v, "Ben Ortiz").interactions == ()
    assert contact(v, "Ada Lovelace").knows == ("Ben Ortiz",)


def test_log_and_linked_notes_merge_newest_first(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": (
                "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: log line #give\n"
                "- 2026-09-01 stage: strategic -> buddy\n"
            ),
            "Daily/2026-11-05.md": "- coffee with [[Ada Lovelace]] #ask\n",
            "Meetings/2026-10-10 Dinner with Ada.md": "[[Ada Lovelace]]\n",
        },
    )
    ada = contact(load(tmp_path), "Ada Lovelace")
    assert [
        (i.date.isoformat(), i.kind, i.direction, i.source, i.line) for i in ada.interactions
    ] == [
        ("2026-11-05", "coffee", "ask", "Daily/2026-11-05.md", 1),
        ("2026-11-01", "call", "give", "People/Ada Lovelace.md", 5),
        ("2026-10-10", "dinner", None, "Meetings/2026-10-10 Dinner with Ada.md", 1),
    ]
    assert [(m.date.isoformat(), m.from_ring, m.to_ring) for m in ada.moves] == [
        ("2026-09-01", "strategic", "buddy")
    ]


def test_interactions_of_one_day_go_by_source_then_line_last_first(tmp_path, make_vault):
    make_vault(
        tmp_path,
        {
            "People/Ada Lovelace.md": (
                "---\nstage: buddy\n---\n## Log\n- 2026-11-01 call: first\n"
                "- 2026-11-02 call: later\n- 2026-11-01 email: second\n"
                "- 2026-11-01 coffee: third\n"
            ),
            "Daily/2026-11-01.md": "- lunch with [[Ada Lovelace]]\n",
            "Projects/2026-11-01 Review.md": "---\ndate: 2026-11-01\n---\n[[Ada Lovelace]]\n",
        },
    )
    ada = contact(load(tmp_path), "Ada Lovelace")
    assert [(i.date.day, i.source, i.line) for i in ada.interactions] == [
        (2, "People/Ada Lovelace.md", 6),
        (1, "Projects/2026-11-01 Review.md", 4),
        (1, "People/Ada Lovelace.md", 8),
        (1, "People/Ada Lovelace.md", 7),
        (1, "People/Ada Lovelace.md", 5),
        (1, "Daily/2026-11-01.md", 1),
    ]


# --- status ----------------------------------------------------------------------------


def person(stage: str | None = "buddy", log: tuple[str, ...] = (), **fields: str) -> str:
    lines = ["---"]
    if stage:
        lines.append(f"stage: {stage}")
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines += ["---", "## Log", *(f"- {entry}" for entry in log), ""]
    return "\n".join(lines)


def status_of(tmp_path: Path, note: str, today: date = TODAY, extra: dict | None = None):
    files = {"People/Ada Lovelace.md": note, **(extra or {})}
    for rel, content in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    v = load(tmp_path)
    assert not v.has_errors, v.problems
    s = contact_status(contact(v, "Ada Lovelace"), v, today)
    return s, status_json(s)


def test_last_contact_is_the_newest_interaction(tmp_path):
    s, j = status_of(tmp_path, person(log=("2026-10-01 call: a", "2026-11-01 coffee: b")))
    assert (j["last_contact"], j["cadence_days"], j["next_due"]) == ("2026-11-01", 60, "2026-12-31")
    assert (j["overdue"], j["days_overdue"]) == (False, None)
    assert s.last_interaction is not None and s.last_interaction.kind == "coffee"


def test_manual_last_contact_wins_when_later(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-10-01 call: a",), last_contact="2026-10-15"))
    assert (j["last_contact"], j["next_due"]) == ("2026-10-15", "2026-12-14")


def test_manual_last_contact_loses_when_earlier(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-10-01 call: a",), last_contact="2026-04-01"))
    assert (j["last_contact"], j["next_due"]) == ("2026-10-01", "2026-11-30")


def test_manual_last_contact_alone(tmp_path):
    _, j = status_of(tmp_path, person(stage="strategic", last_contact="2026-07-01"))
    assert (j["last_contact"], j["next_due"], j["overdue"], j["days_overdue"]) == (
        "2026-07-01",
        "2026-09-29",
        True,
        52,
    )


def test_a_future_manual_last_contact_is_ignored(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-10-01 call: a",), last_contact="2026-12-24"))
    assert j["last_contact"] == "2026-10-01"


def test_follow_up_earlier_than_cadence_sets_next_due(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-11-01 call: a",), follow_up="2026-11-10"))
    assert (j["next_due"], j["overdue"], j["days_overdue"], j["follow_up"]) == (
        "2026-11-10",
        True,
        10,
        "2026-11-10",
    )


def test_follow_up_later_than_cadence_does_not_postpone(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-11-01 call: a",), follow_up="2027-06-01"))
    assert j["next_due"] == "2026-12-31"


def test_follow_up_without_cadence(tmp_path):
    _, j = status_of(tmp_path, person(stage="cold", follow_up="2026-11-05"))
    assert (j["cadence_days"], j["last_contact"], j["next_due"], j["days_overdue"]) == (
        None,
        None,
        "2026-11-05",
        15,
    )
    assert j["never_contacted"] is False


def test_due_today_is_not_overdue(tmp_path):
    _, j = status_of(tmp_path, person(log=("2026-09-21 call: a",)))
    assert (j["next_due"], j["overdue"], j["days_overdue"]) == ("2026-11-20", False, None)
    _, j = status_of(tmp_path, person(log=("2026-09-20 call: a",)))
    assert (j["next_due"], j["overdue"], j["days_overdue"]) == ("2026-11-19", True, 1)


def test_never_contacted_is_overdue_with_nulls(tmp_path):
    s, j = status_of(tmp_path, person(stage="lukewarm"))
    assert j["overdue"] is True and j["never_contacted"] is True
    assert (j["last_contact"], j["next_due"], j["days_overdue"]) == (None, None, None)
    assert s.never_contacted


def test_no_cadence_and_no_contact_is_not_overdue(tmp_path):
    _, j = status_of(tmp_path, person(stage="cold"))
    assert (j["overdue"], j["never_contacted"], j["next_due"], j["cadence_days"]) == (
        False,
        False,
        None,
        None,
    )
    _, j = status_of(tmp_path, person(stage=None))
    assert (j["ring"], j["overdue"], j["cadence_days"]) == (None, False, None)


def test_future_dated_notes_are_planned_not_contact(tmp_path):
    s, j = status_of(
        tmp_path,
        person(log=("2026-10-01 call: a", "2026-12-01 call: planned in the log")),
        extra={
            "Daily/2026-11-25.md": "Call with [[Ada Lovelace]]\n",
            "Meetings/2026-12-09 Dinner with Ada.md": "[[Ada Lovelace]]\n",
            "Daily/2026-11-20.md": "- coffee with [[Ada Lovelace]]\n",
        },
    )
    assert j["last_contact"] == "2026-11-20"  # today counts, the future does not
    v = load(tmp_path)
    full = contact_json(contact_status(contact(v, "Ada Lovelace"), v, TODAY), TODAY)
    assert [i["date"] for i in full["interactions"]] == ["2026-11-20", "2026-10-01"]
    assert [(p["date"], p["source"]) for p in full["planned"]] == [
        ("2026-11-25", "Daily/2026-11-25.md"),
        ("2026-12-01", "People/Ada Lovelace.md"),
        ("2026-12-09", "Meetings/2026-12-09 Dinner with Ada.md"),
    ]
    # The same vault a month later: the planned meetings have become contact.
    later = contact_status(contact(v, "Ada Lovelace"), v, date(2026, 12, 31))
    assert later.last_contact == date(2026, 12, 9)


def test_only_future_contact_is_never_contacted(tmp_path):
    _, j = status_of(tmp_path, person(), extra={"Daily/2026-11-25.md": "[[Ada Lovelace]]\n"})
    assert (j["never_contacted"], j["overdue"], j["last_contact"]) == (True, True, None)


def test_archived_is_never_overdue_and_not_listed(tmp_path):
    s, j = status_of(tmp_path, person(stage="buddy", log=("2020-01-01 call: a",), archived="true"))
    assert (j["overdue"], j["days_overdue"]) == (False, None)
    s2, j2 = status_of(tmp_path, person(stage="buddy", archived="true"))
    assert j2["overdue"] is False
    v = load(tmp_path)
    assert filter_contacts(v, TODAY) == []
    assert contact(v, "Ada Lovelace").archived


@pytest.mark.parametrize(
    ("cadence", "days"),
    [
        ("30d", 30),
        ("6w", 42),
        ("3m", 90),
        ("1y", 365),
        ("2 w", 14),
        ("weekly", 7),
        ("Monthly", 30),
        ("quarterly", 91),
        ("yearly", 365),
        ("45", 45),
        ('"45"', 45),
    ],
)
def test_cadence_override(tmp_path, cadence: str, days: int):
    _, j = status_of(tmp_path, person(stage="cold", log=("2026-11-01 call: a",), cadence=cadence))
    assert j["cadence_days"] == days
    assert j["next_due"] == (date(2026, 11, 1) + timedelta(days=days)).isoformat()


def test_cadence_override_on_a_contact_without_ring(tmp_path):
    _, j = status_of(tmp_path, person(stage=None, cadence="30d"))
    assert (j["ring"], j["cadence_days"], j["never_contacted"], j["overdue"]) == (
        None,
        30,
        True,
        True,
    )


def test_ring_cadences_come_from_config(tmp_path):
    (tmp_path / "kith.toml").write_text("[cadence]\nbuddy = 14\ncold = 365\n", encoding="utf-8")
    _, j = status_of(tmp_path, person(stage="Buddy", log=("2026-11-01 call: a",)))
    assert (j["ring"], j["cadence_days"], j["next_due"]) == ("buddy", 14, "2026-11-15")
    _, j = status_of(tmp_path, person(stage="cold", log=("2026-11-01 call: a",)))
    assert j["cadence_days"] == 365


def test_bad_cadence_falls_back_to_the_ring_with_an_error(tmp_path, make_vault):
    make_vault(tmp_path, {"People/Ada Lovelace.md": person(stage="strategic", cadence="often")})
    v = load(tmp_path)
    assert [(p.line, p.severity) for p in v.problems] == [(3, "error")]
    s = contact_status(contact(v, "Ada Lovelace"), v, TODAY)
    assert s.cadence_days == 90


def test_links_ignore_unicode_normal_forms(tmp_path, make_vault):
    """A note synced from macOS may be named in NFD; links typed elsewhere are NFC."""
    nfd = unicodedata.normalize("NFD", "People/Zoë Brandt.md")
    make_vault(
        tmp_path,
        {
            nfd: "---\nstage: buddy\n---\n",
            "Daily/2026-11-03.md": "Call with [[Zoë Brandt]]\n",
            "Daily/2026-11-04.md": "Call with [[people/ZOË BRANDT|Zoë]]\n",
        },
    )
    v = load(tmp_path)
    (zoe,) = v.contacts
    assert unicodedata.is_normalized("NFC", zoe.name) and zoe.name == "Zoë Brandt"
    assert [i.date.day for i in zoe.interactions] == [4, 3]
