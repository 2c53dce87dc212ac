# Two commands on a fresh clone:  `make run` (the bot, SQLite)  and  `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

.PHONY: install run test bench lint zh-hant
install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/ruff check bot scheduler tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/nearby.py

# Regenerate every Traditional Chinese catalogue from the Simplified ones (after any zh_Hans edit).
zh-hant: $(STAMP)
	$(BIN)/pip install --quiet "opencc==1.4.2"
	$(BIN)/python scripts/make_zh_hant.py
