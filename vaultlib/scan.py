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
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, overload

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


def classify(config: Config, rel: str, st: os.stat_result) -> Entry | Problem | None:
    """What a walked file is: a note (Entry), a worded skip (Problem) or a silent skip (None).

    `rel` is a vault-relative path whose folders were already accepted (`folder_ok`)."""
    name = rel.rsplit("/", 1)[-1]
    if not name.endswith(".md") or name.startswith(".") or is_ignored_name(name):
        return None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return Problem(rel, None, "is a symbolic link; kith does not follow links",
                       "move the note itself into the vault", WARNING)  # fmt: skip
    if not stat.S_ISREG(mode):
        return None
    # Folders were already checked on the way down; only file globs can still exclude it.
    if config.ignore and is_excluded(config, rel):
        return None
    original = conflict_original(name) if "onflict" in name else None
    if original is not None:
        rel_dir = rel.rsplit("/", 1)[0] if "/" in rel else ""
        orig_rel = f"{rel_dir}/{original}" if rel_dir else original
        return Problem(rel, None, f"sync conflict copy of {orig_rel}; not indexed",
                       "merge it into the original by hand, then delete it", WARNING)  # fmt: skip
    if sys.platform == "darwin" and st.st_size > 0 and getattr(st, "st_blocks", 1) == 0:
        return Problem(rel, None, "not downloaded from the cloud; skipped",
                       "make the vault available offline", WARNING)  # fmt: skip
    return Entry(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def folder_ok(config: Config, rel_dir: str) -> bool:
    """True when kith walks into this vault-relative folder (and all its parents)."""
    if not rel_dir:
        return True
    parts = rel_dir.split("/")
    if any(p.startswith(".") or not p for p in parts):
        return False
    return not any(is_excluded(config, "/".join(parts[: i + 1])) for i in range(len(parts)))


def stat_note(config: Config, rel: str) -> Entry | Problem | None:
    """Classify one path by itself (the watcher's path): None when missing or skipped."""
    rel_dir = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if not folder_ok(config, rel_dir):
        return None
    try:
        st = os.lstat(os.path.join(config.root, rel))
    except OSError:
        return None
    if "/" in rel:  # a symlinked folder on the way is not followed
        cur = str(config.root)
        for part in rel_dir.split("/"):
            cur = os.path.join(cur, part)
            try:
                if stat.S_ISLNK(os.lstat(cur).st_mode):
                    return None
            except OSError:
                return None
    return classify(config, rel, st)


def _folder_link(config: Config, rel: str, name: str) -> list[Problem]:
    """A symlink to a folder is reported (once per scan) and never walked into; links to
    other files (attachments) are none of kith's business."""
    if name.startswith(".") or is_ignored_name(name) or is_excluded(config, rel):
        return []
    try:
        is_dir = stat.S_ISDIR(os.stat(os.path.join(config.root, rel)).st_mode)
    except (OSError, ValueError):  # dangling, a loop, or unreadable: not a folder kith could use
        return []
    if not is_dir:
        return []
    return [Problem(rel, None, "is a symbolic link to a folder; kith does not follow links",
                    "move the folder itself into the vault, or add it to ignore in kith.toml",
                    WARNING)]  # fmt: skip


StatKey = tuple[int, int, int]  # (size, mtime_ns, ctime_ns): what the cache compares

_S_IFMT = 0o170000
_S_IFREG = 0o100000
_DARWIN = sys.platform == "darwin"


_UNREADABLE = "folder cannot be read"

# A name ending in `.md`, whose first character is none of these and that does not hold
# "onflict", is a plain note name: no ignore rule and no conflict pattern can match it (tests
# check this against `is_ignored_name`); the scan decides such names inline, the rest go
# through `classify`.
NOT_PLAIN_FIRST = ".#~"


@overload
def scan_keys(config: Config) -> tuple[dict[str, StatKey], list[Problem]]: ...
@overload
def scan_keys(config: Config, *, stat_notes: bool) -> tuple[dict[str, StatKey | None], list[Problem]]: ...  # fmt: skip


def scan_keys(config: Config, *, stat_notes: bool = True) -> tuple[dict[str, Any], list[Problem]]:
    """Every note's vault-relative path and stat key, and the problems seen while walking.

    This is the one walk every command starts with, so the common case (a plain `.md`
    file) is decided inline without building an Entry; anything else goes through
    `classify`, the one definition of what is a note. With `stat_notes=False`, a plain
    note that the directory listing says is a regular file gets None for a key (no system
    call): for a caller that opens every note anyway and takes the key from the open file."""
    keys: dict[str, StatKey | None] = {}
    problems = walk_keys(config, keys.__setitem__, stat_notes=stat_notes)
    return keys, problems


def _listing_key(de: os.DirEntry[str]) -> str:
    """Where an entry sorts in its folder for the walk to list paths in sorted order: a
    folder's paths all start with its name and a "/", so it sorts as that."""
    try:
        return de.name + "/" if de.is_dir(follow_symlinks=False) else de.name
    except OSError:
        return de.name


def walk_keys(
    config: Config,
    put: Callable[[str, Any], object],
    *,
    stat_notes: bool = True,
    ordered: bool = False,
) -> list[Problem]:
    """`scan_keys`, handing each (path, key) to `put` as it is found instead of keeping
    them (the watcher's rescan compares them with what it holds, and keeps only changes).
    `ordered`: in sorted order of the paths (as `sorted` orders them), for a caller that
    hands them on as they come (a cold index: see index._Feeder); else in any order."""
    root = str(config.root)
    problems: list[Problem] = []
    plain = not config.ignore and not _DARWIN  # no file globs, no cloud placeholders

    def listing(rel_dir: str) -> Iterator[os.DirEntry[str]] | None:
        """A folder's entries: as the system lists them (read as they are used, so that
        a folder of 10k notes is never held whole: ~12 MB more for a watcher's rescan, by
        tracemalloc in a one-off script),
        or sorted (see `_listing_key`)."""
        try:
            it = os.scandir(os.path.join(root, rel_dir) if rel_dir else root)
        except OSError as e:
            problems.append(Problem(rel_dir or ".", None, f"{_UNREADABLE} ({e.strerror})",
                                    "check its permissions", WARNING))  # fmt: skip
            return None
        if not ordered:
            return it
        with it:
            return iter(sorted(it, key=_listing_key))

    # (a folder's prefix, and its entries not yet seen). Ordered, a folder's entries come
    # before those after it in the folder holding it; else folders are walked one at a
    # time, each after the one that named it.
    stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = []
    later: list[str] = []  # folders found, not walked yet (unordered)
    top = listing("")
    if top is not None:
        stack.append(("", top))
    try:
        while stack:
            prefix, entries = stack[-1]
            for de in entries:
                name = de.name
                if (
                    not stat_notes
                    and plain
                    and name.endswith(".md")
                    and name[0] not in NOT_PLAIN_FIRST
                    and "onflict" not in name
                ):
                    try:
                        regular = de.is_file(follow_symlinks=False)  # the listing's file type
                    except OSError:
                        regular = False
                    if regular:
                        put(prefix + name, None)
                        continue
                try:
                    st = de.stat(follow_symlinks=False)
                except OSError:
                    continue  # vanished between listing and stat
                mode = st.st_mode
                if (
                    plain
                    and mode & _S_IFMT == _S_IFREG
                    and name.endswith(".md")
                    and name[0] not in NOT_PLAIN_FIRST
                    and "onflict" not in name
                ):
                    put(prefix + name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns))
                    continue
                rel = prefix + name
                if stat.S_ISDIR(mode):
                    if not name.startswith(".") and not is_excluded(config, rel):
                        if not ordered:
                            later.append(rel)
                            continue
                        inner = listing(rel)
                        if inner is not None:
                            stack.append((rel + "/", inner))
                            break  # this folder first, then the rest of the one holding it
                    continue
                if stat.S_ISLNK(mode) and not name.endswith(".md"):
                    problems.extend(_folder_link(config, rel, name))
                    continue
                found = classify(config, rel, st)
                if isinstance(found, Entry):
                    put(rel, found.key)
                elif found is not None:
                    problems.append(found)
            else:
                stack.pop()
                while later and not stack:
                    rel = later.pop()
                    inner = listing(rel)
                    if inner is not None:
                        stack.append((rel + "/", inner))
    finally:  # a walk stopped part way (an interruption) leaves no folder open
        for _, entries in stack:
            close = getattr(entries, "close", None)  # (a listing read as it is used)
            if close is not None:
                close()
    return problems


