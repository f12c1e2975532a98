"""ModelSerializer fields built once per class instead of once per serializer.

Why: DRF's ``ModelSerializer.get_fields`` introspects the model on every instantiation (field
info, uniqueness rules, one ``build_field`` per model field), which took 1 to 2 ms of CPU per
request for each serializer class of the hot lists and details (bench/request_cost.py), more
than their queries. The fields it builds depend only on the class (its ``Meta`` and declared
fields), so the first build is kept as prototypes and each serializer gets fresh copies, made
the way DRF copies declared fields (``Field.__deepcopy__`` re-instantiates from the field's
arguments). Fields are never shared between serializers: each copy is bound to its own parent.
"""
from __future__ import annotations

import copy
from typing import Any


class CachedFieldsMixin:
    """Put before ``serializers.ModelSerializer``; only for serializers whose fields depend on nothing but the class."""

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        prototypes = cls.__dict__.get("_cached_field_prototypes")  # this class's own, never a parent's
        if prototypes is None:
            prototypes = super().get_fields()  # type: ignore[misc]
            cls._cached_field_prototypes = prototypes  # a race builds it twice, harmlessly
        return copy.deepcopy(prototypes)
