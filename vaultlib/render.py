"""Turning report data into Markdown with Jinja2 templates, safely.

This module owns the template environment: where templates come from (the vault's
`.kith/templates/` first, then the templates shipped with kith, and `default:NAME`
for the shipped one a vault template extends), the sandbox they all run in, the
bound on output size, and the filters that make every value safe for Markdown.
Every `{{ value }}` is escaped for Markdown on output (newlines, `|`, brackets,
HTML and comment openers, `%%`, `$`, tags, block syntax at the start, kith's
marker text), so a contact named `{{ 7*7 }}`, `]]` or `<!-- /kith:overdue -->`
comes out literally and harmlessly; only `link`, `cell`, `mermaid`, `heading`
and `join` return Markdown that is passed through. A broken template becomes a
`Problem` with the template's path and line. It also owns what makes rendering
fast without changing a byte: escaping plain text on a fast path, each string and
link made once, `each` (a table's rows, and with `keep_rows` each row's text kept
between renderings), and tidying output in C where there is no code fence. This
module never reads notes, never writes files and never computes what a report says.
"""

from __future__ import annotations

import os
import posixpath
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    pass_environment,
)
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from jinja2.filters import make_attrgetter
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import registry
from .errors import UnsafePath
from .model import ERROR, Problem
from .paths import resolve_inside
from .registry import VAULT_TEMPLATES

DEFAULT_PREFIX = "default"  # `{% extends "default:overdue.md.j2" %}`
MAX_OUTPUT_CHARS = 2_000_000  # per rendering; a template past this is stopped
MAX_TEMPLATE_BYTES = 1_000_000
RENDER_BATCH = 512  # template output pieces joined at a time
LINK_CACHE_SIZE = 100_000  # links a renderer remembers before starting over


class MdText(str):
    """Markdown made by kith's filters: passed through as is, never escaped again."""

    __slots__ = ()


# --- escaping -----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_BACKSLASHED = re.compile(r"([\\`|\[\]$])")
_ENTITY_AMP = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_HTML_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_DOUBLE_PERCENT = re.compile(r"%(?=%)")
_KITH_MARK = re.compile(r"(kith)([:-])", re.IGNORECASE)
_TAG = re.compile(r"^#|(?<=\s)#(?=[^\s#])")
_LEADING_BLOCK = re.compile(r"^(?:>|[-+*](?=\s|$)|([-*_=~])\1\1)")
_LEADING_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


# Text none of the rules below touch: no control character, no whitespace but single inner
# spaces, none of the characters any rule escapes, no `kith:`/`kith-`, and a first character
# that cannot start block syntax (checked apart). Most names, dates and summaries are such
# text, and are returned as they are (the same result as the rules, much faster).
_NEEDS_ESCAPING = re.compile(r"[\x00-\x1f\x7f-\x9f\\`|\[\]$&<%#]|[^\S ]|  |kith[:-]", re.IGNORECASE)
_BLOCK_STARTS = frozenset(" >-+*_=~")


def escape_md(value: object) -> str:
    """`value` as literal inline Markdown text, safe in a paragraph, list item or table cell.

    Whitespace runs (newlines included) become one space; `\\ ` | [ ] $` are
    backslash-escaped; `<` before a tag or comment, `&` before an entity, `%%` and
    `kith:` / `kith-` become character references; a `#` that would start a tag or
    heading and block syntax at the start (`>`, `- `, `1. `, `---`) are escaped.
    """
    text = str(value)
    if (
        text
        and text[0] not in _BLOCK_STARTS
        and text[-1] != " "
        and not text[0].isdigit()
        and _NEEDS_ESCAPING.search(text) is None
    ):
        return text
    return _escape_md(text)


def _escape_md(text: str) -> str:
    text = " ".join(_CONTROL.sub("", text).split())
    if not text:
        return ""
    text = _BACKSLASHED.sub(r"\\\1", text)
    text = _ENTITY_AMP.sub("&amp;", text)
    text = _HTML_OPEN.sub("&lt;", text)
    text = _DOUBLE_PERCENT.sub("&#37;", text)
    text = _KITH_MARK.sub(lambda m: m.group(1) + ("&#58;" if m.group(2) == ":" else "&#45;"), text)
    text = _TAG.sub(r"\\#", text)
    m = _LEADING_ORDERED.match(text)
    if m:
        text = m.group(1) + "\\" + text[len(m.group(1)) :]
    elif _LEADING_BLOCK.match(text):
        text = "\\" + text
    return text


