"""The named exceptions kith raises when it cannot go on.

This module owns kith's exception types: a vault that cannot be found, a bad
configuration, a path that would leave the vault, and a write that was refused
or lost a race with the user. Problems in a user's notes are not exceptions but
`vaultlib.model.Problem` values. This module never imports click and never
formats output for a terminal; every exception carries a plain message and an
optional `hint` saying what the user can do about it.
"""

from __future__ import annotations


class KithError(Exception):
    """Base class for every error kith reports to the user by name."""

    hint: str = ""

    def __init__(self, message: str = "", *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint


class VaultNotFound(KithError):
    """No vault at the given path, or none found upward from the current folder."""


class ConfigError(KithError):
    """kith.toml (or an Obsidian setting kith reads) cannot be used."""


class UnsafePath(KithError):
    """A path that escapes the vault, runs through a symlink, or is not a valid name."""

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path


class WriteRefused(KithError):
    """kith will not (or could not) write `path`; `reason` says why.

    Raised for symlinked, hard-linked or read-only targets, files kith did not
    generate, and I/O failures. The file on disk is unchanged when this is raised.
    """

    def __init__(self, path: str, reason: str, *, hint: str = "") -> None:
        super().__init__(f"{path}: {reason}", hint=hint)
        self.path = path
        self.reason = reason


class Conflict(WriteRefused):
    """The file changed between kith reading it and kith writing it; nothing was written."""

    def __init__(
        self,
        path: str,
        reason: str = "changed since kith read it; not written",
        *,
        hint: str = "kith will try again after the file has been quiet for a moment",
    ) -> None:
        super().__init__(path, reason, hint=hint)
