"""The vault's path rules: what kith skips, what counts as inside, what a new name may be.

This module owns the checks every vault path goes through: folders and editor or
sync leftovers kith passes over without a word, sync-conflict copies, validation of
vault-relative paths (no absolute paths, `..`, control characters), the symlink and
containment check against the vault root, and turning a person's name into a safe
file name. It only looks at the disk with `lstat`/`realpath`; it never opens, creates,
renames or deletes anything.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from .errors import UnsafePath

# Folders kith never walks, watches or writes (any other dot-folder is skipped too).
IGNORED_DIRS: frozenset[str] = frozenset(
    {".obsidian", ".git", ".trash", ".stversions", ".stfolder", ".kith", "node_modules"}
)

# kith's own temp files: `.kith-<random>.tmp`, next to the file being written.
TEMP_PREFIX = ".kith-"
TEMP_SUFFIX = ".tmp"

# Longest stem safe_note_name accepts, in UTF-8 bytes (leaves room for ".md", " 2",
# and a sync tool's conflict suffix within the usual 255-byte name limit).
MAX_NAME_BYTES = 200
_MAX_COMPONENT_BYTES = 255

_IGNORED_FILE_RE = re.compile(
    r"""\A(?:
        .*~                         # vim/emacs backups: note.md~
      | \.\#.*                      # emacs lock files: .#note.md
      | \#.*\#                      # emacs autosave: #note.md#
      | \..*\.sw[a-px]              # vim swap files: .note.md.swp ... .swx
      | .*___jb_(?:tmp|old)___      # JetBrains safe write
      | .*\.vsctmp                  # VS Code
      | \.goutputstream-.*          # GNOME (gedit and friends)
      | \.syncthing\..*\.tmp        # Syncthing temp files
      | ~syncthing~.*\.tmp          # Syncthing temp files (Windows style)
      | \..*\.icloud                # iCloud placeholders: .note.md.icloud
      | \._.*                       # macOS AppleDouble files on foreign file systems
      | \.kith-.+\.tmp              # kith's own temp files
    )\Z""",
    re.VERBOSE | re.DOTALL,
)
_IGNORED_EXACT = frozenset({".ds_store", "desktop.ini", "thumbs.db"})

_SYNCTHING_CONFLICT_RE = re.compile(
    r"\A(?P<stem>.+)\.sync-conflict-\d{8}-\d{6}(?:-[A-Za-z0-9]+)?(?P<ext>\.[^.]*)?\Z", re.DOTALL
)
_DROPBOX_CONFLICT_RE = re.compile(
    r"\A(?P<stem>.+?) \([^()]*conflicted copy[^()]*(?:\([^()]*\)[^()]*)?\)(?P<ext>\.[^.]*)?\Z",
    re.DOTALL | re.IGNORECASE,
)

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{dev}{n}" for dev in ("com", "lpt") for n in "123456789\u00b9\u00b2\u00b3"}
)
# Characters that break Obsidian links or are not allowed in Windows/macOS file names.
_NAME_FORBIDDEN_RE = re.compile(r"[#|^:\[\]/\\*\"<>?]")
# Invisible direction overrides (names that display differently than they sort).
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAME_HINT = 'choose a name without / \\ : * ? " < > | # ^ [ ] and not a reserved Windows name'


def is_ignored_dir(name: str) -> bool:
    """True for a folder kith never enters: IGNORED_DIRS and every other dot-folder."""
    return name in IGNORED_DIRS or name.startswith(".")


def is_ignored_name(name: str) -> bool:
    """True for editor, sync-tool and OS leftovers (and kith's temp files) kith skips silently.

    Sync-conflict copies are not ignored: see `conflict_original`.
    """
    if name.casefold() in _IGNORED_EXACT:
        return True
    if name.isascii() and name.isdigit():
        # vim's "can I write here" probe: 4913, then 4913 + 123*k while that name exists.
        n = int(name)
        return n >= 4913 and (n - 4913) % 123 == 0 and n < 100000
    return _IGNORED_FILE_RE.match(name) is not None


def kith_temp_name() -> str:
    """A new name for a kith temp file (`.kith-<random>.tmp`: see `is_kith_temp`)."""
    return f"{TEMP_PREFIX}{os.urandom(8).hex()}{TEMP_SUFFIX}"


def is_kith_temp(name: str) -> bool:
    """True for kith's own temp file names (`.kith-<random>.tmp`)."""
    return (
        name.startswith(TEMP_PREFIX)
        and name.endswith(TEMP_SUFFIX)
        and len(name) > len(TEMP_PREFIX) + len(TEMP_SUFFIX)
        and "/" not in name
    )


def conflict_original(name: str) -> str | None:
    """The file name a sync-conflict copy was made from, or None if `name` is not one.

    Recognises Syncthing (`a.sync-conflict-20240101-120000-ABCDEF1.md`) and Dropbox /
    Nextcloud (`a (conflicted copy 2024-01-01).md`, `a (Alice's conflicted copy …).md`).
    A conflict copy of a conflict copy gives the first original.
    """
    original: str | None = None
    current = name
    for _ in range(16):
        m = _SYNCTHING_CONFLICT_RE.match(current) or _DROPBOX_CONFLICT_RE.match(current)
        if m is None:
            break
        current = m.group("stem") + (m.group("ext") or "")
        original = current
    return original


def _has_control(s: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in s)


def check_relpath(rel: str) -> str:
    """Normalise a vault-relative path to `a/b/c.md`, or raise UnsafePath.

    Backslashes count as separators (a vault may be synced to Windows) and `.`
    components are dropped. Absolute paths (`/x`, `C:\\x`), `..`, empty components,
    NUL and other control characters, and components over 255 bytes are refused.
    Unicode normalisation is left alone: the path names an existing file.
    """
    if not isinstance(rel, str) or rel == "":
        raise UnsafePath("empty path", path=str(rel))
    shown = repr(rel)
    if _has_control(rel):
        raise UnsafePath(f"path {shown} contains a control character", path=rel)
    unified = rel.replace("\\", "/")
    if unified.startswith("/"):
        raise UnsafePath(f"path {shown} is absolute; expected a path inside the vault", path=rel)
    if re.match(r"[A-Za-z]:", unified):
        raise UnsafePath(
            f"path {shown} has a drive letter; expected a path inside the vault", path=rel
        )
    parts: list[str] = []
    for part in unified.split("/"):
        if part == "":
            raise UnsafePath(f"path {shown} has an empty component", path=rel)
        if part == ".":
            continue
        if part == "..":
            raise UnsafePath(f"path {shown} contains '..'", path=rel)
        if len(part.encode("utf-8", "surrogatepass")) > _MAX_COMPONENT_BYTES:
            raise UnsafePath(f"path {shown} has a name longer than 255 bytes", path=rel)
        parts.append(part)
    if not parts:
        raise UnsafePath(f"path {shown} names the vault folder itself", path=rel)
    return "/".join(parts)


def resolve_inside(root: Path, rel: str) -> Path:
    """The absolute path of `rel` inside the vault at `root`, or raise UnsafePath.

    Every existing component below the root (the target included) is checked with
    `lstat` and must not be a symlink; the real path must stay inside the real root.
    The root itself may be a symlink. Components that do not exist yet are fine.
    """
    rel = check_relpath(rel)
    root_real = os.path.realpath(root)
    target = Path(root_real, *rel.split("/"))
    current = Path(root_real)
    for part in rel.split("/"):
        current = current / part
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            break
        except OSError as e:
            raise UnsafePath(f"cannot check path {rel!r} ({e.strerror or e})", path=rel) from None
        if stat.S_ISLNK(st.st_mode):
            shown = current.relative_to(root_real).as_posix()
            raise UnsafePath(
                f"path {rel!r} goes through a symlink ({shown}); kith does not follow symlinks",
                path=rel,
                hint="kith only reads and writes real files inside the vault",
            )
    real = os.path.realpath(target)
    if os.path.commonpath([root_real, real]) != root_real:
        raise UnsafePath(f"path {rel!r} leads outside the vault", path=rel)
    return target


def safe_note_name(name: str) -> str:
    """A file-name stem for a new note about a person called `name`, or raise UnsafePath.

    NFC-normalised; characters that break links or file names (`# | ^ : [ ] / \\ * " < > ?`,
    `%%`, control and direction-override characters) become spaces; whitespace is
    collapsed; leading and trailing dots and spaces are removed. Empty results,
    reserved Windows names (CON, NUL, COM1, … also with an extension) and names over
    200 UTF-8 bytes are refused.
    """
    original = name
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS else ch
        for ch in name
    )
    name = _NAME_FORBIDDEN_RE.sub(" ", name)
    while "%%" in name:
        name = name.replace("%%", "%")
    name = " ".join(name.split())
    name = name.strip(" .")
    shown = repr(original)
    if name in ("", ".", ".."):
        raise UnsafePath(
            f"{shown} is not a valid file name (nothing is left after removing characters "
            "that are not allowed)",
            path=original,
            hint=_NAME_HINT,
        )
    base = name.split(".", 1)[0].rstrip(" ").casefold()
    if base in _WINDOWS_RESERVED:
        raise UnsafePath(
            f"{shown} is not a valid file name (reserved on Windows)",
            path=original,
            hint=_NAME_HINT,
        )
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise UnsafePath(
            f"{shown} is not a valid file name (longer than {MAX_NAME_BYTES} bytes)",
            path=original,
            hint="use a shorter name; the full name can go in the note's `name:` property",
        )
    return name


def casefold_key(name: str) -> str:
    """A key under which names that differ only in case or Unicode normalisation collide."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())
