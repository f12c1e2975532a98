"""The task-side lifecycle of a Job: every background task runs through here.

Why one helper: the Job row is the truth about a background act, so every task must
mark it running (host, device, attempt), report progress, honour cooperative cancel,
and end it as succeeded / failed / cancelled in the same way. A redelivered task
(worker killed, ``acks_late`` + ``reject_on_worker_lost``) finds its job either still
running (it runs again; the task body must be idempotent) or already final (no-op).

Usage, for any engineer's task module (compare, export, import...)::

    from jobs.runner import JobRun, job_task

    @job_task(device="cpu")            # Celery name = "<module>.<function>", routed by settings
    def run_comparison(run: JobRun) -> dict:
        items = list(...)                               # run.job / run.params are the Job row
        run.progress(0, total=len(items), message="comparing")
        for i, item in enumerate(items, 1):
            run.check_cancelled()                       # raises JobCancelled -> state "cancelled"
            with transaction.atomic():                  # one unit of work per transaction
                ...
            run.progress(i)                             # one short UPDATE
        return {"comparison": comparison.pk}            # stored in Job.result, state "succeeded"

    # enqueue (web side): jobs.services.jobs.create_job(kind, collection, ..., task_name=...)
    # the task receives the job id: run_comparison.delay(job.pk)

Lease: the running worker records its host and pid and writes ``heartbeat_at`` every
``JOB_HEARTBEAT_SECONDS`` from a small thread. A redelivered message for a job whose
holder is alive (fresh heartbeat) is retried later instead of running twice; a job whose
holder is gone (dead pid on this host, or heartbeat older than ``JOB_STALE_SECONDS``) is
taken over. The filesystem broker cannot redeliver a message lost with a killed worker,
so a starting worker re-sends orphaned jobs (``recover_orphaned_jobs``).

Errors: an exception in the body marks the job failed with its text (a domain error, i.e. bad input
the job found, with its plain message and ``result["error"]`` = code/message/detail). Transient errors
(database ``OperationalError``/``InterfaceError``, Redis/kombu connection errors) are
retried by Celery's autoretry with exponential back-off; only when retries are
exhausted is the job marked failed. ``execute(job_id, fn)`` is the same lifecycle
without Celery (tests call it with ``task.body``).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from jobs.events import job_ended
from jobs.models import FINAL_STATES, Job, JobState
from palimpsest.errors import DomainError

log = logging.getLogger(__name__)


def _transient_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a pinned dependency
        pass
    from kombu.exceptions import OperationalError as KombuOperationalError

    errors.append(KombuOperationalError)
    return tuple(errors)


TRANSIENT_ERRORS = _transient_errors()
MAX_RETRIES = 5


class JobCancelled(Exception):
    """Raised by ``JobRun.check_cancelled`` when a cancel was requested; the helper ends the job as cancelled."""


class JobLeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop without touching the row."""


def _me() -> tuple[str, int]:
    return socket.gethostname()[:200], os.getpid()


def _pid_alive(pid: int) -> bool:
    """Is the process running? A killed worker whose parent died too stays a zombie until init reaps it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or it went meanwhile: what kill() said stands
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]  # state follows the parenthesised command name


def holder_alive(job: Job) -> bool:
    """Is the worker that holds this running job's lease still alive?"""
    if job.worker_pid is None:
        return False
    host, pid = _me()
    if job.worker_host == host and (job.worker_pid == pid or not _pid_alive(job.worker_pid)):
        return False  # our own process (it is not running the job now) or a dead one
    if job.heartbeat_at is None:
        return False
    return (timezone.now() - job.heartbeat_at).total_seconds() < settings.JOB_STALE_SECONDS


