# The local stack and the tests, each in the project's own virtualenv (.venv).
#   make run    the whole stack on this machine (STACK_ARGS="--no-seed --api-port 8001" to vary it)
#   make test   every test under tests/, browsers included (PYTEST_ARGS="-m 'not e2e' -x" to narrow it);
#               installs Debian's chromium first when it is missing
#   make venv   just the virtualenv; reinstalls only when a requirements file changed
#   make coldstart  import time of each Lambda entry point against `import boto3` (COLDSTART_ARGS="--runs 15")
#   make mail   the e-mails the running stack's emulated SES took (MAIL_ARGS="--show 3", "--save DIR", "--endpoint URL")
#   make replay replay the stream records parked in the dead-letter queue; needs a stage's settings in the
#               environment (REPLAY_ARGS="--env-file .local-stack/8000/environment --dry-run", as the stack prints)
#   make reindex rebuild the search index from the table and swap its alias; needs a stage's settings
#               (REINDEX_ARGS="--env-file .local-stack/8000/environment", as the stack prints)
#   make check-invariants  read the whole table (parallel scan, read-only) and report every slot, hold and
#               booking that disagree and booking events without their audit record or inbox entries; exit 1
#               if any; needs a stage's settings (INVARIANT_ARGS="--env-file .local-stack/8000/environment",
#               "--segments 8 --settle-seconds 300 --json build/invariants.json"); docs/operations.md
#   make bench   every benchmark side by side (BENCH_ARGS="--only availability,writes" or "--quick"): a table
#               and bench/results.json, exit 1 if a goal is missed; docs/performance.md
#   make bench-search  search over 100,000 generated providers: indexing rate, latency, API/engine ratio
#               (BENCH_SEARCH_ARGS="--providers 20000" to vary it)
#   make load   locust peak-hour load on a running `make run` (load/locustfile.py; LOAD_ARGS="-u 100 --host URL")
#   make package  the deployable SAM template and its code in build/infra/ (sam.yaml, deployment.zip), offline,
#               no AWS account needed (STAGE=dev by default); infra/README.md
#   make deploy STAGE=<name> DEPLOY_BUCKET=<s3 bucket>  package, upload the code to the bucket, deploy the
#               stack marketplace-<name> with the AWS CLI and upload console/ to its bucket; needs an AWS
#               account and credentials (never run by the tests, and not runnable on a machine without them)
#   make clean  remove .venv and .local-stack

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
PYTEST_ARGS ?=
STACK_ARGS ?=
COLDSTART_ARGS ?= --json build/cold_start.json
MAIL_ARGS ?=
REPLAY_ARGS ?=
REINDEX_ARGS ?=
INVARIANT_ARGS ?=
BENCH_SEARCH_ARGS ?=
STAGE ?= dev
DEPLOY_BUCKET ?=
AWS ?= aws

.PHONY: run test browser venv coldstart mail replay reindex check-invariants bench bench-search package deploy deploy-bucket clean

venv: $(STAMP)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

run: venv
	$(VENV_PYTHON) -m local.stack $(STACK_ARGS)

test: venv browser
	$(VENV_PYTHON) -m pytest tests $(PYTEST_ARGS)

browser:
	@bash scripts/install_chromium.sh

coldstart: venv
	$(VENV_PYTHON) -m scripts.cold_start $(COLDSTART_ARGS)

mail: venv
	$(VENV_PYTHON) -m local.mail $(MAIL_ARGS)

replay: venv
	$(VENV_PYTHON) -m scripts.replay_dead_letters $(REPLAY_ARGS)

reindex: venv
	$(VENV_PYTHON) -m scripts.reindex_search $(REINDEX_ARGS)

check-invariants: venv
	$(VENV_PYTHON) -m scripts.check_invariants $(INVARIANT_ARGS)

bench: venv
	$(VENV_PYTHON) -m bench $(BENCH_ARGS)

bench-search: venv
	$(VENV_PYTHON) -m bench.search $(BENCH_SEARCH_ARGS)

# Later locust options win: LOAD_ARGS overrides these defaults.
LOAD_ARGS ?=
.PHONY: load
load: venv
	@mkdir -p build/load
	$(VENV)/bin/locust -f load/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000 \
		--csv build/load/peak $(LOAD_ARGS)

package: venv
	$(VENV_PYTHON) -m infra.build --stage $(STAGE) --out build/infra

# Needs the AWS CLI, credentials for the target account and an S3 bucket for the code: nothing here can run it.
deploy: deploy-bucket package
	$(AWS) cloudformation package --template-file build/infra/sam.yaml --s3-bucket $(DEPLOY_BUCKET) \
		--s3-prefix marketplace-$(STAGE) --output-template-file build/infra/packaged.yaml
	$(AWS) cloudformation deploy --template-file build/infra/packaged.yaml --stack-name marketplace-$(STAGE) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameter-overrides Stage=$(STAGE)
	$(VENV_PYTHON) -m infra.upload_console --stage $(STAGE)

deploy-bucket:
	@test -n "$(DEPLOY_BUCKET)" || { echo "make deploy needs DEPLOY_BUCKET=<an S3 bucket for the code>"; exit 2; }

clean:
	rm -rf $(VENV) .local-stack
