"""Capture from the shell: the edits behind `kith new`, `log`, `move`, `follow-up` and `archive`.

This module owns deciding what a capture command changes in one note. Each
`plan_*` function reads the note through the writer, computes the new text with
the surgical editor (`edit.set_field`, `remove_field`, `add_log_line`) and
returns an `EditPlan`: the caller shows it as a unified diff (`diff_plan`,
for `--dry-run`) or applies it (`apply_plan`: a compare-and-swap write that, if
the note changed in the meantime, re-reads it and recomputes the edit once).
It also owns the person template for `kith new` (Obsidian's core `{{title}}`,
`{{date}}`, `{{time}}` variables), the checks that keep `kith new` from
creating a second note for someone, and the names offered to shell completion.
It never parses and re-serialises YAML (only whole lines the editor splices
change), never reads the clock (today and the time of day come from the
caller), never imports click, and writes only through `write.Writer`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Protocol

from .config import Config
from .dates import parse_birthday
from .edit import EditError, add_log_line, remove_field, set_field
from .errors import Conflict, KithError
from .frontmatter import read_front_matter
from .model import ERROR, Contact
from .names import find_contact, fold
from .paths import casefold_key, check_relpath, safe_note_name
from .scan import folder_ok
from .textutil import decode_note, encode_note, split_lines, strip_eol
from .vault import Vault
from .write import UNCHANGED, Writer, WriteResult

__all__ = [
    "ARROW",
    "AmbiguousContact",
    "BadArgument",
    "CaptureError",
    "DuplicateContact",
    "EditPlan",
    "NewContact",
    "NoSuchContact",
    "apply_plan",
    "check_ring",
    "complete_names",
    "diff_plan",
    "find_one",
    "format_moment",
    "log_entry",
    "move_line",
    "parse_day",
    "plan_archive",
    "plan_follow_up",
    "plan_log",
    "plan_move",
    "plan_new",
    "render_template",
]

ARROW = "→"
DEFAULT_BODY = "\n## Log\n"


# --------------------------------------------------------------------------- errors


class CaptureError(KithError):
    """A capture command cannot do what was asked; nothing was written."""


class BadArgument(CaptureError):
    """An argument the user typed is not usable (a usage error: exit 2); `param` names it."""

    def __init__(self, message: str, *, param: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.param = param


class NoSuchContact(CaptureError):
    """No contact matches the query; `suggestions` are the closest names."""

    def __init__(self, query: str, suggestions: Sequence[str]) -> None:
        super().__init__(f"no contact matches '{query}'")
        self.query = query
        self.suggestions = tuple(suggestions)


class AmbiguousContact(CaptureError):
    """More than one contact matches the query; `candidates` lists them."""

    def __init__(self, query: str, candidates: Sequence[Contact]) -> None:
        super().__init__(f"'{query}' matches {len(candidates)} contacts")
        self.query = query
        self.candidates = tuple(candidates)


class DuplicateContact(CaptureError):
    """`kith new` refused: the name, an alias or the file name is taken by `existing`."""

    def __init__(self, message: str, *, existing: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.existing = existing


# --------------------------------------------------------------------------- plans


class Reader(Protocol):
    def read(self, rel: str) -> bytes | None: ...


@dataclass(frozen=True)
class EditPlan:
    """What one capture command would do to one note.

    `old` is the bytes read (None: the note is to be created), `new` the bytes
    to write; `new == old` means there is nothing to do, and `message` then says
    why (`unchanged: PATH`, `already in RING; nothing to do`). `redo` recomputes
    the same edit on other bytes (used once by `apply_plan` after a conflict);
    `warnings` are things worth telling the user that did not stop the command.
    """

    path: str
    old: bytes | None
    new: bytes
    message: str
    redo: Callable[[bytes | None], EditPlan] | None = field(default=None, compare=False, repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.new != self.old


def _decode(path: str, data: bytes) -> tuple[str, bool]:
    try:
        return decode_note(data)
    except UnicodeDecodeError as e:
        raise CaptureError(
            f"{path}: is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "nothing written",
            hint="re-save the note as UTF-8 in your editor",
        ) from None


def _edit_failed(path: str, e: EditError) -> CaptureError:
    where = f"{path}:{e.line}" if e.line is not None else path
    return CaptureError(
        f"{where}: {e.message}; nothing written", hint="fix the note by hand, then run kith again"
    )


# An edit of a note's text: text -> (new text, message). It must be a pure
# function of the text, so it can be applied again to a note that changed.
TextEdit = Callable[[str], tuple[str, str]]


def _plan_edit(path: str, data: bytes | None, edit: TextEdit) -> EditPlan:
    if data is None:
        raise CaptureError(f"{path} no longer exists; nothing written")
    text, bom = _decode(path, data)
    try:
        new_text, message = edit(text)
    except EditError as e:
        raise _edit_failed(path, e) from None
    new = data if new_text == text else encode_note(new_text, bom)
    return EditPlan(path, data, new, message, redo=lambda current: _plan_edit(path, current, edit))


def _plan_for(contact: Contact, reader: Reader, edit: TextEdit) -> EditPlan:
    return _plan_edit(contact.path, reader.read(contact.path), edit)


def apply_plan(plan: EditPlan, writer: Writer) -> tuple[EditPlan, WriteResult]:
    """Write `plan` with `expected=plan.old`; returns the plan applied and the write result.

    Nothing is written when the plan changes nothing. When the note changed
    between reading and writing (`Conflict`), it is read again, the edit is
    recomputed on the new bytes and written once more; a second conflict, or a
    conflict while creating a note, raises CaptureError and nothing is written.
    The retry goes through a fresh Writer (a Writer writes each path at most
    once per run); what it wrote is added to `writer.written`.
    """
    if not plan.changed:
        return plan, WriteResult(plan.path, UNCHANGED)
    try:
        return plan, writer.write(plan.path, plan.new, expected=plan.old)
    except Conflict:
        if plan.redo is None:
            raise CaptureError(
                f"{plan.path} appeared while kith was creating it; nothing written",
                hint="look at the note that is there now; run the command again to retry",
            ) from None
    retry = Writer(writer.root, dry_run=writer.dry_run)
    again = plan.redo(retry.read(plan.path))
    if not again.changed:
        return again, WriteResult(again.path, UNCHANGED)
    try:
        result = retry.write(again.path, again.new, expected=again.old)
    except Conflict:
        raise CaptureError(
            f"{plan.path} changed while kith was editing it; nothing written",
            hint="wait until the note is saved (or synced), then run the command again",
        ) from None
    writer.written.update(retry.written)
    return again, result


_NO_EOL = "\x00"


def _diff_lines(text: str) -> list[str]:
    out = []
    for line in split_lines(text):
        content = strip_eol(line)
        out.append(content if content != line else content + _NO_EOL)
    return out


def diff_plan(plan: EditPlan) -> str:
    """A unified diff of the plan (`--- a/PATH`, `+++ b/PATH`; `/dev/null` for a new note).

    Line endings are not shown; a last line without one is marked like git does
    (`\\ No newline at end of file`). Empty when the plan changes nothing.
    """
    if not plan.changed:
        return ""
    old = "" if plan.old is None else _decode(plan.path, plan.old)[0]
    new = _decode(plan.path, plan.new)[0]
    fromfile = "/dev/null" if plan.old is None else f"a/{plan.path}"
    out = []
    for line in difflib.unified_diff(
        _diff_lines(old), _diff_lines(new), fromfile, f"b/{plan.path}", lineterm=""
    ):
        if line.endswith(_NO_EOL):
            out.append(line[:-1])
            out.append("\\ No newline at end of file")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- arguments

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: str, param: str = "DATE") -> date:
    """A `YYYY-MM-DD` date, or BadArgument (other ISO forms such as `20261120` are refused)."""
    text = value.strip()
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise BadArgument(f"'{value}' is not a date; use YYYY-MM-DD", param=param)


def check_ring(config: Config, ring: str, param: str = "RING") -> str:
    """The ring named `ring` (case-insensitive), or BadArgument listing the rings."""
    r = ring.strip().casefold()
    if r not in config.rings:
        raise BadArgument(
            f"'{ring}' is not a ring; use one of: {', '.join(config.rings)}", param=param
        )
    return r


def _one_line(value: str, param: str, *, allow_empty: bool = False) -> str:
    if re.search(r"[\r\n\u2028\u2029\x85]", value):
        raise BadArgument(f"{param} must be a single line", param=param)
    text = value.strip()
    if not text and not allow_empty:
        raise BadArgument(f"{param} must not be empty", param=param)
    return text


def find_one(vault: Vault, query: str) -> Contact:
    """The one contact `query` names (see names.find_contact), or NoSuchContact/AmbiguousContact."""
    m = find_contact(vault.contacts, query)
    if m.contact is not None:
        return m.contact
    if m.candidates:
        raise AmbiguousContact(query, m.candidates)
    raise NoSuchContact(query, m.suggestions)


# --------------------------------------------------------------------------- front matter


def _front_matter(path: str, text: str) -> dict[str, Any]:
    """The note's properties; CaptureError when they cannot be read (nothing is then edited)."""
    fm = read_front_matter(text, path)
    errors = [p for p in fm.problems if p.severity == ERROR]
    if errors:
        p = errors[0]
        raise CaptureError(f"{p.location()}: {p.message}; nothing written", hint=p.hint)
    return fm.data or {}


