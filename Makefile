# Two commands set everything up on a fresh machine with Python 3.11 and make:
#   make demo   -- venv, install, answer the headline question from the bundled sample
#   make test   -- venv, install with test extras, run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= what did Kolokoltsev say about Interpol

.PHONY: install demo test run bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/articlebot ask "$(QUESTION)"

test: install
	$(BIN)/python -m pytest

run: install
	$(BIN)/articlebot run

bench: install
	$(BIN)/python benchmarks/squad.py
	$(BIN)/python benchmarks/news.py

clean:
	rm -rf $(VENV) articlebot.db articlebot.db-wal articlebot.db-shm *.egg-info
