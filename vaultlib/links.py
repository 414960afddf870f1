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
from collections import defaultdict
from collections.abc import Iterable


def fold_path(path: str) -> str:
    """Case- and normal-form-insensitive key: a file synced from macOS may be named in
    NFD while the link to it was typed in NFC (as on macOS, both are the same name)."""
    if path.isascii():  # the common case, and much cheaper
        return path.casefold()
    return unicodedata.normalize("NFC", path).casefold()


class Resolver:
    def __init__(self, paths: Iterable[str]):
        self.exact: dict[str, str] = {}
        self.folded: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            stem = p[:-3] if p.endswith(".md") else p
            self.exact[stem] = p
            key = fold_path(stem)
            self.folded[key].append(p)
            self.by_name[key.rsplit("/", 1)[-1]].append(p)
        for lst in self.by_name.values():
            lst.sort()

    def resolve(self, target: str, source: str = "") -> tuple[str | None, tuple[str, ...]]:
        """(path, ()) when resolved, (None, candidates) when ambiguous, (None, ()) when missing."""
        t = target.strip().replace("\\", "/")
        if not t:
            return None, ()
        if not t.startswith(("./", "../")):
            if "/" not in t and "." not in t:  # the common case: a bare note name
                hits = self.by_name.get(t.casefold())
                if hits is not None and len(hits) == 1:
                    return hits[0], ()
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
        if t in self.exact:
            return self.exact[t], ()
        key = fold_path(t)
        folded = self.folded.get(key)
        if folded and len(folded) == 1:
            return folded[0], ()
        candidates = self.by_name.get(key.rsplit("/", 1)[-1], [])
        if "/" in t:
            suffix = "/" + key
            candidates = [c for c in candidates if fold_path(c[:-3]).endswith(suffix)]
        if len(candidates) == 1:
            return candidates[0], ()
        if len(candidates) > 1:
            return None, tuple(candidates)
        return None, ()
