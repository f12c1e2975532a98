"""Worker-process set-up for the ML tasks: torch threads, device, allocator. Imported only inside workers."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_configured = False


def configure_torch() -> str:
    """Once per process: keep freed memory for reuse (settings.WORKER_MALLOC_TUNING), pin torch's CPU
    threads (settings.WORKER_TORCH_THREADS or 1); return the device."""
    global _configured
    import torch
    from django.conf import settings

    from models_ml.runtime import keep_freed_memory

    if not _configured:
        if getattr(settings, "WORKER_MALLOC_TUNING", True) and not keep_freed_memory():
            log.info("glibc's mallopt is missing or refused the settings: large buffers are mapped and unmapped per batch")
        if not torch.cuda.is_available():
            torch.set_num_threads(max(1, int(settings.WORKER_TORCH_THREADS or 1)))
        else:
            torch.backends.cudnn.benchmark = True
        _configured = True
    return "cuda" if torch.cuda.is_available() else "cpu"
