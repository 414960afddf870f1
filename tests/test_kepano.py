"""A real vault: Steph Ango's kepano-obsidian sample, whose people live in References/ with
`categories: ["[[People]]"]` and whose meetings name people in a `people:` list.

Licence: the sample is MIT-licensed (c) 2023 Steph Ango, and its LICENSE file sits beside it
in shared/samples/. Nothing of it is copied into this repository: the test copies the folder
(LICENSE included) to a temporary directory at run time, from `shared/` checked out beside
the clone (CI has it at <repo>/../shared). Without it the test is skipped, not failed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent.parent / "shared/samples/obsidian-vault-kepano"
CONFIG = '[people]\nfolders = []\ncategories = ["People"]\n'

pytestmark = pytest.mark.skipif(
    not (SAMPLE / "References").is_dir(),
    reason=f"the kepano sample vault is not at {SAMPLE} (shared/ must sit beside the clone)",
)


@pytest.fixture
def kepano(tmp_path: Path) -> Path:
    root = tmp_path / "kepano"
    shutil.copytree(SAMPLE, root, symlinks=True)
    for dirpath, dirs, files in os.walk(root):  # the shared copy is read-only
        for name in [*dirs, *files, "."]:
            p = os.path.join(dirpath, name)
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    assert (root / "LICENSE").is_file()
    (root / "kith.toml").write_text(CONFIG, encoding="utf-8")
    return root


def test_people_and_meetings_come_out_right(kepano: Path, run_cli):
    r = run_cli(kepano, "list", "--json")
    assert r.exit_code == 0, r.output
    people = json.loads(r.stdout)
    assert [(p["name"], p["path"]) for p in people] == [
        ("Kevin Kelly", "References/Kevin Kelly.md"),
        ("Steph Ango", "References/Steph Ango.md"),
    ]
    kevin, steph = people
    assert (steph["company"], steph["last_contact"], steph["ring"]) == (
        "Obsidian",
        "2023-09-12",
        None,
    )
    assert (kevin["company"], kevin["last_contact"]) == (None, None)

    r = run_cli(kepano, "show", "steph", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["interactions"] == [
        {
            "date": "2023-09-12",
            "kind": "meeting",
            "direction": None,
            "summary": "Meeting with Steph",
            "source": "Notes/2023-09-12 Meeting with Steph.md",
            "line": 10,  # the `people:` key
        }
    ]
    assert data["fields"]["twitter"] == "kepano"
    assert data["fields"]["created"] == "2023-09-12"
    assert data["fields"]["categories"] == ["[[People]]"]


def test_templates_are_ignored_and_the_vault_is_clean(kepano: Path, run_cli):
    """Templates/People Template.md has `categories: ["[[People]]"]` and an unrendered
    `created: {{date}}`: read as a note it would be a broken person."""
    r = run_cli(kepano, "check", "--json")
    assert (r.exit_code, json.loads(r.stdout)) == (0, [])
    r = run_cli(kepano, "index")
    assert r.stdout.startswith("notes 6, contacts 2:")


def test_without_the_templates_setting_the_template_is_reported(kepano: Path, run_cli):
    (kepano / ".obsidian/templates.json").unlink()
    r = run_cli(kepano, "check", "--json")
    problems = json.loads(r.stdout)
    assert {p["path"] for p in problems} >= {"Templates/People Template.md"}
    assert r.exit_code == 1


def test_default_config_finds_no_people(kepano: Path, run_cli):
    (kepano / "kith.toml").write_text("", encoding="utf-8")
    r = run_cli(kepano, "list", "--json")
    assert (r.exit_code, json.loads(r.stdout)) == (0, [])
