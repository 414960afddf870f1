# The targets CI runs (see .ci/run).
PY ?= .venv/bin/python

.PHONY: install test test-compiled lint golden bench bench-large
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
test:
	.venv/bin/pytest
# The suite on the modules a wheel compiles (hatch_build.py), built next to the sources and
# removed afterwards (left there, they would hide your edits to those sources).
test-compiled:
	$(PY) hatch_build.py --inplace && KITH_EXPECT_COMPILED=1 .venv/bin/pytest -q; s=$$?; $(PY) hatch_build.py --clean; exit $$s
lint:
	.venv/bin/ruff check . && .venv/bin/mypy
golden:
	$(PY) -m tests.regen_golden
# Measured on the compiled modules, as a wheel installs kith (see test-compiled).
bench:
	$(PY) hatch_build.py --inplace && $(PY) -m benchmarks --size small; s=$$?; $(PY) hatch_build.py --clean; exit $$s
bench-large:
	$(PY) hatch_build.py --inplace && $(PY) -m benchmarks --size both; s=$$?; $(PY) hatch_build.py --clean; exit $$s
