#!/usr/bin/env bash
# Start a Celery worker and the web server together; stop both on Ctrl-C.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
cd "$(dirname "$0")/.."
bin=.venv/bin
mkdir -p var/log
"$bin/celery" -A palimpsest worker -Q gpu,io --concurrency 1 --loglevel INFO >var/log/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Worker started (pid $worker, log var/log/worker.log)."
echo "Palimpsest is at http://$host:$port/  (API: http://$host:$port/api/v1/, docs: http://$host:$port/api/docs/)"
DEBUG=${DEBUG:-1} "$bin/gunicorn" palimpsest.wsgi:application --bind "$host:$port" --workers 2 --threads 4 --access-logfile -