def _keys_for(config: Config, fm: dict[str, Any], kith_field: str) -> list[str]:
    """The note's keys that mean `kith_field`: its exact spelling, other cases, then aliases."""
    keys = [k for k in fm if config.field_for(k) == kith_field]
    return sorted(keys, key=lambda k: (k != kith_field, k.casefold() != kith_field))


def _key_for(config: Config, fm: dict[str, Any], kith_field: str) -> str:
    """The key to write `kith_field` under: kith's name unless the note spells it otherwise.

    A note that already writes the field as `ring:`, `Phone Number:` or a
    `[fields]` alias keeps that key; with kith's own name in any case, the
    editor finds it (exact spelling first, then case-insensitively).
    """
    keys = _keys_for(config, fm, kith_field)
    if not keys or any(k.casefold() == kith_field for k in keys):
        return kith_field
    return keys[0]


def _ring_of(config: Config, fm: dict[str, Any]) -> str | None:
    keys = _keys_for(config, fm, "stage")
    if not keys:
        return None
    value = fm[keys[0]]
    if isinstance(value, str | int) and not isinstance(value, bool):
        r = str(value).strip().casefold()
        return r if r in config.rings else None
    return None


def _set(config: Config, path: str, text: str, kith_field: str, value: object) -> str:
    return set_field(text, _key_for(config, _front_matter(path, text), kith_field), value)


