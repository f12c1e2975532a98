"""Running comparisons: resolve two inscription sets, align them, store figures; cached by versions.

A side is asked as one of (in a scope of one document or one collection):
- ``{"layer": id}``: the current, not withdrawn inscriptions of a layer;
- ``{"layer_name": "ground truth"}``: the same, for the layers of that name in the scope
  (one per document, so a whole collection can be compared);
- ``{"model_version": id}``: current inscriptions written by that model version;
- ``{"inscriptions": [id, ...]}``: exact versions (e.g. an older version of each line).
The left side is the reference, the right the hypothesis. Targets are matched by
``target_key`` (line:ID, page:ID or document:ID). The result is keyed by the sorted
inscription ids on each side: the same versions give back the stored comparison; any
new version gives a new one. Above ``PALIMPSEST_COMPARE_SYNC_LINES`` targets (2,000 by
default) the work runs as a ``compare`` Job on the io queue.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive.models import Collection, Document
from archive.permissions import READ, WRITE, can, require
from inscription.annotations.alignment import NORMALISATION, Totals, compare_pairs
from inscription.models import Comparison, ComparisonLine, ComparisonState, Inscription, Layer
from jobs.models import JobKind
from palimpsest.errors import InputError

BATCH = 500
SIDE_KINDS = ("layer", "layer_name", "model_version", "inscriptions")
MAX_INSCRIPTIONS = 200_000


def sync_line_limit() -> int:
    return int(getattr(settings, "PALIMPSEST_COMPARE_SYNC_LINES", 2000))


def _scope(user: AbstractBaseUser, scope: Any, sides: list[dict]) -> tuple[Collection, Document | None]:
    """The collection (and document) compared; from ``scope`` or from a layer side."""
    if scope is None:
        layer_ids = [s["layer"] for s in sides if isinstance(s, dict) and isinstance(s.get("layer"), int)]
        layer = Layer.objects.select_related("document__collection").filter(pk__in=layer_ids[:1]).first()
        if layer is None or not can(user, layer.document.collection, READ):
            raise InputError("Give a scope ({\"document\": id} or {\"collection\": id}) or a layer side that exists.",
                             code="bad_scope")
        return layer.document.collection, layer.document
    if not isinstance(scope, dict) or len(scope) != 1 or not isinstance(next(iter(scope.values())), int):
        raise InputError("scope is {\"document\": id} or {\"collection\": id}.", code="bad_scope")
    if "document" in scope:
        document = Document.objects.select_related("collection").filter(pk=scope["document"]).first()
        if document is None or not can(user, document.collection, READ):
            raise InputError("The scope document does not exist or you cannot read it.", code="bad_scope")
        return document.collection, document
    if "collection" in scope:
        collection = Collection.objects.filter(pk=scope["collection"]).first()
        if collection is None or not can(user, collection, READ):
            raise InputError("The scope collection does not exist or you cannot read it.", code="bad_scope")
        return collection, None
    raise InputError("scope is {\"document\": id} or {\"collection\": id}.", code="bad_scope")


def resolve_side(spec: Any, collection: Collection, document: Document | None, name: str) -> dict[str, int]:
    """target_key → inscription id for one side; errors name the side ("left"/"right")."""
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in SIDE_KINDS:
        raise InputError(f"{name}: a side is one of {{\"layer\": id}}, {{\"layer_name\": str}}, {{\"model_version\": id}}, "
                         "{\"inscriptions\": [id, ...]}.", code="bad_side")
    kind, value = next(iter(spec.items()))
    qs = Inscription.objects.filter(document__collection=collection)
    if document is not None:
        qs = qs.filter(document=document)
    if kind == "inscriptions":
        if not isinstance(value, list) or not value or not all(isinstance(v, int) for v in value) or len(value) > MAX_INSCRIPTIONS:
            raise InputError(f"{name}: inscriptions is a non-empty list of ids.", code="bad_side")
        rows = [row for chunk in _chunks(sorted(set(value))) for row in qs.filter(pk__in=chunk).values_list("pk", "target_key")]
        if len(rows) != len(set(value)):
            raise InputError(f"{name}: some inscriptions do not exist in the scope.", code="bad_side")
    else:
        if kind == "layer_name":
            if not isinstance(value, str) or not value:
                raise InputError(f"{name}: layer_name is a string.", code="bad_side")
            qs = qs.filter(layer__name=value)
        elif not isinstance(value, int):
            raise InputError(f"{name}: {kind} is an id.", code="bad_side")
        elif kind == "layer":
            if not Layer.objects.filter(pk=value, document__collection=collection).exists():
                raise InputError(f"{name}: the layer does not exist in the scope.", code="bad_side")
            qs = qs.filter(layer_id=value)
        else:
            qs = qs.filter(model_version_id=value)
        rows = list(qs.filter(is_current=True, withdrawn=False).values_list("pk", "target_key"))
    by_key: dict[str, int] = {}
    for pk, key in rows:
        if key in by_key:
            raise InputError(f"{name}: two inscriptions on {key} ({by_key[key]} and {pk}); "
                             "narrow the side to one layer or list exact versions.", code="ambiguous_side")
        by_key[key] = pk
    if not by_key:
        raise InputError(f"{name}: no inscriptions found for {spec} in the scope.", code="empty_side")
    return by_key


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    """IN lists in chunks (SQLite limits the number of query parameters)."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def side_key(ids: list[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()


