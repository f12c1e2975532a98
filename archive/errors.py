"""The archive's domain errors (plain Python; palimpsest/api_errors.py and web/access.py translate them)."""
from __future__ import annotations

from archive.ingest.errors import IngestError
from palimpsest.errors import Forbidden, InputError, NotFound

__all__ = ["CollectionHidden", "IngestError", "InputError", "RoleTooLow"]


class CollectionHidden(NotFound):
    """The user cannot read the collection: it is answered as if it did not exist."""


class RoleTooLow(Forbidden):
    """The user can read the collection but their role does not allow this action."""
