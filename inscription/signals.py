"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from __future__ import annotations

import logging
import threading
import time

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from inscription import annotation_signals  # noqa: F401,E402 - re-anchors annotations on new inscription versions

log = logging.getLogger(__name__)
_SWEEPER_STOP = threading.Event()


@worker_process_init.connect(dispatch_uid="inscription.pin_torch_threads")
def pin_torch_threads(**kwargs) -> None:
    """Each prefork worker process gets its own fixed torch thread count (solo pools call it from the task)."""
    from inscription.worker import configure_torch

    configure_torch()


def _sweep_orphans(already: dict) -> None:
    """Re-send running jobs whose holder is dead, and queued jobs whose message the broker lost (the outbox)."""
    from django.db import connections

    from inscription.dispatch import dispatch_queued_jobs
    from inscription.runner import recover_orphaned_jobs

    try:
        resent = recover_orphaned_jobs(already=already)
        if resent:
            log.warning("re-sent orphaned jobs %s", resent)
        dispatch_queued_jobs()
    except Exception:  # noqa: BLE001 - a failed sweep (broker or database away) is retried on the next one
        log.warning("job sweep failed; retried in the next one", exc_info=True)
    finally:
        connections.close_all()  # never share a connection with forked pool processes


def _gc_blobs() -> None:
    """The periodic orphan-blob sweep (manage.py gc_blobs does the same by hand)."""
    from django.db import connections

    from archive.services.blob_gc import gc_blobs

    try:
        gc_blobs()
    except Exception:  # noqa: BLE001 - retried at the next period
        log.warning("blob sweep failed", exc_info=True)
    finally:
        connections.close_all()


def _sweep_forever(already: dict, every: float, stop: threading.Event) -> None:
    from django.conf import settings

    gc_every = float(getattr(settings, "BLOB_GC_SECONDS", 0) or 0)
    last_gc = 0.0
    while not stop.wait(every):
        _sweep_orphans(already)
        if gc_every and time.monotonic() - last_gc >= gc_every:
            last_gc = time.monotonic()
            _gc_blobs()


@worker_ready.connect(dispatch_uid="inscription.recover_orphaned_jobs")
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


@worker_shutdown.connect(dispatch_uid="inscription.stop_orphan_sweeper")
def stop_sweeper(**kwargs) -> None:
    _SWEEPER_STOP.set()
