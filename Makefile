# Two commands on a fresh machine:  make run  (install + the quickstart sweep)  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STORAGE ?= results

.PHONY: install install-test system-deps run test check smoke constraints clean

# uv installs the pinned wheels (compiled, as pip does) in 65 s where pip took 119 s, on a fresh clone here.
UV_VERSION := 0.13.9
INSTALL := $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -c constraints.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: $(BIN)/python
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)

$(VENV)/.installed: $(BIN)/uv pyproject.toml constraints.txt
	$(INSTALL) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(INSTALL) -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The main job: a real sweep of the seed CNN on the bundled MNIST subset.
run: install
	$(BIN)/cnn-tune run quickstart --storage $(STORAGE) --name quickstart-$$(date +%Y%m%d-%H%M%S)

smoke: install
	$(BIN)/cnn-tune run quickstart --smoke --storage $(STORAGE) --name quickstart-smoke-$$(date +%Y%m%d-%H%M%S)

# Chromium, chromedriver, sshd and rsync: installed here when root, else one line saying how.
system-deps:
	bash scripts/system-deps.sh

# The whole suite, then the cluster-launcher test on its own (its `ray down` stops every Ray process of its uid).
test: install-test system-deps
	$(BIN)/python -m pytest -n 2
	$(BIN)/python -m pytest -m launcher

# The fast tier: unit and contract tests, no sweep through Ray, no Debian packages (under 2 minutes).
check: install-test
	$(BIN)/python -m pytest -m "not slow"

constraints: install-test
	{ sed -n '1,3p' constraints.txt; $(BIN)/uv pip freeze --python $(BIN)/python --exclude-editable | grep -v '^cnn-tune'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
