"""The core commands through click's CliRunner: init, index, check, list, show, and how the
vault is found. Each test asserts the exit code, stdout and stderr; data goes to stdout,
messages to stderr; 0 ok, 1 data errors, 2 usage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

ADA = """\
---
aliases: [Countess]
stage: Buddy
company: "[[Babbage & Co]]"
tags: [network/london, mentor]
phone: "0151 000"
zip: 01234
flag: no
time: 7:30
created: 2024-01-10
---
## Log
- 2026-11-01 call: about the engine
"""
FILES = {
    "People/Ada Lovelace.md": ADA,
    "People/Zoë Brandt.md": "---\nstage: strategic\n---\n",
    "People/Ben Ortiz.md": "---\nstage: lukewarm\ncadence: 30d\n---\n## Log\n- 2026-09-01 coffee: x\n",
    "People/Ben Olsen.md": "---\nstage: cold\n---\n",
    "People/Old Friend.md": "---\nstage: buddy\narchived: true\n---\n",
    "Daily/2026-11-10.md": "- coffee with [[Ada Lovelace|Ada]] #give\n",
    "Daily/2026-12-01.md": "Dinner with [[Ada Lovelace]]\n",
}
LIST_KEYS = {
    "name": str,
    "path": str,
    "ring": (str, type(None)),
    "cadence_days": (int, type(None)),
    "last_contact": (str, type(None)),
    "next_due": (str, type(None)),
    "overdue": bool,
    "days_overdue": (int, type(None)),
    "tags": list,
    "company": (str, type(None)),
}
INTERACTION_KEYS = {"date", "kind", "direction", "summary", "source", "line"}


@pytest.fixture
def vault(tmp_path: Path, make_vault) -> Path:
    root = tmp_path / "vault"
    make_vault(root, {"kith.toml": "", **FILES})
    return root


def no_traceback(r) -> None:
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception


# --- init ------------------------------------------------------------------------------


def test_init_writes_config_and_gitignore_once(tmp_path: Path, run_cli):
    root = tmp_path / "notes"
    r = run_cli(None, "init", str(root))
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["created: kith.toml", "created: .gitignore"]
    toml = (root / "kith.toml").read_text()
    assert toml.startswith("# kith.toml")
    gitignore = (root / ".gitignore").read_bytes()
    assert b".kith/cache/\n" in gitignore

    # A second run changes nothing and says so.
    (root / "kith.toml").write_text("# mine\n")
    r = run_cli(None, "init", str(root))
    assert r.exit_code == 0
    assert r.stdout == ""
    assert "kith.toml already exists; left unchanged" in r.stderr
    assert (root / "kith.toml").read_text() == "# mine\n"
    assert (root / ".gitignore").read_bytes() == gitignore


def test_init_appends_to_an_existing_gitignore(tmp_path: Path, run_cli):
    (tmp_path / ".gitignore").write_bytes(b".obsidian/workspace.json\r\n*.tmp")
    r = run_cli(None, "init", str(tmp_path))
    assert r.exit_code == 0
    data = (tmp_path / ".gitignore").read_bytes()
    assert data.startswith(b".obsidian/workspace.json\r\n*.tmp\r\n")
    assert data.count(b".kith/cache/\r\n") == 1
    assert b"\n" not in data.replace(b"\r\n", b"")  # kept its CRLF
    run_cli(None, "init", str(tmp_path))
    assert (tmp_path / ".gitignore").read_bytes() == data


def test_init_uses_the_vault_option(tmp_path: Path, run_cli):
    r = run_cli(tmp_path, "init")
    assert r.exit_code == 0
    assert (tmp_path / "kith.toml").is_file()


# --- index -----------------------------------------------------------------------------


def test_index_prints_counts(vault: Path, run_cli):
    r = run_cli(vault, "index")
    assert r.exit_code == 0
    assert r.stdout == (
        "notes 7, contacts 5: added 7, modified 0, removed 0, problems 0 (0 errors)\n"
    )
    r = run_cli(vault, "index", "--rebuild")
    assert r.stdout.startswith("notes 7, contacts 5: added 7,")
    (vault / "People/Ben Olsen.md").unlink()
    r = run_cli(vault, "index")
    assert "removed 1" in r.stdout
    assert r.stderr == ""


def test_index_mentions_problems_on_stderr(vault: Path, run_cli):
    (vault / "People/Bad.md").write_text("---\nstage: warmish\n---\n")
    r = run_cli(vault, "index")
    assert r.exit_code == 0
    assert "problems 1 (1 errors)" in r.stdout
    assert r.stderr == "kith: 1 error in the vault; run `kith check` for details\n"


# --- check -----------------------------------------------------------------------------


def test_check_clean_vault(vault: Path, run_cli):
    r = run_cli(vault, "check")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == "kith: 0 error(s), 0 warning(s) in 5 contacts\n"
    r = run_cli(vault, "check", "--json")
    assert (r.exit_code, json.loads(r.stdout)) == (0, [])


def test_check_reports_errors_and_warnings(vault: Path, run_cli):
    (vault / "People/Bad.md").write_text("---\nname: Bad\nstage: warmish\n---\n")
    (vault / "People/Ada Lovelace.sync-conflict-20261101-101010-ABC.md").write_text(ADA)
    r = run_cli(vault, "check")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "People/Ada Lovelace.sync-conflict-20261101-101010-ABC.md:-: warning: "
        "sync conflict copy of People/Ada Lovelace.md; not indexed",
        "    hint: merge it into the original by hand, then delete it",
        "People/Bad.md:3: stage 'warmish' is not a ring",
        "    hint: use one of: cold, lukewarm, strategic, buddy",
    ]
    assert r.stderr == "kith: 1 error(s), 1 warning(s) in 6 contacts\n"

    r = run_cli(vault, "check", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert [set(p) for p in data] == [{"path", "line", "severity", "message", "hint"}] * 2
    assert [(p["path"], p["line"], p["severity"]) for p in data] == [
        ("People/Ada Lovelace.sync-conflict-20261101-101010-ABC.md", None, "warning"),
        ("People/Bad.md", 3, "error"),
    ]
    assert data[1]["message"] == "stage 'warmish' is not a ring"
    assert data[1]["hint"] == "use one of: cold, lukewarm, strategic, buddy"


def test_check_warnings_only_exit_0(vault: Path, run_cli):
    (vault / "Daily/2026-11-11.md").write_text("- 2026-02-30\n")
    (vault / "People/Ben Ortiz.md").write_text(
        "---\nstage: lukewarm\n---\n## Log\n- 2026-02-30 call: impossible\n"
    )
    r = run_cli(vault, "check", "--json")
    assert r.exit_code == 0
    assert [(p["path"], p["line"], p["severity"]) for p in json.loads(r.stdout)] == [
        ("People/Ben Ortiz.md", 5, "warning")
    ]


def test_check_bad_config_is_an_error_not_a_traceback(vault: Path, run_cli):
    (vault / "kith.toml").write_text('[cadence]\nbuddy = "often"\n')
    r = run_cli(vault, "check")
    assert r.exit_code == 1
    no_traceback(r)
    assert r.stdout == ""
    assert r.stderr.startswith("kith: kith.toml: cadence.buddy must be a whole number of days")
    (vault / "kith.toml").write_text("rings = [\n")
    r = run_cli(vault, "check")
    assert r.exit_code == 1
    no_traceback(r)
    assert r.stderr.startswith("kith: kith.toml: not valid TOML")


# --- list ------------------------------------------------------------------------------


def test_list_json_contract(vault: Path, run_cli):
    r = run_cli(vault, "list", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    data = json.loads(r.stdout)
    assert [c["name"] for c in data] == ["Ada Lovelace", "Ben Olsen", "Ben Ortiz", "Zoë Brandt"]
    for c in data:
        for key, kind in LIST_KEYS.items():
            assert isinstance(c[key], kind), (c["name"], key)
        assert all(isinstance(t, str) for t in c["tags"])
    ada, olsen, ortiz, zoe = data
    assert {k: ada[k] for k in LIST_KEYS} == {
        "name": "Ada Lovelace",
        "path": "People/Ada Lovelace.md",
        "ring": "buddy",
        "cadence_days": 60,
        "last_contact": "2026-11-10",
        "next_due": "2027-01-09",
        "overdue": False,
        "days_overdue": None,
        "tags": ["mentor", "network/london"],
        "company": "Babbage & Co",
    }
    assert {k: ortiz[k] for k in LIST_KEYS if k not in ("name", "path")} == {
        "ring": "lukewarm",
        "cadence_days": 30,
        "last_contact": "2026-09-01",
        "next_due": "2026-10-01",
        "overdue": True,
        "days_overdue": 50,
        "tags": [],
        "company": None,
    }
    assert (zoe["overdue"], zoe["last_contact"], zoe["next_due"], zoe["days_overdue"]) == (
        True,
        None,
        None,
        None,
    )
    assert (olsen["cadence_days"], olsen["overdue"], olsen["next_due"]) == (None, False, None)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--ring", "buddy"], ["Ada Lovelace"]),
        (["--ring", "BUDDY"], ["Ada Lovelace"]),
        (["--ring", "cold"], ["Ben Olsen"]),
        (["--tag", "network"], ["Ada Lovelace"]),
        (["--tag", "network/london"], ["Ada Lovelace"]),
        (["--tag", "#Mentor"], ["Ada Lovelace"]),
        (["--tag", "net"], []),
        (["--overdue"], ["Ben Ortiz", "Zoë Brandt"]),
        (["--overdue", "--ring", "lukewarm"], ["Ben Ortiz"]),
        (["--overdue", "--tag", "mentor"], []),
    ],
)
def test_list_filters(vault: Path, run_cli, args, names):
    r = run_cli(vault, "list", "--json", *args)
    assert r.exit_code == 0
    assert [c["name"] for c in json.loads(r.stdout)] == names


def test_list_plain_text_when_not_a_tty(vault: Path, run_cli):
    r = run_cli(vault, "list", "--overdue")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "Name",
        "Ring",
        "Last",
        "contact",
        "Next",
        "due",
        "Status",
        "Company",
    ]
    assert lines[1].split()[:2] == ["Ben", "Ortiz"]
    assert "overdue 50d" in lines[1]
    assert "never contacted" in lines[2]
    assert "\x1b[" not in r.stdout


def test_list_unknown_ring_is_a_usage_error(vault: Path, run_cli):
    r = run_cli(vault, "list", "--ring", "warmish")
    assert r.exit_code == 2
    assert "'warmish' is not a ring; use one of: cold, lukewarm, strategic, buddy" in r.stderr
    assert r.stdout == ""


def test_list_json_stays_clean_when_the_vault_has_problems(vault: Path, run_cli):
    (vault / "People/Bad.md").write_text("---\nstage: warmish\n---\n")
    r = run_cli(vault, "list", "--json")
    assert r.exit_code == 0
    assert len(json.loads(r.stdout)) == 5
    assert "1 error in the vault" in r.stderr


# --- show ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        ["Ada Lovelace"],
        ["ada", "lovelace"],  # several words, as the shell splits them
        ["ADA LOVELACE"],
        ["countess"],  # an alias
        ["ada"],  # a unique prefix
        ["lovelace"],  # a prefix of a later word
        ["People/Ada Lovelace"],  # the vault path
        ["People/Ada Lovelace.md"],
    ],
)
def test_show_finds_by_name_alias_prefix_and_path(vault: Path, run_cli, query):
    r = run_cli(vault, "show", *query, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    "query", ["Zoë Brandt", "zoe brandt", "ZOË", unicodedata.normalize("NFD", "Zoë Brandt"), "zoe"]
)
def test_show_ignores_accents_and_normal_forms(vault: Path, run_cli, query):
    r = run_cli(vault, "show", query, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "Zoë Brandt"


def test_show_json_contract(vault: Path, run_cli):
    r = run_cli(vault, "show", "Ada Lovelace", "--json")
    data = json.loads(r.stdout)
    for key, kind in LIST_KEYS.items():
        assert isinstance(data[key], kind), key
    assert data["fields"] == {
        "aliases": ["Countess"],
        "stage": "Buddy",
        "company": "[[Babbage & Co]]",
        "tags": ["network/london", "mentor"],
        "phone": "0151 000",
        "zip": "01234",
        "flag": "no",
        "time": "7:30",
        "created": "2024-01-10",
    }
    assert [set(i) for i in data["interactions"]] == [INTERACTION_KEYS] * 2
    assert data["interactions"] == [
        {
            "date": "2026-11-10",
            "kind": "coffee",
            "direction": "give",
            "summary": "coffee with Ada",
            "source": "Daily/2026-11-10.md",
            "line": 1,
        },
        {
            "date": "2026-11-01",
            "kind": "call",
            "direction": None,
            "summary": "about the engine",
            "source": "People/Ada Lovelace.md",
            "line": 13,
        },
    ]
    # the dinner on 2026-12-01 is planned, not contact
    assert [p["date"] for p in data["planned"]] == ["2026-12-01"]


def test_show_text(vault: Path, run_cli):
    r = run_cli(vault, "show", "ada")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "Ada Lovelace  (People/Ada Lovelace.md)"
    assert "  ring: buddy" in lines
    assert "  last contact: 2026-11-10" in lines
    assert "Interactions" in lines
    assert any(line.startswith("2026-11-10  coffee") for line in lines)
    assert "  planned 2026-12-01: Dinner with Ada Lovelace (Daily/2026-12-01.md)" in lines


def test_show_ambiguous_lists_candidates(vault: Path, run_cli):
    r = run_cli(vault, "show", "ben")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "kith: 'ben' matches 2 contacts:",
        "  Ben Olsen  (People/Ben Olsen.md)",
        "  Ben Ortiz  (People/Ben Ortiz.md)",
    ]


def test_show_not_found_suggests(vault: Path, run_cli):
    r = run_cli(vault, "show", "Bne Ortiz")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.splitlines()[0] == "kith: no contact matches 'Bne Ortiz'"
    assert "did you mean: Ben Ortiz" in r.stderr
    r = run_cli(vault, "show", "Old Friend", "--json")  # archived people are still shown
    assert r.exit_code == 0 and json.loads(r.stdout)["archived"] is True


# --- usage errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["list", "--colour"],
        ["show"],
        ["--today", "next tuesday", "list"],
        ["--today", "2026-02-30", "list"],
        ["list", "--today", "soon"],
        ["init", "--bogus"],
    ],
)
def test_usage_errors_exit_2(vault: Path, run_cli, args):
    r = run_cli(vault, *args, today=None)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    assert "Usage:" in r.stderr or "Error" in r.stderr
    no_traceback(r)


def test_every_core_command_is_documented(run_cli):
    for cmd in ("init", "index", "check", "list", "show"):
        r = run_cli(None, cmd, "--help", today=None)
        assert r.exit_code == 0
        assert "Example:" in r.stdout, cmd


# --- finding the vault -----------------------------------------------------------------


def names(r) -> list[str]:
    assert r.exit_code == 0, r.output
    return [c["name"] for c in json.loads(r.stdout)]


def test_vault_from_option_env_and_upward_search(vault: Path, tmp_path: Path, run_cli, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert len(names(run_cli(vault, "list", "--json"))) == 4
    assert len(names(run_cli(None, "list", "--json", env={"KITH_VAULT": str(vault)}))) == 4
    # --vault wins over KITH_VAULT; options after the command work too
    r = run_cli(None, "list", "--json", "--vault", str(vault), env={"KITH_VAULT": str(elsewhere)})
    assert len(names(r)) == 4
    # upward from a subfolder, by kith.toml ...
    monkeypatch.chdir(vault / "People")
    assert len(names(run_cli(None, "list", "--json"))) == 4
    # ... or by .obsidian/
    (vault / "kith.toml").unlink()
    (vault / ".obsidian").mkdir()
    deep = vault / "Daily" / "deeper"
    deep.mkdir()
    monkeypatch.chdir(deep)
    assert len(names(run_cli(None, "list", "--json"))) == 4
    # an empty KITH_VAULT counts as unset
    assert len(names(run_cli(None, "list", "--json", env={"KITH_VAULT": ""}))) == 4


def test_no_vault_is_a_clear_error(tmp_path: Path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_cli(None, "list")
    assert r.exit_code == 1
    no_traceback(r)
    assert r.stderr.splitlines() == [
        "kith: no vault found here or in any parent folder",
        "  hint: run inside a vault, pass --vault PATH, set KITH_VAULT, or create one with `kith init`",
    ]
    for missing in (tmp_path / "nope", tmp_path / "file.md"):
        if missing.suffix:
            missing.write_text("x")
        for args in (("--vault", str(missing), "check"), ("show", "x", "--vault", str(missing))):
            r = run_cli(None, *args)
            assert r.exit_code == 1
            no_traceback(r)
            assert r.stderr == f"kith: vault folder not found: {missing}\n"
    r = run_cli(None, "list", env={"KITH_VAULT": str(tmp_path / "gone")})
    assert (r.exit_code, r.stderr) == (1, f"kith: vault folder not found: {tmp_path / 'gone'}\n")


def test_unexpected_errors_are_one_line_unless_debug(vault: Path, run_cli, monkeypatch):

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr("vaultlib.query.filter_contacts", boom)
    r = run_cli(vault, "list")
    assert r.exit_code == 1
    no_traceback(r)
    assert r.stderr.splitlines() == [
        "kith: internal error: RuntimeError: boom",
        "  re-run with --debug for the traceback, and please report it",
    ]
    r = run_cli(vault, "--debug", "list")
    assert isinstance(r.exception, RuntimeError)


@pytest.mark.parametrize("entry", ["main", "run"])
@pytest.mark.parametrize("extra", [0, 400], ids=["flushed-at-exit", "flushed-while-printing"])
def test_a_closed_stdout_is_not_an_internal_error(vault: Path, extra: int, entry: str):
    """`kith list | head -1`: the reader goes away; kith stops quietly."""
    root = Path(__file__).resolve().parent.parent
    many = {f"People/P{i:04d}.md": "---\nstage: buddy\n---\n" for i in range(extra)}
    for rel, text in many.items():
        (vault / rel).write_text(text)
    proc = subprocess.Popen(
        [sys.executable, "-c", f"import cli; cli.{entry}()", "--vault", str(vault), "list"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "KITH_VAULT": "", "PYTHONPATH": str(root)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in err and "Traceback" not in err, err
    assert "Exception ignored" not in err, err


def test_the_kith_command_flushes_its_output_and_keeps_its_exit_status(vault: Path):
    """`cli.run` (the installed `kith`) ends without the interpreter's clean-up: what was
    printed must still all arrive, through a pipe, and the exit status stay the command's."""
    root = Path(__file__).resolve().parent.parent
    for i in range(300):
        (vault / f"People/P{i:04d}.md").write_text("---\nstage: buddy\n---\n")
    env = {**os.environ, "KITH_VAULT": "", "PYTHONPATH": str(root)}

    def kith(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "import cli; cli.run()", "--vault", str(vault), *args],
                              cwd=root, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip

    listed = kith("list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {c["name"] for c in json.loads(listed.stdout)}
    assert {f"P{i:04d}" for i in range(300)} <= names
    missing = kith("show", "Nobody Atall")
    assert missing.returncode == 1
    assert "no contact matches 'Nobody Atall'" in missing.stderr


def strict_json(text: str):
    def refuse(name: str):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_show_json_is_strict_json(vault: Path, run_cli):
    (vault / "People/Odd Numbers.md").write_text(
        "---\nstage: cold\nratio: .nan\nbig: .inf\nsmall: -.Inf\nhuge: 1e1000\n---\n"
    )
    r = run_cli(vault, "show", "Odd Numbers", "--json")
    assert r.exit_code == 0
    fields = strict_json(r.stdout)["fields"]
    assert fields == {
        "stage": "cold",
        "ratio": ".nan",
        "big": ".inf",
        "small": "-.inf",
        "huge": "1e1000",
    }


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('rings = ["only"]', "rings must list at least two distinct names"),
        ("log_headings = 5", "log_headings must be a list of strings, got 5"),
        ('reports_folder = "../out"', "reports_folder must be a folder inside the vault"),
        ('link_style = "fancy"', "link_style must be one of auto, wikilink, markdown"),
        ('record_moves = "yes"', "record_moves must be true or false"),
        ("[people]\nfolder = []", "unknown key people.folder; allowed: folders"),
        (
            "[cadence]\nwarm = 30",
            "cadence.warm: unknown ring; allowed: cold, lukewarm, strategic, buddy",
        ),
        ("[cadence]\nbuddy = -1", "cadence.buddy must be a whole number of days"),
        ('[fields]\nFirma = "firm"', "fields.Firma must name a kith field; allowed: name,"),
        ("[reports]\nupcoming_days = 0", "reports.upcoming_days must be a positive whole number"),
        ("[reports]\nweekly = true", "unknown key reports.weekly"),
        (b"rings = ['caf\xe9', 'b']", "kith.toml: not valid UTF-8 (byte 0xe9 at offset 13)"),
    ],
)
def test_bad_config_values_name_the_key_and_what_is_allowed(vault: Path, run_cli, toml, message):
    data = toml if isinstance(toml, bytes) else toml.encode()
    (vault / "kith.toml").write_bytes(data)
    r = run_cli(vault, "list")
    assert r.exit_code == 1
    no_traceback(r)
    assert r.stdout == ""
    assert message in r.stderr


