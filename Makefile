# The project's commands. `make run` starts the whole system; `make test` installs what is missing
# and runs every test against this machine's PostgreSQL, Redis and RabbitMQ.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
# The workspace members (pyproject.toml's [tool.uv.workspace]): each library and service its own package.
MEMBERS := $(patsubst %/pyproject.toml,%,$(wildcard libs/*/pyproject.toml services/*/pyproject.toml))
MEMBER_PROJECTS := $(addsuffix /pyproject.toml,$(MEMBERS))
INSTALL_KEY := $(shell cat requirements.lock pyproject.toml $(MEMBER_PROJECTS) | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(INSTALL_KEY)

.PHONY: install bytecode system-packages run test lint protos protos-check runtime-locks runtime-locks-check runtime-envs bench chaos dlq-replay migrate images k8s-render clean

# The development environment: every pinned package of requirements.lock (runtime and test tools),
# then every member editable without dependencies (the lock already holds them, at its versions).
$(STAMP): requirements.lock pyproject.toml $(MEMBER_PROJECTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	@$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -r requirements.lock
	@# The single distribution of all packages that came before the members (a venv made before them).
	@$(VENV)/bin/uv pip uninstall -q --python $(PY) tqr 2>/dev/null || true; rm -rf tqr.egg-info
	@$(VENV)/bin/uv pip install -q --python $(PY) --no-deps $(addprefix -e ,$(MEMBERS))
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) bytecode system-packages

# This machine sets PYTHONDONTWRITEBYTECODE, so without compiled files every process start (each
# service, each restart in the fault tests) compiled every module again: ≈ 2 s of CPU each. The
# packages are compiled when installed (--compile-bytecode), the project's own code here; an
# up-to-date file is skipped, so this costs a fraction of a second.
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j 0 libs services tools tests > /dev/null

# Fonts for the PDF form, poppler for checking it, Chromium and Firefox ESR for browser tests (Debian packages).
system-packages:
	@tools/ensure-system-packages.sh

run: install
	@$(PY) -m tools.devrun

# Every test; those marked `beside` (minutes of waiting on a system of their own) in a second
# pytest process alongside the rest (tools/test_suite.py).
test: install
	@$(PY) -m tools.test_suite $(ARGS)

# lint-imports holds the service boundaries (the contracts in pyproject.toml, [tool.importlinter]).
lint: install
	@$(VENV)/bin/ruff check libs/servicekit libs/demodata libs/testkit services tests tools
	@$(VENV)/bin/mypy libs/servicekit libs/demodata libs/testkit services/*/src tools
	@$(VENV)/bin/lint-imports --no-cache --no-logo
	@$(PY) -m tools.runtime_locks --check

protos: install
	@$(PY) tools/genprotos.py

protos-check: install
	@$(PY) tools/genprotos.py --check

# Each service's runtime lock (services/<name>/requirements.lock: the pinned closure of its
# pyproject's dependencies, versions from requirements.lock), which its image installs.
runtime-locks: install
	@$(PY) -m tools.runtime_locks

runtime-locks-check: install
	@$(PY) -m tools.runtime_locks --check

# Builds every service's runtime environment for real (a virtualenv of its runtime lock and its
# wheels, from the local uv cache), imports every module of it there and prints the sizes.
runtime-envs: install
	@$(PY) -m tools.runtime_envs $(ARGS)

migrate: install
	@for s in identity application notification documents; do $(PY) -m tqr_$$s migrate; done

bench: install
	@$(PY) -m tools.bench $(ARGS)

# Kills services and restarts the broker, Redis and database connections of a system of its own
# (also part of `make test`).
chaos: install
	@$(PY) -m pytest -q -m chaos tests/chaos

dlq-replay: install
	@$(PY) -m servicekit.dlq $(ARGS)

# Container images (needs Docker) and the rendered Kubernetes manifests (needs kubectl).
images:
	@deploy/build-images.sh

k8s-render:
	@kubectl kustomize deploy/k8s/overlays/prod

clean:
	rm -rf var build *.egg-info
