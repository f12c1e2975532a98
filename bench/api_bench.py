"""Document-list API benchmark: requests/s and latency percentiles under concurrent clients.

Starts gunicorn on a loopback port against a throwaway SQLite database (or the database in
DATABASE_URL, where it creates and later drops its own collection), seeds N documents with
tags and pages, then lets C client threads hit ``/api/v1/documents/`` for a bounded time.
A benchmark, not a test: it prints figures and asserts nothing about speed.

    .venv/bin/python bench/api_bench.py --documents 500 --clients 8 --seconds 15 --workers 2
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SLUG = "bench-api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PALIMPSEST_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "palimpsest.settings",
           "LOG_LEVEL": "WARNING"}
    env.pop("DEBUG", None)
    (var_dir / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    return env


SEED = """
import django, io, sys
django.setup()
from django.contrib.auth import get_user_model
from PIL import Image
from archive.ingest import Upload
from archive.models import Collection, Document, Page, Tag
from archive.services.collections import create_collection
from archive.services.ingest import ingest_upload
n = int(sys.argv[1])
User = get_user_model()
user = User.objects.filter(username="bench").first() or User.objects.create_user("bench", password="bench-password-1")
Collection.objects.filter(slug="%(slug)s").delete()
coll = create_collection(owner=user, slug="%(slug)s", title="Bench", visibility="public")
buf = io.BytesIO(); Image.new("L", (64, 64), 200).save(buf, format="PNG")
first = ingest_upload(coll, Upload.from_bytes("p.png", buf.getvalue()), user=user)
blob = Page.objects.get(document_id=first.documents[0]).image
tags = [Tag.objects.get_or_create(name=f"bench-{i}")[0] for i in range(3)]
docs = Document.objects.bulk_create([Document(collection=coll, title=f"Letter {i:05d}", creator=f"Writer {i %% 37}",
                                              year_from=1700 + i %% 300, language="en", created_by=user) for i in range(n)])
Document.tags.through.objects.bulk_create([Document.tags.through(document_id=d.pk, tag_id=t.pk) for d in docs for t in tags])
Page.objects.bulk_create([Page(document=d, order=o, image=blob, width=64, height=64) for d in docs for o in range(2)])
print(Document.objects.filter(collection=coll).count())
"""


def seed(env: dict[str, str], documents: int) -> None:
    py = str(REPO / ".venv" / "bin" / "python")
    subprocess.run([py, "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([py, "-c", SEED % {"slug": SLUG}, str(documents)], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True)
    print(f"seeded {out.stdout.strip()} documents ({'DATABASE_URL' if env.get('DATABASE_URL') else 'SQLite'})")


def wait_ready(port: int, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/collections/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def client(port: int, path: str, stop_at: float, max_requests: int, latencies: list[float], errors: list[int],
           lock: threading.Lock, counter: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.time() < stop_at:
        with lock:
            if counter[0] >= max_requests:
                return
            counter[0] += 1
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and json.loads(body)["count"] > 0
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        elapsed = time.perf_counter() - start
        with lock:
            (latencies if ok else errors).append(elapsed if ok else 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--query", default="", help="extra query string, e.g. 'tag=bench-1&year_from=1800'")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="palimpsest-bench-"))
    env = django_env(scratch)
    seed(env, args.documents)
    port = free_port()
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "gunicorn"), "palimpsest.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    try:
        wait_ready(port)
        path = f"/api/v1/documents/?collection={SLUG}&page_size={args.page_size}" + (f"&{args.query}" if args.query else "")
        for _ in range(5):  # warm up connections and caches
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", path)
            conn.getresponse().read()
        latencies: list[float] = []
        errors: list[int] = []
        lock, counter = threading.Lock(), [0]
        started = time.perf_counter()
        stop_at = time.time() + args.seconds
        threads = [threading.Thread(target=client, args=(port, path, stop_at, args.max_requests, latencies, errors, lock, counter))
                   for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        if os.environ.get("DATABASE_URL"):
            subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c",
                            f"import django; django.setup(); from archive.models import Collection; "
                            f"Collection.objects.filter(slug='{SLUG}').delete()"], cwd=REPO, env=env, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    if not latencies:
        print(f"no successful requests ({len(errors)} errors)")
        return 1
    print(f"GET {path}")
    print(f"database: {'PostgreSQL (DATABASE_URL)' if env.get('DATABASE_URL') else 'SQLite'}; documents={args.documents}; "
          f"gunicorn workers={args.workers} threads={args.threads}; clients={args.clients}; cpus={os.cpu_count()}")
    print(f"requests: {len(latencies)} ok, {len(errors)} failed in {wall:.1f} s")
    print(f"throughput: {len(latencies) / wall:.1f} requests/s")
    print(f"latency: p50 {percentile(latencies, 0.50) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
