"""Records share the words they repeat, after the cache's marshal round trip too.

The watcher decodes every person record and keeps its front matter and fields. Keys and
small-vocabulary words (rings, tags, interaction kinds, directions, one-word values) are
interned by the parser, and marshal keeps a string interned: so two decoded records hold
one object for each such word instead of a copy each. Text that seldom repeats (log
summaries, names, emails, multi-word values) stays each record's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultlib import frontmatter
from vaultlib.config import config_from_dict
from vaultlib.parse import NoteParser
from vaultlib.records import NoteRecord, decode, encode

_PERSON = """---
type: person
stage: Strategic
company: Acme Bank
email: {email}
tags: [friend, ex-colleague]
interests:
  - sailing
favourite-drink: tea
---

## Log

- 2026-01-02 coffee: talked about the move to Berlin #give
- 2026-01-03 stage: cold -> strategic
"""

# Nested front matter goes through the slow path (PyYAML): its keys are interned too.
_NESTED = """---
stage: cold
address:
  city: Paris
  street-name: Rue Bonaparte
---
"""

_GOAL = """---
type: goal
metric: moves
target: 3
deadline: 2026-12-31
---
"""


def _round_trip(path: str, text: str) -> NoteRecord:
    parser = NoteParser(config_from_dict(Path("/nonexistent-vault"), {}))
    return decode(encode(parser.parse(path, text.encode())))


def _same_keys(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    b_keys = {key: key for key in b}
    for key in a:
        assert b_keys[key] is key, key


@pytest.mark.parametrize("memo", ["fresh", "memo"])
@pytest.mark.parametrize(
    "paths", [("People/Ada.md", "People/Bo.md"), ("Notes/Ada.md", "Notes/Bo.md")]
)
def test_person_records_share_keys_and_words(paths: tuple[str, str], memo: str) -> None:
    """Two persons (by folder, or by `type` elsewhere), read fresh or from the line memo."""
    if memo == "fresh":
        frontmatter._OWN_LINES.clear()
        frontmatter._FAST_LINES.clear()
    a = _round_trip(paths[0], _PERSON.format(email="ada@example.org"))
    if memo == "fresh":
        frontmatter._OWN_LINES.clear()
        frontmatter._FAST_LINES.clear()
    b = _round_trip(paths[1], _PERSON.format(email="bo@example.org"))
    assert a.fm is not None and b.fm is not None and a.person and b.person
    _same_keys(a.fm, b.fm)
    for key in ("type", "stage", "favourite-drink"):
        assert a.fm[key] is b.fm[key], key
    for x, y in zip(a.fm["tags"] + a.fm["interests"], b.fm["tags"] + b.fm["interests"]):
        assert x is y, x
    assert a.person["ring"] == "strategic" and a.person["ring"] is b.person["ring"]
    assert a.tags == ("ex-colleague", "friend")
    for x, y in zip(a.tags + tuple(a.person["tags"]), b.tags + tuple(b.person["tags"])):
        assert x is y, x
    (_, kind_a, dir_a, said_a, _), (_, kind_b, dir_b, said_b, _) = a.log[0], b.log[0]
    assert (kind_a, dir_a) == ("coffee", "give")
    assert kind_a is kind_b and dir_a is dir_b
    assert a.moves[0][1:3] == ("cold", "strategic")
    assert a.moves[0][1] is b.moves[0][1] and a.moves[0][2] is b.moves[0][2]
    # what seldom repeats stays each record's own
    assert said_a == said_b and said_a is not said_b
    assert a.fm["company"] == b.fm["company"] and a.fm["company"] is not b.fm["company"]


def test_nested_front_matter_keys_are_shared() -> None:
    a = _round_trip("People/Ada.md", _NESTED)
    b = _round_trip("People/Bo.md", _NESTED)
    assert a.fm is not None and b.fm is not None
    _same_keys(a.fm, b.fm)
    _same_keys(a.fm["address"], b.fm["address"])
    assert a.fm["address"]["city"] is b.fm["address"]["city"]
    assert a.fm["address"]["street-name"] is not b.fm["address"]["street-name"]


def test_goal_records_share_keys_and_words() -> None:
    a = _round_trip("Goals/a.md", _GOAL)
    b = _round_trip("Goals/b.md", _GOAL)
    assert a.kind == b.kind == "goal" and a.fm is not None and b.fm is not None
    _same_keys(a.fm, b.fm)
    assert a.fm["metric"] is b.fm["metric"]
    assert a.fm["deadline"] is not b.fm["deadline"]  # a date is not a word
