# cross_account.aws — developer entry points. Everything runs against a local AWS emulator on 127.0.0.1;
# nothing here talks to real AWS. Binaries are used from .venv by path; no activated shell is needed.

SHELL          := /bin/bash
PYTHON         ?= python3
VENV           := .venv
VENV_MARKER    := $(VENV)/.requirements-installed
COLLECTION_DIR := .build/collections/ansible_collections/cross_account
COLLECTION_LINK:= $(COLLECTION_DIR)/aws
TEST_PORT      ?= 4567
PYTEST_ARGS    ?=

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv collection-link emulator-start emulator-stop emulator-status demo test unit integration clean

help:
	@echo "make venv             project virtualenv (.venv) from requirements.txt"
	@echo "make collection-link  expose this checkout as cross_account.aws under .build/collections"
	@echo "make emulator-start   start + seed the local AWS emulator (EMULATOR_PORT, default 4566)"
	@echo "make emulator-stop    stop it"
	@echo "make demo             deploy, deploy again (must be changed=0), verify, cleanup; emulator always stopped"
	@echo "make test             all tests against an emulator on port $(TEST_PORT); emulator always stopped"
	@echo "make unit             unit tests only (no emulator)"
	@echo "make integration      integration tests (starts its own emulator unless AWS_EMULATOR_URL is set)"
	@echo "make clean            remove venvs, .build, .emulator and caches"

venv: $(VENV_MARKER)

# Re-installs only when requirements.txt changes (the marker is newer than it otherwise).
$(VENV_MARKER): requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

collection-link:
	@mkdir -p $(COLLECTION_DIR)
	@if [ ! -L $(COLLECTION_LINK) ] || [ "$$(readlink $(COLLECTION_LINK))" != "$(CURDIR)" ]; then \
		rm -rf $(COLLECTION_LINK); ln -s $(CURDIR) $(COLLECTION_LINK); \
		echo "linked $(COLLECTION_LINK) -> $(CURDIR)"; fi

emulator-start: venv
	$(PYTHON) scripts/emulator.py start

emulator-stop:
	$(PYTHON) scripts/emulator.py stop

emulator-status:
	$(PYTHON) scripts/emulator.py status

demo: venv collection-link
	PYTHON=$(PYTHON) scripts/demo.sh

test: venv collection-link
	PYTHON=$(PYTHON) EMULATOR_PORT=$(TEST_PORT) scripts/with_emulator.sh \
		env AWS_EMULATOR_URL=http://127.0.0.1:$(TEST_PORT) $(VENV)/bin/pytest tests/ $(PYTEST_ARGS)

unit: venv collection-link
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

# Without AWS_EMULATOR_URL the test session starts (and stops) its own emulator on a free port.
integration: venv collection-link
	$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

clean:
	-@for f in .emulator/ministack-*.pid; do [ -e "$$f" ] || continue; \
		p=$${f#.emulator/ministack-}; EMULATOR_PORT=$${p%.pid} $(PYTHON) scripts/emulator.py stop; done
	rm -rf $(VENV) .venv-emulator .build .emulator .pytest_cache reports
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
