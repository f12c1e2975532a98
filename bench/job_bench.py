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
- in-worker breakdown (Job.result["seconds"]): open pages + crop, recognize(), DB writes + progress;
- bare forward: recognize() on the already-cropped lines in this process, the compute floor;
- overhead % = job (task) / recognize() − 1, against the worker's own recognize() time (same process,
  same moment: robust on a busy machine) and against the bare run here.
Rounds are interleaved (job, bare, job, bare...) and medians printed.
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
                     params={"model": model.pk, "batch_size": ARGS.batch_size, "pages_per_batch": ARGS.pages_per_batch,
                             "overlap": not ARGS.no_overlap})
    while True:
        job = Job.objects.get(pk=job.pk)
        if job.state in FINAL_STATES:
            break
        time.sleep(0.25)  # light polling: this process shares the CPU with the worker
    end_to_end = time.perf_counter() - t0
    if job.state != "succeeded":
        raise SystemExit(f"job {job.pk} {job.state}: {job.error}")
    return job, end_to_end


def prepare_bare(document, model, threads: int):
    """The recognizer in this process and the same line crops the job reads."""
    import torch

    from archive.models import Page
    from inscription.tasks import _crop, _page_image
    from models_ml.htr.api import load_recognizer

    torch.set_num_threads(threads)
    rec = load_recognizer(model.path, "cpu")
    crops, per_page = [], []
    for page in Page.objects.filter(document=document).order_by("order"):
        image = _page_image(page)
        page_crops = [_crop(image, line) for line in page.lines.order_by("order", "id")]
        crops += page_crops
        per_page.append(len(page_crops))
    rec.recognize(crops[:4], batch_size=ARGS.batch_size)  # warm-up
    return rec, crops, per_page


def bare_forward(rec, crops, per_page: list[int] | None = None) -> float:
    """recognize() on all crops at once, or (per_page given) in the job's batches of pages_per_batch pages."""
    t0 = time.perf_counter()
    if per_page is None:
        rec.recognize(crops, batch_size=ARGS.batch_size)
    else:
        start = 0
        for i in range(0, len(per_page), ARGS.pages_per_batch):
            n = sum(per_page[i: i + ARGS.pages_per_batch])
            rec.recognize(crops[start: start + n], batch_size=ARGS.batch_size)
            start += n
    return time.perf_counter() - t0


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection

    from inscription.services.models import register_model_dir
    from tests.jobs.conftest import recognizer_dir

    model, _ = register_model_dir(recognizer_dir(Path(settings.MODEL_STORE)))
    warm_doc, user = make_document("bench warm-up", 1, 2, seed=1)
    doc, _ = make_document("bench measured", ARGS.pages, ARGS.lines, seed=2)
    rec, crops, per_page = prepare_bare(doc, model, ARGS.threads)
    n = len(crops)
    worker = start_worker(ARGS.threads)
    rounds = []
    try:
        run_job(warm_doc, user, model)  # model loading and worker start-up are not the steady state
        for _ in range(ARGS.rounds):  # interleaved, so a busy machine slows both sides alike
            job, end_to_end = run_job(doc, user, model)
            task = (job.finished_at - job.started_at).total_seconds()
            rounds.append((task, end_to_end, job.result["seconds"], bare_forward(rec, crops), job.result["lines"],
                           bare_forward(rec, crops, per_page)))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    med = statistics.median
    task, e2e = med(r[0] for r in rounds), med(r[1] for r in rounds)
    in_worker = {k: med(r[2][k] for r in rounds) for k in rounds[0][2]}
    bare = med(r[3] for r in rounds)
    bare_batched = med(r[5] for r in rounds)
    print(f"database {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, model {model} "
          f"({Path(model.path).name}), device cpu, torch threads {ARGS.threads}, batch {ARGS.batch_size}, "
          f"overlap {'off' if ARGS.no_overlap else 'on'}")
    print(f"{ARGS.pages} pages, {n} lines per job (job wrote {rounds[-1][4]}); medians of {ARGS.rounds} interleaved rounds")
    print(f"{'':40}{'total s':>10}{'ms/line':>10}")
    rows = (("job, end to end (create → final row)", e2e), ("job, task (started → finished)", task),
            ("  in worker: open pages + crop", in_worker["images"]), ("  in worker: recognize()", in_worker["forward"]),
            ("  in worker: DB writes + progress", in_worker["write"]),
            ("bare recognize(), all lines at once", bare),
            (f"bare recognize(), {ARGS.pages_per_batch} pages a call", bare_batched))
    for label, seconds in rows:
        print(f"{label:40}{seconds:10.3f}{1000 * seconds / n:10.2f}")
    print(f"job overhead vs compute in the same worker (task / recognize() - 1): {100 * (task / in_worker['forward'] - 1):+.1f}%")
    print(f"job overhead vs bare recognize() in the job's batches: task {100 * (task / bare_batched - 1):+.1f}%, "
          f"end to end {100 * (e2e / bare_batched - 1):+.1f}%")
    print(f"job overhead vs bare recognize() all at once: task {100 * (task / bare - 1):+.1f}%, "
          f"end to end {100 * (e2e / bare - 1):+.1f}%")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--pages-per-batch", type=int, default=8)
    parser.add_argument("--no-overlap", action="store_true", help="job parameter overlap=false (stages in sequence)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    ARGS = parser.parse_args()
    main()
