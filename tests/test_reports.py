"""Reports: the queries behind them, writing them into the vault, blocks, and the CLI commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY, run_cli, write_files

from vaultlib import insights
from vaultlib.blocks import find_blocks
from vaultlib.config import load_config
from vaultlib.index import build_index
from vaultlib.registry import REPORT_NAMES
from vaultlib.reports import is_generated, render_reports, write_reports
from vaultlib.vault import Vault
from vaultlib.write import Writer

# A small network on TODAY = 2026-11-20 (Friday).
NETWORK = {
    "People/Ada Lovelace.md": (
        "---\nstage: buddy\nbirthday: 1990-11-22\n---\n"
        "## Log\n"
        "- 2026-08-01 coffee: talked about engines #give\n"
        "- 2026-11-01 stage: strategic -> buddy\n"
    ),
    "People/Bob Stone.md": (
        "---\nstage: strategic\nlast_contact: 2026-10-01\nfollow_up: 2026-11-18\n"
        "follow_up_note: send the deck\n---\n"
        "## Log\n- 2026-10-01 call: asked for a referral #ask\n- 2026-06-01 stage: lukewarm -> strategic\n"
    ),
    "People/Cy Young.md": "---\nstage: lukewarm\ncreated: 2026-11-01\n---\nMet at a meetup.\n",
    "People/Dee Park.md": "---\nstage: cold\n---\n## Log\n- 2024-01-10 email: intro via Ada #ask\n",
    "People/Eve Adams.md": (
        "---\nstage: buddy\nbirthday: --11-25\n---\n## Log\n- 2025-11-21 coffee: first met #give\n"
        "- 2026-10-30 call: caught up #give\n"
    ),
    "People/Fay Gone.md": "---\nstage: buddy\narchived: true\n---\n",
    "People/Gus Lee.md": (
        "---\nstage: lukewarm\n---\n## Log\n- 2026-09-01 lunch: budgets\n- 2026-10-15 stage: strategic -> lukewarm\n"
    ),
    "Meetings/2026-11-27 Lunch with Eve.md": "Lunch with [[Eve Adams]] and [[Ada Lovelace]].\n",
    "Daily/2026-11-10.md": "Gave a talk at the meetup #exposure\n",
    "Daily/2026-10-05.md": "Wrote a post #exposure/writing\n",
    "Goals/Two buddies.md": (
        "---\ntype: goal\nmetric: moves\nto: buddy\ntarget: 2\nstart: 2026-10-01\ndeadline: 2026-12-31\n---\n"
    ),
    "Goals/Exposure.md": (
        "---\ntype: goal\nmetric: activity\ntarget: 1\nper: month\nstart: 2026-10-01\ndeadline: 2026-12-31\n---\n"
    ),
    "Goals/Grow.md": "---\ntype: goal\nmetric: added\ntarget: 1\nstart: 2026-10-01\ndeadline: 2026-11-30\n---\n",
}


def load(root: Path) -> Vault:
    return build_index(load_config(root), save=False).vault()


@pytest.fixture
def network(tmp_path: Path) -> Path:
    return write_files(tmp_path / "vault", {"kith.toml": "", **NETWORK})


@pytest.fixture
def vault(network: Path) -> Vault:
    return load(network)


def names(rows) -> list[str]:
    return [r.contact.name for r in rows]


# --- queries ------------------------------------------------------------------------


def test_overdue_groups_inner_ring_first_with_next_steps(vault: Vault) -> None:
    r = insights.overdue_report(vault, TODAY)
    assert [g.ring for g in r.groups] == ["buddy", "strategic"]
    ada = r.groups[0].rows[0]
    assert (ada.contact.name, ada.days_overdue, ada.last_contact) == (
        "Ada Lovelace",
        51,
        date(2026, 8, 1),
    )
    assert ada.about == "coffee: talked about engines"
    assert ada.next_step == insights.NEXT_STEPS["buddy"]
    bob = r.groups[1].rows[0]
    assert bob.days_overdue == 2  # the follow-up date came before the cadence
    assert bob.next_step == "Follow up: send the deck"
    assert names(r.never) == ["Cy Young"]
    assert [(f.contact.name, f.days, f.note) for f in r.follow_ups] == [
        ("Bob Stone", 2, "send the deck")
    ]
    assert "Fay Gone" not in [row.contact.name for g in r.groups for row in g.rows] + names(r.never)


def test_overdue_filters_by_ring_and_limits_rows(vault: Vault) -> None:
    r = insights.overdue_report(vault, TODAY, ring="strategic")
    assert [g.ring for g in r.groups] == ["strategic"] and not r.never
    r = insights.overdue_report(vault, TODAY, limit=1)
    assert sum(len(g.rows) for g in r.groups) == 1 and r.overdue_count == 2


def test_next_step_for_custom_rings_follows_depth() -> None:
    rings = ("stranger", "acquaintance", "contact", "ally", "friend")
    steps = [insights.next_step(r, rings) for r in rings]
    assert steps[0] == insights.NEXT_STEPS["cold"] and steps[-1] == insights.NEXT_STEPS["buddy"]
    assert insights.next_step(None, rings) == insights.NO_RING_STEP


def test_funnel_counts_moves_added_stalled_and_conversion(vault: Vault) -> None:
    f = insights.funnel_report(vault, TODAY)
    assert [(r.ring, r.count) for r in f.rings] == [
        ("cold", 1),
        ("lukewarm", 2),
        ("strategic", 1),
        ("buddy", 2),
    ]
    assert [(m.contact.name, m.from_ring, m.to_ring, m.direction) for m in f.moves] == [
        ("Ada Lovelace", "strategic", "buddy", "inward"),
        ("Gus Lee", "strategic", "lukewarm", "outward"),
    ]
    assert [(p.days, p.inward, p.outward) for p in f.periods] == [(30, 1, 0), (90, 1, 1)]
    assert ("Cy Young", date(2026, 11, 1)) in [(a.contact.name, a.date) for a in f.added]
    assert names(f.stalled) == [
        "Dee Park"
    ]  # cold, nothing since 2024; the innermost ring never stalls
    conv = {c.ring: (c.in_ring, c.moved_inward, c.rate) for c in f.conversion}
    assert conv["strategic"] == (3, 1, 33)  # Ada (moved in), Bob, Gus (moved out) were strategic
    assert "buddy" not in conv


def test_upcoming_lists_birthdays_follow_ups_meetings_and_anniversaries(vault: Vault) -> None:
    u = insights.upcoming_report(vault, TODAY, days=14)
    got = [(e.date.isoformat(), e.kind, [c.name for c in e.people], e.age) for e in u.events]
    assert ("2026-11-22", "birthday", ["Ada Lovelace"], 36) in got
    assert ("2026-11-25", "birthday", ["Eve Adams"], None) in got  # year-less: no age
    assert ("2026-11-27", "meeting", ["Ada Lovelace", "Eve Adams"], None) in got
    assert ("2026-11-21", "anniversary", ["Eve Adams"], None) in got
    assert [e.date for e in u.events] == sorted(e.date for e in u.events)
    birthday = next(e for e in u.events if e.kind == "birthday" and e.age is None)
    assert birthday.text == ""
    meeting = next(e for e in u.events if e.kind == "meeting")
    assert meeting.note is not None and meeting.note.path == "Meetings/2026-11-27 Lunch with Eve.md"
    assert insights.upcoming_report(vault, TODAY, days=1).events[-1].date <= date(2026, 11, 21)


def test_reconnect_lists_ties_dormant_past_the_threshold(vault: Vault) -> None:
    r = insights.reconnect_report(vault, TODAY)
    assert [(d.contact.name, d.about) for d in r.rows] == [("Dee Park", "email: intro via Ada")]
    assert insights.reconnect_report(vault, TODAY, days=60).count == 3


def test_reciprocity_puts_ask_only_first(vault: Vault) -> None:
    r = insights.reciprocity_report(vault, TODAY)
    assert names(r.only_asked) == ["Bob Stone"]  # Dee's ask is older than 12 months
    assert [(x.contact.name, x.gives, x.asks, x.balance) for x in r.others] == [
        ("Ada Lovelace", 1, 0, 1),
        ("Eve Adams", 2, 0, 2),
    ]


def test_goals_progress_and_status_against_elapsed_time(vault: Vault) -> None:
    g = {row.goal.name: row for row in insights.goals_report(vault, TODAY).goals}
    moves = g["Two buddies"]
    # 1 of 2 with 50 of 91 days gone: 50% done < 55% of the time -> behind, 2 expected by now
    assert (moves.progress, moves.target, moves.status, moves.expected) == (1, 2, "behind", 2)
    assert insights.goals_report(vault, date(2026, 11, 10)).goals[-1].status == "on track"
    assert moves.description == "Move 2 people into buddy"
    exposure = g["Exposure"]
    assert [(m.month, m.count, m.met) for m in exposure.months] == [
        ("2026-10", 1, True),
        ("2026-11", 1, True),
    ]
    assert exposure.status == "on track"  # a monthly goal is only done after its deadline
    grow = g["Grow"]
    assert (grow.progress, grow.status) == (2, "done")
    # Cy by `created`, Bob by his first interaction; Eve's first coffee was in 2025
    assert [i.ref.name for i in grow.items] == ["Cy Young", "Bob Stone"]


def test_goal_behind_when_progress_lags_time(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "People/A.md": "---\nstage: lukewarm\n---\n",
            "Goals/G.md": "---\ntype: goal\nmetric: moves\nfrom: lukewarm\nto: strategic\ntarget: 3\n"
            "start: 2026-09-01\ndeadline: 2026-12-01\n---\n",
        },
    )
    row = insights.goals_report(load(root), TODAY).goals[0]
    assert (row.progress, row.status, row.elapsed_percent, row.expected) == (0, "behind", 87, 3)
    late = insights.goals_report(load(root), date(2026, 12, 2)).goals[0]
    assert late.status == "missed"


def test_dashboard_ranks_one_action_per_person(vault: Vault) -> None:
    d = insights.dashboard_report(vault, date(2026, 11, 22))  # Ada's birthday
    kinds = [(a.kind, a.contact.name) for a in d.actions]
    assert kinds[0] == ("birthday", "Ada Lovelace")
    assert ("follow-up", "Bob Stone") in kinds
    assert len({name for _, name in kinds}) == len(kinds)
    assert [a.rank for a in d.actions] == list(range(1, len(d.actions) + 1))
    assert ("reconnect", "Dee Park") in kinds
    labels = {h.label: h.value for h in d.headlines}
    assert labels["Follow-ups due"] == "1" and labels["Never contacted"] == "1"


# --- writing ------------------------------------------------------------------------


def test_render_reports_is_pure_and_marks_every_report(vault: Vault) -> None:
    out = render_reports(vault, TODAY)
    assert sorted(out) == sorted(f"Reports/{n.capitalize()}.md" for n in REPORT_NAMES)
    assert out == render_reports(vault, TODAY)
    for data in out.values():
        assert data.startswith(b"---\nkith: generated report")
        assert is_generated(data)
        fm = data.split(b"\n---\n", 1)[0].decode().splitlines()[1:]
        assert 2 <= len([k for k in fm if not k.startswith(" ")]) <= 4
    assert list(render_reports(vault, TODAY, ["Overdue"])) == ["Reports/Overdue.md"]


def test_dry_run_writes_nothing(network: Path) -> None:
    run = write_reports(load(network), TODAY, Writer(network, dry_run=True))
    assert {r.status for r in run.changed} == {"would-write"}
    assert not (network / "Reports").exists()


def test_is_generated_only_for_kith_front_matter() -> None:
    assert is_generated(b"\xef\xbb\xbf---\r\nkith: generated report (x)\r\n---\r\n")
    assert not is_generated(b"---\ntitle: mine\nkith: generated report\n---\n")
    assert not is_generated(b"# Overdue\nkith: generated report\n")


def test_user_file_at_a_report_path_is_never_overwritten(network: Path) -> None:
    mine = b"# My own overdue list\n\n- call mum\n"
    write_files(network, {"Reports/Overdue.md": mine})
    result = run_cli(network, "report")
    assert result.exit_code == 1
    assert (network / "Reports/Overdue.md").read_bytes() == mine
    assert "Reports/Overdue.md:-: exists and was not written by kith; skipped" in result.stderr
    assert (network / "Reports/Funnel.md").exists()
    assert "written: Reports/Overdue.md" not in result.stdout


def test_check_exit_codes(network: Path) -> None:
    first = run_cli(network, "report", "--check")
    assert first.exit_code == 1
    assert "would-write: Reports/Dashboard.md" in first.stdout
    assert not (network / "Reports").exists()
    assert run_cli(network, "report").exit_code == 0
    again = run_cli(network, "report", "--check")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""
    later = run_cli(network, "report", "--check", today=date(2026, 11, 21))
    assert later.exit_code == 1


def test_report_names_restrict_and_unknown_names_are_usage_errors(network: Path) -> None:
    result = run_cli(network, "report", "overdue", "Funnel")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (network / "Reports").iterdir()) == ["Funnel.md", "Overdue.md"]
    assert result.stdout.splitlines() == [
        "created: Reports/Overdue.md",
        "created: Reports/Funnel.md",
    ]
    bad = run_cli(network, "report", "overdew")
    assert bad.exit_code == 2 and "unknown report 'overdew'" in bad.stderr


def test_reports_folder_from_config(network: Path) -> None:
    (network / "kith.toml").write_text('reports_folder = "CRM/Out"\n')
    assert run_cli(network, "report", "upcoming").exit_code == 0
    assert (network / "CRM/Out/Upcoming.md").is_file()


# --- blocks -------------------------------------------------------------------------

HOME_CRLF = (
    "\ufeff# Home\r\n\r\nMine.\r\n<!-- kith:overdue limit=1 ring=buddy -->\r\n"
    "<!-- /kith:overdue -->\r\nAlso mine, no final newline"
)


def test_blocks_are_filled_keeping_bom_crlf_and_every_outside_byte(network: Path) -> None:
    write_files(network, {"Home.md": HOME_CRLF})
    result = run_cli(network, "report")
    assert result.exit_code == 0, result.stderr
    assert "written: Home.md" in result.stdout
    data = (network / "Home.md").read_bytes()
    assert data.startswith(
        b"\xef\xbb\xbf# Home\r\n\r\nMine.\r\n<!-- kith:overdue limit=1 ring=buddy -->\r\n"
    )
    assert data.endswith(b"<!-- /kith:overdue -->\r\nAlso mine, no final newline")
    inner = data.split(b"ring=buddy -->\r\n", 1)[1].split(b"<!-- /kith:overdue -->", 1)[0]
    assert b"\n" not in inner.replace(b"\r\n", b"")  # every inserted line ends in CRLF
    text = inner.decode()
    assert "[[Ada Lovelace]]" in text and "Bob Stone" not in text  # ring=buddy, limit=1
    assert "# Overdue" not in text and "kith: generated" not in text  # body only
    again = run_cli(network, "report")
    assert again.exit_code == 0 and "Home.md" not in again.stdout
    assert (network / "Home.md").read_bytes() == data


def test_block_edited_by_hand_is_kept_and_reported(network: Path) -> None:
    write_files(network, {"Home.md": "<!-- kith:goals -->\n<!-- /kith:goals -->\n"})
    assert run_cli(network, "report").exit_code == 0
    text = (network / "Home.md").read_text()
    edited = text.replace("Two buddies", "Two buddies (my note)")
    (network / "Home.md").write_text(edited)
    result = run_cli(network, "report")
    assert result.exit_code == 0
    assert "Home.md:1: warning: generated block 'goals' was edited by hand" in result.stderr
    assert (network / "Home.md").read_text() == edited


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("<!-- kith:overdue limt=3 -->", "unknown option 'limt'"),
        ("<!-- kith:overdue limit=0 -->", "limit=0 is not a whole number"),
        ("<!-- kith:overdue ring=friends -->", "ring=friends is not a ring"),
        ("<!-- kith:overdeu -->", "unknown report 'overdeu'"),
    ],
)
def test_bad_block_options_are_problems_and_leave_the_note(
    network: Path, marker: str, message: str
) -> None:
    name = marker.split(":", 1)[1].split()[0]
    note = f"# Hub\n{marker}\n<!-- /kith:{name} -->\n"
    write_files(network, {"Hub.md": note})
    result = run_cli(network, "report")
    assert result.exit_code == 1
    assert "Hub.md:2: " in result.stderr and message in result.stderr
    assert (network / "Hub.md").read_text() == note
    assert (network / "Reports/Overdue.md").exists()


def test_report_names_leave_other_blocks_alone(network: Path) -> None:
    note = (
        "<!-- kith:funnel -->\n<!-- /kith:funnel -->\n<!-- kith:goals -->\n<!-- /kith:goals -->\n"
    )
    write_files(network, {"Hub.md": note})
    assert run_cli(network, "report", "goals").exit_code == 0
    blocks, _ = find_blocks((network / "Hub.md").read_text(), "Hub.md")
    text = (network / "Hub.md").read_text()
    assert [b.name for b in blocks] == ["funnel", "goals"]
    assert text.startswith("<!-- kith:funnel -->\n<!-- /kith:funnel -->\n")
    assert "Two buddies" in text


# --- terminal commands --------------------------------------------------------------


def test_overdue_json_is_list_objects_most_overdue_first(network: Path) -> None:
    result = run_cli(network, "overdue", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [d["name"] for d in data] == [
        "Ada Lovelace",
        "Bob Stone",
        "Cy Young",
    ]  # never contacted last
    listed = json.loads(run_cli(network, "list", "--overdue", "--json").stdout)
    assert sorted(data, key=lambda d: d["path"]) == sorted(listed, key=lambda d: d["path"])
    buddy = json.loads(run_cli(network, "overdue", "--ring", "Buddy", "--json").stdout)
    assert [d["name"] for d in buddy] == ["Ada Lovelace"]
    assert run_cli(network, "overdue", "--ring", "pals").exit_code == 2


def test_overdue_table(network: Path) -> None:
    result = run_cli(network, "overdue")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["Name", "Ring"]
    assert lines[1].startswith("Ada Lovelace") and "51" in lines[1] and "Keep it warm" in lines[1]
    assert "never contacted" in lines[3]
    assert "Follow-ups due" in result.stdout and "send the deck" in result.stdout


def test_funnel_json_shape(network: Path) -> None:
    result = run_cli(network, "funnel", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rings"] == [
        {"ring": "cold", "count": 1},
        {"ring": "lukewarm", "count": 2},
        {"ring": "strategic", "count": 1},
        {"ring": "buddy", "count": 2},
    ]
    assert data["moves"] == [
        {"name": "Ada Lovelace", "from": "strategic", "to": "buddy", "date": "2026-11-01"},
        {"name": "Gus Lee", "from": "strategic", "to": "lukewarm", "date": "2026-10-15"},
    ]
    assert [p["days"] for p in data["periods"]] == [30, 90]
    assert {"added", "stalled", "conversion", "no_ring"} <= set(data)


def test_funnel_table(network: Path) -> None:
    result = run_cli(network, "funnel")
    assert result.exit_code == 0
    assert "Rings, outer to inner" in result.stdout and "Gus Lee" in result.stdout


def test_upcoming_json_and_days(network: Path) -> None:
    data = json.loads(run_cli(network, "upcoming", "--json").stdout)
    assert data["days"] == 14 and data["until"] == "2026-12-04"
    first = data["events"][0]
    assert set(first) == {"date", "kind", "names", "paths", "text", "note", "age", "years"}
    short = json.loads(run_cli(network, "upcoming", "--days", "1", "--json").stdout)
    assert [e["date"] for e in short["events"]] == ["2026-11-21"]
    table = run_cli(network, "upcoming")
    assert table.exit_code == 0 and "Birthday" in table.stdout and "turns 36" in table.stdout


def test_every_new_command_is_documented() -> None:
    from cli import main

    for name in ("report", "overdue", "funnel", "upcoming"):
        assert "Example:" in (main.commands[name].help or ""), name
