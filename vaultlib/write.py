"""The only place kith writes files: atomic, compare-and-swap writes inside the vault.

This module owns putting bytes on disk. A write goes to a `.kith-<random>.tmp`
file in the same folder, is flushed and fsynced, and is swapped into place only if
the file still holds exactly the bytes the caller read (on Linux with
`renameat2(RENAME_EXCHANGE)`, checking what was displaced and swapping back if the
user saved in the meantime). Identical bytes are never rewritten. Symlinks, hard
links, read-only files and paths that leave the vault are refused, never worked
around: this module never follows a symlink, never chmods a user's file, never
deletes anything but its own temp files, and never decides *what* to write.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Conflict, UnsafePath, VaultNotFound, WriteRefused
from .paths import (
    casefold_key,
    check_relpath,
    is_ignored_dir,
    is_kith_temp,
    kith_temp_name,
    resolve_inside,
)

CREATED = "created"
WRITTEN = "written"
UNCHANGED = "unchanged"
WOULD_WRITE = "would-write"

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

# Walk folders with openat-style calls where the platform has them (Linux, macOS, BSD):
# every component is opened with O_NOFOLLOW, so a folder swapped for a symlink after
# the path check still cannot redirect the write.
_USE_DIR_FD = os.name == "posix" and all(
    f in os.supports_dir_fd for f in (os.open, os.stat, os.mkdir, os.link, os.rename, os.unlink)
)

# Windows: os.replace fails with these while an editor, antivirus or sync client holds
# the file. Retry a few times (about 2.5 s in total), never delete-then-rename.
_WINERRORS_LOCKED = frozenset({5, 32, 33})
_LOCK_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.75, 1.0)

# Errors that mean "this file system cannot do that", answered by a fallback.
_UNSUPPORTED_ERRNOS = frozenset(
    e
    for e in (
        errno.ENOSYS,
        errno.EINVAL,
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EOPNOTSUPP", None),
    )
    if e is not None
)
_NO_HARDLINK_ERRNOS = frozenset(
    e
    for e in (
        errno.EPERM,
        errno.EXDEV,
        errno.EMLINK,
        errno.ENOSYS,
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EOPNOTSUPP", None),
    )
    if e is not None
)


@dataclass(frozen=True, slots=True)
class WriteResult:
    path: str  # vault-relative, `/` separators
    status: str  # "created" | "written" | "unchanged" | "would-write"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Unsupported(Exception):
    """renameat2 (or the requested flag) is not available here: use the fallback."""


def _load_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _load_renameat2()


def _renameat2(dirfd: int | None, old: str, new: str, flags: int) -> None:
    """renameat2(2) within one folder; raises OSError, or _Unsupported when unavailable."""
    if _RENAMEAT2 is None:
        raise _Unsupported
    fd = AT_FDCWD if dirfd is None else dirfd
    if _RENAMEAT2(fd, os.fsencode(old), fd, os.fsencode(new), flags) != 0:
        err = ctypes.get_errno()
        if err in _UNSUPPORTED_ERRNOS:
            raise _Unsupported
        raise OSError(err, os.strerror(err), new)


def _reason(e: OSError) -> str:
    if e.errno:
        return os.strerror(e.errno)
    return e.strerror or str(e) or type(e).__name__


@dataclass
class _Dir:
    """An open folder inside the vault: a descriptor where the OS has openat, else a path."""

    path: str
    fd: int | None

    def at(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self.path, name)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _lstat_at(d: _Dir, name: str) -> os.stat_result | None:
    try:
        return os.stat(d.at(name), dir_fd=d.fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None


_SYMLINK_REASON = "is a symlink; kith never reads or writes through symlinks"


def _read_at(d: _Dir, name: str, rel: str) -> bytes | None:
    """The bytes of regular file `name` in `d` (None if missing), never following a symlink."""
    if d.fd is None or not _O_NOFOLLOW:
        st = _lstat_at(d, name)  # no O_NOFOLLOW here: check first (racy, but the best there is)
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise WriteRefused(rel, _SYMLINK_REASON)
    flags = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY | _O_CLOEXEC
    try:
        fd = os.open(d.at(name), flags, dir_fd=d.fd)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        st = _lstat_at(d, name)
        if e.errno == errno.ELOOP or (st is not None and stat.S_ISLNK(st.st_mode)):
            raise WriteRefused(rel, _SYMLINK_REASON) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WriteRefused(rel, "is not a regular file")
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _copy_metadata(d: _Dir, name: str, fd: int, st: os.stat_result) -> None:
    """Give the temp file the original's permission bits (and owner and xattrs if we can)."""
    mode = stat.S_IMODE(st.st_mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    if hasattr(os, "fchown") and hasattr(os, "geteuid"):
        tst = os.fstat(fd)
        if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass  # only root may give a file away; the group may not be ours
    if hasattr(os, "listxattr"):
        src = os.path.join(d.path, name)
        try:
            names = os.listxattr(src, follow_symlinks=False)
        except OSError:
            return
        for attr in names:
            try:
                os.setxattr(fd, attr, os.getxattr(src, attr, follow_symlinks=False))
            except OSError:
                pass  # best effort: e.g. security.* attributes need privileges


def _is_read_only(d: _Dir, name: str, st: os.stat_result) -> bool:
    if st.st_mode & 0o222 == 0:
        return True
    if hasattr(os, "geteuid") and st.st_uid == os.geteuid() and not st.st_mode & stat.S_IWUSR:
        return True
    try:
        return not os.access(d.at(name), os.W_OK, dir_fd=d.fd)
    except (OSError, NotImplementedError):
        return False


def _replace(d: _Dir, src: str, dst: str, rel: str, sleep: Callable[[float], Any]) -> None:
    """os.replace, retried while Windows reports the destination locked (5/32/33)."""
    for delay in (*_LOCK_RETRY_DELAYS, None):
        try:
            os.replace(d.at(src), d.at(dst), src_dir_fd=d.fd, dst_dir_fd=d.fd)
            return
        except PermissionError as e:
            if getattr(e, "winerror", None) not in _WINERRORS_LOCKED:
                raise
            if delay is None:
                raise WriteRefused(
                    rel,
                    f"is locked by another program ({_reason(e)}); not written, will retry",
                    hint="close the note in other programs, or wait for the sync client",
                ) from None
            sleep(delay)


def _fsync_dir(d: _Dir) -> None:
    """Make a new or renamed entry in `d` durable (POSIX; Windows cannot open folders)."""
    if d.fd is not None:
        try:
            os.fsync(d.fd)
        except OSError:
            pass  # the change is made; some file systems cannot fsync a folder


def _unlink_quietly(d: _Dir, name: str) -> None:
    try:
        os.unlink(d.at(name), dir_fd=d.fd)
    except OSError:
        pass


class Writer:
    """Writes files into one vault, at most once per path; see `write`.

    `written` maps each vault-relative path kith wrote to the sha256 of the bytes it
    wrote, so the watcher can recognise the echo of its own writes. A watcher makes
    a new Writer for every pass.
    """

    def __init__(self, root: Path, *, dry_run: bool = False) -> None:
        self.root = Path(root)
        self.dry_run = dry_run
        self.written: dict[str, str] = {}
        self._seen: dict[str, str] = {}
        self._sleep: Callable[[float], Any] = time.sleep

    # -- folders --------------------------------------------------------------

    def _check_folder(self, parts: list[str]) -> None:
        """UnsafePath if the folder part of a path leaves the vault or crosses a symlink.

        The file itself is checked later, so that a symlinked note is a WriteRefused
        ("not written") rather than an unsafe path. `_open_parent` repeats the folder
        check race-free with O_NOFOLLOW.
        """
        if len(parts) > 1:
            resolve_inside(self.root, "/".join(parts[:-1]))

    def _open_parent(self, parts: list[str], rel: str, *, create: bool) -> _Dir | None:
        """Open the folder holding `rel`, creating missing folders if `create`.

        Returns None when a folder is missing and `create` is false. Every component
        is opened without following symlinks.
        """
        root_real = os.path.realpath(self.root)
        try:
            fd = (
                os.open(root_real, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC) if _USE_DIR_FD else None
            )
        except OSError as e:
            raise VaultNotFound(
                f"vault folder {str(self.root)!r} is not available ({_reason(e)})"
            ) from None
        if fd is None and not os.path.isdir(root_real):
            raise VaultNotFound(f"vault folder {str(self.root)!r} does not exist")
        d = _Dir(root_real, fd)
        try:
            for i, part in enumerate(parts):
                sub = "/".join(parts[: i + 1])
                nd = self._open_child(d, part, sub, rel, create=create)
                if nd is None:
                    d.close()
                    return None
                d.close()
                d = nd
        except BaseException:
            d.close()
            raise
        return d

    def _open_child(self, d: _Dir, part: str, sub: str, rel: str, *, create: bool) -> _Dir | None:
        path = os.path.join(d.path, part)
        st = _lstat_at(d, part)
        if st is None:
            if not create:
                return None
            try:
                os.mkdir(d.at(part), 0o777, dir_fd=d.fd)
            except FileExistsError:
                pass
            except OSError as e:
                raise WriteRefused(rel, f"could not create folder '{sub}' ({_reason(e)})") from None
            else:
                _fsync_dir(d)
            st = _lstat_at(d, part)
            if st is None:
                raise WriteRefused(rel, f"folder '{sub}' disappeared while kith was creating it")
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePath(
                f"path {rel!r} goes through a symlink ({sub}); kith does not follow symlinks",
                path=rel,
                hint="kith only reads and writes real files inside the vault",
            )
        if not stat.S_ISDIR(st.st_mode):
            raise WriteRefused(rel, f"'{sub}' is not a folder")
        if d.fd is None:
            return _Dir(path, None)
        try:
            nfd = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=d.fd)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafePath(
                    f"path {rel!r}: '{sub}' was replaced while kith was writing; not written",
                    path=rel,
                ) from None
            raise WriteRefused(rel, f"could not open folder '{sub}' ({_reason(e)})") from None
        return _Dir(path, nfd)

    # -- reading --------------------------------------------------------------

    def read(self, rel: str) -> bytes | None:
        """The current bytes of `rel` (None if it does not exist), never through a symlink.

        Raises UnsafePath for paths outside the vault or through symlinked folders and
        WriteRefused for a symlink, a non-regular file, or a read error.
        """
        rel = check_relpath(rel)
        parts = rel.split("/")
        self._check_folder(parts)
        d = self._open_parent(parts[:-1], rel, create=False)
        if d is None:
            return None
        try:
            return _read_at(d, parts[-1], rel)
        except OSError as e:
            raise WriteRefused(rel, f"could not read ({_reason(e)})") from None
        finally:
            d.close()

    # -- writing --------------------------------------------------------------

    def write(self, rel: str, data: bytes, *, expected: bytes | None) -> WriteResult:
        """Make `rel` hold exactly `data`, if it still holds `expected` (None: must not exist).

        Returns "unchanged" (nothing written) when the file already holds `data`,
        "created"/"written" after an atomic swap, "would-write" in a dry run.
        Raises Conflict when the file changed since the caller read it, WriteRefused
        for targets kith will not replace or I/O failures (the file is then unchanged
        and no temp file is left), UnsafePath for paths that leave the vault.
        """
        rel = check_relpath(rel)
        key = casefold_key(rel)
        if key in self._seen:
            first = self._seen[key]
            shown = "" if first == rel else f" (first as '{first}')"
            raise WriteRefused(
                rel,
                f"is written twice in one run{shown}; only the first write counts",
                hint="two outputs point at the same file; give them different names",
            )
        self._seen[key] = rel
        parts = rel.split("/")
        self._check_folder(parts)
        name = parts[-1]
        if is_kith_temp(name):
            raise WriteRefused(rel, "has the name of a kith temp file; not written")
        d = self._open_parent(parts[:-1], rel, create=not self.dry_run)
        if d is None:  # dry run and a folder is missing
            if expected is not None:
                raise Conflict(rel, "was deleted or moved since kith read it; not written")
            return WriteResult(rel, WOULD_WRITE)
        try:
            return self._write_in(d, name, rel, data, expected)
        finally:
            d.close()

    def _write_in(
        self, d: _Dir, name: str, rel: str, data: bytes, expected: bytes | None
    ) -> WriteResult:
        st = _lstat_at(d, name)
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                raise WriteRefused(rel, _SYMLINK_REASON)
            if not stat.S_ISREG(st.st_mode):
                raise WriteRefused(rel, "is not a regular file")
        try:
            current = _read_at(d, name, rel)
        except OSError as e:
            raise WriteRefused(rel, f"could not read ({_reason(e)})") from None
        if current == data:
            return WriteResult(rel, UNCHANGED)
        if current != expected:
            if current is None:
                raise Conflict(rel, "was deleted or moved since kith read it; not written")
            if expected is None:
                raise Conflict(rel, "was created by someone else since kith looked; not written")
            raise Conflict(rel)
        if st is not None:
            if st.st_nlink > 1:
                raise WriteRefused(
                    rel,
                    f"has {st.st_nlink} hard links; replacing it would break them",
                    hint="kith does not write hard-linked files; copy the note to unlink it",
                )
            if _is_read_only(d, name, st):
                raise WriteRefused(
                    rel, "is read-only; not written", hint="kith never changes permissions"
                )
        if self.dry_run:
            return WriteResult(rel, WOULD_WRITE)
        try:
            if st is None:
                self._create(d, name, rel, data)
            else:
                self._replace_existing(d, name, rel, data, expected, st)
        except OSError as e:
            raise WriteRefused(
                rel, f"could not write ({_reason(e)})", hint="kith will try again"
            ) from None
        _fsync_dir(d)
        self.written[rel] = sha256_hex(data)
        return WriteResult(rel, CREATED if st is None else WRITTEN)

    def _make_temp(self, d: _Dir, data: bytes, original: tuple[str, os.stat_result] | None) -> str:
        """Write `data` to a new, fsynced temp file in `d`; returns its name."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        for attempt in range(5):
            tmp = kith_temp_name()
            try:
                fd = os.open(d.at(tmp), flags, 0o600 if original else 0o666, dir_fd=d.fd)
                break
            except FileExistsError:
                if attempt == 4:
                    raise
        try:
            try:
                _write_all(fd, data)
                if original is not None:
                    _copy_metadata(d, original[0], fd, original[1])
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(d, tmp)
            raise
        return tmp

    def _create(self, d: _Dir, name: str, rel: str, data: bytes) -> None:
        tmp = self._make_temp(d, data, None)
        try:
            try:
                os.link(d.at(tmp), d.at(name), src_dir_fd=d.fd, dst_dir_fd=d.fd)
            except FileExistsError:
                raise Conflict(
                    rel, "was created by someone else while kith was writing it; not written"
                ) from None
            except OSError as e:
                if e.errno not in _NO_HARDLINK_ERRNOS:
                    raise
                self._create_without_link(d, tmp, name, rel)
                return
        except BaseException:
            _unlink_quietly(d, tmp)
            raise
        _unlink_quietly(d, tmp)

    def _create_without_link(self, d: _Dir, tmp: str, name: str, rel: str) -> None:
        """New file on a file system without hard links (FAT, some network shares)."""
        conflict = Conflict(
            rel, "was created by someone else while kith was writing it; not written"
        )
        try:
            _renameat2(d.fd, d.at(tmp), d.at(name), RENAME_NOREPLACE)
            return
        except FileExistsError:
            raise conflict from None
        except _Unsupported:
            pass
        if os.name == "nt":
            try:
                os.rename(d.at(tmp), d.at(name))  # fails if the name exists
            except FileExistsError:
                raise conflict from None
            return
        if _lstat_at(d, name) is not None:
            raise conflict
        os.rename(d.at(tmp), d.at(name), src_dir_fd=d.fd, dst_dir_fd=d.fd)

    def _replace_existing(
        self,
        d: _Dir,
        name: str,
        rel: str,
        data: bytes,
        expected: bytes | None,
        st: os.stat_result,
    ) -> None:
        tmp = self._make_temp(d, data, (name, st))
        tmp_is_ours = True  # False once tmp holds the user's bytes: never delete those
        try:
            try:
                _renameat2(d.fd, d.at(tmp), d.at(name), RENAME_EXCHANGE)
            except _Unsupported:
                # Portable fallback: re-check right before the replace (a small window remains).
                try:
                    now = _read_at(d, name, rel)
                except WriteRefused:
                    raise Conflict(rel, "was replaced since kith read it; not written") from None
                if now != expected:
                    raise Conflict(rel) from None
                _replace(d, tmp, name, rel, self._sleep)
                tmp_is_ours = False  # moved into place; nothing left at tmp
                return
            # Swapped: tmp now holds what was displaced. Was it still what the caller read?
            tmp_is_ours = False
            try:
                displaced: bytes | None = _read_at(d, tmp, rel)
            except (OSError, WriteRefused):
                displaced = None
            if displaced == expected:
                _unlink_quietly(d, tmp)
                return
            # The user saved in the last moment: put their file back.
            try:
                _renameat2(d.fd, d.at(tmp), d.at(name), RENAME_EXCHANGE)
            except (OSError, _Unsupported) as e:
                raise Conflict(
                    rel,
                    "changed while kith was writing it, and kith could not put the user's "
                    f"version back ({e}); it is kept at '{os.path.join(os.path.dirname(rel), tmp)}'",
                    hint="copy that file back over the note",
                ) from None
            try:
                back = _read_at(d, tmp, rel)
            except (OSError, WriteRefused):
                back = None
            tmp_is_ours = back == data
            raise Conflict(rel, "changed while kith was writing it; not written")
        except BaseException:
            if tmp_is_ours:
                _unlink_quietly(d, tmp)
            raise


def cleanup_stale_temps(root: Path) -> list[str]:
    """Delete `.kith-*.tmp` files a crash left behind; returns their vault-relative paths.

    Walks the vault without following symlinks, skipping ignored folders (but not
    `.kith/`, where kith keeps its own state). Only regular files are removed. Run it
    at startup, while holding the vault lock.
    """
    root_real = os.path.realpath(root)
    removed: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root_real, followlinks=False):
        dirnames[:] = sorted(n for n in dirnames if n == ".kith" or not is_ignored_dir(n))
        for fn in sorted(filenames):
            if not is_kith_temp(fn):
                continue
            path = os.path.join(dirpath, fn)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                os.unlink(path)
            except OSError:
                continue
            removed.append(Path(os.path.relpath(path, root_real)).as_posix())
    return removed


__all__ = [
    "CREATED",
    "UNCHANGED",
    "WOULD_WRITE",
    "WRITTEN",
    "Writer",
    "WriteResult",
    "cleanup_stale_temps",
    "sha256_hex",
]
