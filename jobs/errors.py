"""The jobs app's domain errors (plain Python; the interfaces translate them, see palimpsest/errors.py)."""
from __future__ import annotations

from palimpsest.errors import InputError


class UnknownJobKind(InputError):
    """No kind of that name is registered (jobs.kinds), or none runs this job."""

    default_code = "unknown_job_kind"


class JobIsFinal(InputError):
    """The job already ended: it cannot be cancelled (409, a conflict with the stored state)."""

    status_code = 409
    default_code = "job_final"
