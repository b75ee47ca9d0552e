# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev migrate demo lint bench clean translations scanner-dist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed $(wildcard scanner_client/*.py scanner_client/pyproject.toml)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --force-reinstall ./scanner_client
	rm -rf scanner_client/build scanner_client/*.egg-info
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade heads
	$(FLASK) trace seed

demo: migrate
	$(FLASK) trace demo

# Printed codes follow the address served on (TRACE_PUBLIC_URL wins; HOST=0.0.0.0: the LAN address).
run: export TRACE_HOST = $(HOST)
run: export TRACE_PORT = $(PORT)
run: demo
	@echo "Data lives in $${TRACE_DATABASE_URL:-$${TRACE_INSTANCE_PATH:-instance}/suyuan.sqlite3 (SQLite)}; serving on http://$(HOST):$(PORT)"
	@$(FLASK) trace pages
	$(FLASK) run --host $(HOST) --port $(PORT)

# One pytest worker per core (pytest-xdist): the suite takes about half the time on 2 cores.
TEST_WORKERS ?= auto

test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: install-dev
	$(BIN)/ruff check $(wildcard trace scanner_client tests bench)
	$(BIN)/mypy $(wildcard trace scanner_client)

clean:
	rm -rf $(VENV) .pytest_cache dist scanner_client/build scanner_client/*.egg-info

# The scanner client as a wheel for warehouse PCs (docs/scanner.md): dist/suyuan_scanner-*.whl
scanner-dist: $(BIN)/python
	$(BIN)/pip wheel --no-deps --wheel-dir dist ./scanner_client
	rm -rf scanner_client/build scanner_client/*.egg-info

# Every page, error and label string (docs/stages.md, docs/lookup.md): extract, merge into the zh_CN and en catalogs, compile.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project=suyuan -o trace/translations/messages.pot.new .
	@# keep the template (and so the catalogs) as they are when only the extraction time differs
	@cd trace/translations && grep -v '^"POT-Creation-Date:' messages.pot.new > .new.cmp && \
		{ grep -v '^"POT-Creation-Date:' messages.pot > .old.cmp 2>/dev/null || true; } && \
		if cmp -s .new.cmp .old.cmp; then rm messages.pot.new; else mv messages.pot.new messages.pot; fi; \
		rm -f .new.cmp .old.cmp
	$(BIN)/pybabel update -i trace/translations/messages.pot -d trace/translations --no-fuzzy-matching --width=120 \
		--ignore-pot-creation-date
	$(BIN)/pybabel compile -d trace/translations --statistics