ESCAPED_CACHE_SIZE = 200_000  # escaped strings remembered before starting over
_ESCAPED: dict[str, str] = {}


def finalize(value: Any) -> str:
    """What every `{{ … }}` prints: kith's Markdown as is, everything else escaped."""
    kind = type(value)
    if kind is str:
        # The same names, rings and texts recur in every report: escape each once.
        done = _ESCAPED.get(value)
        if done is None:
            if len(_ESCAPED) >= ESCAPED_CACHE_SIZE:
                _ESCAPED.clear()
            done = _ESCAPED[value] = escape_md(value)
        return done
    if kind is MdText:
        return value
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple(value)
    if isinstance(value, MdText):
        return value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return escape_md(value)


# How `finalize` prints values of these exact types (subclasses take the long way).
_SIMPLE: dict[type, Callable[[Any], str]] = {
    int: int.__str__,
    bool: lambda v: "yes" if v else "no",
    type(None): lambda v: "—",
    date: date.isoformat,
}

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def escape_cell(value: Any) -> MdText:
    """Make a value safe inside a table cell: kith's Markdown gets its `|` escaped."""
    if isinstance(value, MdText):
        if "|" not in value:
            return value
        return MdText(_UNESCAPED_PIPE.sub(r"\\|", value))
    return MdText(finalize(value))


def mermaid_label(value: Any) -> MdText:
    """A quoted Mermaid label: `"text"` with quotes and angle brackets as entities."""
    text = " ".join(_CONTROL.sub("", str(value)).split())
    text = (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )
    return MdText(f'"{text}"')


_WIKI_UNSAFE = re.compile(r"[\[\]|#^\\<>$`]|%%|kith[:-]", re.IGNORECASE)


# What a wikilink's target or label cannot hold, in one pass: the characters above, a
# control character, whitespace but single inner spaces (`text == " ".join(text.split())`).
_WIKI_BAD = re.compile(
    r"[\[\]|#^\\<>$`\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]|%%|kith[:-]|[^\S ]|  |^ | \Z",
    re.IGNORECASE,
)


def _wiki_ok(text: str) -> bool:
    return bool(text) and not _WIKI_BAD.search(text)


def make_link(path: str, name: str, here: str, *, style: str, full_path: bool) -> MdText:
    """A link to the note at vault path `path`, written in the vault's link style.

    wikilink: `[[Stem]]`, `[[Stem|Name]]`, or `[[Folder/Stem|Name]]` when `full_path`
    (the basename is shared, or the target is a report). Names or paths a wikilink
    cannot hold fall back to a Markdown link. markdown: a link relative to the
    folder of `here`, %-encoded.
    """
    target = path[:-3] if path.endswith(".md") else path
    return _make_link(path, target, target.rsplit("/", 1)[-1], name, here, style, full_path)


def _make_link(
    path: str, target: str, stem: str, name: str, here: str, style: str, full_path: bool
) -> MdText:
    if style == "wikilink":
        ref = target if full_path else stem
        if _wiki_ok(ref) and (name == ref or _wiki_ok(name)):
            return MdText(f"[[{ref}]]" if name == ref else f"[[{ref}|{name}]]")
    rel = posixpath.relpath(path, posixpath.dirname(here) or ".")
    return MdText(f"[{escape_md(name) or escape_md(stem)}]({quote(rel, safe='/')})")


# --- loading ------------------------------------------------------------------------


class TemplateRefused(Exception):
    """A vault template kith will not read (a symlink, too large, not UTF-8)."""


