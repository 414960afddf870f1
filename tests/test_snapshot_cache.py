"""The stored snapshot must decode to exactly the vault it was built from."""

from __future__ import annotations

import marshal
import shutil
from pathlib import Path

import pytest

from benchmarks import genvault
from vaultlib import snapshot_cache
from vaultlib.config import load_config
from vaultlib.index import build_index
from vaultlib.model import WARNING, Problem

EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"


def roundtrip(root: Path) -> None:
    config = load_config(root)
    idx = build_index(config, save=False)
    v = idx.vault()
    run = idx.scan_problems
    data = marshal.loads(marshal.dumps(snapshot_cache.encode(v, run)))
    back = snapshot_cache.decode(data, config, run)
    assert back == v
    # Field by field too: a Vault's equality would hide a type change (tuple vs list).
    assert back is not None
    for a, b in zip(back.contacts, v.contacts, strict=True):
        assert repr(a) == repr(b)
    assert repr(back.goals) == repr(v.goals)
    assert repr(back.dated_notes) == repr(v.dated_notes)
    assert repr(back.problems) == repr(v.problems)


def test_example_vault_roundtrips(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "v")
    roundtrip(tmp_path / "v")


def test_generated_vault_roundtrips(tmp_path: Path):
    """The generator makes every field kith reads, CRLF and BOM notes, broken notes,
    ambiguous links and sync conflicts (scan problems)."""
    genvault.generate(tmp_path / "v", 60, 400, seed=3)
    (tmp_path / "v" / "People" / "Ada (conflicted copy).md").write_text("---\nstage: cold\n---\n")
    roundtrip(tmp_path / "v")


def test_run_problems_are_not_stored_but_merged_back(tmp_path: Path, make_vault):
    make_vault(tmp_path, {"People/Ada.md": "---\nstage: nope\n---\n"})
    config = load_config(tmp_path)
    idx = build_index(config, save=False)
    v = idx.vault()
    scan = [Problem("x.md", None, "a scan problem", "", WARNING)]
    data = snapshot_cache.encode(v, scan)
    assert [p[0] for p in data[4]] == ["People/Ada.md"]
    back = snapshot_cache.decode(data, config, scan)
    assert back is not None
    assert [p.path for p in back.problems] == ["People/Ada.md", "x.md"]


@pytest.mark.parametrize("data", [None, (), (99, [], [], [], [], [], []), ("x",) * 7])
def test_foreign_data_decodes_to_none(tmp_path: Path, data: object):
    assert snapshot_cache.decode(data, load_config(tmp_path), []) is None
