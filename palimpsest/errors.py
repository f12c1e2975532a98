"""Domain errors: plain Python exceptions every app raises, with a stable code and a plain message.

Why plain: services, tasks and commands are not HTTP code; they say what went wrong and let
each interface translate it once: ``palimpsest/api_errors.py`` for the REST API (one JSON
shape), ``web/access.py`` for the curator pages (a message, 404 or 403). Each app defines its
own subclasses (``archive/errors.py``, ``jobs/errors.py``, ...) where a caller needs to tell
them apart; ``status_code`` is the HTTP class an interface should use (400 unless said).
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the domain errors: ``code`` is stable (clients match on it), ``message`` is for people."""

    status_code = 400
    default_code = "invalid_input"

    def __init__(self, message: str = "", code: str | None = None, detail: Any = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message or self.default_message()
        self.code = code or self.default_code
        self.extra = detail
        if status_code:
            self.status_code = status_code

    def default_message(self) -> str:
        return "Invalid input."

    def get_codes(self) -> str:
        """The code (the name DRF's exceptions use, kept for callers written against them)."""
        return self.code

    def __str__(self) -> str:
        return self.message


class InputError(DomainError):
    """Bad input the caller can fix: 400 (or the status given, e.g. 409 for a conflict with the stored state)."""


class NotFound(DomainError):
    """The object does not exist, or the caller may not know it exists: 404."""

    status_code = 404
    default_code = "not_found"

    def default_message(self) -> str:
        return "Not found."


class Forbidden(DomainError):
    """The caller may see the object but not do this: 403."""

    status_code = 403
    default_code = "permission_denied"

    def default_message(self) -> str:
        return "You do not have permission to perform this action."
