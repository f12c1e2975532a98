"""Recording layout acts: every write leaves a GeometryRevision with the full state, attributed and append-only.

The first time a line or region is edited, its state before the edit (drawn by a
segmenter, an import or a person) is recorded as an ``initial`` revision with that
original attribution, so the old geometry is kept even for geometry no one had touched.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from archive.models import GeometryRevision, GeometrySource, Line, Region, RevisionAction


def new_act() -> uuid.UUID:
    return uuid.uuid4()


def _state(obj: Line | Region) -> dict[str, Any]:
    if isinstance(obj, Line):
        return {"line": obj, "polygon": obj.polygon, "baseline": obj.baseline, "order": obj.order,
                "in_region_id": obj.region_id}
    return {"region": obj, "polygon": obj.polygon, "order": obj.order, "kind": obj.kind}


def _ensure_initial(obj: Line | Region, act: uuid.UUID) -> None:
    filters = {"line": obj} if isinstance(obj, Line) else {"region": obj}
    if GeometryRevision.objects.filter(**filters).exists():
        return
    GeometryRevision.objects.create(
        page_id=obj.page_id, version=obj.version, action=RevisionAction.INITIAL, act=act, retired=obj.retired,
        source=obj.source, created_by_id=obj.created_by_id, model_version_id=obj.model_version_id,
        created_at=obj.created_at, **_state(obj),
    )


def before_edit(obj: Line | Region, act: uuid.UUID) -> None:
    """Call before changing ``obj``: its current state is in the history (once)."""
    _ensure_initial(obj, act)


def record(obj: Line | Region, action: str, user: AbstractBaseUser, act: uuid.UUID, note: dict | None = None,
           *, geometry_changed: bool = True) -> GeometryRevision:
    """Bump the version, attribute the geometry to ``user`` when its shape changed, save, and append the revision."""
    obj.version += 1
    fields = ["version", "retired", "polygon", "order"] + (["baseline", "region"] if isinstance(obj, Line) else ["kind"])
    if geometry_changed:
        obj.source, obj.created_by, obj.model_version, obj.job = GeometrySource.HUMAN, user, None, None
        fields += ["source", "created_by", "model_version", "job"]
    obj.save(update_fields=fields)
    return GeometryRevision.objects.create(
        page_id=obj.page_id, version=obj.version, action=action, act=act, retired=obj.retired,
        source=GeometrySource.HUMAN, created_by=user, created_at=timezone.now(), note=note or {}, **_state(obj),
    )


def record_created(obj: Line | Region, user: AbstractBaseUser, act: uuid.UUID, note: dict | None = None,
                   action: str = RevisionAction.CREATE) -> GeometryRevision:
    """The first revision of a line or region drawn by a person."""
    return GeometryRevision.objects.create(
        page_id=obj.page_id, version=obj.version, action=action, act=act, retired=False,
        source=GeometrySource.HUMAN, created_by=user, created_at=timezone.now(), note=note or {}, **_state(obj),
    )
