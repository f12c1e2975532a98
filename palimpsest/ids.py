"""Ids and numbers from the query string, bounded to what the database can compare.

Why: SQLite raises OverflowError for integers past 64 bits, so ``?collection_id=99999999999999999999``
was a 500. Filters use ``IdFilter`` (a 400 in the error shape past the range); views that read an
id by hand use ``as_id`` (out of range reads as "no such id").
"""
from __future__ import annotations

import django_filters

ID_MAX = 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def as_id(raw: object) -> int | None:
    """``raw`` as a positive database id, or None if it is not one (not digits, or past 64 bits)."""
    text = str(raw or "").strip()
    if not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None


class IdFilter(django_filters.NumberFilter):
    """A whole-number id filter; values outside 1..2^63-1 are a 400, not a database error."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", ID_MAX)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


class Int32Filter(django_filters.NumberFilter):
    """A whole number for a 32-bit column (e.g. a year)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", INT32_MIN)
        kwargs.setdefault("max_value", INT32_MAX)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)
