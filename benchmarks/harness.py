"""The benchmark harness behind `python -m benchmarks`.

This module owns measuring kith against a floor: it generates (or reuses) a
synthetic vault with `genvault`, copies it to a scratch working vault, runs
each kith command as a child process (wall time, and peak RSS from `os.wait4`),
measures `kith watch` latency, and writes `results/<size>.json` and
`RESULTS.md`. Targets are reported, never asserted: it exits 1 only when a
command fails (a command kith does not have yet is "skipped"). It never imports
kith's library, never touches the pristine cached vault after generating it,
and reads the clock only for timings and the results file's date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from . import genvault

HERE = Path(__file__).resolve().parent
TODAY = genvault.TODAY.isoformat()
QUIET_MS = 300  # kith watch's quiet period, which the latency targets build on
WATCH_EDITS = 20
# The watcher rescans the whole vault this often (kith's default is 60 s); after the edits
# the harness waits one period more, so the peak RSS includes a rescan and a cache save.
RECONCILE_S = 10
READY_TIMEOUT = 300.0
EVENT_TIMEOUT = 30.0
COMMAND_TIMEOUT = 3600.0
SIZES = ("ci", "small", "large")

OK, SKIPPED, FAILED = "ok", "skipped", "failed"

# name -> (what is compared, limit, how the target reads)
TARGETS: dict[str, tuple[str, float, str]] = {
    "index_cold": ("ratio", 3.0, "≤ 3× floor"),
    "index_warm": ("ratio", 0.75, "≤ 0.75× floor"),
    "report": ("ratio", 1.0, "≤ 1× floor"),
    "list_json": ("ratio", 1.0, "≤ 1× floor"),
    "watch_latency_median": ("ms", QUIET_MS + 50, f"≤ {QUIET_MS + 50} ms"),
    "watch_latency_p95": ("ms", QUIET_MS + 150, f"≤ {QUIET_MS + 150} ms"),
    "watch_rss_mb": ("mb", 150.0, "≤ 150 MB"),
}

# Row order in the table and RESULTS.md, with a short description.
ROWS: tuple[tuple[str, str], ...] = (
    ("floor", "fresh Python reads every file (the unit)"),
    ("stat_floor", "fresh Python stats every file"),
    ("python_frontmatter_load", "frontmatter.load on every note (1 run)"),
    ("index_cold", "kith index --rebuild"),
    ("index_warm", "kith index, nothing changed"),
    ("report_first", "kith report, first run after the index"),
    ("report", "kith report, nothing to write"),
    ("list_json_first", "kith list --json, first run after the index"),
    ("list_json", "kith list --json"),
    ("report_nomemo", "kith report, nothing to write, its memo removed"),
    ("list_json_nomemo", "kith list --json, its memo removed"),
    ("edit_one", "kith report after editing one note"),
    ("watch_latency_median", "edit → watch regenerated (median)"),
    ("watch_latency_p95", "edit → watch regenerated (p95)"),
    ("watch_rss_mb", "peak RSS of kith watch"),
)

FLOOR_SCRIPT = """\
import os, sys, json
files = size = 0
def walk(d):
    global files, size
    with os.scandir(d) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            if not e.name.startswith("."):
                walk(e.path)
        elif e.is_file(follow_symlinks=False):
            with open(e.path, "rb") as f:
                size += len(f.read())
            files += 1
walk(sys.argv[1])
print(json.dumps({"files": files, "bytes": size}))
"""

STAT_SCRIPT = """\
import os, sys, json
files = 0
def walk(d):
    global files
    with os.scandir(d) as it:
        for e in it:
            if e.is_dir(follow_symlinks=False):
                if not e.name.startswith("."):
                    walk(e.path)
            else:
                e.stat(follow_symlinks=False)
                files += 1
walk(sys.argv[1])
print(json.dumps({"files": files}))
"""

FRONTMATTER_SCRIPT = """\
import os, sys, json
import frontmatter
notes = errors = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in files:
        if name.endswith(".md"):
            notes += 1
            try:
                frontmatter.load(os.path.join(root, name))
            except Exception:
                errors += 1
