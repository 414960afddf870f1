"""A cold index on worker processes: the records equal those one process parses, the vault
built while they come in equals a full build, and a worker that fails or dies stops the
run with an error instead of leaving it waiting."""

from __future__ import annotations

import json
import marshal
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_index import backdate
from test_vault_build_equivalence import same

from vaultlib import cache as cache_mod
from vaultlib import index as index_mod
from vaultlib.cache import CACHE_FILE, CacheWriter, decode_rows, encode_rows, iter_cache, load_cache
from vaultlib.config import load_config
from vaultlib.index import build_index, parse_blobs
from vaultlib.scan import scan_keys
from vaultlib.vault import VaultBuilder

# Persons before and after the notes that link them (in path order, the order they are
# parsed in), a person outside the people folder, a broken one, links to notes that are
# not persons, an ambiguous link, a person who knows others, goals, blocks, problems.
FILES = {
    "A-first/2026-11-01 Sync.md": "---\npeople: ['[[Ada]]', '[[Zed]]']\n---\n- call with [[Home]]\n",
    "Daily/2026-11-02.md": "- lunch with [[Ada]] and [[Ben]] #give\n- [[Twin]] and [[Broken]]\n",
    "Daily/2026-11-03.md": "- coffee with [[Zed]]\n- saw [[Nobody]]\n",
    "Goals/Funnel.md": "---\ntype: goal\nmetric: moves\ntarget: 2\ndeadline: 2026-12-31\n---\n",
    "Home.md": "Links [[Ada]] <!-- kith:overdue -->\n<!-- /kith:overdue -->\n",
    "Notes/Twin.md": "one\n",
    "Other/Twin.md": "two\n",
    "Notes/Zed.md": "---\ntype: person\nstage: cold\n---\n## Log\n- 2026-10-01 call: hi\n",
    "People/Ada.md": "---\nstage: buddy\nknows: ['[[Ben]]', '[[Home]]']\n---\n## Log\n- 2026-11-01 call: x\n",
    "People/Ben.md": "---\nstage: cold\nintroduced_by: '[[Zed]]'\n---\n",
    "People/Broken.md": "---\nstage: [\n---\n",
    "Zz/2026-11-04 Later.md": "- dinner with [[Ben]] and [[Ada]]\n",
}


