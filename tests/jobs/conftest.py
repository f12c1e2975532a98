"""A REAL Celery worker process for job tests, on the test database and the configured broker.

Broker: Redis when REDIS_URL is set, else the filesystem transport under PALIMPSEST_VAR_DIR.
Database: PostgreSQL (DATABASE_URL pointing at the test database pytest-django created) or
the SQLite test file (PALIMPSEST_DB_NAME). Queues are purged before each test.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def test_database_env() -> dict[str, str]:
    """Environment that makes a separate process open the database this test uses."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"PALIMPSEST_DB_NAME": str(s["NAME"]), "DATABASE_URL": ""}
    user, password = quote(s["USER"] or "", safe=""), quote(s["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return {"DATABASE_URL": f"postgres://{auth}{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"}


def purge_queues() -> None:
    """Empty gpu/io (and, on Redis, the unacked messages of killed workers of earlier tests)."""
    from palimpsest.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("gpu", "io"):
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue that was never declared has nothing to purge
                pass
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for pattern in ("unacked*", "gpu*", "io*", "_kombu.binding.*"):  # bindings are re-declared by the worker
            for key in client.scan_iter(pattern):
                client.delete(key)


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc, self.log = proc, log

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), like a machine dying."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path) -> Callable[..., Worker]:
    """start_worker(name, pool, include) → a running worker (waits for "ready"); all are stopped at teardown."""
    settings.MODEL_STORE = tmp_path / "model_store"
    purge_queues()
    workers: list[Worker] = []

    def start(name: str = "w", pool: str = "prefork", extra_env: dict[str, str] | None = None,
              include: tuple[str, ...] = ()) -> Worker:
        """``extra_env`` overrides the worker's settings (e.g. a private REDIS_URL, the real visibility timeout);
        ``include``: extra task modules the worker imports (``celery worker -I``), e.g. a test's own task."""
        env = dict(os.environ)
        env.update(test_database_env())
        env.update({
            "DJANGO_SETTINGS_MODULE": "palimpsest.settings",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "MODEL_STORE": str(settings.MODEL_STORE),
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "JOB_HEARTBEAT_SECONDS": "1",
            "JOB_STALE_SECONDS": "6",
            "WORKER_TORCH_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra_env or {})
        if not env["DATABASE_URL"]:
            env.pop("DATABASE_URL")
        log = tmp_path / f"worker-{name}-{len(workers)}.log"
        cmd = [str(CELERY), "-A", "palimpsest", "worker", "-Q", "gpu,io", "--concurrency", "1", "-P", pool,
               "--loglevel", "INFO", "-n", f"test-{name}-{os.getpid()}-{len(workers)}@%h",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if include:
            cmd += ["-I", ",".join(include)]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        worker = Worker(proc, log)
        workers.append(worker)
        deadline = time.monotonic() + 180
        while "ready." not in worker.output():
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}:\n{worker.output()[-4000:]}")
            if time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"worker not ready after 180 s:\n{worker.output()[-4000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    purge_queues()


def wait_for(predicate: Callable[[], object], timeout: float = 300, interval: float = 0.1, what: str = "condition",
             worker: Worker | None = None) -> object:
    """Poll until predicate() is truthy (no timing assertion: a generous ceiling only guards against hangs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            log = worker.output()[-6000:] if worker else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        time.sleep(interval)


def job_state(job_id: int):
    from jobs.models import Job

    return Job.objects.get(pk=job_id)


def final_job(job_id: int, worker: Worker | None = None, timeout: float = 600):
    from jobs.models import FINAL_STATES

    return wait_for(lambda: (j := job_state(job_id)).state in FINAL_STATES and j, timeout=timeout, interval=0.5,
                    what=f"job {job_id} to finish", worker=worker)


WORDS = tuple(
    ("It was the best of times it was the worst of times it was the age of wisdom it was the age of foolishness "
     "we had everything before us we had nothing before us the letters arrived on Tuesday and were read aloud "
     "in the kitchen by my grandmother who kept them in a tin box under the stairs for forty years").split()
) * 40


def render_pages(n: int, lines_per_page: int, seed: int = 7, width: int = 900):
    """n synthetic handwritten pages as (PIL image, [PageLine]) with ground-truth line polygons."""
    import numpy as np

    from models_ml.synth.pages import render_page
    from models_ml.synth.sources import fonts_for

    rng = np.random.default_rng(seed)
    fonts = fonts_for("train")
    return [render_page(rng, fonts, WORDS, width=width, height=140 + 75 * lines_per_page, max_lines=lines_per_page, max_skew=0)
            for _ in range(n)]


def add_pages(document, rendered, with_lines: bool = True):
    """Pages in the archive from rendered pages; with_lines adds their ground-truth line geometry (source=import)."""
    from archive.models import GeometrySource, Line
    from tests.inscription.helpers import make_page

    pages = []
    for order, (image, page_lines) in enumerate(rendered):
        page = make_page(document, image, order=order)
        if with_lines:
            Line.objects.bulk_create(
                Line(page=page, polygon=[list(p) for p in ln.polygon], baseline=[list(p) for p in ln.baseline], order=i,
                     source=GeometrySource.IMPORT)
                for i, ln in enumerate(page_lines)
            )
        pages.append(page)
    return pages


_MODEL_DIR: dict[str, Path] = {}


def recognizer_dir(tmp_root: Path) -> Path:
    """The shipped recognizer when it is there, else a small randomly initialised one (same code path)."""
    from models_ml import registry

    shipped = registry.default_model_dir()
    if (shipped / registry.WEIGHTS).exists():
        # A snapshot: the shipped directory may be re-exported while tests run (training in progress).
        if "shipped" not in _MODEL_DIR:
            for _ in range(10):
                copy = tmp_root / f"htr-default-snapshot-{time.monotonic_ns()}"
                shutil.copytree(shipped, copy)
                try:
                    registry.verify(copy)
                except registry.ModelError:
                    time.sleep(1)  # caught between writing the weights and the card
                    continue
                _MODEL_DIR["shipped"] = copy
                break
        if "shipped" in _MODEL_DIR:
            return _MODEL_DIR["shipped"]
    if "tiny" not in _MODEL_DIR:
        from models_ml.htr.train import TrainConfig, base_card, new_model

        model, charset = new_model(32, lstm_hidden=64)
        card = base_card(model.cfg, charset, TrainConfig(), "htr-test-random", {"source": "random initialisation (tests)"},
                         None, "tests/jobs/conftest.py")
        out = tmp_root / "htr-test-random"
        registry.save_model_dir(out, model.state_dict(), card)
        _MODEL_DIR["tiny"] = out
    return _MODEL_DIR["tiny"]


@pytest.fixture
def htr_model(db, tmp_path_factory):
    """A registered recognizer ModelVersion (its weights on disk)."""
    from jobs.services.models import register_model_dir

    model, _ = register_model_dir(recognizer_dir(tmp_path_factory.getbasetemp()))
    return model


@pytest.fixture
def scan_document(collection, users):
    from archive.models import Document

    return Document.objects.create(collection=collection, title="Synthetic letters", created_by=users["owner"])
