"""Questions about the network: pure functions of (vault, today).

This module owns every computation the reports and commands show: a contact's
status on a given day (last contact, next due, overdue), filtered lists, and
their JSON shapes, which are a contract other tools rely on. It also owns keeping
answers without changing them: once per snapshot (`per_snapshot`), and per contact
across snapshots (`per_contact`, `ranked`, `tally`), since the vault builder keeps
the `Contact` object of everyone a change did not touch; and `same_data`, the
type-strict equality the watcher uses to tell whether a report's data changed.
It never reads or writes files and never looks at the clock.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from itertools import compress
from operator import attrgetter, is_, is_not, not_
from typing import TYPE_CHECKING, Any, TypeVar

from .model import Contact, Interaction

if TYPE_CHECKING:
    from .vault import Vault

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Status:
    contact: Contact
    cadence_days: int | None
    last_contact: date | None
    last_interaction: Interaction | None
    next_due: date | None
    overdue: bool
    days_overdue: int | None
    never_contacted: bool
    follow_up_due: bool


def cadence_for(contact: Contact, vault: Vault) -> int | None:
    if contact.cadence_days is not None:
        return contact.cadence_days
    if contact.ring is None:
        return None
    return vault.config.cadence.get(contact.ring)


def past_interactions(contact: Contact, today: date) -> list[Interaction]:
    return [i for i in contact.interactions if i.date <= today]


def contact_status(contact: Contact, vault: Vault, today: date) -> Status:
    cadence = contact.cadence_days
    if cadence is None and contact.ring is not None:
        cadence = vault.config.cadence.get(contact.ring)
    last_i = None
    for i in contact.interactions:  # newest first
        if i.date <= today:
            last_i = i
            break
    last = last_i.date if last_i is not None else None
    manual = contact.manual_last_contact
    if manual is not None and manual <= today and (last is None or manual > last):
        last = manual  # a manual date in the future is ignored
    follow_up = contact.follow_up
    follow_due = follow_up is not None and follow_up <= today
    if cadence is not None and last is None:  # the contract: overdue, with no dates to show
        return Status(
            contact, cadence, None, None, None, not contact.archived, None, True, follow_due
        )
    next_due = last + timedelta(days=cadence) if last is not None and cadence is not None else None
    if follow_up is not None and (next_due is None or follow_up < next_due):
        next_due = follow_up
    overdue = not contact.archived and next_due is not None and today > next_due
    days = (today - next_due).days if overdue and next_due is not None else None
    return Status(contact, cadence, last, last_i, next_due, overdue, days, False, follow_due)


# --- answers kept between questions ---------------------------------------------------
#
# Every question here is a pure function of (vault, today, options). A snapshot is
# immutable, and the vault builder keeps the `Contact` object of every person a change
# did not touch from one snapshot to the next, so answers can be kept without changing
# what they are: per snapshot (several reports ask the same question in one pass) and
# per contact (after one saved note, the watcher's next snapshot differs by one
# `Contact` object, and only that person's part of each answer is computed again).
# The kept answers are per thread and bounded: the last snapshot per question, and a
# few keys (options) per question.

_memo = threading.local()
KEYS_KEPT = 8  # answers kept per question (today's, and blocks' options like `days=`)


def _keep(table: dict[Any, Any], key: Any, value: Any, most: int = KEYS_KEPT) -> None:
    """Keep `value` under `key`, forgetting the least recently kept key beyond `most`
    (yesterday's answers go once the new day's are in)."""
    table.pop(key, None)
    if len(table) >= most:
        del table[next(iter(table))]
    table[key] = value


def per_snapshot(name: str, vault: Vault, key: Hashable, compute: Callable[[], T]) -> T:
    """Answer a question once per vault snapshot: a snapshot is immutable, so the answer
    (per thread, per question and key) is reused while the same snapshot is asked about.
    Several reports ask the same questions in one pass."""
    kept: dict[str, tuple[Vault, dict[Hashable, Any]]] = _memo.__dict__.setdefault("snap", {})
    last = kept.get(name)
    if last is None or last[0] is not vault:
        last = kept[name] = (vault, {})
    answers = last[1]
    if key in answers:
        return answers[key]
    value = compute()
    _keep(answers, key, value)
    return value


def contacts_by_path(vault: Vault) -> Mapping[str, Contact]:
    """Every contact (archived included) by path."""
    if len(vault.by_path) == len(vault.contacts):
        return vault.by_path
    return per_snapshot("by_path", vault, None, lambda: {c.path: c for c in vault.contacts})


def active(vault: Vault) -> list[Contact]:
    """`vault.active`, made once per snapshot (callers must not change the list)."""
    people = vault.contacts
    return per_snapshot(
        "active", vault, None, lambda: list(compress(people, map(not_, map(_archived, people))))
    )


_archived = attrgetter("archived")


def _changed(old: Vault, new: Vault) -> set[str] | None:
    """Paths whose `Contact` object differs between two snapshots (added, removed or
    rebuilt); None when nothing can be carried over (another config)."""
    if old.config is not new.config:
        return None
    last = getattr(_memo, "delta", None)
    if last is not None and last[0] is old and last[1] is new:
        return last[2]
    a, b = old.contacts, new.contacts
    if len(a) == len(b):  # most often the same people in the same places, a few rebuilt
        moved = list(compress(range(len(a)), map(is_not, a, b)))
        if all(a[i].path == b[i].path for i in moved):
            changed = {b[i].path for i in moved}
            _memo.delta = (old, new, changed)
            return changed
    before, after = contacts_by_path(old), contacts_by_path(new)
    get = before.get
    changed = {p for p, c in after.items() if get(p) is not c}
    changed.update(before.keys() - after.keys())
    _memo.delta = (old, new, changed)
    return changed


def _carried(name: str, vault: Vault, key: Hashable) -> tuple[Vault | None, Any, set[str] | None]:
    """The snapshot and state last kept for (question, key), and the contacts changed
    since (None: start over)."""
    kept: dict[str, dict[Hashable, tuple[Vault, Any]]] = _memo.__dict__.setdefault("carry", {})
    last = kept.setdefault(name, {}).get(key)
    if last is None:
        return None, None, None
    return last[0], last[1], (set() if last[0] is vault else _changed(last[0], vault))


def _carry(name: str, vault: Vault, key: Hashable, state: Any) -> None:
    _keep(_memo.__dict__["carry"][name], key, (vault, state))


def per_contact(
    name: str, vault: Vault, key: Hashable, compute: Callable[[Contact], T]
) -> dict[str, T]:
    """`compute(c)` for every active contact, by path in the vault's order.

    `compute` must depend only on the contact, `key` and the vault's config: the value of
    a `Contact` object already answered for under the same key and config is reused.
    Callers must not change the dict.
    """

    def answer() -> dict[str, T]:
        before, prev, changed = _carried(name, vault, key)
        if changed is None or before is None:
            values = {c.path: compute(c) for c in active(vault)}
        elif not changed:
            values = prev
        else:
            values = dict(prev)
            paths, old_paths = contacts_by_path(vault), contacts_by_path(before)
            reorder = False
            for p in changed:
                c = paths.get(p)
                if c is None or c.archived:
                    values.pop(p, None)
                    continue
                values[p] = compute(c)
                old = old_paths.get(p)
                reorder = reorder or old is None or old.archived or old.name != c.name
            if reorder:  # someone appeared or was renamed: keep the vault's order
                values = {c.path: values[c.path] for c in active(vault)}
        _carry(name, vault, key, values)
        return values

    return per_snapshot(name, vault, key, answer)


def ranked(
    name: str,
    vault: Vault,
    key: Hashable,
    entries: Callable[[Contact], Sequence[tuple[tuple[Any, ...], T]]],
) -> tuple[T, ...]:
    """The rows of `ranked_with_keys`."""
    return ranked_with_keys(name, vault, key, entries)[1]


def ranked_with_keys(
    name: str,
    vault: Vault,
    key: Hashable,
    entries: Callable[[Contact], Sequence[tuple[tuple[Any, ...], T]]],
) -> tuple[tuple[tuple[Any, ...], ...], tuple[T, ...]]:
    """The rows `entries(c)` gives for every active contact, as (sort key, row) pairs, in
    sort-key order.

    Every sort key must be unique (end it with the contact's name and path, and tell one
    contact's rows apart), and like `per_contact`, `entries` must depend only on the
    contact, `key` and the config: after a change only the changed contacts' rows are
    taken out and put back in place, so a sorted list of thousands of rows costs
    microseconds to keep current.
    """

    def answer() -> tuple[
        tuple[tuple[Any, ...], ...], tuple[T, ...]
    ]:  # the same while no row changed
        _, prev, changed = _carried(name, vault, key)
        if changed is None:
            by_contact: dict[str, list[tuple[Any, ...]]] = {}
            pairs: list[tuple[tuple[Any, ...], T]] = []
            people = active(vault)
            for c, got in zip(people, map(entries, people)):
                if got:
                    by_contact[c.path] = [k for k, _ in got]
                    pairs.extend(got)
            pairs.sort(key=_first)
            keys = [k for k, _ in pairs]
            rows = [r for _, r in pairs]
            answer = (tuple(keys), tuple(rows))
        elif not changed:
            by_contact, keys, rows, answer = prev
        else:
            by_contact, keys, rows, answer = prev
            paths = contacts_by_path(vault)
            for p in changed:
                now = paths.get(p)
                got = entries(now) if now is not None and not now.archived else ()
                if not got and p not in by_contact:
                    continue  # not in this list, before or after
                old = by_contact.get(p)
                if old is not None and _same_rows(old, got, keys, rows):
                    continue  # rebuilt but equal: the old rows stay (and lists built on them)
                if keys is prev[1]:  # copy on first write: earlier answers stay as they were
                    by_contact, keys, rows = dict(by_contact), list(keys), list(rows)
                for k in by_contact.pop(p, ()):
                    i = bisect_left(keys, k)
                    del keys[i], rows[i]
                if got:
                    by_contact[p] = [k for k, _ in got]
                    for k, row in got:
                        i = bisect_left(keys, k)
                        keys.insert(i, k)
                        rows.insert(i, row)
            if keys is not prev[1]:
                answer = (tuple(keys), tuple(rows))
        _carry(name, vault, key, (by_contact, keys, rows, answer))
        return answer

    return per_snapshot(name, vault, key, answer)


def tally(name: str, vault: Vault, key: Hashable, compute: Callable[[Contact], H]) -> Counter[H]:
    """How many active contacts give each value of `compute(c)` (hashable), kept like
    `per_contact`: after a change only the changed contacts are counted again. Callers
    must not change the counter."""

    def answer() -> Counter[H]:
        before, prev, changed = _carried(name, vault, key)
        if changed is None or before is None:
            values = {c.path: compute(c) for c in active(vault)}
            counts = Counter(values.values())
        elif not changed:
            values, counts = prev
        else:
            paths = contacts_by_path(vault)
            new = {}
            for p in changed:
                c = paths.get(p)
                new[p] = compute(c) if c is not None and not c.archived else _GONE
            # Nothing below can fail: the kept values (never handed out) change in place.
            values, counts = prev[0], Counter(prev[1])
            for p, v in new.items():
                if p in values:
                    counts[values.pop(p)] -= 1
                if v is not _GONE:
                    values[p] = v
                    counts[v] += 1
            counts = +counts  # drop zeros
        _carry(name, vault, key, (values, counts))
        return counts

    return per_snapshot(name, vault, key, answer)


def same_inputs(
    name: str,
    key: Hashable,
    inputs: tuple[Any, ...],
    compute: Callable[[], T],
    *,
    keys_kept: int = KEYS_KEPT,
) -> T:
    """`compute()`, or its last answer (per question and key) when every one of `inputs`
    is the same object as then: for answers built from kept lists (`ranked`), which are
    the same objects while nothing in them changed. At most `keys_kept` keys are kept."""
    kept: dict[str, dict[Hashable, tuple[tuple[Any, ...], Any]]] = _memo.__dict__.setdefault(
        "inputs", {}
    )
    table = kept.setdefault(name, {})
    last = table.get(key)
    if last is not None and len(last[0]) == len(inputs) and all(map(is_, last[0], inputs)):
        table[key] = table.pop(key)  # recently used
        return last[1]
    value = compute()
    _keep(kept[name], key, (inputs, value), keys_kept)
    return value


def _same_rows(
    old: list[tuple[Any, ...]],
    got: Sequence[tuple[tuple[Any, ...], Any]],
    keys: list[tuple[Any, ...]],
    rows: list[Any],
) -> bool:
    """True when a contact's new rows are its kept ones over again."""
    if len(old) != len(got):
        return False
    for k, (new_key, new_row) in zip(old, got):
        if k != new_key or not same_data(rows[bisect_left(keys, k)], new_row):
            return False
    return True


def same_data(a: Any, b: Any) -> bool:
    """True when two answers (or template contexts) are the same plain data, types
    included (`1` and `True` are equal in Python but print differently): the same
    object, or the same type and equal parts. A type it does not know is never the
    same. Two `Contact`s (the builder makes a new one for everyone a changed note names,
    most of them equal to the old) compare with `==`, which runs in C, and their
    free-form `fields` type by type: the rest of a contact has one type per field."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is Contact:
        return bool(a == b) and same_data(a.fields, b.fields)
    if a is None or isinstance(a, (str, int, float, date)):
        return bool(a == b)
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return False
        # Rows kept from the last pass are the same objects: compare only the others.
        return all(same_data(a[i], b[i]) for i in compress(range(len(a)), map(is_not, a, b)))
    if kind is dict:
        return len(a) == len(b) and all(
            ka == kb and type(ka) is type(kb) and same_data(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items())
        )
    if kind is frozenset or kind is set:
        return all(type(x) in (str, int) for x in a) and bool(a == b)
    names = _FIELDS.get(kind)
    if names is None:
        if not is_dataclass(a):
            return False
        names = _FIELDS[kind] = tuple(f.name for f in fields(a))
    return all(same_data(getattr(a, n), getattr(b, n)) for n in names)


_FIELDS: dict[type, tuple[str, ...]] = {}
_GONE: Any = object()


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def status_map(vault: Vault, today: date) -> dict[str, Status]:
    """Every active contact's status on `today`, by path (kept per snapshot and contact)."""
    return per_contact("statuses", vault, today, lambda c: contact_status(c, vault, today))


def statuses(vault: Vault, today: date, contacts: Iterable[Contact] | None = None) -> list[Status]:
    if contacts is None:
        return list(status_map(vault, today).values())
    return [contact_status(c, vault, today) for c in contacts]


def filter_contacts(vault: Vault, today: date, *, ring: str | None = None, tag: str | None = None,
                    overdue: bool = False) -> list[Status]:  # fmt: skip
    out = []
    tag_f = tag.lstrip("#").casefold() if tag else None
    for s in statuses(vault, today):
        c = s.contact
        if ring is not None and c.ring != ring:
            continue
        if tag_f is not None and not any(t == tag_f or t.startswith(tag_f + "/") for t in c.tags):
            continue
        if overdue and not s.overdue:
            continue
        out.append(s)
    return out


def overdue_order(s: Status) -> tuple[int, int, str, str]:
    """Most overdue first, never-contacted last, then by name."""
    if s.days_overdue is not None:
        return (0, -s.days_overdue, s.contact.name.casefold(), s.contact.path)
    if s.never_contacted:
        return (2, 0, s.contact.name.casefold(), s.contact.path)
    return (1, 0, s.contact.name.casefold(), s.contact.path)


def find_overdue(vault: Vault, today: date) -> list[Status]:
    return sorted((s for s in status_map(vault, today).values() if s.overdue), key=overdue_order)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def status_json(s: Status) -> dict[str, Any]:
    """The `kith list --json` object: a contract."""
    c = s.contact
    return {
        "name": c.name,
        "path": c.path,
        "ring": c.ring,
        "cadence_days": s.cadence_days,
        "last_contact": _iso(s.last_contact),
        "next_due": _iso(s.next_due),
        "overdue": s.overdue,
        "days_overdue": s.days_overdue,
        "tags": list(c.tags),
        "company": c.company,
        "aliases": list(c.aliases),
        "never_contacted": s.never_contacted,
        "follow_up": _iso(c.follow_up),
    }


def json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or Infinity: give YAML's own spelling (`.nan`, `.inf`, `-.inf`).
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return value


def contact_json(s: Status, today: date) -> dict[str, Any]:
    """The `kith show --json` object: list's keys plus fields and interactions."""
    c = s.contact
    out = status_json(s)
    out.update(
        {
            "fields": json_value(c.fields),
            "role": c.role,
            "email": c.email,
            "phone": c.phone,
            "linkedin": c.linkedin,
            "birthday": c.birthday.isoformat() if c.birthday else None,
            "follow_up_note": c.follow_up_note,
            "introduced_by": list(c.introduced_by),
            "knows": list(c.knows),
            "interests": list(c.interests),
            "archived": c.archived,
            "interactions": [i.to_json() for i in c.interactions if i.date <= today],
            "planned": [i.to_json() for i in reversed(c.interactions) if i.date > today],
            "moves": [
                {
                    "date": m.date.isoformat(),
                    "from": m.from_ring,
                    "to": m.to_ring,
                    "source": m.source,
                    "line": m.line,
                }
                for m in c.moves
            ],  # fmt: skip
        }
    )
    return out
