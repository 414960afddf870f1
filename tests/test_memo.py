"""The memos: a `kith report` run with the same inputs and untouched files, or a
`kith list --json` with the same inputs, skips loading the vault, querying and rendering,
and says and does exactly what the long way would."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import run_cli, write_files
from test_reports import NETWORK

import cli
from vaultlib import memo, registry
from vaultlib.memo import LIST_MEMO
from vaultlib.memo import REPORT_MEMO as MEMO_FILE

HOME = "# Home\n\n<!-- kith:overdue limit=2 -->\n<!-- /kith:overdue -->\n"


@pytest.fixture
def network(tmp_path: Path) -> Path:
    return write_files(tmp_path / "vault", {"kith.toml": "", "Home.md": HOME, **NETWORK})


@pytest.fixture
def long_ways(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """One entry per `kith report` that took the long way (loaded the vault, rendered)."""
    calls: list[bool] = []
    real = cli._report

    def counted(*args: object, **kwargs: object) -> None:
        calls.append(True)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "_report", counted)
    yield calls


def outcome(vault: Path, *args: str, today: date | None = None) -> tuple[int, str, str]:
    extra = {} if today is None else {"today": today}
    r = run_cli(vault, "report", *args, **extra)  # type: ignore[arg-type]
    return r.exit_code, r.stdout, r.stderr


def files(vault: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(vault)): p.read_bytes()
        for p in sorted(vault.rglob("*.md"))
        if ".kith" not in p.parts
    }


def settle(vault: Path, long_ways: list[bool]) -> None:
    """Run until the memo vouches (the first run writes, the next may store a snapshot)."""
    for _ in range(4):
        before = len(long_ways)
        code, _, _ = outcome(vault)
        assert code == 0
        if len(long_ways) == before:
            return
    raise AssertionError("the memo never vouched for an unchanged vault")


def test_second_unchanged_run_skips_and_says_the_same(network: Path, long_ways: list[bool]) -> None:
    first = outcome(network)
    assert first[0] == 0 and "created: Reports/Overdue.md" in first[1]
    assert "written: Home.md" in first[1]
    written = files(network)
    settle(network, long_ways)
    assert (network / ".kith/cache" / MEMO_FILE).is_file()
    (network / ".kith/cache" / MEMO_FILE).unlink()
    n = len(long_ways)
    long = outcome(network)  # the long way says this when nothing changed...
    assert len(long_ways) == n + 1
    assert long == (0, "", "kith: 0 files written, 8 unchanged\n")
    hit = outcome(network)
    assert len(long_ways) == n + 1  # ...and so does the memo, without the long way
    assert hit == long
    assert files(network) == written


def test_memo_hit_keeps_the_problem_summary(network: Path, long_ways: list[bool]) -> None:
    write_files(network, {"People/Broken.md": "---\nstage: [oops\n---\n"})
    long = outcome(network)
    assert long[0] == 0 and "in the vault; run `kith check` for details" in long[2]
    settle(network, long_ways)
    n = len(long_ways)
    hit = outcome(network)
    assert len(long_ways) == n
    assert hit[0] == 0 and hit[2].endswith(long[2].splitlines()[-1] + "\n")
    assert hit[2].startswith("kith: 0 files written, 8 unchanged\n")


def test_check_is_answered_by_the_memo_too(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    assert outcome(network, "--check") == (0, "", "kith: every report and block is up to date\n")
    assert len(long_ways) == n


def test_a_selection_has_its_own_memo(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    assert outcome(network, "goals") == (0, "", "kith: 0 files written, 2 unchanged\n")
    assert len(long_ways) == n + 1


def test_note_edit_is_a_miss_and_rewrites(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    assert "Ada Lovelace" in (network / "Reports/Overdue.md").read_text()
    path = network / "People/Ada Lovelace.md"
    path.write_text(path.read_text() + "- 2026-11-19 call: caught up\n")
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1
    assert "written: Reports/Overdue.md" in out
    assert "Ada Lovelace" not in (network / "Reports/Overdue.md").read_text()  # caught up


def test_the_run_after_an_edit_remembers_at_once(network: Path, long_ways: list[bool]) -> None:
    """The run that saw the edit built and stored a fresh snapshot: it remembers its files
    against that snapshot, so the very next run takes the short way."""
    settle(network, long_ways)
    path = network / "People/Ada Lovelace.md"
    path.write_text(path.read_text() + "- 2026-11-19 call: caught up\n")
    assert outcome(network)[0] == 0
    n = len(long_ways)
    assert outcome(network) == (0, "", "kith: 0 files written, 8 unchanged\n")
    assert len(long_ways) == n


def test_list_json_after_an_edit_is_remembered_at_once(
    network: Path, vault_loads: list[bool]
) -> None:
    settle_list(network, vault_loads)
    path = network / "People/Ada Lovelace.md"
    path.write_text(path.read_text().replace("stage: buddy", "stage: cold"))
    long = listed(network)
    n = len(vault_loads)
    assert listed(network) == long
    assert len(vault_loads) == n


def test_today_change_is_a_miss(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    code, out, _ = outcome(network, today=date(2026, 11, 21))
    assert code == 0 and len(long_ways) == n + 1
    assert "written: Reports/Dashboard.md" in out
    assert "as_of: 2026-11-21" in (network / "Reports/Dashboard.md").read_text()


def test_vault_template_change_is_a_miss(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    write_files(network, {".kith/templates/goals.md.j2": "# My goals\n"})
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1
    assert out == "written: Reports/Goals.md\n"
    settle(network, long_ways)
    n = len(long_ways)
    (network / ".kith/templates/goals.md.j2").write_text("# My own goals\n")
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1 and out == "written: Reports/Goals.md\n"
    assert (network / "Reports/Goals.md").read_text().endswith("# My own goals\n")


def test_shipped_template_change_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "templates"
    shutil.copytree(registry.shipped_templates_dir(), shipped)
    monkeypatch.setattr(registry, "shipped_templates_dir", lambda: shipped)
    before = memo._rendering()
    assert memo._rendering() == before
    (shipped / "goals.md.j2").write_text("changed\n")
    assert memo._rendering() != before


def test_code_change_changes_the_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "vaultlib"
    package.mkdir()
    (package / "memo.py").write_text("# one\n")
    monkeypatch.setattr(memo, "__file__", str(package / "memo.py"))
    monkeypatch.setattr(memo, "_CODE", [])
    before = memo.code_digest()
    (package / "query.py").write_text("# new\n")
    monkeypatch.setattr(memo, "_CODE", [])
    assert memo.code_digest() != before


@pytest.mark.parametrize("how", ["edit", "delete"])
def test_hand_edited_or_deleted_report_is_restored(
    network: Path, long_ways: list[bool], how: str
) -> None:
    settle(network, long_ways)
    want = (network / "Reports/Funnel.md").read_bytes()
    n = len(long_ways)
    if how == "edit":
        (network / "Reports/Funnel.md").write_bytes(want.replace(b"Funnel", b"Fumble"))
    else:
        (network / "Reports/Funnel.md").unlink()
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1
    assert out == ("written" if how == "edit" else "created") + ": Reports/Funnel.md\n"
    assert (network / "Reports/Funnel.md").read_bytes() == want


def test_same_size_edit_with_old_mtime_is_still_caught(
    network: Path, long_ways: list[bool]
) -> None:
    settle(network, long_ways)
    path = network / "Reports/Goals.md"
    want = path.read_bytes()
    st = path.stat()
    path.write_bytes(want.replace(b"Goals", b"Gaols"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    n = len(long_ways)
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1 and out == "written: Reports/Goals.md\n"
    assert path.read_bytes() == want


def test_hand_edited_block_is_a_miss_and_reported(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    home = network / "Home.md"
    edited = home.read_text().replace("[[", "[[ ", 1)
    assert edited != home.read_text()
    home.write_text(edited)
    n = len(long_ways)
    code, _, err = outcome(network)
    assert code == 0 and len(long_ways) == n + 1
    assert "Home.md:3: warning: generated block 'overdue' was edited by hand" in err
    assert home.read_text() == edited
    again = outcome(network)  # a run with a problem stores no memo: still the long way
    assert len(long_ways) == n + 2 and again == (code, "", err)


def test_config_change_is_a_miss(network: Path, long_ways: list[bool]) -> None:
    settle(network, long_ways)
    n = len(long_ways)
    # Cadence is not part of how notes parse, so the index cache stays; the reports change.
    (network / "kith.toml").write_text("[cadence]\nbuddy = 400\n")
    code, out, _ = outcome(network)
    assert code == 0 and len(long_ways) == n + 1
    assert "written: Reports/Overdue.md" in out


@pytest.mark.parametrize("data", [b"", b"garbage", b"\xfb\x00\x00"])
def test_corrupt_memo_is_a_miss(network: Path, long_ways: list[bool], data: bytes) -> None:
    settle(network, long_ways)
    long = outcome(network)
    (network / ".kith/cache" / MEMO_FILE).write_bytes(data)
    n = len(long_ways)
    assert outcome(network) == long
    assert len(long_ways) == n + 1


def test_report_behind_a_symlinked_folder_is_a_miss(
    network: Path, long_ways: list[bool], tmp_path: Path
) -> None:
    settle(network, long_ways)
    moved = tmp_path / "elsewhere"
    (network / "Reports").rename(moved)
    os.symlink(moved, network / "Reports")
    n = len(long_ways)
    code, _, err = outcome(network)
    assert len(long_ways) == n + 1
    assert code == 1 and "symlink" in err


# --- kith list --json -----------------------------------------------------------------


@pytest.fixture
def vault_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """One entry per time a command loaded the vault snapshot."""
    calls: list[bool] = []
    real = cli.App.vault

    def counted(self: cli.App) -> object:
        calls.append(True)
        return real(self)

    monkeypatch.setattr(cli.App, "vault", counted)
    yield calls


def listed(vault: Path, *args: str, today: date | None = None) -> tuple[int, str, str]:
    extra = {} if today is None else {"today": today}
    r = run_cli(vault, "list", "--json", *args, **extra)  # type: ignore[arg-type]
    return r.exit_code, r.stdout, r.stderr


def settle_list(vault: Path, loads: list[bool], *args: str) -> tuple[int, str, str]:
    """The long way's answer, then runs until the memo gives it."""
    (vault / ".kith/cache" / LIST_MEMO).unlink(missing_ok=True)
    long = listed(vault, *args)
    for _ in range(4):
        before = len(loads)
        assert listed(vault, *args) == long
        if len(loads) == before:
            return long
    raise AssertionError("the list memo never answered for an unchanged vault")