print(json.dumps({"notes": notes, "errors": errors}))
"""


@dataclass
class Child:
    """One finished child process."""

    returncode: int | None
    seconds: float = 0.0
    rss_mb: float = 0.0
    stdout: str = ""
    stderr: str = ""
    error: str = ""  # could not start, or killed after a timeout


@dataclass
class Item:
    """One measured item; `seconds` is the median of `runs`."""

    name: str
    status: str
    seconds: float | None = None
    runs: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status}
        if self.seconds is not None:
            d["seconds"] = round(self.seconds, 4)
            d["runs"] = [round(s, 4) for s in self.runs]
        if self.rss_mb is not None:
            d["rss_mb"] = round(self.rss_mb, 1)
        if self.reason:
            d["reason"] = self.reason
        d.update(self.extra)
        return d


def maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(proc: subprocess.Popen[Any], timeout: float) -> tuple[int, float, bool]:
    """Wait for `proc` with os.wait4: (exit code, peak RSS in MB, killed after timeout)."""
    killed = threading.Event()

    def on_timeout() -> None:
        killed.set()
        _kill(proc.pid)

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # so Popen never waits for it again
    return code, maxrss_mb(usage.ru_maxrss), killed.is_set()


def _read(f: IO[bytes]) -> str:
    f.seek(0)
    return f.read().decode("utf-8", "replace")


def run_child(argv: list[str], *, discard_stdout: bool = False, timeout: float = COMMAND_TIMEOUT,
              env: dict[str, str] | None = None) -> Child:  # fmt: skip
    """Run argv to completion: wall time (fork to reap) and peak RSS of the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if discard_stdout else out,
                stderr=err,
                env=env,
            )
        except OSError as e:
            return Child(None, error=f"cannot start {argv[0]}: {e.strerror or e}")
        code, rss, killed = _reap(proc, timeout)
        seconds = time.perf_counter() - start
        child = Child(code, seconds, rss, _read(out), _read(err))
        if killed:
            child.error = f"killed after {timeout:.0f} s"
        return child


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def classify(child: Child) -> tuple[str, str]:
    """ok / skipped (kith has no such command or option yet) / failed, with a reason."""
    if child.error:
        return FAILED, child.error
    if child.returncode == 0:
        return OK, ""
    text = child.stderr + "\n" + child.stdout
    if child.returncode == 2:
        for line in text.splitlines():
            if "No such command" in line or "No such option" in line:
                return SKIPPED, f"not available yet: {line.strip()}"
    return FAILED, f"exit {child.returncode}: {_tail(child.stderr or child.stdout)}"


def timed(name: str, argv: list[str], runs: int, *, discard_stdout: bool = False,
          env: dict[str, str] | None = None, before: Any = None, keep_json: bool = False) -> Item:  # fmt: skip
    """Run argv `runs` times (calling before(i) first, untimed); median seconds, max RSS.

    keep_json: the child prints one JSON object (the floor scripts); keep it with the item.
    """
    secs: list[float] = []
    rss: list[float] = []
    extra: dict[str, Any] = {}
    for i in range(runs):
        if before is not None:
            before(i)
        child = run_child(argv, discard_stdout=discard_stdout, env=env)
        status, reason = classify(child)
        if status != OK:
            return Item(name, status, reason=reason)
        secs.append(child.seconds)
        rss.append(child.rss_mb)
        if keep_json:
            try:
                parsed = json.loads(child.stdout)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                extra = parsed
    return Item(name, OK, statistics.median(secs), secs, max(rss), extra=extra)


# ---- the kith command ----------------------------------------------------------------------


def find_kith(explicit: str | None) -> list[str] | None:
    """The kith console script next to this Python, else on PATH (or --kith)."""
    if explicit:
        return shlex.split(explicit)
    beside = Path(sys.executable).parent / ("kith.exe" if os.name == "nt" else "kith")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("kith")
    return [found] if found else None


def kith_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KITH_VAULT", None)  # only --vault decides
    # kith as installed runs from cached bytecode (pip compiles it); a machine that forbids
    # writing bytecode would make every run compile kith's modules again (~20 ms here)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    return env


# ---- vaults --------------------------------------------------------------------------------


def preset(size: str) -> tuple[int, int]:
    return genvault.PRESETS[size]


