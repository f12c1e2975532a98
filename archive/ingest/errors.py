"""The error of ingest: a stable machine code and a message a curator can act on (a domain error like any other)."""
from __future__ import annotations

from palimpsest.errors import InputError


class IngestError(InputError):
    """A file that cannot be ingested. ``code`` is stable (documented in docs/ingest.md)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message, code=code, status_code=status)
        self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