# --------------------------------------------------------------------------- log


_MOVE_TEXT = re.compile(r"(?:stage|ring)\s*:\s*.+?\s*(?:→|->|=>)", re.IGNORECASE)
_HAS_TAG = "(?<![\\w#/&])#{}(?![\\w/-])"


def log_entry(text: str, day: date, direction: str | None = None) -> str:
    """The log line `- YYYY-MM-DD text` (+ ` #give` / ` #ask` unless the text has that tag).

    BadArgument for an empty or multi-line text, and for a stage-move text
    (`stage: a → b`): moves go through `kith move`, which also sets `stage:`.
    """
    body = _one_line(text, "TEXT")
    if _MOVE_TEXT.match(body):
        raise BadArgument(
            "a stage move is not a log entry", param="TEXT", hint="use `kith move NAME RING`"
        )
    if direction not in (None, "give", "ask"):
        raise ValueError(f"direction must be 'give' or 'ask', not {direction!r}")
    if direction and not re.search(_HAS_TAG.format(direction), body, re.IGNORECASE):
        body += f" #{direction}"
    return f"- {day.isoformat()} {body}"


def _headings(config: Config) -> tuple[str, ...]:
    return config.log_headings or ("Log",)


def plan_log(
    config: Config,
    contact: Contact,
    reader: Reader,
    text: str,
    *,
    day: date,
    direction: str | None = None,
) -> EditPlan:
    """Add `log_entry(text, day, direction)` to the contact's log (see edit.add_log_line).

    The line goes where the log's own order puts it: after the last line dated
    on or before `day` in an oldest-first log (the default), before the first
    such line in a newest-first one; a missing log section is added at the end
    of the note as `## <first log heading>`.
    """
    entry = log_entry(text, day, direction)

    def edit(t: str) -> tuple[str, str]:
        return add_log_line(t, _headings(config), entry, day), entry

    return _plan_for(contact, reader, edit)


