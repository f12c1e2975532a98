"""Signal receivers of the archive (connected in ArchiveConfig.ready)."""
from __future__ import annotations

import logging
import time

from django.dispatch import receiver

from jobs.events import worker_swept

log = logging.getLogger(__name__)
_last_gc = [0.0]


@receiver(worker_swept, dispatch_uid="archive.gc_blobs")
def gc_blobs_now_and_then(sender, **kwargs) -> None:
    """The periodic orphan-blob sweep, every BLOB_GC_SECONDS of a worker's sweeps (manage.py gc_blobs does it by hand)."""
    from django.conf import settings
    from django.db import connections

    from archive.services.blob_gc import gc_blobs

    every = float(getattr(settings, "BLOB_GC_SECONDS", 0) or 0)
    if not every or time.monotonic() - _last_gc[0] < every:
        return
    _last_gc[0] = time.monotonic()
    try:
        gc_blobs()
    except Exception:  # noqa: BLE001 - retried at the next period
        log.warning("blob sweep failed", exc_info=True)
    finally:
        connections.close_all()
