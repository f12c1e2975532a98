"""Worker-process signal receivers of the jobs app (connected in JobsConfig.ready): torch threads, orphan sweep."""
from __future__ import annotations

import logging
import threading

from celery.signals import worker_process_init, worker_ready, worker_shutdown

log = logging.getLogger(__name__)
_SWEEPER_STOP = threading.Event()


@worker_process_init.connect(dispatch_uid="jobs.pin_torch_threads")
def pin_torch_threads(**kwargs) -> None:
    """Each prefork worker process gets its own fixed torch thread count (solo pools call it from the task)."""
    from jobs.worker import configure_torch

    configure_torch()


def _sweep_orphans(already: dict) -> None:
    from django.db import connections

    from jobs.runner import recover_orphaned_jobs

    try:
        resent = recover_orphaned_jobs(already=already)
        if resent:
            log.warning("re-sent orphaned jobs %s", resent)
    except Exception:  # noqa: BLE001 - a failed sweep is retried on the next one; the worker keeps running
        log.warning("orphaned-job sweep failed", exc_info=True)
    finally:
        connections.close_all()  # never share a connection with forked pool processes


def _sweep_forever(already: dict, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        _sweep_orphans(already)


@worker_ready.connect(dispatch_uid="jobs.recover_orphaned_jobs")
def recover_jobs_on_start(**kwargs) -> None:
    """A worker re-sends jobs whose worker died (the filesystem broker cannot redeliver them): once as it
    starts, then every JOB_STALE_SECONDS, for a holder that only looks dead once its heartbeat goes stale."""
    from django.conf import settings

    recover = getattr(settings, "JOB_RECOVER_ON_START", None)
    if recover is None:
        recover = str(settings.CELERY_BROKER_URL).startswith("filesystem")
    if not recover:
        return
    already: dict = {}
    _sweep_orphans(already)
    every = max(1.0, float(settings.JOB_STALE_SECONDS))
    threading.Thread(target=_sweep_forever, args=(already, every, _SWEEPER_STOP), name="orphaned-job-sweeper",
                     daemon=True).start()


@worker_shutdown.connect(dispatch_uid="jobs.stop_orphan_sweeper")
def stop_sweeper(**kwargs) -> None:
    _SWEEPER_STOP.set()
