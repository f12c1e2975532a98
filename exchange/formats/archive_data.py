"""The restore data of a collection archive: every row a restore needs, keyed by export-local keys.

Why local keys (``d1``, ``d1p2``, ``d1p2l3``, ``i17``, ``a4``, ``f1``, ``m1``) instead of
database ids: the archive must restore into another database, and exporting the restored
collection again must give the same data. Keys follow creation order, which a restore
reproduces. References inside annotation JSON (``"inscription:45"``) and reflection
Markdown (``[@annotation:12]``) are rewritten to keys (``"inscription:i17"``).
"""
from __future__ import annotations

import re
from typing import Any

from archive.models import Collection, Document, GeometryRevision, Line, Region
from inscription.annotations.rendering import CITATION
from inscription.models import Annotation, Inscription, Reflection
from inscription.models.versioned import RecordVersion, VersionedRecord
from jobs.models import ModelVersion

FORMAT = "palimpsest-collection-archive"
VERSION = 1
REF = re.compile(r"^([a-z]+):(\d+)$")


def ts(value) -> str | None:
    return value.isoformat() if value is not None else None


def username(user) -> str | None:
    return user.get_username() if user is not None else None


class Keys:
    """database object → export key, per kind, and the reverse rewrite of references."""

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[int, str]] = {}

    def add(self, kind: str, pk: int, key: str) -> str:
        self.by_kind.setdefault(kind, {})[pk] = key
        return key

    def get(self, kind: str, pk: int | None) -> str | None:
        return self.by_kind.get(kind, {}).get(pk) if pk is not None else None

    def ref(self, value: str, base: str) -> str:
        """``"page:3"`` → ``"page:d1p1"``; a reference outside the archive becomes an absolute IRI."""
        match = REF.match(value or "")
        if not match:
            return value
        key = self.get(match.group(1), int(match.group(2)))
        if key is not None:
            return f"{match.group(1)}:{key}"
        from inscription.annotations.jsonld import iri

        return iri(base, value)

    def markdown(self, text: str) -> str:
        def swap(m: re.Match) -> str:
            key = self.get(m.group(1), int(m.group(2)))
            return f"[@{m.group(1)}:{key}]" if key else m.group(0)

        return CITATION.sub(swap, text or "")


def _model(mv: ModelVersion) -> dict[str, Any]:
    return {
        "name": mv.name, "version": mv.version, "task": mv.task, "path": mv.path, "sha256": mv.sha256,
        "architecture": mv.architecture, "hyperparameters": mv.hyperparameters, "charset": mv.charset,
        "training_data": mv.training_data, "metrics": mv.metrics, "licence": mv.licence, "card": mv.card,
        "created_at": ts(mv.created_at),
    }


def _geometry(obj, keys: Keys) -> dict[str, Any]:
    """Shape and attribution; a layout-edited or retired (deleted, merged away) one says so."""
    out = {"polygon": obj.polygon, "source": obj.source, "created_by": username(obj.created_by),
           "model": keys.get("model", obj.model_version_id), "created_at": ts(obj.created_at)}
    if obj.version != 1 or obj.retired:
        out.update(version=obj.version, retired=obj.retired)
    return out


def _revision(rev, keys: Keys, users: set[str]) -> dict[str, Any]:
    """One GeometryRevision (the layout history), with lines and regions by key."""
    if rev.created_by_id:
        users.add(username(rev.created_by))
    return {"line": keys.get("line", rev.line_id), "region": keys.get("region", rev.region_id), "version": rev.version,
            "action": rev.action, "act": str(rev.act), "polygon": rev.polygon, "baseline": rev.baseline, "order": rev.order,
            "kind": rev.kind, "in_region": keys.get("region", rev.in_region_id), "retired": rev.retired, "source": rev.source,
            "created_by": username(rev.created_by), "model": keys.get("model", rev.model_version_id),
            "created_at": ts(rev.created_at), "note": rev.note}