def ensure_vault(out: Path, size: str, seed: str) -> tuple[Path, dict[str, Any]]:
    """The pristine cached vault for (size, seed), generated once and then reused."""
    contacts, notes = preset(size)
    vault = out / f"vault-{size}-{seed}"
    sidecar = out / f"vault-{size}-{seed}.json"
    want = {
        "generator_version": genvault.GENERATOR_VERSION,
        "contacts": contacts,
        "notes": notes,
        "seed": seed,
    }
    if vault.is_dir() and sidecar.is_file():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
        if all(meta.get(k) == v for k, v in want.items()):
            print(f"bench: reusing {vault}", file=sys.stderr)
            return vault, meta
    if vault.exists():
        toml = vault / "kith.toml"
        if not toml.is_file() or not toml.read_text(encoding="utf-8").startswith(
            genvault.KITH_TOML[:40]
        ):
            raise SystemExit(f"bench: {vault} exists and was not made by genvault; remove it")
        print(f"bench: {vault} is stale, regenerating", file=sys.stderr)
        shutil.rmtree(vault)
    tmp = out / f"vault-{size}-{seed}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    print(
        f"bench: generating {size} vault ({contacts:,} contacts, {notes:,} notes)…", file=sys.stderr
    )
    # In a child process: generating grows this process, and a child's ru_maxrss starts at
    # the parent's high-water mark (Linux records it at exec), which would inflate every RSS.
    argv = [sys.executable, "-m", "benchmarks.genvault", "--contacts", str(contacts),
            "--notes", str(notes), "--seed", seed, str(tmp)]  # fmt: skip
    subprocess.run(argv, check=True, cwd=HERE.parent)
    files = total = 0
    for root, _dirs, names in os.walk(tmp):
        for name in names:
            files += 1
            total += os.path.getsize(os.path.join(root, name))
    tmp.rename(vault)
    meta = dict(want, files=files, bytes=total)
    sidecar.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return vault, meta


