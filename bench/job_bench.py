"""Overhead of the job machinery: a transcribe job on a real worker vs the bare models_ml forward pass.

Usage::

    .venv/bin/python bench/job_bench.py [--pages 16] [--lines 8] [--batch-size 8] [--threads 1] [--rounds 9]
                                [--no-overlap] [--no-malloc-tuning]

With DATABASE_URL / REDIS_URL set it uses PostgreSQL / Redis; otherwise a separate SQLite file
(var/bench.sqlite3, or $PALIMPSEST_VAR_DIR/bench.sqlite3) and the filesystem broker. It renders
synthetic handwritten pages (models_ml.synth) with their line geometry, starts a real Celery
worker process (prefork, concurrency 1, WORKER_TORCH_THREADS=--threads), runs one warm-up job
(model loading), then the measured jobs, and compares per-line wall time with
``Recognizer.recognize`` on the same crops in this process with the same thread count and the same
allocator settings (models_ml.runtime.keep_freed_memory, as the worker and the CLI run).

Figures printed:
- job (end to end): create_job (what POST does) → the row's finished_at: queue, broker, task;
- job (task): Job.started_at → finished_at (worker side: open pages, crop, preprocess, forward,
  decode, DB writes, progress, cancel checks);
- in-worker breakdown (Job.result["seconds"]): time the main thread waited for the loader (pages
  opened, cropped, preprocessed), spent in the forward pass + decoding, and waited for the writer;
- bare recognize(): ``Recognizer.recognize`` on the already-cropped lines in this process
  (preprocess + forward + decode): what the CLI does, the compute floor; all lines in one call,
  and in the job's own batches of pages;
- overhead % = job / bare recognize() − 1, the figure the job machinery must keep under 10 %.
Rounds are interleaved (job, bare, job, bare...) so a busy machine slows both sides alike. Each figure is
given as the median and the best of the rounds: on a shared virtual machine the same forward pass runs in
fast and slow phases some seconds long (up to 1.4× apart), so a median mixes phases and the best of
several rounds is the like-for-like figure (as ``timeit`` reports); both are printed.
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
               MODEL_STORE=str(settings.MODEL_STORE), PYTHONUNBUFFERED="1",
               WORKER_MALLOC_TUNING="0" if ARGS.no_malloc_tuning else "1")
    log = open(Path(settings.MEDIA_ROOT).parent / "bench-worker.log", "w")  # noqa: SIM115 - lives as long as the worker
    proc = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A", "palimpsest", "worker", "-Q", "gpu,io",
                             "--concurrency", "1", "-P", "prefork", "--loglevel", "WARNING", "-n", f"bench-{os.getpid()}@%h",
                             "--without-gossip", "--without-mingle", "--without-heartbeat"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc


def run_job(document, user, model) -> tuple[object, float]:
    from jobs.models import FINAL_STATES, Job
    from jobs.services.jobs import create_job

    t0 = time.time()  # wall clock, comparable with the worker's finished_at on this machine
    job = create_job("transcribe", document.collection, document=document, user=user,
                     params={"model": model.pk, "batch_size": ARGS.batch_size, "pages_per_batch": ARGS.pages_per_batch,
                             "overlap": not ARGS.no_overlap})
    while True:
        job = Job.objects.get(pk=job.pk)
        if job.state in FINAL_STATES:
            break
        time.sleep(0.25)  # light polling: this process shares the CPU with the worker
    end_to_end = job.finished_at.timestamp() - t0  # the row's own time, not the polling interval
    if job.state != "succeeded":
        raise SystemExit(f"job {job.pk} {job.state}: {job.error}")
    return job, end_to_end


def prepare_bare(document, model, threads: int):
    """The recognizer in this process and the same line crops the job reads."""
    import torch

    from archive.models import Page
    from inscription.services.line_images import page_image, page_line_crops
    from models_ml.htr.api import load_recognizer

    torch.set_num_threads(threads)
    if not ARGS.no_malloc_tuning:  # like for like: the allocator settings a worker (and the CLI) runs with
        from models_ml.runtime import keep_freed_memory

        keep_freed_memory()
    rec = load_recognizer(model.path, "cpu")
    crops, per_page = [], []
    for page in Page.objects.filter(document=document).order_by("order"):
        image = page_image(page)
        page_crops = page_line_crops(image, list(page.lines.order_by("order", "id")))
        crops += page_crops
        per_page.append(len(page_crops))
    rec.recognize(crops[:4], batch_size=ARGS.batch_size)  # warm-up
    return rec, crops, per_page


def bare_forward(rec, crops, per_page: list[int] | None = None) -> float:
    """recognize() on all crops at once, or (per_page given) in the job's own batches of pages."""
    from inscription.tasks.lines import ramped_chunks

    t0 = time.perf_counter()
    if per_page is None:
        rec.recognize(crops, batch_size=ARGS.batch_size)
    else:
        start = 0
        for pages in ramped_chunks(per_page, ARGS.pages_per_batch):
            n = sum(pages)
            rec.recognize(crops[start: start + n], batch_size=ARGS.batch_size)
            start += n
    return time.perf_counter() - t0


