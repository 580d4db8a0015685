# netops: `make demo` runs the main job on the lab; `make test` runs the whole suite.
# Both create .venv and install what is missing (Python packages, Debian packages).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.netops-installed
# Debian packages: tools the code calls and the real peers the tests start.
DEBS   := python3-venv git graphviz iproute2 procps kannel kannel-extras \
          freeradius freeradius-utils snmpd snmp prometheus prometheus-snmp-exporter \
          prometheus-alertmanager tzdata sqlite3 \
          frr openssh-server postgresql chromium chromium-driver fonts-dejavu-core \
          nginx nftables keepalived curl openssl
# Only the benchmarks need these: FreeRADIUS's PostgreSQL driver (tests/bench/sqlradius.py).
BENCH_DEBS := freeradius-postgresql

.PHONY: all deps debs venv lint test unit integration demo bench soak clean

all: test

debs:
	@scripts/ensure-debs.sh $(DEBS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@# FakeNOS (a lab SSH target) pins paramiko<=4.0 and runs fine on paramiko 5, which
	@# netops requires: install it without its pins, and its one other dependency.
	@$(BIN)/python -m pip install -q --no-deps 'fakenos>=1.2.1,<2' 'detect>=2020.12.3'
	@touch $(STAMP)

venv: $(STAMP)

deps: debs venv

lint: deps
	$(BIN)/ruff check netops tests
	$(BIN)/ruff format --check netops tests
	$(BIN)/mypy --strict netops

test: lint
	$(BIN)/pytest -q

unit: deps
	$(BIN)/pytest -q tests/unit

demo: deps
	@scripts/demo.sh

bench: deps
	@scripts/ensure-debs.sh $(BENCH_DEBS)
	$(BIN)/pytest -q -s tests/bench -p no:cacheprovider

# A day of the city in ten minutes against `netops up`, on SQLite then PostgreSQL (not in
# `make test`; a 30 s smoke of it is). Figures: docs/reliability.md.
# Ten whole busy days (20,000 sessions each) in ten minutes: 333 sessions/s.
SOAK_SECONDS ?= 600
SOAK_RATE ?= 333
SOAK_STREAMS ?= 224
SOAK_ARGS = --seconds $(SOAK_SECONDS) --sessions-per-s $(SOAK_RATE) --streams $(SOAK_STREAMS)
soak: deps
	@mkdir -p test-artifacts
	$(BIN)/python tests/soak/soak.py --db sqlite $(SOAK_ARGS) --json test-artifacts/soak-sqlite.json
	$(BIN)/python tests/soak/soak.py --db postgresql $(SOAK_ARGS) --json test-artifacts/soak-postgresql.json

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache test-artifacts
