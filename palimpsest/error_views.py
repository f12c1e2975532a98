"""Django's last-resort error views: JSON in the documented shape under /api/, HTML pages elsewhere.

Why: with DEBUG off, an unhandled exception in an API view went out as the HTML 500 page, so
clients could not parse it. A 500 says only what is certain: the request failed. Whether
anything was stored depends on where it failed, so it makes no promise about that.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from palimpsest.middleware import is_api

MESSAGES = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    500: ("server_error", "The server failed to complete the request. Check the result before trying again; "
                          "the operator's log has the details."),
}


def _json(status: int) -> JsonResponse:
    code, message = MESSAGES[status]
    return JsonResponse({"error": {"code": code, "message": message, "detail": None}}, status=status)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    return _json(400) if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    return _json(403) if is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    return _json(404) if is_api(request) else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    return _json(500) if is_api(request) else defaults.server_error(request)
