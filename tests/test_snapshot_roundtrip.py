"""decode(encode(v)) is exactly v, for generated vaults and for odd values the layout
must fall back on: the separator in text, huge line numbers, missing dates, many chunks."""

from __future__ import annotations

import marshal
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import genvault
from vaultlib import snapshot_cache
from vaultlib.config import load_config
from vaultlib.index import build_index
from vaultlib.model import WARNING, Birthday, Contact, DatedNote, Goal, Interaction, Move, Problem
from vaultlib.vault import Vault

EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"


def assert_same(back: Vault | None, v: Vault) -> None:
    assert back is not None
    assert back == v
    # Field by field too: equality would hide a type change (tuple vs list, int vs bool).
    assert repr(back.contacts) == repr(v.contacts)
    for a, b in zip(back.contacts, v.contacts, strict=True):
        for name in Contact.__dataclass_fields__:
            assert type(getattr(a, name)) is type(getattr(b, name)), name
    assert repr(back.goals) == repr(v.goals)
    assert repr(back.dated_notes) == repr(v.dated_notes)
    assert repr(back.problems) == repr(v.problems)
    assert back.by_path == v.by_path
    assert back.shared_names == v.shared_names and back.block_notes == v.block_notes


def roundtrip(v: Vault, run: list[Problem]) -> Vault | None:
    data = marshal.loads(marshal.dumps(snapshot_cache.encode(v, run)))
    return snapshot_cache.decode(data, v.config, run)


def built(root: Path) -> tuple[Vault, list[Problem]]:
    idx = build_index(load_config(root), save=False)
    return idx.vault(), idx.scan_problems


def test_example_vault(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "v")
    v, run = built(tmp_path / "v")
    assert_same(roundtrip(v, run), v)


@pytest.mark.parametrize("seed", [1, 7, 11])
def test_generated_vaults_over_many_chunks(tmp_path: Path, seed: int):
    # More contacts and dated notes than one chunk holds, so logs cross chunk boundaries.
    genvault.generate(tmp_path / "v", 150, 900, seed=seed)
    v, run = built(tmp_path / "v")
    assert len(v.contacts) > 2 * snapshot_cache._CONTACTS_PER_CHUNK
    assert len(v.dated_notes) > snapshot_cache._NOTES_PER_CHUNK
    assert_same(roundtrip(v, run), v)


def test_decoded_paths_are_shared(tmp_path: Path):
    """One string object per path, however many chunks name it (memory of a warm run)."""
    genvault.generate(tmp_path / "v", 150, 900, seed=3)
    v, run = built(tmp_path / "v")
    back = roundtrip(v, run)
    assert back is not None
    paths = [i.source for c in back.contacts for i in c.interactions]
    paths += [n.path for n in back.dated_notes] + [c.path for c in back.contacts]
    assert len({id(p) for p in paths}) == len(set(paths))


# Text a note could hold, the separator and non-Latin-1 characters included.
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
maybe_text = st.none() | text
days = st.dates(date(1, 1, 1), date(9999, 12, 31))
lines = st.integers(1, 30) | st.integers(0, 2**40)
words = st.lists(text, max_size=3).map(tuple)


@st.composite
def contacts(draw: st.DrawFn, path: str) -> Contact:
    interactions = draw(st.lists(st.builds(
        Interaction, days, text, maybe_text, text, st.sampled_from([path, "Daily/x.md"]), lines
    ), max_size=4))  # fmt: skip
    moves = draw(st.lists(st.builds(Move, days, text, text, st.just(path), lines), max_size=2))
    bday = st.builds(Birthday, st.integers(1, 12), st.integers(1, 28), st.none() | st.integers())
    return Contact(
        draw(text), path, draw(st.dictionaries(text, st.none() | text | st.lists(text), max_size=3)),
        draw(words), draw(maybe_text), draw(st.none() | st.integers(1, 400)), draw(st.none() | days),
        draw(st.none() | days), draw(maybe_text), draw(st.none() | bday), draw(maybe_text),
        draw(maybe_text), draw(maybe_text), draw(maybe_text), draw(maybe_text), draw(words),
        draw(words), draw(words), draw(words), draw(st.booleans()), draw(st.none() | days),
        tuple(interactions), tuple(moves),
    )  # fmt: skip


@st.composite
def vaults(draw: st.DrawFn, config) -> Vault:
    n = draw(st.integers(0, 40))
    people = tuple(draw(contacts(f"People/{i}.md")) for i in range(n))
    dated = tuple(draw(st.lists(st.builds(DatedNote, days, text, text, words), max_size=300)))
    goals = tuple(draw(st.lists(st.builds(
        Goal, text, text, text, st.integers(), st.none() | days, st.none() | days, maybe_text,
        maybe_text, maybe_text, maybe_text,
    ), max_size=2)))  # fmt: skip
    problem = st.builds(
        Problem, text, st.none() | st.integers(1, 99), text, text, st.sampled_from(["error", WARNING])
    )  # fmt: skip
    # A vault's problems come sorted (decoding merges the run's back in that order).
    problems = tuple(sorted(draw(st.lists(problem, max_size=3)), key=Problem.sort_key))
    return Vault(config, people, goals, dated, problems, {c.path: c for c in people},
                 frozenset(draw(st.lists(text, max_size=3))), tuple(draw(words)))  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_generated_values_roundtrip(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject):
    config = load_config(tmp_path_factory.getbasetemp())
    v = data.draw(vaults(config))
    assert_same(roundtrip(v, []), v)


def test_fallbacks_for_odd_values(tmp_path: Path):
    """The separator inside text, a line number too big to pack and missing dates are
    stored the slow way, and still come back exactly."""
    path = "People/A.md"
    log = (
        Interaction(date(2024, 1, 2), "call", None, "a\0b", path, 2**40),
        Interaction(date(2024, 1, 1), "note", "give", "plain", "Daily/x.md", 3),
    )
    c = Contact(
        "Ann\0e", path, {}, interactions=log, moves=(Move(date(1, 1, 1), "a", "b", path, 1),)
    )
    notes = (DatedNote(date(2024, 1, 1), "Daily/x.md", "t\0", ("x",)),)
    v = Vault(load_config(tmp_path), (c,), (), notes, (), {path: c})
    assert_same(roundtrip(v, []), v)


def test_empty_vault(tmp_path: Path):
    v = Vault(load_config(tmp_path), ())
    assert_same(roundtrip(v, []), v)


def test_unmarshallable_value_fails_when_stored(tmp_path: Path):
    """As before chunks were marshalled in `encode`: storing fails with ValueError (which
    `index` treats as "no snapshot"), encoding does not."""
    c = Contact("Ann", "People/A.md", {"x": object()})
    data = snapshot_cache.encode(Vault(load_config(tmp_path), (c,), by_path={c.path: c}), [])
    with pytest.raises(ValueError):
        marshal.dumps(data)
