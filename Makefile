# Every target creates .venv on first use and installs the project into it.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# torch 2.13.0 CPU is installed first so that no CUDA build is pulled in by the range in pyproject.
TORCH   ?= torch==2.13.0

.PHONY: venv demo test test-fast lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,postgres,embed,server,parametric,llm]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m memos.demo

# One worker process per core (pytest-xdist), a test file to a worker; `make test-fast`
# leaves out the tests marked `slow` (adapter training, the demo, chat subprocesses, ...).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/memos bench retrieval --n 100000
	$(BIN)/memos bench kernels

clean:
	rm -rf $(VENV) build *.egg-info
