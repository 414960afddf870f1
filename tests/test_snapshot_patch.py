"""After persons' notes alone were edited (a `kith log` line, a field), the next run patches
the stored snapshot instead of loading every record and building the vault again: the
vault it answers with must be the one a full build makes, and anything else falls back
to the full build."""

from __future__ import annotations

import os
import time
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import backdate

from vaultlib.config import load_config
from vaultlib.index import Index, build_index

FILES = {
    "People/Ada Lovelace.md": "---\nstage: buddy\nknows: ['[[Ben Ortiz]]']\n---\n## Log\n"
    "- 2026-11-01 call: hello\n",
    "People/Ben Ortiz.md": "---\nstage: cold\n---\n",
    "People/Cy Wu.md": "---\nname: Cyrus Wu\nstage: lukewarm\n---\n",
    "Daily/2026-11-03.md": "Coffee with [[Ben Ortiz]] and [[Ada Lovelace]] #give\n",
    "Daily/2026-11-04.md": "- lunch with [[Cy Wu]]\n- [[Nobody]] called\n",
    "Meetings/Kickoff.md": "---\ndate: 2026-10-01\npeople: ['[[Ada Lovelace]]']\n---\n",
    "Goals/Grow.md": "---\ntype: goal\nmetric: moves\ntarget: 3\n---\n",
    "Home.md": "<!-- kith:overdue -->\n<!-- /kith:overdue -->\n",
}


def values(idx: Index) -> tuple[object, ...]:
    """Everything the vault holds, compared as values."""
    v = idx.vault()
    return tuple(dict(getattr(v, f.name)) if f.name == "by_path" else getattr(v, f.name)
                 for f in fields(v))  # fmt: skip


def edit(root: Path, rel: str, text: str) -> None:
    (root / rel).write_text(text)


def patched(root: Path) -> Index:
    idx = build_index(load_config(root))
    assert idx._whole is not None, "the stored snapshot was not patched"
    return idx


def full(root: Path) -> Index:
    return build_index(load_config(root), rebuild=True, save=False)


@pytest.fixture
def vault(tmp_path: Path, make_vault) -> Path:
    make_vault(tmp_path, FILES)
    build_index(load_config(tmp_path)).vault()  # stores the snapshot and the manifest
    return tmp_path


def test_a_log_line_added_to_a_person_patches_the_snapshot(vault: Path):
    ada = "People/Ada Lovelace.md"
    edit(vault, ada, FILES[ada] + "- 2026-11-19 coffee: new line #ask\n")
    idx = patched(vault)
    assert idx.stats.modified == 1 and idx.stats.parsed >= 1  # (and notes still racy)
    assert values(idx) == values(full(vault))
    c = idx.vault().by_path[ada]
    assert c.interactions[0].summary == "new line" and c.interactions[0].direction == "ask"
    assert len(c.interactions) == 4  # its two log lines, the daily note and the meeting
    # and the patched snapshot is what the next run loads, as it is
    again = build_index(load_config(vault))
    assert again.stats.parsed == 0 and values(again) == values(idx)


PERSON_EDITS = [
    "---\nstage: strategic\nknows: ['[[Ben Ortiz]]']\n---\n## Log\n- 2026-11-01 call: hello\n",
    "---\nstage: buddy\nknows: ['[[Cy Wu]]', '[[Nobody]]']\n---\n## Log\n",
    "---\nstage: buddy\nbirthday: 1990-02-03\nfollow_up: 2026-12-01\n---\n",
    "---\nstage: buddy\nintroduced_by: '[[Ben Ortiz]]'\n---\n<!-- kith:birthdays -->\n",
    "---\nstage: buddy\ncadence: not-a-cadence\nbirthday: 1990-13-45\n---\n",
    "---\nstage: buddy\narchived: true\n---\n## Log\n- 2026-11-20 stage: cold → buddy\n",
]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ada=st.sampled_from(PERSON_EDITS), ben=st.sampled_from(["", *PERSON_EDITS]))
def test_person_edits_patch_to_what_a_full_build_makes(tmp_path_factory, make_vault, ada, ben):
    root = make_vault(tmp_path_factory.mktemp("v"), FILES)
    build_index(load_config(root)).vault()
    edit(root, "People/Ada Lovelace.md", ada)
    if ben:
        edit(root, "People/Ben Ortiz.md", ben)
    assert values(patched(root)) == values(full(root))


