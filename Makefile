# Two commands: `make lab` (JupyterLab, offline by default) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
export PYTEST_DISABLE_PLUGIN_AUTOLOAD := 1
# Progress bars are for people; in tests and stored outputs they would only add noise.
TEST_ENV := WORKSHOP_MODE=offline TQDM_DISABLE=1 WORKSHOP_LOG_DIR=$(CURDIR)/build/test-logs \
	IPYTHONDIR=$(CURDIR)/build/ipython
# Test kernels: see tests/ipython_kernel_config.py.
KERNEL_CONFIG := build/ipython/profile_default/ipython_kernel_config.py
NOTEBOOKS := $(sort $(wildcard [0-9][0-9]_*/[0-9][0-9]_*.ipynb))

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600

.PHONY: install lab test unit notebooks preflight lint clean

$(KERNEL_CONFIG): tests/ipython_kernel_config.py
	mkdir -p $(dir $@) && cp $< $@

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --user --name bedrock-workshop --display-name "Bedrock workshop" \
		--env PYTHONPATH $(CURDIR) > /dev/null
	$(PY) -m utils.doctor
	touch $(STAMP)

install: $(STAMP)

lab: install  ## JupyterLab on the embedded offline engine (WORKSHOP_MODE=live to use AWS)
	WORKSHOP_MODE=$${WORKSHOP_MODE:-offline} $(VENV)/bin/jupyter lab --notebook-dir=$(CURDIR) \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

test: install $(KERNEL_CONFIG)  ## unit tests + every notebook executed by nbval, offline
	$(TEST_ENV) $(PY) -m pytest -p nbval -q tests $(NOTEBOOKS) $(NBVAL)

unit: install
	$(TEST_ENV) $(PY) -m pytest -q tests

notebooks: install $(KERNEL_CONFIG)
	$(TEST_ENV) $(PY) -m pytest -p nbval -q $(NOTEBOOKS) $(NBVAL)

preflight: install  ## execute every notebook in WORKSHOP_MODE (default offline); print a table
	$(PY) -m utils.preflight $(NB)

lint: install
	$(VENV)/bin/ruff check utils local_bedrock tests benchmarks

clean:
	rm -rf build .workshop
