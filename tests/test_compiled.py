"""The modules a wheel's build compiles with mypyc (hatch_build.py), and its fallback.

CI runs the whole suite twice: on the Python sources (the README's command), then with
the modules compiled next to them (`python hatch_build.py --inplace`), where it sets
KITH_EXPECT_COMPILED=1 so that a build that silently fell back to Python fails here."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
import hatch_build
from vaultlib import build_kind

ROOT = Path(__file__).resolve().parent.parent
EXPECT_COMPILED = os.environ.get("KITH_EXPECT_COMPILED") == "1"


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
    assert result.output == f"kith, version 0.1.0 ({build_kind()})\n"
    if EXPECT_COMPILED:
        assert compiled, "KITH_EXPECT_COMPILED=1 but the Python sources were imported"


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler"
)
def test_a_module_mypyc_refuses_fails_the_compile_with_what_mypy_said(tmp_path):
    """What the build hook catches to build a pure-Python wheel instead (a type error here;
    the same path as a missing compiler)."""
    pytest.importorskip("mypyc")
    root = tmp_path / "src"
    shutil.copytree(
        ROOT / "vaultlib", root / "vaultlib", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    dates = root / "vaultlib" / "dates.py"
    dates.write_text(
        dates.read_text(encoding="utf-8") + "\n_BROKEN: int = 'not an int'\n", encoding="utf-8"
    )
    with pytest.raises(
        hatch_build.CompileFailed, match=r"dates\.py:\d+: error: Incompatible types"
    ):
        hatch_build.compile_modules(root, tmp_path / "out")
    assert not list(tmp_path.glob(f"out/**/*{hatch_build.SUFFIX}"))  # nothing half-made to ship


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler"
)
def test_a_generator_expression_mypyc_would_hold_as_a_list_fails_the_compile(tmp_path):
    """Compiled, it would be a list of everything at once (as vault.py's tracked build was,
    ~6 MB of the watcher's memory): the build refuses it rather than ship it."""
    pytest.importorskip("mypyc")
    package = tmp_path / "src" / "vaultlib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tiny.py").write_text(
        "def kept(xs: list[int]) -> list[int]:\n    return [y for y in (x + 1 for x in xs) if y]\n",
        encoding="utf-8",
    )
    with pytest.raises(hatch_build.CompileFailed, match=r"tiny\.py:2: warning: Treating generator"):
        hatch_build.compile_modules(tmp_path / "src", tmp_path / "out", ("vaultlib/tiny.py",))
