# cross_account.aws — developer entry points. Everything runs against a local AWS emulator on 127.0.0.1;
# nothing here talks to real AWS. Binaries are used from .venv by path; no activated shell is needed.

SHELL          := /bin/bash
PYTHON         ?= python3
VENV           := .venv
VENV_MARKER    := $(VENV)/.requirements-installed
COLLECTION_DIR := .build/collections/ansible_collections/cross_account
COLLECTION_LINK:= $(COLLECTION_DIR)/aws
TEST_PORT      ?= 4567
TEST_MOTO_PORT ?= 4568
PYTEST_ARGS    ?=

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv collection-link emulator-start emulator-stop emulator-status demo test unit integration clean \
	lint-venv lint sanity ansible-lint docs-lint changelog-lint docs changelog molecule build

# Tools venv for lint, Molecule, docs and changelog (every package pinned in requirements-lint.txt).
LINT_VENV      := .venv-lint
LINT_MARKER    := $(LINT_VENV)/.requirements-installed
MOLECULE_PORT  ?= 4569
DIST_DIR       := .build/dist

help:
	@echo "make venv             project virtualenv (.venv) from requirements.txt"
	@echo "make collection-link  expose this checkout as cross_account.aws under .build/collections"
	@echo "make emulator-start   start + seed the local AWS emulator (EMULATOR_PORT, default 4566)"
	@echo "make emulator-stop    stop it"
	@echo "make demo             deploy, deploy again (must be changed=0), verify, cleanup; emulator always stopped"
	@echo "make test             all tests against an emulator on port $(TEST_PORT); emulator always stopped"
	@echo "make unit             unit tests only (no emulator)"
	@echo "make integration      integration tests (starts its own emulator unless AWS_EMULATOR_URL is set)"
	@echo "make lint             sanity + ansible-lint + docs lint + changelog lint (no emulator)"
	@echo "make sanity           ansible-test sanity --venv (ARGS='--test pep8' etc.)"
	@echo "make ansible-lint     ansible-lint, production profile"
	@echo "make docs-lint        antsibull-docs lint-collection-docs --plugin-docs"
	@echo "make docs             RST docs for every module and role into .build/docs/rst"
	@echo "make changelog        CHANGELOG.rst + changelogs/changelog.yaml for the galaxy.yml version"
	@echo "make molecule         every Molecule scenario (extensions/molecule) against an emulator on port $(MOLECULE_PORT)"
	@echo "make build            ansible-galaxy collection build into $(DIST_DIR)"
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

# ministack for everything, plus a moto server for IAM Identity Center (sso-admin, identitystore); both always stopped.
test: venv collection-link
	PYTHON=$(PYTHON) EMULATOR_PORT=$(TEST_PORT) MOTO_PORT=$(TEST_MOTO_PORT) scripts/with_server.sh emulator scripts/with_server.sh moto \
		env AWS_EMULATOR_URL=http://127.0.0.1:$(TEST_PORT) $(VENV)/bin/pytest tests/ $(PYTEST_ARGS)

unit: venv collection-link
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

# Without AWS_EMULATOR_URL the test session starts (and stops) its own emulator on a free port.
integration: venv collection-link
	$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

lint-venv: $(LINT_MARKER)

$(LINT_MARKER): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	touch $@

# Each linter runs even when an earlier one failed (make -k semantics inside one target); the exit code is
# non-zero when any failed.
lint: lint-venv
	@rc=0; for t in sanity ansible-lint docs-lint changelog-lint; do \
		echo "=== lint: $$t"; $(MAKE) --no-print-directory $$t || { rc=1; echo "=== lint: $$t FAILED"; }; \
	done; exit $$rc

sanity: lint-venv
	scripts/sanity.sh $(ARGS)

# ansible-lint runs offline and finds cross_account.aws through the .build/collections link (ansible.cfg).
ansible-lint: lint-venv collection-link
	PATH=$(CURDIR)/$(LINT_VENV)/bin:$$PATH $(LINT_VENV)/bin/ansible-lint --nocolor --format pep8 $(ARGS)

docs-lint: lint-venv
	scripts/docs.sh lint

docs: lint-venv
	scripts/docs.sh build

changelog-lint: lint-venv
	cd $(CURDIR) && $(LINT_VENV)/bin/antsibull-changelog lint
	$(LINT_VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# (Re)builds the changelog of the version in galaxy.yml: modules and roles from their version_added,
# everything else from changelogs/fragments/. Commit the result with the release.
changelog: lint-venv collection-link
	PATH=$(CURDIR)/$(LINT_VENV)/bin:$$PATH $(LINT_VENV)/bin/antsibull-changelog release --reload-plugins --update-existing \
		--version $$(sed -n 's/^version: *//p' galaxy.yml)

# Every scenario under extensions/molecule, one after the other, against one emulator (each destroys what it made).
molecule: lint-venv venv collection-link
	PYTHON=$(PYTHON) EMULATOR_PORT=$(MOLECULE_PORT) scripts/with_server.sh emulator \
		env PATH=$(CURDIR)/$(LINT_VENV)/bin:$$PATH $(LINT_VENV)/bin/molecule test --all

build: venv
	@mkdir -p $(DIST_DIR)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(DIST_DIR) .

clean:
	-@for f in .emulator/ministack-*.pid; do [ -e "$$f" ] || continue; \
		p=$${f#.emulator/ministack-}; EMULATOR_PORT=$${p%.pid} $(PYTHON) scripts/emulator.py stop; done
	-@for f in .emulator/moto-*.pid; do [ -e "$$f" ] || continue; \
		p=$${f#.emulator/moto-}; MOTO_PORT=$${p%.pid} $(PYTHON) scripts/moto_server.py stop; done
	rm -rf $(VENV) .venv-emulator .venv-moto $(LINT_VENV) .build .emulator .ansible .pytest_cache reports
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
