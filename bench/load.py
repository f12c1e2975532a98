"""Load figures: C clients for S seconds over lists, details and the workspace, while a transcribe job runs.

Starts gunicorn (gunicorn.conf.py, as `make web`) and a Celery worker on a throwaway SQLite
database (or on DATABASE_URL / REDIS_URL: use a scratch database, it is migrated and seeded), seeds
a collection of scan documents with lines, queues a transcribe job over one of them with the
shipped recognizer, then lets C client threads request a mix of API lists, API details and the
curator workspace page (signed in) for S seconds. Prints p50/p95/p99 latency per kind and overall,
requests/s and errors (any non-2xx or connection failure). A benchmark, not a test.

    .venv/bin/python bench/load.py --clients 20 --seconds 45
    .venv/bin/python bench/load.py --clients 20 --seconds 45 --job-pages 40   # job busy throughout
    WORKER_NICE=0 .venv/bin/python bench/load.py --job-pages 40              # the worker at the web's priority

Not under `nice`: the web server inherits the bench's priority, and the worker lowers its own only to
WORKER_NICE (10), so a bench at nice 10 puts both at the same priority.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SEED = r"""
import io, json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from archive.models import Collection, Document, Line, Membership
from jobs.services.jobs import create_job
from jobs.services.models import register_model_dir
from models_ml import registry
from tests.inscription.helpers import make_page
from tests.jobs.conftest import render_pages
User = get_user_model()
user = User.objects.filter(username="loadbench").first() or User.objects.create_user("loadbench", password="x" * 12)
coll, _ = Collection.objects.get_or_create(slug="load-bench", defaults={"title": "Load bench", "owner": user})
Membership.objects.get_or_create(collection=coll, user=user, defaults={"role": "owner"})
rendered = render_pages(4, 8, seed=3, width=1000)
pages, docs = [], []
for d in range(%(documents)d):
    doc = Document.objects.create(collection=coll, title=f"Letter {d}", created_by=user)
    docs.append(doc.pk)
    for order, (image, lines) in enumerate((rendered * %(job_pages)d)[: 2 if d else %(job_pages)d]):
        page = make_page(doc, image, order=order)
        pages.append(page.pk)
        Line.objects.bulk_create(Line(page=page, polygon=[list(p) for p in ln.polygon], baseline=[list(p) for p in ln.baseline],
                                      order=i, source="import") for i, ln in enumerate(lines))
