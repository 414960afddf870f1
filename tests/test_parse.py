"""Table-driven parse cases: `tests/data/parse/<case>.md` beside `<case>.expected.json`.

Each expected file says where the note pretends to live and what kith must read from it:

    {
      "about": "why this case exists (doubles as documentation)",
      "path": "People/Ada Lovelace.md",        # the note's vault-relative path
      "config": {"people": {"folders": []}},   # optional: kith.toml as a dict
      "settings": {"daily_folder": "Daily"},   # optional: Config fields (Obsidian settings)
      "expect": {
        "kind": "person",                      # person | goal | note (always checked)
        "date": "2026-11-03" | null,
        "title": "...", "tags": [...],
        "person": {"name": "Ada", ...},        # only the keys listed are compared
        "log":   [["2026-11-03", "coffee", "give", "summary", 7], ...],
        "moves": [["2026-10-01", "lukewarm", "strategic", 9], ...],
        "links": [["Target", line, "summary", "kind", "give"|"ask"|null], ...],
        "problems": [[line, "error"|"warning", "text in the message"], ...]
      }
    }

Every key given under "expect" is compared exactly (for "person", each listed field);
"problems" is always compared (in line order) and defaults to none. The .md files are read as bytes,
so a case can hold CRLF, a BOM or invalid UTF-8.

Also here: the property that `NoteParser.parse` never raises, whatever the bytes.
"""

from __future__ import annotations

import dataclasses
import json
import marshal
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlib.config import config_from_dict
from vaultlib.model import Problem
from vaultlib.parse import NoteParser, NoteRecord

DATA = Path(__file__).parent / "data" / "parse"
CASES = sorted(p.name[: -len(".expected.json")] for p in DATA.glob("*.expected.json"))


def _iso(ordinal: int | None) -> str | None:
    return date.fromordinal(ordinal).isoformat() if ordinal else None


def record_json(rec: NoteRecord) -> dict[str, Any]:
    """A NoteRecord in the shape the expected files use."""
    person = None
    if rec.person is not None:
        person = dict(rec.person)
        for key in ("last_contact", "follow_up", "created"):
            person[key] = _iso(person[key])
        if person["birthday"] is not None:
            person["birthday"] = list(person["birthday"])
    return {
        "kind": rec.kind,
        "date": _iso(rec.date),
        "title": rec.title,
        "tags": list(rec.tags),
        "fm": rec.fm,
        "person": person,
        "log": [[_iso(o), k, d, s, n] for o, k, d, s, n in rec.log],
        "moves": [[_iso(o), a, b, n] for o, a, b, n in rec.moves],
        "links": [list(link) for link in rec.links],
        "problems": rec.problems,
    }


def _problem_matches(p: Problem, want: list[Any]) -> bool:
    line, severity, text = want
    return p.line == line and p.severity == severity and text in p.message


