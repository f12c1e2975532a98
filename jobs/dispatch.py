"""The job outbox: the Job row is the truth, the broker message is only a notification.

Why: with Redis down (or restarted without persistence) a message can fail to go out or be
lost in the broker; the job then stayed "queued" forever. A job is created in one short
transaction and its message is sent after commit (``send_after_commit``); a failure to send is
logged, not raised, because the row is kept. Every worker's sweeper then calls
``dispatch_queued_jobs``: each queued job whose message is neither waiting in the broker nor
held by a worker is sent again, under its own task id. A message that is in fact still on its
way is harmless twice over: the runner ignores a delivery for a final job and defers one whose
holder is alive.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jobs.models import Job, JobState

log = logging.getLogger(__name__)
QUEUES = ("gpu", "io")


def send(job_id: int, task_name: str, task_id: str) -> bool:
    """Publish one job's message; False (logged) when the broker cannot take it now."""
    from palimpsest.celery import app

    try:
        app.send_task(task_name, args=[job_id], task_id=task_id,
                      retry_policy=getattr(settings, "JOB_PUBLISH_RETRY_POLICY", None))
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise many kinds; the row is the truth
        log.warning("job %s: the broker did not take its message (%s); the dispatcher sends it later", job_id, exc)
        return False
    return True


def _ids_of(raw_messages) -> set[str]:  # noqa: ANN001 - iterable of bytes/str JSON
    ids = set()
    for raw in raw_messages:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if isinstance(data, list) and data:  # Redis "unacked": [message, exchange, routing key]
            data = data[0]
        task_id = (data.get("headers") or {}).get("id") if isinstance(data, dict) else None
        if task_id:
            ids.add(task_id)
    return ids


def pending_task_ids() -> set[str] | None:
    """Task ids the broker holds (waiting, or delivered and not yet acknowledged); None if unknown."""
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        raw = []
        for queue in QUEUES:
            for key in client.scan_iter(match=f"{queue}*"):
                if client.type(key) == b"list":
                    raw.extend(client.lrange(key, 0, -1))
        raw.extend(client.hvals("unacked"))
        return _ids_of(raw)
    if url.startswith("filesystem"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"])
        raw = []
        for path in folder.glob("*.msg"):
            try:
                raw.append(path.read_bytes())
            except OSError:  # taken by a worker while we looked
                continue
        return _ids_of(raw)
    return None


def dispatch_queued_jobs(grace_seconds: float | None = None) -> list[int]:
    """Send again every queued job older than ``grace_seconds`` whose message the broker does not hold."""
    grace = settings.JOB_DISPATCH_GRACE_SECONDS if grace_seconds is None else grace_seconds
    queued = list(Job.objects.filter(state=JobState.QUEUED, created_at__lt=timezone.now() - timedelta(seconds=grace))
                  .exclude(task_name="").values_list("pk", "task_name", "celery_task_id"))
    if not queued:
        return []
    pending = pending_task_ids()
    if pending is None:
        return []
    sent = []
    for job_id, task_name, task_id in queued:
        if task_id and task_id in pending:
            continue
        if send(job_id, task_name, task_id or None):
            sent.append(job_id)
    if sent:
        log.warning("dispatched queued jobs whose message the broker did not hold: %s", sent)
    return sent
