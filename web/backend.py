"""The one place where the UI calls the other engineers' services.

Views never write to the ORM themselves: every write goes through a function here,
and each function delegates to the owning app's service (archive.services.*,
inscription.services.*).
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from archive.models import Collection, Document, Line, Membership, Page, Role
from inscription.models import Inscription, Layer, LayerKind
from jobs.models import Job, ModelVersion
from palimpsest.errors import InputError


def create_collection(user: AbstractBaseUser, **fields: Any) -> Collection:
    from django.db import IntegrityError

    from archive.services.collections import create_collection as create

    try:
        return create(owner=user, **fields)
    except IntegrityError as exc:
        raise InputError(f"A collection with the short name “{fields.get('slug')}” already exists; choose another.",
                         code="slug_taken") from exc


def create_document(collection: Collection, user: AbstractBaseUser, fields: dict[str, Any]) -> Document:
    from archive.services.documents import create_document as create

    return create(user=user, collection=collection, **fields)


def set_default_model(collection: Collection, model: ModelVersion | None, user: AbstractBaseUser) -> Collection:
    from archive.services.collections import set_default_model as choose

    return choose(collection, model, user)


def set_member_role(collection: Collection, user: AbstractBaseUser, role: str, by: AbstractBaseUser) -> Membership:
    """Add the user with ``role``, or change the role of an existing member."""
    from archive.services.collections import add_member, change_role

    if role not in Role.values:
        raise InputError(f"Unknown role “{role}”.", code="bad_role")
    membership = Membership.objects.filter(collection=collection, user=user).select_related("collection", "user").first()
    if membership is None:
        return add_member(collection, user, role)
    return change_role(membership, role)


def remove_member(collection: Collection, user: AbstractBaseUser, by: AbstractBaseUser) -> None:
    from archive.services.collections import remove_member as remove

    membership = Membership.objects.filter(collection=collection, user=user).select_related("collection", "user").first()
    if membership is None:
        raise InputError(f"{user.get_username()} is not a member of this collection.", code="not_member")
    remove(membership)


def thumbnail_name(page: Page, size: int) -> str:
    from archive.services.thumbnails import thumbnail

    return thumbnail(page.image, size)


def start_job(kind: str, collection: Collection, *, user: AbstractBaseUser, document=None, page=None, params=None) -> Job:
    from jobs.services.jobs import create_job

    return create_job(kind, collection, document=document, page=page, params=params, user=user)


def cancel_job(job: Job) -> Job:
    from jobs.services.jobs import request_cancel

    return request_cancel(job)


# --- inscriptions (inscription.services.inscriptions / layers) ---------------------------------

def correction_layer(shown: Layer, user: AbstractBaseUser) -> Layer:
    """Where a curator's correction of a line goes: the layer shown if it is a human one,
    else the document's ground-truth layer (machine layers are never edited by hand)."""
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer

    if shown.kind != LayerKind.MACHINE:
        return shown
    return get_or_create_layer(shown.document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=user)


def save_line_text(layer: Layer, line: Line, text: str, user: AbstractBaseUser) -> Inscription:
    from inscription.services.inscriptions import create_inscription

    return create_inscription(layer=layer, text=text, line=line, user=user)


def line_history(line: Line):
    from inscription.services.inscriptions import history

    return history(line)


def restore_version(version: Inscription, user: AbstractBaseUser) -> Inscription:
    from inscription.services.inscriptions import restore_inscription

    return restore_inscription(version, user)


# --- annotations (inscription.services.annotations) -------------------------------------------

def create_annotation(user: AbstractBaseUser, data: dict) -> Any:
    from inscription.services.annotations import create_annotation as create

    return create(user, data)


# --- reflections (inscription.services.reflections) -------------------------------------------

def create_reflection(user: AbstractBaseUser, collection: Collection, title: str, body: str) -> Any:
    from inscription.services import reflections

    return reflections.create_reflection(user, collection, title=title, body=body)


def edit_reflection(reflection: Any, user: AbstractBaseUser, title: str, body: str) -> Any:
    from inscription.services import reflections

    return reflections.edit_reflection(reflection, user, title=title, body=body)


# --- comparisons (inscription.services.compare) -----------------------------------------------

def compare_sides(user: AbstractBaseUser, document: Document, left: dict, right: dict, both_only: bool, label: str) -> Any:
    """Ask the compare service for left (reference) vs right (hypothesis) on one document.

    ``both_only`` narrows each side to the exact versions of targets present on both
    sides (the service's ``{"inscriptions": [...]}`` side), so a ground truth that covers
    part of the page is measured where it exists."""
    from inscription.services.compare import request_comparison, resolve_side

    scope = {"document": document.pk}
    left, right = _first_versions(left, document), _first_versions(right, document)
    if both_only:
        lrows = resolve_side(left, document.collection, document, "left")
        rrows = resolve_side(right, document.collection, document, "right")
        common = sorted(set(lrows) & set(rrows))
        if not common:
            raise InputError("The two sides have no line in common: nothing to compare.", code="nothing_in_common")
        left = {"inscriptions": [_pk(lrows[k]) for k in common]}
        right = {"inscriptions": [_pk(rrows[k]) for k in common]}
    comparison, _created = request_comparison(user, left, right, scope=scope, label=label)
    return comparison


def start_export(collection: Collection, user: AbstractBaseUser, base_url: str) -> Job:
    """The collection zip export job, as the formats API starts it."""
    from exchange.services import start_export as start

    return start(collection, user, base_url)


def _pk(value: Any) -> int:
    """An inscription id from resolve_side's values (ids, or rows in earlier versions of the service)."""
    return int(getattr(value, "pk", value))


def _first_versions(side: dict, document: Document) -> dict:
    """``{"first_of_layer": id}`` → the exact first versions of each target in that layer (a versions side)."""
    if "first_of_layer" not in side:
        return side
    ids = list(Inscription.objects.filter(document=document, layer_id=side["first_of_layer"], version=1, withdrawn=False)
               .values_list("pk", flat=True))
    if not ids:
        raise InputError("That layer has no first versions in this document.", code="empty_side")
    return {"inscriptions": ids}
