#!/usr/bin/env bash
# Start a Celery worker and the web server together; print where the site is once it answers; stop both on Ctrl-C.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
cd "$(dirname "$0")/.."
bin=.venv/bin
var=${PALIMPSEST_VAR_DIR:-var}
mkdir -p "$var/log"
"$bin/celery" -A palimpsest worker -Q gpu,io --concurrency 1 --loglevel INFO >"$var/log/worker.log" 2>&1 &
worker=$!
DEBUG=${DEBUG:-1} "$bin/gunicorn" palimpsest.wsgi:application --config gunicorn.conf.py --bind "$host:$port" \
  --access-logfile "$var/log/access.log" &
web=$!
trap 'kill $web $worker 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
echo "Worker started (pid $worker, log $var/log/worker.log); web server pid $web."
for _ in $(seq 60); do
  if "$bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://$host:$port/api/v1/collections/', timeout=2)" 2>/dev/null; then
    break
  fi
  kill -0 $web 2>/dev/null || { echo "The web server exited; see the output above." >&2; exit 1; }
  sleep 1
done
echo "Palimpsest is at http://$host:$port/  (API: http://$host:$port/api/v1/, docs: http://$host:$port/api/docs/)"
[ -f "$var/demo_credentials.txt" ] && echo "Demo login: $(sed 's/:/ \/ /' "$var/demo_credentials.txt")"
echo "Ctrl-C stops both."
wait $web
