"""Password guessing is stopped: after LOGIN_FAILURE_LIMIT wrong passwords for one user from one
address within LOGIN_FAILURE_WINDOW seconds, every further attempt fails, the right password too,
until the window has passed.

Why an authentication backend: every password check goes through ``authenticate()`` (the
login page, the admin, the API token endpoint), so one place guards them all. A locked attempt
looks exactly like a wrong password, so the lock is no oracle either. Counts live in the cache
(Redis when configured, else a file cache shared by the web processes).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def _key(username: str | None, request: HttpRequest | None) -> str:
    address = (request.META.get("REMOTE_ADDR") if request is not None else "") or "-"
    digest = salted_hmac("palimpsest.login-guard", f"{(username or '').lower()}|{address}").hexdigest()[:32]
    return f"login-failures:{digest}"


def failures(username: str | None, request: HttpRequest | None) -> int:
    return int(cache.get(_key(username, request), 0))


class GuardedModelBackend(ModelBackend):
    """Django's password backend, refusing a user/address pair that failed too often lately."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # noqa: ANN001, ANN201 - Django API
        if username is None:
            username = kwargs.get(getattr(self, "username_field", "username"))
        key = _key(username, request)
        limit = int(getattr(settings, "LOGIN_FAILURE_LIMIT", 10))
        window = int(getattr(settings, "LOGIN_FAILURE_WINDOW", 900))
        if int(cache.get(key, 0)) >= limit:
            cache.set(key, int(cache.get(key, 0)) + 1, window)  # each try while locked keeps it locked
            raise PermissionDenied("too many failed sign-ins")  # authenticate() reports it as a failure
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, window)
        else:
            cache.delete(key)
        return user
