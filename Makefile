# The local stack and the tests, each in the project's own virtualenv (.venv).
#   make run    the whole stack on this machine (STACK_ARGS="--no-seed --api-port 8001" to vary it)
#   make test   every test under tests/ (PYTEST_ARGS="-m 'not e2e' -x" to narrow it)
#   make venv   just the virtualenv; reinstalls only when a requirements file changed
#   make clean  remove .venv and .local-stack

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
PYTEST_ARGS ?=
STACK_ARGS ?=

.PHONY: run test venv clean

venv: $(STAMP)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

run: venv
	$(VENV_PYTHON) -m local.stack $(STACK_ARGS)

test: venv
	$(VENV_PYTHON) -m pytest tests $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .local-stack
