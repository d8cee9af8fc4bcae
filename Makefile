# Quick start (fresh machine, Python 3.11+):
#   make report   -> every report pack of the demo study: the 2021 wave (six, under reports/), then the latest
#                    wave (2024: ten, under reports/2024/, with the change since 2021) and reports/monitoring/
#   make test     -> the test suite
# Each target creates .venv and installs the package into it when needed.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: report report-en test test-all demo-data bench clean-outputs help

help:
	@echo "make report      build the report packs of the 2021 and the latest (2024) wave (Lithuanian) from data/"
	@echo "make report-en   the same in English"
	@echo "make test        run the test suite"
	@echo "make demo-data   regenerate the synthetic demo data (seed 2021)"

# pip shows what it downloads and installs (the first install takes minutes): no --quiet.
# pycanon (the k-anonymity check of tests/test_microdata.py) pins old pandas/numpy: installed without its pins
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "installing needs_analysis and its dependencies into $(VENV) (a few minutes the first time)"
	$(PY) -m pip install --progress-bar on --upgrade pip
	$(PY) -m pip install --progress-bar on -e ".[test]"
	$(PY) -m pip install --progress-bar on --no-deps pycanon==1.3.6 beartype
	@touch $(STAMP)

report: $(STAMP)
	$(VENV)/bin/needs-analysis run --municipality all --wave 2021
	$(VENV)/bin/needs-analysis run --municipality all

report-en: $(STAMP)
	$(VENV)/bin/needs-analysis run --municipality all --wave 2021 --lang en
	$(VENV)/bin/needs-analysis run --municipality all --lang en

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

test-all: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

demo-data: $(STAMP)
	$(VENV)/bin/needs-analysis demo-data --seed 2021

clean-outputs:
	rm -rf reports/*/ data/processed/*/ data/processed/.cache
