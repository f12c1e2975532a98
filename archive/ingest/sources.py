"""Where an uploaded file comes from: an HTTP upload, a path on disk, or bytes (zip members, tests)."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class Upload:
    """One file offered for ingest. ``open()`` returns a fresh binary file object positioned at 0."""

    name: str
    size: int
    open: Callable[[], BinaryIO]

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Upload:
        return cls(name=name, size=len(data), open=lambda: io.BytesIO(data))

    @classmethod
    def from_path(cls, path: Path) -> Upload:
        return cls(name=path.name, size=path.stat().st_size, open=lambda: path.open("rb"))

    @classmethod
    def from_django_file(cls, uploaded) -> Upload:
        """An ``UploadedFile`` from request.FILES or a form."""

        def reopen() -> BinaryIO:
            uploaded.seek(0)
            return _NoClose(uploaded)

        return cls(name=uploaded.name or "upload", size=uploaded.size or 0, open=reopen)

    def read_all(self) -> bytes:
        with self.open() as handle:
            return handle.read()


class _NoClose(io.RawIOBase):
    """Wraps a Django UploadedFile so ``with upload.open()`` does not close (and delete) the temp file."""

    def __init__(self, inner):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._inner.read() if size is None or size < 0 else self._inner.read(size)

    def readinto(self, buffer) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._inner.seek(offset, whence)
        return self._inner.tell()

    def tell(self) -> int:
        return self._inner.tell()