def copy_vault(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    cp = shutil.which("cp")
    if sys.platform.startswith("linux") and cp:
        subprocess.run([cp, "-a", "--reflink=auto", str(src), str(dst)], check=True)
    else:
        shutil.copytree(src, dst, symlinks=True)


def edit_candidates(vault: Path, count: int) -> list[str]:
    """Clean person notes (LF, front matter, a Log, not archived) to append lines to; sorted."""
    found: list[str] = []
    for root, dirs, files in os.walk(vault / "People"):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            data = path.read_bytes()
            if (data.startswith(b"---\n") and b"\n## Log\n" in data and b"\r" not in data
                    and data.endswith(b"\n") and b"archived: true" not in data):  # fmt: skip
                found.append(path.relative_to(vault).as_posix())
    # Spread the picks over the vault rather than taking one folder.
    step = max(1, len(found) // max(1, count))
    return found[::step][:count]


def add_log_line(vault: Path, rel: str, text: str) -> None:
    """Add `text` as the first line of the note's `## Log`, as a check-in written by hand
    does: a line appended at the end of the file would land under a later heading (the
    generated people have `## Notes` after the log) and change no record."""
    path = vault / rel
    data = path.read_bytes()
    at = data.index(b"\n## Log\n") + len(b"\n## Log\n")
    if data[at : at + 1] == b"\n":  # a blank line after the heading
        at += 1
    path.write_bytes(data[:at] + text.encode() + b"\n" + data[at:])


# ---- kith watch ----------------------------------------------------------------------------


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def bench_watch(
    kith: list[str], vault: Path, env: dict[str, str], notes: list[str]
) -> tuple[Item, Item, Item]:
    """Latency from an append to the matching `regenerated` event, and the watcher's peak RSS."""
    names = ("watch_latency_median", "watch_latency_p95", "watch_rss_mb")

    def all_items(status: str, reason: str) -> tuple[Item, Item, Item]:
        a, b, c = (Item(n, status, reason=reason) for n in names)
        return a, b, c

    if not notes:
        return all_items(FAILED, "no clean person note to edit")
    argv = [*kith, "--vault", str(vault), "--today", TODAY, "watch", "--json",
            "--reconcile", str(RECONCILE_S)]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env
            )
        except OSError as e:
            return all_items(FAILED, f"cannot start kith: {e}")
        samples, failure, hwm, stdout_lines, (code, rss, killed) = _drive_watch(proc, vault, notes)
        stderr = _read(err)
    if failure == "exited":
        status, reason = classify(Child(code, 0.0, rss, "\n".join(stdout_lines), stderr))
        if status == OK:
            status, reason = FAILED, "kith watch exited (status 0) while it should be watching"
        return all_items(status, reason)
    if failure:
        return all_items(FAILED, failure + (f"; stderr: {_tail(stderr)}" if stderr.strip() else ""))
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, -(-len(samples) * 95 // 100) - 1)]  # nearest rank
    note: dict[str, Any] = {"samples_ms": [round(s, 1) for s in samples], "quiet_ms": QUIET_MS}
    if killed:
        note["stop"] = "did not exit within 30 s of SIGINT; killed"
    elif code not in (0, -signal.SIGINT, 128 + signal.SIGINT):
        note["stop"] = f"exit {code} after SIGINT"
    return (
        Item(names[0], OK, extra={"ms": round(median, 1), **note}),
        Item(names[1], OK, extra={"ms": round(p95, 1)}),
        Item(names[2], OK, rss_mb=max(rss, hwm or 0.0)),
    )


def _drive_watch(
    proc: subprocess.Popen[bytes], vault: Path, notes: list[str]
) -> tuple[list[float], str, float | None, list[str], tuple[int, float, bool]]:
    """Wait for ready, make the edits, SIGINT and reap the watcher.

    Returns (latency samples in ms, failure, VmHWM in MB, stdout lines, _reap's result).

    failure is '' on success, 'exited' when the watcher ended on its own, else a reason.
    """
    events: queue.Queue[tuple[float, dict[str, Any] | None]] = queue.Queue()
    stdout_lines: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            t = time.perf_counter()  # stamped on arrival, not when the main thread looks
            line = raw.decode("utf-8", "replace").strip()
            stdout_lines.append(line)
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                events.put((t, obj))
        events.put((time.perf_counter(), None))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    samples: list[float] = []
    hwm: float | None = None
    try:
        failure = _wait_event(
            events, lambda e: e.get("event") == "ready", READY_TIMEOUT, "a ready event"
        )
        for i in range(0 if failure else WATCH_EDITS):
            rel = notes[i % len(notes)]
            while not failure and not events.empty():  # forget events caused by earlier edits
                if events.get_nowait()[1] is None:
                    failure = "exited"
            if failure:
                break
            # A log line: the edit changes what the reports show, as a real check-in does.
            add_log_line(vault, rel, f"- 2026-11-19 call: benchmark watch edit {i + 1}")
            t0 = time.perf_counter()
            box: list[float] = []

            def match(e: dict[str, Any], rel: str = rel) -> bool:
                changed = e.get("changed")
                return (
                    e.get("event") == "regenerated" and isinstance(changed, list) and rel in changed
                )

            failure = _wait_event(
                events, match, EVENT_TIMEOUT, f"a regenerated event naming {rel}", box
            )
            if failure:
                break
            samples.append((box[0] - t0) * 1000)
            time.sleep(QUIET_MS / 1000)  # let the watcher settle so each edit stands alone
        if not failure:
            time.sleep(RECONCILE_S + 1)  # a rescan and the idle cache save count towards RSS
        hwm = _vm_hwm_mb(proc.pid)
    finally:
        # os.kill, not proc.send_signal: that polls, and a reaped child would defeat os.wait4.
        # The pid cannot have been reused: nobody has reaped it yet.
        try:
            os.kill(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        reaped = _reap(proc, 30.0)
        thread.join(5.0)
        if proc.stdout is not None:
            proc.stdout.close()
    return samples, failure, hwm, stdout_lines, reaped


def _wait_event(events: queue.Queue[tuple[float, dict[str, Any] | None]], match: Any, timeout: float,
                what: str, box: list[float] | None = None) -> str:  # fmt: skip
    """'' once an event matches (its arrival time goes into box), else why not."""
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return f"no {what} within {timeout:.0f} s (does watch --json flush each line?)"
        try:
            t, obj = events.get(timeout=left)
        except queue.Empty:
            continue
        if obj is None:
            return "exited"
        if match(obj):
            if box is not None:
                box.append(t)
            return ""


# ---- one size ------------------------------------------------------------------------------


def machine_facts(kith: list[str] | None, env: dict[str, str]) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="ascii", errors="replace") as f:
            facts["memory_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    if kith:
        child = run_child([*kith, "--version"], env=env, timeout=60)
        if child.returncode == 0:
            facts["kith"] = child.stdout.strip()
    return facts


def bench_size(size: str, args: argparse.Namespace, kith: list[str] | None) -> dict[str, Any]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pristine, meta = ensure_vault(out, size, args.seed)
    work = out / f"work-{size}-{args.seed}"
    print(f"bench: copying to {work}", file=sys.stderr)
    copy_vault(pristine, work)
    runs = args.runs if args.runs is not None else (1 if size == "ci" else 3)
    env = kith_env()
    items: dict[str, Item] = {}
    V = str(work)

    def add(item: Item) -> None:
        items[item.name] = item
        print(f"bench: {size} {item.name}: {_short(item)}", file=sys.stderr)

    try:
        py = sys.executable
        run_child([py, "-c", FLOOR_SCRIPT, V])  # warm-up: every file in the page cache
        add(timed("floor", [py, "-c", FLOOR_SCRIPT, V], runs, keep_json=True))
        add(timed("stat_floor", [py, "-c", STAT_SCRIPT, V], runs, keep_json=True))
        add(timed("python_frontmatter_load", [py, "-c", FRONTMATTER_SCRIPT, V], 1, keep_json=True))
        if kith is None:
            reason = "kith executable not found next to this Python or on PATH (pip install -e .)"
            for name, _ in ROWS:
                if name not in items:
                    items[name] = Item(name, SKIPPED, reason=reason)
            print(f"bench: {reason}; kith items skipped", file=sys.stderr)
        else:
            k = [*kith, "--vault", V]
            kt = [*k, "--today", TODAY]
            add(timed("index_cold", [*k, "index", "--rebuild"], runs, env=env))
            add(timed("index_warm", [*k, "index"], runs, env=env))
            add(timed("report_first", [*kt, "report"], 1, env=env))
            add(timed("report", [*kt, "report"], runs, env=env))
            add(timed("list_json_first", [*kt, "list", "--json"], 1, discard_stdout=True, env=env))
            add(timed("list_json", [*kt, "list", "--json"], runs, discard_stdout=True, env=env))

            def forget(name: str) -> Any:
                # The same runs the long way: the snapshot is loaded, queried and rendered.
                return lambda i: (work / ".kith" / "cache" / name).unlink(missing_ok=True)

            add(timed("report_nomemo", [*kt, "report"], runs, env=env, before=forget("reports.marshal")))  # fmt: skip
            add(timed("list_json_nomemo", [*kt, "list", "--json"], runs, discard_stdout=True,
                      env=env, before=forget("list.marshal")))  # fmt: skip
            picks = edit_candidates(work, WATCH_EDITS + 1)
            if picks:
                target = picks[0]

                def edit(i: int) -> None:
                    add_log_line(work, target, f"- 2026-11-19 call: benchmark edit {i + 1}")

                add(timed("edit_one", [*kt, "report"], runs, env=env, before=edit))
            else:
                add(Item("edit_one", FAILED, reason="no clean person note to edit"))
            for item in bench_watch(kith, work, env, picks[1:]):
                add(item)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    floor = items["floor"].seconds if items["floor"].status == OK else None
    result: dict[str, Any] = {
        "size": size,
        "seed": args.seed,
        "runs": runs,
        "date": args.date or date.today().isoformat(),
        "today": TODAY,
        "quiet_ms": QUIET_MS,
        "machine": machine_facts(kith, env),
        "vault": {k: meta[k] for k in ("contacts", "notes", "files", "bytes") if k in meta},
        "kith_command": kith,
        # A child's ru_maxrss is at least this (Linux keeps the parent's high-water mark at
        # exec), so RSS figures at or below it only say "small".
        "harness_rss_mb": _own_peak_rss_mb(),
        "items": {},
    }
    for name, _ in ROWS:
        got = items.get(name)
        if got is None:
            continue
        d = got.to_json()
        if floor and got.seconds is not None:
            d["ratio"] = round(got.seconds / floor, 3)
        value = _target_value(name, d)
        if name in TARGETS and value is not None:
            d["target"] = TARGETS[name][2]
            d["met"] = value <= TARGETS[name][1]
        result["items"][name] = d
    return result


def _own_peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    return round(maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1)


def _target_value(name: str, d: dict[str, Any]) -> float | None:
    if name not in TARGETS or d.get("status") != OK:
        return None
    unit = TARGETS[name][0]
    key = {"ratio": "ratio", "ms": "ms", "mb": "rss_mb"}[unit]
    value = d.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def _short(item: Item) -> str:
    if item.status != OK:
        return f"{item.status} ({item.reason})"
    if item.seconds is not None:
        return f"{item.seconds:.3f} s, {item.rss_mb or 0:.0f} MB"
    if "ms" in item.extra:
        return f"{item.extra['ms']:.0f} ms"
    return f"{item.rss_mb or 0:.0f} MB"


# ---- output --------------------------------------------------------------------------------


def _fmt_value(d: dict[str, Any]) -> str:
    if d.get("status") != OK:
        return str(d.get("status"))
    if "seconds" in d:
        return f"{d['seconds']:.3f} s"
    if "ms" in d:
        return f"{d['ms']:.0f} ms"
    return "—"


def _fmt_met(d: dict[str, Any]) -> str:
    if "met" not in d:
        return ""
    return "yes" if d["met"] else "NO"


def print_table(result: dict[str, Any], file: IO[str] = sys.stdout) -> None:
    v = result["vault"]
    print(f"\nkith benchmark, size {result['size']}: {v.get('contacts', 0):,} contacts, "
          f"{v.get('notes', 0):,} notes, {v.get('files', 0):,} files, {v.get('bytes', 0) / 1e6:.1f} MB; "
          f"median of {result['runs']} run(s)", file=file)  # fmt: skip
    header = ("name", "time", "× floor", "RSS MB", "target", "met?")
    rows = [header]
    for name, d in result["items"].items():
        ratio = f"{d['ratio']:.2f}" if "ratio" in d else ""
        rss = f"{d['rss_mb']:.0f}" if "rss_mb" in d else ""
        target = TARGETS[name][2] if name in TARGETS else ""
        rows.append((name, _fmt_value(d), ratio, rss, target, _fmt_met(d)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip(),
              file=file)  # fmt: skip
    for name, d in result["items"].items():
        if d.get("status") != OK:
            print(f"  {name}: {d['status']}: {d.get('reason', '')}", file=file)


def _cell(d: dict[str, Any] | None) -> str:
    if d is None:
        return "—"
    if d.get("status") != OK:
        return f"{d['status']}"
    parts = [_fmt_value(d)]
    if "ratio" in d and d.get("seconds") is not None:
        parts.append(f"{d['ratio']:.2f}×")
    if "rss_mb" in d:
        parts.append(f"{d['rss_mb']:.0f} MB")
    if "met" in d:
        parts.append("met" if d["met"] else "**missed**")
    return " · ".join(parts)


def render_results_md(results: dict[str, dict[str, Any]]) -> str:
    sizes = ["small", "large"]
    L = [
        "# kith benchmark results",
        "",
        "Generated by `python -m benchmarks` (see [README.md](README.md)); do not edit by hand.",
        "Every figure is the median of the runs shown, on the same machine, in the same session, on",
        "the same generated vault. *floor* is a fresh Python process reading every file of the vault;",
        "the other times are also given as a multiple of it (×). Targets are reported, never asserted.",
        "",
    ]
    if not results:
        return "\n".join(L + ["No results yet: run `python -m benchmarks --size both`.", ""])
    present = dict(results)
    results = {s: results.get(s, {"items": {}}) for s in sizes}
    head = "| | " + " | ".join(sizes) + " |"
    sep = "|---|" + "---|" * len(sizes)
    L += [head, sep]

    def row(label: str, f: Any) -> None:
        cells = (f(present[s]) if s in present else "not run yet" for s in sizes)
        L.append(f"| {label} | " + " | ".join(cells) + " |")

    row("vault", lambda r: f"{r['vault'].get('contacts', 0):,} contacts, {r['vault'].get('notes', 0):,} notes "
        f"({r['vault'].get('files', 0):,} files, {r['vault'].get('bytes', 0) / 1e6:.0f} MB)")  # fmt: skip
    row("date", lambda r: str(r.get("date", "")))
    row("machine", lambda r: f"{r['machine'].get('platform', '')}, {r['machine'].get('cpu_count', '?')} CPUs"
        + (f" ({r['machine']['cpu']})" if r["machine"].get("cpu") else ""))  # fmt: skip
    row("Python", lambda r: str(r["machine"].get("python", "")))
    row("kith", lambda r: str(r["machine"].get("kith", "?")))
    row("runs", lambda r: str(r.get("runs", "")))
    row("harness RSS", lambda r: f"{r.get('harness_rss_mb') or 0:.0f} MB")
    L += [
        "",
        "| item | what | target | " + " | ".join(sizes) + " |",
        "|---|---|---|" + "---|" * len(sizes),
    ]
    for name, what in ROWS:
        target = TARGETS[name][2] if name in TARGETS else ("the unit" if name == "floor" else "")
        L.append(f"| {name} | {what} | {target} | "
                 + " | ".join(_cell(results[s]["items"].get(name)) for s in sizes) + " |")  # fmt: skip
    notes = []
    for s in sizes:
        for name, d in results[s]["items"].items():
            if d.get("status") != OK:
                notes.append(f"- {s} `{name}`: {d['status']}: {d.get('reason', '')}")
    if notes:
        L += ["", "Not measured:", "", *notes]
    L += [
        "",
        "RSS is the child's peak resident set (`os.wait4`). On Linux a child's figure starts at the",
        "harness's own peak (*harness RSS*: exec keeps the parent's high-water mark), so values near it",
        'only say "small".',
        "",
        "Watch latency is the time from adding a log line to a person note (the newest contact, so the",
        "reports change) until `kith watch --json` prints a `regenerated` event naming it",
        f"({WATCH_EDITS} edits); the quiet period is {QUIET_MS} ms. `edit_one` adds such a line before",
        "each run of `kith report`.",
        "",
    ]
    return "\n".join(L)


def write_outputs(result: dict[str, Any], args: argparse.Namespace) -> None:
    size = result["size"]
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if size == "ci":
        # CI figures mean nothing; keep them out of the repository.
        path = Path(args.out) / "results-ci.json"
        path.write_text(text, encoding="utf-8")
        print(f"bench: wrote {path}", file=sys.stderr)
        return
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"{size}.json").write_text(text, encoding="utf-8")
    print(f"bench: wrote {results_dir / f'{size}.json'}", file=sys.stderr)


def regenerate_results_md() -> Path:
    results: dict[str, dict[str, Any]] = {}
    for s in ("small", "large"):
        p = HERE / "results" / f"{s}.json"
        if p.is_file():
            try:
                results[s] = json.loads(p.read_text(encoding="utf-8"))
            except ValueError:
                continue
    path = HERE / "RESULTS.md"
    path.write_text(render_results_md(results), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time kith against a floor (reading every file) on generated vaults.",
    )
    ap.add_argument("--size", choices=[*SIZES, "both"], default="small",
                    help="ci (200/1,000, 1 run), small (1,000/10,000), large (10,000/100,000), both")  # fmt: skip
    ap.add_argument("--runs", type=int, help="runs per command, median reported (default 3; ci 1)")
    ap.add_argument(
        "--out",
        default=str(HERE / "out"),
        help="where vaults are generated and cached (default benchmarks/out)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the working copy (with kith's cache and reports)"
    )
    ap.add_argument("--seed", default="1", help="vault seed (default 1)")
    ap.add_argument("--date", help="date recorded in the results file (default today)")
    ap.add_argument(
        "--kith", help="kith command to run (default: the kith script next to this Python)"
    )
    args = ap.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.date is not None:
        try:
            date.fromisoformat(args.date)
        except ValueError:
            ap.error("--date must be YYYY-MM-DD")
    kith = find_kith(args.kith)
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    failed = False
    for size in sizes:
        result = bench_size(size, args, kith)
        print_table(result)
        write_outputs(result, args)
        failed = failed or any(d.get("status") == FAILED for d in result["items"].values())
    if any(s != "ci" for s in sizes):
        print(f"bench: wrote {regenerate_results_md()}", file=sys.stderr)
    return 1 if failed else 0
