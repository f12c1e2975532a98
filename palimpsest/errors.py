"""One JSON error shape for the whole API.

Every error body is ``{"error": {"code": str, "message": str, "detail": any}}`` so
clients can rely on it whatever raised the error.
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
from rest_framework.views import exception_handler

log = logging.getLogger(__name__)


class InputError(exceptions.APIException):
    """Bad input the client can fix: 400 with a stable code and a plain message."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_input"

    def __init__(self, message: str, code: str | None = None, detail: Any = None, status_code: int | None = None):
        super().__init__(message, code or self.default_code)
        self.message = message
        self.extra = detail
        if status_code:
            self.status_code = status_code


def _message_from(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _message_from(value)
            return inner if key in ("detail", "non_field_errors") else f"{key}: {inner}"
        return "Invalid input."
    if isinstance(detail, list):
        return _message_from(detail[0]) if detail else "Invalid input."
    return str(detail)


class ServiceUnavailable(exceptions.APIException):
    """The database (or another service the request needs) is away: nothing was kept, try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    retry_after = 10


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
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, InputError):
        body = {"code": exc.get_codes(), "message": exc.message, "detail": exc.extra}
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "invalid"
        body = {"code": code, "message": _message_from(response.data), "detail": response.data}
    response.data = {"error": body}
    return response
