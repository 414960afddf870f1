"""A cache file reads back what was written, or nothing when it was cut or damaged."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from vaultlib.cache import cache_path, read_cache_file, wait_released, write_cache_file


@pytest.mark.parametrize("apart", [False, True], ids=["whole", "apart"])
@pytest.mark.parametrize(
    "body",
    ["text", (), (1, [], {"a": (1, 2)}), (1, [b"x", b""], "y", [b"zz"], [b"a", "b"], [1])],
)
def test_a_body_reads_back_as_written(tmp_path: Path, body: object, apart: bool):
    write_cache_file(tmp_path, "f", "fp", ("extra",), body, apart=apart)
    found = read_cache_file(tmp_path, "f", "fp")
    assert found is not None
    assert found[0] == ("extra",)
    assert found[1] == body
    assert type(found[1]) is type(body)


def test_a_body_without_repeats_is_written_without_references(tmp_path: Path):
    """`repeats=False` (the manifest): what the body holds twice is written twice, and
    reads back equal."""
    word = "".join(["shared ", "path"])  # one object, held twice below
    body = ({word: (1, 2), "other": (3, 4)}, [word, word])
    sizes = {}
    for repeats in (True, False):
        name = f"f{repeats}"
        write_cache_file(tmp_path, name, "fp", None, body, repeats=repeats)
        found = read_cache_file(tmp_path, name, "fp")
        assert found is not None and found[1] == body
        sizes[repeats] = cache_path(tmp_path, name).stat().st_size
    assert sizes[False] > sizes[True]  # the second "shared path" written out again


def test_lists_of_bytes_stay_bytes_unless_written_apart(tmp_path: Path):
    write_cache_file(tmp_path, "f", "fp", None, (7, [b"a", b"bc"]))
    found = read_cache_file(tmp_path, "f", "fp")
    assert found is not None
    assert [type(b) for b in found[1][1]] == [bytes, bytes]


def test_lists_of_bytes_are_read_back_as_views_that_unmarshal(tmp_path: Path):
    chunks = [marshal.dumps((i, "x" * i)) for i in range(5)]
    write_cache_file(tmp_path, "f", "fp", None, (7, chunks), apart=True)
    found = read_cache_file(tmp_path, "f", "fp")
    assert found is not None
    n, back = found[1]
    assert n == 7
    assert all(isinstance(b, memoryview) for b in back)
    assert [marshal.loads(b) for b in back] == [(i, "x" * i) for i in range(5)]


@pytest.mark.parametrize("cut", [-1, 1, 100])
def test_a_file_of_the_wrong_length_reads_as_nothing(tmp_path: Path, cut: int):
    write_cache_file(tmp_path, "f", "fp", None, (7, [b"a" * 50, b"b" * 60]), apart=True)
    path = cache_path(tmp_path, "f")
    data = path.read_bytes()
    path.write_bytes(data[:-cut] if cut > 0 else data + b"\0")
    assert read_cache_file(tmp_path, "f", "fp") is None


def test_a_list_holding_what_marshal_cannot_store_fails(tmp_path: Path):
    with pytest.raises(ValueError):
        write_cache_file(tmp_path, "f", "fp", None, (7, [b"a", (object(),)]), apart=True)


def _big(tag: str) -> tuple[str, bytes]:
    return (tag, b"x" * (2 << 20))  # over the size replaced by setting the old file aside


def test_a_large_file_replaced_leaves_the_new_one_alone(tmp_path: Path):
    write_cache_file(tmp_path, "f", "fp", None, _big("old"))
    write_cache_file(tmp_path, "f", "fp", None, _big("new"))
    wait_released()
    found = read_cache_file(tmp_path, "f", "fp")
    assert found is not None and found[1] == _big("new")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f"]


def test_waiting_for_the_release_waits_for_the_old_file_to_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`wait_released` (what `kith` does before its fast exit) returns only once the file
    set aside has been removed, however slow its removal."""
    import threading
    import time

    from vaultlib import cache

    go = threading.Event()
    unlink = cache._unlink_quietly

    def slow(path: Path) -> None:
        go.wait(5)
        time.sleep(0.05)
        unlink(path)

    monkeypatch.setattr(cache, "_unlink_quietly", slow)
    write_cache_file(tmp_path, "f", "fp", None, _big("old"))
    write_cache_file(tmp_path, "f", "fp", None, _big("new"))
    assert len(list((tmp_path / "cache").iterdir())) == 2  # the old one, set aside
    go.set()
    wait_released()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f"]


def test_a_large_file_stays_when_its_replacement_cannot_be_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    write_cache_file(tmp_path, "f", "fp", None, _big("old"))

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_cache_file(tmp_path, "f", "fp", None, _big("new"))
    monkeypatch.undo()
    found = read_cache_file(tmp_path, "f", "fp")
    assert found is not None and found[1] == _big("old")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f"]