def _first_versions(side: Any, document: Document | None) -> Any:
    """``{"first_of_layer": id}`` → the exact first versions of each target in that layer (an inscriptions side)."""
    if not isinstance(side, dict) or "first_of_layer" not in side or document is None:
        return side
    ids = list(Inscription.objects.filter(document=document, layer_id=side["first_of_layer"], version=1, withdrawn=False)
               .values_list("pk", flat=True))
    if not ids:
        raise InputError("That layer has no first versions in this document.", code="empty_side")
    return {"inscriptions": ids}


def _sides(left: Any, right: Any, collection: Collection, document: Document | None,
           both_only: bool) -> tuple[Any, Any, dict[str, int], dict[str, int]]:
    """The two sides as asked and resolved. ``both_only`` narrows each to the exact versions of targets present
    on both sides, so a ground truth that covers part of a page is measured where it exists."""
    left, right = _first_versions(left, document), _first_versions(right, document)
    left_rows = resolve_side(left, collection, document, "left")
    right_rows = resolve_side(right, collection, document, "right")
    if both_only:
        if document is None:
            raise InputError("both_only compares within one document: give a document scope.", code="bad_scope")
        common = sorted(set(left_rows) & set(right_rows))
        if not common:
            raise InputError("The two sides have no line in common: nothing to compare.", code="nothing_in_common")
        left_rows, right_rows = {k: left_rows[k] for k in common}, {k: right_rows[k] for k in common}
        left, right = {"inscriptions": list(left_rows.values())}, {"inscriptions": list(right_rows.values())}
    return left, right, left_rows, right_rows


def request_comparison(user: AbstractBaseUser, left: Any, right: Any, scope: Any = None, label: str = "",
                       both_only: bool = False) -> tuple[Comparison, bool]:
    """The comparison of these exact versions: the stored one (created=False) or a new one, run now or as a Job.

    Besides resolve_side's sides, a side may be ``{"first_of_layer": id}`` (the layer's first versions in the
    scope document), and ``both_only`` keeps only targets both sides have.
    """
    collection, document = _scope(user, scope, [left, right])
    require(user, collection, WRITE)
    if not isinstance(label, str) or len(label) > 300:
        raise InputError("label is a string of at most 300 characters.", code="bad_label")
    if not isinstance(both_only, bool):
        raise InputError("both_only is true or false.", code="bad_side")
    left, right, left_rows, right_rows = _sides(left, right, collection, document, both_only)
    left_ids, right_ids = sorted(left_rows.values()), sorted(right_rows.values())
    lkey, rkey = side_key(left_ids), side_key(right_ids)
    cache_key = hashlib.sha256(f"L={lkey}|R={rkey}|{NORMALISATION}|v1".encode()).hexdigest()
    targets = len(set(left_rows) | set(right_rows))
    large = targets > sync_line_limit()
    existing = Comparison.objects.filter(cache_key=cache_key).first()
    if existing is not None and existing.state != ComparisonState.FAILED:
        return existing, False
    if existing is not None:  # a failed run is retried on request, in the same row
        return _retry(existing, user, large), False
    try:
        with transaction.atomic():
            comparison = Comparison.objects.create(
                collection=collection, document=document, label=label,
                left_spec={"asked": left, "inscription_ids": left_ids}, right_spec={"asked": right, "inscription_ids": right_ids},
                left_key=lkey, right_key=rkey, cache_key=cache_key, normalisation=NORMALISATION,
                state=ComparisonState.PENDING, created_by=user,
            )
            if large:
                from jobs.services.jobs import create_job

                job = create_job(JobKind.COMPARE, collection, document=document, params={"comparison": comparison.pk},
                                 user=user)
                Comparison.objects.filter(pk=comparison.pk).update(job=job)
                comparison.job = job
            else:
                compute(comparison)
    except IntegrityError:  # the same comparison was requested at the same moment
        return Comparison.objects.get(cache_key=cache_key), False
    return comparison, True


