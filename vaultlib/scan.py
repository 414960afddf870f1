"""Walk the vault and list the notes kith reads, with the stat facts the cache needs.

This module owns which files are notes: Markdown files under the vault root,
minus what kith must skip without a word (`.obsidian/`, `.git/`, `.trash/`, any
dot-folder, kith's state folder, the reports folder, the templates folder, the
user's ignore globs, editor and sync leftovers) and minus what it skips with a
word (symlinks, which it never follows; sync conflict copies). It only stats;
it never opens a file and never writes.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache

from .config import Config
from .model import WARNING, Problem
from .paths import conflict_original, is_ignored_name


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # vault-relative, '/' separated
    size: int
    mtime_ns: int
    ctime_ns: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.size, self.mtime_ns, self.ctime_ns)


@lru_cache(maxsize=64)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a vault glob (`*`, `?`, `**`) into a regex over '/'-separated paths."""
    pat = pattern.strip().strip("/")
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    # A folder pattern also matches everything inside it.
    return re.compile("(?:" + "".join(out) + ")(?:/.*)?$")


def is_excluded(config: Config, rel: str) -> bool:
    """True for paths kith never reads as notes (reports, templates, ignore globs)."""
    for folder in (config.reports_folder, config.templates_folder):
        if folder and (rel == folder or rel.startswith(folder + "/")):
            return True
    return any(glob_regex(p).match(rel) for p in config.ignore)


def scan_vault(config: Config) -> tuple[list[Entry], list[Problem]]:
    """All notes of the vault, sorted by path, and the problems seen while walking."""
    root = str(config.root)
    entries: list[Entry] = []
    problems: list[Problem] = []
    darwin = sys.platform == "darwin"
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            it = os.scandir(os.path.join(root, rel_dir) if rel_dir else root)
        except OSError as e:
            problems.append(Problem(rel_dir or ".", None, f"folder cannot be read ({e.strerror})",
                                    "check its permissions", WARNING))
            continue
        with it:
            for de in it:
                name = de.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                try:
                    st = de.stat(follow_symlinks=False)
                except OSError:
                    continue  # vanished between listing and stat
                mode = st.st_mode
                if stat.S_ISDIR(mode):
                    if name.startswith(".") or is_excluded(config, rel):
                        continue
                    stack.append(rel)
                    continue
                if not name.endswith(".md") or name.startswith(".") or is_ignored_name(name):
                    continue
                if stat.S_ISLNK(mode):
                    problems.append(Problem(rel, None, "is a symbolic link; kith does not follow links",
                                            "move the note itself into the vault", WARNING))
                    continue
                if not stat.S_ISREG(mode) or is_excluded(config, rel):
                    continue
                original = conflict_original(name)
                if original is not None:
                    orig_rel = f"{rel_dir}/{original}" if rel_dir else original
                    problems.append(Problem(rel, None, f"sync conflict copy of {orig_rel}; not indexed",
                                            "merge it into the original by hand, then delete it", WARNING))
                    continue
                if darwin and st.st_size > 0 and getattr(st, "st_blocks", 1) == 0:
                    problems.append(Problem(rel, None, "not downloaded from the cloud; skipped",
                                            "make the vault available offline", WARNING))
                    continue
                entries.append(Entry(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    entries.sort(key=lambda e: e.path)
    return entries, problems
