"""Compiling kith's hot modules with mypyc when a wheel is built, else shipping them as Python.

This file owns turning the modules a cold index spends most of its CPU in (the parser and
what it calls, run by the parse workers, and the vault builder: `COMPILED`) into C
extensions with mypyc, the compiler the mypy project ships and uses for mypy itself (black
ships the same way). The Python sources stay in the wheel and remain the reference: Python
imports an extension before a source of the same name, and a machine without a C compiler,
or a build that fails, gets the pure-Python wheel with a warning. `KITH_PURE_PYTHON=1` asks
for that wheel. An editable install (`pip install -e .`) is never compiled, so an edit to a
source takes effect at once.

mypyc runs what mypy checks, with three differences that matter here: a variable keeps the
type of its first assignment (assigning an `Any` of another type to it is a TypeError at
run time, where mypy says nothing); a compiled class's methods cannot be replaced from
outside (monkeypatch); and a generator expression it cannot compile as one becomes a list,
all of it in memory at once, so its warning about one fails the compile here. The test
suite runs against the compiled modules too (`.ci/run`, on the wheel's; `make test-compiled`).

It is also a script: `python hatch_build.py --inplace` compiles into the checkout, next
to the sources, and `python hatch_build.py --clean` removes what that left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

COMPILED = (
    "vaultlib/parse.py",
    "vaultlib/frontmatter.py",
    "vaultlib/dates.py",
    "vaultlib/textutil.py",
    "vaultlib/blocks.py",
    "vaultlib/vault.py",
)
# Not compiled: records.py and links.py, which saved no CPU measurably. mypyc makes a list
# of a generator expression it cannot compile as one (its warning "Treating generator
# comprehension as list"): vault.py's tracked build then held every person's record at
# once, which left ~6 MB of pymalloc arenas part-used after it; it loops instead now.
# What the compile needs in the build's environment (pinned: the compiler makes the code
# users run, and CI tests what this version makes; the stubs type-check yaml's imports).
BUILD_DEPENDENCIES = ("mypy==2.4.1", "setuptools>=65", "types-PyYAML==6.0.12.20261122")
GROUP = "vaultlib_native"  # the shared library: vaultlib_native__mypyc.<tag>.so, top level
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"

_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify

modules, group = sys.argv.pop(1).split(","), sys.argv.pop(1)
# No config file: a user's own mypy config (strict, say) must not decide what compiles.
setup(name="kith-native", packages=[], py_modules=[],
      ext_modules=mypycify(["--config-file=", *modules], opt_level="3", debug_level="0",
                           group_name=group))
"""


_AS_LIST = "warning: Treating generator comprehension as list"


class CompileFailed(Exception):
    pass


def compile_modules(root: Path, out: Path, modules: tuple[str, ...] = COMPILED) -> list[Path]:
    """Compile `modules` of `root`'s vaultlib into `out` (as `vaultlib/<module><SUFFIX>` and
    the group's shared library at its top); the paths made, relative to `out`."""
    with tempfile.TemporaryDirectory(prefix="kith-mypyc-") as tmp:
        work = Path(tmp)
        # A copy of the package alone: setuptools and mypy read no project file of ours.
        shutil.copytree(root / "vaultlib", work / "vaultlib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "templates"))  # fmt: skip
        (work / "setup.py").write_text(_SETUP, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
        done = subprocess.run(
            [
                sys.executable,
                "setup.py",
                ",".join(modules),
                GROUP,
                "build_ext",
                "--build-lib",
                str(out),
                "--build-temp",
                str(work / "tmp"),
            ],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode:
            raise CompileFailed(done.stdout[-4000:])
        listed = [line for line in done.stdout.splitlines() if _AS_LIST in line]
        if listed:
            raise CompileFailed("\n".join(listed))
    made = sorted(p.relative_to(out) for p in out.rglob(f"*{SUFFIX}"))
    wanted = {Path(m).with_suffix(SUFFIX) for m in modules}
    if not wanted <= set(made):
        raise CompileFailed(f"mypyc made {[str(p) for p in made]}, not every module of {modules}")
    return made


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script, outside a build
    BuildHookInterface = object  # type: ignore[assignment,misc]


def pure_asked() -> bool:
    return os.environ.get("KITH_PURE_PYTHON", "") not in ("", "0")


def wheel_build_data(root: Path, out: Path, warn: Callable[[str], None]) -> dict[str, Any]:
    """What a wheel's build data gets: nothing for a pure-Python wheel (asked for, or the
    compile failed: `warn` says why), else the compiled files (made in `out`) to ship."""
    if pure_asked():
        return {}
    try:
        made = compile_modules(root, out)
    except (CompileFailed, OSError) as e:
        warn(
            f"kith: compiling with mypyc failed, building a pure-Python wheel (slower "
            f"indexing, same results):\n{e}"
        )
        return {}
    return {
        "pure_python": False,
        "infer_tag": True,
        "force_include": {str(out / rel): rel.as_posix() for rel in made},
    }


class KithBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """hatchling's custom build hook (pyproject: [tool.hatch.build.targets.wheel.hooks.custom])."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return [] if pure_asked() else list(BUILD_DEPENDENCIES)

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._out = tempfile.mkdtemp(prefix="kith-native-")
        try:
            data = wheel_build_data(Path(self.root), Path(self._out), self.app.display_warning)
        except BaseException:
            shutil.rmtree(self._out, ignore_errors=True)
            raise
        build_data["force_include"].update(data.pop("force_include", {}))
        build_data.update(data)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out:
            shutil.rmtree(out, ignore_errors=True)


def _inplace(root: Path) -> None:
    _clean(root)
    with tempfile.TemporaryDirectory(prefix="kith-native-") as out:
        for rel in compile_modules(root, Path(out)):
            shutil.copy2(Path(out) / rel, root / rel)
            print(f"compiled: {rel}")


def _clean(root: Path) -> None:
    """What any Python's `--inplace` left: the shared library and each module's stub."""
    stubs = [p for m in COMPILED for p in root.glob(m.removesuffix(".py") + ".*")
             if p.suffix in (".so", ".pyd")]  # fmt: skip
    for p in [*root.glob(f"{GROUP}__mypyc*"), *stubs]:
        p.unlink()
        print(f"removed: {p.relative_to(root)}")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    if sys.argv[1:] == ["--inplace"]:
        _inplace(here)
    elif sys.argv[1:] == ["--clean"]:
        _clean(here)
    else:
        sys.exit("usage: python hatch_build.py --inplace | --clean")
