# The targets CI runs (see .ci/run).
PY ?= .venv/bin/python

# $(call compiled,COMMAND): COMMAND with the modules a wheel compiles (hatch_build.py) built
# next to the sources, removed afterwards (left there, they would hide your edits to them).
compiled = $(PY) hatch_build.py --inplace && $(1); s=$$?; $(PY) hatch_build.py --clean; exit $$s

.PHONY: install test test-compiled lint golden bench bench-large
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
test:
	.venv/bin/pytest
test-compiled:
	$(call compiled,KITH_EXPECT_COMPILED=1 .venv/bin/pytest -q)
lint:
	.venv/bin/ruff check . && .venv/bin/mypy
golden:
	$(PY) -m tests.regen_golden
# Measured on the compiled modules, as a wheel installs kith (see test-compiled).
bench:
	$(call compiled,$(PY) -m benchmarks --size small)
bench-large:
	$(call compiled,$(PY) -m benchmarks --size both)
