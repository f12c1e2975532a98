"""How far a document or a collection is: pages per workflow state, and what correction changed.

The CER here answers a curator's question ("how wrong was the machine on what we have
verified?"): on verified pages, each line's current human text is the reference and the
machine's first reading of that line (the oldest machine inscription) the hypothesis.
"""
from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from rapidfuzz.distance import Levenshtein

from archive.models import Collection, Document, Page, PageState
from inscription.models import Inscription, InscriptionKind


def _pages(target: Document | Collection) -> QuerySet[Page]:
    if isinstance(target, Document):
        return Page.objects.filter(document=target)
    return Page.objects.filter(document__collection=target)


def state_counts(pages: QuerySet[Page]) -> dict[str, int]:
    """Pages per state, every state present (zero when none)."""
    found = dict(pages.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {state: int(found.get(state, 0)) for state in PageState.values}


def verified_cer(pages: QuerySet[Page]) -> dict[str, Any]:
    """CER of the machine's first reading against the current human text, on verified pages' lines."""
    verified = pages.filter(status=PageState.VERIFIED).values_list("pk", flat=True)
    rows = (Inscription.objects.filter(page_id__in=list(verified), line__isnull=False, kind=InscriptionKind.TRANSCRIPTION)
            .order_by("created_at", "id").values_list("line_id", "text", "created_by_id", "model_version_id",
                                                       "is_current", "withdrawn"))
    first_machine: dict[int, str] = {}
    human: dict[int, str] = {}
    for line_id, text, user_id, model_id, current, withdrawn in rows:
        if model_id is not None and user_id is None:
            first_machine.setdefault(line_id, text)
        elif user_id is not None and current and not withdrawn:
            human[line_id] = text  # rows are oldest first: the newest current human version wins
    lines = [lid for lid in human if lid in first_machine]
    chars = sum(len(human[lid]) for lid in lines)
    edits = sum(Levenshtein.distance(human[lid], first_machine[lid]) for lid in lines)
    return {"lines": len(lines), "characters": chars, "edits": edits, "cer": (edits / chars) if chars else None}


def progress(target: Document | Collection) -> dict[str, Any]:
    """Counts per state, the share verified, the verified pages' CER, and the next page to correct."""
    pages = _pages(target)
    counts = state_counts(pages)
    total = sum(counts.values())
    nxt = next_page_to_correct(target)
    return {
        "total": total,
        "counts": counts,
        "verified_percent": round(100 * counts[PageState.VERIFIED] / total) if total else 0,
        "segments": [
            {"state": state, "label": PageState(state).label, "count": n,
             "percent": (100 * n / total) if total else 0}
            for state, n in counts.items()
        ],
        "cer": verified_cer(pages),
        "next_page": nxt.pk if nxt else None,
    }


def next_page_to_correct(target: Document | Collection) -> Page | None:
    """The first page, in reading order (documents by title), that is not verified yet."""
    pages = _pages(target).exclude(status=PageState.VERIFIED)
    return pages.select_related("document").order_by("document__title", "document_id", "order", "id").first()


def document_progress(documents: QuerySet[Document]) -> dict[int, dict[str, int]]:
    """Per document id: pages per state (one query for a whole collection's list)."""
    out: dict[int, dict[str, int]] = {}
    rows = Page.objects.filter(document__in=documents).order_by().values_list("document_id", "status").annotate(n=Count("id"))
    for doc_id, state, n in rows.values_list("document_id", "status", "n"):
        out.setdefault(doc_id, dict.fromkeys(PageState.values, 0))[state] = n
    return out
