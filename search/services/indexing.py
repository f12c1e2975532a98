"""Keeping the search index current: one entry per searchable text, rewritten on every write.

Every function here is idempotent (an entry is keyed by its ``source``, e.g. "inscription:12"),
so a receiver may run twice for the same write and ``reindex`` can rebuild everything. Callers
are the receivers in ``search.signals`` (post_save for single writes, ``inscriptions_written``
for the bulk writes of jobs) and the ``reindex_search`` command.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from archive.models import Collection, Document, Text
from inscription.models import Annotation, Inscription, Reflection
from palimpsest.errors import InputError
from search.models import CollectionSearchSettings, EntryKind, Language, SearchEntry, WordAlternative
from search.text import fold, tokens

BULK = 2000
# Alternatives below this probability are not worth a row (the least any word can be searched at).
MIN_ALTERNATIVE = 0.0002
MAX_TOKEN = 100
TEXT_PASSAGE = 1500  # characters of a born-digital text per entry (a hit shows its passage)


def language_of(collection_ids: Iterable[int]) -> dict[int, str]:
    """Text-search configuration per collection (``simple`` unless a curator chose one)."""
    ids = set(collection_ids)
    chosen = dict(CollectionSearchSettings.objects.filter(collection_id__in=ids).values_list("collection_id", "language"))
    return {cid: chosen.get(cid, Language.SIMPLE) for cid in ids}


def set_language(collection: Collection, language: str) -> CollectionSearchSettings:
    """Choose the collection's search language; its entries are re-analysed (the trigger recomputes vectors)."""
    if language not in Language.values:
        raise InputError(f"Unknown search language '{language}' (one of {', '.join(Language.values)}).",
                         code="bad_language")
    with transaction.atomic():
        settings, _ = CollectionSearchSettings.objects.update_or_create(collection=collection,
                                                                         defaults={"language": language})
        SearchEntry.objects.filter(collection=collection).update(config=language)
    return settings


def _replace(entries: Sequence[SearchEntry], alternatives: dict[str, list[WordAlternative]] | None = None) -> None:
    """Write entries in place of any with the same source (their alternatives go with them)."""
    if not entries:
        return
    sources = [e.source for e in entries]
    old = list(SearchEntry.objects.filter(source__in=sources).values_list("pk", flat=True))
    if old:
        WordAlternative.objects.filter(entry_id__in=old)._raw_delete(WordAlternative.objects.db)
        SearchEntry.objects.filter(pk__in=old)._raw_delete(SearchEntry.objects.db)
    created = SearchEntry.objects.bulk_create(entries, batch_size=BULK)
    if alternatives:
        rows = []
        for entry in created:
            for alt in alternatives.get(entry.source, ()):
                alt.entry_id = entry.pk
                rows.append(alt)
        WordAlternative.objects.bulk_create(rows, batch_size=BULK)


def alternatives_of(words: object) -> list[WordAlternative]:
    """Rows for one line from the recognizer's ``extra["words"]`` (models_ml.htr.words): per position, per token."""
    rows: list[WordAlternative] = []
    if not isinstance(words, list):
        return rows
    for position, slot in enumerate(words):
        try:
            x0, x1 = (int(v) for v in slot["columns"])
            spellings = [(str(w), float(p)) for w, p in slot["alternatives"]]
        except (KeyError, TypeError, ValueError):
            continue  # a malformed slot is skipped, not guessed at
        if not spellings:
            continue
        best = str(slot.get("best", spellings[0][0]))  # a spotted word says what the 1-best read there
        per_token: dict[str, tuple[float, str]] = {}
        for spelling, p in spellings:
            for tok in set(tokens(spelling)):
                total, first = per_token.get(tok, (0.0, spelling))
                per_token[tok] = (total + p, first)
        for tok, (p, spelling) in per_token.items():
            if p >= MIN_ALTERNATIVE and len(tok) <= MAX_TOKEN:
                rows.append(WordAlternative(position=min(position, 32767), token=tok, spelling=spelling[:200],
                                            best=best[:200], probability=min(1.0, round(p, 4)), x0=x0, x1=x1))
    return rows


def index_inscriptions(inscriptions: Iterable[Inscription]) -> int:
    """Index these inscription versions; the versions they supersede stop being current. Returns entries written."""
    items = [i for i in inscriptions if i.pk is not None]
    if not items:
        return 0
    docs = {d["id"]: d for d in Document.objects.filter(pk__in={i.document_id for i in items})
            .values("id", "collection_id", "year_from")}
    configs = language_of(d["collection_id"] for d in docs.values())
    entries, alternatives = [], {}
    for i in items:
        doc = docs[i.document_id]
        source = f"inscription:{i.pk}"
        entries.append(SearchEntry(
            source=source, kind=EntryKind.LINE if i.line_id else EntryKind.INSCRIPTION,
            collection_id=doc["collection_id"], document_id=i.document_id, page_id=i.page_id, line_id=i.line_id,
            layer_id=i.layer_id, object_id=i.pk, is_current=bool(i.is_current), machine=i.model_version_id is not None,
            confidence=i.confidence, created_at=i.created_at, year=doc["year_from"], config=configs[doc["collection_id"]],
            text=i.text, norm=fold(i.text)))
        if i.line_id and i.model_version_id is not None and i.extra:
            alternatives[source] = alternatives_of(i.extra.get("words"))
    superseded = [f"inscription:{i.supersedes_id}" for i in items if i.supersedes_id]
    with transaction.atomic(savepoint=False):
        if superseded:
            SearchEntry.objects.filter(source__in=superseded).update(is_current=False)
        _replace(entries, alternatives)
    return len(entries)