class VaultTemplateLoader(BaseLoader):
    """Templates from the vault's `.kith/templates/`, never through a symlink."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # TemplateNotFound for `..` and friends
        rel = "/".join([VAULT_TEMPLATES, *pieces])
        try:
            path = resolve_inside(self.root, rel)
        except UnsafePath as e:
            raise TemplateRefused(f"{rel}: {e}") from None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise TemplateNotFound(template) from None
        except OSError as e:
            if os.path.islink(path):
                raise TemplateRefused(
                    f"{rel} is a symlink; kith does not follow symlinks"
                ) from None
            raise TemplateRefused(f"{rel} cannot be read ({e.strerror})") from None
        with os.fdopen(fd, "rb") as f:
            mtime = os.fstat(f.fileno()).st_mtime_ns
            data = f.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise TemplateRefused(f"{rel} is larger than {MAX_TEMPLATE_BYTES} bytes")
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TemplateRefused(f"{rel} is not valid UTF-8") from None

        def uptodate() -> bool:
            try:
                return os.stat(path, follow_symlinks=False).st_mtime_ns == mtime
            except OSError:
                return False

        return source, str(path), uptodate


# --- the environment ----------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    text: str | None  # None when the template failed
    problems: tuple[Problem, ...] = ()


def user_bytecode_dir() -> Path:
    """Compiled templates live in the user's cache folder, never in the vault: a vault may
    be shared, and compiled code planted there would run outside the sandbox."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kith" / "jinja"


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept in kith's cache folder (saves ~0.2 s a run); a cache that
    cannot be read or written is simply not used."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


