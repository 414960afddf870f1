"""Golden reports: `kith --today 2026-11-20 report` on a copy of example-vault equals tests/golden/.

Regenerate with `python -m tests.regen_golden` (`make golden`) and review the diff.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TODAY, run_cli

_spec = importlib.util.spec_from_file_location(
    "regen_golden", Path(__file__).with_name("regen_golden.py")
)
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

GOLDEN: Path = regen.GOLDEN
HINT = "if the change is intended, run `python -m tests.regen_golden` and review the diff"


def golden_files() -> dict[str, bytes]:
    return {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes()
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }


def snapshot(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in regen.golden_paths(root)}


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of example-vault after one `kith report`, and that run's stdout."""
    root = regen.copy_example_vault(tmp_path_factory.mktemp("golden") / "vault")
    result = run_cli(root, "report", today=TODAY)
    assert result.exit_code == 0, result.stderr
    return root, result.stdout


def test_golden_files_exist() -> None:
    files = golden_files()
    assert "Home.md" in files
    assert {
        f"Reports/{n}.md"
        for n in ("Overdue", "Funnel", "Upcoming", "Reconnect", "Reciprocity", "Goals", "Dashboard")
    } <= set(files)


def test_report_equals_golden_byte_for_byte(reported: tuple[Path, str]) -> None:
    root, stdout = reported
    got, want = snapshot(root), golden_files()
    assert sorted(got) == sorted(want), HINT
    for rel in want:
        assert got[rel] == want[rel], f"{rel} differs from tests/golden/{rel}; {HINT}"
    assert sorted(line.split(": ", 1)[1] for line in stdout.splitlines()) == sorted(want)


def test_second_run_writes_nothing(reported: tuple[Path, str]) -> None:
    root, _ = reported
    before = {rel: os.stat(root / rel).st_mtime_ns for rel in regen.golden_paths(root)}
    result = run_cli(root, "report", today=TODAY)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert {rel: os.stat(root / rel).st_mtime_ns for rel in regen.golden_paths(root)} == before
    check = run_cli(root, "report", "--check", today=TODAY)
    assert check.exit_code == 0 and check.stdout == ""


def test_same_bytes_under_different_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        root = regen.copy_example_vault(tmp_path / f"seed-{seed}")
        env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": "C" if seed == "1" else "C.UTF-8"}
        env.pop("KITH_VAULT", None)
        proc = subprocess.run(
            [sys.executable, "-c", "from cli import main; main()", "--vault", str(root),
             "--today", TODAY.isoformat(), "report"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outputs.append(snapshot(root))
    assert outputs[0] == outputs[1]
    assert outputs[0] == golden_files()


def test_committed_example_vault_reports_are_current() -> None:
    """The README's main command on example-vault changes nothing: its committed reports
    and Home.md blocks are the golden bytes."""
    want = golden_files()
    for rel, data in want.items():
        assert (regen.EXAMPLE_VAULT / rel).read_bytes() == data, (
            f"example-vault/{rel} is stale; {HINT}"
        )


def test_report_read_by_parse_workers_equals_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large vault's first index parses on worker processes that start while the scan
    goes on, and builds the vault as their chunks come in: the same reports, byte for byte."""
    from vaultlib import index

    monkeypatch.setattr(index, "PARALLEL_MIN", 2)  # workers from two notes on
    monkeypatch.setattr(index, "CHUNK", 3)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # (on a machine of one core too)
    started = []
    start = index._Pool._start
    monkeypatch.setattr(index._Pool, "_start", lambda pool: started.append(start(pool)))
    streamed = []  # chunks the vault was built from as they came in
    take = index._Cold.take
    monkeypatch.setattr(index._Cold, "take", lambda c, *a: streamed.append(take(c, *a)))
    root = regen.copy_example_vault(tmp_path / "vault")
    result = run_cli(root, "report", today=TODAY)
    assert result.exit_code == 0, result.stderr
    assert len(started) >= 2
    assert len(streamed) >= 2
    assert snapshot(root) == golden_files()
