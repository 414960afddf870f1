"""Tests for vaultlib.capture: edits change exactly the lines asked for, on generated notes.

The property tests build notes from known pieces (front matter in several
styles, with comments, flow and block lists and quoting; a body with or
without a log section, oldest or newest first; LF, CRLF or CR; a BOM or not;
a final newline or not), run them through the capture functions on a vault
on disk, and compare the result with an expected line list built
independently from those pieces, byte for byte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlib.capture import (
    AmbiguousContact,
    BadArgument,
    CaptureError,
    DuplicateContact,
    EditPlan,
    NewContact,
    NoSuchContact,
    apply_plan,
    complete_names,
    diff_plan,
    find_one,
    format_moment,
    log_entry,
    move_line,
    parse_day,
    plan_archive,
    plan_follow_up,
    plan_log,
    plan_move,
    plan_new,
    render_template,
)
from vaultlib.config import load_config
from vaultlib.errors import WriteRefused
from vaultlib.index import build_index
from vaultlib.model import Contact
from vaultlib.vault import Vault
from vaultlib.write import Writer

TODAY = date(2026, 11, 20)
NOW = time(9, 5)
RINGS = ("cold", "lukewarm", "strategic", "buddy")
EOLS = ("\n", "\r\n", "\r")
BOM = b"\xef\xbb\xbf"
NOTE = "People/Ada Lovelace.md"


def load(root: Path) -> Vault:
    return build_index(load_config(root), save=False).vault()


def write_note(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def contact(root: Path, rel: str = NOTE) -> Contact:
    v = load(root)
    assert rel in v.by_path, f"{rel} is not a contact: {v.problems}"
    return v.by_path[rel]


# --------------------------------------------------------------------------- generated notes

# Front-matter lines that are neither the stage nor a field under test. Each
# entry is a group of lines that belong together (a key and its block list).
OTHER_FM = [
    ["# a comment at the top"],
    [""],
    ['company: "[[Northwind Labs]]"  # linked'],
    ["aliases: [Ada, 'A. L.', \"Countess\"]"],
    ["tags:", "  - person", "  - mentor"],
    ["'quoted key': 'single quoted'"],
    ['"Double Key": 42'],
    ['phone: "+49 151 0000 4417"'],
    ["knows: [\"[[Charles Babbage]]\", '[[Mary Somerville]]']"],
    ["bio: |", "  Wrote the first program.", "", "  # not a comment"],
    ["interests:", "- engines", "- poetry"],
    ["cadence: 30d # monthly-ish"],
]

# (line as written, the line kith should leave: {new} is the new ring; None = ring missing)
STAGE_STYLES = [
    ("stage: {old}", "stage: {new}"),
    ('stage: "{old}"', "stage: {new}"),
    ("stage: '{old}'   # ring", "stage: {new}   # ring"),
    ("Stage: {Old}", "Stage: {new}"),
    ("ring: {old}", "ring: {new}"),
    ("stage:", "stage: {new}"),
    ("stage: # not yet", "stage: {new} # not yet"),
]


@dataclass
class Note:
    eol: str
    bom: bool
    final_nl: bool
    fm: list[str] | None  # front-matter lines (contents), without the --- lines
    stage_at: int | None  # index in fm of the stage line
    stage_after: str  # the stage line after a move ({new} to fill in)
    old_ring: str | None  # the ring the note is in (None: no valid stage)
    body: list[str]
    log_at: int | None  # index in body of the log heading
    dated: list[int]  # indexes in body of the dated log items, in order
    descending: bool

    def lines(self) -> list[str]:
        head = ["---", *self.fm, "---"] if self.fm is not None else []
        return head + self.body

    def body_start(self) -> int:
        return len(self.fm) + 2 if self.fm is not None else 0

    def data(self) -> bytes:
        return join(self.lines(), self.eol, self.final_nl, self.bom)

    def expect(self, lines: list[str]) -> bytes:
        """`lines` joined as the edited note should be: in the note's line ending ("\n"
        when the note has no line break at all), with its BOM and final-newline state."""
        eol = self.eol if len(self.lines()) > 1 or self.final_nl else "\n"
        return join(lines, eol, self.final_nl, self.bom)


def join(lines: list[str], eol: str, final_nl: bool, bom: bool) -> bytes:
    text = eol.join(lines) + (eol if final_nl and lines else "")
    return (BOM if bom else b"") + text.encode("utf-8")


@st.composite
def notes(draw: st.DrawFn, *, with_stage: bool = True) -> Note:
    eol = draw(st.sampled_from(EOLS))
    has_fm = draw(st.booleans())
    fm: list[str] | None = None
    stage_at = None
    stage_after = "stage: {new}"
    old_ring = None
    if has_fm:
        picked = draw(st.lists(st.integers(0, len(OTHER_FM) - 1), max_size=5, unique=True))
        groups = [OTHER_FM[i] for i in picked]
        fm = [line for g in groups for line in g]
        if with_stage and draw(st.booleans()):
            written, after = draw(st.sampled_from(STAGE_STYLES))
            ring = draw(st.sampled_from(RINGS))
            stage_at = draw(st.integers(0, len(groups)))
            # insert between groups, never inside one
            pos = sum(len(g) for g in groups[:stage_at])
            fm.insert(pos, written.format(old=ring, Old=ring.capitalize()))
            stage_at = pos
            stage_after = after
            old_ring = ring if "{old}" in written or "{Old}" in written else None
    body: list[str] = []
    if draw(st.booleans()):
        body += ["# Ada Lovelace", ""]
    if draw(st.booleans()):
        body += ["Met at the [[Analytical Society]] dinner.", ""]
    log_at = None
    dated: list[int] = []
    descending = False
    if draw(st.booleans()):
        heading = draw(st.sampled_from(["## Log", "### Interactions", "## log", "# Log"]))
        days = draw(st.lists(st.integers(0, 2000), min_size=1, max_size=5, unique=True))
        ds = sorted((TODAY - timedelta(days=n) for n in days), reverse=False)
        descending = len(ds) >= 2 and draw(st.booleans())
        if descending:
            ds.reverse()
        log_at = len(body)
        body.append(heading)
        if draw(st.booleans()):
            body.append("- see also [[Charles Babbage]]")  # an undated item on top
        for i, d in enumerate(ds):
            dated.append(len(body))
            kind = ["coffee: cake", "call: about notes #give", "email: sent G", "met her"][i % 4]
            body.append(f"- {d.isoformat()} {kind}")
        body += [""] * draw(st.integers(0, 2))
        if draw(st.booleans()):
            level = heading.split(" ")[0]
            body += [f"{level} Notes", "Some text."]
    if draw(st.booleans()):
        body += ["", "Closing paragraph with a `---` inside."]
    final_nl = draw(st.booleans())
    while body and body[-1] == "" and not final_nl:
        body.pop()  # a last empty line only exists with a final newline
    if not body and fm is None:
        body = ["Just a line."]
    return Note(eol, draw(st.booleans()), final_nl, fm, stage_at, stage_after, old_ring,
                body, log_at, dated, descending)  # fmt: skip


def expected_log(note: Note, lines: list[str], offset: int, entry: str) -> list[str]:
    """`lines` (the note's lines, the body starting at `offset`) with `entry` where it belongs:
    every generated item is dated on or before the entry, so it goes after the last one
    (oldest first) or before the first one (newest first); without a log, a `## Log`
    section is appended."""
    out = list(lines)
    if note.log_at is None:
        if out and out[-1] != "":
            out.append("")
        return out + ["## Log", entry]
    at = note.dated[0] if note.descending else note.dated[-1] + 1
    out.insert(offset + at, entry)
    return out


@pytest.fixture(scope="module")
def vault_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("capture-vault")


PROPS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPS
@given(note=notes(), text=st.sampled_from(["coffee: cake", "call: intro to her CTO", "met her"]),
       direction=st.sampled_from([None, "give", "ask"]))  # fmt: skip
def test_log_inserts_exactly_one_line(
    vault_root: Path, note: Note, text: str, direction: str | None
) -> None:
    write_note(vault_root, NOTE, note.data())
    c = contact(vault_root)
    plan = plan_log(load_config(vault_root), c, Writer(vault_root), text, day=TODAY,
                    direction=direction)  # fmt: skip
    _, result = apply_plan(plan, Writer(vault_root))
    assert result.status == "written"
    entry = f"- {TODAY.isoformat()} {text}" + (f" #{direction}" if direction else "")
    want = expected_log(note, note.lines(), note.body_start(), entry)
    got = (vault_root / NOTE).read_bytes()
    assert got == note.expect(want)


def expected_move(note: Note, target: str) -> tuple[list[str], str | None]:
    """The note's lines after moving to `target`, and the move line's old ring (None: no line)."""
    lines = note.lines()
    stage_line = note.stage_after.format(new=target)
    if note.fm is None:
        lines = ["---", stage_line, "---", *lines]
        offset = 3
    elif note.stage_at is None:
        lines.insert(1 + len(note.fm), stage_line)
        offset = note.body_start() + 1
    else:
        lines[1 + note.stage_at] = stage_line
        offset = note.body_start()
    old = note.old_ring or RINGS[0]
    if old == target:
        return lines, None
    return expected_log(note, lines, offset, move_line(old, target, TODAY)), old


@PROPS
@given(note=notes(), data=st.data())
def test_move_changes_stage_and_logs_once(
    vault_root: Path, note: Note, data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from([r for r in RINGS if r != note.old_ring]))
    write_note(vault_root, NOTE, note.data())
    config = load_config(vault_root)
    c = contact(vault_root)
    plan = plan_move(config, c, Writer(vault_root), target, day=TODAY)
    _, result = apply_plan(plan, Writer(vault_root))
    assert result.status == "written"
    want, old = expected_move(note, target)
    after = (vault_root / NOTE).read_bytes()
    assert after == note.expect(want)
    # The index agrees: the new ring, and the move recorded once.
    c2 = contact(vault_root)
    assert c2.ring == target
    if old is not None:
        assert [(m.from_ring, m.to_ring) for m in c2.moves] == [(old, target)]
    # The same move again: nothing to do, nothing written, still one move line.
    again = plan_move(config, c2, Writer(vault_root), target, day=TODAY)
    assert not again.changed and again.message == f"already in {target}; nothing to do"
    _, result2 = apply_plan(again, Writer(vault_root))
    assert result2.status == "unchanged"
    assert (vault_root / NOTE).read_bytes() == after
    assert after.decode("utf-8-sig").count(f"stage: {old} → {target}") == (old is not None)


@PROPS
@given(note=notes(with_stage=False), op=st.sampled_from(["archive", "follow-up", "note", "clear"]),
       existing=st.sampled_from([None, "follow_up: 2026-01-02 # old", "follow-up: '2026-01-02'"]))  # fmt: skip
def test_field_edits_change_only_their_lines(
    vault_root: Path, note: Note, op: str, existing: str | None
) -> None:
    if existing is not None:
        note.fm = [*(note.fm or []), existing]
    write_note(vault_root, NOTE, note.data())
    config = load_config(vault_root)
    c = contact(vault_root)
    lines = note.lines()
    fm_end = 1 + len(note.fm) if note.fm is not None else None  # index of the closing ---
    if op == "archive":
        plan = plan_archive(config, c, Writer(vault_root))
        added = ["archived: true"]
    elif op == "clear":
        plan = plan_follow_up(config, c, Writer(vault_root), None, clear=True)
        added = []
    else:
        when = date(2026, 12, 1)
        note_text = "ask about: the engine" if op == "note" else None
        plan = plan_follow_up(config, c, Writer(vault_root), when, note_text)
        added = ['follow_up_note: "ask about: the engine"'] if note_text else []
        if existing is None:
            added.insert(0, "follow_up: 2026-12-01")
        else:  # the key keeps its spelling and comment; only the value changes
            at = lines.index(existing)
            lines[at] = existing.replace("2026-01-02", "2026-12-01").replace(
                "'2026-12-01'", "2026-12-01"
            )
    if op == "clear":
        if existing is None:
            assert not plan.changed and plan.message == f"unchanged: {NOTE}"
            return
        lines.remove(existing)
    elif fm_end is None:
        lines = ["---", *added, "---", *lines]
    else:
        lines[fm_end:fm_end] = added
    _, result = apply_plan(plan, Writer(vault_root))
    assert result.status == "written"
    assert (vault_root / NOTE).read_bytes() == note.expect(lines)


# --------------------------------------------------------------------------- examples


PERSON = (
    "---\nstage: lukewarm\naliases: [Countess]\n---\nNotes.\n\n## Log\n- 2026-01-05 call: hello\n"
)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    for rel, text in {
        NOTE: PERSON,
        "People/Adam Smith.md": "---\nstage: cold\n---\n",
        "People/Zoë Brandt.md": "---\naliases: [Zo]\n---\n",
        "Companies/Northwind Labs.md": "A company.\n",
    }.items():
        write_note(tmp_path, rel, text.encode())
    return tmp_path


def test_find_one_names_aliases_ambiguity(vault: Path) -> None:
    v = load(vault)
    assert find_one(v, "countess").path == NOTE
    assert find_one(v, "zoe").path == "People/Zoë Brandt.md"
    with pytest.raises(AmbiguousContact) as amb:
        find_one(v, "ada")
    assert {c.path for c in amb.value.candidates} == {NOTE, "People/Adam Smith.md"}
    with pytest.raises(NoSuchContact) as none:
        find_one(v, "Ada Lovelase")
    assert "Ada Lovelace" in none.value.suggestions


def test_log_entry_and_move_line() -> None:
    assert log_entry("  coffee: cake ", TODAY, "give") == "- 2026-11-20 coffee: cake #give"
    assert log_entry("coffee: cake #Give", TODAY, "give") == "- 2026-11-20 coffee: cake #Give"
    assert log_entry("see #giveaway", TODAY, "give") == "- 2026-11-20 see #giveaway #give"
    assert move_line("cold", "buddy", TODAY) == "- 2026-11-20 stage: cold → buddy"
    for bad in ("", "   ", "two\nlines", "stage: cold -> buddy", "Ring: a → b"):
        with pytest.raises(BadArgument):
            log_entry(bad, TODAY)


@pytest.mark.parametrize("text", ["2026-11-20", " 2026-02-28 "])
def test_parse_day_ok(text: str) -> None:
    assert parse_day(text) == date.fromisoformat(text.strip())


@pytest.mark.parametrize("text", ["20261120", "2026-11-31", "2026-W47-5", "tomorrow", "2026-1-2"])
def test_parse_day_refuses(text: str) -> None:
    with pytest.raises(BadArgument):
        parse_day(text)


def test_move_from_no_stage_assumes_outermost_ring(vault: Path) -> None:
    config = load_config(vault)
    zoe = load(vault).by_path["People/Zoë Brandt.md"]
    plan = plan_move(config, zoe, Writer(vault), "cold", day=TODAY)
    assert plan.new == b"---\naliases: [Zo]\nstage: cold\n---\n"  # no move line: cold → cold
    plan = plan_move(config, zoe, Writer(vault), "Buddy", day=date(2026, 1, 2))
    assert plan.new == (
        b"---\naliases: [Zo]\nstage: buddy\n---\n\n## Log\n- 2026-01-02 stage: cold \xe2\x86\x92 buddy\n"
    )


def test_move_reads_the_note_not_the_index(vault: Path) -> None:
    """The old ring comes from the bytes read, so a stale index cannot record a wrong move."""
    config = load_config(vault)
    ada = load(vault).by_path[NOTE]
    (vault / NOTE).write_text(PERSON.replace("lukewarm", "strategic"))
    plan = plan_move(config, ada, Writer(vault), "buddy", day=TODAY)
    assert b"stage: strategic \xe2\x86\x92 buddy" in plan.new


def test_conflict_is_retried_once_on_the_new_bytes(vault: Path) -> None:
    config = load_config(vault)
    ada = load(vault).by_path[NOTE]
    plan = plan_log(config, ada, Writer(vault), "coffee: cake", day=TODAY)
    # The user saves between kith's read and its write.
    (vault / NOTE).write_text(PERSON + "- 2026-02-01 email: sent the notes\n")
    applied, result = apply_plan(plan, Writer(vault))
    assert result.status == "written"
    assert applied.old != plan.old
    assert (
        (vault / NOTE)
        .read_text()
        .endswith(
            "- 2026-01-05 call: hello\n- 2026-02-01 email: sent the notes\n- 2026-11-20 coffee: cake\n"
        )
    )


def test_second_conflict_is_a_clear_error(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(vault)
    ada = load(vault).by_path[NOTE]
    stale = (vault / NOTE).read_bytes()
    plan = plan_log(config, ada, Writer(vault), "coffee: cake", day=TODAY)
    changed = PERSON.replace("Notes.", "Notes, edited.").encode()
    (vault / NOTE).write_bytes(changed)
    monkeypatch.setattr(Writer, "read", lambda self, rel: stale)  # every re-read is stale too
    with pytest.raises(CaptureError, match="changed while kith was editing it; nothing written"):
        apply_plan(plan, Writer(vault))
    assert (vault / NOTE).read_bytes() == changed


def test_conflict_on_a_new_note_is_not_overwritten(vault: Path) -> None:
    v = load(vault)
    idx_paths = list(v.by_path) + ["Companies/Northwind Labs.md"]
    plan = plan_new(v, idx_paths, Writer(vault), NewContact("Grace Hopper"), today=TODAY, now=NOW)
    (vault / "People/Grace Hopper.md").write_text("mine\n")
    with pytest.raises(CaptureError, match="appeared while kith was creating it"):
        apply_plan(plan, Writer(vault))
    assert (vault / "People/Grace Hopper.md").read_text() == "mine\n"


def test_symlinked_note_is_refused(vault: Path) -> None:
    config = load_config(vault)
    ada = load(vault).by_path[NOTE]
    outside = vault.parent / f"{vault.name}-outside.md"
    outside.write_text(PERSON)
    (vault / NOTE).unlink()
    os.symlink(outside, vault / NOTE)
    with pytest.raises(WriteRefused, match="symlink"):
        plan_log(config, ada, Writer(vault), "coffee: cake", day=TODAY)
    assert outside.read_text() == PERSON


def test_unclosed_front_matter_is_refused_with_path_and_line(vault: Path) -> None:
    config = load_config(vault)
    ada = load(vault).by_path[NOTE]
    (vault / NOTE).write_text("---\nstage: cold\nNotes.\n")
    for make in (
        lambda: plan_log(config, ada, Writer(vault), "coffee: cake", day=TODAY),
        lambda: plan_archive(config, ada, Writer(vault)),
        lambda: plan_move(config, ada, Writer(vault), "buddy", day=TODAY),
    ):
        with pytest.raises(CaptureError, match=rf"^{NOTE}:1: front matter .* never closed"):
            make()


def test_follow_up_clear_removes_every_spelling(vault: Path) -> None:
    config = load_config(vault)
    (vault / NOTE).write_text(
        "---\nfollow-up: 2026-12-01\nstage: cold\nFollow_Up_Note: call\n---\n"
    )
    ada = load(vault).by_path[NOTE]
    plan = plan_follow_up(config, ada, Writer(vault), None, clear=True)
    assert plan.new == b"---\nstage: cold\n---\n"
    with pytest.raises(BadArgument):
        plan_follow_up(config, ada, Writer(vault), None)


def test_diff_plan_shows_the_change_and_missing_final_newline() -> None:
    plan = EditPlan("People/A.md", b"---\na: 1\n---\nx", b"---\na: 2\n---\nx\n- y", "m")
    diff = diff_plan(plan)
    assert diff.startswith("--- a/People/A.md\n+++ b/People/A.md\n")
    assert "-a: 1\n+a: 2\n" in diff
    assert "-x\n\\ No newline at end of file\n+x\n+- y\n\\ No newline at end of file\n" in diff
    assert diff_plan(EditPlan("p.md", b"same", b"same", "unchanged")) == ""
    new = diff_plan(EditPlan("p.md", None, b"a\n", "new"))
    assert new.startswith("--- /dev/null\n+++ b/p.md\n") and "+a\n" in new


# --------------------------------------------------------------------------- new


def new_plan(root: Path, request: NewContact, today: date = TODAY) -> EditPlan:
    idx = build_index(load_config(root), save=False)
    return plan_new(idx.vault(), idx.records, Writer(root), request, today=today, now=NOW)


def test_new_default_note_in_canonical_style(vault: Path) -> None:
    plan = new_plan(vault, NewContact(
        "Grace  Hopper", ring="Strategic", company="northwind labs", role="Rear Admiral",
        email="grace@navy.example", phone="0151 0000 4417", linkedin="https://example.com/in/grace",
        tags=("#navy", "cobol", "navy"), birthday="1906-12-09"))  # fmt: skip
    assert plan.path == "People/Grace Hopper.md" and plan.old is None
    assert plan.new.decode() == (
        "---\nstage: strategic\ncreated: 2026-11-20\n"
        'company: "[[Northwind Labs]]"\nrole: Rear Admiral\nemail: grace@navy.example\n'
        'phone: "0151 0000 4417"\nlinkedin: https://example.com/in/grace\n'
        "tags:\n  - navy\n  - cobol\nbirthday: 1906-12-09\n---\n\n## Log\n"
    )
    _, result = apply_plan(plan, Writer(vault))
    assert result.status == "created"
    c = load(vault).by_path["People/Grace Hopper.md"]
    assert (c.ring, c.company, c.phone, c.tags) == ("strategic", "Northwind Labs", "0151 0000 4417",
                                                    ("cobol", "navy"))  # fmt: skip


def test_new_safe_file_name_keeps_the_name(vault: Path) -> None:
    plan = new_plan(
        vault, NewContact("Dr. Who: Time/Lord", company="Gallifrey", birthday="--11-23")
    )
    assert plan.path == "People/Dr. Who Time Lord.md"
    text = plan.new.decode()
    assert text.startswith('---\nname: "Dr. Who: Time/Lord"\nstage: cold\n')
    assert 'company: Gallifrey\nbirthday: "--11-23"\n' in text


def test_new_nfc_name(vault: Path) -> None:
    plan = new_plan(vault, NewContact("Jose\u0301 A\u0301lvarez"))
    assert plan.path == "People/José Álvarez.md"
    assert plan.new.startswith(b"---\nstage: cold\n")  # no name: property, the file name is NFC
    assert new_plan(vault, NewContact("Grace Hopper.md")).path == "People/Grace Hopper.md"


@pytest.mark.parametrize("name", ["CON", "nul.txt", "   ", "[[]]", ".."])
def test_new_refuses_impossible_file_names(vault: Path, name: str) -> None:
    from vaultlib.errors import UnsafePath

    with pytest.raises((UnsafePath, BadArgument)):
        new_plan(vault, NewContact(name))


@pytest.mark.parametrize(
    ("name", "existing"),
    [
        ("ada LOVELACE", NOTE),  # the name, case-insensitively
        ("countess", NOTE),  # an alias
        ("Zoe Brandt", "People/Zoë Brandt.md"),  # accents ignored
        ("northwind labs", "Companies/Northwind Labs.md"),  # a note's file name
    ],
)
def test_new_refuses_duplicates(vault: Path, name: str, existing: str) -> None:
    with pytest.raises(DuplicateContact) as e:
        new_plan(vault, NewContact(name))
    assert e.value.existing == existing and existing in str(e.value)


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        (NewContact("X", ring="warm"), "--ring"),
        (NewContact("X", birthday="next tues"), "--birthday"),
        (NewContact("X", tags=("two words",)), "--tag"),
        (NewContact("X", email="a\nb"), "--email"),
        (NewContact("X", folder="Reports"), "--folder"),
        (NewContact("X", folder=".obsidian"), "--folder"),
    ],
)
def test_new_refuses_bad_arguments(vault: Path, request_: NewContact, param: str) -> None:
    with pytest.raises(BadArgument) as e:
        new_plan(vault, request_)
    assert e.value.param == param


def test_new_outside_people_folder_is_marked_a_person(vault: Path) -> None:
    plan = new_plan(vault, NewContact("Grace Hopper", folder="Mentoring/"))
    assert plan.path == "Mentoring/Grace Hopper.md"
    assert b"\ntype: person\n---\n" in plan.new
    apply_plan(plan, Writer(vault))
    assert "Mentoring/Grace Hopper.md" in load(vault).by_path


def test_new_refuses_traversal(vault: Path) -> None:
    from vaultlib.errors import UnsafePath

    with pytest.raises(UnsafePath):
        new_plan(vault, NewContact("X", folder="../elsewhere"))
    assert new_plan(vault, NewContact("../../etc/passwd")).path == "People/etc passwd.md"


TEMPLATE = (
    '\ufeff---\r\nstage: cold\r\ncompany: ""\r\ntags: [person]\r\ncreated: "{{date}}"\r\n---\r\n'
    "# {{title}}\r\nAdded {{date:dddd, Do MMMM YYYY}} at {{time}}; <% tp.file.title %> {{ unknown }}\r\n"
    "## Log\r\n- {{date}} note: added"
)


def test_new_from_template(vault: Path) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "Templates/Person"\n')
    write_note(vault, "Templates/Person.md", TEMPLATE.encode())
    plan = new_plan(vault, NewContact("Grace Hopper", ring="buddy", company="Navy", tags=("navy",)))
    assert plan.new.decode("utf-8") == (
        "\ufeff---\r\nstage: buddy\r\ncompany: Navy\r\ntags:\r\n  - person\r\n  - navy\r\n"
        'created: "2026-11-20"\r\n---\r\n'
        "# Grace Hopper\r\nAdded Friday, 20th November 2026 at 09:05; <% tp.file.title %> {{ unknown }}\r\n"
        "## Log\r\n- 2026-11-20 note: added"
    )
    assert plan.warnings == ()


def test_new_with_missing_template_warns_and_uses_default(vault: Path) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "Templates/Person.md"\n')
    plan = new_plan(vault, NewContact("Grace Hopper"))
    assert plan.new.startswith(b"---\nstage: cold\ncreated: 2026-11-20\n---\n")
    assert plan.warnings == (
        "person template Templates/Person.md not found; created the default note",
    )


def test_new_with_broken_template_names_the_template(vault: Path) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "Templates/Person.md"\n')
    write_note(vault, "Templates/Person.md", b"---\nstage: cold\n")
    with pytest.raises(CaptureError, match=r"^Templates/Person.md:1: front matter"):
        new_plan(vault, NewContact("Grace Hopper", ring="buddy"))


def test_render_template_variables() -> None:
    text = "{{title}} {{date}} {{time}} {{DATE:YY/M/D}} {{date:[Week of] MMM D, h:mm a}} <% {{date}} %>"
    assert render_template(text, "T", date(2026, 3, 1), time(13, 7)) == (
        "T 2026-03-01 13:07 26/3/1 Week of Mar 1, 1:07 pm <% {{date}} %>"
    )
    assert format_moment("YYYY-MM-DD HH:mm:ss A ddd", date(2026, 1, 2), time(0, 5, 9)) == (
        "2026-01-02 00:05:09 AM Fri"
    )
    assert [format_moment("Do", date(2026, 1, d)) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]  # fmt: skip


def test_complete_names_prefix_folded(vault: Path) -> None:
    contacts = load(vault).contacts
    assert complete_names(contacts, "ad") == [
        ("Ada Lovelace", NOTE),
        ("Adam Smith", "People/Adam Smith.md"),
    ]
    assert complete_names(contacts, "ZO") == [("Zoë Brandt", "People/Zoë Brandt.md"),
                                              ("Zo", "alias of Zoë Brandt")]  # fmt: skip
    assert complete_names(contacts, "coun") == [("Countess", "alias of Ada Lovelace")]
    assert complete_names(contacts, "nobody") == []


@pytest.mark.parametrize(
    "log", ["", "\n## Log\n- 2026-11-25 call: planned\n- 2026-01-05 call: hello\n"]
)
def test_watcher_does_not_record_a_kith_move_again(vault: Path, log: str) -> None:
    """The contract with the watcher: after `kith move`, the note's newest move line is old → new."""
    moves = pytest.importorskip("vaultlib.moves")
    from vaultlib.parse import NoteParser

    (vault / NOTE).write_text("---\nstage: lukewarm\n---\nText.\n" + log)
    config = load_config(vault)
    idx = build_index(config, save=False)
    before = {NOTE: moves.ring_of(idx.records[NOTE])}
    plan = plan_move(config, idx.vault().by_path[NOTE], Writer(vault), "buddy", day=TODAY)
    apply_plan(plan, Writer(vault))
    rec = NoteParser(config).parse(NOTE, (vault / NOTE).read_bytes())
    changes = moves.find_stage_changes(before, lambda p: moves.ring_of(rec), [NOTE])
    assert [(c.old, c.new) for c in changes] == [("lukewarm", "buddy")]
    assert moves.already_recorded(rec, "lukewarm", "buddy")
    assert moves.move_line("lukewarm", "buddy", TODAY) == move_line("lukewarm", "buddy", TODAY)
