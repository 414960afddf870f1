"""Shared test helpers: small vaults on disk, a fixed "today", and the CLI through CliRunner.

- `make_vault(root, {"People/Ada.md": "..."})` writes each file as bytes (str is
  UTF-8 encoded with no newline translation, so CRLF and CR-only survive) and
  returns the vault root. A `kith.toml` is only written when you pass one.
- `TODAY` (also the `today` fixture) is the fixed date every test runs at.
- `run_cli(vault, *args)` runs `kith --vault VAULT --today TODAY ARGS` and
  returns click's Result with separate `stdout` and `stderr`; pass
  `vault=None` to leave `--vault` out, and `today=None` to leave `--today` out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

TODAY = date(2026, 11, 20)

# The project root and the shared reference folder CI checks out beside the clone.
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ROOT = REPO_ROOT.parent / "shared"


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write vault-relative files under `root` as bytes; returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return root


def _runner() -> CliRunner:
    # click < 8.2 mixes stderr into stdout unless told not to; 8.2+ always separates them
    # (and no longer accepts the argument).
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def run_cli(
    vault: Path | str | None,
    *args: str,
    today: date | None = TODAY,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
) -> Result:
    """Run the kith CLI in-process; `result.stdout`, `result.stderr`, `result.exit_code`."""
    from cli import main

    argv: list[str] = []
    if vault is not None:
        argv += ["--vault", str(vault)]
    if today is not None:
        argv += ["--today", today.isoformat()]
    argv += list(args)
    # KITH_VAULT from the developer's shell must not leak into tests.
    full_env: dict[str, str | None] = {"KITH_VAULT": None, "NO_COLOR": "1"}
    full_env.update(env or {})
    return _runner().invoke(main, argv, env=full_env, input=input, catch_exceptions=True)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture(name="make_vault")
def make_vault_fixture() -> Callable[..., Path]:
    """`make_vault(tmp_path, files)`: write the files and return the vault root."""

    def make_vault(root: Path, files: Mapping[str, str | bytes]) -> Path:
        return write_files(root, files)

    return make_vault


@pytest.fixture(name="run_cli")
def run_cli_fixture() -> Callable[..., Result]:
    return run_cli