def parse_case(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    config = config_from_dict(Path("/nonexistent-vault"), spec.get("config", {}))
    if "settings" in spec:
        config = dataclasses.replace(config, **spec["settings"])
    data = (DATA / f"{case}.md").read_bytes()
    rec = NoteParser(config).parse(spec["path"], data)
    return spec, record_json(rec)


def test_there_are_enough_cases():
    assert len(CASES) >= 20
    for case in CASES:
        assert (DATA / f"{case}.md").is_file(), f"{case}.expected.json has no {case}.md"


@pytest.mark.parametrize("case", CASES)
def test_parse_case(case: str):
    spec, got = parse_case(case)
    expect = spec["expect"]
    assert "kind" in expect, f"{case}: every case states the kind"
    for key, want in expect.items():
        if key == "problems":
            continue
        if key == "person" and want is not None:
            assert got["person"] is not None, f"{case}: not read as a person"
            for field, value in want.items():
                assert got["person"][field] == value, f"{case}: person.{field}"
        else:
            assert got[key] == want, f"{case}: {key}"
    problems: list[Problem] = sorted(got["problems"], key=Problem.sort_key)
    wanted = expect.get("problems", [])
    shown = [p.format() for p in problems]
    assert len(problems) == len(wanted), f"{case}: problems {shown}"
    for p, w in zip(problems, wanted):
        assert _problem_matches(p, w), f"{case}: {p.format()!r} does not match {w}"
        assert p.path == spec["path"]


# --- the parser never raises -----------------------------------------------------------

_PARSER = NoteParser(
    dataclasses.replace(
        config_from_dict(Path("/nonexistent-vault"), {"people": {"categories": ["People"]}}),
        daily_folder="Daily",
    )
)
_PATHS = st.sampled_from(
    ["People/Ada.md", "Daily/2026-11-03.md", "Meetings/2026-02-14 Lunch with Ada.md", "Note.md"]
)
# Fragments that steer random text into the parser's interesting corners.
_FRAGMENTS = st.sampled_from(
    [
        "---\n",
        "---\r\n",
        "\ufeff",
        "\r",
        "\n",
        "\r\n",
        "## Log\n",
        "# Interactions\n",
        "- 2026-11-03 call: hi #give\n",
        "- 2026-02-30 coffee: x\n",
        "- 2026-10-01 stage: cold → buddy\n",
        "- [ ] [[Ada]]\n",
        "- [x] [[Ada|A]]\n",
        "![[Ada]]",
        "[[",
        "]]",
        "[[Ada#H|x]]",
        "`",
        "```\n",
        "~~~\n",
        "<!--",
        "-->",
        "%%",
        "[a](../People/Ada%20x.md)",
        "[b](<x y.md>)",
        "date: 2026-11-03\n",
        "type: person\n",
        "type: goal\n",
        'people:\n  - "[[Ada]]"\n',
        "tags: [person]\n",
        'categories: ["[[People]]"]\n',
        "stage: Buddy\n",
        "cadence: 6w\n",
        "birthday: --02-29\n",
        "name: \n",
        "aliases: a, b\n",
        "a: &x [1]\nb: *x\n",
        "[[[[[[",
        "\t",
        "é",
        "\u2028",
        "\x00",
    ]  # fmt: skip
)
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=12)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_PATHS, data=st.one_of(st.binary(max_size=400), _TEXTS.map(str.encode)))
def test_parse_never_raises(path: str, data: bytes):
    rec = _PARSER.parse(path, data)
    assert rec.path == path
    assert all(isinstance(p, Problem) for p in rec.problems)
    # The record survives the cache's round trip (marshal) unchanged.
    t = rec.to_tuple()
    back = NoteRecord.from_tuple(marshal.loads(marshal.dumps(t))).to_tuple()
    assert repr(back) == repr(t)  # repr: NaN from `.nan` is not equal to itself


@pytest.mark.parametrize(
    ("fields", "front", "tags"),
    [
        ({}, "tags: [Mentor, '#ex-colleague']", ("ex-colleague", "mentor")),
        ({}, "Tags: [x, y]", ()),  # a record's tags come from the key `tags` alone
        ({}, "tags: [b]\nTags: [a]", ("b",)),
        ({"tags": "interests"}, "tags: [y, x]", ("x", "y")),  # the field elsewhere
        ({"tags": "interests"}, "Tags: [x]", ()),
    ],
)
def test_a_person_record_holds_the_tags_of_its_tags_key(fields, front, tags):
    """A person's record tags are what its `tags` property holds, read as tags, whichever
    field kith reads from that key (the parser takes them from the person's `tags` field
    only when that field is read from the key `tags`)."""
    parser = NoteParser(config_from_dict(Path("/nonexistent"), {"fields": fields}))
    rec = parser.parse("People/Ada.md", f"---\n{front}\nstage: buddy\n---\n".encode())
    assert rec.person is not None
    assert rec.tags == tags