Put = Callable[[str, Any], object]


@dataclass
class KeyChanges:
    """What `walk_changes` found: the paths new or with another stat key (path, key), in
    walk order; the paths held that were not found; the walk's problems; and whether every
    folder could be read (when one could not, its paths look gone but may not be)."""

    changed: list[tuple[str, StatKey]]
    gone: list[str]
    problems: list[Problem]
    complete: bool


def walk_changes(config: Config, known: Mapping[str, StatKey], held: Collection[str],
                 more: Callable[[Put], object] | None = None) -> KeyChanges:  # fmt: skip
    """One walk of the vault compared with `known` as it goes (`more` hands over files
    besides the notes, as walk_keys does): only differences are kept, never a second
    listing, for callers that do this often (the watcher's rescan every minute, `--poll`).
    `held` are the paths the caller holds: when one was not seen, the vault is walked again
    to name those gone (rare: a note deleted or a folder moved away unannounced)."""
    changed: list[tuple[str, StatKey]] = []
    seen = 0

    def put(rel: str, key: StatKey | None) -> None:
        nonlocal seen
        if key is None:
            return
        if rel in held:
            seen += 1
        if known.get(rel) != key:
            changed.append((rel, key))

    problems = walk_keys(config, put)
    if more is not None:
        more(put)
    gone: list[str] = []
    if seen != len(held):
        present: set[str] = set()

        def note(rel: str, key: StatKey | None) -> None:
            if key is not None:
                present.add(rel)

        walk_keys(config, note)
        if more is not None:
            more(note)
        gone = [p for p in held if p not in present]
        changed = [c for c in changed if c[0] in present]  # appeared and gone again
    complete = not any(p.message.startswith(_UNREADABLE) for p in problems)
    return KeyChanges(changed, gone, problems, complete)