# --------------------------------------------------------------------------- move


def move_line(old: str, new: str, day: date) -> str:
    """The log line for a move: `- YYYY-MM-DD stage: old → new` (the watcher looks for it)."""
    return f"- {day.isoformat()} stage: {old} {ARROW} {new}"


def plan_move(
    config: Config, contact: Contact, reader: Reader, ring: str, *, day: date
) -> EditPlan:
    """Set `stage:` to `ring` and add the move line, in one edit.

    The current ring is read from the note itself (not the index). Already in
    `ring`: nothing changes ("already in RING; nothing to do"), so the same
    move applied twice is recorded once. A contact without a valid stage moves
    from the outermost ring; when that is `ring` itself, only `stage:` is set.
    """
    target = check_ring(config, ring)
    path = contact.path

    def edit(t: str) -> tuple[str, str]:
        fm = _front_matter(path, t)
        current = _ring_of(config, fm)
        if current == target:
            return t, f"already in {target}; nothing to do"
        new = set_field(t, _key_for(config, fm, "stage"), target)
        old = current or config.rings[0]
        if old == target:
            return new, f"stage: {target} (no move: without a stage, {old} is assumed)"
        new = add_log_line(new, _headings(config), move_line(old, target, day), day)
        return new, f"stage: {old} {ARROW} {target}"

    return _plan_for(contact, reader, edit)


# --------------------------------------------------------------------------- follow-up, archive


def plan_follow_up(
    config: Config,
    contact: Contact,
    reader: Reader,
    when: date | None,
    note: str | None = None,
    *,
    clear: bool = False,
) -> EditPlan:
    """Set `follow_up: when` (and `follow_up_note` when `note` is given), or with `clear`
    remove every key that means follow_up or follow_up_note. Without a note, an
    existing `follow_up_note` is left as it is."""
    path = contact.path
    if clear:
        if when is not None or note is not None:
            raise BadArgument("--clear takes no DATE or NOTE", param="--clear")

        def clear_edit(t: str) -> tuple[str, str]:
            fm = _front_matter(path, t)
            new = t
            for f in ("follow_up", "follow_up_note"):
                for key in _keys_for(config, fm, f):
                    new = remove_field(new, key)
            return new, "follow-up cleared" if new != t else f"unchanged: {path}"

        return _plan_for(contact, reader, clear_edit)
    if when is None:
        raise BadArgument("a follow-up needs a DATE (or --clear)", param="DATE")
    text_note = None if note is None else _one_line(note, "NOTE")

    def edit(t: str) -> tuple[str, str]:
        new = _set(config, path, t, "follow_up", when)
        if text_note is not None:
            new = _set(config, path, new, "follow_up_note", text_note)
        what = f"follow-up {when.isoformat()}" + (f": {text_note}" if text_note else "")
        return new, what if new != t else f"unchanged: {path}"

    return _plan_for(contact, reader, edit)


def plan_archive(config: Config, contact: Contact, reader: Reader) -> EditPlan:
    """Set `archived: true` (archived people are left out of every list and report)."""
    path = contact.path

    def edit(t: str) -> tuple[str, str]:
        new = _set(config, path, t, "archived", True)
        return new, "archived" if new != t else f"unchanged: {path}"

    return _plan_for(contact, reader, edit)


