"""Zip archives: each folder becomes a document, checked for path tricks and bombs before reading.

The central directory is checked first, as a whole: member count, total uncompressed size,
per-member compression ratio, absolute paths, ``..`` components, symlinks and encryption.
Only then are members read, each with a bounded read (a member may not expand past what the
directory declared). Nested zips are never opened.
"""
from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from archive.ingest.errors import IngestError
from archive.ingest.limits import max_upload_bytes, max_zip_members, max_zip_ratio, max_zip_uncompressed_bytes

# Below this size a high ratio is harmless (a tiny file of spaces), so the ratio check skips it.
RATIO_FLOOR_BYTES = 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
SYSTEM_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class Member:
    info: zipfile.ZipInfo
    path: PurePosixPath

    @property
    def folder(self) -> str:
        return str(self.path.parent) if str(self.path.parent) != "." else ""


def natural_key(text: str) -> list:
    """'page2' before 'page10'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _check_name(name: str, raw: str) -> PurePosixPath:
    normalised = raw.replace("\\", "/")
    if "\x00" in raw or normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised):
        raise IngestError("unsafe_zip_path", f"'{name}' contains a member with an absolute path: {raw!r}.")
    parts = [p for p in normalised.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise IngestError("unsafe_zip_path", f"'{name}' contains a member that climbs out with '..': {raw!r}.")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def open_zip(name: str, handle: BinaryIO) -> tuple[zipfile.ZipFile, list[Member], list[str]]:
    """Open and vet the archive. Returns (zip, members to consider, skipped system paths)."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError("corrupt_zip", f"'{name}' is not a readable zip archive: {exc}") from exc
    infos = archive.infolist()
    if len(infos) > max_zip_members():
        raise IngestError("zip_too_many_members", f"'{name}' has {len(infos)} members, over the limit of {max_zip_members()}.", 413)
    total = 0
    members: list[Member] = []
    skipped: list[str] = []
    for info in infos:
        path = _check_name(name, info.filename)
        if _is_symlink(info):
            raise IngestError("unsafe_zip_path", f"'{name}' contains a symbolic link: {info.filename!r}.")
        if info.flag_bits & 0x1:
            raise IngestError("encrypted_zip", f"'{name}' contains an encrypted member: {info.filename!r}.")
        total += info.file_size
        if total > max_zip_uncompressed_bytes():
            raise IngestError("zip_bomb", f"'{name}' expands to more than {max_zip_uncompressed_bytes()} bytes.", 413)
        if info.file_size > max_upload_bytes():
            raise IngestError("too_large", f"'{name}' member {info.filename!r} is over MAX_UPLOAD_BYTES.", 413)
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_zip_ratio() * max(info.compress_size, 1):
            raise IngestError(
                "zip_bomb",
                f"'{name}' member {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}x, "
                f"over the limit of {max_zip_ratio()}x (MAX_ZIP_RATIO).",
                413,
            )
        if info.is_dir() or str(path) == ".":
            continue
        if path.name.lower() in SYSTEM_NAMES or path.name.startswith(".") or "__MACOSX" in path.parts:
            skipped.append(info.filename)
            continue
        members.append(Member(info, path))
    # The ratio of the whole archive too: many members of a megabyte or less each skip the per-member check,
    # and 110 KB of them became 100 MiB of text rows.
    packed = sum(info.compress_size for info in infos)
    if total > RATIO_FLOOR_BYTES and total > max_zip_ratio() * max(packed, 1):
        raise IngestError("zip_bomb", f"'{name}' expands {total // max(packed, 1)}x in all, over the limit of "
                          f"{max_zip_ratio()}x (MAX_ZIP_RATIO).", 413)
    members.sort(key=lambda m: natural_key(str(m.path)))
    return archive, members, skipped


def read_member(name: str, archive: zipfile.ZipFile, member: Member) -> bytes:
    """Read at most the declared size (+1 to detect a lie); CRC is checked by zipfile."""
    declared = member.info.file_size
    try:
        with archive.open(member.info) as stream:
            data = stream.read(declared + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise IngestError("corrupt_zip", f"'{name}' member {member.info.filename!r} cannot be read: {exc}") from exc
    if len(data) != declared:
        raise IngestError("zip_bomb", f"'{name}' member {member.info.filename!r} is not the size its header declares.", 413)
    return data
