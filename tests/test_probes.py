"""The probes behind HISTORY.md's step figures keep working (they time nothing here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import genvault, probes


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("probe") / "vault"
    genvault.generate(root, 30, 200, seed=3)
    return root


def test_bulk_update_probe(capsys: pytest.CaptureFixture[str]) -> None:
    probes.main(["bulk", "50"])
    assert re.fullmatch(r"bulk: 50 notes linking one person, all changed: \d+\.\d{3} s\n",
                        capsys.readouterr().out)  # fmt: skip


def test_memory_probe(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probes.main(["memory", str(vault), "--top", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"index and tracked build: RSS \d+ MB, HWM \d+ MB", lines[0])
    assert len(lines) == 4 and all(line.startswith("  ") for line in lines[1:3])
    assert re.fullmatch(r"\d+ persons decoded: \d+\.\d MB live", lines[3])


def test_parse_and_build_probes(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probes.main(["parse", str(vault)])
    probes.main(["build", str(vault)])
    parse, *folders, build = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"parse: \d+\.\d µs CPU per note \(\d+ notes\)", parse)
    assert [f.split(":")[0] for f in folders] == ["  Daily", "  Meetings", "  Notes", "  People"]
    for line in folders:
        assert re.fullmatch(r"  \w+: \d+\.\d µs \(\d+ notes\)", line)
    assert re.fullmatch(r"vault build: \d+\.\d{3} s CPU \(best of 4, \d+ notes\)", build)


def test_cold_probe(vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from vaultlib import index

    monkeypatch.setattr(index, "PARALLEL_MIN", 50)  # on workers, as at the large size
    probes.main(["cold", str(vault)])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert re.fullmatch(r"cold: index \d+\.\d\d s \(first chunk at \d+\.\d\d s; this process "
                            r"\d+\.\d\d s CPU, workers \d+\.\d\d s CPU\), then vault and "
                            r"snapshot \d+\.\d\d s", line)  # fmt: skip
    assert (vault / ".kith/cache/index.marshal").exists()
