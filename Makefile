# xenguard.hardening: one Makefile for set-up, tests, the lab and the demo.
#   make demo   boot a lab Xen host, show its controls, harden it with playbooks/site.yml, show them again
#   make test   everything CI runs: static checks, unit tests on two ansible-core lanes, Molecule in the lab
# Both install what they need: apt packages when run as root, pinned Python venvs under .venv*.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311 ?= $(shell command -v python3.11 2>/dev/null || echo python3)
# The second lane runs where a python3.13 exists (pyenv's is not always on PATH).
PY313 ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	  $$p -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; done)
VENV ?= .venv
VENV313 ?= .venv313
VENV_IMPORTER ?= .venv-importer
VENV_DOCS ?= .venv-docs
VENV_BUILDER ?= .venv-builder
PY ?= $(VENV)/bin/python
STAGE := tests/tools/stage
COLL_ROOT := $(CURDIR)/.cache/collections
COLL_DIR := $(COLL_ROOT)/ansible_collections/xenguard/hardening
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/xenguard-hardening-$(VERSION).tar.gz
MODULES = $(basename $(notdir $(wildcard plugins/modules/*.py)))
ROLES = $(notdir $(wildcard roles/*))
APT_PACKAGES := qemu-system-x86 qemu-utils debootstrap e2fsprogs fdisk swtpm swtpm-tools openssh-client \
	python3-venv git iproute2 xz-utils rsync
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help
help:
	@echo "make demo        boot a lab Xen host, show its controls, harden it, show them again"
	@echo "make test        the whole test pipeline (what CI runs)"
	@echo "make units       unit tests with coverage (fast)"
	@echo "make agreement   roles, audit and validators agree (tests/agreement)"
	@echo "make badinput    the bad-input suite (tests/badinput: hostile and odd input to every module and role)"
	@echo "make lint sanity-2.19 sanity-2.21 build-check importer docs-check   single static stages"
	@echo "make lab-up / lab-ssh / lab-down         a lab host by hand (docs/lab.md)"
	@echo "make bench       fleet timings on one lab host: audit vs ping (1 and 50 aliases), site.yml re-run vs audit, report"
	@echo "make bench-flask the FLASK build: a cold key and a cached one (second host: 0 compile), step by step"
	@echo "make bench-lab   lab timings (image build, boot, reboot)"
	@echo "make bench-report             fleet report generation for 1,000 synthetic hosts (seconds, peak memory)"
	@echo "make report-browser-test      the report page in headless chromium; screenshot in build/"
	@echo "make docs        the HTML docs site (build/docs/html/index.html)"
	@echo "make ee          the execution environment's build context (build/ee)"
	@echo "make mutation    mutation testing of module_utils (MUTATE=\"xencmdline grubcfg\"; not part of CI)"

## ---------------------------------------------------------------- set-up
.PHONY: deps venv venv313 venv-importer collection ansible-test-offline
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	  if [ -n "$$missing" ]; then echo "installing apt packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	else echo "not root: skipping apt packages ($(APT_PACKAGES)); the lab checks for them"; fi

venv: $(VENV)/.stamp
$(VENV)/.stamp: tests/requirements/lane-2.19.txt
	$(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -qq -r $<
	touch $@

venv313: $(VENV313)/.stamp
$(VENV313)/.stamp: tests/requirements/lane-2.21.txt
	@if [ -z "$(PY313)" ]; then echo "no python3.13 here: the 2.21 lane is skipped"; exit 0; fi; \
	$(PY313) -m venv $(VENV313) && $(VENV313)/bin/pip install -qq -r $< && touch $@

venv-importer: $(VENV_IMPORTER)/.stamp
$(VENV_IMPORTER)/.stamp: tests/requirements/importer.txt
	$(PY311) -m venv $(VENV_IMPORTER)
	$(VENV_IMPORTER)/bin/pip install -qq -r $<
	touch $@

# ansible-test insists on .../ansible_collections/<namespace>/<name>: keep a fresh copy there.
collection:
	@mkdir -p $(COLL_DIR)
	@rsync -a --delete --exclude=/.git --exclude='/.venv*' --exclude=/.cache --exclude=/.ansible --exclude=/build \
	  --exclude=/tests/output --exclude=/lab-state --exclude=/xenguard-report --exclude=__pycache__ --exclude='*.pyc' ./ $(COLL_DIR)/
	@# a repository of its own, so ansible-test lists these files and not the enclosing checkout's
	@test -d $(COLL_DIR)/.git || git -C $(COLL_DIR) init -q

# ansible-test downloads a pip bootstrap script from a host CI cannot reach; give it our offline one.
ansible-test-offline:
	@mkdir -p $$HOME/.ansible/test/cache
	@for v in 24_2 24_3 25_0 25_1 25_2 25_3; do cp tests/tools/get_pip_offline.py $$HOME/.ansible/test/cache/get_pip_$$v.py; done

## ---------------------------------------------------------------- stages
.PHONY: agreement badinput units units-2.19 units-2.21 sanity-2.19 sanity-2.21 lint build-check importer docs-check changelog-lint
units: venv collection
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) $(abspath $(VENV))/bin/python -m pytest tests/unit -q -p no:cacheprovider \
	  --cov=plugins --cov-report=term-missing:skip-covered --cov-fail-under=0 \
	  && $(abspath $(VENV))/bin/python -m coverage report --include='plugins/module_utils/*' --fail-under=90

units-2.19: venv collection ansible-test-offline
	cd $(COLL_DIR) && $(abspath $(VENV))/bin/ansible-test units --venv --python 3.11 --color no

units-2.21: venv313 collection ansible-test-offline
	@if [ ! -x $(VENV313)/bin/ansible-test ]; then echo "lane 2.21 skipped: no python3.13"; exit 0; fi; \
	cd $(COLL_DIR) && $(abspath $(VENV313))/bin/ansible-test units --venv --python 3.13 --color no

# Hostile and odd input to every module and role entry point (tests/badinput/cases.yml), with fake xl,
# xenstore-*, update-grub... on PATH. Rows marked fixed_by: <branch> are expected failures while that branch
# is listed in BADINPUT_PENDING; empty it (make badinput BADINPUT_PENDING=) once the branches are merged.
BADINPUT_PENDING ?=
agreement: venv collection
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) $(abspath $(VENV))/bin/python -m pytest tests/agreement -q -p no:cacheprovider

badinput: venv collection
	cd $(COLL_DIR) && BADINPUT_PENDING=$(BADINPUT_PENDING) PYTHONPATH=$(COLL_ROOT) $(abspath $(VENV))/bin/python -m pytest \
	  tests/badinput -q -p no:cacheprovider -rx

sanity-2.19: venv collection ansible-test-offline
	cd $(COLL_DIR) && test ! -e tests/sanity && $(abspath $(VENV))/bin/ansible-test sanity --venv --python 3.11 --color no

sanity-2.21: venv313 collection ansible-test-offline
	@if [ ! -x $(VENV313)/bin/ansible-test ]; then echo "lane 2.21 skipped: no python3.13"; exit 0; fi; \
	cd $(COLL_DIR) && test ! -e tests/sanity && $(abspath $(VENV313))/bin/ansible-test sanity --venv --python 3.13 --color no

# Lints against the collection copy in .cache/collections (ANSIBLE_COLLECTIONS_PATH) and keeps
# ansible-lint's own state in the checkout: nothing of the collection outside the clone is found or used.
lint: venv collection
	ANSIBLE_HOME=$(CURDIR)/.ansible PATH=$(abspath $(VENV))/bin:$$PATH ansible-lint --offline -q

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

# Mutation testing (not part of CI): mutmut mutates each file of MUTATE in a copy of the collection and runs
# the unit tests of MUTATION_TESTS against every mutant; the score per file is the share the tests notice.
# No bytecode: a mutant of the same size written in the same second would otherwise run a stale .pyc.
# mutmut 2 counts only exit status 1 as killed: pytest's 2 (a mutant that breaks the import) is mapped to 1,
# and a mutant that loops is stopped by timeout (mutmut's own timeout leaves the test process running).
MUTATION_TIMEOUT ?= 120
MUTATE ?= xencmdline grubcfg
# Each file by its own unit tests (test_<file>.py); the files without one by the tests that hold them:
# the control engine's parts (catalogue, checks, verdicts) by test_controls.py, the fact assembly by
# test_facts.py and test_controls.py. MUTATION_TESTS, when given, is used for every file of MUTATE.
MUTATION_TESTS ?=
MUTATION_DIR := $(CURDIR)/.cache/mutation
# One file at a time: the machine's cores are shared with the lab VMs (run it under nice -n 19).
.PHONY: mutation
mutation: venv collection
	@$(PY) -c 'import mutmut' 2>/dev/null || $(PY) -m pip install -qq -r tests/requirements/mutation.txt
	@for m in $(MUTATE); do \
	  test -f plugins/module_utils/$$m.py || { echo "no plugins/module_utils/$$m.py"; exit 1; }; \
	  tests="$(MUTATION_TESTS)"; d=tests/unit/plugins/module_utils; \
	  if [ -z "$$tests" ]; then case $$m in \
	    catalogue|verdicts) tests=$$d/test_controls.py;; \
	    checks) tests="$$d/test_controls.py $$(echo $$d/test_checks_details*.py)";; \
	    xencmdline) tests="$$d/test_xencmdline.py $$d/test_xencmdline_more.py";; \
	    report) tests="$$d/test_report.py $$d/test_report_render.py";; \
	    xlcfg) tests="$$d/test_xlcfg.py $$d/test_xlcfg_more.py";; \
	    facts) tests="$$d/test_facts.py $$d/test_controls.py";; \
	    guestdisk) tests="$$d/test_guestdisk_kernel.py $$d/test_guestdisk_plan.py $$d/test_guestdisk_disk.py \
	      $$d/test_guestdisk_menu.py tests/unit/plugins/modules/test_pvgrub_check.py";; \
	    *) tests=$$d/test_$$m.py;; esac; fi; \
	  for t in $$tests; do test -f $$t || { echo "no tests for $$m: $$t is missing (give MUTATION_TESTS)"; exit 1; }; done; \
	  root=$(MUTATION_DIR)/$$m; rm -rf $$root; mkdir -p $$root/ansible_collections/xenguard; \
	  cp -a $(COLL_DIR) $$root/ansible_collections/xenguard/hardening; \
	  find $$root -name __pycache__ -prune -exec rm -rf {} +; \
	  echo "mutating $$m.py against $$tests"; \
	  ( cd $$root/ansible_collections/xenguard/hardening && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$$root \
	    $(abspath $(VENV))/bin/mutmut run \
	      --paths-to-mutate plugins/module_utils/$$m.py --tests-dir tests/unit \
	      --runner "sh -c 'timeout $(MUTATION_TIMEOUT) $(abspath $(PY)) -m pytest -x -q -p no:cacheprovider $$tests >/dev/null 2>&1 || exit 1'" \
	      >$$root/mutmut.log 2>&1 ) || true; \
	done
	@echo "mutation score per file (logs and surviving mutants: .cache/mutation/<file>/, mutmut results/show there)"
	@for m in $(MUTATE); do \
	  $(PY) tests/tools/mutation_score.py $$m.py $(MUTATION_DIR)/$$m/ansible_collections/xenguard/hardening/.mutmut-cache; \
	done

# Generated docs are current: the control catalogue pages, the role README variable tables (from
# meta/argument_specs.yml) and the module pages' option and return tables (from DOCUMENTATION / RETURN).
docs-check: venv
	$(PY) tests/tools/gen_controls_doc.py --check
	$(PY) tests/tools/gen_docs.py --check

# What a user does: build the tarball, install it, read every module's and role's docs from it.
build-check: venv
	rm -rf build/install build/xenguard-hardening-*.tar.gz && mkdir -p build/install
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build .
	$(VENV)/bin/ansible-galaxy collection install --force -p build/install $(TARBALL)
	@for m in $(MODULES); do \
	  ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install $(VENV)/bin/ansible-doc xenguard.hardening.$$m >/dev/null \
	    || { echo "ansible-doc failed for module $$m"; exit 1; }; echo "ansible-doc xenguard.hardening.$$m: ok"; done
	@for r in $(ROLES); do \
	  ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install $(VENV)/bin/ansible-doc -t role xenguard.hardening.$$r >/dev/null \
	    || { echo "ansible-doc failed for role $$r"; exit 1; }; echo "ansible-doc -t role xenguard.hardening.$$r: ok"; done

# The importer runs flake8 on every file under plugins/, also the YAML documentation files Ansible reads for
# filter plugins (plugins/filter/<name>.yml): its "E999 SyntaxError" lines on those are not findings.
IMPORTER_KNOWN := ^WARNING: plugins/filter/[a-z0-9_]+\.yml:[0-9]+:[0-9]+: E999 SyntaxError
# galaxy-importer on the tarball build-check made (built here when missing); its lint findings fail the stage.
importer: venv venv-importer
	@test -f $(TARBALL) || $(MAKE) --no-print-directory build-check
	cd build && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/tools/galaxy-importer.cfg PATH=$(abspath $(VENV_IMPORTER))/bin:$$PATH \
	  $(abspath $(VENV_IMPORTER))/bin/python -m galaxy_importer.main $(notdir $(TARBALL)) > importer.log 2>&1; rc=$$?; \
	  cd $(CURDIR); \
	  grep -vE "$(IMPORTER_KNOWN)" build/importer.log | grep -E '^(WARNING|ERROR)|Traceback'; tail -n 1 build/importer.log; \
	  if [ $$rc -ne 0 ] || grep -vE "$(IMPORTER_KNOWN)" build/importer.log | grep -qE '^ERROR|^WARNING|Traceback'; then \
	    echo "galaxy-importer found problems (full log: build/importer.log)"; exit 1; fi

## ---------------------------------------------------------------- docs site and execution environment
.PHONY: docs venv-docs ee venv-builder
venv-docs: $(VENV_DOCS)/.stamp
$(VENV_DOCS)/.stamp: tests/requirements/docs.txt
	$(PY311) -m venv $(VENV_DOCS)
	$(VENV_DOCS)/bin/pip install -qq -r $<
	touch $@

# The HTML docs site (build/docs/html/index.html) of the collection as a user installs it (the tarball):
# antsibull-docs writes the pages of every module and role (a role's variables from its argument spec) and
# the extra docs (docs/docsite: the controls page), Sphinx builds them offline; a warning fails the build.
DOCS := build/docs
docs: venv venv-docs
	rm -rf $(DOCS) && mkdir -p $(DOCS)/install $(DOCS)/rst
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(DOCS) . >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(DOCS)/install $(VENV)/bin/ansible-galaxy collection install --force -p $(DOCS)/install $(DOCS)/xenguard-hardening-$(VERSION).tar.gz >/dev/null
	chmod og-w $(DOCS)/rst
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(DOCS)/install PATH=$(abspath $(VENV_DOCS))/bin:$$PATH antsibull-docs lint-collection-docs \
	  --plugin-docs --skip-rstcheck $(DOCS)/install/ansible_collections/xenguard/hardening
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(DOCS)/install PATH=$(abspath $(VENV_DOCS))/bin:$$PATH antsibull-docs collection --use-current \
	  --squash-hierarchy --dest-dir $(DOCS)/rst xenguard.hardening
	$(VENV_DOCS)/bin/sphinx-build -q -b html -c tests/tools/docsite -W --keep-going -j 2 $(DOCS)/rst $(DOCS)/html
	@echo "docs site: $(DOCS)/html/index.html"

venv-builder: $(VENV_BUILDER)/.stamp
$(VENV_BUILDER)/.stamp: tests/requirements/builder.txt
	$(PY311) -m venv $(VENV_BUILDER)
	$(VENV_BUILDER)/bin/pip install -qq -r $<
	touch $@

# The execution environment's build context (build/ee: Containerfile and what it copies) from
# execution-environment.yml and the collection tarball; no image is built (podman/docker build does that).
ee: venv venv-builder
	rm -rf build/ee build/xenguard-hardening-*.tar.gz && mkdir -p build
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build . >/dev/null
	$(VENV_BUILDER)/bin/ansible-builder create -f execution-environment.yml --context build/ee --output-filename Containerfile
	@test "$$(ls build/ee/_build/collections/)" = "$(notdir $(TARBALL))" \
	  || { echo "build/ee lacks the collection tarball $(notdir $(TARBALL))"; exit 1; }
	@grep -q 'xenguard-hardening.tar.gz' build/ee/_build/requirements.yml && grep -q '^FROM .* AS galaxy' build/ee/Containerfile \
	  || { echo "build/ee/Containerfile does not install the collection"; exit 1; }
	@echo "execution environment build context: build/ee (podman build -f build/ee/Containerfile -t xenguard-ee build/ee)"

## ---------------------------------------------------------------- the fleet report
.PHONY: bench-report report-browser-test
# Report generation for 1,000 synthetic hosts: seconds and peak memory (goal <= 5 s, <= 300 MB).
bench-report: venv collection
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) $(abspath $(VENV))/bin/python tests/tools/bench_report.py --hosts 1000

# The report page in Debian's headless chromium (installed here when missing and run as root): matrix,
# filters, sorting; keeps the page and a screenshot under build/ (build/report-screenshot.png).
REPORT_BROWSER_APT := chromium
report-browser-test: venv collection
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing apt packages: $(REPORT_BROWSER_APT)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(REPORT_BROWSER_APT) >/dev/null; \
	  else echo "chromium is missing: install it (apt-get install $(REPORT_BROWSER_APT)) or run this as root"; exit 1; fi; fi
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) timeout 300 $(abspath $(VENV))/bin/python tests/tools/report_browser_test.py \
	  --out $(CURDIR)/build/report-browser --screenshot $(CURDIR)/build/report-screenshot.png

## ---------------------------------------------------------------- pipelines
.PHONY: static test
static: lint changelog-lint docs-check build-check importer sanity-2.19 sanity-2.21
static: docs ee

test: deps venv
	tests/tools/pipeline

## ---------------------------------------------------------------- the lab (Molecule)
# Scenarios CI runs, as scenario@distribution (the lab boots Debian 12 "bookworm" or 13 "trixie").
# Entries joined by + run side by side, one lab VM each (at most two in all: the machine has room for two);
# entries joined by , run one after the other in the same lane.
# smoke boots two hosts, so it runs alone: beside another scenario its second host waits for that one's VM.
LAB_SCENARIOS ?= smoke@bookworm smoke@trixie fleet@bookworm+fleet@trixie \
  driver_domain@bookworm+iommu_negative@bookworm,fallback@bookworm
.PHONY: lab-scenarios molecule-scenario molecule-run
lab-scenarios:
	@echo $(LAB_SCENARIOS)

# One scenario on one distribution. Molecule destroys its lab hosts after a failed stage too
# (--destroy=always); `xenlab down --all` afterwards makes sure nothing of the lab is left running.
molecule-scenario: venv collection
	@$(MAKE) --no-print-directory molecule-run SCENARIO=$(SCENARIO)

# Every playbook run of the scenario records its task times (the xg_bench callback); the seconds per role
# are printed at the end, also after a failure. The lab state (lab-state/<dist>/) and Molecule's ephemeral
# directory (build/molecule/<scenario>@<dist>) are per distribution, so that one scenario can run on both
# side by side from one checkout.
molecule-run:
	@name=$(word 1,$(subst @, ,$(SCENARIO))); dist=$(word 2,$(subst @, ,$(SCENARIO))); rc=0; \
	bench=$(CURDIR)/build/bench/$(SCENARIO)/; rm -rf $$bench; \
	evidence=$(CURDIR)/build/evidence/$(SCENARIO); rm -rf $$evidence; \
	state=$${XENLAB_STATE:-$(CURDIR)/lab-state}/$$dist; \
	XENLAB_DIST=$$dist XENLAB_STATE=$$state MOLECULE_EPHEMERAL_DIRECTORY=$(CURDIR)/build/molecule/$(SCENARIO) \
	  PATH=$(abspath $(VENV))/bin:$$PATH XG_BENCH_JSON=$$bench XG_EVIDENCE_DIR=$$evidence \
	  ANSIBLE_CALLBACK_PLUGINS=$(CURDIR)/tests/lab/callback_plugins ANSIBLE_CALLBACKS_ENABLED=xg_bench \
	  $(VENV)/bin/molecule -c .config/molecule/config.yml test -s $$name --destroy=always || rc=1; \
	python3 tests/lab/xenlab.py down --all --keep-logs --state-dir $$state/molecule-$$name >/dev/null || rc=1; \
	python3 tests/lab/role_seconds.py $$bench; \
	for f in $$evidence/*.txt; do [ -f "$$f" ] && { echo "--- what the lab host showed: $${f#$(CURDIR)/}"; cat "$$f"; }; done; \
	exit $$rc

include tests/lab/lab.mk

## ---------------------------------------------------------------- the main job
.PHONY: demo
demo: deps venv collection
	tests/lab/demo.sh
