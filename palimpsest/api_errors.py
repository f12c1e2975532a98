"""One JSON error shape for the whole API, and the one place domain errors become DRF responses.

Every error body is ``{"error": {"code": str, "message": str, "detail": any}}`` so clients can
rely on it whatever raised the error (a domain error, DRF's own, or Django's).
"""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from palimpsest.errors import DomainError, InputError

log = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    """The database (or another service the request needs) is away: nothing was kept, try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    retry_after = 10


def _message_from(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _message_from(value)
            return inner if key in ("detail", "non_field_errors") else f"{key}: {inner}"
        return "Invalid input."
    if isinstance(detail, list):
        return _message_from(detail[0]) if detail else "Invalid input."
    return str(detail)


def json_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # A lost or locked database: the request could not be kept. 503 with a retry hint, not a 500.
        log.warning("request failed on the database: %s", exc)
        unavailable = ServiceUnavailable(f"The archive cannot keep this request right now; try again in "
                                         f"{ServiceUnavailable.retry_after} seconds.")
        response = Response({"error": {"code": "unavailable", "message": unavailable.detail, "detail": None}},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(ServiceUnavailable.retry_after)
        return response
    if isinstance(exc, DomainError):
        set_rollback()  # as DRF does for its own errors: nothing half-stored under ATOMIC_REQUESTS
        detail = exc.extra if exc.extra is not None or isinstance(exc, InputError) else {"detail": exc.message}
        body = {"code": exc.code, "message": exc.message, "detail": detail}
        return Response({"error": body}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = codes if isinstance(codes, str) else "invalid"
    response.data = {"error": {"code": code, "message": _message_from(response.data), "detail": response.data}}
    return response
