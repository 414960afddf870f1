"""The modules a wheel's build compiles with mypyc (hatch_build.py), and its fallback.

CI runs the whole suite twice: on the Python sources (the README's command), then with
the compiled modules of the wheel `pip install .` builds put next to them (`make
test-compiled` compiles them in place), where it sets KITH_EXPECT_COMPILED=1 so that a
build that silently fell back to Python fails here."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
import hatch_build
from vaultlib import __version__, build_kind

EXPECT_COMPILED = os.environ.get("KITH_EXPECT_COMPILED") == "1"
needs_compiler = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler"
)


def _compile_tiny(tmp_path: Path, source: str) -> list[Path]:
    """compile_modules on a package of one module, vaultlib/tiny.py holding `source`."""
    pytest.importorskip("mypyc")
    package = tmp_path / "src" / "vaultlib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tiny.py").write_text(source, encoding="utf-8")
    return hatch_build.compile_modules(tmp_path / "src", tmp_path / "out", ("vaultlib/tiny.py",))


def _imported_compiled(rel: str) -> bool:
    module = importlib.import_module(rel.removesuffix(".py").replace("/", "."))
    return not str(module.__file__).endswith(".py")


def test_every_compiled_module_is_imported_the_same_way_and_version_says_which():
    kinds = {rel: _imported_compiled(rel) for rel in hatch_build.COMPILED}
    assert len(set(kinds.values())) == 1, kinds  # all compiled or none: one shared library
    compiled = kinds["vaultlib/parse.py"]
    assert build_kind() == ("compiled" if compiled else "pure Python")
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"kith, version {__version__} ({build_kind()})\n"
    if EXPECT_COMPILED:
        assert compiled, "KITH_EXPECT_COMPILED=1 but the Python sources were imported"


@needs_compiler
def test_a_module_mypyc_refuses_fails_the_compile_with_what_mypy_said(tmp_path):
    """What the build hook catches to build a pure-Python wheel instead (a type error here;
    the same path as a missing compiler)."""
    with pytest.raises(hatch_build.CompileFailed, match=r"tiny\.py:1: error: Incompatible types"):
        _compile_tiny(tmp_path, "BROKEN: int = 'not an int'\n")
    assert not list(tmp_path.glob(f"out/**/*{hatch_build.SUFFIX}"))  # nothing half-made to ship


@needs_compiler
def test_a_generator_expression_mypyc_would_hold_as_a_list_fails_the_compile(tmp_path):
    """Compiled, it would be a list of everything at once (as vault.py's tracked build was,
    ~6 MB of the watcher's memory): the build refuses it rather than ship it."""
    with pytest.raises(hatch_build.CompileFailed, match=r"tiny\.py:2: warning: Treating generator"):
        _compile_tiny(
            tmp_path,
            "def kept(xs: list[int]) -> list[int]:\n    return [y for y in (x + 1 for x in xs) if y]\n",
        )


def test_a_failed_compile_gives_the_pure_python_wheel_with_a_warning(tmp_path, monkeypatch):
    def fail(*args):
        raise hatch_build.CompileFailed("cc: not found")

    monkeypatch.delenv("KITH_PURE_PYTHON", raising=False)
    monkeypatch.setattr(hatch_build, "compile_modules", fail)
    warnings: list[str] = []
    assert hatch_build.wheel_build_data(tmp_path, tmp_path / "out", warnings.append) == {}
    assert (
        len(warnings) == 1 and "pure-Python wheel" in warnings[0] and "cc: not found" in warnings[0]
    )


def test_a_compiled_wheel_ships_what_the_compile_made_with_the_interpreters_tag(
    tmp_path, monkeypatch
):
    made = [Path("vaultlib/parse.x.so"), Path("vaultlib_native__mypyc.x.so")]
    monkeypatch.delenv("KITH_PURE_PYTHON", raising=False)
    monkeypatch.setattr(hatch_build, "compile_modules", lambda root, out: made)
    data = hatch_build.wheel_build_data(tmp_path, tmp_path / "out", pytest.fail)
    assert data == {
        "pure_python": False,
        "infer_tag": True,
        "force_include": {str(tmp_path / "out" / p): p.as_posix() for p in made},
    }


def test_kith_pure_python_compiles_nothing_and_needs_no_compiler_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("KITH_PURE_PYTHON", "1")
    monkeypatch.setattr(hatch_build, "compile_modules", lambda *a: pytest.fail("compiled"))
    assert hatch_build.wheel_build_data(tmp_path, tmp_path / "out", pytest.fail) == {}
    hook = object.__new__(hatch_build.KithBuildHook)
    assert hook.dependencies() == []
    monkeypatch.setenv("KITH_PURE_PYTHON", "0")
    assert hook.dependencies() == list(hatch_build.BUILD_DEPENDENCIES)


def test_clean_removes_what_any_pythons_inplace_build_left(tmp_path):
    (tmp_path / "vaultlib").mkdir()
    left = [tmp_path / "vaultlib" / "parse.cpython-312-x86_64-linux-gnu.so",
            tmp_path / "vaultlib" / "vault.cpython-311-x86_64-linux-gnu.so",
            tmp_path / f"{hatch_build.GROUP}__mypyc.cpython-312-x86_64-linux-gnu.so"]  # fmt: skip
    kept = [tmp_path / "vaultlib" / "parse.py", tmp_path / "vaultlib" / "other.cpython-311.so"]
    for p in left + kept:
        p.write_text("", encoding="utf-8")
    hatch_build._clean(tmp_path)
    assert [p for p in left + kept if p.exists()] == kept


@needs_compiler
def test_a_users_own_mypy_config_does_not_decide_what_compiles(tmp_path, monkeypatch):
    """mypy reads ~/.config/mypy/config and the like: a user's `strict = True` would
    otherwise fail the compile of code that is not written for it, and give them Python."""
    (tmp_path / "xdg" / "mypy").mkdir(parents=True)
    (tmp_path / "xdg" / "mypy" / "config").write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    made = _compile_tiny(tmp_path, "def same(x):\n    return x\n")  # untyped: not strict
    assert Path("vaultlib/tiny" + hatch_build.SUFFIX) in made
