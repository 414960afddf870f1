"""CLI tests for the capture commands: kith new, log, move, follow-up, archive, and completion.

Each command is run through CliRunner on a small vault; every refusal is checked
for its exit code (1 data, 2 usage), its message, and that nothing was written.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import REPO_ROOT
from tests.conftest import run_cli as _run_cli
from vaultlib.write import Writer

ADA = "People/Ada Lovelace.md"
ADA_TEXT = (
    "---\n"
    "aliases: [Countess]  # from the salon\n"
    "stage: lukewarm\n"
    'company: "[[Analytical Society]]"\n'
    "---\n"
    "Mathematician.\n"
    "\n"
    "## Log\n"
    "- 2026-01-05 call: hello\n"
    "\n"
    "## Notes\n"
    "Likes engines.\n"
)
FILES = {
    ADA: ADA_TEXT,
    "People/Adam Smith.md": "---\nstage: cold\n---\n",
    "People/Zoë Brandt.md": "---\naliases: [Zo]\n---\nNo log yet.",
    "Companies/Northwind Labs.md": "A company.\n",
}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".kith"]
        for n in names:
            p = Path(dirpath, n)
            if not p.is_symlink():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


@pytest.fixture
def kith(vault: Path) -> Callable[..., Result]:
    def run(*args: str) -> Result:
        return _run_cli(vault, *args)

    return run


def read(vault: Path, rel: str = ADA) -> str:
    return (vault / rel).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- log


def test_log_adds_a_line_in_order(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("log", "countess", "coffee: intro to her CTO", "--give")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"written: {ADA}: - 2026-11-20 coffee: intro to her CTO #give\n"
    assert read(vault) == ADA_TEXT.replace(
        "- 2026-01-05 call: hello\n",
        "- 2026-01-05 call: hello\n- 2026-11-20 coffee: intro to her CTO #give\n",
    )
    r = kith("log", "ada lovelace", "email: sent notes", "--date", "2025-12-24", "--ask")
    assert r.exit_code == 0, r.stderr
    assert "- 2025-12-24 email: sent notes #ask\n- 2026-01-05 call: hello\n" in read(vault)


def test_log_creates_the_section_and_keeps_no_final_newline(
    vault: Path, kith: Callable[..., Result]
) -> None:
    r = kith("log", "zoe", "met her")
    assert r.exit_code == 0, r.stderr
    assert (
        read(vault, "People/Zoë Brandt.md")
        == "---\naliases: [Zo]\n---\nNo log yet.\n\n## Log\n- 2026-11-20 met her"
    )


def test_log_dry_run_prints_a_diff_and_writes_nothing(
    vault: Path, kith: Callable[..., Result]
) -> None:
    before = snapshot(vault)
    r = kith("log", "countess", "coffee: cake", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"--- a/{ADA}\n+++ b/{ADA}\n@@ ")
    assert "\n+- 2026-11-20 coffee: cake\n" in r.stdout
    assert "dry run; nothing written" in r.stderr
    assert snapshot(vault) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--give", "--ask"], "--give or --ask, not both"),
        (["--date", "2026-13-01"], "is not a date; use YYYY-MM-DD"),
        (["--date", "20261120"], "is not a date; use YYYY-MM-DD"),
    ],
)
def test_log_usage_errors(
    vault: Path, kith: Callable[..., Result], args: list[str], message: str
) -> None:
    before = snapshot(vault)
    r = kith("log", "countess", "coffee: cake", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert snapshot(vault) == before


def test_log_refuses_empty_and_move_texts(vault: Path, kith: Callable[..., Result]) -> None:
    before = snapshot(vault)
    for text in ("  ", "stage: cold -> buddy"):
        r = kith("log", "countess", text)
        assert r.exit_code == 2, r.stdout
    assert "kith move" in r.stderr
    assert snapshot(vault) == before


def test_ambiguous_name_lists_candidates(vault: Path, kith: Callable[..., Result]) -> None:
    before = snapshot(vault)
    r = kith("log", "ada", "coffee: cake")
    assert r.exit_code == 1
    assert "'ada' matches 2 contacts" in r.stderr
    assert f"Ada Lovelace  ({ADA})" in r.stderr and "Adam Smith  (People/Adam Smith.md)" in r.stderr
    assert snapshot(vault) == before


def test_unknown_name_suggests_the_closest(vault: Path, kith: Callable[..., Result]) -> None:
    for cmd in (["log", "Ada Lovelase", "x"], ["move", "Ada Lovelase", "buddy"], ["archive", "Ada Lovelase"],
                ["follow-up", "Ada Lovelase", "2026-12-01"]):  # fmt: skip
        r = kith(*cmd)
        assert r.exit_code == 1, cmd
        assert "no contact matches 'Ada Lovelase'" in r.stderr
        assert "did you mean: Ada Lovelace?" in r.stderr


def test_global_options_after_the_command(vault: Path) -> None:
    r = _run_cli(
        None,
        "log",
        "countess",
        "call: x",
        "--vault",
        str(vault),
        "--today",
        "2026-02-03",
        today=None,
    )
    assert r.exit_code == 0, r.stderr
    assert "- 2026-02-03 call: x\n" in read(vault)


# --------------------------------------------------------------------------- move


def test_move_sets_stage_and_logs_once(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("move", "countess", "Strategic")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"written: {ADA}: stage: lukewarm → strategic\n"
    after = read(vault)
    assert after == ADA_TEXT.replace("stage: lukewarm", "stage: strategic").replace(
        "- 2026-01-05 call: hello\n",
        "- 2026-01-05 call: hello\n- 2026-11-20 stage: lukewarm → strategic\n",
    )
    r = kith("move", "countess", "strategic")
    assert r.exit_code == 0
    assert r.stdout == "already in strategic; nothing to do\n"
    assert read(vault) == after
    shown = _run_cli(vault, "show", "countess", "--json")
    assert '"ring": "strategic"' in shown.stdout


def test_move_bad_ring_lists_rings(vault: Path, kith: Callable[..., Result]) -> None:
    before = snapshot(vault)
    r = kith("move", "countess", "warmish")
    assert r.exit_code == 2
    assert "'warmish' is not a ring; use one of: cold, lukewarm, strategic, buddy" in r.stderr
    assert snapshot(vault) == before


def test_move_with_date_and_dry_run(vault: Path, kith: Callable[..., Result]) -> None:
    before = snapshot(vault)
    r = kith("move", "Adam Smith", "lukewarm", "--date", "2026-11-01", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "-stage: cold\n+stage: lukewarm\n" in r.stdout
    assert "+## Log\n+- 2026-11-01 stage: cold → lukewarm\n" in r.stdout
    assert snapshot(vault) == before


# --------------------------------------------------------------------------- follow-up, archive


def test_follow_up_set_and_clear(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("follow-up", "countess", "2026-12-01", "ask: how did the intro go?")
    assert r.exit_code == 0, r.stderr
    assert read(vault) == ADA_TEXT.replace(
        "---\nMathematician",
        'follow_up: 2026-12-01\nfollow_up_note: "ask: how did the intro go?"\n---\nMathematician',
    )
    r = kith("follow-up", "countess", "2026-12-08")
    assert r.exit_code == 0
    assert 'follow_up: 2026-12-08\nfollow_up_note: "ask' in read(vault)
    r = kith("follow-up", "countess", "--clear")
    assert r.exit_code == 0, r.stderr
    assert read(vault) == ADA_TEXT
    r = kith("follow-up", "countess", "--clear")
    assert (r.exit_code, r.stdout) == (0, f"unchanged: {ADA}\n")


@pytest.mark.parametrize(
    "args",
    [["2026-02-30"], ["next week"], ["2026-12-01", "--clear"], [], ["12/01/2026", "note"]],
)
def test_follow_up_usage_errors(vault: Path, kith: Callable[..., Result], args: list[str]) -> None:
    before = snapshot(vault)
    r = kith("follow-up", "countess", *args)
    assert r.exit_code == 2, r.stdout
    assert snapshot(vault) == before


def test_archive(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("archive", "countess")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"written: {ADA}: archived\n"
    assert read(vault) == ADA_TEXT.replace(
        "---\nMathematician", "archived: true\n---\nMathematician"
    )
    r = kith("archive", "countess")
    assert (r.exit_code, r.stdout) == (0, f"unchanged: {ADA}\n")
    listed = _run_cli(vault, "list", "--json")
    assert "Ada Lovelace" not in listed.stdout and "Adam Smith" in listed.stdout


# --------------------------------------------------------------------------- refusals


def test_unclosed_front_matter_is_refused(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note lost its closing `---` after kith indexed it (simulated through the reader)."""
    broken = b"---\nstage: lukewarm\nMathematician.\n"
    real_read = Writer.read
    monkeypatch.setattr(
        Writer, "read", lambda self, rel: broken if rel == ADA else real_read(self, rel)
    )
    for cmd in (
        ["log", "countess", "call: x"],
        ["archive", "countess"],
        ["move", "countess", "buddy"],
    ):
        r = _run_cli(vault, *cmd)
        assert r.exit_code == 1, cmd
        assert (
            f"kith: {ADA}:1: front matter opened with '---' on line 1 is never closed" in r.stderr
        )
        assert "nothing written" in r.stderr
    assert read(vault) == ADA_TEXT