class Renderer:
    """The template environment for one vault: sandboxed, strict, link-style aware.

    Every template, shipped or the vault's own, runs in the same immutable sandbox,
    so a vault template that extends a default one behaves exactly like it.
    """

    def __init__(
        self,
        root: Path,
        *,
        link_style: str = "wikilink",
        shared_names: Iterable[str] = (),
        reports_folder: str = "Reports",
        bytecode_dir: Path | None = None,
        keep_rows: bool = False,
    ) -> None:
        self.root = Path(root)
        # A link depends only on (path, name, here) and this renderer's settings: the
        # same person linked from several reports, or again on the watcher's next pass,
        # is looked up rather than made again.
        self._links: dict[tuple[str, str, str], MdText] = {}
        self.link_style = link_style
        self.shared = frozenset(shared_names)
        self.reports_prefix = reports_folder.strip("/") + "/"
        self.shipped = registry.shipped_templates_dir()
        self.vault_dir = self.root / VAULT_TEMPLATES
        real_root = Path(os.path.realpath(self.root))
        self._bases = (
            (str(real_root / VAULT_TEMPLATES), VAULT_TEMPLATES + "/"),
            (os.path.realpath(self.shipped), DEFAULT_PREFIX + ":"),
        )
        shipped = FileSystemLoader(str(self.shipped))
        # The sandbox guards against the vault's own templates; with none, only kith's
        # shipped templates run, and they run without its per-attribute checks (~2x faster).
        env_class = ImmutableSandboxedEnvironment if self.vault_dir.is_dir() else Environment
        env = env_class(
            loader=ChoiceLoader(
                [
                    PrefixLoader({DEFAULT_PREFIX: shipped}, delimiter=":"),
                    VaultTemplateLoader(self.root),
                    shipped,
                ]
            ),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            finalize=finalize,
            bytecode_cache=(
                _QuietBytecodeCache(str(bytecode_dir / env_class.__name__))
                if bytecode_dir
                else None
            ),  # compiled code differs between the sandbox and the plain environment
        )
        env.filters.update(
            link=self._link_filter(),
            cell=escape_cell,
            md=lambda v: MdText(finalize(v)),
            mermaid=mermaid_label,
            join=_join,
        )
        env.globals["heading"] = _heading
        env.globals["each"] = self._each_global()
        self.env = env
        # `each` keeps each row's text between renderings when asked to (the watcher):
        # per template body and fixed context, row object id -> (row, text).
        self.keep_rows = keep_rows
        self._rows: dict[tuple[Any, ...], dict[int, tuple[Any, str]]] = {}
        self._rows_now: dict[tuple[Any, ...], dict[int, tuple[Any, str]]] = {}
        self._rows_day: date | None = None

    def link(self, path: str, name: str, here: str) -> MdText:
        key = (path, name, here)
        found = self._links.get(key)
        if found is None:
            if len(self._links) >= LINK_CACHE_SIZE:
                self._links.clear()
            target = path[:-3] if path.endswith(".md") else path
            stem = target.rsplit("/", 1)[-1]
            full = stem.casefold() in self.shared or path.startswith(self.reports_prefix)
            found = _make_link(path, target, stem, name, here, self.link_style, full)
            self._links[key] = found
        return found

    def new_pass(self, today: date | None = None) -> None:
        """Start a new pass over the vault: rows `each` did not render again since the
        last time their table was rendered are forgotten, and on a new day all of them
        (every row renders again then)."""
        self._rows.update(self._rows_now)
        self._rows_now = {}
        if len(self._rows) > MAX_ROW_TABLES or today != self._rows_day:
            self._rows.clear()
        self._rows_day = today

    def end_pass(self) -> None:
        """A pass is over: forget the links made in it. With `keep_rows` (the watcher, which
        alone makes passes), a row that did not change is not rendered again, so the next
        pass makes few links, and keeping every link a large vault's reports hold cost
        ~2.5 MB between passes."""
        self._links.clear()

    def _each_global(self) -> Callable[..., str]:
        @pass_context
        def each(ctx: Context, items: Iterable[Any], caller: Any) -> str:
            """`{% call(row) each(rows) %}…{% endcall %}`: the body once per row, joined.

            With `keep_rows`, the text of a row object this body already rendered (in
            the same place: same `here`, `embedded`, `today`, `options`) is reused:
            rows are immutable, and a row body depends only on its row and those. A
            body that uses outer loop variables or `report` is rendered every time.
            """
            body = getattr(getattr(caller, "_func", None), "__code__", None)
            if not self.keep_rows or body is None or not _row_body(body):
                return "".join([caller(x) for x in items])
            options = ctx.get("options")
            fixed = (
                body,
                ctx.get("here"),
                ctx.get("embedded"),
                ctx.get("today"),
                tuple(sorted(options.items())) if isinstance(options, dict) else options,
            )
            new = self._rows_now.get(fixed)
            if new is None:
                new = self._rows_now[fixed] = {}
            old = self._rows.get(fixed, {})
            out = []
            for x in items:
                k = id(x)
                got = new.get(k) or old.get(k)
                if got is None or got[0] is not x:
                    got = (x, caller(x))
                    if not _immutable(x):  # rendered afresh every time
                        out.append(got[1])
                        continue
                new[k] = got
                out.append(got[1])
            return "".join(out)

        return each

    def _link_filter(self) -> Callable[..., MdText]:
        @pass_context
        def link(ctx: Context, target: Any, text: str | None = None) -> MdText:
            path, name = getattr(target, "path", None), getattr(target, "name", None)
            if not isinstance(path, str) or not isinstance(name, str):
                raise TypeError(f"link needs a person, note or report, got {type(target).__name__}")
            shown, here = text if text is not None else name, ctx["here"]
            return links.get((path, shown, here)) or self.link(path, shown, here)

        links = self._links

        return link

    def template_path(self, filename: str | None, name: str | None) -> str:
        """How a template is named in a problem: `.kith/templates/x.j2` or `default:x.j2`."""
        if filename:
            for base, shown in self._bases:
                if filename.startswith(base + os.sep):
                    return shown + Path(filename[len(base) + 1 :]).as_posix()
        return name or "<template>"

    def render(self, name: str, context: Mapping[str, Any], *, target: str) -> Rendered:
        """Render template `name`; on any failure, no text and a `path:line` problem.

        `target` names what is being rendered (`Reports/Overdue.md`) for the message.
        """
        try:
            template = self.env.get_template(name)
            chunks: list[str] = []
            size = 0
            pieces = template.generate(**context)
            # Jinja yields one string per output expression: join them a batch at a time
            # (a loop in C), checking the bound after each batch.
            while batch := list(islice(pieces, RENDER_BATCH)):
                chunk = "".join(batch)
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    return Rendered(
                        None,
                        (
                            Problem(
                                self.template_path(template.filename, name),
                                None,
                                f"template output is larger than {MAX_OUTPUT_CHARS} characters; stopped, "
                                f"{target} not written",
                                "look for a loop that never ends in the template",
                                ERROR,
                            ),
                        ),
                    )
                chunks.append(chunk)
            return Rendered("".join(chunks))
        except TemplateSyntaxError as e:
            where = self.template_path(e.filename, e.name or name)
            return Rendered(
                None,
                (
                    Problem(
                        where,
                        e.lineno,
                        f"template error: {e.message}; {target} not written",
                        "fix the template, or delete it to use kith's default",
                        ERROR,
                    ),
                ),
            )
        except TemplateNotFound as e:
            return Rendered(
                None,
                (
                    Problem(
                        self.template_path(None, name),
                        None,
                        f"template '{e.name}' not found; {target} not written",
                        f"templates live in {VAULT_TEMPLATES}/, defaults as "
                        f"'{DEFAULT_PREFIX}:NAME'",
                        ERROR,
                    ),
                ),
            )
        except TemplateRefused as e:
            return Rendered(
                None,
                (
                    Problem(
                        VAULT_TEMPLATES,
                        None,
                        f"{e}; {target} not written",
                        "replace it with a regular file",
                        ERROR,
                    ),
                ),
            )
        # A template may raise anything at run time: that report fails, the run goes on.
        except Exception as e:
            where, line = self._locate(e, name)
            return Rendered(
                None,
                (
                    Problem(
                        where,
                        line,
                        f"template error: {type(e).__name__}: {e}; {target} not written",
                        "fix the template, or delete it to use kith's default",
                        ERROR,
                    ),
                ),
            )

    def _locate(self, e: BaseException, name: str) -> tuple[str, int | None]:
        found: tuple[str, int | None] = (self.template_path(None, name), None)
        for frame, lineno in traceback.walk_tb(e.__traceback__):
            filename = frame.f_code.co_filename
            if any(filename.startswith(base + os.sep) for base, _ in self._bases):
                found = (self.template_path(filename, None), lineno)
        return found


