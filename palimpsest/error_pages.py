"""The project's own 400/403/404/500 pages, whatever DEBUG is.

Why a middleware: with DEBUG on, Django answers an unknown URL with its technical 404 page,
which lists every URL pattern of the site (and a crash with a traceback). Those pages are
for a developer's terminal, not for a curator's browser, and ``make run`` runs with DEBUG.
Django's technical pages carry ``<meta name="robots" content="NONE,NOARCHIVE">``; any HTML
error response that does is replaced here by the project's template (JSON under /api/).
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

TECHNICAL_MARK = b'content="NONE,NOARCHIVE"'
TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 500: "500.html"}
API_MESSAGES = {400: ("bad_request", "Bad request."), 403: ("permission_denied", "You do not have permission to do this."),
                404: ("not_found", "Not found."), 500: ("server_error", "The server could not complete the request.")}


def is_technical(response: HttpResponse) -> bool:
    """Is this one of Django's DEBUG pages (technical 404/500, CSRF failure)?"""
    if response.streaming or response.status_code < 400:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    return TECHNICAL_MARK in response.content[:4000]


def render_error(request: HttpRequest, status: int) -> HttpResponse:
    """The project's page for ``status`` (a JSON error body under /api/)."""
    if request.path.startswith("/api/"):
        code, message = API_MESSAGES.get(status, API_MESSAGES[400 if status < 500 else 500])
        return JsonResponse({"error": {"code": code, "message": message, "detail": None}}, status=status)
    name = TEMPLATES.get(status) or TEMPLATES[400 if status < 500 else 500]
    try:
        body = loader.render_to_string(name, {"request_path": request.path}, request=None if status >= 500 else request)
    except Exception:  # noqa: BLE001 - an error page must never fail in turn
        body = "<!doctype html><title>Error</title><h1>Something went wrong</h1>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class ErrorPagesMiddleware:
    """Replace Django's technical error pages by the project's own (see module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_technical(response):
            return render_error(request, response.status_code)
        if response.status_code == 404 and request.path.startswith("/api/") and \
                response.get("Content-Type", "").startswith("text/html"):
            return render_error(request, 404)  # an unknown API URL answers in the API's JSON shape
        return response