class _Heartbeat(threading.Thread):
    """Writes heartbeat_at while the job body runs, even during long steps without progress reports."""

    def __init__(self, job_id: int, host: str, pid: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.host, self.pid = job_id, host, pid
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=self.job_id, worker_host=self.host, worker_pid=self.pid,
                                       state=JobState.RUNNING).update(heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - a missed beat is not fatal
                    log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


class JobRun:
    """What a task body sees: its Job row, progress reporting and the cancel check."""

    def __init__(self, job: Job, task: Any = None) -> None:
        self.job = job
        self.task = task
        self.host, self.pid = _me()

    def _mine(self):
        return Job.objects.filter(pk=self.job.pk, worker_host=self.host, worker_pid=self.pid)

    @property
    def params(self) -> dict:
        return self.job.parameters or {}

    def progress(self, done: int | None = None, total: int | None = None, message: str | None = None) -> None:
        """Record progress with one short UPDATE (never a full save: the API may be reading the row)."""
        fields: dict[str, Any] = {}
        if done is not None:
            fields["progress_done"] = self.job.progress_done = max(0, int(done))
        if total is not None:
            fields["progress_total"] = self.job.progress_total = max(0, int(total))
        if message is not None:
            fields["progress_message"] = self.job.progress_message = message[:500]
        if fields:
            fields["heartbeat_at"] = timezone.now()
            self._mine().update(**fields)

    def set_device(self, device: str) -> None:
        """Record the device the work runs on (known once the model is loaded)."""
        self.job.device = device[:50]
        self._mine().update(device=self.job.device)

    def cancel_requested(self) -> bool:
        return bool(Job.objects.filter(pk=self.job.pk).values_list("cancel_requested", flat=True).first())

    def check_cancelled(self) -> None:
        """Call between batches / pages: stops the task cleanly if a cancel was requested (or the job was taken over)."""
        row = Job.objects.filter(pk=self.job.pk).values("cancel_requested", "worker_host", "worker_pid").first()
        if row is None:
            raise JobLeaseLost()
        if (row["worker_host"], row["worker_pid"]) != (self.host, self.pid):
            raise JobLeaseLost()
        if row["cancel_requested"]:
            raise JobCancelled()


class _LeaseHeld(Exception):
    """The job is running on a live worker: this delivery must wait, not run a second copy."""


def _begin(job_id: int, task: Any, device: str) -> Job | None:
    """Take the job's lease and mark it running (None when there is nothing to do)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            log.warning("job %s does not exist; task dropped", job_id)
            return None
        if job.state in FINAL_STATES:
            log.info("job %s is already %s; redelivery ignored", job_id, job.state)
            return None
        if job.state == JobState.RUNNING and holder_alive(job):
            raise _LeaseHeld()
        now = timezone.now()
        if job.cancel_requested:
            job.state, job.finished_at = JobState.CANCELLED, now
            job.progress_message = "cancelled before it started"
            job.save(update_fields=["state", "finished_at", "progress_message"])
            return None
        job.state = JobState.RUNNING
        job.started_at = job.started_at or now
        job.worker_host, job.worker_pid = _me()
        job.heartbeat_at = now
        job.device = (device or job.device)[:50]
        job.attempts += 1
        request_id = getattr(getattr(task, "request", None), "id", None)
        if request_id:
            job.celery_task_id = request_id
        job.save(update_fields=["state", "started_at", "worker_host", "worker_pid", "heartbeat_at", "device", "attempts",
                                "celery_task_id"])
        return job


def _finish(job_id: int, state: str, **fields: Any) -> None:
    """Write the final state if this process still holds the job and it is not final yet."""
    host, pid = _me()
    fields.update(state=state, finished_at=timezone.now(), heartbeat_at=timezone.now())
    if state == JobState.SUCCEEDED:
        total = Job.objects.filter(pk=job_id).values_list("progress_total", flat=True).first() or 0
        fields.setdefault("progress_done", total)
    ended = Job.objects.filter(pk=job_id, worker_host=host, worker_pid=pid).exclude(state__in=FINAL_STATES).update(**fields)
    if ended:
        _refresh_parent(job_id)


def _refresh_parent(job_id: int) -> None:
    """A child of a batch ended: tell the batch's owner (``job_ended``) so it sums the batch up again."""
    parent_id = Job.objects.filter(pk=job_id).values_list("parent_id", flat=True).first()
    if parent_id is None:
        return
    for receiver, outcome in job_ended.send_robust(sender=Job, job_id=job_id, parent_id=parent_id):
        if isinstance(outcome, Exception):  # the child's own end is recorded; readers refresh the batch again
            log.warning("job %s: its batch %s was not refreshed by %s: %s", job_id, parent_id, receiver, outcome)


def _release(job_id: int, message: str) -> None:
    """Give the lease back (before a retry) so the next delivery may run at once."""
    host, pid = _me()
    Job.objects.filter(pk=job_id, worker_host=host, worker_pid=pid, state=JobState.RUNNING).update(
        state=JobState.QUEUED, worker_pid=None, progress_message=message[:500]
    )


def execute(job_id: int, fn: Callable[[JobRun], dict | None], task: Any = None, device: str = "") -> str | None:
    """Run ``fn`` under the job lifecycle; return the final state (None when nothing ran)."""
    if not connection.in_atomic_block:  # a worker's stale connection; never close one a caller's transaction uses
        close_old_connections()
    try:
        job = _begin(job_id, task, device)
    except _LeaseHeld:
        if task is None:
            return None
        log.info("job %s is running on a live worker; this delivery waits", job_id)
        raise task.retry(countdown=settings.JOB_STALE_SECONDS, max_retries=(task.max_retries or 0) + 1000) from None
    if job is None:
        return None
    run = JobRun(job, task)
    heartbeat = _Heartbeat(job_id, run.host, run.pid)
    heartbeat.start()
    try:
        return _run_body(job_id, fn, run, task)
    finally:
        heartbeat.stop()


def _run_body(job_id: int, fn: Callable[[JobRun], dict | None], run: JobRun, task: Any) -> str | None:
    try:
        result = fn(run) or {}
    except JobLeaseLost:
        log.warning("job %s was taken over by another worker; this run stops", job_id)
        return None
    except JobCancelled:
        _finish(job_id, JobState.CANCELLED, progress_message="cancelled")
        log.info("job %s cancelled", job_id)
        return JobState.CANCELLED
    except TRANSIENT_ERRORS as exc:
        retries = getattr(getattr(task, "request", None), "retries", MAX_RETRIES)
        if task is not None and retries < getattr(task, "max_retries", MAX_RETRIES):
            log.warning("job %s: transient error (%s); Celery retries with back-off", job_id, exc)
            try:
                _release(job_id, f"transient error, retrying: {exc}")
            except TRANSIENT_ERRORS:
                pass
            raise  # autoretry_for re-enqueues the task
        _finish(job_id, JobState.FAILED, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        return JobState.FAILED
    except SoftTimeLimitExceeded:
        _finish(job_id, JobState.FAILED, error="time limit exceeded")
        return JobState.FAILED
    except DomainError as exc:  # bad input found by the job (a corrupt page, a refused URL): its message, no traceback
        log.info("job %s failed on its input: %s", job_id, exc.message)
        _finish(job_id, JobState.FAILED, error=exc.message,
                result={"error": {"code": exc.code, "message": exc.message, "detail": exc.extra}})
        return JobState.FAILED
    except Exception as exc:  # noqa: BLE001 - the job row records every failure
        log.exception("job %s failed", job_id)
        _finish(job_id, JobState.FAILED, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        return JobState.FAILED
    _finish(job_id, JobState.SUCCEEDED, result=result, progress_message="done")
    return JobState.SUCCEEDED


def job_task(name: str | None = None, device: str = "cpu", **celery_options: Any) -> Callable:
    """Decorator: ``fn(run: JobRun) -> dict`` becomes a Celery task taking ``job_id``.

    ``device="auto"`` asks torch (lazily) for CUDA; ML tasks may also call ``run.set_device``.
    """

    def wrap(fn: Callable[[JobRun], dict | None]) -> Any:
        task_name = name or f"{fn.__module__}.{fn.__name__}"
        options = {
            "autoretry_for": TRANSIENT_ERRORS,
            "retry_backoff": True,
            "retry_backoff_max": 300,
            "retry_jitter": True,
            "max_retries": MAX_RETRIES,
            **celery_options,
        }

        @shared_task(name=task_name, bind=True, **options)
        def task(self, job_id: int) -> str | None:
            return execute(job_id, fn, task=self, device=_resolve_device(device))

        task.__doc__ = fn.__doc__
        task.body = fn  # the plain function, for tests and inline runs
        return task

    return wrap


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover
        return "cpu"


def recover_orphaned_jobs(only_this_host: bool = False, already: dict[int, Any] | None = None) -> list[int]:
    """Re-send the task of every running job whose worker is gone; returns their ids.

    Needed with the filesystem broker (a message taken by a killed worker is lost); harmless
    with Redis (a duplicate delivery finds the job final, or waits for the lease). ``already``
    (job id → heartbeat when re-sent) lets a periodic sweep send each orphan once, not every pass.
    """
    from palimpsest.celery import app

    host, _ = _me()
    qs = Job.objects.filter(state=JobState.RUNNING).exclude(task_name="")
    if only_this_host:
        qs = qs.filter(worker_host=host)
    resent = []
    for job in qs:
        if holder_alive(job):
            continue
        if already is not None:
            if already.get(job.pk, object()) == job.heartbeat_at:
                continue  # sent on an earlier pass and nobody has taken it since: the message is waiting
            already[job.pk] = job.heartbeat_at
        app.send_task(job.task_name, args=[job.pk])
        resent.append(job.pk)
        log.warning("job %s: its worker is gone (host %s pid %s); task re-sent", job.pk, job.worker_host, job.worker_pid)
    return resent
