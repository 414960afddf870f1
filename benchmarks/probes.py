"""Single-question measurements behind the step figures in HISTORY.md.

The harness (`python -m benchmarks`) times whole commands against the floor. These probes
answer narrower questions while a change is being made, on a vault the generator made
(`python -m benchmarks.genvault --size large DIR`), and print one line each:

    python -m benchmarks.probes watch VAULT [--poll]   # ready / 3 log-line edits / idle save
    python -m benchmarks.probes memory VAULT [--top N] # the watcher's index and snapshot in memory
    python -m benchmarks.probes parse VAULT            # parse CPU per note, one process (by folder)
    python -m benchmarks.probes build VAULT            # vault build CPU, best of 4
    python -m benchmarks.probes cold VAULT             # a cold index's phases, 3 runs
    python -m benchmarks.probes bulk N                 # one person linked from N notes, all changed
    python -m benchmarks.probes rename VAULT           # watcher pass for a renamed folder

Like the harness, they are measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .harness import add_log_line

TODAY = "2026-11-20"


def _kith() -> str:
    return str(Path(sys.executable).with_name("kith"))


def _memory(pid: int) -> str:
    got = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                got[name] = int(value.split()[0]) // 1024
    return f"RSS {got.get('VmRSS')} MB, HWM {got.get('VmHWM')} MB"


def _events(proc: subprocess.Popen[str], until: str) -> dict[str, Any]:
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("event") == until:
            return event
    raise SystemExit(f"kith watch ended before a {until!r} event")


def watch(vault: str, poll: bool) -> None:
    """Start `kith watch --json`, wait for ready, add 3 log lines to one person (timing each
    until its `regenerated` event), stay idle long enough for the cache save, stop with
    SIGTERM and report the peak RSS from wait4."""
    argv = [_kith(), "--vault", vault, "--today", TODAY, "watch", "--json"]
    if poll:
        argv.append("--poll")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _events(proc, "ready")
    print(f"ready after {time.monotonic() - t0:.2f} s; {_memory(proc.pid)}")
    people = sorted(glob.glob(os.path.join(vault, "People", "**", "*.md"), recursive=True))
    person = os.path.relpath(people[5], vault)
    for i in range(3):
        add_log_line(Path(vault), person, f"- 2026-11-1{7 + i} call: probe edit {i}")
        t = time.monotonic()
        event = _events(proc, "regenerated")
        print(f"edit {i + 1}: {time.monotonic() - t:.3f} s (pass {event.get('ms')} ms); "
              f"{_memory(proc.pid)}")  # fmt: skip
    time.sleep(4.5)  # the watcher saves its cache after 3 s without events
    print(f"idle: {_memory(proc.pid)}")
    proc.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(proc.pid, 0)
    print(f"peak RSS (wait4): {usage.ru_maxrss // 1024} MB")


def parse(vault: str) -> None:
    """CPU per note of reading, parsing and encoding every note in this one process, then
    of the notes in each top-level folder."""
    from vaultlib import index
    from vaultlib.config import load_config
    from vaultlib.scan import scan_keys

    config = load_config(Path(vault))
    paths = sorted(scan_keys(config, stat_notes=False)[0])
    was = gc.isenabled()
    index._init_worker(config)  # as a parse worker is: its parser, the cyclic GC off
    root = str(config.root)
    folders: dict[str, list[str]] = {}  # by top-level folder: how note kinds differ
    for p in paths:
        folders.setdefault(p.split("/", 1)[0] if "/" in p else ".", []).append(p)
    try:
        index._parse_chunk(root, paths)  # warm the page cache and the memos
        total = _cpu(lambda: index._parse_chunk(root, paths))
        each = {name: _cpu(lambda ps=ps: index._parse_chunk(root, ps))
                for name, ps in folders.items()}  # fmt: skip
    finally:
        if was:
            gc.enable()
    print(f"parse: {total / len(paths) * 1e6:.1f} µs CPU per note ({len(paths)} notes)")
    for name, cpu in each.items():
        print(f"  {name}: {cpu / len(folders[name]) * 1e6:.1f} µs ({len(folders[name])} notes)")


def memory(vault: str, top: int) -> None:
    """What the watcher holds before its first report: RSS after its lean index and its
    tracked build (from the record cache, which `kith index` writes first), the live
    memory of every person's record decoded at once, and with `top` the largest
    allocations by line (tracemalloc, which makes the RSS figures larger)."""
    import tracemalloc

    import cli  # noqa: F401 -- what the watcher has imported before it indexes
    from vaultlib import watch  # noqa: F401
    from vaultlib.config import load_config
    from vaultlib.index import build_index
    from vaultlib.records import KeyStore

    if top:
        tracemalloc.start()
    idx = build_index(load_config(Path(vault)), lean=True)
    store = idx.records
    idx.keys = KeyStore(idx.keys)  # as the watcher packs them
    idx.vault(track=True)
    gc.collect()
    print(f"index and tracked build: {_memory(os.getpid())}")
    if top:
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:top]:
            print(f"  {stat}")
    else:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    persons = [r for _, r in store.read(store.persons)]
    size = tracemalloc.get_traced_memory()[0] - before
    print(f"{len(persons)} persons decoded: {size / 1e6:.1f} MB live")


def build(vault: str) -> None:
    """CPU of a full vault build from the record cache, best of 4."""
    from vaultlib.config import load_config
    from vaultlib.index import build_index
    from vaultlib.vault import VaultBuilder

    idx = build_index(load_config(Path(vault)))
    store = idx.records
    best = min(_cpu(lambda: VaultBuilder(idx.config, store, track=False).build()) for _ in range(4))
    print(f"vault build: {best:.3f} s CPU (best of 4, {len(store)} notes)")


def cold(vault: str) -> None:
    """Where a cold `kith index --rebuild` spends its time, in this process, three times:
    scanning and parsing on the workers while this process builds and writes the record
    cache (wall; when this process took the first parsed chunk, which is once its scan
    ended, the workers having started during it; this process's CPU; the workers' CPU),
    then finishing the vault and storing the snapshot (wall)."""
    import multiprocessing
    import resource

    from vaultlib import index
    from vaultlib.config import load_config

    config = load_config(Path(vault))
    parse_chunks = index.parse_chunks
    first: list[float] = []

    def noting_the_first(*args: Any, **kwargs: Any) -> Any:
        for i, chunk in enumerate(parse_chunks(*args, **kwargs)):
            if i == 0:
                first.append(time.perf_counter())
            yield chunk

    index.parse_chunks = noting_the_first  # type: ignore[assignment]
    try:
        for _ in range(3):
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            first.clear()
            start, cpu = time.perf_counter(), time.process_time()
            idx = index.build_index(config, rebuild=True)
            parsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            for worker in multiprocessing.active_children():  # (ending: the index need not wait)
                worker.join()  # so that their CPU is counted
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            workers = sum(
                getattr(after, f) - getattr(children, f) for f in ("ru_utime", "ru_stime")
            )
            chunk = first[0] - start
            start = time.perf_counter()
            idx.vault()
            print(f"cold: index {parsed:.2f} s (first chunk at {chunk:.2f} s; this process "
                  f"{cpu:.2f} s CPU, workers {workers:.2f} s CPU), then vault and snapshot "
                  f"{time.perf_counter() - start:.2f} s")  # fmt: skip
            del idx
            gc.collect()
    finally:
        index.parse_chunks = parse_chunks  # type: ignore[assignment]


def _cpu(work: Any) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def bulk(n: int) -> None:
    """One person linked from n dated notes, every one of them changed in one update."""
    from vaultlib.config import Config
    from vaultlib.parse import NoteParser
    from vaultlib.vault import VaultBuilder

    config = Config(root=Path("/nonexistent"))
    parser = NoteParser(config)
    records = {"People/Ada.md": parser.parse("People/Ada.md", b"---\nstage: buddy\n---\n")}
    for i in range(n):
        path = f"Daily/2020-{1 + i % 12:02d}-{1 + i % 28:02d} n{i}.md"
        records[path] = parser.parse(path, f"---\ndate: 2020-01-01\n---\n- call with [[Ada]] {i}\n".encode())  # fmt: skip
    builder = VaultBuilder(config, records, track=True)
    builder.build()
    changed = [p for p in records if p.startswith("Daily/")]
    for path in changed:
        records[path] = parser.parse(path, b"---\ndate: 2020-01-02\n---\n- lunch with [[Ada]]\n")
    start = time.perf_counter()
    builder.update(set(changed))
    print(f"bulk: {n} notes linking one person, all changed: {time.perf_counter() - start:.3f} s")


def rename(vault: str) -> None:
    """A watcher pass for a folder renamed (Meetings/2019), then renamed back."""
    argv = [_kith(), "--vault", vault, "--today", TODAY, "watch", "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _events(proc, "ready")
    src = os.path.join(vault, "Meetings", "2019")
    dst = os.path.join(vault, "Meetings", "Y2019")
    notes = sum(len(files) for _, _, files in os.walk(src))
    try:
        for a, b, what in ((src, dst, "renamed"), (dst, src, "renamed back")):
            t = time.monotonic()
            os.rename(a, b)
            event = _events(proc, "regenerated")
            print(f"folder of {notes} notes {what}: {time.monotonic() - t:.2f} s "
                  f"(pass {event.get('ms')} ms)")  # fmt: skip
    finally:
        if os.path.isdir(dst):
            os.rename(dst, src)
        proc.send_signal(signal.SIGTERM)
        proc.wait()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.probes", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = ap.add_subparsers(dest="probe", required=True)
    w = sub.add_parser("watch")
    w.add_argument("vault")
    w.add_argument("--poll", action="store_true")
    for name in ("parse", "build", "cold", "rename"):
        sub.add_parser(name).add_argument("vault")
    m = sub.add_parser("memory")
    m.add_argument("vault")
    m.add_argument("--top", type=int, default=0)
    sub.add_parser("bulk").add_argument("n", type=int)
    args = ap.parse_args(argv)
    if args.probe == "watch":
        watch(args.vault, args.poll)
    elif args.probe == "bulk":
        bulk(args.n)
    elif args.probe == "memory":
        memory(args.vault, args.top)
    else:
        {"parse": parse, "build": build, "cold": cold, "rename": rename}[args.probe](args.vault)


if __name__ == "__main__":
    main()
