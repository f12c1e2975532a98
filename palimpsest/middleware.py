"""Edge middleware: refuse unstorable text before any view, and answer JSON for API failures.

Why at the edge: one lone surrogate stored in a JSON field made every later read of that row
a 500 for everyone, and a NUL in a slug or title is a 500 on PostgreSQL. Checking the path,
the query string, form fields and JSON bodies once here covers every endpoint, including
those added later.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from palimpsest.textguard import bad_text, find_problem

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "application/ld+json")


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """The documented error shape for the API; a plain text answer for the pages."""
    if is_api(request):
        return JsonResponse({"error": {"code": code, "message": message, "detail": None}}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _content_type(request: HttpRequest) -> str:
    return (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()


class InputGuardMiddleware:
    """400 ``invalid_text`` for NUL / lone surrogates in path, query, form fields or JSON body; too-deep JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem:
            return error_response(request, 400, "invalid_text", f"The request was refused: {problem}.")
        return self.get_response(request)

    def problem(self, request: HttpRequest) -> str | None:
        if bad_text(request.path):
            return "its path contains a NUL character or invalid Unicode"
        for key, values in request.GET.lists():
            if bad_text(key) or any(bad_text(v) for v in values):
                return f"the query parameter {key!r} contains a NUL character or invalid Unicode"
        if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return None
        ctype = _content_type(request)
        if ctype in JSON_TYPES or ctype.endswith("+json"):
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if not length or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return None  # Django refuses an oversized body itself
            try:
                data = json.loads(request.body)
            except RecursionError:
                return "its JSON is nested too deeply"
            except ValueError:
                return None  # the parser answers its own 400 for malformed JSON
            return find_problem(data)
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                if bad_text(key) or any(bad_text(v) for v in values):
                    return f"the form field {key!r} contains a NUL character or invalid Unicode"
        return None


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response (no inline or eval'd scripts; settings.CONTENT_SECURITY_POLICY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
