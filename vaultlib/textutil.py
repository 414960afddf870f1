"""Byte- and line-level helpers shared by the parser, the writer and the editor.

This module owns the rules for lines as editors count them: only `\\r\\n`, `\\r`
and `\\n` end a line (never U+2028 or form feeds, which `str.splitlines` would
split on), a UTF-8 BOM is remembered but not part of the text, and the file's
own line ending is detected so inserted lines can use it. It never touches
the disk.
"""

from __future__ import annotations

import re

BOM = "\ufeff"
BOM_BYTES = b"\xef\xbb\xbf"

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_EOL_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split into lines, each keeping its own ending; ''.join(result) == text."""
    if not text:
        return []
    return _LINE_RE.findall(text)


def strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def line_ending(line: str) -> str:
    """The ending of one line from split_lines ('' for a last line without one)."""
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\n"):
        return "\n"
    if line.endswith("\r"):
        return "\r"
    return ""


def detect_eol(text: str) -> str:
    """The file's dominant line ending (first one seen); '\\n' when there is none."""
    m = _EOL_RE.search(text)
    return m.group(0) if m else "\n"


def decode_note(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8 note bytes; returns (text without BOM, had_bom).

    Raises UnicodeDecodeError for invalid UTF-8 (the caller turns it into a Problem).
    """
    if data.startswith(BOM_BYTES):
        return data[3:].decode("utf-8"), True
    return data.decode("utf-8"), False


def encode_note(text: str, bom: bool) -> bytes:
    data = text.encode("utf-8")
    return BOM_BYTES + data if bom else data
