"""The ModelVersion registry, mirrored from the JSON cards in the model store.

Why mirror: inscriptions point at a ModelVersion row (PROTECT), so the weights that
wrote a text stay identifiable by sha256 even when the files move. ``sync_models`` is
idempotent: it upserts by (name, version, sha256) and links parents by the card's
parent sha256 (or name + version).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import Job, ModelTask, ModelVersion


def store_dirs() -> list[Path]:
    """The shipped store (in the repository) and settings.MODEL_STORE (fine-tuned models)."""
    from models_ml import registry

    dirs = [Path(registry.STORE_DIR)]
    extra = Path(settings.MODEL_STORE)
    if extra.resolve() != dirs[0].resolve():
        dirs.append(extra)
    return dirs


def _created_at(card: dict[str, Any]) -> datetime:
    raw = card.get("created_at") or card.get("created")
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None:
        return timezone.now()
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.utc)


def _parent_of(card: dict[str, Any]) -> ModelVersion | None:
    """The registered model this one was made from: the card's ``parent``, or for a weight
    interpolation (``parents`` with shares, no single parent) the known parent with the largest share."""
    parent = card.get("parent")
    if not parent:
        parents = [p for p in card.get("parents") or [] if isinstance(p, dict)]
        for candidate in sorted(parents, key=lambda p: -float(p.get("share") or 0.0)):
            found = _lookup_parent(candidate)
            if found is not None:
                return found
        return None
    return _lookup_parent(parent)


def _lookup_parent(parent: dict[str, Any] | str) -> ModelVersion | None:
    if isinstance(parent, str):
        parent = {"sha256": parent} if len(parent) == 64 else {"name": parent}
    qs = ModelVersion.objects.all()
    if parent.get("sha256"):
        found = qs.filter(sha256=parent["sha256"]).order_by("registered_at").first()
        if found:
            return found
    if parent.get("name"):
        qs = qs.filter(name=parent["name"])
        if parent.get("version"):
            qs = qs.filter(version=str(parent["version"]))
        return qs.order_by("-created_at").first()
    return None


def _charset(card: dict[str, Any]) -> str:
    charset = card.get("charset", "")
    if isinstance(charset, list):
        return "".join(str(c) for c in charset)
    return str(charset or "")


def register_model_dir(model_dir: str | Path, training_job: Job | None = None, card: dict | None = None) -> tuple[ModelVersion, bool]:
    """Upsert the ModelVersion of one model directory; returns (row, created)."""
    from models_ml import registry

    model_dir = Path(model_dir)
    card = dict(card or registry.read_card(model_dir))
    card.pop("path", None)
    name = str(card.get("name") or model_dir.name)
    version = str(card.get("version") or "0")
    sha = card.get("sha256") or registry.sha256_file(model_dir / registry.WEIGHTS)
    task = card.get("task") if card.get("task") in ModelTask.values else ModelTask.HTR
    defaults = {
        "task": task,
        "path": str(model_dir.resolve()),
        "architecture": card.get("architecture") or card.get("config") or {},
        "hyperparameters": card.get("hyperparameters") or card.get("training") or {},
        "charset": _charset(card),
        "training_data": card.get("training_data") or {},
        "metrics": card.get("metrics") or {},
        "licence": str(card.get("licence") or card.get("license") or "")[:100],
        "card": card,
        "parent": _parent_of(card),
        "created_at": _created_at(card),
    }
    if not isinstance(defaults["training_data"], dict):
        defaults["training_data"] = {"description": defaults["training_data"]}
    with transaction.atomic():
        row, created = ModelVersion.objects.select_for_update().get_or_create(
            name=name, version=version, sha256=sha, defaults=defaults
        )
        if not created:
            if training_job is None:
                defaults.pop("created_at")
            for key, value in defaults.items():
                setattr(row, key, value)
        if training_job is not None:
            row.training_job = training_job
        row.save()
    return row, created


def sync_models(dirs: list[Path] | None = None) -> list[tuple[ModelVersion, bool]]:
    """Upsert every model card found in the stores. Parents are linked in a second pass."""
    from models_ml import registry

    found = []
    for root in dirs or store_dirs():
        for card in registry.list_models(root):
            found.append((Path(card["path"]), card))
    out = [register_model_dir(path, card=card) for path, card in found]
    # A child may have been read before its parent: link again now that all rows exist.
    for row, _ in out:
        parent = _parent_of(row.card)
        if parent is not None and parent.pk != row.pk and row.parent_id != parent.pk:
            ModelVersion.objects.filter(pk=row.pk).update(parent=parent)
    return out


def model_for_dir(model_dir: str | Path, card: dict[str, Any] | None = None) -> ModelVersion:
    """The ModelVersion of a directory a worker loaded (registered on the fly if sync_models never ran)."""
    from models_ml import registry

    card = card or registry.read_card(model_dir)
    row = ModelVersion.objects.filter(
        name=str(card.get("name") or Path(model_dir).name), version=str(card.get("version") or "0"), sha256=card.get("sha256", "")
    ).first()
    return row or register_model_dir(model_dir, card=card)[0]


PLOT_NAMES = ("training_curves.png", "curves.png", "plot.png", "loss_cer.png")


def plot_path(model: ModelVersion) -> Path | None:
    """The training-curve PNG in the model directory, if the training run left one."""
    if not model.path:
        return None
    folder = Path(model.path)
    for name in PLOT_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None
