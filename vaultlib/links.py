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


class Resolver:
    """The note paths by basename (folded): `one` for a basename only one path holds (most),
    `many` for one held by several (in path order).

    `add` and `remove` keep it equal to a resolver built afresh from the new list of
    paths, so the watcher need not rebuild it for every note created or deleted."""

    def __init__(self, paths: Iterable[str]):  # distinct paths
        paths = list(paths)
        names = [fold_path(p[:-3] if p.endswith(".md") else p).rpartition("/")[2] for p in paths]
        self.one: dict[str, str] = dict(zip(names, paths, strict=True))
        self.many: dict[str, list[str]] = {}
        if len(self.one) < len(paths):  # some basenames are shared
            for name, p in zip(names, paths, strict=True):
                if self.one.get(name, p) is not p:  # not the last path of that name
                    self.many.setdefault(name, []).append(p)
            for name, held in self.many.items():
                held.append(self.one.pop(name))
                held.sort()

    def __contains__(self, path: str) -> bool:
        return path in self.holding(_name(path))

    def holding(self, name: str) -> list[str]:
        """The paths whose folded basename is `name`, in order."""
        if name in self.one:
            return [self.one[name]]
        return self.many.get(name, [])

    @property
    def shared(self) -> frozenset[str]:
        """The basenames held by 2+ paths."""
        return frozenset(self.many)

    def add(self, path: str) -> None:
        """A path not yet known."""
        name = _name(path)
        if name in self.many:
            insort(self.many[name], path)
        elif name in self.one:
            self.many[name] = sorted([self.one.pop(name), path])
        else:
            self.one[name] = path

    def remove(self, path: str) -> None:
        """A known path."""
        name = _name(path)
        if name in self.one:
            del self.one[name]
            return
        held = self.many[name]
        held.remove(path)
        if len(held) == 1:
            self.one[name] = held[0]
            del self.many[name]

    def resolve(self, target: str, source: str = "") -> tuple[str | None, tuple[str, ...]]:
        """(path, ()) when resolved, (None, candidates) when ambiguous, (None, ()) when missing."""
        t = target.strip().replace("\\", "/")
        if not t:
            return None, ()
        if not t.startswith(("./", "../")):
            if "/" not in t and "." not in t:  # the common case: a bare note name
                hit = self.one.get(t.casefold())
                if hit is not None:
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


def _stem(path: str) -> str:
    return path[:-3] if path.endswith(".md") else path


def _name(path: str) -> str:
    """The key of a path's basename: `_name("People/Ada Lovelace.md") == "ada lovelace"`."""
    return fold_path(_stem(path)).rpartition("/")[2]
