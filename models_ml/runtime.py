"""Process-level settings for inference and training: the C allocator (glibc malloc).

Above glibc's mmap threshold every large buffer is a fresh ``mmap`` and a ``munmap``: a
batch's conv activations and a page's pixels alike. Every forward pass then page-faults its
memory in again, and, in a process with a loader or writer thread, each ``munmap`` interrupts
the recognizer's core to flush its TLB. Batches repeat the same shapes, so keeping freed
blocks for reuse removes that churn (the PyTorch CPU tuning guide's advice, done with glibc
itself instead of preloading another allocator).
"""
from __future__ import annotations

import ctypes
import ctypes.util

# glibc mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# 32 MiB is glibc's ceiling for the mmap threshold on 64-bit; a batch of lines is well under it.
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# Freed memory up to this much stays in the heap for the next batch instead of going back to the OS.
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Make glibc reuse large freed blocks in this process (once); False where malloc is not glibc's."""
    global _applied
    if _applied is not None:
        return _applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - present only in glibc (musl and macOS have no mallopt semantics)
    except (OSError, AttributeError):
        _applied = False
        return _applied
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied
