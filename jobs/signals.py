"""Worker-process signal receivers of the jobs app (connected in JobsConfig.ready): torch threads, orphan sweep."""
from __future__ import annotations

import logging
import threading

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from jobs.events import worker_swept

log = logging.getLogger(__name__)
_SWEEPER_STOP = threading.Event()


@worker_process_init.connect(dispatch_uid="jobs.pin_torch_threads")
def pin_torch_threads(**kwargs) -> None:
    """Each prefork worker process gets its own fixed torch thread count (solo pools call it from the task)."""
    from jobs.worker import configure_torch

    configure_torch()


def _sweep_orphans(already: dict) -> None:
    """Re-send running jobs whose holder is dead, and queued jobs whose message the broker lost (the outbox)."""
    from django.db import connections

    from jobs.dispatch import dispatch_queued_jobs
    from jobs.runner import recover_orphaned_jobs

    try:
        resent = recover_orphaned_jobs(already=already)
        if resent:
            log.warning("re-sent orphaned jobs %s", resent)
        dispatch_queued_jobs()
    except Exception:  # noqa: BLE001 - a failed sweep (broker or database away) is retried on the next one
        log.warning("job sweep failed; retried in the next one", exc_info=True)
    finally:
        connections.close_all()  # never share a connection with forked pool processes


def _sweep_forever(already: dict, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        _sweep_orphans(already)
        for receiver, outcome in worker_swept.send_robust(sender=None):  # e.g. archive's periodic blob sweep
            if isinstance(outcome, Exception):
                log.warning("after-sweep work of %s failed: %s", receiver, outcome)


@worker_ready.connect(dispatch_uid="jobs.recover_orphaned_jobs")
def recover_jobs_on_start(**kwargs) -> None:
    """Every worker, on every broker, sweeps as it starts and then every JOB_SWEEP_SECONDS: a job whose holder
    died is re-sent once its heartbeat is stale (Redis would hold the killed worker's message until the
    visibility timeout, an hour), and queued jobs whose message never reached the broker or was lost
    with it are sent again. JOB_RECOVER_ON_START=0 turns the sweeper off."""
    from django.conf import settings

    if not getattr(settings, "JOB_RECOVER_ON_START", True):
        return
    already: dict = {}
    _sweep_orphans(already)
    every = max(0.5, float(settings.JOB_SWEEP_SECONDS))
    threading.Thread(target=_sweep_forever, args=(already, every, _SWEEPER_STOP), name="orphaned-job-sweeper",
                     daemon=True).start()


@worker_shutdown.connect(dispatch_uid="jobs.stop_orphan_sweeper")
def stop_sweeper(**kwargs) -> None:
    _SWEEPER_STOP.set()
