"""Overhead of the job machinery: a transcribe job on a real worker vs the bare models_ml forward pass.

Usage::

    .venv/bin/python bench/job_bench.py [--pages 8] [--lines 8] [--batch-size 32] [--threads 1]

With DATABASE_URL / REDIS_URL set it uses PostgreSQL / Redis; otherwise a separate SQLite file
(var/bench.sqlite3, or $PALIMPSEST_VAR_DIR/bench.sqlite3) and the filesystem broker. It renders
synthetic handwritten pages (models_ml.synth) with their line geometry, starts a real Celery
worker process (prefork, concurrency 1, WORKER_TORCH_THREADS=--threads), runs one warm-up job
(model loading), then the measured job, and compares per-line wall time with
``Recognizer.recognize`` on the same crops in this process with the same thread count.

Figures printed:
- job (task): Job.started_at → finished_at (worker-side: image load, crops, forward, decode, DB writes, progress);
- job (end to end): POST-equivalent create_job → the row is final (adds broker and polling latency);
- bare forward: recognize() on the already-cropped lines (median of 3), the compute floor;
- overhead % = job (task) / bare forward − 1.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palimpsest.settings")
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PALIMPSEST_DB_NAME"):
        var = Path(os.environ.get("PALIMPSEST_VAR_DIR", REPO / "var"))
        var.mkdir(parents=True, exist_ok=True)
        os.environ["PALIMPSEST_DB_NAME"] = str(var / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_document(title: str, pages: int, lines: int, seed: int):
    from django.contrib.auth import get_user_model

    from archive.models import Collection, Document
    from tests.jobs.conftest import add_pages, render_pages

    user, _ = get_user_model().objects.get_or_create(username="bench")
    collection, _ = Collection.objects.get_or_create(slug="bench", defaults={"title": "Bench", "owner": user})
    document = Document.objects.create(collection=collection, title=title)
    add_pages(document, render_pages(pages, lines, seed=seed, width=1100))
    return document, user


def start_worker(threads: int) -> subprocess.Popen:
    from django.conf import settings

    env = dict(os.environ, WORKER_TORCH_THREADS=str(threads), MEDIA_ROOT=str(settings.MEDIA_ROOT),
               MODEL_STORE=str(settings.MODEL_STORE), PYTHONUNBUFFERED="1")
    log = open(Path(settings.MEDIA_ROOT).parent / "bench-worker.log", "w")  # noqa: SIM115 - lives as long as the worker
    proc = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A", "palimpsest", "worker", "-Q", "gpu,io",
                             "--concurrency", "1", "-P", "prefork", "--loglevel", "WARNING", "-n", f"bench-{os.getpid()}@%h",
                             "--without-gossip", "--without-mingle", "--without-heartbeat"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc


def run_job(document, user, model) -> tuple[object, float]:
    from inscription.models import Job
    from inscription.models.jobs import FINAL_STATES
    from inscription.services.jobs import create_job

    t0 = time.perf_counter()
    job = create_job("transcribe", document.collection, document=document, user=user,
                     params={"model": model.pk, "batch_size": ARGS.batch_size})
    while True:
        job = Job.objects.get(pk=job.pk)
        if job.state in FINAL_STATES:
            break
        time.sleep(0.05)
    end_to_end = time.perf_counter() - t0
    if job.state != "succeeded":
        raise SystemExit(f"job {job.pk} {job.state}: {job.error}")
    return job, end_to_end


def bare_forward(document, model, threads: int) -> tuple[float, float, int]:
    """(median seconds of recognize() on the crops, seconds to open pages and crop, lines)."""
    import torch

    from archive.models import Page
    from inscription.tasks import _crop, _page_image
    from models_ml.htr.api import load_recognizer

    torch.set_num_threads(threads)
    rec = load_recognizer(model.path, "cpu")
    t0 = time.perf_counter()
    crops = []
    for page in Page.objects.filter(document=document).order_by("order"):
        image = _page_image(page)
        crops += [_crop(image, line) for line in page.lines.order_by("order", "id")]
    prep = time.perf_counter() - t0
    rec.recognize(crops[:4], batch_size=ARGS.batch_size)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rec.recognize(crops, batch_size=ARGS.batch_size)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), prep, len(crops)


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection

    from inscription.services.models import register_model_dir
    from tests.jobs.conftest import recognizer_dir

    model, _ = register_model_dir(recognizer_dir(Path(settings.MODEL_STORE)))
    warm_doc, user = make_document("bench warm-up", 1, 2, seed=1)
    doc, _ = make_document("bench measured", ARGS.pages, ARGS.lines, seed=2)
    worker = start_worker(ARGS.threads)
    try:
        run_job(warm_doc, user, model)  # model loading and worker start-up are not the steady state
        job, end_to_end = run_job(doc, user, model)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    task = (job.finished_at - job.started_at).total_seconds()
    forward, prep, n = bare_forward(doc, model, ARGS.threads)
    print(f"database {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, model {model} "
          f"({Path(model.path).name}), device cpu, torch threads {ARGS.threads}, batch {ARGS.batch_size}")
    print(f"{ARGS.pages} pages, {n} lines (job wrote {job.result['lines']})")
    print(f"{'':28}{'total s':>10}{'ms/line':>10}")
    for label, seconds in (("job (task, worker-side)", task), ("job (end to end)", end_to_end),
                           ("bare forward (median of 3)", forward), ("bare open+crop pages", prep)):
        print(f"{label:28}{seconds:10.3f}{1000 * seconds / n:10.2f}")
    print(f"overhead of the job vs bare forward: {100 * (task / forward - 1):+.1f}% (task), "
          f"{100 * (end_to_end / forward - 1):+.1f}% (end to end); "
          f"vs forward + open/crop: {100 * (task / (forward + prep) - 1):+.1f}%")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    ARGS = parser.parse_args()
    main()