def _retry(comparison: Comparison, user: AbstractBaseUser, large: bool) -> Comparison:
    with transaction.atomic():
        Comparison.objects.filter(pk=comparison.pk).update(state=ComparisonState.PENDING, error="")
        comparison.state = ComparisonState.PENDING
        if large:
            from jobs.services.jobs import create_job

            job = create_job(JobKind.COMPARE, comparison.collection, document=comparison.document,
                             params={"comparison": comparison.pk}, user=user)
            Comparison.objects.filter(pk=comparison.pk).update(job=job)
            comparison.job = job
        else:
            compute(comparison)
    return comparison


def compute(comparison: Comparison, progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Align every target and store lines and totals (idempotent: derived rows are rebuilt).

    Reads plain tuples (no model instances) so 10,000-line comparisons stay cheap.
    """
    ids = comparison.left_spec["inscription_ids"] + comparison.right_spec["inscription_ids"]
    fields = ("pk", "target_key", "text", "document_id", "line__page__order", "page__order", "line__order")
    rows = {row[0]: row for chunk in _chunks(sorted(set(ids))) for row in
            Inscription.objects.filter(pk__in=chunk).values_list(*fields)}
    left = {rows[i][1]: rows[i] for i in comparison.left_spec["inscription_ids"]}
    right = {rows[i][1]: rows[i] for i in comparison.right_spec["inscription_ids"]}

    def order_key(key: str) -> tuple:
        _, _, _, document_id, line_page_order, page_order, line_order = left.get(key) or right[key]
        page = line_page_order if line_page_order is not None else page_order
        return (document_id, -1 if page is None else page, -1 if line_order is None else line_order, key)

    keys = sorted(set(left) | set(right), key=order_key)
    # Align outside the transaction, reporting progress (and honouring a cancel) between batches.
    results, totals = [], Totals()
    for start in range(0, len(keys), BATCH):
        batch, _ = compare_pairs((k, left[k][2] if k in left else None, right[k][2] if k in right else None)
                                 for k in keys[start:start + BATCH])
        for line in batch:
            totals.add(line)
        results.extend(batch)
        if progress:
            progress(start + len(batch), len(keys))
    with transaction.atomic():
        ComparisonLine.objects.filter(comparison=comparison).delete()
        ComparisonLine.objects.bulk_create([
            ComparisonLine(
                comparison=comparison, order=n, target_key=line.key, status=line.status,
                left_id=left[line.key][0] if line.key in left else None,
                right_id=right[line.key][0] if line.key in right else None,
                char_edits=line.char_edits, ref_chars=line.ref_chars, word_edits=line.word_edits, ref_words=line.ref_words,
                cer=line.cer, wer=line.wer, char_ops=line.char_ops, word_ops=line.word_ops,
            ) for n, line in enumerate(results)
        ], batch_size=BATCH)
        for name in ("char_edits", "ref_chars", "word_edits", "ref_words", "cer", "wer", "lines_both", "lines_left_only",
                     "lines_right_only"):
            setattr(comparison, name, getattr(totals, name))
        for name, value in totals.op_counts().items():
            setattr(comparison, name, value)
        comparison.confusion = totals.confusion_table()
        comparison.state = ComparisonState.READY
        comparison.error = ""
        comparison.finished_at = timezone.now()
        comparison.save()
    return comparison
