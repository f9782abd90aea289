# RoomLoop: `make run` starts the demo, `make test` runs every test. Both set themselves up.
PYTHON := $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app roomloop

.PHONY: run test lint bench clean chromium

run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	ROOMLOOP_DEV_LOGIN=1 $(FLASK) run --host 127.0.0.1 --port 5000

# One pytest worker per core (pytest-xdist); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS := auto
test: $(VENV)/.dev chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The browser tests drive Debian's Chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

# The booking benchmark, quick size: `make bench BENCH=` for the full 1,000,000 reservations.
BENCH := --quick
bench: $(VENV)/.dev
	$(BIN)/python -m bench $(BENCH)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
