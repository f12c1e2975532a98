"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from __future__ import annotations

import logging

from celery.signals import worker_process_init, worker_ready

from inscription import annotation_signals  # noqa: F401,E402 - re-anchors annotations on new inscription versions

log = logging.getLogger(__name__)


@worker_process_init.connect(dispatch_uid="inscription.pin_torch_threads")
def pin_torch_threads(**kwargs) -> None:
    """Each prefork worker process gets its own fixed torch thread count (solo pools call it from the task)."""
    from inscription.worker import configure_torch

    configure_torch()


@worker_ready.connect(dispatch_uid="inscription.recover_orphaned_jobs")
def recover_jobs_on_start(**kwargs) -> None:
    """A starting worker re-sends jobs whose worker died (the filesystem broker cannot redeliver them)."""
    from django.conf import settings
    from django.db import connections

    from inscription.runner import recover_orphaned_jobs

    recover = getattr(settings, "JOB_RECOVER_ON_START", None)
    if recover is None:
        recover = str(settings.CELERY_BROKER_URL).startswith("filesystem")
    if not recover:
        return
    try:
        resent = recover_orphaned_jobs()
        if resent:
            log.warning("re-sent orphaned jobs %s", resent)
    finally:
        connections.close_all()  # never share a connection with forked pool processes