@pytest.mark.parametrize(
    "rel, text",
    [
        ("People/Cy Wu.md", "---\nname: Cy Wu\nstage: lukewarm\n---\n"),  # renamed
        ("People/Ben Ortiz.md", "---\nstage: [\n---\n"),  # front matter broken: not usable
        ("Daily/2026-11-03.md", "Coffee with [[Ben Ortiz]]\n"),  # not a person
        ("Notes/New.md", "---\nstage: cold\n---\n"),  # a note appeared
    ],
)
def test_anything_else_builds_the_vault_again(vault: Path, rel: str, text: str):
    (vault / rel).parent.mkdir(exist_ok=True)
    edit(vault, rel, text)
    idx = build_index(load_config(vault))
    assert idx._whole is None
    assert values(idx) == values(full(vault))


@pytest.mark.parametrize("how", [{"save": False}, {"lean": True}], ids=["unsaved", "lean"])
def test_a_run_that_cannot_patch_parses_an_edited_person_once(
    vault: Path, how: dict[str, bool], monkeypatch: pytest.MonkeyPatch
):
    from vaultlib.parse import NoteParser

    backdate(vault)  # nothing saved just before the scan: only the edited note is in doubt
    build_index(load_config(vault), rebuild=True).vault()
    ada = "People/Ada Lovelace.md"
    edit(vault, ada, FILES[ada] + "- 2026-11-19 coffee: new line\n")
    os.utime(vault / ada, (time.time() - 1800, time.time() - 1800))
    parsed: list[str] = []
    parse = NoteParser.parse
    monkeypatch.setattr(
        NoteParser, "parse", lambda self, p, d: parsed.append(p) or parse(self, p, d)
    )
    idx = build_index(load_config(vault), **how)
    assert parsed == [ada]
    assert idx._whole is None
    assert values(idx) == values(full(vault))


@pytest.mark.parametrize("how", [{"save": False}, {"lean": True}], ids=["unsaved", "lean"])
def test_a_run_that_cannot_patch_builds_again_for_an_edited_racy_person(
    vault: Path, how: dict[str, bool]
):
    """A person saved just before the last scan keeps its record in the manifest; edited
    since, it is re-parsed and differs. A run that may not patch (nothing saved, or a lean
    index) builds the vault again; one that saves nothing leaves the cache files alone."""
    ada = "People/Ada Lovelace.md"
    edit(vault, ada, FILES[ada] + "- 2026-11-18 call: just before\n")
    build_index(load_config(vault)).vault()  # Ada racy: the manifest keeps her record
    cache = vault / ".kith" / "cache"
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    edit(vault, ada, FILES[ada] + "- 2026-11-19 coffee: new line\n")
    idx = build_index(load_config(vault), **how)
    assert idx._whole is None
    assert values(idx) == values(full(vault))
    if not how.get("save", True):
        assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == before


def test_without_the_stored_snapshot_it_builds_again(vault: Path):
    (vault / ".kith/cache/snapshot.marshal").unlink()
    ada = "People/Ada Lovelace.md"
    edit(vault, ada, FILES[ada] + "- 2026-11-19 coffee: new line\n")
    idx = build_index(load_config(vault))
    assert idx._whole is None
    assert values(idx) == values(full(vault))


def test_log_then_report_again_and_again_patches_each_time(vault: Path, run_cli, monkeypatch):
    """The flow it is for: `kith log`, then `kith report`, over and over, each report run
    rewriting the reports and the notes with generated blocks (what kith writes there
    never sends the next run back to a full build)."""
    import vaultlib.index as index_mod

    taken: list[bool] = []
    patch = index_mod._patch

    def spy(*args):
        got = patch(*args)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(index_mod, "_patch", spy)
    # no note counts as saved just before a scan: only what the manifest keeps on purpose
    # (notes with generated blocks) is compared with it
    monkeypatch.setattr(index_mod, "RACY_NS", 0)
    assert run_cli(vault, "report").exit_code == 0
    for i, what in enumerate(["coffee: one", "call: two", "lunch: three"]):
        day = TODAY + timedelta(days=i + 1)  # a new day: every report is rewritten
        assert run_cli(vault, "log", "Ada Lovelace", what, today=day).exit_code == 0
        result = run_cli(vault, "report", today=day)
        assert result.exit_code == 0, result.output
        assert "0 files written" not in result.output
        assert taken[-1], f"run {i}: the stored snapshot was not patched"
    assert values(build_index(load_config(vault))) == values(full(vault))


def test_a_person_touched_or_saved_unchanged_counts_as_unchanged(vault: Path):
    """What `kith index` prints: a person note saved as it was is parsed, not modified."""
    backdate(vault)  # nothing saved just before the scan: the manifest keeps no record
    build_index(load_config(vault), rebuild=True).vault()
    ada = vault / "People/Ada Lovelace.md"
    ada.write_bytes(ada.read_bytes())
    os.utime(ada, (time.time() - 1800, time.time() - 1800))
    idx = patched(vault)
    assert idx.stats.modified == 0 and idx.stats.parsed >= 1
    assert values(idx) == values(full(vault))