model, _ = register_model_dir(registry.default_model_dir())
job = create_job("transcribe", coll, document=Document.objects.get(pk=docs[0]), params={"model": model.pk}, user=user)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "palimpsest.login_guard.GuardedModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(json.dumps({"token": Token.objects.get_or_create(user=user)[0].key, "session": session.session_key,
                  "documents": docs, "pages": pages, "job": job.pk}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--job-pages", type=int, default=4,
                        help="pages of the transcribed document (40 keeps the job running for the whole run)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py's, as `make web`)")
    parser.add_argument("--threads", type=int, default=0, help="threads per gunicorn worker (default: gunicorn.conf.py's)")
    args = parser.parse_args()

    import json

    work = Path(tempfile.mkdtemp(prefix="palimpsest-load-"))
    env = {**os.environ, "PALIMPSEST_VAR_DIR": str(work / "var"), "MEDIA_ROOT": str(work / "media"), "DEBUG": "0",
           "SECRET_KEY": "load-bench-only", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "palimpsest.settings"}
    (work / "var" / "staticfiles").mkdir(parents=True)
    subprocess.run([str(BIN / "python"), "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seeded = subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", SEED % {"documents": args.documents, "job_pages": args.job_pages}],
                            cwd=REPO, env=env, check=True, capture_output=True, text=True)
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = free_port()
    worker = subprocess.Popen([str(BIN / "celery"), "-A", "palimpsest", "worker", "-Q", "gpu,io", "--concurrency", "1",
                               "--loglevel", "WARNING"], cwd=REPO, env=env, stdout=(work / "worker.log").open("w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    # The settings of `make web` (gunicorn.conf.py); --workers/--threads try others (WEB_CONCURRENCY, WEB_THREADS).
    web_env = {**env, **({"WEB_CONCURRENCY": str(args.workers)} if args.workers else {}),
               **({"WEB_THREADS": str(args.threads)} if args.threads else {})}
    web = subprocess.Popen([str(BIN / "gunicorn"), "palimpsest.wsgi:application", "--config", "gunicorn.conf.py",
                            "--bind", f"127.0.0.1:{port}"], cwd=REPO, env=web_env,
                           stdout=(work / "web.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(240):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/collections/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.5)
        api = {"Authorization": f"Token {seed['token']}"}
        page_cookie = {"Cookie": f"sessionid={seed['session']}"}
        docs, pages = seed["documents"], seed["pages"]
        kinds = [
            ("list", lambda: ("/api/v1/documents/?collection=load-bench", api)),
            ("list", lambda: ("/api/v1/jobs/", api)),
            ("list", lambda: (f"/api/v1/inscriptions/?document={random.choice(docs)}", api)),
            ("detail", lambda: (f"/api/v1/documents/{random.choice(docs)}/", api)),
            ("detail", lambda: (f"/api/v1/pages/{random.choice(pages)}/", api)),
            ("detail", lambda: (f"/api/v1/jobs/{seed['job']}/", api)),
            ("workspace", lambda: (f"/p/{random.choice(pages)}/", page_cookie)),
        ]
        # Wait until the transcribe job really runs, so the figures are taken beside it.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", f"/api/v1/jobs/{seed['job']}/", headers=api)
            state = json.loads(conn.getresponse().read())["state"]
            if state != "queued":
                break
            time.sleep(0.5)
        results: dict[str, list[float]] = {"list": [], "detail": [], "workspace": []}
        errors: list[str] = []
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()

        def client(n: int) -> None:
            rng = random.Random(n)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while time.monotonic() < stop:
                kind, make = rng.choice(kinds)
                path, headers = make()
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = 200 <= response.status < 300
                    status = response.status
                except OSError as exc:
                    ok, status = False, type(exc).__name__
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                took = (time.perf_counter() - t0) * 1000
                with lock:
                    results[kind].append(took)
                    if not ok:
                        errors.append(f"{status} {path}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        cpu_before = {"web": cpu_seconds(web.pid), "worker": cpu_seconds(worker.pid), "clients": time.process_time()}
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        cpu = {"web": cpu_seconds(web.pid), "worker": cpu_seconds(worker.pid), "clients": time.process_time()}
        cpu = {name: cpu[name] - cpu_before[name] for name in cpu}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/api/v1/jobs/{seed['job']}/", headers=api)
        job = json.loads(conn.getresponse().read())
        backend = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
        everything = [v for values in results.values() for v in values]
        print(f"{backend}: {args.clients} clients, {elapsed:.0f} s, {len(everything)} requests ({len(everything) / elapsed:.1f}/s), "
              f"{len(errors)} errors; transcribe job {job['state']} {job['progress_done']}/{job['progress_total']}")
        for kind, values in [*results.items(), ("all", everything)]:
            print(f"  {kind:9s} n={len(values):5d}  p50 {percentile(values, 50):7.0f} ms  p95 {percentile(values, 95):7.0f} ms"
                  f"  p99 {percentile(values, 99):7.0f} ms")
        # The server's CPU per request does not depend on how much of the machine the server got.
        print(f"  CPU during the run: web {cpu['web']:.1f} s ({cpu['web'] / max(1, len(everything)) * 1000:.1f} ms a request), "
              f"worker {cpu['worker']:.1f} s, clients {cpu['clients']:.1f} s, over {elapsed:.0f} s of {os.cpu_count()} cores; "
              f"load average {os.getloadavg()[0]:.1f}")
        if errors:
            print("  first errors:", errors[:5])
    finally:
        for proc in (web, worker):
            try:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)
            except Exception:  # noqa: BLE001
                pass


if __name__ == "__main__":
    main()
