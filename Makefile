# The targets CI runs (see .ci/run).
PY ?= .venv/bin/python

.PHONY: install test lint golden bench bench-large
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
test:
	.venv/bin/pytest
lint:
	.venv/bin/ruff check . && .venv/bin/mypy
golden:
	$(PY) -m tests.regen_golden
bench:
	$(PY) -m benchmarks --size small
bench-large:
	$(PY) -m benchmarks --size both
