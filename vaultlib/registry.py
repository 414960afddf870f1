"""The reports kith writes: their names, files, summaries, block options and templates.

This module owns the list of reports (`kith report NAME`, `<!-- kith:NAME -->`): each
one's name, file, one-line summary, the `insights` function that makes its data and the
options a generated block may pass; and where templates are found (the ones kith ships,
and a vault's own under `.kith/templates/`). It never builds, renders or writes a report
(`insights`, `render`, `reports`): it is cheap to import, so a `kith report` that its memo
answers loads neither the queries nor Jinja.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import vaultlib

from .errors import KithError

if TYPE_CHECKING:
    from .vault import Vault

VAULT_TEMPLATES = ".kith/templates"  # a vault's own templates, vault-relative


def shipped_templates_dir() -> Path:
    """The templates kith ships: inside the package when installed, else the checkout's."""
    pkg = Path(vaultlib.__file__).resolve().parent
    for d in (pkg / "templates", pkg.parent / "templates"):
        if d.is_dir():
            return d
    raise KithError("kith's own templates are missing", hint="reinstall kith")


class UnknownReport(KithError):
    """A report name kith does not know."""


@dataclass(frozen=True)
class ReportSpec:
    name: str  # "overdue": the NAME in `kith report NAME` and `<!-- kith:NAME -->`
    title: str  # "Overdue": the file name without .md
    summary: str  # one line for the dashboard's list of reports
    builder: str  # the `insights` function that makes its data: f(vault, today, **options)
    options: tuple[str, ...]  # what a generated block may pass

    def build(self, vault: Vault, today: date, options: dict[str, Any]) -> Any:
        from . import insights  # the queries: imported once a report is really built

        return getattr(insights, self.builder)(vault, today, **options)

    @property
    def template(self) -> str:
        return f"{self.name}.md.j2"

    @property
    def filename(self) -> str:
        return f"{self.title}.md"


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("overdue", "Overdue", "who is due for a check-in, by ring, with a next step",
               "overdue_report", ("limit", "ring")),
    ReportSpec("funnel", "Funnel", "people per ring, moves inward and outward, stalled people",
               "funnel_report", ("limit",)),
    ReportSpec("upcoming", "Upcoming",
               "birthdays, follow-ups, check-ins due, planned meetings, anniversaries",
               "upcoming_report", ("days", "limit", "ring")),
    ReportSpec("reconnect", "Reconnect", "dormant ties worth reviving",
               "reconnect_report", ("days", "limit", "ring")),
    ReportSpec("reciprocity", "Reciprocity", "gives and asks in the last 12 months",
               "reciprocity_report", ("days", "limit", "ring")),
    ReportSpec("goals", "Goals", "progress on your goals against the time left",
               "goals_report", ("limit",)),
    ReportSpec("dashboard", "Dashboard", "today's top actions and the headline numbers",
               "dashboard_report", ("limit",)),
)  # fmt: skip
REPORT_NAMES: tuple[str, ...] = tuple(s.name for s in REPORTS)
BY_NAME: dict[str, ReportSpec] = {s.name: s for s in REPORTS}


def select_reports(names: Sequence[str] | None) -> list[ReportSpec]:
    """The specs for `names` (case-insensitive) in registry order; all when None or empty."""
    if not names:
        return list(REPORTS)
    wanted = {n.strip().casefold() for n in names}
    unknown = sorted(wanted - set(BY_NAME))
    if unknown:
        raise UnknownReport(
            f"unknown report '{unknown[0]}'", hint=f"use one of: {', '.join(REPORT_NAMES)}"
        )
    return [s for s in REPORTS if s.name in wanted]
