"""Tests for the benchmark vault generator (benchmarks/genvault.py): fast, small vaults."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is not installed; it lives beside the package
    sys.path.insert(0, str(ROOT))

from benchmarks import genvault  # noqa: E402

CONTACTS, NOTES = 120, 400


def read_tree(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[genvault.Summary, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("gen") / "vault"
    summary = genvault.generate(root, CONTACTS, NOTES, seed=7)
    return summary, read_tree(root)


def test_same_seed_gives_identical_bytes(
    tmp_path: Path, vault: tuple[genvault.Summary, dict[str, bytes]]
) -> None:
    _, first = vault
    genvault.generate(tmp_path / "again", CONTACTS, NOTES, seed=7)
    second = read_tree(tmp_path / "again")
    assert sorted(first) == sorted(second)
    assert [p for p in first if first[p] != second[p]] == []


def test_different_seed_differs(
    tmp_path: Path, vault: tuple[genvault.Summary, dict[str, bytes]]
) -> None:
    _, first = vault
    genvault.generate(tmp_path / "other", CONTACTS, NOTES, seed=8)
    other = read_tree(tmp_path / "other")
    people = sorted(p for p in first if p.startswith("People/"))
    assert people != sorted(p for p in other if p.startswith("People/"))
    daily = "Daily/2026-11-20.md"
    assert first[daily] != other[daily]


def test_counts_match_the_request(vault: tuple[genvault.Summary, dict[str, bytes]]) -> None:
    summary, files = vault
    notes = [p for p in files if p.endswith(".md") and not p.startswith(".")]
    people = [p for p in notes if p.startswith("People/")]
    assert len(people) == CONTACTS
    assert len(notes) - len(people) == NOTES
    assert summary.files == len(files)
    assert summary.bytes == sum(len(b) for b in files.values())
    assert any(p.startswith("Daily/") for p in notes)
    assert any(p.startswith("Meetings/") for p in notes)
    assert any(p.startswith("Notes/") for p in notes)
    # nested People folders, a few levels deep
    assert max(p.count("/") for p in people) >= 4


def test_daily_notes_follow_daily_notes_json(
    vault: tuple[genvault.Summary, dict[str, bytes]],
) -> None:
    _, files = vault
    settings = json.loads(files[".obsidian/daily-notes.json"])
    assert settings == {"folder": "Daily", "format": "YYYY-MM-DD"}
    daily = sorted(p for p in files if p.startswith("Daily/"))
    assert daily[-1] == "Daily/2026-11-20.md"  # ends on the fixed date
    assert all(len(p) == len("Daily/2026-11-20.md") for p in daily)
    for rel in (".obsidian/templates.json", ".obsidian/app.json", ".obsidian/types.json"):
        assert isinstance(json.loads(files[rel]), dict)
    assert tomllib.loads(files["kith.toml"].decode())["rings"] == list(genvault.RINGS)


def test_odd_files_are_present(vault: tuple[genvault.Summary, dict[str, bytes]]) -> None:
    summary, files = vault
    people = {p: b for p, b in files.items() if p.startswith("People/")}
    assert any(b"\r\n" in b for b in people.values())
    assert any(b.startswith(genvault.BOM) for b in people.values())
    assert any(not b.endswith(b"\n") for b in people.values())
    assert set(summary.broken.values()) == set(genvault.BROKEN_KINDS)
    for rel in summary.crlf:
        assert b"\r\n" in files[rel] and b"\n" not in files[rel].replace(b"\r\n", b"")
    for rel in summary.bom:
        assert files[rel].startswith(genvault.BOM)


def test_duplicate_basenames_are_deliberate(
    vault: tuple[genvault.Summary, dict[str, bytes]],
) -> None:
    summary, files = vault
    seen: dict[str, list[str]] = {}
    for p in files:
        if p.endswith(".md"):
            seen.setdefault(Path(p).stem.casefold(), []).append(p)
    dups = sorted(k for k, v in seen.items() if len(v) > 1)
    assert dups == sorted(b.casefold() for b in summary.duplicate_basenames)
    assert dups, "expected at least one deliberately duplicated basename"


def _front_matter(data: bytes) -> str | None:
    text = data.decode("utf-8-sig").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    return text[4:end] if end >= 0 else None


def test_person_notes_start_with_front_matter(
    vault: tuple[genvault.Summary, dict[str, bytes]],
) -> None:
    summary, files = vault
    broken_seen = {kind: 0 for kind in genvault.BROKEN_KINDS}
    for rel, data in files.items():
        if not rel.startswith("People/"):
            continue
        body = data[3:] if data.startswith(genvault.BOM) else data
        assert body.startswith(b"---\r\n" if rel in summary.crlf else b"---\n"), rel
        fm = _front_matter(data)
        kind = summary.broken.get(rel)
        if kind == "unclosed-front-matter":
            broken_seen[kind] += 1
            assert fm is None, rel
            continue
        assert fm is not None, rel
        if kind == "invalid-yaml":
            broken_seen[kind] += 1
            with pytest.raises(yaml.YAMLError):
                yaml.safe_load(fm)
            continue
        props = yaml.safe_load(fm)
        assert isinstance(props, dict), rel
        if kind == "unknown-stage":
            broken_seen[kind] += 1
            assert str(props["stage"]).casefold() not in genvault.RINGS
        elif kind == "bad-birthday":
            broken_seen[kind] += 1
            assert props["birthday"] == "next tues"
        elif "stage" in props:
            assert props["stage"].casefold() in genvault.RINGS, rel
    assert all(broken_seen.values()), broken_seen


def test_refuses_a_non_empty_target(tmp_path: Path) -> None:
    (tmp_path / "note.md").write_text("mine\n")
    with pytest.raises(genvault.TargetNotEmpty):
        genvault.generate(tmp_path, 5, 5, seed=1)
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]


def test_cli_writes_a_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v"
    assert genvault.main(["--contacts", "30", "--notes", "40", "--seed", "3", str(out)]) == 0
    err = capsys.readouterr().err
    assert "files" in err and "MB" in err
    assert genvault.main(["--contacts", "30", "--notes", "40", str(out)]) == 2  # now not empty