@pytest.fixture
def vault(tmp_path: Path, make_vault, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The vault above, with chunks of two notes and workers for any number of notes."""
    monkeypatch.setattr(index_mod, "PARALLEL_MIN", 2)
    monkeypatch.setattr(index_mod, "CHUNK", 2)
    return make_vault(tmp_path / "v", FILES)


def test_workers_give_the_records_one_process_gives(vault: Path):
    config = load_config(vault)
    paths = sorted(scan_keys(config, stat_notes=False)[0])
    parallel = list(parse_blobs(config, paths, jobs=3))
    single = list(parse_blobs(config, paths, jobs=1))
    # the records decoded: two processes may spell one record differently (see same_record)
    assert [(marshal.loads(b), cls) for b, cls, _ in parallel] == [
        (marshal.loads(b), cls) for b, cls, _ in single
    ]
    assert [key for *_, key in parallel] == [key for *_, key in single]
    assert all(key is not None for *_, key in parallel)


def test_a_cold_index_builds_while_parsing_and_equals_a_full_build(vault: Path):
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    assert idx._streamed is not None  # the vault was built as the records came in
    streamed = idx.vault()
    same(streamed, VaultBuilder(idx.config, idx.records, track=False).build())
    ada = streamed.by_path["People/Ada.md"]
    assert {i.source for i in ada.interactions} == {
        "People/Ada.md", "A-first/2026-11-01 Sync.md", "Daily/2026-11-02.md",
        "Zz/2026-11-04 Later.md",
    }  # fmt: skip
    assert ada.knows == ("Ben", "Home")  # a known name that is no person stays as written
    assert streamed.by_path["People/Ben.md"].introduced_by == ("Zed",)
    assert "People/Broken.md" not in streamed.by_path
    # and what it stored is what the next run loads
    again = build_index(load_config(vault))
    assert again.stats.parsed == 0
    same(again.vault(), streamed)


def delete_when_listed(monkeypatch: pytest.MonkeyPatch, vault: Path, rel: str) -> None:
    """The note at `rel` is deleted once the scan has listed it, before it is handed on (and
    so before any worker can read it: workers start while the scan goes on)."""
    walk = index_mod.walk_keys

    def walk_and_delete(config, put, **kw):
        def delete_then_put(path, key):
            if path == rel:
                os.unlink(vault / rel)
            put(path, key)

        return walk(config, delete_then_put, **kw)

    monkeypatch.setattr(index_mod, "walk_keys", walk_and_delete)


def test_a_note_gone_between_scan_and_reading_is_dropped_from_a_streamed_index(
    vault: Path, monkeypatch: pytest.MonkeyPatch
):
    delete_when_listed(monkeypatch, vault, "People/Ben.md")
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    assert "People/Ben.md" not in idx.records and "People/Ben.md" not in idx.keys
    assert idx._streamed is None  # built from the records instead: Ben is not among them
    v = idx.vault()
    same(v, VaultBuilder(idx.config, idx.records, track=False).build())
    assert "People/Ben.md" not in v.by_path


fork_only = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the failure is patched into this process, which only a forked worker inherits",
)


@fork_only
def test_a_worker_that_fails_stops_the_run(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
):
    """The parent raises the worker's failure in one line, with the worker's traceback as
    a note (what `kith --debug` shows); the worker itself prints nothing."""

    def fail(root: str, paths: list[str]):
        raise MemoryError("out of memory")

    monkeypatch.setattr(index_mod, "_parse_chunk", fail)
    with pytest.raises(RuntimeError, match="MemoryError") as e:
        build_index(load_config(vault), rebuild=True, jobs=2)
    assert str(e.value) == "a parsing process failed: MemoryError: out of memory"
    (note,) = e.value.__notes__
    assert note.startswith("in the parsing process:\nTraceback") and "in fail" in note
    assert "Traceback" not in capfd.readouterr().err


@fork_only
def test_a_worker_that_dies_stops_the_run(vault: Path, monkeypatch: pytest.MonkeyPatch):
    def die(root: str, paths: list[str]):
        os._exit(3)

    monkeypatch.setattr(index_mod, "_parse_chunk", die)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        build_index(load_config(vault), rebuild=True, jobs=2)


def cache_rows(vault: Path) -> dict:
    """path -> (size, mtime, ctime, record, row class), the record decoded (two processes
    may spell one record differently: see same_record)."""
    written_ns, rows = load_cache(vault / ".kith", load_config(vault).fingerprint())
    assert rows, "no usable record cache"
    return {p: (*row[:3], marshal.loads(row[3]), row[4]) for p, row in rows.items()}


def test_a_cold_index_writes_the_cache_its_workers_encoded(vault: Path):
    """The workers encode the record cache's chunks; the file holds what one process
    parsing and saving every note writes (the same rows, in the same order)."""
    backdate(vault)  # (a note saved within the last two seconds is parsed again anyway)
    build_index(load_config(vault), rebuild=True, jobs=1)
    single = cache_rows(vault)
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    parallel = cache_rows(vault)
    assert list(parallel.items()) == list(single.items())
    assert idx.keys == {p: row[:3] for p, row in parallel.items()}
    assert [p.name for p in (vault / ".kith/cache").iterdir() if p.name.endswith(".tmp")] == []
    assert build_index(load_config(vault)).stats.parsed == 0  # the next run trusts it


def test_a_note_gone_mid_run_leaves_no_row_in_the_cache(vault: Path, monkeypatch):
    delete_when_listed(monkeypatch, vault, "Notes/Twin.md")
    build_index(load_config(vault), rebuild=True, jobs=2)
    rows = cache_rows(vault)
    assert "Notes/Twin.md" not in rows and len(rows) == len(FILES) - 1
    assert [p.name for p in (vault / ".kith/cache").iterdir() if p.name.endswith(".tmp")] == []


def test_a_cold_index_stopped_part_way_leaves_the_cache_as_it_was(vault: Path, monkeypatch):
    build_index(load_config(vault), rebuild=True, jobs=2)
    before = (vault / ".kith/cache" / CACHE_FILE).read_bytes()
    taken = []

    def interrupted(self, records):
        for path, _ in records:
            taken.append(path)
            if len(taken) == 5:
                raise KeyboardInterrupt

    monkeypatch.setattr(VaultBuilder, "take_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(load_config(vault), rebuild=True, jobs=2)
    assert (vault / ".kith/cache" / CACHE_FILE).read_bytes() == before
    assert [p.name for p in (vault / ".kith/cache").iterdir()] == [CACHE_FILE]


def test_a_cold_index_that_cannot_write_the_cache_says_so(vault: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (vault / ".kith").symlink_to(outside, target_is_directory=True)
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    v = idx.vault()
    assert [(p.path, p.severity) for p in v.problems if p.path == ".kith/cache"] == [
        (".kith/cache", "warning")
    ]
    assert list(outside.iterdir()) == []
    assert "People/Ada.md" in v.by_path


def test_a_refresh_that_loads_the_records_drops_the_build_they_streamed(vault: Path):
    """A run that found nothing changed loads records only when asked; with the record cache
    gone, loading them parses every note on the workers and streams a build. A refresh that
    then changes the records must not leave that build to be finished."""
    backdate(vault)
    build_index(load_config(vault), rebuild=True, jobs=2).vault()  # cache, snapshot, manifest
    os.unlink(vault / ".kith/cache" / CACHE_FILE)  # the record cache lost, the manifest kept
    idx = build_index(load_config(vault), jobs=2)
    assert idx._deferred is not None
    os.unlink(vault / "People/Ben.md")
    assert idx.refresh(["People/Ben.md"]) == {"People/Ben.md"}
    v = idx.vault()
    same(v, VaultBuilder(idx.config, idx.records, track=False).build())
    assert "People/Ben.md" not in v.by_path


ROW = st.tuples(st.sampled_from(["a.md", "b/c.md", "ü.md"]), st.integers(0, 9), st.integers(0, 9),
                st.integers(0, 9), st.binary(max_size=300), st.integers(0, 2))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, max_size=40), st.integers(1, 500))
def test_rows_a_worker_encodes_are_the_cache_chunks_a_save_writes(rows, limit):
    """A worker encodes its rows as chunks of the record cache, cut as save_cache cuts
    them (by count and by bytes of records: a chunk of large notes stays small); read
    back from a cache file, or handed over in memory, they are the rows."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache_mod, "_BYTES_PER_CHUNK", limit)
        mp.setattr(cache_mod, "_ROWS_PER_CHUNK", 7)
        encoded = encode_rows(rows)
        assert decode_rows(encoded) == rows
        with tempfile.TemporaryDirectory() as tmp:
            out = CacheWriter(Path(tmp), "fp", 1)
            out.add(memoryview(b"+" + encoded)[1:])
            out.commit()
            written, chunks = iter_cache(Path(tmp), "fp")
            got = list(chunks)
    assert [row for chunk in got for row in chunk] == rows
    for chunk in got:
        assert len(chunk) <= 7 and sum(len(r[4]) for r in chunk[:-1]) <= limit


fork_and_proc = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork" or not os.path.isdir("/proc/self"),
    reason="patches the parent, which only forked workers inherit; reads /proc",
)