def test_config_with_a_byte_order_mark_is_read(vault: Path, run_cli):
    (vault / "kith.toml").write_bytes(b"\xef\xbb\xbf[cadence]\nbuddy = 7\n")
    r = run_cli(vault, "list", "--json", "--ring", "buddy")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)[0]["cadence_days"] == 7


def test_unknown_top_level_config_key_is_a_warning(vault: Path, run_cli):
    (vault / "kith.toml").write_text("colour = 'blue'\n")
    r = run_cli(vault, "check", "--json")
    assert r.exit_code == 0
    assert [(p["path"], p["line"], p["severity"]) for p in strict_json(r.stdout)] == [
        ("kith.toml", None, "warning")
    ]


@pytest.mark.parametrize(
    "args",
    [("index",), ("--today", "2026-11-20", "report"), ("--today", "2026-11-20", "list", "--json")],
    ids=["index", "report", "list-json"],
)
def test_a_run_the_cache_answers_never_imports_the_parser_or_jinja(
    vault: Path, run_cli, args: tuple[str, ...]
):
    """Start-up is a tenth of a warm run: when the cache (or the command's memo) answers, the
    parser, the vault builder, the snapshot codec, the queries, Jinja and PyYAML stay
    unimported (they are imported where used)."""
    an_hour_ago = time.time() - 3600  # notes saved just now would be re-parsed (racy)
    for note in vault.rglob("*.md"):
        os.utime(note, (an_hour_ago, an_hour_ago))
    assert run_cli(vault, "index").exit_code == 0
    assert run_cli(vault, *args, today=None).exit_code == 0  # stores the command's memo
    code = (
        "import sys, cli\n"
        "rc = 0\n"
        "try:\n"
        "    cli.main(['--vault', sys.argv[1], *sys.argv[2:]], standalone_mode=False)\n"
        "except SystemExit as e:\n"
        "    rc = e.code\n"
        "print('rc:', rc)\n"
        "heavy = [m for m in ('vaultlib.parse', 'vaultlib.vault', 'vaultlib.snapshot_cache',\n"
        "                     'vaultlib.query', 'vaultlib.insights', 'jinja2', 'yaml')\n"
        "         if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", code, str(vault), *args], capture_output=True,
                         text=True, cwd=root, check=True)  # fmt: skip
    assert run.stdout.endswith("rc: 0\nheavy: []\n"), run.stdout + run.stderr
    said = {"index": "added 0, modified 0, removed 0", "report": "0 files written",
            "--json": '"name": "Ada Lovelace"'}[args[-1]]  # fmt: skip
    assert said in run.stdout + run.stderr


def test_the_watcher_and_the_cli_import_pyyaml_only_when_a_note_needs_it():
    """PyYAML costs the long-running watcher ~3 MB and every run ~10 ms to import: the
    fast front-matter path reads most notes without it, and only writing a value or
    reading complex front matter loads it."""
    code = "import sys, cli, vaultlib.watch\nprint(sorted(m for m in sys.modules if m == 'yaml'))"
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         check=True)  # fmt: skip
    assert run.stdout == "[]\n", run.stdout + run.stderr
