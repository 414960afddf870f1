"""Remembering what a command produced, so a run with the same inputs skips the work.

This module owns two memos under `.kith/cache/`. `reports.marshal`: what a
`kith report` run that wrote (or found current) every file and met no problem
depended on, and a hash of the bytes it left in each file. `list.marshal`: the text
`kith list --json` printed, and what it depended on. Both outputs are pure functions
of their inputs, so when the next run has the same inputs (the stored vault
snapshot's token, today, the options, the whole config, the scan's problems, kith's
code, Python, and for reports the shipped and the vault's own templates and Jinja)
and, for reports, every file still holds those bytes (read again, never through a
symlink), the caller says the same thing without loading the vault, querying or
rendering. Any doubt (a missing, corrupt or foreign memo, an unreadable file) is a
miss. It never writes anything but the memos, through `cache`, and never decides
what a report or list says.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from .cache import read_cache_file, write_cache_file
from .config import Config
from .model import Problem

REPORT_MEMO = "reports.marshal"
LIST_MEMO = "list.marshal"
LAYOUT = 1  # bumped with any change to the keys or bodies below

_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _read_regular(path: str) -> bytes | None:
    """The bytes of a regular file, never through a symlink at the last component."""
    try:
        fd = os.open(path, _NOFOLLOW | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _tree(base: str) -> tuple[tuple[str, int, bytes | None], ...] | None:
    """(relative path, mode, hash of the bytes) of everything under `base` (None: no
    folder there); a symlink or unreadable file counts by its mode alone."""
    try:
        mode = os.lstat(base).st_mode
    except FileNotFoundError:
        return None
    except OSError:
        return ((base, -1, None),)
    if not stat.S_ISDIR(mode):
        return ((base, mode, None),)
    found = []
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted([*files, *dirs]):
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                mode = -1
            data = _read_regular(path) if stat.S_ISREG(mode) else None
            found.append(
                (os.path.relpath(path, base), mode, None if data is None else _digest(data))
            )
    return tuple(found)


_CODE: list[bytes] = []


def code_digest() -> bytes:
    """A hash of kith's modules (`vaultlib/*.py`) and Python's version (once per process)."""
    if not _CODE:
        h = hashlib.blake2b(sys.version.encode(), digest_size=16)
        here = os.path.dirname(os.path.abspath(__file__))
        for name in sorted(os.listdir(here)):
            if name.endswith(".py"):
                h.update(name.encode() + b"\0")
                h.update(_read_regular(os.path.join(here, name)) or b"\0")
        _CODE.append(h.digest())
    return _CODE[0]


def file_digest(path: str) -> bytes | None:
    """A hash of one more file the output depends on (the command-line module)."""
    data = _read_regular(path)
    return None if data is None else _digest(data)


def _rendering() -> tuple[Any, ...]:
    """What rendering depends on besides the data: the shipped templates, and Jinja's and
    MarkupSafe's installed files by stat (`__version__` would cost ~15 ms)."""
    from importlib.util import find_spec

    from . import registry

    libs = []
    for name in ("jinja2", "markupsafe"):
        spec = find_spec(name)  # found, not imported: a memo hit never loads Jinja
        origin = (spec.origin if spec is not None else None) or ""
        st = os.stat(origin)
        libs.append((origin, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return (tuple(libs), _tree(str(registry.shipped_templates_dir())))


def key(
    config: Config,
    token: str,
    today: date,
    options: Sequence[Any],
    scan_problems: Iterable[Problem],
    *,
    extra: Any = None,
) -> tuple[Any, ...]:
    """Everything an output depends on but the files a report run checks: `token` is the
    stored snapshot's (`Index.snapshot_token()`), `options` the command's, `extra`
    whatever else the caller knows it depends on."""
    return (
        LAYOUT,
        token,
        today.toordinal(),
        tuple(options),
        repr(config),
        tuple((p.path, p.line, p.message, p.hint, p.severity) for p in scan_problems),
        code_digest(),
        extra,
    )


def report_key(
    config: Config, token: str, today: date, names: Sequence[str], scan_problems: Iterable[Problem]
) -> tuple[Any, ...]:
    """The key of a `kith report` run over the reports `names` (registry order)."""
    from .registry import VAULT_TEMPLATES

    templates = _tree(os.path.join(config.root, VAULT_TEMPLATES))
    return key(config, token, today, names, scan_problems, extra=(_rendering(), templates))


def _inside(root: str, rel: str) -> str | None:
    """The path of vault file `rel` when no folder on the way is a symlink, else None."""
    path = os.path.join(root, *rel.split("/"))
    if os.path.realpath(os.path.dirname(path)) != os.path.dirname(path):
        return None
    return path


def recall_report(config: Config, memo_key: tuple[Any, ...]) -> int | None:
    """The number of files the memo's run checked, when the memo has this key and every
    file still holds the bytes that run left in it; else None."""
    found = read_cache_file(config.state_dir, REPORT_MEMO, config.fingerprint())
    if found is None or found[0] != memo_key:
        return None
    files = found[1]
    if not isinstance(files, tuple):
        return None
    root = os.path.realpath(config.root)
    try:
        for rel, digest in files:
            path = _inside(root, rel)
            if path is None:
                return None
            data = _read_regular(path)
            if data is None or _digest(data) != digest:
                return None
    except (TypeError, ValueError):
        return None
    return len(files)


def remember_report(
    config: Config, memo_key: tuple[Any, ...], contents: Mapping[str, bytes]
) -> None:
    """Store the report memo: `contents` is every file the run checked, with the bytes it
    wrote there or found already there. A vault that cannot be written has no memo."""
    files = tuple((rel, _digest(data)) for rel, data in sorted(contents.items()))
    _write(config, REPORT_MEMO, memo_key, files)


def recall_output(config: Config, name: str, memo_key: tuple[Any, ...]) -> str | None:
    """The text memo `name` holds for this key, else None."""
    found = read_cache_file(config.state_dir, name, config.fingerprint())
    if found is None or found[0] != memo_key or not isinstance(found[1], str):
        return None
    return found[1]


def remember_output(config: Config, name: str, memo_key: tuple[Any, ...], text: str) -> None:
    _write(config, name, memo_key, text)


def _write(config: Config, name: str, memo_key: tuple[Any, ...], body: Any) -> None:
    try:
        write_cache_file(config.state_dir, name, config.fingerprint(), memo_key, body)
    except (OSError, ValueError):
        pass
