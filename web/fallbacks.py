"""UI FALLBACKS — minimal ORM writes used only where the owning service did not exist yet.

Each function here is a stand-in for a service another engineer owns. They enforce
the same rules the service would (checked input, one transaction) but they are not
the place for new rules: replace the call in web/backend.py when the service lands.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Collection
from inscription.models import ModelVersion


@transaction.atomic
def set_default_model(collection: Collection, model: ModelVersion | None, user: AbstractBaseUser) -> Collection:
    """UI FALLBACK: set the collection's default recognizer."""
    collection.default_model = model
    collection.save(update_fields=["default_model", "updated_at"])
    return collection
