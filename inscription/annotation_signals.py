"""Receiver that re-anchors annotations when an inscription is superseded.

Imported from ``inscription/signals.py``, which ``InscriptionConfig.ready()`` imports:
the receiver is connected at app start-up, never as a side effect of importing models.
It runs inside the writer's transaction, so a correction and the re-anchoring of its
annotations commit (or roll back) together.
"""
from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from inscription.models import Inscription


@receiver(post_save, sender=Inscription, dispatch_uid="inscription.reanchor_annotations")
def reanchor_on_new_version(sender: type, instance: Inscription, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or not instance.supersedes_id:
        return
    from inscription.services.annotation_anchoring import reanchor_annotations

    reanchor_annotations(instance.supersedes, instance)