STALLED_PARENT = """
import json, multiprocessing, sys, time
from multiprocessing import connection
from pathlib import Path
from vaultlib import index
from vaultlib.config import load_config

index.PARALLEL_MIN = index.CHUNK = 1
index._parse_chunk = lambda root, paths: b"x" * 700_000  # fills its 1 MB pipe on the 2nd
def stall(*args, **kw):  # the parent stops reading, and says who its workers are
    print(json.dumps([p.pid for p in multiprocessing.active_children()]), flush=True)
    time.sleep(600)
connection.wait = stall
next(index.parse_chunks(load_config(Path(sys.argv[1])), ["a.md", "b.md", "c.md", "d.md"], jobs=2))
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


@fork_and_proc
def test_workers_do_not_outlive_a_parent_that_was_killed(vault: Path):
    """Killed (SIGKILL: no clean-up runs), the parent leaves workers whose pipes nobody
    reads: their next write fails and they exit, rather than wait for good."""
    proc = subprocess.Popen([sys.executable, "-c", STALLED_PARENT, str(vault)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        workers = json.loads(proc.stdout.readline())
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _running(pid)]
    for pid in left:  # (so that a failure leaves nothing behind)
        os.kill(pid, signal.SIGKILL)
    assert left == []


@pytest.mark.parametrize("how", ["cold", "cache unusable"])
def test_a_parallel_index_holds_one_string_per_path(vault: Path, how: str):
    """The workers send each row's path back; the index keeps one string for it, which its
    stat keys and its records share, not a second copy a note. (With no cache the scan
    takes no stat key; with one it cannot use, it does, and every note is parsed.)"""
    if how == "cache unusable":
        (vault / ".kith/cache").mkdir(parents=True)
        (vault / ".kith/cache" / CACHE_FILE).write_bytes(b"from another kith")
    idx = build_index(load_config(vault), rebuild=how == "cold", jobs=2)
    assert idx.stats.parsed == len(FILES) == len(idx.records.blobs)
    held = {id(p) for p in idx.keys}
    assert all(id(p) in held for p in idx.records.blobs)


# Names whose sorted order differs from a walk that sorts each folder's own names: " " and
# "-" sort before "/", and "." before "/" (so "a b/x.md" < "a/x.md" and "a.md" < "a/x.md").
_NAMES = st.sampled_from(["a", "a b", "a-b", "a.md", "b", "Z", "é", "a0"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_NAMES, min_size=1, max_size=3), min_size=1, max_size=12))
def test_an_ordered_walk_lists_paths_in_sorted_order(parts: list[list[str]]):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files: set[str] = set()
        for p in parts:
            rel = "/".join(p[:-1] + [p[-1] + ".md"])
            if any(rel.startswith(f + "/") or f.startswith(rel + "/") for f in files):
                continue  # a name both a folder and a note's path prefix: skip
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text("x")
            files.add(rel)
        seen: list[str] = []
        index_mod.walk_keys(load_config(root), lambda p, k: seen.append(p), ordered=True)
        assert seen == sorted(files)


def test_workers_parse_while_the_scan_goes_on(vault: Path, monkeypatch: pytest.MonkeyPatch):
    """With more notes than it takes to start workers, they are running, and were handed the
    notes listed so far, before the scan has ended; the parse then goes on with that pool,
    not a new one."""
    walk = index_mod.walk_keys
    during: list[tuple[int, int]] = []
    pools: list[index_mod._Pool] = []
    make = index_mod._Pool.__init__

    def made(self, *a, **kw):
        make(self, *a, **kw)
        pools.append(self)

    def walk_and_look(config, put, **kw):
        problems = walk(config, put, **kw)
        during.append((len(multiprocessing.active_children()), len(pools[0].paths)))
        return problems

    monkeypatch.setattr(index_mod._Pool, "__init__", made)
    monkeypatch.setattr(index_mod, "walk_keys", walk_and_look)
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    ((workers, fed),) = during
    assert workers == 2
    assert fed >= index_mod.PARALLEL_MIN and fed % index_mod.CHUNK == 0  # listed so far
    assert len(pools) == 1  # the pool the scan fed parsed the rest too
    assert len(pools[0].paths) == idx.stats.parsed
    same(idx.vault(), VaultBuilder(idx.config, idx.records, track=False).build())


def test_a_pool_given_other_notes_is_not_used(vault: Path):
    config = load_config(vault)
    paths = sorted(scan_keys(config, stat_notes=False)[0])
    pool = index_mod._Pool(config, 2)
    pool.feed(["Notes/Twin.md", "Home.md"])  # not where `paths` begins
    got = [row for _, rows in index_mod.parse_chunks(config, paths, 2, pool) for row in rows]
    assert [row[0] for row in got] == paths
    assert [w.exitcode for w in pool.workers] == [-signal.SIGTERM]  # stopped, and waited for


@fork_only
def test_feeding_a_worker_that_died_says_so_when_the_chunks_are_asked_for(
    vault: Path, monkeypatch: pytest.MonkeyPatch
):
    def die(root: str, paths: list[str]):
        os._exit(3)

    monkeypatch.setattr(index_mod, "_parse_chunk", die)
    pool = index_mod._Pool(load_config(vault), 1)
    pool.feed(["Home.md"])
    pool.workers[0].join()
    pool.feed(["Notes/Twin.md"])  # down a pipe nobody reads: not the error to report
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        list(pool.results())
    pool.close()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_cold_index_on_workers_started_afresh_equals_one_process(
    vault: Path, monkeypatch: pytest.MonkeyPatch, method: str
):
    """Where workers are not forked (macOS and Windows start them afresh by default), they
    are handed their pipes and notes the same way, and give the same index."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} here")
    backdate(vault)
    build_index(load_config(vault), rebuild=True, jobs=1)
    single = cache_rows(vault)
    afresh = multiprocessing.get_context(method)
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: afresh)
    idx = build_index(load_config(vault), rebuild=True, jobs=2)
    assert idx._streamed is not None
    assert list(cache_rows(vault).items()) == list(single.items())
    same(idx.vault(), VaultBuilder(idx.config, idx.records, track=False).build())
