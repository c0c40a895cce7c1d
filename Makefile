# Two entry points for a new user on Debian: `make demo` and `make test`. Every target installs
# what it needs first (system packages via apt-get when missing, the Python venv, the package).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo serve test lint bench install install-test clean help

help:
	@echo "make demo    scripted calls against a loopback agent (SQLite), prints timelines and tickets"
	@echo "make serve   run the agent on the configured SIP address"
	@echo "make test    install everything and run the whole test suite"
	@echo "make bench   print the benchmark figures (bench/)"
	@echo "make lint    ruff"

demo: install
	$(VENV)/bin/ivr demo

serve: install
	$(VENV)/bin/ivr serve

test: install-test
	scripts/run-tests

lint: install-test
	$(VENV)/bin/ruff check ivr tests bench

bench: install-test
	for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	scripts/install-system-deps runtime
	$(VENV)/bin/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	scripts/install-system-deps test
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
