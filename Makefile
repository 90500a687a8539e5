# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The embedded default: SQLite file, local-folder mailboxes under run/, the demo partners,
# and demo messages dropped into their inboxes so something flows at once.
run: $(STAMP)
	test -f config.yaml || cp config.example.yaml config.yaml
	$(BIN)/acorn db upgrade
	$(BIN)/acorn partners check
	$(BIN)/acorn demo
	$(BIN)/acorn run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy gateway
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]' || true
	$(BIN)/python bench/parse.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