MAX_ROW_TABLES = 1000  # (template body, place) tables `each` keeps before starting over
_ROW_BODIES: dict[Any, bool] = {}
_IMMUTABLE: dict[type, bool] = {}


def _row_body(code: Any) -> bool:
    """True when a compiled `each` body sees only its row and the fixed context: no
    variable of an enclosing loop or block (closure names `l_…`), and not `report`."""
    ok = _ROW_BODIES.get(code)
    if ok is None:
        if len(_ROW_BODIES) >= MAX_ROW_TABLES:
            _ROW_BODIES.clear()
        ok = _ROW_BODIES[code] = not any(n.startswith("l_") for n in code.co_freevars) and (
            "report" not in code.co_consts
        )
    return ok


def _immutable(x: Any) -> bool:
    """Rows whose text may be kept by identity: frozen dataclasses, tuples, plain values."""
    kind = type(x)
    ok = _IMMUTABLE.get(kind)
    if ok is None:
        params = getattr(kind, "__dataclass_params__", None)
        ok = _IMMUTABLE[kind] = (params is not None and params.frozen) or issubclass(
            kind, (tuple, str, int, float, date)
        )
    return ok


@pass_context
def _heading(ctx: Context, text: Any, level: int = 2) -> MdText:
    """A section heading in a report; bold text inside a note's generated block."""
    shown = finalize(text)
    if ctx.get("embedded"):
        return MdText(f"**{shown}**")
    return MdText("#" * max(1, min(int(level), 6)) + " " + shown)


@pass_environment
def _join(
    env: Any, value: Iterable[Any], d: str = "", attribute: str | int | None = None
) -> MdText:
    """`join` that escapes each item (kith's Markdown passes) and keeps links intact."""
    items = list(value)
    if attribute is not None:
        getter = make_attrgetter(env, attribute)
        items = [getter(x) for x in items]
    return MdText(str(d).join(finalize(x) for x in items))


_BLANK_RUNS = re.compile(r"\n\n\n+")  # spelled so the engine scans for a literal
_FENCES = ("```", "~~~")
_FENCE_AFTER_NL = re.compile(r"\n[^\S\n]*(?:```|~~~)")


def _has_fence(text: str) -> bool:
    """True when a line of `text` starts (after whitespace) with a code fence."""
    if "```" not in text and "~~~" not in text:
        return False
    return text.split("\n", 1)[0].lstrip()[:3] in _FENCES or bool(_FENCE_AFTER_NL.search(text))


def normalize_output(text: str) -> str:
    """Tidy rendered Markdown: no leading blank lines, at most one blank line in a row
    outside code fences, and exactly one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _has_fence(text):  # the same rules, in C
        body = _BLANK_RUNS.sub("\n\n", "\n".join([line.rstrip() for line in text.split("\n")]))
        body = body.strip("\n")
        return body + "\n" if body else ""
    out: list[str] = []
    blank = 0
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped[:3] in _FENCES:
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and not line.strip():
            blank += 1
            if blank > 1 or not out:
                continue
            out.append("")
            continue
        blank = 0
        out.append(line.rstrip() if fence is None else line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n" if out else ""
