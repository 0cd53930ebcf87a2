# Two commands for a fresh machine, each sets up whatever is missing:
#   make lab    open the course in JupyterLab at its start page
#   make test   run the whole test suite (what .ci/run calls)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8888
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, CI) unless told it is deliberate.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
NB ?= course labs graded/source
# Three xdist workers on two cores: the third runs only the test files that mostly wait
# (conftest.py, pytest_xdist_make_scheduler), beside two that run the CPU-bound rest.
JOBS ?= 3

.PHONY: lab test test-fast setup system-deps notebooks lint bench doctor js labext clean hub hub-deps hub-grade

# jupyter-setup: JupyterLab saves widget state and shows no news; the course's notebooks are trusted,
# so their graphs draw from saved state (sidebyside/jupyter_env.py).
lab: $(STAMP)
	$(BIN)/sidebyside jupyter-setup
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=$(CURDIR) \
	  --LabApp.default_url=/lab/tree/course/00_start_here.ipynb \
	  --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  $(ROOT_FLAG) $(LAB_ARGS)

# The tests that time a real browser drawing graphs run after the rest, one at a time: next to the
# grading battery's fork bombs and the class hub, on 2 cores, a page can starve past its timeouts.
BROWSER_TESTS := tests/test_browser.py tests/test_notebook_lifecycle.py tests/test_presenting.py

test: $(STAMP) system-deps hub-deps
	$(BIN)/pytest -n $(JOBS) --dist loadscope --no-loadscope-reorder --nbval --nbval-sanitize-with sanitize.cfg \
	  $(addprefix --ignore=,$(BROWSER_TESTS)) tests course labs graded/source
	$(BIN)/pytest $(BROWSER_TESTS)

# The author's inner loop: nbval on the notebooks you changed, the static notebook checks, and the
# test files that import the package modules you changed (tests/fast.py; CONTRIBUTING.md).
# `make test-fast P="course/03_x.ipynb widgets/sidebyside/show.py"` names the paths instead of git.
test-fast: $(STAMP)
	$(BIN)/python tests/fast.py $(P)

setup: $(STAMP)

# The virtual environment, rebuilt when the pins change (or the lab extension's build, which
# jupyter-setup installs). torch==2.13.0 resolves to the CPU wheel.
$(STAMP): pyproject.toml widgets/sidebyside/labextension/package.json
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,hub]'
# jupyter-setup: widget state saved (and kept when a reopened notebook is saved: the lab extension
# sidebyside-lab, which an editable install does not put in place), no news pop-up, graph pictures
# in HTML export, and nbgrader's toolbar "Validate" button (it says "Success!" on lessons that grade
# nothing) off.
	$(BIN)/sidebyside jupyter-setup --no-trust
	touch $(STAMP)

# Tests need a real browser (Debian's chromium), bubblewrap for the grading sandbox, and npm for the
# classroom hub's proxy (make hub-deps).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# A JupyterHub for a class on this machine (as root: one Unix user per student). See hub/README.md.
hub: $(STAMP) hub-deps
	@[ "$$(id -u)" = 0 ] || { echo "make hub: run as root (it creates a Unix user per student)"; exit 1; }
	cd hub && ../$(BIN)/jupyterhub -f jupyterhub_config.py

# JupyterHub's proxy (configurable-http-proxy), pinned by hub/package-lock.json, installed in hub/.
hub-deps: hub/node_modules/.package-lock.json
hub/node_modules/.package-lock.json: hub/package-lock.json
	cd hub && npm ci --no-audit --no-fund --loglevel=error

# Grade what the hub's instructor collected, in the sandbox: make hub-grade A=ps01_tensors
hub-grade: $(STAMP)
	hub/grade.sh $(A)

notebooks: $(STAMP)
	$(BIN)/sidebyside regenerate $(NB)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/notebook_times.py

# Rebuild the graph widget's bundle (committed in widgets/sidebyside/static/) from widgets/js/src.
js:
	cd widgets/js && npm ci --no-audit --no-fund && npm run build

# Rebuild the lab extension sidebyside-lab (committed in widgets/sidebyside/labextension/, with a
# hash of its sources that tests/test_labext.py checks) from widgets/labext, and install it here.
labext: $(STAMP)
	cd widgets/labext && npm ci --no-audit --no-fund && PYTHON=$(CURDIR)/$(BIN)/python npm run build
	$(BIN)/sidebyside jupyter-setup --no-trust

doctor: $(STAMP)
	$(BIN)/sidebyside doctor

clean:
	rm -rf $(VENV)