# --------------------------------------------------------------------------- templates

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _moment_tokens(d: date, t: time) -> list[tuple[str, str]]:
    h12 = t.hour % 12 or 12
    return [
        ("YYYY", f"{d.year:04d}"),
        ("YY", f"{d.year % 100:02d}"),
        ("MMMM", _MONTHS[d.month - 1]),
        ("MMM", _MONTHS[d.month - 1][:3]),
        ("MM", f"{d.month:02d}"),
        ("M", str(d.month)),
        ("Do", _ordinal(d.day)),
        ("DD", f"{d.day:02d}"),
        ("D", str(d.day)),
        ("dddd", _WEEKDAYS[d.weekday()]),
        ("ddd", _WEEKDAYS[d.weekday()][:3]),
        ("HH", f"{t.hour:02d}"),
        ("H", str(t.hour)),
        ("hh", f"{h12:02d}"),
        ("h", str(h12)),
        ("mm", f"{t.minute:02d}"),
        ("m", str(t.minute)),
        ("ss", f"{t.second:02d}"),
        ("s", str(t.second)),
        ("A", "AM" if t.hour < 12 else "PM"),
        ("a", "am" if t.hour < 12 else "pm"),
    ]


def format_moment(fmt: str, d: date, t: time = time(0, 0)) -> str:
    """Format a date (and time) with moment.js tokens, as Obsidian's templates do.

    Tokens: YYYY YY MMMM MMM MM M Do DD D dddd ddd HH H hh h mm m ss s A a;
    `[text]` is literal; every other character is copied.
    """
    tokens = _moment_tokens(d, t)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "[":
            j = fmt.find("]", i)
            j = len(fmt) if j == -1 else j
            out.append(fmt[i + 1 : j])
            i = j + 1
            continue
        for token, value in tokens:
            if fmt.startswith(token, i):
                out.append(value)
                i += len(token)
                break
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


_TEMPLATER = re.compile(r"<%[\s\S]*?%>")
_VARIABLE = re.compile(r"\{\{\s*(title|date|time)\s*(?::([^}]*?))?\s*\}\}", re.IGNORECASE)


