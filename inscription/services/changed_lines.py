"""Which lines changed shape since a model last read them: the lines a partial re-transcription reads."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from archive.models import GeometryRevision, Line, Page, RevisionAction
from inscription.models import Inscription

# Acts that change what the recognizer sees (a reorder or a region change does not).
SHAPE_ACTIONS = (RevisionAction.CREATE, RevisionAction.EDIT, RevisionAction.SPLIT, RevisionAction.MERGE)


def _changed(pages: Iterable[Page] | None, document_id: int | None) -> QuerySet[Line]:
    last_shape = (GeometryRevision.objects.filter(line=OuterRef("pk"), action__in=SHAPE_ACTIONS)
                  .order_by("-created_at").values("created_at")[:1])
    last_read = (Inscription.objects.filter(line=OuterRef("pk"), model_version__isnull=False)
                 .order_by("-created_at").values("created_at")[:1])
    qs = Line.objects.all()
    if pages is not None:
        qs = qs.filter(page__in=list(pages))
    if document_id is not None:
        qs = qs.filter(page__document_id=document_id)
    # alias, not annotate: the dates only decide which lines count, they are not read back.
    qs = qs.alias(shaped=Subquery(last_shape), read=Subquery(last_read)).filter(shaped__isnull=False)
    return qs.filter(Q(read__isnull=True) | Q(shaped__gt=F("read")))


def changed_lines(pages: Iterable[Page] | None = None, *, document_id: int | None = None) -> list[Line]:
    """Live lines whose latest shape-changing revision is newer than the latest machine reading of them
    (or that no model has read yet)."""
    return list(_changed(pages, document_id).order_by("page_id", "order", "id"))


def count_changed_lines(pages: Iterable[Page] | None = None, *, document_id: int | None = None) -> int:
    """``len(changed_lines(...))`` without loading the lines (the workspace shows the number on every view)."""
    return _changed(pages, document_id).count()
