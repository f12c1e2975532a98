"""Sweep blob files that no row points at (left by a web server killed mid-ingest, or a crash).

Why a sweep and not only cleanup on failure: an ingest writes its files before its short write
transaction, and a process killed between the two never runs its cleanup. A file with no
ImageBlob row that is older than ``older_than`` seconds (a day by default, so an ingest in
progress is never touched) is deleted; so are thumbnails of images that are gone, and staged
uploads (``staging/``) that no unfinished ingest or import job still needs.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from archive.models import ImageBlob

log = logging.getLogger(__name__)
DEFAULT_AGE = 24 * 3600


@dataclass
class GcResult:
    scanned: int = 0
    deleted: list[str] = field(default_factory=list)
    kept_young: int = 0


def _walk(folder: str) -> Iterator[str]:
    if not default_storage.exists(folder):
        return
    dirs, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(f"{folder}/{sub}")


def gc_blobs(older_than: float = DEFAULT_AGE, dry_run: bool = False) -> GcResult:
    """Delete blob files and thumbnails without a row, older than ``older_than`` seconds."""
    result = GcResult()
    cutoff = timezone.now() - timedelta(seconds=older_than)
    for folder in ("blobs", "thumbs"):
        for name in _walk(folder):
            result.scanned += 1
            if folder == "blobs":
                linked = ImageBlob.objects.filter(file=name).exists()
            else:  # thumbs/ab/cd/<sha256>-<size>.jpg
                linked = ImageBlob.objects.filter(pk=name.rsplit("/", 1)[-1].split("-", 1)[0]).exists()
            if not linked:
                _delete_if_old(name, cutoff, dry_run, result)
    _sweep_staging(cutoff, dry_run, result)
    if result.deleted:
        log.warning("gc_blobs: %s %d orphan file(s)", "would delete" if dry_run else "deleted", len(result.deleted))
    return result


def _sweep_staging(cutoff, dry_run: bool, result: GcResult) -> None:
    """Staged uploads (``staging/``) that no unfinished job names, older than the cutoff: a job that was
    cancelled before it started, or a web server killed between staging and queueing, left them."""
    from jobs.models import FINAL_STATES, Job

    wanted = set()
    for params in Job.objects.exclude(state__in=FINAL_STATES).filter(kind__in=("ingest", "import")).values_list(
            "parameters", flat=True):
        params = params or {}
        wanted.update(f.get("staged") for f in params.get("files") or [] if isinstance(f, dict))
        wanted.add(params.get("staged"))
    for name in _walk("staging"):
        result.scanned += 1
        if name not in wanted:
            _delete_if_old(name, cutoff, dry_run, result)


def _delete_if_old(name: str, cutoff, dry_run: bool, result: GcResult) -> None:  # noqa: ANN001
    """Delete an unlinked file last changed before ``cutoff`` (a younger one may belong to a write in flight)."""
    try:
        modified = default_storage.get_modified_time(name)
    except (OSError, NotImplementedError):
        return
    if modified > cutoff:
        result.kept_young += 1
        return
    if not dry_run:
        default_storage.delete(name)
    result.deleted.append(name)