def test_list_json_memo_gives_the_same_text(network: Path, vault_loads: list[bool]) -> None:
    write_files(network, {"People/Broken.md": "---\nstage: [oops\n---\n"})
    long = settle_list(network, vault_loads)
    assert long[0] == 0 and '"name": "Ada Lovelace"' in long[1]
    assert "in the vault; run `kith check` for details" in long[2]
    n = len(vault_loads)
    assert listed(network) == long
    assert len(vault_loads) == n


def test_list_json_options_have_their_own_answers(network: Path, vault_loads: list[bool]) -> None:
    everyone = settle_list(network, vault_loads)
    buddies = settle_list(network, vault_loads, "--ring", "Buddy")
    assert buddies != everyone and '"ring": "strategic"' not in buddies[1]
    overdue = listed(network, "--overdue")
    assert overdue != everyone and '"overdue": false' not in overdue[1]
    assert listed(network, "--tag", "nope") == (0, "[]\n", "")


def test_list_json_after_a_note_edit_or_a_new_day(network: Path, vault_loads: list[bool]) -> None:
    settle_list(network, vault_loads)
    n = len(vault_loads)
    path = network / "People/Ada Lovelace.md"
    path.write_text(path.read_text().replace("stage: buddy", "stage: cold"))
    code, out, _ = listed(network)
    assert code == 0 and len(vault_loads) == n + 1
    assert '"name": "Ada Lovelace", "path": "People/Ada Lovelace.md", "ring": "cold"' in out
    settle_list(network, vault_loads)
    n = len(vault_loads)
    now = listed(network)
    later = listed(network, today=date(2027, 6, 1))
    assert len(vault_loads) == n + 1 and later != now
    (network / ".kith/cache" / LIST_MEMO).unlink()
    assert listed(network, today=date(2027, 6, 1)) == later


def test_list_json_after_a_config_change(network: Path, vault_loads: list[bool]) -> None:
    before = settle_list(network, vault_loads)
    (network / "kith.toml").write_text("[cadence]\nbuddy = 7\n")
    n = len(vault_loads)
    after = listed(network)
    assert len(vault_loads) == n + 1
    assert '"cadence_days": 7' in after[1] and '"cadence_days": 7' not in before[1]


@pytest.mark.parametrize("data", [b"", b"garbage"])
def test_list_json_corrupt_memo_is_a_miss(
    network: Path, vault_loads: list[bool], data: bytes
) -> None:
    long = settle_list(network, vault_loads)
    (network / ".kith/cache" / LIST_MEMO).write_bytes(data)
    n = len(vault_loads)
    assert listed(network) == long
    assert len(vault_loads) == n + 1
