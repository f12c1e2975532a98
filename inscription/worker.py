"""Worker-process set-up for the ML tasks: torch threads, device. Imported only inside workers."""
from __future__ import annotations

_configured = False


def configure_torch() -> str:
    """Pin torch's CPU threads once per process (settings.WORKER_TORCH_THREADS or 1); return the device."""
    global _configured
    import torch
    from django.conf import settings

    if not _configured:
        if not torch.cuda.is_available():
            torch.set_num_threads(max(1, int(settings.WORKER_TORCH_THREADS or 1)))
        else:
            torch.backends.cudnn.benchmark = True
        _configured = True
    return "cuda" if torch.cuda.is_available() else "cpu"
