"""Stage moves made by hand: one log line per real change, never twice, never over a user's save."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TODAY, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlib.config import load_config
from vaultlib.edit import add_log_line, set_field
from vaultlib.moves import (
    ALREADY,
    CONFLICT,
    RECORDED,
    REFUSED,
    STALE,
    StageChange,
    already_recorded,
    find_stage_changes,
    move_line,
    newest_move,
    record_stage_change,
    ring_of,
)
from vaultlib.parse import NoteParser, NoteRecord
from vaultlib.write import Writer

RINGS = ("cold", "lukewarm", "strategic", "buddy")
ADA = "People/Ada Lovelace.md"


def note(stage: str = "lukewarm", log: str = "", eol: str = "\n") -> str:
    text = f"---\nname: Ada Lovelace\nstage: {stage}\n---\n# Ada\n\n## Log\n{log}"
    return text.replace("\n", eol)


def parse(root: Path, rel: str = ADA) -> NoteRecord:
    return NoteParser(load_config(root)).parse(rel, (root / rel).read_bytes())


def moves_in(root: Path, rel: str = ADA) -> list[tuple[str, str, str]]:
    rec = parse(root, rel)
    return [(date.fromordinal(o).isoformat(), a, b) for o, a, b, _line in rec.moves]


def record(root: Path, old: str, new: str, day: date = TODAY, writer: Writer | None = None):
    return record_stage_change(
        load_config(root), StageChange(ADA, old, new), day, writer or Writer(root)
    )


def test_move_line_is_what_kith_move_writes() -> None:
    assert move_line("cold", "lukewarm", date(2026, 1, 2)) == "- 2026-01-02 stage: cold → lukewarm"


def test_find_stage_changes_only_ring_to_ring(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "People/A.md": note("strategic"),
            "People/B.md": note("cold"),
            "People/C.md": "---\nname: C\n---\n",  # no stage any more
            "Notes/D.md": "---\nstage: buddy\n---\n",  # not a person
            "People/E.md": note("buddy"),  # new person
        },
    )
    parser = NoteParser(load_config(root))
    after = {p: parser.parse(p, (root / p).read_bytes()) for p in
             ("People/A.md", "People/B.md", "People/C.md", "Notes/D.md", "People/E.md")}  # fmt: skip
    before = {"People/A.md": "lukewarm", "People/B.md": "cold", "People/C.md": "cold",
              "Notes/D.md": "cold", "People/E.md": None}  # fmt: skip
    assert ring_of(after["Notes/D.md"]) is None
    changes = find_stage_changes(before, lambda p: ring_of(after.get(p)), after)
    assert changes == [StageChange("People/A.md", "lukewarm", "strategic")]


def test_records_one_line_in_the_log(tmp_path: Path) -> None:
    root = write_files(tmp_path, {ADA: note("strategic", "- 2026-10-01 coffee: engines\n")})
    out = record(root, "lukewarm", "strategic")
    assert out.status == RECORDED and out.result is not None and out.result.status == "written"
    assert (root / ADA).read_text() == note(
        "strategic", "- 2026-10-01 coffee: engines\n- 2026-11-20 stage: lukewarm → strategic\n"
    )
    # Once recorded, the same change is never recorded again.
    assert record(root, "lukewarm", "strategic").status == ALREADY
    assert moves_in(root) == [("2026-11-20", "lukewarm", "strategic")]


def test_kith_move_style_edit_is_not_recorded_twice(tmp_path: Path) -> None:
    # `kith move` writes the stage and the line together, possibly with a past --date.
    root = write_files(
        tmp_path, {ADA: note("strategic", "- 2026-11-02 stage: lukewarm → strategic\n")}
    )
    before = (root / ADA).read_bytes()
    assert record(root, "lukewarm", "strategic").status == ALREADY
    assert (root / ADA).read_bytes() == before


def test_a_round_trip_records_every_step(tmp_path: Path) -> None:
    root = write_files(tmp_path, {ADA: note("cold")})
    path = root / ADA
    steps = [("cold", "lukewarm"), ("lukewarm", "cold"), ("cold", "lukewarm")]
    for old, new in steps:  # all on the same day
        path.write_text(set_field(path.read_text(), "stage", new))
        assert record(root, old, new).status == RECORDED
        assert record(root, old, new).status == ALREADY
    assert [(a, b) for _d, a, b in moves_in(root)] == steps


def test_newest_move_follows_a_newest_first_log(tmp_path: Path) -> None:
    log = (
        "- 2026-11-20 stage: lukewarm → cold\n"  # newest on top, same day as the next
        "- 2026-11-20 stage: cold → lukewarm\n"
        "- 2026-11-10 call: catch-up\n"
        "- 2026-10-01 coffee: engines\n"
    )
    root = write_files(tmp_path, {ADA: note("lukewarm", log)})
    rec = parse(root)
    m = newest_move(rec)
    assert m is not None and (m[1], m[2]) == ("lukewarm", "cold")
    assert not already_recorded(rec, "cold", "lukewarm")
    # ... so cold -> lukewarm again is a new move, and it lands on top.
    assert record(root, "cold", "lukewarm").status == RECORDED
    assert (root / ADA).read_text().split("## Log\n")[1].splitlines()[0] == (
        "- 2026-11-20 stage: cold → lukewarm"
    )


def test_newest_move_in_a_chronological_log_is_the_lowest_same_day_line(tmp_path: Path) -> None:
    log = (
        "- 2026-10-01 coffee: engines\n"
        "- 2026-11-20 stage: cold → lukewarm\n"
        "- 2026-11-20 stage: lukewarm → cold\n"
    )
    root = write_files(tmp_path, {ADA: note("lukewarm", log)})
    assert not already_recorded(parse(root), "cold", "lukewarm")
    assert already_recorded(parse(root), "lukewarm", "cold")


def test_keeps_crlf_bom_and_creates_the_log_section(tmp_path: Path) -> None:
    text = "---\r\nstage: buddy\r\n---\r\nNo log yet.\r\n"
    root = write_files(tmp_path, {ADA: b"\xef\xbb\xbf" + text.encode()})
    assert record(root, "strategic", "buddy").status == RECORDED
    data = (root / ADA).read_bytes()
    assert (
        data
        == b"\xef\xbb\xbf"
        + (text + "\r\n## Log\r\n- 2026-11-20 stage: strategic → buddy\r\n").encode()
    )


def test_stale_when_the_note_no_longer_shows_the_new_stage(tmp_path: Path) -> None:
    root = write_files(tmp_path, {ADA: note("cold")})
    before = (root / ADA).read_bytes()
    assert record(root, "lukewarm", "strategic").status == STALE
    assert (root / ADA).read_bytes() == before
    (root / ADA).unlink()
    assert record(root, "lukewarm", "strategic").status == STALE


class SlowWriter(Writer):
    """Reads, then lets the 'user' save before kith writes."""

    def __init__(self, root: Path, user_bytes: bytes) -> None:
        super().__init__(root)
        self.user_bytes = user_bytes

    def read(self, rel: str) -> bytes | None:
        data = super().read(rel)
        (self.root / rel).write_bytes(self.user_bytes)
        return data


def test_conflict_when_the_user_saves_meanwhile(tmp_path: Path) -> None:
    root = write_files(tmp_path, {ADA: note("strategic")})
    user = note("strategic", "- 2026-11-19 call: typed while kith was busy\n").encode()
    out = record(root, "lukewarm", "strategic", writer=SlowWriter(root, user))
    assert out.status == CONFLICT
    assert (root / ADA).read_bytes() == user  # the user's save wins, untouched
    assert not list(root.rglob(".kith-*.tmp"))


def test_refused_for_a_read_only_note(tmp_path: Path) -> None:
    root = write_files(tmp_path, {ADA: note("strategic")})
    os.chmod(root / ADA, 0o444)
    try:
        out = record(root, "lukewarm", "strategic")
    finally:
        os.chmod(root / ADA, 0o644)
    assert out.status == REFUSED and out.problem is not None
    assert out.problem.path == ADA
    assert "lukewarm → strategic not recorded" in out.problem.message
    assert "read-only" in out.problem.message
    assert moves_in(root) == []


def test_refused_for_a_symlinked_note(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", {"elsewhere.md": note("strategic")})
    (root / "People").mkdir()
    os.symlink(root / "elsewhere.md", root / ADA)
    out = record(root, "lukewarm", "strategic")
    assert out.status == REFUSED
    assert (root / "elsewhere.md").read_text() == note("strategic")


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(st.tuples(st.sampled_from(RINGS), st.booleans()), min_size=1, max_size=8),
    newest_first=st.booleans(),
    eol=st.sampled_from(["\n", "\r\n"]),
)
def test_every_real_change_is_recorded_exactly_once(
    steps: list[tuple[str, bool]], newest_first: bool, eol: str
) -> None:
    """A watcher seeing each stage edit (by hand, or by `kith move` which writes the line
    itself) ends with exactly one line per real change, in order, whatever the log order."""
    log = "- 2026-01-05 call: a\n- 2026-01-02 coffee: b\n"
    if not newest_first:
        log = "- 2026-01-02 coffee: b\n- 2026-01-05 call: a\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = write_files(Path(tmp), {ADA: note("cold", log, eol)})
        path = root / ADA
        current = "cold"
        expected: list[tuple[str, str]] = []
        for i, (ring, by_kith_move) in enumerate(steps):
            day = TODAY + timedelta(days=i // 2)  # some changes share a day
            if ring == current:
                continue
            text = set_field(path.read_bytes().decode(), "stage", ring)
            if by_kith_move:
                text = add_log_line(text, ["Log"], move_line(current, ring, day), day)
            path.write_bytes(text.encode())
            out = record(root, current, ring, day)
            assert out.status == (ALREADY if by_kith_move else RECORDED)
            assert record(root, current, ring, day).status == ALREADY
            expected.append((current, ring))
            current = ring
        got = parse(root).moves
        order = sorted(got, key=lambda m: (m[0], -m[3] if newest_first else m[3]))
        assert [(a, b) for _o, a, b, _l in order] == expected
        assert b"\r\n" not in path.read_bytes() or eol == "\r\n"


@pytest.mark.parametrize("old,new", [("cold", "buddy"), ("buddy", "cold")])
def test_outward_and_inward_moves_alike(tmp_path: Path, old: str, new: str) -> None:
    root = write_files(tmp_path, {ADA: note(new)})
    assert record(root, old, new).status == RECORDED
    assert moves_in(root) == [("2026-11-20", old, new)]
