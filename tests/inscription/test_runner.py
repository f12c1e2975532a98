"""The job lifecycle helper, run inline (the worker-process behaviour is in tests/jobs)."""
from __future__ import annotations

import os
import socket

import pytest
from django.db import OperationalError
from django.utils import timezone

from jobs.models import Job, JobState
from jobs.runner import execute, holder_alive, recover_orphaned_jobs

pytestmark = pytest.mark.django_db(transaction=True)  # as in a worker: no surrounding test transaction


@pytest.fixture
def job(collection, users):
    return Job.objects.create(kind="compare", collection=collection, requested_by=users["curator"], task_name="x.y")


def test_success_records_host_device_attempts_progress_and_result(job):
    seen = {}

    def body(run):
        seen["running"] = Job.objects.get(pk=job.pk).state
        run.progress(0, total=4, message="start")
        for i in range(1, 5):
            run.check_cancelled()
            run.progress(i)
            seen.setdefault("progress", []).append(Job.objects.get(pk=job.pk).progress_done)
        return {"figures": 4}

    assert execute(job.pk, body, device="cpu") == JobState.SUCCEEDED
    job.refresh_from_db()
    assert seen == {"running": JobState.RUNNING, "progress": [1, 2, 3, 4]}
    assert job.state == JobState.SUCCEEDED and job.result == {"figures": 4} and job.attempts == 1
    assert job.worker_host == socket.gethostname() and job.worker_pid == os.getpid() and job.device == "cpu"
    assert job.started_at <= job.finished_at


def test_failure_keeps_the_error_text(job):
    def body(run):
        raise ValueError("no lines to read")

    assert execute(job.pk, body) == JobState.FAILED
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "ValueError: no lines to read" in job.error


def test_transient_error_without_retries_left_fails_the_job(job):
    def body(run):
        raise OperationalError("database went away")

    assert execute(job.pk, body) == JobState.FAILED  # no Celery task: no retry possible
    assert "OperationalError" in Job.objects.get(pk=job.pk).error


def test_cancel_requested_mid_way_ends_cancelled(job):
    def body(run):
        for i in range(10):
            if i == 3:
                Job.objects.filter(pk=job.pk).update(cancel_requested=True)
            run.check_cancelled()
            run.progress(i + 1)
        return {}

    assert execute(job.pk, body) == JobState.CANCELLED
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.progress_done == 3


def test_a_final_job_is_a_no_op_on_redelivery(job):
    calls = []
    assert execute(job.pk, lambda run: calls.append(1) or {"n": 1}) == JobState.SUCCEEDED
    assert execute(job.pk, lambda run: calls.append(2) or {"n": 2}) is None
    job.refresh_from_db()
    assert calls == [1] and job.result == {"n": 1} and job.attempts == 1


def test_a_job_cancelled_while_queued_never_runs(job):
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    assert execute(job.pk, lambda run: pytest.fail("must not run")) is None
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED


def test_a_live_lease_is_respected_and_a_dead_one_taken_over(job, settings):
    # held by another live process with a fresh heartbeat: this delivery must not run
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker_host="elsewhere", worker_pid=1,
                                         heartbeat_at=timezone.now())
    assert holder_alive(Job.objects.get(pk=job.pk))
    assert execute(job.pk, lambda run: pytest.fail("must not run twice")) is None
    assert recover_orphaned_jobs() == []
    # the heartbeat goes stale: the job is taken over, attempts counted
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timezone.timedelta(seconds=settings.JOB_STALE_SECONDS + 1))
    assert not holder_alive(Job.objects.get(pk=job.pk))
    assert execute(job.pk, lambda run: {"ok": True}) == JobState.SUCCEEDED
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_dead_process_on_this_host_releases_its_job_at_once(job):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker_host=socket.gethostname(), worker_pid=gone.pid,
                                         heartbeat_at=timezone.now(), attempts=1)
    assert not holder_alive(Job.objects.get(pk=job.pk))
    # Released at once: the next delivery takes the job over now (a fresh heartbeat does not hold it).
    assert execute(job.pk, lambda run: {"taken_over": True}) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == {"taken_over": True}
    assert job.worker_pid == os.getpid() and job.attempts == 2


def test_a_killed_worker_left_as_a_zombie_counts_as_dead(job):
    """SIGKILL the worker and its parent, and its pid lingers as a zombie until init reaps it: not alive."""
    import subprocess
    import sys
    import time

    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # not waited for: it stays a zombie of this process
    deadline = time.monotonic() + 30
    while open(f"/proc/{zombie.pid}/stat").read().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.05)
    try:
        Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker_host=socket.gethostname(),
                                             worker_pid=zombie.pid, heartbeat_at=timezone.now())
        assert not holder_alive(Job.objects.get(pk=job.pk))
    finally:
        zombie.wait()


def test_the_orphan_sweep_sends_each_orphan_once_until_someone_takes_it(job, settings, monkeypatch):
    from palimpsest.celery import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args: sent.append((name, args)))
    stale = timezone.now() - timezone.timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker_host="elsewhere", worker_pid=1, heartbeat_at=stale)
    already: dict = {}
    assert recover_orphaned_jobs(already=already) == [job.pk]
    assert recover_orphaned_jobs(already=already) == []  # the message sent on the last pass is still waiting
    # another worker took it (fresh heartbeat), then died too: the next pass that sees it stale sends it again
    Job.objects.filter(pk=job.pk).update(heartbeat_at=stale + timezone.timedelta(seconds=1))
    assert recover_orphaned_jobs(already=already) == [job.pk]
    assert sent == [("x.y", [job.pk]), ("x.y", [job.pk])]


def test_a_run_that_lost_its_lease_stops_without_touching_the_row(job):
    def body(run):
        Job.objects.filter(pk=job.pk).update(worker_host="rescuer", worker_pid=42)  # another worker took over
        run.check_cancelled()
        pytest.fail("must stop")

    assert execute(job.pk, body) is None
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.worker_host == "rescuer"
