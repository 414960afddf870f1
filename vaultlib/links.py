"""Link resolution as Obsidian does it.

This module owns turning a link target written in a note (`[[Ada Lovelace]]`,
`[[People/Ada Lovelace]]`, `[[Ada Lovelace.md]]`, `[x](../People/Ada%20Lovelace.md)`)
into a vault path: exact vault path first, then a unique path suffix or basename,
case-insensitively. Aliases are never link targets (a bare `[[Alias]]` does not
resolve in Obsidian either). An ambiguous name resolves to nothing and reports
its candidates. It never reads files; it works from the list of note paths.
"""

from __future__ import annotations

import posixpath
import unicodedata
from bisect import insort
from collections import Counter
from collections.abc import Iterable


def fold_path(path: str) -> str:
    """Case- and normal-form-insensitive key: a file synced from macOS may be named in
    NFD while the link to it was typed in NFC (as on macOS, both are the same name)."""
    if path.isascii():  # the common case, and much cheaper
        return path.casefold()
    return unicodedata.normalize("NFC", path).casefold()


def depends_on_source(target: str) -> bool:
    """Whether a target resolves relative to the linking note (a relative Markdown link);
    any other target means the same note from everywhere in the vault."""
    return "." in target and target.strip().replace("\\", "/").startswith(("./", "../"))


# A note's folded basename is looked up by a number made from it rather than by itself:
# an int below 2**60 takes 32 bytes, the name ~80 (100k notes: ~5 MB less for the watcher).
# Two names may give one number: a lookup keeps only the paths whose own name is the one
# looked up, so a clash costs time, never a wrong answer.
_KEY_MASK = (1 << 60) - 1


def _key(name: str) -> int:
    return hash(name) & _KEY_MASK


class Resolver:
    """The note paths by `_key` of their basename (folded): `one` for a key only one path
    holds (most), `many` for one held by several (in path order), most often because they
    have the same basename.

    `add` and `remove` keep it equal to a resolver built afresh from the new list of
    paths, so the watcher need not rebuild it for every note created or deleted."""

    def __init__(self, paths: Iterable[str]):  # distinct paths
        paths = list(paths)
        mask = _KEY_MASK  # `_key` inline: 100k+ calls
        keys = [hash(fold_path(p[:-3] if p.endswith(".md") else p).rpartition("/")[2]) & mask
                for p in paths]  # fmt: skip
        self.one: dict[int, str] = dict(zip(keys, paths, strict=True))
        self.many: dict[int, list[str]] = {}
        if len(self.one) < len(paths):  # some keys are shared
            for key, p in zip(keys, paths, strict=True):
                if self.one.get(key, p) is not p:  # not the last path of that key
                    self.many.setdefault(key, []).append(p)
            for key, held in self.many.items():
                held.append(self.one.pop(key))
                held.sort()
        self._shared: frozenset[str] | None = None  # `shared`, until `many` changes

    def __contains__(self, path: str) -> bool:
        key = _key(path_name(path))
        return self.one.get(key) == path or path in self.many.get(key, ())

    def holding(self, name: str) -> list[str]:
        """The paths whose folded basename is `name`, in order."""
        key = _key(name)
        hit = self.one.get(key)
        if hit is not None:
            return [hit] if path_name(hit) == name else []
        return [p for p in self.many.get(key, ()) if path_name(p) == name]

    @property
    def shared(self) -> frozenset[str]:
        """The basenames held by 2+ paths."""
        if self._shared is None:
            names: set[str] = set()
            for held in self.many.values():  # a few, each most often of one basename
                names.update(n for n, count in Counter(map(path_name, held)).items() if count > 1)
            self._shared = frozenset(names)
        return self._shared

    def add(self, path: str) -> None:
        """A path not yet known."""
        key = _key(path_name(path))
        if key in self.many:
            insort(self.many[key], path)
        elif key in self.one:
            self.many[key] = sorted([self.one.pop(key), path])
        else:
            self.one[key] = path
            return
        self._shared = None

    def remove(self, path: str) -> None:
        """A known path."""
        key = _key(path_name(path))
        if key in self.one:
            del self.one[key]
            return
        held = self.many[key]
        held.remove(path)
        if len(held) == 1:
            self.one[key] = held[0]
            del self.many[key]
        self._shared = None

    def resolve(self, target: str, source: str = "") -> tuple[str | None, tuple[str, ...]]:
        """(path, ()) when resolved, (None, candidates) when ambiguous, (None, ()) when missing."""
        t = target.strip().replace("\\", "/")
        if not t:
            return None, ()
        if not t.startswith(("./", "../")):
            if "/" not in t and "." not in t:  # the common case: a bare note name
                name = t.casefold()
                hit = self.one.get(_key(name))
                if hit is not None and path_name(hit) == name:
                    return hit, ()
            return self._resolve(t)
        # A relative Markdown link: first relative to the linking note's folder; a `./`
        # link (which is how the parser hands over `[x](People/Ada.md)`) may also be a
        # vault-absolute path, which Obsidian writes with "absolute path in vault".
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), t))
        attempts = [] if joined == ".." or joined.startswith("../") else [joined]
        if t.startswith("./"):
            attempts.append(posixpath.normpath(t))
        ambiguous: tuple[str, ...] = ()
        for attempt in attempts:
            path, candidates = self._resolve(attempt)
            if path is not None:
                return path, ()
            ambiguous = ambiguous or candidates
        return None, ambiguous

    def _resolve(self, t: str) -> tuple[str | None, tuple[str, ...]]:
        t = t.lstrip("/")
        if t.casefold().endswith(".md"):
            t = t[:-3]
        if not t:
            return None, ()
        key = fold_path(t)
        candidates = self.holding(key.rsplit("/", 1)[-1])
        if t + ".md" in candidates:  # the exact path ("x.md" before a file named "x")
            return t + ".md", ()
        if t in candidates and not t.endswith(".md"):
            return t, ()
        same = [c for c in candidates if fold_path(_stem(c)) == key]
        if len(same) == 1:  # the path, case-insensitively
            return same[0], ()
        if "/" in t:
            suffix = "/" + key
            candidates = [c for c in candidates if fold_path(c[:-3]).endswith(suffix)]
        if len(candidates) == 1:
            return candidates[0], ()
        if len(candidates) > 1:
            return None, tuple(candidates)
        return None, ()


def target_name(target: str) -> str:
    """The folded basename a link target names, read as `resolve` reads it: `[[ada.MD]]`,
    `[[/Ada]]` and `[[People\\Ada]]` all name "ada"; for a note path, its basename. Every
    path `resolve` may answer with for the target has this name."""
    t = target.strip().replace("\\", "/")
    if t[-3:].casefold() == ".md":
        t = t[:-3]
    return fold_path(t.rpartition("/")[2])


def _stem(path: str) -> str:
    return path[:-3] if path.endswith(".md") else path


def path_name(path: str) -> str:
    """The folded basename of a path, as the resolver files it:
    `path_name("People/Ada Lovelace.md") == "ada lovelace"`."""
    return fold_path(_stem(path)).rpartition("/")[2]
