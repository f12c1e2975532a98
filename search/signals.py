"""Receivers that keep the search index current (connected in SearchConfig.ready).

post_save covers every single-row write (services save rows one by one); bulk writes, where
no post_save fires, are announced by ``inscription.events.inscriptions_written``. Both run in
the writer's transaction: the index commits, or rolls back, with the text it describes.
"""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from archive.models import Document, Text
from inscription.events import inscriptions_written
from inscription.models import Annotation, Inscription, Reflection
from search.services import indexing


@receiver(post_save, sender=Inscription, dispatch_uid="search.inscription_saved")
def inscription_saved(sender, instance: Inscription, raw: bool = False, **kwargs) -> None:  # noqa: ANN001
    if not raw:
        indexing.index_inscriptions([instance])


@receiver(inscriptions_written, dispatch_uid="search.inscriptions_written")
def inscriptions_bulk_written(sender, inscriptions, **kwargs) -> None:  # noqa: ANN001
    indexing.index_inscriptions(inscriptions)


@receiver(post_save, sender=Annotation, dispatch_uid="search.annotation_saved")
def annotation_saved(sender, instance: Annotation, raw: bool = False, **kwargs) -> None:  # noqa: ANN001
    if not raw:
        indexing.index_annotation(instance)


@receiver(post_save, sender=Reflection, dispatch_uid="search.reflection_saved")
def reflection_saved(sender, instance: Reflection, raw: bool = False, **kwargs) -> None:  # noqa: ANN001
    if not raw:
        indexing.index_reflection(instance)


@receiver(post_save, sender=Document, dispatch_uid="search.document_saved")
def document_saved(sender, instance: Document, raw: bool = False, **kwargs) -> None:  # noqa: ANN001
    if not raw:
        indexing.index_document(instance)


@receiver(post_save, sender=Text, dispatch_uid="search.text_saved")
def text_saved(sender, instance: Text, raw: bool = False, **kwargs) -> None:  # noqa: ANN001
    if not raw:
        indexing.index_text(instance)


@receiver(post_delete, sender=Text, dispatch_uid="search.text_deleted")
def text_deleted(sender, instance: Text, **kwargs) -> None:  # noqa: ANN001
    indexing.unindex_text(instance.pk)
