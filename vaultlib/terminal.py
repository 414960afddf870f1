"""Terminal presentation: rich tables on a TTY, plain aligned text otherwise.

This module owns how rows look in a terminal. It receives already-computed
rows (strings) and a stream; it never computes anything about contacts and
never touches the vault. `NO_COLOR` and non-TTY output give plain text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO


def use_rich(stream: IO[str]) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], stream: IO[str] | None = None,
                title: str | None = None) -> None:  # fmt: skip
    stream = stream or sys.stdout
    if use_rich(stream):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False, header_style="bold")
        for h in headers:
            table.add_column(h, overflow="fold")
        for r in rows:
            table.add_row(*r)
        Console(file=stream, no_color=bool(os.environ.get("NO_COLOR"))).print(table)
        return
    if title:
        stream.write(title + "\n")
    widths = [len(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    stream.write(line + "\n")
    for r in rows:
        stream.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() + "\n")


def print_lines(lines: Sequence[str], stream: IO[str] | None = None) -> None:
    stream = stream or sys.stdout
    for line in lines:
        stream.write(line + "\n")
