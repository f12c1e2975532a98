"""gunicorn settings for `make web`, `make run` and bench/load.py and bench/fuzz.sh (one place; docs/deploy.md).

Sync workers, one request at a time each, ``cores + 1`` of them (``WEB_CONCURRENCY`` overrides; ``WEB_THREADS``
above 1 gives threaded workers). Why not the former 2 workers x 4 threads: the requests are CPU-bound Python,
so a worker's threads only take turns on its GIL, and each keep-alive connection stays with the worker that
accepted it, so one worker's queue grew while the other idled. Sync workers take the next connection from
the shared listening socket when they are free (one queue for all, first come first served). Under the same
load (bench/load.py, 20 clients) the throughput was the same and p95 fell from about 1.6 s to 0.9 s. Sync
workers do not keep connections alive and a slow client holds a worker: in production they sit behind a
buffering reverse proxy (docs/deploy.md).
"""
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("WEB_THREADS") or 1)
# A sync worker is killed past this; a request may ingest files up to the INGEST_SYNC_* limits.
timeout = int(os.environ.get("WEB_TIMEOUT") or 120)
