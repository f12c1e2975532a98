"""The one error type of ingest: a stable machine code and a message a curator can act on."""
from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be ingested. ``code`` is stable (documented in docs/ingest.md)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
