"""The incremental snapshot (watcher path) must always equal a full rebuild."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlib.config import Config
from vaultlib.index import build_index

PEOPLE = ["Ada Lovelace", "Ben Ortiz", "Cleo Park", "Dan Wu", "Eve Moss"]


def person(name: str, ring: str, knows: str | None) -> str:
    extra = f'knows:\n  - "[[{knows}]]"\n' if knows else ""
    return f"---\nstage: {ring}\n{extra}---\n## Log\n- 2026-10-0{len(name) % 9 + 1} call: hello\n"


def daily(links: list[str]) -> str:
    return "".join(f"- coffee with [[{n}]]\n" for n in links)


ops = st.lists(
    st.tuples(
        st.sampled_from(["person", "daily", "delete", "dup"]),
        st.integers(0, len(PEOPLE) - 1),
        st.integers(1, 9),
        st.lists(st.sampled_from(PEOPLE + ["Nobody"]), max_size=3),
    ),
    min_size=1,
    max_size=12,
)


def snapshot_key(v):
    return (
        [(c.path, c.name, c.ring, c.interactions, c.knows) for c in v.contacts],
        v.problems,
        v.shared_names,
        v.dated_notes,
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops)
def test_incremental_equals_full(tmp_path_factory, steps):
    root: Path = tmp_path_factory.mktemp("v")
    (root / "People").mkdir()
    (root / "Daily").mkdir()
    (root / ".obsidian").mkdir()
    cfg = Config(root=root)
    idx = build_index(cfg, save=False)
    idx.vault()
    rnd = random.Random(0)
    for kind, i, day, links in steps:
        name = PEOPLE[i]
        if kind == "person":
            (root / "People" / f"{name}.md").write_text(
                person(name, rnd.choice(["cold", "buddy"]), rnd.choice(PEOPLE + [None]))
            )
            rel = f"People/{name}.md"
        elif kind == "daily":
            (root / "Daily" / f"2026-11-0{day}.md").write_text(daily(links))
            rel = f"Daily/2026-11-0{day}.md"
        elif kind == "dup":  # a second note with a person's basename makes links ambiguous
            (root / f"{name}.md").write_text("not a person\n")
            rel = f"{name}.md"
        else:
            rel = f"People/{name}.md"
            (root / rel).unlink(missing_ok=True)
        changed = idx.refresh([rel])
        incremental = idx.vault(changed)
        full = build_index(cfg, rebuild=True, save=False).vault()
        assert snapshot_key(incremental) == snapshot_key(full)
