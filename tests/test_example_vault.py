"""example-vault/ must stay what its README says: `kith check` reports exactly the deliberate
problems it lists, and the overdue people it worked out by hand are the ones kith finds.

The README's tables are parsed, so the vault and its documentation cannot drift apart.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"
README = EXAMPLE / "README.md"
TODAY = date(2026, 11, 20)  # the date the README's worked answers are for

pytestmark = pytest.mark.skipif(not README.is_file(), reason="example-vault/ is not there yet")


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped of backticks) of the first Markdown table under `heading`."""
    text = README.read_text(encoding="utf-8")
    start = text.find(heading)
    assert start != -1, f"README.md has no {heading!r} section"
    rows: list[list[str]] = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue  # the separator row
        rows.append(cells)
    assert len(rows) > 1, f"no table under {heading!r}"
    return rows[1:]  # without the header


def nullable(cell: str) -> str | None:
    return None if cell in ("–", "-", "—", "never", "") else cell


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example") / "example-vault"
    shutil.copytree(EXAMPLE, root, symlinks=True, ignore=shutil.ignore_patterns(".kith"))
    return root


def test_check_reports_exactly_the_deliberate_problems(vault: Path, run_cli):
    expected = sorted(
        (path, int(line) if nullable(line) else None, severity)
        for path, line, severity, *_ in table_after("## Deliberate problems")
    )
    assert len(expected) >= 4
    r = run_cli(vault, "check", "--json", today=TODAY)
    got = sorted((p["path"], p["line"], p["severity"]) for p in json.loads(r.stdout))
    assert got == expected
    assert r.exit_code == (1 if any(s == "error" for *_, s in expected) else 0)


def test_at_least_40_contacts_across_all_four_rings(vault: Path, run_cli):
    r = run_cli(vault, "list", "--json", today=TODAY)
    assert r.exit_code == 0
    contacts = json.loads(r.stdout)
    assert len(contacts) >= 40
    assert {c["ring"] for c in contacts} >= {"cold", "lukewarm", "strategic", "buddy"}
    m = re.search(
        r"buddy (\d+), strategic (\d+).*?lukewarm (\d+), cold (\d+)",
        README.read_text(encoding="utf-8"),
        re.S,
    )
    assert m, "README.md no longer states the ring counts"
    counts = {
        ring: sum(1 for c in contacts if c["ring"] == ring)
        for ring in ("buddy", "strategic", "lukewarm", "cold")
    }
    assert counts == dict(zip(("buddy", "strategic", "lukewarm", "cold"), map(int, m.groups())))


def test_overdue_matches_the_hand_worked_table(vault: Path, run_cli):
    rows = table_after("**Overdue**")
    expected = [
        (name, ring, nullable(last), nullable(due), int(days) if nullable(days) else None)
        for name, ring, last, due, days, *_ in rows
    ]
    r = run_cli(vault, "list", "--overdue", "--json", today=TODAY)
    assert r.exit_code == 0
    # The README's order: most overdue first, never contacted last, then by name.
    got_rows = sorted(
        json.loads(r.stdout),
        key=lambda c: (c["days_overdue"] is None, -(c["days_overdue"] or 0), c["name"]),
    )
    got = [
        (c["name"], c["ring"], c["last_contact"], c["next_due"], c["days_overdue"])
        for c in got_rows
    ]
    assert got == expected


def test_things_that_look_like_contact_are_not(vault: Path, run_cli):
    """Each decoy sits in a daily note after the person's real last contact."""
    rows = table_after("## Things that look like contact but are not")
    checked = 0
    for note, _construct, people in rows:
        for name in (n.strip() for n in people.split(",")):
            r = run_cli(vault, "show", name, "--json", today=TODAY)
            assert r.exit_code == 0, (name, r.stderr)
            sources = [i["source"] for i in json.loads(r.stdout)["interactions"]]
            assert note not in sources, (name, note)
            checked += 1
    assert checked >= 7
