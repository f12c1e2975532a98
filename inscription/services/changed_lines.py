"""Which lines changed shape since a model last read them: the lines a partial re-transcription reads."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Q, Subquery

from archive.models import GeometryRevision, Line, Page, RevisionAction
from inscription.models import Inscription

# Acts that change what the recognizer sees (a reorder or a region change does not).
SHAPE_ACTIONS = (RevisionAction.CREATE, RevisionAction.EDIT, RevisionAction.SPLIT, RevisionAction.MERGE)


def changed_lines(pages: Iterable[Page] | None = None, *, document_id: int | None = None) -> list[Line]:
    """Live lines whose latest shape-changing revision is newer than the latest machine reading of them
    (or that no model has read yet)."""
    last_shape = (GeometryRevision.objects.filter(line=OuterRef("pk"), action__in=SHAPE_ACTIONS)
                  .order_by("-created_at").values("created_at")[:1])
    last_read = (Inscription.objects.filter(line=OuterRef("pk"), model_version__isnull=False)
                 .order_by("-created_at").values("created_at")[:1])
    qs = Line.objects.all()
    if pages is not None:
        qs = qs.filter(page__in=list(pages))
    if document_id is not None:
        qs = qs.filter(page__document_id=document_id)
    qs = qs.annotate(shaped=Subquery(last_shape), read=Subquery(last_read)).filter(shaped__isnull=False)
    return list(qs.filter(Q(read__isnull=True) | Q(shaped__gt=F("read"))).order_by("page_id", "order", "id"))
