"""CPU cost per request of the endpoints bench/load.py hits, measured in-process through the whole WSGI stack.

Seeds a throwaway database as bench/load.py does (SQLite, or DATABASE_URL / REDIS_URL: give a scratch
database, it is migrated and seeded), writes a machine reading of the first document's lines (what the
load bench's transcribe job leaves behind), then calls Django's WSGI handler directly (middleware,
authentication, sessions, the view, rendering, request_started/request_finished and so the database
connection handling, exactly as under gunicorn, without the network) and prints, per endpoint, the mean
CPU milliseconds and the SQL queries per request. ``--profile NAME`` prints cProfile's top functions for
one endpoint. A benchmark, not a test.

    nice -n 10 .venv/bin/python bench/request_cost.py [--repeat 60] [--profile workspace]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

READINGS = r"""
import json, random
from archive.models import Document, Line
from inscription.services.inscriptions import LineText, write_pages_lines
from inscription.services.layers import machine_layer
from jobs.models import ModelVersion
doc = Document.objects.get(pk=%(document)d)
model = ModelVersion.objects.get(pk=%(model)d)
layer = machine_layer(doc, model, {"decoder": "greedy"})
rng = random.Random(1)
pages = []
for page in doc.pages.order_by("order"):
    readings = []
    for line in page.lines.order_by("order"):
        text = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(8))
        readings.append(LineText(line=line, text=text, confidence=0.9, char_confidences=[rng.random() for _ in text],
                                 char_columns=list(range(len(text)))))
    pages.append((page, readings))
write_pages_lines(layer=layer, pages=pages, model_version=model, parameters={"decoder": "greedy"})
print("ok")
"""


def seed(env: dict, documents: int) -> dict:
    """Migrate and seed as bench/load.py does; add the first document's machine reading."""
    from load import BIN, SEED

    subprocess.run([str(BIN / "python"), "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", SEED % {"documents": documents}],
                         cwd=REPO, env=env, check=True, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    model = json.loads(subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c",
         f"from jobs.models import Job; print(Job.objects.get(pk={data['job']}).parameters['model'])"],
        cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", READINGS % {"document": data["documents"][0], "model": model}],
                   cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--profile", default="", help="print cProfile's top functions for this endpoint")
    parser.add_argument("--only", default="", help="measure only the endpoints whose name contains this")
    parser.add_argument("--reuse", default="", help="a folder a previous run seeded (SQLite only; it printed it)")
    args = parser.parse_args()

    work = Path(args.reuse or tempfile.mkdtemp(prefix="palimpsest-cost-"))
    env = {**os.environ, "PALIMPSEST_VAR_DIR": str(work / "var"), "MEDIA_ROOT": str(work / "media"), "DEBUG": "0",
           "SECRET_KEY": "load-bench-only", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "palimpsest.settings"}
    if args.reuse:
        data = json.loads((work / "seed.json").read_text())
    else:
        (work / "var" / "staticfiles").mkdir(parents=True)
        data = seed(env, args.documents)
        (work / "seed.json").write_text(json.dumps(data))
        print(f"seeded {work}")
    os.environ.update(env)

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import RequestFactory

    handler = WSGIHandler()
    factory = RequestFactory()
    docs, pages = data["documents"], data["pages"]
    api = {"HTTP_AUTHORIZATION": f"Token {data['token']}"}
    cookie = {"HTTP_COOKIE": f"sessionid={data['session']}"}
    endpoints = [
        ("documents list", "/api/v1/documents/?collection=load-bench", api),
        ("jobs list", "/api/v1/jobs/", api),
        ("inscriptions list (read)", f"/api/v1/inscriptions/?document={docs[0]}", api),
        ("inscriptions list (empty)", f"/api/v1/inscriptions/?document={docs[1]}", api),
        ("document detail", f"/api/v1/documents/{docs[1]}/", api),
        ("page detail", f"/api/v1/pages/{pages[0]}/", api),
        ("job detail", f"/api/v1/jobs/{data['job']}/", api),
        ("workspace (read)", f"/p/{pages[0]}/", cookie),
        ("workspace (unread)", f"/p/{pages[-1]}/", cookie),
    ]
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    def call(path: str, headers: dict) -> int:
        environ = factory.get(path, SERVER_NAME="127.0.0.1", **headers).environ
        status = []
        response = handler(environ, lambda s, h, exc_info=None: status.append(s))
        b"".join(response)
        response.close()  # request_finished: what gunicorn does after each response
        return int(status[0].split()[0])

    backend = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"{backend}: mean per request over {args.repeat} requests (after 5 warm-up)")
    for name, path, headers in endpoints:
        if args.only and args.only not in name:
            continue
        for _ in range(5):
            code = call(path, headers)
            assert code == 200, (name, code)
        with connection.execute_wrapper(count):
            queries[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.repeat):
                call(path, headers)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"  {name:27s} {cpu / args.repeat * 1000:6.1f} ms CPU  {wall / args.repeat * 1000:6.1f} ms wall"
              f"  {queries[0] / args.repeat:5.1f} queries")
        if args.profile and args.profile in name:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                call(path, headers)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
