"""kith's benchmark suite: a deterministic vault generator and a timing harness.

This package owns `python -m benchmarks` (the harness, `harness.py`) and
`python -m benchmarks.genvault` (the synthetic vault writer, `genvault.py`).
It is not part of the installed kith package; it only ever runs kith as a
subprocess and never imports `vaultlib`.
"""
