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
`Problem` with the template's path and line. This module never reads notes,
never writes files and never computes what a report says.
"""

from __future__ import annotations

import os
import posixpath
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
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

import vaultlib

from .errors import KithError, UnsafePath
from .model import ERROR, Problem
from .paths import resolve_inside

VAULT_TEMPLATES = ".kith/templates"  # a vault's own templates, vault-relative
DEFAULT_PREFIX = "default"  # `{% extends "default:overdue.md.j2" %}`
MAX_OUTPUT_CHARS = 2_000_000  # per rendering; a template past this is stopped
MAX_TEMPLATE_BYTES = 1_000_000


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


def escape_md(value: object) -> str:
    """`value` as literal inline Markdown text, safe in a paragraph, list item or table cell.

    Whitespace runs (newlines included) become one space; `\\ ` | [ ] $` are
    backslash-escaped; `<` before a tag or comment, `&` before an entity, `%%` and
    `kith:` / `kith-` become character references; a `#` that would start a tag or
    heading and block syntax at the start (`>`, `- `, `1. `, `---`) are escaped.
    """
    text = " ".join(_CONTROL.sub("", str(value)).split())
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


def finalize(value: Any) -> str:
    """What every `{{ … }}` prints: kith's Markdown as is, everything else escaped."""
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


def escape_cell(value: Any) -> MdText:
    """Make a value safe inside a table cell: kith's Markdown gets its `|` escaped."""
    if isinstance(value, MdText):
        return MdText(re.sub(r"(?<!\\)\|", r"\\|", value))
    return MdText(finalize(value))


def mermaid_label(value: Any) -> MdText:
    """A quoted Mermaid label: `"text"` with quotes and angle brackets as entities."""
    text = " ".join(_CONTROL.sub("", str(value)).split())
    text = (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )
    return MdText(f'"{text}"')


_WIKI_UNSAFE = re.compile(r"[\[\]|#^\\<>$`]|%%|kith[:-]", re.IGNORECASE)


def _wiki_ok(text: str) -> bool:
    return (
        bool(text)
        and text == " ".join(text.split())
        and not _WIKI_UNSAFE.search(text)
        and not _CONTROL.search(text)
    )


def make_link(path: str, name: str, here: str, *, style: str, full_path: bool) -> MdText:
    """A link to the note at vault path `path`, written in the vault's link style.

    wikilink: `[[Stem]]`, `[[Stem|Name]]`, or `[[Folder/Stem|Name]]` when `full_path`
    (the basename is shared, or the target is a report). Names or paths a wikilink
    cannot hold fall back to a Markdown link. markdown: a link relative to the
    folder of `here`, %-encoded.
    """
    target = path[:-3] if path.endswith(".md") else path
    stem = target.rsplit("/", 1)[-1]
    if style == "wikilink":
        ref = target if full_path else stem
        if _wiki_ok(ref) and _wiki_ok(name):
            return MdText(f"[[{ref}]]" if name == ref else f"[[{ref}|{name}]]")
    rel = posixpath.relpath(path, posixpath.dirname(here) or ".")
    return MdText(f"[{escape_md(name) or escape_md(stem)}]({quote(rel, safe='/')})")


# --- loading ------------------------------------------------------------------------


def shipped_templates_dir() -> Path:
    """The templates kith ships: inside the package when installed, else the checkout's."""
    pkg = Path(vaultlib.__file__).resolve().parent
    for d in (pkg / "templates", pkg.parent / "templates"):
        if d.is_dir():
            return d
    raise KithError("kith's own templates are missing", hint="reinstall kith")


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
    ) -> None:
        self.root = Path(root)
        self.link_style = link_style
        self.shared = frozenset(shared_names)
        self.reports_prefix = reports_folder.strip("/") + "/"
        self.shipped = shipped_templates_dir()
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
        self.env = env

    def link(self, path: str, name: str, here: str) -> MdText:
        target = path[:-3] if path.endswith(".md") else path
        stem = target.rsplit("/", 1)[-1]
        full = stem.casefold() in self.shared or path.startswith(self.reports_prefix)
        return make_link(path, name, here, style=self.link_style, full_path=full)

    def _link_filter(self) -> Callable[..., MdText]:
        @pass_context
        def link(ctx: Context, target: Any, text: str | None = None) -> MdText:
            path, name = getattr(target, "path", None), getattr(target, "name", None)
            if not isinstance(path, str) or not isinstance(name, str):
                raise TypeError(f"link needs a person, note or report, got {type(target).__name__}")
            return self.link(path, text if text is not None else name, ctx["here"])

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
            for chunk in template.generate(**context):
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


def normalize_output(text: str) -> str:
    """Tidy rendered Markdown: no leading blank lines, at most one blank line in a row
    outside code fences, and exactly one final newline."""
    out: list[str] = []
    blank = 0
    fence: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped[:3] in ("```", "~~~"):
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
