"""Shared helpers of the formats management commands: the acting user and plain errors."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from archive.models import Collection
from palimpsest.errors import InputError


def acting_user(username: str | None, collection: Collection | None = None):
    """The named user, else the collection owner, else the first superuser (commands run as the operator)."""
    user_model = get_user_model()
    if username:
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user '{username}'.")
        return user
    if collection is not None:
        return collection.owner
    user = user_model.objects.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise CommandError("No superuser exists; pass --user USERNAME.")
    return user


def collection_or_error(slug: str) -> Collection:
    collection = Collection.objects.filter(slug=slug).first()
    if collection is None:
        raise CommandError(f"No collection '{slug}'.")
    return collection


def input_error(exc: InputError) -> CommandError:
    return CommandError(getattr(exc, "message", str(exc)))
