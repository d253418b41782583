# posecheck: `make run` starts the app, `make test` runs every test; both set up what they need.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test setup system lint typecheck unit e2e model benchmark screenshots clean

run: setup
	$(VENV)/bin/streamlit run app.py --server.port=$(PORT)

test: setup system lint typecheck unit e2e

setup: $(STAMP)

# Reinstall when the dependency list changes; the stamp records the last good install.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

# System packages the tests need (ffmpeg for test clips, Chromium for the browser tests).
system:
	@bash scripts/system-deps.sh

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest -m "not e2e"

# The browser tests: a real Streamlit server and headless Chromium with a fake camera playing
# a real clip, inside a private network namespace (scripts/in-netns.sh).
e2e: setup system
	scripts/in-netns.sh $(PY) -m pytest -m e2e tests/e2e

# Rebuild models/pose_landmarker_full.task from the mediapipe 0.10.21 wheel in a throwaway
# environment and check it is byte-for-byte the committed file (see models/README.md).
model:
	@bash scripts/build-model.sh

benchmark: setup
	$(PY) -m benchmarks.landmarker
	$(PY) -m benchmarks.engine

screenshots: setup system
	scripts/in-netns.sh $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
