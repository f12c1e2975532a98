"""From matching entries to hits a reader can use: highlighted spans, boxes on the scan, and
for an alternative hit the sentence "the machine read X here, with probability p".

Boxes come from the words an imported reading brought (ALTO ``String``, PAGE ``Word``: their
own polygons, page pixels) when it has them; else from the CTC alignment: a machine line keeps
the image columns of each character (``Inscription.char_columns``), and each word alternative
the columns of its word position. Columns are relative to the line crop, whose left edge is the
line's bounding-box left edge. A human reading without either is boxed as its whole line.
"""
from __future__ import annotations

from exchange.formats.words import imported_words
from inscription.models import Inscription
from search.models import EntryKind, Language, SearchEntry, WordAlternative
from search.query import Term, highlight_spans, threshold_for


def _line_box(entry: SearchEntry) -> tuple[int, int, int, int] | None:
    return entry.line.bbox() if entry.line_id and entry.line and entry.line.polygon else None


def _box(bbox: tuple[int, int, int, int], x0: int, x1: int) -> dict:
    x, y, w, h = bbox
    left = x + max(0, min(w, x0))
    right = x + max(0, min(w, x1))
    return {"x": left, "y": y, "w": max(1, right - left), "h": h}


def _word_boxes(words: list[dict], spans: list[tuple[int, int]]) -> list[dict] | None:
    """One box per span: the imported words it touches, united. None when a span touches no word with geometry."""
    placed = [(int(w["start"]), int(w["start"]) + len(w["text"]), w["polygon"]) for w in words if w.get("polygon")]
    boxes = []
    for start, end in spans:
        points = [p for ws, we, polygon in placed if ws < end and we > start for p in polygon]
        if not points:
            return None
        xs, ys = [int(p[0]) for p in points], [int(p[1]) for p in points]
        boxes.append({"x": min(xs), "y": min(ys), "w": max(1, max(xs) - min(xs)), "h": max(1, max(ys) - min(ys))})
    return boxes


def _text_boxes(entry: SearchEntry, spans: list[tuple[int, int]], columns: list | None, words: list[dict]) -> list[dict]:
    bbox = _line_box(entry)
    if bbox is None or not spans:
        return []
    boxes = _word_boxes(words, spans) if words else None
    if boxes is not None:  # the file's own word geometry beats an alignment
        return boxes
    if not columns or len(columns) != len(entry.text):  # a human reading: the whole line is the place
        return [{"x": bbox[0], "y": bbox[1], "w": bbox[2], "h": bbox[3]}]
    return [_box(bbox, int(columns[s][0]), int(columns[e - 1][1])) for s, e in spans]


def build_hits(entries: list[SearchEntry], terms: list[Term], threshold: float | None) -> list[dict]:
    """Plain dicts (the API serialises them as they are; templates read them)."""
    line_ids = [e.object_id for e in entries if e.kind in (EntryKind.LINE, EntryKind.INSCRIPTION)]
    columns, words = {}, {}
    for ins in Inscription.objects.filter(pk__in=line_ids).only("pk", "char_columns", "extra") if line_ids else ():
        columns[ins.pk], words[ins.pk] = ins.char_columns, imported_words(ins)
    plain = [t.tokens[0] for t in terms if t.plain]
    alts: dict[int, list[WordAlternative]] = {}
    if plain and threshold is not None:
        for a in WordAlternative.objects.filter(entry__in=[e.pk for e in entries], token__in=plain).order_by("-probability"):
            if a.probability >= threshold_for(a.token, threshold):
                alts.setdefault(a.entry_id, []).append(a)
    hits = []
    for e in entries:
        spans = highlight_spans(e.text, terms, stemmed=e.config != Language.SIMPLE)
        found = alts.get(e.pk, [])
        alternative = None
        boxes = _text_boxes(e, spans, columns.get(e.object_id) if e.machine else None, words.get(e.object_id, []))
        if not spans and found:  # matched only through what the machine nearly read
            a = found[0]
            alternative = {"word": a.token, "spelling": a.spelling, "read_as": a.best, "probability": a.probability,
                           "position": a.position, "columns": [a.x0, a.x1],
                           "message": f"the machine read “{a.spelling}” here, with probability {a.probability:.2f}"
                                      + (f" (its best reading: “{a.best}”)" if a.best != a.spelling else "")}
            bbox = _line_box(e)
            boxes = [_box(bbox, a.x0, a.x1) for a in found] if bbox else []
        hits.append({
            "id": e.pk,
            "kind": e.kind,
            "source": e.source,
            "object_id": e.object_id,
            "match": "alternative" if alternative else "text",
            "score": round(float(getattr(e, "score", 0.0) or 0.0), 6),
            "collection": {"id": e.collection_id, "slug": e.collection.slug, "title": e.collection.title},
            "document": {"id": e.document_id, "title": e.document.title} if e.document_id else None,
            "page": e.page_id,
            "line": e.line_id,
            "layer": {"id": e.layer_id, "name": e.layer.name} if e.layer_id else None,
            "title": e.title,
            "machine": e.machine,
            "confidence": e.confidence,
            "is_current": e.is_current,
            "year": e.year,
            "created_at": e.created_at.isoformat(),
            "text": e.text if len(e.text) <= 2000 else e.text[:2000],
            "highlights": [[s, t] for s, t in spans if t <= 2000],
            "boxes": boxes,
            "line_box": dict(zip("xywh", _line_box(e), strict=True)) if _line_box(e) else None,
            "alternative": alternative,
        })
    return hits
