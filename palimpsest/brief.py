"""Columns that API lists never show, for ``defer()`` on the rows they join.

Why: a list row that shows a writer's name or a collection's slug joined the whole User or
Collection row, and Django built and converted every column of it (dates are parsed per
column on SQLite): a third of the documents list's CPU (bench/request_cost.py). Detail views
keep whole rows (their permission check and their writes read more of them).
"""
from __future__ import annotations

USER_DETAILS = ("password", "last_login", "is_superuser", "first_name", "last_name", "email", "is_staff", "is_active",
                "date_joined")


def user_details(via: str) -> list[str]:
    """``defer()`` names of a joined user's columns other than its id and username."""
    return [f"{via}__{name}" for name in USER_DETAILS]


# A collection's columns that a list row does not need (it shows the slug; id, owner and visibility stay for can()).
COLLECTION_DETAILS = ("title", "description", "creator", "date", "source", "rights", "language", "default_model",
                      "created_at", "updated_at")


def collection_details(via: str) -> list[str]:
    """``defer()`` names of a joined collection's columns that lists do not show."""
    return [f"{via}__{name}" for name in COLLECTION_DETAILS]
