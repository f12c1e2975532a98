"""Unguessable, expiring download links for collection exports.

Why: an export zip holds a whole private collection. Its storage name carries a keyed hash
(nobody can guess it from the job id and date), media is never served as a static tree, and
the download URL carries a signed key that expires after ``EXPORT_LINK_SECONDS``. The
collection role is still checked on download, so a leaked link is useless to a stranger.
"""
from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

_SALT = "palimpsest.export-download"


def export_file_name(job, filename: str | None = None) -> str:  # noqa: ANN001 - a Job
    """Storage name of the job's file (the collection zip unless ``filename`` is given): same for a
    redelivered task, unguessable without SECRET_KEY."""
    secret = salted_hmac("palimpsest.export-file", f"{job.pk}:{job.celery_task_id}").hexdigest()[:32]
    return f"exports/{job.pk}/{secret}/{filename or f'{job.collection.slug}-{timezone.now():%Y%m%d}.zip'}"


def download_key(job) -> str:  # noqa: ANN001
    """A signed, timestamped key for one export job."""
    return signing.TimestampSigner(salt=_SALT).sign(str(job.pk)).split(":", 1)[1]


def key_is_valid(job, key: str | None) -> bool:  # noqa: ANN001
    if not key:
        return False
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(f"{job.pk}:{key}", max_age=settings.EXPORT_LINK_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return value == str(job.pk)


def download_path(job) -> str:  # noqa: ANN001
    """The URL path (with its key) from which the job's zip can be downloaded."""
    path = reverse("collection-export-download", args=[job.collection.slug, job.pk])
    return f"{path}?key={download_key(job)}"
