# mcat: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lock plots-template clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## demo: set up, then run the whole DVC pipeline (dvc.yaml) on the embedded default: the synthetic
## speed-shift dataset, demo preset, CPU, offline; a second `make demo` is a no-op
demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro
	@$(BIN)/mcat metrics
	@echo "Reports: reports/metrics.json, reports/plots/, reports/plots/explain/, reports/validation/report.html; dvc plots show (offline)"
	@echo "Runs and registry: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db  (then mcat promote)"

## test: set up, then run the test suite
test: $(STAMP)
	$(BIN)/pytest -q

## bench: throughput benchmarks (ratios measured side by side in one run)
bench: $(STAMP)
	$(BIN)/python bench/data_bench.py
	$(BIN)/python bench/models_bench.py
	$(BIN)/python bench/malloc_bench.py
	$(BIN)/python bench/step_profile.py
	$(BIN)/python bench/masks_bench.py
	$(BIN)/python bench/predict_bench.py
	$(BIN)/python bench/export_bench.py

## lock: re-resolve constraints.txt from pyproject.toml in a scratch venv
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e ".[dev]"
	{ head -2 constraints.txt; .lock-venv/bin/pip freeze --exclude-editable | sed -E 's/\+(cpu|cu[0-9]+)$$//'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

## plots-template: re-inline Vega into .dvc/plots/offline.html (`dvc plots show` offline) in a scratch venv
plots-template:
	rm -rf .plots-venv && $(PYTHON) -m venv .plots-venv
	.plots-venv/bin/pip install --quiet "vl-convert-python==1.9.0.post1"
	.plots-venv/bin/python infra/dvc/offline_plots_template.py .dvc/plots/offline.html && rm -rf .plots-venv

clean:
	rm -rf $(VENV) data reports/* models mlflow.db mlartifacts mlruns dvc_plots .pytest_cache .dvc/cache .dvc/tmp
