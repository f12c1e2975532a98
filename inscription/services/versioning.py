"""Acts on append-only records (annotations, reflections) done one way: lock the head, bump it, refuse a withdrawn one."""
from __future__ import annotations

from typing import TypeVar

from inscription.models.versioned import VersionedRecord
from palimpsest.errors import InputError

R = TypeVar("R", bound=VersionedRecord)


def lock(record: R) -> R:
    """The head row again, locked until the transaction ends (two acts never take the same version number)."""
    return type(record).objects.select_for_update().get(pk=record.pk)


def refuse_withdrawn(record: VersionedRecord, noun: str, act: str = "") -> None:
    if record.withdrawn:
        message = f"This {noun} was withdrawn; it cannot be {act}." if act else f"This {noun} is already withdrawn."
        raise InputError(message, code="withdrawn" if act else "already_withdrawn", status_code=409)


def withdraw(record: R, noun: str) -> R:
    """Mark the (locked) head withdrawn as its next version; the caller appends the version row saying so."""
    refuse_withdrawn(record, noun)
    record.withdrawn = True
    record.bump()
    record.save()
    return record
