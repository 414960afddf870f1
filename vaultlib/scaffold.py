"""`kith init`: a commented kith.toml and .gitignore entries for kith's state.

This module owns what a fresh vault gets. It never overwrites: an existing
kith.toml is left alone, and .gitignore only gains the lines it lacks. All
writes go through the atomic writer.
"""

from __future__ import annotations

from pathlib import Path

from .config import CONFIG_NAME, INIT_TOML
from .write import Writer, WriteResult

GITIGNORE_LINES = (".kith/cache/", ".kith/lock")


def init_vault(root: Path) -> list[WriteResult]:
    root.mkdir(parents=True, exist_ok=True)
    writer = Writer(root)
    results = []
    if writer.read(CONFIG_NAME) is None:
        results.append(writer.write(CONFIG_NAME, INIT_TOML.encode(), expected=None))
    current = writer.read(".gitignore")
    text = current.decode("utf-8", "replace") if current is not None else ""
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in have]
    if missing:
        eol = "\r\n" if "\r\n" in text else "\n"
        prefix = "" if not text or text.endswith(("\n", "\r")) else eol
        addition = prefix + (
            "# kith's private state (safe to delete)" + eol if "# kith" not in text else ""
        )
        addition += eol.join(missing) + eol
        results.append(
            writer.write(".gitignore", (current or b"") + addition.encode(), expected=current)
        )
    return results