def render_template(text: str, title: str, today: date, now: time) -> str:
    """Substitute Obsidian's core template variables; Templater `<% … %>` blocks are left alone.

    `{{title}}` is the new note's name; `{{date}}` is `today` as YYYY-MM-DD and
    `{{time}}` is `now` as HH:mm; `{{date:FORMAT}}` and `{{time:FORMAT}}` use
    moment.js tokens (see format_moment). Unknown `{{…}}` text is kept.
    """

    def variable(m: re.Match[str]) -> str:
        name, fmt = m.group(1).casefold(), m.group(2)
        if name == "title":
            return title
        if fmt is not None and fmt.strip():
            return format_moment(fmt.strip(), today, now)
        return today.isoformat() if name == "date" else f"{now.hour:02d}:{now.minute:02d}"

    out: list[str] = []
    pos = 0
    for m in _TEMPLATER.finditer(text):
        out.append(_VARIABLE.sub(variable, text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_VARIABLE.sub(variable, text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- new


@dataclass(frozen=True)
class NewContact:
    """What `kith new` was asked to create. Strings are as typed; `plan_new` checks them."""

    name: str
    ring: str | None = None
    company: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    linkedin: str | None = None
    tags: tuple[str, ...] = ()
    birthday: str | None = None
    folder: str | None = None


_TAG_RE = re.compile(r"[^\s#,\[\]{}\"'|`^*!?<>:;=\\]+")


def _basename(path: str) -> str:
    stem = path[:-3] if path.endswith(".md") else path
    return stem.rsplit("/", 1)[-1]


def _check_tag(tag: str) -> str:
    t = tag.strip().lstrip("#")
    if not _TAG_RE.fullmatch(t) or t.replace("/", "").isdigit():
        raise BadArgument(
            f"'{tag}' is not a tag",
            param="--tag",
            hint="a tag is one word: letters, digits, _ - and / (not only digits)",
        )
    return t


def _birthday_value(value: str) -> object:
    b = parse_birthday(value.strip())
    if b is None:
        raise BadArgument(
            f"birthday '{value}' is not a date",
            param="--birthday",
            hint="use YYYY-MM-DD, or --MM-DD when you don't know the year",
        )
    if b.year is not None:
        return date(b.year, b.month, b.day)
    return b.isoformat()  # `--MM-DD`, written quoted


def _target_folder(config: Config, folder: str | None) -> str:
    if folder is None:
        folder = config.people_folders[0] if config.people_folders else ""
    f = folder.strip().replace("\\", "/").strip("/")
    if f in ("", "."):
        return ""
    f = check_relpath(f)
    if not folder_ok(config, f):
        raise BadArgument(
            f"kith does not read notes in '{f}'",
            param="--folder",
            hint="not in a dot-folder, the reports or templates folder, or an ignored folder",
        )
    return f


def _person_marker(config: Config, rel: str) -> tuple[str, object] | None:
    """The property that makes a note outside the people folders a person, or None inside one."""
    if any(rel.startswith(f + "/") for f in config.people_folders if f):
        return None
    if config.people_types:
        return "type", config.people_types[0]
    if config.people_tags:
        return "tags", [config.people_tags[0]]
    if config.people_categories:
        return "categories", [f"[[{config.people_categories[0]}]]"]
    raise BadArgument(
        "a note there would not be a person",
        param="--folder",
        hint="use a folder from [people] folders in kith.toml, or set [people] types or tags",
    )


def _check_unique(vault: Vault, note_paths: Iterable[str], name: str, stem: str) -> None:
    key = fold(name)
    for c in vault.contacts:
        if fold(c.name) == key:
            raise DuplicateContact(
                f"'{name}' already exists: {c.path}",
                existing=c.path,
                hint=f'add to that note, e.g. `kith log "{c.name}" "note: ..."`',
            )
        for a in c.aliases:
            if fold(a) == key:
                raise DuplicateContact(
                    f"'{name}' is already an alias of {c.name}: {c.path}",
                    existing=c.path,
                    hint="use a fuller name if this is someone else",
                )
    base = casefold_key(stem)
    for p in sorted(note_paths):
        if casefold_key(_basename(p)) == base:
            raise DuplicateContact(
                f"a note named '{_basename(p)}' already exists: {p}",
                existing=p,
                hint="Obsidian links notes by file name; choose a name no other note has",
            )


def _company_value(note_paths: Iterable[str], company: str) -> str:
    c = _one_line(company, "--company")
    inner = c[2:-2].strip() if c.startswith("[[") and c.endswith("]]") else c
    matches = sorted({_basename(p) for p in note_paths
                      if casefold_key(_basename(p)) == casefold_key(inner)})  # fmt: skip
    if not matches:
        return inner
    return f"[[{matches[0] if len(matches) == 1 else inner}]]"


def _fields(request: NewContact, note_paths: list[str]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    if request.company is not None:
        out.append(("company", _company_value(note_paths, request.company)))
    for key, value in (("role", request.role), ("email", request.email),
                       ("phone", request.phone), ("linkedin", request.linkedin)):  # fmt: skip
        if value is not None:
            out.append((key, _one_line(value, f"--{key}")))
    if request.tags:
        out.append(("tags", list(dict.fromkeys(_check_tag(t) for t in request.tags))))
    if request.birthday is not None:
        out.append(("birthday", _birthday_value(request.birthday)))
    return out


def _merge_tags(existing: object, new: Sequence[str]) -> list[str]:
    items = existing if isinstance(existing, list) else [] if existing in (None, "") else [existing]
    tags = [str(t).lstrip("#") for t in items if isinstance(t, str | int) and str(t).strip()]
    seen = {t.casefold() for t in tags}
    return tags + [t for t in new if t.casefold() not in seen]


def _fill(config: Config, path: str, text: str, fields: list[tuple[str, object]]) -> str:
    """Set `fields` on `text` (a template or the default note), merging tags."""
    for key, value in fields:
        fm = read_front_matter(text, path).data or {}
        written = _key_for(config, fm, key) if config.field_for(key) == key else key
        if key in ("tags", "categories") and isinstance(value, list):
            value = _merge_tags(fm.get(written), value)
        text = set_field(text, written, value)
    return text


def plan_new(
    vault: Vault,
    note_paths: Iterable[str],
    reader: Reader,
    request: NewContact,
    *,
    today: date,
    now: time,
) -> EditPlan:
    """Plan the note for a new contact at `<folder>/<safe_note_name(name)>.md`.

    `note_paths` are the vault-relative paths of every indexed note. Refused
    (DuplicateContact) when a contact already has this name or alias (compared
    ignoring case and accents) or any note has this file name (Obsidian links
    by file name). With `[people] template` configured and present, the note
    starts from it (`render_template`), then the given fields are set (tags are
    added to the template's); otherwise from a default: `stage` (the given ring,
    else the outermost), `created: today`, the given fields, and `## Log`. A
    `name:` property keeps the name as typed when the file name had to differ.
    A note created outside the people folders gets `type: person` (the first
    of `[people] types`). The plan is created with `old=None`: the writer
    refuses to replace a file that appeared in the meantime.
    """
    config = vault.config
    paths = sorted(note_paths)
    name = " ".join(unicodedata.normalize("NFC", _one_line(request.name, "NAME")).split())
    if name.casefold().endswith(".md") and len(name) > 3:
        name = name[:-3].rstrip()  # `kith new "Ada Lovelace.md"` means Ada Lovelace
    stem = safe_note_name(name)
    folder = _target_folder(config, request.folder)
    rel = f"{folder}/{stem}.md" if folder else f"{stem}.md"
    ring = check_ring(config, request.ring, "--ring") if request.ring is not None else None
    given = _fields(request, paths)
    _check_unique(vault, paths, name, stem)
    if reader.read(rel) is not None:
        raise DuplicateContact(f"{rel} already exists", existing=rel)
    marker = _person_marker(config, rel)
    head: list[tuple[str, object]] = [("name", name)] if name != stem else []
    tail: list[tuple[str, object]] = [marker] if marker else []
    warnings: list[str] = []
    template = _read_template(config, reader, warnings)
    if template is not None:
        tpl_path, data = template
        text, bom = _decode(tpl_path, data)
        text = render_template(text, stem, today, now)
        stage = [("stage", ring)] if ring else []
        fields = head + stage + given + tail
        where = tpl_path
    else:
        text, bom = "---\n---\n" + DEFAULT_BODY, False
        fields = head + [("stage", ring or config.rings[0]), ("created", today)] + given + tail
        where = rel
    try:
        text = _fill(config, rel, text, fields)
    except EditError as e:
        raise _edit_failed(where, e) from None
    return EditPlan(
        rel, None, encode_note(text, bom), f"new contact {name}", warnings=tuple(warnings)
    )


def _read_template(config: Config, reader: Reader, warnings: list[str]) -> tuple[str, bytes] | None:
    if not config.people_template:
        return None
    rel = config.people_template
    if not rel.endswith(".md"):
        rel += ".md"
    data = reader.read(rel)
    if data is None:
        warnings.append(f"person template {rel} not found; created the default note")
        return None
    return rel, data


# --------------------------------------------------------------------------- completion


def complete_names(contacts: Iterable[Contact], incomplete: str) -> list[tuple[str, str]]:
    """(value, help) for every name and alias starting with `incomplete`, ignoring case and accents.

    Names come first, then aliases (help: `alias of NAME`), each sorted; no value twice.
    """
    q = fold(incomplete)
    names: list[tuple[str, str]] = []
    aliases: list[tuple[str, str]] = []
    for c in contacts:
        if fold(c.name).startswith(q):
            names.append((c.name, c.path))
        for a in c.aliases:
            if fold(a).startswith(q):
                aliases.append((a, f"alias of {c.name}"))
    seen: set[str] = set()
    out = []
    for value, help_ in sorted(names, key=lambda x: (x[0].casefold(), x[0], x[1])) + sorted(
        aliases, key=lambda x: (x[0].casefold(), x[0], x[1])
    ):
        if value not in seen:
            seen.add(value)
            out.append((value, help_))
    return out
