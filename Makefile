# The README's commands. Each target creates the environment it needs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The 0.8.5 api.audio SDK has the same package name as 0.17.1, so it lives in its own env.
SDK085 := .venv-apiaudio085
# aws-sam-cli pins its own boto/flask versions; it gets its own env too.
SAMENV := .venv-sam
# The AI Refinery SDK (the batch-and-streaming seed's client) needs Python 3.12 or later: a
# python3.12 on PATH, else pyenv's newest 3.12 (`pyenv install 3.12` if there is none), or
# PYTHON312=/path/to/python3.12.
AIRENV := .venv-airefinery
PYTHON312 ?= $(or $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12)),python3.12)
# Kokoro's voice style vectors (npm kokoro-js, checked against a pinned sha256): ops/kokoro-voices.sh.
KOKORO_VOICES := .cache/kokoro-voices
# The speaker encoder's weights ride in resemblyzer's wheel; its torch and librosa are not needed
# (audiofn.speakers reads the weights and runs the network in numpy), hence --no-deps.
SPEAKER_ENCODER := resemblyzer==0.1.4
# Natural speech from Debian's packages for the custom-voice checks: ops/speech-references.sh.
SPEECH_REFERENCES := .cache/speech-references

.PHONY: run test bench lint fmt clean reset fuzz

$(VENV)/.run-installed: pyproject.toml $(KOKORO_VOICES)/NOTICE
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[audio,kokoro,local,stt]"
	$(PIP) install -q --no-deps "$(SPEAKER_ENCODER)"
	touch $@

$(KOKORO_VOICES)/NOTICE: ops/kokoro-voices.sh
	ops/kokoro-voices.sh $(KOKORO_VOICES)

$(SPEECH_REFERENCES)/NOTICE: ops/speech-references.sh
	ops/speech-references.sh $(SPEECH_REFERENCES)

$(VENV)/.dev-installed: $(VENV)/.run-installed pyproject.toml
	$(PIP) install -q -e ".[audio,kokoro,local,dev]"
	touch $@

# Debian's chromium for the studio's browser tests (tests/e2e/test_studio.py), installed with
# apt-get where there is one and we may; without a chromium those tests skip, saying why.
$(VENV)/.browser-installed: $(VENV)/.dev-installed
	command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
		|| echo "no chromium could be installed: the studio's browser tests will be skipped"
	if command -v chromium >/dev/null; then touch $@; fi

$(SDK085)/.installed:
	test -x $(SDK085)/bin/python || $(PYTHON) -m venv $(SDK085)
	$(SDK085)/bin/pip install -q "apiaudio==0.8.5" "requests>=2.31"
	touch $@

$(AIRENV)/.installed:
	test -x $(AIRENV)/bin/python || $(PYTHON312) -m venv $(AIRENV)
	$(AIRENV)/bin/pip install -q "airefinery-sdk>=1.33,<1.34" "python-dotenv>=1.0"
	touch $@

$(SAMENV)/.installed:
	test -x $(SAMENV)/bin/python || $(PYTHON) -m venv $(SAMENV)
	$(SAMENV)/bin/pip install -q --upgrade pip
	$(SAMENV)/bin/pip install -q "aws-sam-cli>=1.120" "cfn-lint>=1.20"
	touch $@

## make run: start the whole system locally (moto, HTTP gateway, pollers) on AUDIOFN_PORT (3000)
run: $(VENV)/.run-installed
	$(PY) -m audiofn_local.cli run

## make reset: forget the local S3, SQS and DynamoDB state (keeps the keys; asks first)
reset: $(VENV)/.run-installed
	$(PY) -m audiofn_local.cli reset-data

## make test: the whole suite
test: $(VENV)/.dev-installed $(VENV)/.browser-installed $(SDK085)/.installed $(SAMENV)/.installed $(AIRENV)/.installed $(SPEECH_REFERENCES)/NOTICE
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: synthesis and pipeline figures
bench: $(VENV)/.dev-installed $(SPEECH_REFERENCES)/NOTICE
	$(PY) -m bench $(SECTIONS)

## make fuzz: the API fuzz run with many more examples than make test's
fuzz: $(VENV)/.dev-installed
	AUDIOFN_FUZZ_EXAMPLES=$${AUDIOFN_FUZZ_EXAMPLES:-200} $(PY) -m pytest tests/e2e/test_api_fuzz.py -p no:cacheprovider

## make lint: ruff (lint + format check) and mypy over shared/, local/, functions/, tests/ and bench/
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(SDK085) $(SAMENV) $(AIRENV) .pytest_cache .mypy_cache .ruff_cache
