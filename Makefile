# Two entry points (see README): `make report` and `make test`.
# Both create or reuse the virtual environment at .venv from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export UV_COMPILE_BYTECODE := 1

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

.PHONY: setup report test lint chromium hooks clean

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv sync --frozen --inexact --active --python $(BIN)/python -q
	touch $@

report: setup
	$(BIN)/toolkit report

lint: setup
	$(BIN)/ruff check toolkit tests benchmarks
	$(BIN)/ruff format --check toolkit tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: setup lint chromium
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# Strip notebook outputs on every `git add` (a git filter; tests also check notebooks are stripped).
hooks: setup
	$(BIN)/nbstripout --install --attributes .gitattributes

clean:
	rm -rf $(VENV) reports/*.html reports/failed
