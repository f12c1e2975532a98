# Palimpsest: `make run` sets up everything and starts the site and a worker; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test test-fast lint demo worker web clean bench-api

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null
	$(BIN)/pip install -r requirements.txt

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

setup: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput >/dev/null
	$(BIN)/python manage.py sync_models
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_wills

run: setup
	@bash scripts/run.sh $(HOST) $(PORT)

demo: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_wills

web: $(VENV)/.installed
	$(BIN)/gunicorn palimpsest.wsgi:application --config gunicorn.conf.py --bind $(HOST):$(PORT)

bench-api: $(VENV)/.installed
	$(BIN)/python bench/api_bench.py $(BENCH_ARGS)

worker: $(VENV)/.installed
	$(BIN)/celery -A palimpsest worker -Q gpu,io --concurrency 1 --loglevel INFO

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not jobs and not ui" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf var/broker var/test.sqlite3
