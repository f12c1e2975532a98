"""File decoding for ingest: what an uploaded file *is* (by its content) and what pages or text it holds.

Nothing in this package writes to the database; ``archive.services.ingest`` does, inside one
transaction per uploaded file. Decoders raise :class:`IngestError` with a stable code.
"""
from archive.ingest.errors import IngestError
from archive.ingest.sources import Upload

__all__ = ["IngestError", "Upload"]