def bare_split(rec, crops) -> tuple[float, float]:
    """The same call cut in two: preprocessing, then forward + decode (what the worker's main thread runs)."""
    t0 = time.perf_counter()
    prepared = rec.prepare(crops)
    t1 = time.perf_counter()
    rec.recognize_prepared(prepared, batch_size=ARGS.batch_size)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    setup_django()
    from django.conf import settings

    from inscription.services.job_params import DEFAULT_PAGES_PER_BATCH

    ARGS.pages_per_batch = ARGS.pages_per_batch or DEFAULT_PAGES_PER_BATCH

    from jobs.services.models import register_model_dir
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
            queued = (job.started_at - job.created_at).total_seconds()
            rounds.append({"task": task, "e2e": end_to_end, "queued": queued, "worker": job.result["seconds"], "lines": job.result["lines"],
                           "bare": bare_forward(rec, crops), "bare_batched": bare_forward(rec, crops, per_page),
                           "split": bare_split(rec, crops)})
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    report(rounds, n, model)


def report(rounds: list[dict], n: int, model) -> None:  # noqa: ANN001
    """Median and best of the rounds, side by side; the overhead figures from both."""
    from django.conf import settings
    from django.db import connection

    def figure(get) -> tuple[float, float]:  # noqa: ANN001
        values = [get(r) for r in rounds]
        return statistics.median(values), min(values)

    print(f"database {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, model {model} "
          f"({Path(model.path).name}), device cpu, torch threads {ARGS.threads}, batch {ARGS.batch_size}, "
          f"pages per batch {ARGS.pages_per_batch} (ramped 1, 2, 4 …), overlap {'off' if ARGS.no_overlap else 'on'}, "
          f"malloc tuning {'off' if ARGS.no_malloc_tuning else 'on'}; load average {os.getloadavg()[0]:.2f}")
    print(f"{ARGS.pages} pages, {n} lines per job (job wrote {rounds[-1]['lines']}); {ARGS.rounds} interleaved rounds")
    print(f"{'':48}{'median s':>10}{'ms/line':>9}{'best s':>9}{'ms/line':>9}")
    rows = (  # (label, the round's figure)
        ("job, end to end (create → finished_at)", lambda r: r["e2e"]),
        ("job, task (started → finished)", lambda r: r["task"]),
        ("  queued (created → started)", lambda r: r["queued"]),
        ("  in worker: waiting for pages (open+prepare)", lambda r: r["worker"]["images"]),
        ("  in worker: forward + decode", lambda r: r["worker"]["forward"]),
        ("    of which on the CPU (main thread)", lambda r: r["worker"]["forward_cpu"]),
        ("  in worker: waiting for DB writes", lambda r: r["worker"]["write"]),
        ("  (writer thread busy, overlapped)", lambda r: r["worker"]["writer_busy"]),
        ("bare recognize(), all lines at once", lambda r: r["bare"]),
        ("  of which preprocess", lambda r: r["split"][0]),
        ("  of which forward + decode", lambda r: r["split"][1]),
        ("bare recognize(), in the job's batches", lambda r: r["bare_batched"]),
    )
    for label, get in rows:
        median, best = figure(get)
        print(f"{label:48}{median:10.3f}{1000 * median / n:9.2f}{best:9.3f}{1000 * best / n:9.2f}")

    def overhead(job_key: str, bare) -> str:  # noqa: ANN001
        (jm, jb), (bm, bb) = figure(lambda r: r[job_key]), figure(bare)
        return f"median {100 * (jm / bm - 1):+.1f}%, best {100 * (jb / bb - 1):+.1f}%"

    def bare_all(r: dict) -> float:
        return r["bare"]

    print(f"JOB OVERHEAD vs bare recognize() all at once: end to end {overhead('e2e', bare_all)}; "
          f"task {overhead('task', bare_all)}")
    paired = sorted(100 * (r["e2e"] / r["bare"] - 1) for r in rounds)  # each round's job against its own bare run
    print(f"  per round, end to end vs that round's bare run: median {statistics.median(paired):+.1f}% "
          f"({', '.join(f'{p:+.1f}' for p in paired)})")
    print(f"job overhead vs bare recognize() in the job's batches: end to end "
          f"{overhead('e2e', lambda r: r['bare_batched'])}")
    print(f"job overhead vs bare forward + decode only (preprocessing counted as overhead): end to end "
          f"{overhead('e2e', lambda r: r['split'][1])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8, help="the job's CPU default")
    parser.add_argument("--pages-per-batch", type=int, default=None,
                        help="default: the job's own (inscription.services.job_params.DEFAULT_PAGES_PER_BATCH)")
    parser.add_argument("--no-overlap", action="store_true", help="job parameter overlap=false (stages in sequence)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-malloc-tuning", action="store_true",
                        help="glibc's default mmap threshold in the worker and here (WORKER_MALLOC_TUNING=0)")
    ARGS = parser.parse_args()
    main()
