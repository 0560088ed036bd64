# Two commands: `make lab` (JupyterLab, offline by default) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Installs are locked: requirements.lock (exact versions and hashes, every platform, Python 3.10+) is
# generated from requirements.txt's ranges by `make lock`. `make drift` tries the newest allowed.
LOCK := requirements.lock
PIP_VERSION := 26.3
UV_VERSION := 0.13.8
INSTALL_FROM ?= lock
export PYTHONPATH := $(CURDIR)
export PYTEST_DISABLE_PLUGIN_AUTOLOAD := 1
# Progress bars are for people; in tests and stored outputs they would only add noise.
TEST_ENV := WORKSHOP_MODE=offline TQDM_DISABLE=1 WORKSHOP_LOG_DIR=$(CURDIR)/build/test-logs \
	IPYTHONDIR=$(CURDIR)/build/ipython
# Test kernels: see tests/ipython_kernel_config.py.
KERNEL_CONFIG := build/ipython/profile_default/ipython_kernel_config.py
NOTEBOOKS := $(sort $(wildcard [0-9][0-9]_*/[0-9][0-9]_*.ipynb))

NBVAL := -p scripts.pytest_times --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600

.PHONY: install lab test unit notebooks preflight lint clean lock drift

$(KERNEL_CONFIG): tests/ipython_kernel_config.py
	mkdir -p $(dir $@) && cp $< $@

$(STAMP): requirements.txt $(LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
ifeq ($(INSTALL_FROM),lock)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
else
	$(PY) -m pip install --quiet --upgrade --upgrade-strategy eager -r requirements.txt
endif
# the repo on the venv's path (what `pip install -e .` does, without a build and its warnings)
	$(PY) -c "import site, sys; open(site.getsitepackages()[0] + '/bedrock_workshop.pth', 'w').write(sys.argv[1] + '\n')" $(CURDIR)
# this clone's kernel, in its own venv and named for its path (scripts/kernel.py)
	$(PY) -m scripts.kernel > /dev/null
	$(PY) -m utils.doctor
	touch $(STAMP)

install: $(STAMP)

lab: install  ## JupyterLab on the embedded offline engine (WORKSHOP_MODE=live to use AWS)
# re-registers this clone's kernel if it points elsewhere; opens 00_prerequisites/01 (scripts/lab.py)
	$(PY) -m scripts.lab $(LAB_ARGS)

test: install $(KERNEL_CONFIG)  ## unit tests + every notebook executed by nbval, offline
	$(TEST_ENV) $(PY) -m pytest -p nbval -q tests $(NOTEBOOKS) $(NBVAL)

unit: install
	$(TEST_ENV) $(PY) -m pytest -p scripts.pytest_times -q tests

notebooks: install $(KERNEL_CONFIG)
	$(TEST_ENV) $(PY) -m pytest -p nbval -q $(NOTEBOOKS) $(NBVAL)

preflight: install  ## execute every notebook in WORKSHOP_MODE (default offline); print a table
	$(PY) -m utils.preflight $(NB)

lint: install
	$(VENV)/bin/ruff check utils local_bedrock tests benchmarks examples scripts [0-9][0-9]_*

lock:  ## regenerate requirements.lock from requirements.txt's ranges (newest versions allowed)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile --quiet --universal --python-version 3.10 --generate-hashes \
		--custom-compile-command "make lock" requirements.txt -o $(LOCK)

drift:  ## the whole suite on the newest versions requirements.txt allows, in .venv-drift
	$(MAKE) test VENV=.venv-drift INSTALL_FROM=ranges

clean:
	rm -rf build .workshop
