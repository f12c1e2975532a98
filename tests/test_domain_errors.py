"""Domain errors are plain Python; the API and the web pages each translate them in one place."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.exceptions import APIException

from archive.errors import CollectionHidden, IngestError, RoleTooLow
from jobs.errors import JobIsFinal, UnknownJobKind
from palimpsest.api_errors import json_exception_handler
from palimpsest.errors import DomainError, InputError
from web.access import attempt

ERRORS = [InputError("bad", code="bad_thing"), IngestError("empty_file", "no pages", status=422), CollectionHidden(),
          RoleTooLow("viewers only read"), UnknownJobKind("no such kind"), JobIsFinal("already done")]


@pytest.mark.parametrize("exc", ERRORS, ids=lambda e: type(e).__name__)
def test_domain_errors_are_plain_python(exc) -> None:
    assert isinstance(exc, DomainError) and not isinstance(exc, APIException)
    assert exc.code and exc.message and str(exc) == exc.message


@pytest.mark.parametrize("exc, status, code", [
    (InputError("bad", code="bad_thing", detail={"field": "x"}), 400, "bad_thing"),
    (IngestError("empty_file", "no pages", status=422), 422, "empty_file"),
    (CollectionHidden(), 404, "not_found"),
    (RoleTooLow("viewers only read"), 403, "permission_denied"),
    (UnknownJobKind("no such kind"), 400, "unknown_job_kind"),
    (JobIsFinal("already done"), 409, "job_final"),
], ids=lambda v: getattr(v, "__name__", None) or type(v).__name__ if not isinstance(v, int | str) else str(v))
def test_the_api_maps_each_domain_error_to_its_status_and_the_one_shape(exc, status, code) -> None:
    response = json_exception_handler(exc, {})
    assert response.status_code == status
    assert set(response.data) == {"error"} and set(response.data["error"]) == {"code", "message", "detail"}
    assert response.data["error"]["code"] == code and response.data["error"]["message"] == exc.message


def _raise(exc: BaseException):
    raise exc


def test_the_web_pages_map_domain_errors_once() -> None:
    assert attempt(lambda: 7) == (7, None)
    assert attempt(_raise, InputError("The name is taken.", code="slug_taken")) == (None, "The name is taken.")
    assert attempt(_raise, IngestError("empty_file", "'a.zip' holds no pages.")) == (None, "'a.zip' holds no pages.")
    with pytest.raises(Http404):
        attempt(_raise, CollectionHidden())
    with pytest.raises(PermissionDenied):
        attempt(_raise, RoleTooLow("viewers only read"))
