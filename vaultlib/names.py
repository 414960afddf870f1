"""Finding a contact by what a user types: name, alias, accents and case ignored.

This module owns the matching order shared by `show` and every capture command:
exact name, then an alias, then a unique prefix of a name or alias; an ambiguous
query yields the candidates, an unknown one the closest names. Pure functions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Contact


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Zoë Brandt' -> 'zoe brandt'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


@dataclass(frozen=True)
class Match:
    contact: Contact | None
    candidates: tuple[Contact, ...] = ()  # when ambiguous
    suggestions: tuple[str, ...] = ()  # when not found


def find_contact(contacts: Sequence[Contact], query: str) -> Match:
    q = fold(query)
    if not q:
        return Match(None)
    q_path = query.strip().removesuffix(".md")
    for c in contacts:  # a vault path is unambiguous
        if c.path[:-3] == q_path:
            return Match(c)
    for keys in (lambda c: [fold(c.name)], lambda c: [fold(a) for a in c.aliases]):
        hits = [c for c in contacts if q in keys(c)]
        if len(hits) == 1:
            return Match(hits[0])
        if len(hits) > 1:
            return Match(None, tuple(hits))
    hits = [c for c in contacts
            if any(k.startswith(q) for k in [fold(c.name), *(fold(a) for a in c.aliases)])]  # fmt: skip
    if not hits:  # a prefix of any word: "lovelace" finds "Ada Lovelace"
        hits = [c for c in contacts if any(w.startswith(q) for w in fold(c.name).split())]
    if len(hits) == 1:
        return Match(hits[0])
    if len(hits) > 1:
        return Match(None, tuple(hits))
    names = {fold(c.name): c.name for c in contacts}
    import difflib  # only when nothing matched

    close = difflib.get_close_matches(q, list(names), n=3, cutoff=0.5)
    return Match(None, (), tuple(names[n] for n in close))