def test_read_only_note_is_refused(vault: Path, kith: Callable[..., Result]) -> None:
    (vault / ADA).chmod(stat.S_IRUSR)
    try:
        r = kith("archive", "countess")
        assert r.exit_code == 1
        assert "read-only" in r.stderr
        assert read(vault) == ADA_TEXT
    finally:
        (vault / ADA).chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_conflict_between_read_and_write(
    vault: Path, kith: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """kith keeps reading the old bytes while the file on disk holds the user's save."""
    stale = (vault / ADA).read_bytes()
    saved = ADA_TEXT.replace("Likes engines.", "Likes engines and poetry.")
    (vault / ADA).write_text(saved)
    real_read = Writer.read
    monkeypatch.setattr(
        Writer, "read", lambda self, rel: stale if rel == ADA else real_read(self, rel)
    )
    r = kith("log", "countess", "call: x")
    assert r.exit_code == 1
    assert f"kith: {ADA} changed while kith was editing it; nothing written" in r.stderr
    assert read(vault) == saved


def test_conflict_retried_once_succeeds(
    vault: Path, kith: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read is stale, the re-read sees the save: the edit lands on the saved text."""
    stale = (vault / ADA).read_bytes()
    saved = ADA_TEXT.replace("Likes engines.", "Likes engines and poetry.")
    (vault / ADA).write_text(saved)
    real_read = Writer.read
    calls: list[str] = []

    def read_once_stale(self: Writer, rel: str) -> bytes | None:
        calls.append(rel)
        return stale if rel == ADA and calls.count(ADA) == 1 else real_read(self, rel)

    monkeypatch.setattr(Writer, "read", read_once_stale)
    r = kith("archive", "countess")
    assert r.exit_code == 0, r.stderr
    assert read(vault) == saved.replace("---\nMathematician", "archived: true\n---\nMathematician")


# --------------------------------------------------------------------------- new


def test_new_default_note(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("new", "Grace Hopper", "--ring", "strategic", "--company", "Northwind Labs", "--role", "Admiral",
             "--email", "grace@example.com", "--phone", "+1 202 555 0100", "--linkedin",
             "https://www.linkedin.com/in/grace", "--tag", "navy", "--tag", "#cobol", "--birthday", "1906-12-09")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "created: People/Grace Hopper.md: new contact Grace Hopper\n"
    assert read(vault, "People/Grace Hopper.md") == (
        '---\nstage: strategic\ncreated: 2026-11-20\ncompany: "[[Northwind Labs]]"\nrole: Admiral\n'
        'email: grace@example.com\nphone: "+1 202 555 0100"\nlinkedin: https://www.linkedin.com/in/grace\n'
        "tags:\n  - navy\n  - cobol\nbirthday: 1906-12-09\n---\n\n## Log\n"
    )
    shown = _run_cli(vault, "show", "grace", "--json")
    assert shown.exit_code == 0 and '"ring": "strategic"' in shown.stdout


def test_new_company_without_a_note_is_text(vault: Path, kith: Callable[..., Result]) -> None:
    r = kith("new", "Grace Hopper", "--company", "US Navy")
    assert r.exit_code == 0, r.stderr
    assert "\ncompany: US Navy\n" in read(vault, "People/Grace Hopper.md")


@pytest.mark.parametrize(
    ("name", "existing"),
    [("ADA LOVELACE", ADA), ("Countess", ADA), ("zoe brandt", "People/Zoë Brandt.md"),
     ("Northwind Labs", "Companies/Northwind Labs.md")],
)  # fmt: skip
def test_new_refuses_duplicates(
    vault: Path, kith: Callable[..., Result], name: str, existing: str
) -> None:
    before = snapshot(vault)
    r = kith("new", name)
    assert r.exit_code == 1
    assert existing in r.stderr
    assert snapshot(vault) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--ring", "warm"], "'warm' is not a ring"), (["--birthday", "soon"], "is not a date"),
     (["--tag", "two words"], "is not a tag")],
)  # fmt: skip
def test_new_usage_errors(
    vault: Path, kith: Callable[..., Result], args: list[str], message: str
) -> None:
    before = snapshot(vault)
    r = kith("new", "Grace Hopper", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert snapshot(vault) == before


def test_new_dry_run(vault: Path, kith: Callable[..., Result]) -> None:
    before = snapshot(vault)
    r = kith("new", "Grace Hopper", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(
        "--- /dev/null\n+++ b/People/Grace Hopper.md\n@@ -0,0 +1,6 @@\n+---\n+stage: cold\n"
    )
    assert snapshot(vault) == before


def test_new_refuses_a_symlink_target(
    vault: Path, kith: Callable[..., Result], tmp_path: Path
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("not yours\n")
    os.symlink(outside, vault / "People" / "Grace Hopper.md")
    r = kith("new", "Grace Hopper")
    assert r.exit_code == 1
    assert "symlink" in r.stderr
    assert outside.read_text() == "not yours\n"


def test_new_refuses_a_symlinked_people_folder(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir()
    root = tmp_path / "v"
    root.mkdir()
    (root / "kith.toml").write_text("")
    os.symlink(real, root / "People")
    r = _run_cli(root, "new", "Grace Hopper")
    assert r.exit_code == 1
    assert "symlink" in r.stderr
    assert list(real.iterdir()) == []


def test_new_from_template(vault: Path, kith: Callable[..., Result]) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "Templates/Person.md"\n')
    (vault / "Templates").mkdir()
    (vault / "Templates/Person.md").write_text(
        "---\nstage: cold\ntags:\n  - person\ncreated: {{date}}\n---\n# {{title}}\nAt {{time}}, <% tp.date.now() %>\n"
    )
    r = kith("new", "Grace Hopper", "--tag", "navy")
    assert r.exit_code == 0, r.stderr
    text = read(vault, "People/Grace Hopper.md")
    head, tail = text.split("At ")
    assert (
        head
        == "---\nstage: cold\ntags:\n  - person\n  - navy\ncreated: 2026-11-20\n---\n# Grace Hopper\n"
    )
    assert len(tail) == len("HH:mm, <% tp.date.now() %>\n") and tail[2] == ":"
    assert tail.endswith(", <% tp.date.now() %>\n")


def test_new_with_broken_template(vault: Path, kith: Callable[..., Result]) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "Templates/Person.md"\n')
    (vault / "Templates").mkdir()
    (vault / "Templates/Person.md").write_text("---\nstage: cold\n# {{title}}\n")
    r = kith("new", "Grace Hopper", "--ring", "buddy")
    assert r.exit_code == 1
    assert (
        "Templates/Person.md:1: front matter opened with '---' on line 1 is never closed"
        in r.stderr
    )
    assert not (vault / "People/Grace Hopper.md").exists()


def test_config_rejects_a_template_outside_the_vault(
    vault: Path, kith: Callable[..., Result]
) -> None:
    (vault / "kith.toml").write_text('[people]\ntemplate = "../Person.md"\n')
    r = kith("new", "Grace Hopper")
    assert r.exit_code == 1
    assert "people.template must be a note inside the vault" in r.stderr


# --------------------------------------------------------------------------- completion


def complete(vault: Path | None, words: str, env: dict[str, str | None] | None = None) -> Result:
    """Run click's bash completion for `kith WORDS` (the last word is the one completed)."""
    cword = len(shlex.split(words)) - (0 if words.endswith(" ") else 1)
    full = {
        "_KITH_COMPLETE": "bash_complete",
        "COMP_WORDS": f"kith {words}",
        "COMP_CWORD": str(cword + 1),
    }
    if vault is not None:
        full["KITH_VAULT"] = str(vault)
    full.update(env or {})
    from click.testing import CliRunner

    from cli import main

    return CliRunner().invoke(main, [], prog_name="kith", env=full)


@pytest.mark.parametrize("command", ["log", "move", "follow-up", "archive", "show"])
def test_completion_of_names_and_aliases(vault: Path, command: str) -> None:
    # bash gets spaces escaped (twice: click's bash script `read`s each line)
    r = complete(vault, f"{command} ad")
    assert r.stdout.splitlines() == ["plain,Ada\\\\ Lovelace", "plain,Adam\\\\ Smith"]
    r = complete(vault, f"{command} ZO")
    assert r.stdout.splitlines() == ["plain,Zoë\\\\ Brandt", "plain,Zo"]


def test_completion_for_zsh_is_unescaped_with_help(vault: Path) -> None:
    r = complete(vault, "log countess", env={"_KITH_COMPLETE": "zsh_complete"})
    assert r.stdout.splitlines() == ["plain", "Countess", "alias of Ada Lovelace"]
    r = complete(vault, "log ada\\ l", env={"_KITH_COMPLETE": "zsh_complete"})
    assert r.stdout.splitlines() == ["plain", "Ada Lovelace", ADA]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_completion_in_real_bash_gives_one_word(vault: Path, tmp_path: Path) -> None:
    """Source click's bash script, complete `kith log ada\\ l`, and parse the result as bash would."""
    launcher = tmp_path / "kith"
    launcher.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from cli import main\nmain(prog_name='kith')\n"
    )
    launcher.chmod(0o755)
    script = (
        'eval "$(_KITH_COMPLETE=bash_source kith)"\n'
        'COMP_WORDS=(kith log "ada\\\\ l"); COMP_CWORD=2; _kith_completion kith\n'
        'eval "set -- ${COMPREPLY[0]}"; printf "%s|%s\\n" "${#COMPREPLY[@]}" "$#:$1"\n'
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}",
           "KITH_VAULT": str(vault)}  # fmt: skip
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout == "1|1:Ada Lovelace\n", out.stderr


def test_completion_of_rings(vault: Path) -> None:
    r = complete(vault, "move ada s")
    assert r.stdout.splitlines() == ["plain,strategic"]


def test_completion_never_fails(tmp_path: Path) -> None:
    r = complete(None, "log ad", env={"KITH_VAULT": str(tmp_path / "missing")})
    assert r.exit_code == 0 and r.stdout.strip() == ""