def annotation_text(body: object) -> str:
    """The words of an annotation's bodies: textual values and tags (links say nothing searchable)."""
    if not isinstance(body, list):
        return ""
    return "\n".join(str(b["value"]) for b in body if isinstance(b, dict) and isinstance(b.get("value"), str))


def index_annotation(annotation: Annotation) -> None:
    config = language_of([annotation.collection_id])[annotation.collection_id]
    year = Document.objects.filter(pk=annotation.document_id).values_list("year_from", flat=True).first()
    text = annotation_text(annotation.body)
    _replace([SearchEntry(
        source=f"annotation:{annotation.pk}", kind=EntryKind.ANNOTATION, collection_id=annotation.collection_id,
        document_id=annotation.document_id, page_id=annotation.page_id, line_id=annotation.line_id,
        object_id=annotation.pk, is_current=not annotation.withdrawn, machine=False,
        created_at=annotation.modified_at or annotation.created_at, year=year, config=config, text=text, norm=fold(text))])


def index_reflection(reflection: Reflection) -> None:
    config = language_of([reflection.collection_id])[reflection.collection_id]
    text = f"{reflection.title}\n{reflection.body}"
    _replace([SearchEntry(
        source=f"reflection:{reflection.pk}", kind=EntryKind.REFLECTION, collection_id=reflection.collection_id,
        object_id=reflection.pk, is_current=not reflection.withdrawn, machine=False, title=reflection.title[:300],
        created_at=reflection.modified_at or reflection.created_at, config=config, text=text, norm=fold(text))])


def document_text(document: Document) -> str:
    parts = [document.title, document.creator, document.date, document.place, document.description, document.source]
    return "\n".join(p for p in parts if p)


def index_document(document: Document) -> None:
    """The document's metadata entry; its year also moves onto every entry of the document (the date facet)."""
    config = language_of([document.collection_id])[document.collection_id]
    text = document_text(document)
    with transaction.atomic(savepoint=False):
        _replace([SearchEntry(
            source=f"document:{document.pk}", kind=EntryKind.DOCUMENT, collection_id=document.collection_id,
            document_id=document.pk, object_id=document.pk, is_current=True, machine=None, title=document.title[:300],
            created_at=document.updated_at or document.created_at, year=document.year_from, config=config,
            text=text, norm=fold(text))])
        SearchEntry.objects.filter(document=document).exclude(year=document.year_from).update(year=document.year_from)


def text_passages(content: str, size: int = TEXT_PASSAGE) -> list[str]:
    """A born-digital text cut into passages of about ``size`` characters, at paragraph, then line, then
    word boundaries. Why: a hit shows its passage, not a whole book, and each passage ranks on its own."""
    out: list[str] = []
    current = ""
    for para in (p.strip() for p in content.replace("\r\n", "\n").split("\n\n")):
        pieces = [para]
        while pieces and len(pieces[-1]) > size:  # an overlong paragraph: cut at the last space before size
            head = pieces.pop()
            cut = head.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            pieces += [head[:cut].strip(), head[cut:].strip()]
        for piece in filter(None, pieces):
            if current and len(current) + len(piece) + 2 > size:
                out.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        out.append(current)
    return out


def index_text(text: Text) -> int:
    """A born-digital document's text, one entry per passage ("text:<id>:<n>"); its old passages go first
    (an edited text may have fewer). Returns the passages written."""
    doc = Document.objects.filter(pk=text.document_id).values("collection_id", "year_from").first()
    if doc is None:
        return 0
    config = language_of([doc["collection_id"]])[doc["collection_id"]]
    with transaction.atomic(savepoint=False):
        unindex_text(text.pk)
        entries = [SearchEntry(
            source=f"text:{text.pk}:{n}", kind=EntryKind.TEXT, collection_id=doc["collection_id"],
            document_id=text.document_id, object_id=text.pk, is_current=True, machine=False,
            created_at=text.created_at, year=doc["year_from"], config=config, text=passage, norm=fold(passage))
            for n, passage in enumerate(text_passages(text.content))]
        SearchEntry.objects.bulk_create(entries, batch_size=BULK)
    return len(entries)


def unindex_text(text_id: int) -> None:
    SearchEntry.objects.filter(kind=EntryKind.TEXT, object_id=text_id)._raw_delete(SearchEntry.objects.db)


def reindex(collection: Collection | None = None) -> dict[str, int]:
    """Rebuild the index (of one collection, or all) from the archive's rows. Returns counts per kind."""
    counts = {"inscription": 0, "annotation": 0, "reflection": 0, "document": 0, "text": 0}
    with transaction.atomic():
        stale = SearchEntry.objects.all() if collection is None else SearchEntry.objects.filter(collection=collection)
        WordAlternative.objects.filter(entry__in=stale.values("pk")).delete()
        stale.delete()
        docs = Document.objects.all() if collection is None else Document.objects.filter(collection=collection)
        for doc in docs.iterator():
            index_document(doc)
            counts["document"] += 1
        for text in Text.objects.filter(document__in=docs.values("pk")).iterator():
            counts["text"] += index_text(text)
        ins = Inscription.objects.filter(document__in=docs.values("pk")).order_by("pk")
        batch: list[Inscription] = []
        for i in ins.iterator(chunk_size=BULK):
            batch.append(i)
            if len(batch) >= BULK:
                counts["inscription"] += index_inscriptions(batch)
                batch = []
        counts["inscription"] += index_inscriptions(batch)
        anns = Annotation.objects.all() if collection is None else Annotation.objects.filter(collection=collection)
        for a in anns.iterator():
            index_annotation(a)
            counts["annotation"] += 1
        refs = Reflection.objects.all() if collection is None else Reflection.objects.filter(collection=collection)
        for r in refs.iterator():
            index_reflection(r)
            counts["reflection"] += 1
    return counts
