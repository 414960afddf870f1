"""What a builder keeps between updates, and how little: sorted values without key tuples."""

from __future__ import annotations

import random
from datetime import date

import pytest

from vaultlib.model import DatedNote
from vaultlib.vault import _dated_key, _Sorted


def dn(day: int, path: str, title: str = "") -> DatedNote:
    return DatedNote(date(2026, 11, day), path, title, ("work",))


def test_sorted_values_are_found_by_path_and_kept_in_key_order():
    s: _Sorted[DatedNote] = _Sorted(_dated_key)
    for v in (dn(3, "c.md"), dn(1, "b.md"), dn(1, "a.md")):
        s.put(v)  # appended until the first read
    assert s.ordered() == (dn(1, "a.md"), dn(1, "b.md"), dn(3, "c.md"))
    assert "b.md" in s and "z.md" not in s
    s.remove("b.md")
    s.remove("z.md")  # not held: nothing happens
    assert s.ordered() == (dn(1, "a.md"), dn(3, "c.md"))
    s.put(dn(5, "a.md", "moved"))  # the same path again: it replaces its value, in place
    s.put(dn(2, "d.md"))
    assert s.ordered() == (dn(2, "d.md"), dn(3, "c.md"), dn(5, "a.md", "moved"))
    assert s.at == {v.path: v for v in s.ordered()}


@pytest.mark.parametrize("seed", range(20))
def test_sorted_in_place_and_loosened_agree_with_a_sort(seed: int):
    rnd = random.Random(seed)
    s: _Sorted[DatedNote] = _Sorted(_dated_key)
    held: dict[str, DatedNote] = {}
    for step in range(60):
        if step in (20, 40):
            s.loosen()  # values by path only, until the next read sorts them
        path = f"n{rnd.randrange(12)}.md"
        if rnd.random() < 0.3:
            s.remove(path)
            held.pop(path, None)
        else:
            held[path] = s_value = dn(rnd.randint(1, 4), path, str(step))
            s.put(s_value)
        assert (path in s) == (path in held)
        if rnd.random() < 0.5:
            assert s.ordered() == tuple(sorted(held.values(), key=_dated_key))
    assert s.ordered() == tuple(sorted(held.values(), key=_dated_key))
