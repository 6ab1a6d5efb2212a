# The xenguard.hardening lab (docs/lab.md). Included from the top Makefile; uses its `venv` and `collection`.
#   make lab-image                          build (or find in the cache) the bookworm and trixie images
#   make lab-up [LAB_DIST=trixie] [LAB_VARIANT=nohvm] [LAB_NAME=lab] [LAB_ARGS='--tpm --ssh-port 2222']
#   make lab-ssh [LAB_NAME=lab] [CMD='xl info']
#   make lab-down [LAB_NAME=lab]
#   make smoke                              molecule test -s smoke on bookworm, then on trixie
#   make bench                              fleet timings on one lab host (tests/lab/bench_fleet.py; not part of make test)
#   make bench-lab                          image build cold/cached, boot and restore to ssh, warm and power-cycle reboots
PY ?= .venv/bin/python
VENV ?= .venv
XENLAB ?= python3 tests/lab/xenlab.py
LAB_DISTS ?= bookworm trixie
LAB_DIST ?= bookworm
LAB_VARIANT ?= vtd-intremap
LAB_NAME ?= lab
LAB_ARGS ?=
CMD ?=
SMOKE_DISTS ?= $(LAB_DISTS)
BENCH_ARGS ?=
BENCH_FLEET_ARGS ?=

.PHONY: lab-image lab-up lab-down lab-ssh lab-status lab-console smoke bench bench-lab bench-flask

lab-image:
	@for d in $(LAB_DISTS); do $(XENLAB) build --dist $$d || exit 1; done

lab-up:
	$(XENLAB) up --dist $(LAB_DIST) --variant $(LAB_VARIANT) --name $(LAB_NAME) $(LAB_ARGS)

lab-down:
	$(XENLAB) down --name $(LAB_NAME)

lab-ssh:
	$(XENLAB) ssh $(LAB_NAME) $(if $(CMD),-- $(CMD))

lab-status:
	$(XENLAB) status

lab-console:
	$(XENLAB) console $(LAB_NAME) -n 60

# Each distribution in turn, through the top Makefile's molecule-run (which always tears the hosts down).
smoke: venv collection lab-image
	@rc=0; for d in $(SMOKE_DISTS); do \
	  start=$$(date +%s); echo "=== smoke on $$d"; \
	  $(MAKE) --no-print-directory molecule-run SCENARIO=smoke@$$d || rc=1; \
	  echo "=== smoke on $$d: $$(( $$(date +%s) - start )) s"; \
	done; exit $$rc

bench-lab:
	$(PY) tests/lab/bench.py $(BENCH_ARGS)

# One lab host (its own state directory, lab-state/bench), stopped at the end: audit.yml's module calls per
# host and its time against `ansible -m ping` (one host, then 50 inventory aliases of it), site.yml's re-run
# on the hardened host against audit.yml with a per-task profile, and report generation for 1,000 hosts.
# Figures only, no assertions on time (docs/lab.md, Benchmarks). BENCH_FLEET_ARGS='--runs 5 --json FILE'.
bench: venv collection
	$(PY) tests/lab/bench_fleet.py $(BENCH_FLEET_ARGS)
	$(MAKE) --no-print-directory bench-flask

# The FLASK build (xen_flask_build on the controller): a cold key (the chroot kept; BENCH_FLASK_ARGS=--fresh
# builds it too) and the same key for a second host (nothing compiled), with each step's seconds.
bench-flask: venv collection
	cd $(COLL_DIR) && $(abspath $(PY)) tests/lab/bench_flask.py $(BENCH_FLASK_ARGS)