def collect(collection: Collection, base: str) -> tuple[dict[str, Any], list[Document]]:
    """The restore data of ``collection`` and its documents in export order."""
    keys = Keys()
    users: set[str] = set()
    documents = list(collection.documents.order_by("id").prefetch_related("tags"))
    model_ids: set[int] = set()
    if collection.default_model_id:
        model_ids.add(collection.default_model_id)
    for qs in (Inscription.objects.filter(document__in=documents), ):
        model_ids.update(qs.exclude(model_version=None).values_list("model_version_id", flat=True))
    from inscription.models import Layer

    for model in (Layer, ):
        model_ids.update(model.objects.filter(document__in=documents).exclude(model_version=None).values_list("model_version_id", flat=True))
    for manager in (Line.all_objects, Region.all_objects, GeometryRevision.objects):
        model_ids.update(manager.filter(page__document__in=documents).exclude(model_version=None)
                         .values_list("model_version_id", flat=True))
    models = []
    for n, mv in enumerate(ModelVersion.objects.filter(pk__in=model_ids).order_by("name", "version", "sha256", "id"), 1):
        keys.add("model", mv.pk, f"m{n}")
        models.append({"key": f"m{n}", **_model(mv)})

    out_docs = [_document(doc, n, keys, users) for n, doc in enumerate(documents, 1)]
    # Keys of annotations and reflections first: each may cite the other.
    for n, pk in enumerate(Annotation.objects.filter(collection=collection).order_by("id").values_list("pk", flat=True), 1):
        keys.add("annotation", pk, f"a{n}")
    for n, pk in enumerate(Reflection.objects.filter(collection=collection).order_by("id").values_list("pk", flat=True), 1):
        keys.add("reflection", pk, f"f{n}")
    annotations = _annotations(collection, keys, users, base)
    reflections = _reflections(collection, keys, users)
    for doc in out_docs:
        doc["annotations"] = [a for a in annotations if a["document"] == doc["key"]]
    data = {
        "format": FORMAT,
        "version": VERSION,
        "collection": {"slug": collection.slug, "title": collection.title, "description": collection.description,
                       "creator": collection.creator, "date": collection.date, "source": collection.source,
                       "rights": collection.rights, "language": collection.language,
                       "visibility": collection.visibility, "default_model": keys.get("model", collection.default_model_id),
                       "created_at": ts(collection.created_at)},
        "models": models,
        "documents": out_docs,
        "reflections": reflections,
    }
    data["users"] = sorted(u for u in users if u)
    return data, documents


def _document(doc: Document, n: int, keys: Keys, users: set[str]) -> dict[str, Any]:
    dkey = keys.add("document", doc.pk, f"d{n}")
    if doc.created_by_id:
        users.add(username(doc.created_by))
    out: dict[str, Any] = {
        "key": dkey, "kind": doc.kind, "title": doc.title, "creator": doc.creator, "date": doc.date, "year_from": doc.year_from,
        "year_to": doc.year_to, "place": doc.place, "language": doc.language, "rights": doc.rights, "source": doc.source,
        "description": doc.description, "tags": sorted(t.name for t in doc.tags.all()), "created_by": username(doc.created_by),
        "created_at": ts(doc.created_at), "updated_at": ts(doc.updated_at), "text": None, "pages": [], "layers": [],
    }
    text = getattr(doc, "text", None) if hasattr(doc, "text") else None
    if text is not None:
        out["text"] = {"content": text.content, "encoding": text.encoding, "original_filename": text.original_filename,
                       "sha256": text.sha256, "created_at": ts(text.created_at)}
    for p, page in enumerate(doc.pages.select_related("image").order_by("order", "id"), 1):
        pkey = keys.add("page", page.pk, f"{dkey}p{p}")
        regions = []
        for r, region in enumerate(Region.all_objects.filter(page=page).order_by("order", "id"), 1):  # retired ones too
            keys.add("region", region.pk, f"{pkey}r{r}")
            regions.append({"key": f"{pkey}r{r}", "kind": region.kind, "order": region.order, "external_id": region.external_id,
                            **_geometry(region, keys)})
            if region.created_by_id:
                users.add(username(region.created_by))
        lines = []
        for k, line in enumerate(Line.all_objects.filter(page=page).order_by("retired", "order", "id"), 1):
            keys.add("line", line.pk, f"{pkey}l{k}")
            lines.append({"key": f"{pkey}l{k}", "region": keys.get("region", line.region_id), "order": line.order,
                          "baseline": line.baseline, "external_id": line.external_id, "kind": line.kind, **_geometry(line, keys)})
            if line.created_by_id:
                users.add(username(line.created_by))
        revisions = [_revision(rev, keys, users) for rev in page.geometry_revisions.order_by("created_at", "id")]
        out["pages"].append({
            "key": pkey, "order": page.order, "sha256": page.image_id, "image": image_path(page.image),
            "mime_type": page.image.mime_type, "width": page.width, "height": page.height,
            "original_filename": page.original_filename, "label": page.label, "iiif_source": page.iiif_source,
            "created_at": ts(page.created_at), "regions": regions, "lines": lines,
            **({"geometry_revisions": revisions} if revisions else {}),
        })
    for l_n, layer in enumerate(doc.layers.order_by("id"), 1):
        lkey = f"{dkey}L{l_n}"
        keys.add("layer", layer.pk, lkey)
        if layer.created_by_id:
            users.add(username(layer.created_by))
        inscriptions = []
        for ins in layer.inscriptions.select_related("created_by").order_by("id"):
            ikey = keys.add("inscription", ins.pk, f"i{len(keys.by_kind.get('inscription', {})) + 1}")
            if ins.created_by_id:
                users.add(username(ins.created_by))
            inscriptions.append({
                "key": ikey, "kind": ins.kind, "action": ins.action,
                "target": {"line": keys.get("line", ins.line_id)} if ins.line_id
                else {"page": keys.get("page", ins.page_id)} if ins.page_id else {"document": dkey},
                "text": ins.text, "created_by": username(ins.created_by), "model": keys.get("model", ins.model_version_id),
                "parameters": ins.parameters, "supersedes": keys.get("inscription", ins.supersedes_id),
                "restored_from": keys.get("inscription", ins.restored_from_id), "version": ins.version,
                "is_current": ins.is_current, "withdrawn": ins.withdrawn, "confidence": ins.confidence,
                "char_confidences": ins.char_confidences, "char_frames": ins.char_frames, "char_columns": ins.char_columns,
                "extra": ins.extra, "created_at": ts(ins.created_at),
            })
        out["layers"].append({"key": lkey, "name": layer.name, "kind": layer.kind, "model": keys.get("model", layer.model_version_id),
                              "parameters": layer.parameters, "created_by": username(layer.created_by),
                              "created_at": ts(layer.created_at), "inscriptions": inscriptions})
    return out


