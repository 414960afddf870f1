"""Questions about the network: pure functions of (vault, today).

This module owns every computation the reports and commands show: a contact's
status on a given day (last contact, next due, overdue), filtered lists, and
their JSON shapes, which are a contract other tools rely on. It never reads
or writes files and never looks at the clock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from .model import Contact, Interaction
from .vault import Vault

T = TypeVar("T")


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
    cadence = cadence_for(contact, vault)
    last_i = next((i for i in contact.interactions if i.date <= today), None)
    candidates = [
        d for d in (contact.manual_last_contact, last_i.date if last_i else None) if d is not None
    ]
    last = max(candidates) if candidates else None
    if contact.manual_last_contact is not None and contact.manual_last_contact > today:
        last = last_i.date if last_i else None
    dues = []
    if last is not None and cadence is not None:
        dues.append(last + timedelta(days=cadence))
    if contact.follow_up is not None:
        dues.append(contact.follow_up)
    next_due = min(dues) if dues else None
    never = cadence is not None and last is None
    follow_due = contact.follow_up is not None and contact.follow_up <= today
    if never:  # the contract: overdue, with no dates to show
        return Status(
            contact, cadence, None, None, None, not contact.archived, None, True, follow_due
        )
    overdue = not contact.archived and next_due is not None and today > next_due
    days = (today - next_due).days if overdue and next_due is not None else None
    return Status(contact, cadence, last, last_i, next_due, overdue, days, False, follow_due)


_memo = threading.local()


def per_snapshot(name: str, vault: Vault, key: Hashable, compute: Callable[[], T]) -> T:
    """Answer a question once per vault snapshot: a snapshot is immutable, so the last
    answer (per thread, per question) is reused while the same snapshot and key are asked
    about. Several reports ask the same questions in one pass."""
    last = getattr(_memo, name, None)
    if last is not None and last[0] is vault and last[1] == key:
        return last[2]
    value = compute()
    setattr(_memo, name, (vault, key, value))
    return value


def status_map(vault: Vault, today: date) -> dict[str, Status]:
    """Every active contact's status on `today`, by path (computed once per snapshot and day)."""
    return per_snapshot(
        "statuses",
        vault,
        today,
        lambda: {c.path: contact_status(c, vault, today) for c in vault.active},
    )


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
