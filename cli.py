"""The `kith` command: parse arguments, call vaultlib, print.

No business logic lives here: every answer comes from `vaultlib`, every write
goes through its writer. Data goes to stdout, messages to stderr. Exit codes:
0 ok, 1 data errors (or a refused write), 2 usage.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from vaultlib import __version__, build_kind
from vaultlib.config import Config, find_vault, load_config
from vaultlib.errors import KithError
from vaultlib.index import Index, build_index
from vaultlib.model import ERROR, Problem
from vaultlib.names import find_contact
from vaultlib.terminal import print_lines, print_table

if TYPE_CHECKING:
    from vaultlib.vault import Vault

# Modules a command needs only once it has the vault (query, insights, render, reports, the
# parser behind the index) are imported inside the command: a run the cache or a memo
# answers never loads them.

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """What every command shares: the vault location, today, and the loaded index."""

    def __init__(self, vault: str | None, today: date, debug: bool):
        self.vault_arg = vault
        self.today = today
        self.debug = debug
        self._config: Config | None = None
        self._index: Index | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(find_vault(self.vault_arg))
        return self._config

    def index(self, rebuild: bool = False) -> Index:
        if self._index is None or rebuild:
            self._index = build_index(self.config, rebuild=rebuild)
        return self._index

    def vault(self) -> Vault:
        return self.index().vault()


def json_option(help: str) -> Callable[[F], F]:
    """The `--json` flag every reporting command has (passed as `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def no_single_match(query: str, candidates: Sequence[Any], suggestions: Sequence[str]) -> NoReturn:
    """A name that matched several contacts (list them) or none (suggest some): exit 1."""
    if candidates:
        err(f"kith: '{query}' matches {len(candidates)} contacts:")
        for c in candidates:
            err(f"  {c.name}  ({c.path})")
    else:
        err(f"kith: no contact matches '{query}'")
        if suggestions:
            err(f"  did you mean: {', '.join(suggestions)}?")
    sys.exit(1)


def err(message: str) -> None:
    click.echo(message, err=True)


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


_COMPACT = json.JSONEncoder(ensure_ascii=False)


def json_text(data: Any) -> str:
    """An array prints one element per line (compact, so `grep` and `jq` both work and
    10,000 contacts encode in C, ~10× faster than indented); anything else is indented."""
    if isinstance(data, list):
        items = list(map(_COMPACT.encode, data))
        return "[\n" + ",\n".join(items) + "\n]" if items else "[]"
    return json.dumps(data, ensure_ascii=False, indent=2)


def problem_summary(problems: tuple[Problem, ...] | list[Problem]) -> None:
    """One line on stderr so other commands mention problems without repeating `check`."""
    errors = sum(1 for p in problems if p.severity == ERROR)
    problem_summary_counts(errors, len(problems) - errors)


def problem_summary_counts(errors: int, warnings: int) -> None:
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if parts:
        err(f"kith: {' and '.join(parts)} in the vault; run `kith check` for details")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def handle_errors(f: F) -> F:
    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        app: App | None = ctx.find_object(App)
        try:
            try:
                return f(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        except BrokenPipeError:  # `kith list | head`: the reader has gone; stop quietly
            _silence_stdout()
            ctx.exit(1)
        except KithError as e:
            err(f"kith: {e}")
            if getattr(e, "hint", ""):
                err(f"  hint: {e.hint}")
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # an unexpected failure: one line, the traceback only with --debug
            if app is not None and app.debug:
                raise
            err(f"kith: internal error: {type(e).__name__}: {e}")
            err("  re-run with --debug for the traceback, and please report it")
            ctx.exit(1)

    return wrapper  # type: ignore[return-value]


def print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"kith, version {__version__} ({build_kind()})")
        ctx.exit()


def parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()  # the only clock read in kith: the local date at the boundary
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


def _set_vault(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(App).vault_arg = value


def _set_today(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(App).today = parse_today(ctx, param, value)


def _with_global_options(command: click.Command) -> click.Command:
    """`kith report --today D` works as well as `kith --today D report` (the issues use both)."""
    names = {opt for p in command.params for opt in getattr(p, "opts", [])}
    if "--vault" not in names:
        command.params.append(click.Option(["--vault"], metavar="PATH", expose_value=False,
                                           callback=_set_vault, help="The vault folder."))  # fmt: skip
    if "--today" not in names:
        command.params.append(click.Option(["--today"], metavar="YYYY-MM-DD", expose_value=False,
                                           callback=_set_today, help="Pretend today is this date."))  # fmt: skip
    return command


class KithGroup(click.Group):
    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(_with_global_options(cmd), name)


@click.group(cls=KithGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--vault",
    metavar="PATH",
    envvar="KITH_VAULT",
    help="The vault folder (default: $KITH_VAULT, else the nearest folder upward with kith.toml or .obsidian/).",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    callback=parse_today,
    help="Pretend today is this date (default: the local date).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=print_version,
    help="Show the version (and whether kith runs compiled) and exit.",
)
@click.pass_context
def main(ctx: click.Context, vault: str | None, today: date, debug: bool) -> None:
    """kith: a personal CRM for a career network kept in Markdown.

    Example:

        kith --vault ~/Notes list --overdue
    """
    ctx.obj = App(vault, today, debug)


pass_app = click.make_pass_decorator(App)


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_app
@handle_errors
def init(app: App, path: Path | None) -> None:
    """Create kith.toml (commented defaults) and ignore kith's cache in .gitignore.

    Never overwrites an existing kith.toml.

    Example:

        kith init ~/Notes
    """
    from vaultlib.scaffold import init_vault

    root = (path or Path(app.vault_arg or ".")).resolve()
    results = init_vault(root)
    for r in results:
        click.echo(f"{r.status}: {r.path}")
    if not any(r.path == "kith.toml" for r in results):
        err("kith: kith.toml already exists; left unchanged")


@main.command()
@click.option("--rebuild", is_flag=True, help="Ignore the cache and parse every note again.")
@pass_app
@handle_errors
def index(app: App, rebuild: bool) -> None:
    """Bring the index up to date and print what changed.

    Example:

        kith index --rebuild
    """
    idx = app.index(rebuild=rebuild)
    errors, warnings = idx.problem_counts()  # builds the vault unless the cache knows them
    s = idx.stats
    click.echo(f"notes {s.notes}, contacts {s.contacts}: added {s.added}, modified {s.modified}, "
               f"removed {s.removed}, problems {errors + warnings} ({errors} errors)")  # fmt: skip
    problem_summary_counts(errors, warnings)


@main.command()
@json_option("Print an array of {path, line, severity, message, hint}.")
@pass_app
@handle_errors
def check(app: App, as_json: bool) -> None:
    """List every problem in the vault as path:line: message; exit 1 on any error.

    Example:

        kith check
    """
    v = app.vault()
    if as_json:
        echo_json([p.to_json() for p in v.problems])
    else:
        for p in v.problems:
            sev = "" if p.severity == ERROR else f"{p.severity}: "
            click.echo(f"{p.location()}: {sev}{p.message}")
            if p.hint:
                click.echo(f"    hint: {p.hint}")
        errors = sum(1 for p in v.problems if p.severity == ERROR)
        err(
            f"kith: {errors} error(s), {len(v.problems) - errors} warning(s) in {len(v.contacts)} contacts"
        )
    if v.has_errors:
        sys.exit(1)


def _status_cell(s: Any) -> str:
    if s.never_contacted:
        return "never contacted"
    if s.overdue:
        return f"overdue {s.days_overdue}d"
    return "ok" if s.next_due else "—"


@main.command(name="list")
@click.option("--ring", metavar="RING", help="Only this ring.")
@click.option("--tag", metavar="TAG", help="Only contacts with this tag (nested tags included).")
@click.option("--overdue", is_flag=True, help="Only overdue contacts.")
@json_option("Print a JSON array.")
@pass_app
@handle_errors
def list_(app: App, ring: str | None, tag: str | None, overdue: bool, as_json: bool) -> None:
    """List contacts (archived ones excluded).

    Example:

        kith list --ring buddy --overdue
    """
    if ring is not None and ring.casefold() not in app.config.rings:
        raise click.BadParameter(
            f"'{ring}' is not a ring; use one of: {', '.join(app.config.rings)}",
            param_hint="--ring",
        )
    ring = ring.casefold() if ring else None
    if as_json:
        _list_json(app, ring, tag, overdue)
        return
    from vaultlib.query import filter_contacts

    v = app.vault()
    rows = filter_contacts(v, app.today, ring=ring, tag=tag, overdue=overdue)
    print_table(
        ["Name", "Ring", "Last contact", "Next due", "Status", "Company"],
        [
            [
                s.contact.name,
                s.contact.display_ring(),
                str(s.last_contact or "—"),
                str(s.next_due or "—"),
                _status_cell(s),
                s.contact.company or "",
            ]
            for s in rows
        ],  # fmt: skip
    )
    problem_summary(v.problems)


def _list_json(app: App, ring: str | None, tag: str | None, overdue: bool) -> None:
    """`kith list --json`: the text a run with the same inputs printed, while the vault is
    a stored snapshot (the memo), else the vault's answer, remembered against the snapshot
    this run stored, if it stored one."""
    from vaultlib import memo

    idx = app.index()

    def key_of(token: str) -> tuple[Any, ...]:
        return memo.key(app.config, token, app.today, ("list", ring, tag, overdue),
                        idx.scan_problems, extra=memo.file_digest(__file__))  # fmt: skip

    token = idx.snapshot_token()
    if token is not None:
        text = memo.recall_output(app.config, memo.LIST_MEMO, key_of(token))
        if text is not None:
            click.echo(text)
            problem_summary_counts(*idx.problem_counts())
            return
    from vaultlib.query import filter_contacts, status_json

    v = app.vault()
    rows = filter_contacts(v, app.today, ring=ring, tag=tag, overdue=overdue)
    text = json_text([status_json(s) for s in rows])
    click.echo(text)
    token = idx.snapshot_token()
    if token is not None:
        memo.remember_output(app.config, memo.LIST_MEMO, key_of(token), text)
    problem_summary(v.problems)


def _complete_contact(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of contact names and aliases (bash, zsh, fish); never raises."""
    try:
        import re

        from click.shell_completion import CompletionItem

        from vaultlib.capture import complete_names

        app = ctx.find_object(App)
        vault_arg = app.vault_arg if app is not None else None
        config = load_config(find_vault(vault_arg or ctx.find_root().params.get("vault")))
        contacts = build_index(config, save=False).vault().contacts
        items = complete_names(contacts, incomplete)
        if os.environ.get("_KITH_COMPLETE", "").startswith("bash"):
            # bash inserts the value as typed: escape spaces and quotes (zsh and fish quote it
            # themselves), twice, because click's bash script reads each line with `read`.
            escaped = (re.sub(r"([^\w@%+=:,./-])", r"\\\1", v) for v, _ in items)
            items = [(e.replace("\\", "\\\\"), h) for e, (_, h) in zip(escaped, items)]
        return [CompletionItem(v, help=h) for v, h in items]
    except Exception:
        return []


@main.command()
@click.argument("name", nargs=-1, required=True, shell_complete=_complete_contact)
@json_option("Print one JSON object.")
@pass_app
@handle_errors
def show(app: App, name: tuple[str, ...], as_json: bool) -> None:
    """Show one contact: fields, status and interactions (newest first).

    NAME matches a name or alias, ignoring case and accents, or a unique prefix.

    Example:

        kith show "ada lovelace" --json
    """
    from vaultlib.query import contact_json, contact_status

    v = app.vault()
    query = " ".join(name)
    m = find_contact(v.contacts, query)
    if m.contact is None:
        no_single_match(query, m.candidates, m.suggestions)
    s = contact_status(m.contact, v, app.today)
    data = contact_json(s, app.today)
    if as_json:
        echo_json(data)
        return
    c = m.contact
    lines = [f"{c.name}  ({c.path})"]
    for label, value in (("ring", c.ring), ("company", c.company), ("role", c.role), ("email", c.email),
                         ("phone", c.phone), ("linkedin", c.linkedin), ("birthday", data["birthday"]),
                         ("cadence", f"{s.cadence_days} days" if s.cadence_days else None),
                         ("last contact", data["last_contact"]), ("next due", data["next_due"]),
                         ("status", _status_cell(s)), ("follow-up", data["follow_up"]),
                         ("tags", ", ".join(c.tags)), ("aliases", ", ".join(c.aliases)),
                         ("introduced by", ", ".join(c.introduced_by)), ("knows", ", ".join(c.knows))):  # fmt: skip
        if value:
            lines.append(f"  {label}: {value}")
    print_lines(lines)
    rows = [
        [i["date"], i["kind"], i["direction"] or "", i["summary"], f"{i['source']}:{i['line']}"]
        for i in data["interactions"]
    ]
    if rows:
        print_table(["Date", "Kind", "Give/ask", "Summary", "Source"], rows, title="Interactions")
    for p in data["planned"]:
        click.echo(f"  planned {p['date']}: {p['summary']} ({p['source']})")


# --- reports (issue 3) ----------------------------------------------------------------


def _ring_arg(app: App, ring: str | None) -> str | None:
    if ring is None:
        return None
    if ring.casefold() not in app.config.rings:
        raise click.BadParameter(
            f"'{ring}' is not a ring; use one of: {', '.join(app.config.rings)}",
            param_hint="--ring",
        )
    return ring.casefold()


def _print_problem(p: Problem) -> None:
    sev = "" if p.severity == ERROR else f"{p.severity}: "
    err(f"{p.location()}: {sev}{p.message}")
    if p.hint:
        err(f"    hint: {p.hint}")


@main.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list the files that would change, exit 1 if any would.",
)
@pass_app
@handle_errors
def report(app: App, names: tuple[str, ...], check: bool) -> None:
    """Write the reports into the reports folder and fill generated blocks in notes.

    NAME limits the run to some reports: overdue, funnel, upcoming, reconnect,
    reciprocity, goals, dashboard (blocks of other reports are left as they are).
    Prints one line per file that changed; problems go to stderr as
    path:line: message. Exit 1 when a write was refused or a template failed,
    and with --check when any file would change.

    Example:

        kith --today 2026-11-20 report
        kith report --check overdue dashboard
    """
    from vaultlib import memo
    from vaultlib.registry import UnknownReport, select_reports

    try:
        specs = select_reports(names)
    except UnknownReport as e:
        raise click.BadParameter(f"{e}; {e.hint}", param_hint="NAME") from None
    idx = app.index()
    token = idx.snapshot_token()
    key = None
    if token is not None:  # no note changed since the snapshot: the memo may vouch
        key = memo.report_key(app.config, token, app.today, [s.name for s in specs],
                              idx.scan_problems)  # fmt: skip
        checked = memo.recall_report(app.config, key)
        if checked is not None:
            _report_summary(check, 0, checked)
            problem_summary_counts(*idx.problem_counts())
            return
    _report(app, names, check, key)


def _report(app: App, names: tuple[str, ...], check: bool, key: tuple[Any, ...] | None) -> None:
    """`kith report` the long way: load the vault, render, write; then store the memo
    (`key`) when every file ended up current and nothing went wrong."""
    from vaultlib import memo
    from vaultlib.registry import select_reports
    from vaultlib.reports import write_reports
    from vaultlib.write import Writer

    v = app.vault()
    token = app.index().snapshot_token() if key is None else None
    if token is not None:  # this run built and stored the snapshot: remember against it
        key = memo.report_key(app.config, token, app.today,
                              [s.name for s in select_reports(names)], app.index().scan_problems)  # fmt: skip
    run = write_reports(v, app.today, Writer(app.config.root, dry_run=check), names=names or None)
    for r in run.changed:
        click.echo(f"{r.status}: {r.path}")
    for p in run.problems:
        _print_problem(p)
    changed = len(run.changed)
    _report_summary(check, changed, len(run.results) - changed)
    problem_summary(v.problems)
    if key is not None and not run.problems and not (check and changed):
        memo.remember_report(app.config, key, run.contents)
    if not run.ok or (check and changed):
        sys.exit(1)


def _report_summary(check: bool, changed: int, unchanged: int) -> None:
    if check:
        err(f"kith: {changed} file{'s' if changed != 1 else ''} would change" if changed
            else "kith: every report and block is up to date")  # fmt: skip
    else:
        err(f"kith: {changed} file{'s' if changed != 1 else ''} written, {unchanged} unchanged")


@main.command()
@click.option("--ring", metavar="RING", help="Only this ring.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N people.")
@json_option("Print the `kith list --json` objects of the overdue contacts.")
@pass_app
@handle_errors
def overdue(app: App, ring: str | None, limit: int | None, as_json: bool) -> None:
    """Who is overdue for a check-in: most overdue first, never contacted last, then by name.

    The same people as the Overdue report, with what you last talked about and a
    next step suited to their ring; follow-ups due are listed after them.

    Example:

        kith overdue --ring buddy --json
    """
    from vaultlib.insights import find_follow_ups, overdue_row
    from vaultlib.query import find_overdue, status_json

    ring_f = _ring_arg(app, ring)
    v = app.vault()
    rows = [s for s in find_overdue(v, app.today) if ring_f is None or s.contact.ring == ring_f]
    rows = rows[:limit] if limit else rows
    if as_json:
        echo_json([status_json(s) for s in rows])
    else:
        table = []
        for s in rows:
            r = overdue_row(s, v.config.rings, app.today)
            days = "never contacted" if s.never_contacted else str(s.days_overdue)
            table.append(
                [
                    s.contact.name,
                    s.contact.display_ring(),
                    days,
                    str(s.last_contact or "—"),
                    r.about,
                    r.next_step,
                ]
            )
        print_table(["Name", "Ring", "Days overdue", "Last contact", "About", "Next step"], table)
        follow = find_follow_ups(v, app.today, ring_f)
        if follow:
            click.echo()
            print_table(["Name", "Due", "Days late", "Follow up on"],
                        [[f.contact.name, f.due.isoformat(), str(f.days), f.note] for f in follow],
                        title="Follow-ups due")  # fmt: skip
    problem_summary(v.problems)


@main.command()
@json_option("Print one JSON object: rings, moves, periods, added, stalled, conversion.")
@pass_app
@handle_errors
def funnel(app: App, as_json: bool) -> None:
    """People per ring (outer to inner), moves in the last 30 and 90 days, stalled people.

    Example:

        kith funnel --json
    """
    from vaultlib.insights import funnel_json, funnel_report

    v = app.vault()
    f = funnel_report(v, app.today)
    if as_json:
        echo_json(funnel_json(f))
        problem_summary(v.problems)
        return
    rows = [[r.ring, str(r.count)] for r in f.rings] + (
        [["(no ring)", str(f.no_ring)]] if f.no_ring else []
    )
    print_table(["Ring", "People"], rows + [["total", str(f.total)]], title="Rings, outer to inner")
    click.echo()
    print_table(["Period", "Since", "Inward", "Outward", "Added"],
                [[f"{p.days} days", p.since.isoformat(), str(p.inward), str(p.outward), str(p.added)] for p in f.periods],
                title="Moves")  # fmt: skip
    if f.moves:
        click.echo()
        print_table(["Date", "Name", "From", "To", "Direction"],
                    [[m.date.isoformat(), m.contact.name, m.from_ring, m.to_ring, m.direction] for m in f.moves],
                    title=f"Moves since {f.moves_since.isoformat()}")  # fmt: skip
    if f.stalled:
        click.echo()
        print_table(["Name", "Ring", "Last activity", "Days"],
                    [[s.contact.name, s.ring, str(s.since or "—"), str(s.days or "—")] for s in f.stalled],
                    title=f"Stalled (no interaction or move for more than {f.stalled_days} days)")  # fmt: skip
    click.echo()
    print_table(["Ring", "In the ring", "Moved inward", "Conversion"],
                [[c.ring, str(c.in_ring), str(c.moved_inward), f"{c.rate}%" if c.rate is not None else "—"]
                 for c in f.conversion],
                title=f"Inward conversion since {f.conversion_since.isoformat()}")  # fmt: skip
    problem_summary(v.problems)


@main.command()
@click.option("--days", type=click.IntRange(min=1, max=100_000), metavar="N",
              help="How many days ahead (default: reports.upcoming_days, 14).")  # fmt: skip
@json_option("Print one JSON object: today, until, days, events.")
@pass_app
@handle_errors
def upcoming(app: App, days: int | None, as_json: bool) -> None:
    """Birthdays, follow-ups, check-ins falling due, planned meetings and anniversaries ahead.

    Example:

        kith upcoming --days 30
    """
    from vaultlib.insights import upcoming_json, upcoming_report

    v = app.vault()
    u = upcoming_report(v, app.today, days=days)
    if as_json:
        echo_json(upcoming_json(u))
    else:
        print_table(["Date", "Day", "When", "What", "Who", "Details"],
                    [[e.date.isoformat(), e.weekday, e.when, e.label, ", ".join(c.name for c in e.people),
                      e.text] for e in u.events],
                    title=f"Until {u.until.isoformat()}")  # fmt: skip
    problem_summary(v.problems)


# --- watch (issue 4) --------------------------------------------------------------------


@main.command()
@click.option("--poll", is_flag=True,
              help="Poll the folder instead of using OS events (network drives, synced folders): every second, less often on a large vault.")  # fmt: skip
@json_option(
    "Print one JSON object per line on stdout: ready, regenerated, problem, notice, error, stopped."
)
@click.option("--reconcile", type=click.FloatRange(min=1), default=60.0, show_default=True,
              metavar="SECONDS", help="Rescan the vault this often to catch changes no event reported.")  # fmt: skip
@click.option("--today", "today_opt", metavar="YYYY-MM-DD",
              help="Pin today's date (no day rollover while watching).")  # fmt: skip
@pass_app
@handle_errors
def watch(app: App, poll: bool, as_json: bool, reconcile: float, today_opt: str | None) -> None:
    """Keep the reports current: re-index every saved note and rewrite what depends on it.

    Runs one full pass, then watches the vault until Ctrl-C (or SIGTERM). Each save
    re-indexes that note after a short quiet period and rewrites only the reports and
    generated blocks whose bytes change; stage changes made by hand get their log line
    (turn off with record_moves = false). The live log goes to stderr; --json prints
    events on stdout instead. One watcher per vault (lock file .kith/lock).

    Example:

        kith watch --json
    """
    from datetime import datetime

    from click.core import ParameterSource

    from vaultlib.watch import Watcher, format_event

    ctx = click.get_current_context()
    today_fn: Callable[[], date] = date.today  # the watcher reads it at each tick: day rollover
    if today_opt is not None:
        option = next(p for p in ctx.command.params if p.name == "today_opt")
        pinned = parse_today(ctx, option, today_opt)
        today_fn = lambda: pinned  # noqa: E731
    elif ctx.find_root().get_parameter_source("today") not in (None, ParameterSource.DEFAULT):
        global_today = app.today
        today_fn = lambda: global_today  # noqa: E731
    config = app.config

    def out(event: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(event, ensure_ascii=False))
            return
        line = format_event(event, config.reports_folder)
        if line is not None:  # the time of day is presentation only
            err(f"{datetime.now().strftime('%H:%M:%S')} {line}")

    Watcher(config, today_fn, poll=poll, reconcile=reconcile, out=out).run()


# --- capture (issue 5) ------------------------------------------------------------------


def _capture_dates(value: str | None, param: str) -> date | None:
    from vaultlib.capture import BadArgument, parse_day

    if value is None:
        return None
    try:
        return parse_day(value, param)
    except BadArgument as e:
        raise click.BadParameter(e.message, param_hint=param) from None


def _complete_ring(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of RING from the vault's rings; never raises."""
    try:
        from click.shell_completion import CompletionItem

        from vaultlib.names import fold

        config = load_config(find_vault(ctx.find_root().params.get("vault")))
        return [CompletionItem(r) for r in config.rings if fold(r).startswith(fold(incomplete))]
    except Exception:
        return []


def _run_capture(app: App, dry_run: bool, plan_fn: Callable[..., Any]) -> None:
    """Resolve, plan, then print the diff (--dry-run) or write; the common tail of every capture command.

    `plan_fn(vault, writer)` returns an EditPlan. Usage errors from the library
    (a bad date, ring, tag …) exit 2; a contact not found or ambiguous exits 1.
    """
    from vaultlib.capture import (
        AmbiguousContact,
        BadArgument,
        NoSuchContact,
        apply_plan,
        diff_plan,
    )
    from vaultlib.write import Writer

    writer = Writer(app.config.root, dry_run=dry_run)
    try:
        plan = plan_fn(app.vault(), writer)
    except BadArgument as e:
        raise click.BadParameter(
            e.message + (f" ({e.hint})" if e.hint else ""), param_hint=e.param
        ) from None
    except AmbiguousContact as e:
        no_single_match(e.query, e.candidates, ())
    except NoSuchContact as e:
        no_single_match(e.query, (), e.suggestions)
    for w in plan.warnings:
        err(f"kith: warning: {w}")
    if not plan.changed:
        click.echo(plan.message)
        return
    if dry_run:
        click.echo(diff_plan(plan), nl=False)
        apply_plan(plan, writer)  # a dry-run writer: checks the target is writable, writes nothing
        err("kith: dry run; nothing written")
        return
    applied, result = apply_plan(plan, writer)
    if result.status == "unchanged":
        click.echo(f"unchanged: {applied.path}" if applied.changed else applied.message)
    else:
        click.echo(f"{result.status}: {applied.path}: {applied.message}")


_DRY_RUN_HELP = "Print the change as a unified diff and write nothing."


@main.command(name="new")
@click.argument("name")
@click.option(
    "--ring",
    metavar="RING",
    shell_complete=_complete_ring,
    help="Their ring (default: the outermost).",
)
@click.option("--company", metavar="C", help='Company; a link "[[C]]" when a note C exists.')
@click.option("--role", metavar="R", help="Role or job title.")
@click.option("--email", metavar="E", help="E-mail address.")
@click.option("--phone", metavar="P", help="Phone number (written quoted).")
@click.option("--linkedin", metavar="URL", help="LinkedIn profile URL.")
@click.option("--tag", "tags", metavar="T", multiple=True, help="A tag (repeat for more).")
@click.option("--birthday", metavar="D", help="YYYY-MM-DD, or --MM-DD without the year.")
@click.option(
    "--folder", metavar="F", help="Vault folder for the note (default: the first people folder)."
)
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@pass_app
@handle_errors
def new_(app: App, name: str, ring: str | None, company: str | None, role: str | None,
         email: str | None, phone: str | None, linkedin: str | None, tags: tuple[str, ...],
         birthday: str | None, folder: str | None, dry_run: bool) -> None:  # fmt: skip
    """Create a person note, from the vault's person template if one is configured.

    Refuses when the name or an alias already exists, or another note already
    has the file name (Obsidian links by file name).

    Example:

    \b
        kith new "Ada Lovelace" --ring lukewarm --company "Analytical Engines" --tag mentor
    """
    from datetime import datetime

    from vaultlib.capture import NewContact, plan_new

    now = datetime.now().time()  # the time of day for {{time}}: read at the boundary
    request = NewContact(name, ring, company, role, email, phone, linkedin, tags, birthday, folder)
    _run_capture(app, dry_run, lambda v, w: plan_new(v, app.index().records, w, request,
                                                     today=app.today, now=now))  # fmt: skip


@main.command(name="log")
@click.argument("name", shell_complete=lambda c, p, i: _complete_contact(c, p, i))
@click.argument("text")
@click.option("--date", "date_", metavar="YYYY-MM-DD", help="The day it happened (default: today).")
@click.option("--give", is_flag=True, help="You gave something: adds #give.")
@click.option("--ask", is_flag=True, help="You asked for something: adds #ask.")
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@pass_app
@handle_errors
def log_(
    app: App, name: str, text: str, date_: str | None, give: bool, ask: bool, dry_run: bool
) -> None:
    """Add a line `- YYYY-MM-DD kind: text` to a contact's log.

    The line goes where the log's order puts it (oldest first unless the log
    is newest first); a missing log section is added at the end of the note.

    Example:

        kith log ada "coffee: intro to her CTO" --give
    """
    from vaultlib.capture import find_one, plan_log

    if give and ask:
        raise click.UsageError("use --give or --ask, not both")
    day = _capture_dates(date_, "--date") or app.today
    direction = "give" if give else "ask" if ask else None
    _run_capture(app, dry_run, lambda v, w: plan_log(v.config, find_one(v, name), w, text,
                                                     day=day, direction=direction))  # fmt: skip


@main.command(name="move")
@click.argument("name", shell_complete=lambda c, p, i: _complete_contact(c, p, i))
@click.argument("ring", shell_complete=_complete_ring)
@click.option("--date", "date_", metavar="YYYY-MM-DD", help="The day of the move (default: today).")
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@pass_app
@handle_errors
def move_(app: App, name: str, ring: str, date_: str | None, dry_run: bool) -> None:
    """Move a contact to another ring: sets stage: and logs `stage: old → new`, in one write.

    Nothing happens when they are already in RING. A contact without a stage
    moves from the outermost ring.

    Example:

        kith move ada strategic
    """
    from vaultlib.capture import BadArgument, check_ring, find_one, plan_move

    try:
        target = check_ring(app.config, ring)
    except BadArgument as e:
        raise click.BadParameter(e.message, param_hint="RING") from None
    day = _capture_dates(date_, "--date") or app.today
    _run_capture(
        app, dry_run, lambda v, w: plan_move(v.config, find_one(v, name), w, target, day=day)
    )


@main.command(name="follow-up")
@click.argument("name", shell_complete=lambda c, p, i: _complete_contact(c, p, i))
@click.argument("when", metavar="[DATE]", required=False)
@click.argument("note", metavar="[NOTE]", required=False)
@click.option("--clear", is_flag=True, help="Remove follow_up and follow_up_note.")
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@pass_app
@handle_errors
def follow_up(
    app: App, name: str, when: str | None, note: str | None, clear: bool, dry_run: bool
) -> None:
    """Set a follow-up date (and what to follow up on), or remove it with --clear.

    Example:

    \b
        kith follow-up ada 2026-12-01 "ask how the CTO intro went"
        kith follow-up ada --clear
    """
    from vaultlib.capture import find_one, plan_follow_up

    if clear and (when is not None or note is not None):
        raise click.UsageError("--clear takes no DATE or NOTE")
    if not clear and when is None:
        raise click.UsageError("missing DATE (YYYY-MM-DD), or use --clear")
    day = _capture_dates(when, "DATE")
    _run_capture(app, dry_run, lambda v, w: plan_follow_up(v.config, find_one(v, name), w, day, note,
                                                           clear=clear))  # fmt: skip


@main.command(name="archive")
@click.argument("name", shell_complete=lambda c, p, i: _complete_contact(c, p, i))
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@pass_app
@handle_errors
def archive(app: App, name: str, dry_run: bool) -> None:
    """Archive a contact (archived: true): left out of every list and report.

    Example:

        kith archive "ada lovelace"
    """
    from vaultlib.capture import find_one, plan_archive

    _run_capture(app, dry_run, lambda v, w: plan_archive(v.config, find_one(v, name), w))


def run() -> None:
    """The `kith` command: `main`, then an exit that does not free what the command built.
    A cold index of 100k notes ends holding ~1M objects, which the interpreter would free
    one by one (~0.1 s). Nothing kith does waits on that: before `main` returns, its files
    are written and closed, and its parse workers have sent all they parsed (they end on
    their own). Any other ending (a thread still running, output that cannot be flushed, an
    exit message) ends as Python ends it."""
    try:
        main()
    except SystemExit as e:
        cache = sys.modules.get("vaultlib.cache")
        if cache is not None:
            cache.wait_released()  # a replaced cache file being removed on a thread
        threading = sys.modules.get("threading")
        if (e.code is None or type(e.code) is int) and (
            threading is None or threading.active_count() == 1
        ):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                raise e from None
            os._exit(e.code or 0)
        raise


if __name__ == "__main__":
    run()