def image_path(blob) -> str:
    ext = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif", "image/webp": "webp"}.get(blob.mime_type, "bin")
    return f"images/{blob.sha256}.{ext}"


def _rewrite_json(value: Any, keys: Keys, base: str) -> Any:
    """Annotation body/target JSON with every ``source`` reference rewritten to keys."""
    if isinstance(value, list):
        return [_rewrite_json(v, keys, base) for v in value]
    if isinstance(value, dict):
        return {k: (keys.ref(v, base) if k == "source" and isinstance(v, str) else _rewrite_json(v, keys, base)) for k, v in value.items()}
    return value


def _history(record: VersionedRecord, users: set[str]) -> list[RecordVersion]:
    """A versioned record's versions, oldest first; their authors (and the record's) join ``users``."""
    versions = list(record.versions.select_related("created_by").order_by("version"))
    users.update(username(x.created_by) for x in [record, *versions] if x.created_by_id)
    return versions


def _stamp(row: RecordVersion | VersionedRecord) -> dict[str, Any]:
    """Who and when, as every record and version is written."""
    return {"created_by": username(row.created_by), "created_at": ts(row.created_at)}


def _annotations(collection: Collection, keys: Keys, users: set[str], base: str) -> list[dict[str, Any]]:
    out = []
    annotations = list(Annotation.objects.filter(collection=collection).select_related("created_by").order_by("id"))
    for ann in annotations:
        versions = [{"version": v.version, "action": v.action, "motivation": v.motivation,
                     "body": _rewrite_json(v.body, keys, base), "target": _rewrite_json(v.target, keys, base),
                     "orphaned": v.orphaned, "withdrawn": v.withdrawn, **_stamp(v), "note": v.note}
                    for v in _history(ann, users)]
        out.append({
            "key": keys.get("annotation", ann.pk), "document": keys.get("document", ann.document_id),
            "page": keys.get("page", ann.page_id), "line": keys.get("line", ann.line_id),
            "inscriptions": sorted(keys.get("inscription", pk) for pk in ann.inscriptions.values_list("pk", flat=True)),
            "tags": sorted(ann.tags.values_list("name", flat=True)), "motivation": ann.motivation,
            "body": _rewrite_json(ann.body, keys, base), "target": _rewrite_json(ann.target, keys, base),
            "version": ann.version, "orphaned": ann.orphaned, "withdrawn": ann.withdrawn, **_stamp(ann),
            "modified_at": ts(ann.modified_at), "extra": ann.extra, "versions": versions,
        })
    return out


def _reflections(collection: Collection, keys: Keys, users: set[str]) -> list[dict[str, Any]]:
    out = []
    reflections = list(Reflection.objects.filter(collection=collection).select_related("created_by").order_by("id"))
    for ref in reflections:
        versions = [{"version": v.version, "action": v.action, "title": v.title, "body": keys.markdown(v.body),
                     "is_current": v.is_current, **_stamp(v)} for v in _history(ref, users)]
        out.append({"key": keys.get("reflection", ref.pk), "title": ref.title, "body": keys.markdown(ref.body),
                    "version": ref.version, "withdrawn": ref.withdrawn, **_stamp(ref),
                    "modified_at": ts(ref.modified_at), "versions": versions})
    return out
