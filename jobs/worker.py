"""Worker-process set-up for the ML tasks: torch threads, device, allocator. Imported only inside workers."""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

_configured = False


def lower_cpu_priority(target: int) -> int:
    """Lower this process's CPU priority to nice ``target`` unless it is already lower; return the nice value.

    A job reads pages for minutes; a curator waits on a request for a fraction of a second. On a shared
    machine the scheduler then gives the web server the CPU first and the job what is left.
    """
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if target > current:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, min(19, target))
        except OSError:  # pragma: no cover - lowering one's own priority is always allowed on Linux
            log.info("could not lower the worker's CPU priority to nice %s", target)
    return os.getpriority(os.PRIO_PROCESS, 0)


def configure_torch() -> str:
    """Once per process: lower the CPU priority (settings.WORKER_NICE), keep freed memory for reuse
    (settings.WORKER_MALLOC_TUNING), pin torch's CPU threads (settings.WORKER_TORCH_THREADS or 1);
    return the device."""
    global _configured
    import torch
    from django.conf import settings

    from models_ml.runtime import keep_freed_memory

    if not _configured:
        lower_cpu_priority(int(getattr(settings, "WORKER_NICE", 0) or 0))
        if getattr(settings, "WORKER_MALLOC_TUNING", True) and not keep_freed_memory():
            log.info("glibc's mallopt is missing or refused the settings: large buffers are mapped and unmapped per batch")
        if not torch.cuda.is_available():
            torch.set_num_threads(max(1, int(settings.WORKER_TORCH_THREADS or 1)))
        else:
            torch.backends.cudnn.benchmark = True
        _configured = True
    return "cuda" if torch.cuda.is_available() else "cpu"
