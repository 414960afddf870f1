"""Regenerate tests/golden/ from example-vault: `python -m tests.regen_golden` (or `make golden`).

The golden files are what `kith --today 2026-11-20 report` writes into a copy of
example-vault/: every file under its reports folder plus every note holding
generated blocks (Home.md), at the same vault-relative paths. tests/test_golden.py
compares a fresh run against them byte for byte. Review the diff before committing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from vaultlib.blocks import find_blocks
from vaultlib.textutil import split_lines

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = REPO / "example-vault"
GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = date(2026, 11, 20)
REPORTS_FOLDER = "Reports"  # example-vault's kith.toml
SKIP_DIRS = {".kith", ".obsidian", ".git", ".trash"}


def copy_example_vault(dest: Path) -> Path:
    """A copy of example-vault/ as a user would start it: without kith's cache, without the
    committed reports and with its generated blocks emptied, so a report run must produce
    every golden byte itself. Returns the copy's root."""
    shutil.copytree(EXAMPLE_VAULT, dest, ignore=shutil.ignore_patterns(".kith", REPORTS_FOLDER))
    for note in dest.rglob("*.md"):
        data = note.read_bytes()
        if b"<!-- kith:" in data:
            note.write_bytes(empty_blocks(data.decode("utf-8")).encode("utf-8"))
    return dest


def empty_blocks(text: str) -> str:
    """The note with every generated block emptied (markers kept), using kith's own
    marker reader."""
    blocks, _ = find_blocks(text, "")
    lines = split_lines(text)
    inner = {n for b in blocks for n in range(b.begin_line + 1, b.end_line)}
    return "".join(line for n, line in enumerate(lines, 1) if n not in inner)


def golden_paths(root: Path) -> list[str]:
    """The files a report run owns in the vault at `root`: the reports and block notes."""
    out = []
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        if set(rel.split("/")[:-1]) & SKIP_DIRS:
            continue
        if rel.startswith(REPORTS_FOLDER + "/") or b"<!-- kith:" in path.read_bytes():
            out.append(rel)
    return out


def run_report(root: Path) -> int:
    """`kith --vault ROOT --today 2026-11-20 report`, in process; returns the exit code."""
    from cli import main

    try:
        main(["--vault", str(root), "--today", TODAY.isoformat(), "report"], standalone_mode=False)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def main() -> int:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_example_vault(Path(tmp) / "vault")
        code = run_report(root)
        if code != 0:
            print(
                f"regen_golden: kith report exited {code}; golden files left as they were",
                file=sys.stderr,
            )
            return code
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        for rel in golden_paths(root):
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((root / rel).read_bytes())
            (EXAMPLE_VAULT / rel).parent.mkdir(parents=True, exist_ok=True)
            (EXAMPLE_VAULT / rel).write_bytes((root / rel).read_bytes())  # keep the example current
            print(f"golden: {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
