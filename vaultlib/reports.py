"""The reports kith writes into the vault, and the generated blocks it fills in notes.

This module owns the generated-report front matter (the list of reports is `registry`'s)
and the mark that lets kith recognise its own files, rendering every report
(`render_reports`, pure apart from reading templates) and writing them plus every note's generated blocks
through one `Writer` (`write_reports`), and, for a caller that writes them again
and again (the watcher), keeping each rendering while its template context stays
the same (`ReportCache`). A file at a report path that kith did not generate is
reported and left alone. It never decides what a report says (that is
`insights`), never formats values (that is `render` and the templates) and never
writes except through `write.Writer`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .blocks import Block, fill_blocks
from .errors import KithError, UnsafePath, WriteRefused
from .model import ERROR, Problem
from .query import same_data
from .registry import BY_NAME, REPORT_NAMES, REPORTS, VAULT_TEMPLATES, ReportSpec, select_reports
from .render import Renderer, normalize_output, user_bytecode_dir
from .textutil import BOM_BYTES, decode_note, encode_note
from .vault import Vault
from .write import CREATED, UNCHANGED, WOULD_WRITE, WRITTEN, Writer, WriteResult

# The first front-matter key of every report: kith overwrites a report path only
# when the file there starts with these lines.
GENERATED_MARK = "kith: generated report"
FRONT_MATTER = (
    "---\n"
    f"{GENERATED_MARK} (edits are overwritten)\n"
    "as_of: {today}\n"
    "tags:\n"
    "  - kith/report\n"
    "---\n"
)


def report_path(vault: Vault, spec: ReportSpec) -> str:
    return f"{vault.config.reports_folder}/{spec.filename}"


def is_generated(data: bytes) -> bool:
    """True if `data` is a file kith generated: front matter whose first key is the mark."""
    if data.startswith(BOM_BYTES):
        data = data[len(BOM_BYTES) :]
    head = data[:200].decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = head.split("\n", 2)
    return len(lines) >= 2 and lines[0].rstrip() == "---" and lines[1].startswith(GENERATED_MARK)


@dataclass(frozen=True)
class ReportLink:
    """A report as other templates see it (the dashboard's list of reports)."""

    key: str  # "overdue"
    name: str  # "Overdue": what `link` shows
    path: str
    summary: str


@dataclass
class ReportRun:
    """What `write_reports` did: one result per file it wrote or checked, and problems."""

    results: list[WriteResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Each result's path -> the bytes the file holds after the run (what was written,
    # or what was found there already): the report memo hashes them.
    contents: dict[str, bytes] = field(default_factory=dict)

    @property
    def changed(self) -> list[WriteResult]:
        """Files written, created, or (in a dry run) that would be."""
        return [r for r in self.results if r.status in (CREATED, WRITTEN, WOULD_WRITE)]

    @property
    def ok(self) -> bool:
        """False when a write was refused or a template failed (any error problem)."""
        return not any(p.severity == ERROR for p in self.problems)


class _Session:
    """One pass over a vault: one renderer, the shared template context, and (in the
    watcher) the renderings kept from the last pass."""

    def __init__(self, vault: Vault, today: date, kept: ReportCache | None = None):
        self.vault = vault
        self.today = today
        self.kept = kept
        config = vault.config
        settings = (
            config.root,
            config.link_style,
            vault.shared_names,
            config.reports_folder,
            template_files(config.root),
        )
        if kept is not None and kept.renderer is not None and kept.settings == settings:
            self.renderer = kept.renderer
        else:
            self.renderer = Renderer(
                config.root,
                link_style=config.link_style,
                shared_names=vault.shared_names,
                reports_folder=config.reports_folder,
                bytecode_dir=user_bytecode_dir(),
                keep_rows=kept is not None,
            )
            if kept is not None:
                kept.reset(self.renderer, settings)
        if kept is not None:
            self.renderer.new_pass(today)
        self.links = tuple(
            ReportLink(s.name, s.title, report_path(vault, s), s.summary) for s in REPORTS
        )

    def render(
        self, template: str, context: dict[str, Any], *, target: str
    ) -> tuple[str | None, list[Problem]]:
        """The template's text for this context: kept from the last pass when the context
        is the same (and the renderer, so the templates and link settings, too)."""
        kept = self.kept
        slot = (
            template,
            context["here"],
            context["embedded"],
            tuple(sorted(context["options"].items())),
        )
        if kept is not None:
            last = kept.texts.get(slot)
            kept.used.add(slot)
            if last is not None and same_data(last[0], context):
                return last[1], []
        out = self.renderer.render(template, context, target=target)
        if out.text is None:
            return None, list(out.problems)
        text = normalize_output(out.text)
        if kept is not None:
            kept.texts[slot] = (context, text)
        return text, []

    def context(
        self, data: Any, here: str, embedded: bool, options: Mapping[str, str]
    ) -> dict[str, Any]:
        return {
            "report": data,
            "today": self.today,
            "here": here,
            "embedded": embedded,
            "options": dict(options),
            "reports": self.links,
            "report_links": {r.key: r for r in self.links},
            "rings": self.vault.config.rings,
        }

    def render_report(self, spec: ReportSpec) -> tuple[bytes | None, list[Problem]]:
        path = report_path(self.vault, spec)
        data = spec.build(self.vault, self.today, {})
        text, problems = self.render(
            spec.template, self.context(data, path, False, {}), target=path
        )
        if text is None:
            return None, problems
        return (FRONT_MATTER.format(today=self.today.isoformat()) + text).encode("utf-8"), []

    def render_block(
        self, spec: ReportSpec, block: Block, path: str
    ) -> tuple[str | None, list[Problem]]:
        options, problems = parse_options(spec, block, path, self.vault.config.rings)
        if problems:
            return None, problems
        data = spec.build(self.vault, self.today, options)
        target = f"block '{block.name}' in {path} (line {block.begin_line})"
        return self.render(
            spec.template, self.context(data, path, True, block.options), target=target
        )


def parse_options(
    spec: ReportSpec, block: Block, path: str, rings: Sequence[str]
) -> tuple[dict[str, Any], list[Problem]]:
    """A block's `key=value` options as keyword arguments for the report's query."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []

    def bad(message: str, hint: str) -> None:
        problems.append(
            Problem(
                path,
                block.begin_line,
                f"block '{block.name}': {message}; block not filled",
                hint,
                ERROR,
            )
        )

    for key in sorted(block.options):
        value = block.options[key].strip()
        k = key.casefold()
        if k not in spec.options:
            allowed = ", ".join(spec.options) or "none"
            bad(f"unknown option '{key}'", f"options of '{spec.name}': {allowed}")
        elif k in ("limit", "days"):
            if not value.isascii() or not value.isdigit() or not 0 < int(value) <= 100_000:
                bad(f"{k}={value} is not a whole number from 1 to 100000", f"write e.g. {k}=5")
            else:
                out[k] = int(value)
        elif k == "ring":
            if value.casefold() not in rings:
                bad(f"ring={value} is not a ring", f"use one of: {', '.join(rings)}")
            else:
                out[k] = value.casefold()
    return out, problems


def _render_all(
    session: _Session, specs: Sequence[ReportSpec]
) -> tuple[dict[str, bytes], list[Problem]]:
    out: dict[str, bytes] = {}
    problems: list[Problem] = []
    for spec in specs:
        data, probs = session.render_report(spec)
        problems.extend(probs)
        if data is not None:
            out[report_path(session.vault, spec)] = data
    return out, problems


def render_reports(
    vault: Vault, today: date, names: Sequence[str] | None = None
) -> dict[str, bytes]:
    """Every report's vault path -> bytes (a report whose template fails is left out)."""
    with _paused_gc():
        out, _ = _render_all(_Session(vault, today), select_reports(names))
    return out


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Reports make many small objects and no garbage cycles worth collecting mid-way,
    while a large vault holds millions of objects a full collection would walk again
    and again (about half the time of `kith report` at 10k contacts); collecting
    resumes afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _refused(path: str, e: KithError) -> Problem:
    reason = e.reason if isinstance(e, WriteRefused) else str(e)
    return Problem(path, None, reason, e.hint, ERROR)


def write_reports(
    vault: Vault,
    today: date,
    writer: Writer,
    *,
    names: Sequence[str] | None = None,
    kept: ReportCache | None = None,
) -> ReportRun:
    """Write the reports (all, or `names`) and fill the generated blocks in every note.

    A `Writer(dry_run=True)` gives `--check`: nothing is written and the results say
    which files would change. Problems are returned, never raised: one failing
    template, refused write or bad block does not stop the others. With `kept` (the
    watcher's), a report or block whose template context is the same as on the last
    pass is not rendered again: its text from then is checked against the file and
    written just as a fresh rendering would be.
    """
    with _paused_gc():
        return _write_reports(vault, today, writer, select_reports(names), kept)


def _write_reports(
    vault: Vault, today: date, writer: Writer, specs: list[ReportSpec], kept: ReportCache | None
) -> ReportRun:
    session = _Session(vault, today, kept)
    run = ReportRun()
    rendered, problems = _render_all(session, specs)
    run.problems.extend(problems)
    for path, data in rendered.items():
        try:
            current = writer.read(path)
            if current is not None and not is_generated(current):
                run.problems.append(
                    Problem(
                        path,
                        None,
                        "exists and was not written by kith; skipped",
                        "move or rename your file, or set reports_folder in kith.toml",
                        ERROR,
                    )
                )
                continue
            run.results.append(writer.write(path, data, expected=current))
            run.contents[path] = data
        except (WriteRefused, UnsafePath) as e:
            run.problems.append(_refused(path, e))
    wanted = {s.name for s in specs}
    for path in vault.block_notes:
        _fill_note(session, writer, path, wanted, run)
    run.problems.sort(key=Problem.sort_key)
    if kept is not None:
        kept.forget_unused()
    return run


class ReportCache:
    """The renderings of the last pass, for a caller that writes the reports again and
    again (the watcher): call it like `write_reports`.

    A rendering is a pure function of the templates, the link settings and the
    template context, and the context is plain data (frozen rows and `Contact`s), so
    a report whose context is the same as last time (`same_data`) gets the same text
    without rendering: after one saved note, most reports are not rendered at all.
    The renderer is kept too (with its compiled templates and links) while the vault's
    templates and link settings stay the same.
    """

    def __init__(self) -> None:
        self.renderer: Renderer | None = None
        self.settings: Any = None
        self.texts: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}
        self.used: set[tuple[Any, ...]] = set()

    def __call__(
        self, vault: Vault, today: date, writer: Writer, *, names: Sequence[str] | None = None
    ) -> ReportRun:
        return write_reports(vault, today, writer, names=names, kept=self)

    def reset(self, renderer: Renderer | None = None, settings: Any = None) -> None:
        """Forget every rendering (new templates or settings: everything renders again)."""
        self.renderer = renderer
        self.settings = settings
        self.texts = {}
        self.used = set()

    def forget_unused(self) -> None:
        """End a pass: drop renderings it did not ask for (a removed block, another report),
        and the links its renderer made (see Renderer.end_pass)."""
        for slot in self.texts.keys() - self.used:
            del self.texts[slot]
        self.used = set()
        if self.renderer is not None:
            self.renderer.end_pass()


def template_files(root: Path) -> tuple[tuple[str, int, int], ...] | None:
    """(path, size, mtime) of every file under the vault's templates folder, None when
    there is none: renderings are kept only while this stays the same."""
    base = os.path.join(root, VAULT_TEMPLATES)
    if not os.path.isdir(base):
        return None
    found = []
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            found.append((path, st.st_size, st.st_mtime_ns))
    return tuple(found)


def _fill_note(
    session: _Session, writer: Writer, path: str, wanted: set[str], run: ReportRun
) -> None:
    try:
        current = writer.read(path)
    except (WriteRefused, UnsafePath) as e:
        run.problems.append(_refused(path, e))
        return
    if current is None:  # removed since the scan
        return
    try:
        text, bom = decode_note(current)
    except UnicodeDecodeError:
        run.problems.append(
            Problem(
                path, None, "is not valid UTF-8; blocks not filled", "re-save it as UTF-8", ERROR
            )
        )
        return
    problems: list[Problem] = []

    def render(block: Block) -> str | None:
        spec = BY_NAME.get(block.name.casefold())
        if spec is None:
            problems.append(
                Problem(
                    path,
                    block.begin_line,
                    f"unknown report '{block.name}'; block not filled",
                    f"use one of: {', '.join(REPORT_NAMES)}",
                    ERROR,
                )
            )
            return None
        if spec.name not in wanted:
            return None
        body, probs = session.render_block(spec, block, path)
        problems.extend(probs)
        return body

    new_text, block_problems = fill_blocks(text, path, render)
    run.problems.extend(block_problems)
    run.problems.extend(problems)
    if new_text == text:
        run.results.append(WriteResult(path, UNCHANGED))
        run.contents[path] = current
        return
    try:
        data = encode_note(new_text, bom)
        run.results.append(writer.write(path, data, expected=current))
        run.contents[path] = data
    except (WriteRefused, UnsafePath) as e:
        run.problems.append(_refused(path, e))
