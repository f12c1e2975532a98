"""Writes with rules behind them for imports and exports (the API, the web views and commands call these)."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from archive.models import Collection
from jobs.models import Job, JobKind
from jobs.services.jobs import create_job


def start_export(collection: Collection, user: AbstractBaseUser | None, base_url: str) -> Job:
    """Queue the collection zip export job (one io task writes the zip into the media store)."""
    return create_job(JobKind.EXPORT, collection, user=user, params={"base_url": base_url})
