"""Layers: named sets of inscriptions on one document. A newer model gets a new layer; none is overwritten."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from archive.models import Document
from inscription.models import Layer, LayerKind
from jobs.models import ModelVersion
from palimpsest.errors import InputError

GROUND_TRUTH = "ground truth"


def machine_layer_name(model_version: ModelVersion, decoder: str = "greedy", lm: bool = False) -> str:
    """A name that says which model and which decoder wrote the layer, e.g. "htr-default 1.0 (greedy)"."""
    decoding = f"{decoder}+lm" if lm else decoder
    return f"{model_version.name} {model_version.version} ({decoding})"


def get_or_create_layer(
    document: Document,
    name: str,
    kind: str = LayerKind.GROUND_TRUTH,
    model_version: ModelVersion | None = None,
    parameters: dict[str, Any] | None = None,
    user: AbstractBaseUser | None = None,
) -> Layer:
    """The layer of that name on the document, created with the given provenance if it does not exist.

    An existing layer with the same name but another model version is an error: the name
    would lie about who wrote it.
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InputError("A layer needs a name of 1 to 200 characters.", code="bad_layer_name")
    if kind not in LayerKind.values:
        raise InputError(f"Unknown layer kind '{kind}'.", code="bad_layer_kind")
    existing = Layer.objects.filter(document=document, name=name).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Layer.objects.create(
                    document=document,
                    name=name,
                    kind=kind,
                    model_version=model_version,
                    parameters=parameters or {},
                    created_by=user if (user is not None and user.is_authenticated) else None,
                )
        except IntegrityError:  # created concurrently by another worker
            existing = Layer.objects.get(document=document, name=name)
    if model_version is not None and existing.model_version_id not in (None, model_version.pk):
        raise InputError(
            f"Layer '{name}' was written by another model version.", code="layer_model_mismatch"
        )
    return existing


def machine_layer(document: Document, model_version: ModelVersion, parameters: dict[str, Any], user=None) -> Layer:
    """The layer for one model version + decoder on a document (re-running the same model reuses it)."""
    name = machine_layer_name(model_version, parameters.get("decoder", "greedy"), bool(parameters.get("lm")))
    return get_or_create_layer(document, name, LayerKind.MACHINE, model_version, parameters, user)


def correction_layer(shown: Layer, user=None) -> Layer:
    """Where a curator's correction of a line goes: the layer shown if it is a human one, else the
    document's ground-truth layer (machine layers are never edited by hand)."""
    if shown.kind != LayerKind.MACHINE:
        return shown
    return get_or_create_layer(shown.document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=user)
