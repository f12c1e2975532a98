"""W3C Web Annotation JSON-LD, to and from the platform's annotation JSON (pure: no database).

Reused by the formats engineer (IIIF manifests, the collection zip): pass ``iri_for`` to
map internal references (``"page:3"``) to other IRIs, e.g. IIIF canvases.

- ``annotation_to_jsonld(annotation, base_url)`` → one Annotation (validates against the
  W3C ``annotationMusts`` assertions);
- ``collection_to_jsonld`` / ``page_to_jsonld`` → AnnotationCollection / AnnotationPage
  (``partOf`` embedded, as ``pageMusts`` requires);
- ``jsonld_to_annotation_data(data, base_url)`` → the platform JSON of one annotation;
  ``jsonld_annotations(data, base_url)`` reads an Annotation, an AnnotationPage or an
  AnnotationCollection with embedded pages, one ``ReadAnnotation`` per annotation.
Every motivation of the W3C vocabulary is read; targets outside this archive are kept as
given (``{"source": IRI, "external": true, "given": ...}``) and written back unchanged.
Invalid input raises ``JsonLdError`` with a plain message and a path; valid W3C that
cannot be kept here (refinedBy, Composite bodies, unknown archive IRIs) is returned per
annotation with its error, so an import keeps the rest and reports it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from inscription.annotations.selectors import PURPOSES

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# IIIF Presentation 3 annotation pages use the IIIF context, which includes the annotation one.
IIIF_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
API_PREFIX = "/api/v1/"
API_PATHS = {
    "annotation": "annotations", "comparison": "comparisons", "document": "documents", "inscription": "inscriptions",
    "line": "lines", "model": "models", "page": "pages", "reflection": "reflections",
}
_KIND_OF_PATH = {v: k for k, v in API_PATHS.items()}
W3C_MOTIVATIONS = PURPOSES  # oa:Motivation, the whole vocabulary of the W3C model (§3.3.5); purposes use the same
IriFor = Callable[[str], str]


class JsonLdError(ValueError):
    """Bad JSON-LD. ``unkeepable``: valid W3C that this archive cannot keep (the import keeps the other annotations
    and lists this one as not kept, under ``code``); otherwise the input is invalid and the whole import is refused."""

    def __init__(self, message: str, path: str = "", unkeepable: bool = False, code: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path
        self.unkeepable = unkeepable
        self.code = code or ("unsupported" if unkeepable else "invalid_jsonld")


@dataclass
class ReadAnnotation:
    """One annotation read from JSON-LD: its platform JSON (None when it cannot be kept, see ``error``), the id it
    had, and what of it was left out (e.g. extra motivations)."""

    data: dict | None
    imported_id: str | None = None
    path: str = ""
    error: JsonLdError | None = None
    dropped: list[str] = field(default_factory=list)


def iri(base_url: str, ref: str) -> str:
    """``"document:7"`` → ``{base}/api/v1/documents/7/``; an http(s) IRI is returned as is."""
    if ref.startswith(("http://", "https://")):
        return ref
    kind, _, pk = ref.partition(":")
    return f"{base_url.rstrip('/')}{API_PREFIX}{API_PATHS[kind]}/{pk}/"


def ref_from_iri(value: str, base_url: str) -> str | None:
    """The internal reference for one of this archive's API IRIs, else None."""
    base = urlsplit(base_url)
    parts = urlsplit(value)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    match = re.fullmatch(r"/api/v1/([a-z-]+)/(\d+)/?", parts.path)
    if not match or match.group(1) not in _KIND_OF_PATH or parts.query or parts.fragment:
        return None
    return f"{_KIND_OF_PATH[match.group(1)]}:{int(match.group(2))}"


def _one_or_many(items: list) -> Any:
    return items[0] if len(items) == 1 else items


def _timestamp(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def body_to_jsonld(body: dict, base_url: str, iri_for: IriFor | None = None) -> dict:
    if body["type"] == "TextualBody":
        out = {"type": "TextualBody", "value": body["value"], "format": body.get("format", "text/plain")}
        for key in ("language", "purpose"):
            if body.get(key):
                out[key] = body[key]
        return out
    source = body["source"]
    internal = not source.startswith(("http://", "https://"))
    out = {"type": "SpecificResource", "source": iri_for(source) if iri_for and internal else iri(base_url, source)}
    if body.get("purpose"):
        out["purpose"] = body["purpose"]
    return out


def target_to_jsonld(target: dict, base_url: str, iri_for: IriFor | None = None) -> Any:
    if target.get("external"):  # outside this archive: written back exactly as it was given
        return target.get("given") or target["source"]
    source = iri_for(target["source"]) if iri_for else iri(base_url, target["source"])
    selectors = target.get("selector") or []
    if not selectors:
        return source
    return {"type": "SpecificResource", "source": source, "selector": _one_or_many([dict(s) for s in selectors])}


def annotation_to_jsonld(annotation: Any, base_url: str, iri_for: IriFor | None = None, with_context: bool = True) -> dict:
    """One annotation (an ``Annotation`` row or anything with the same attributes) as W3C JSON-LD."""
    out: dict[str, Any] = {}
    if with_context:
        out["@context"] = ANNO_CONTEXT
    out["id"] = iri(base_url, f"annotation:{annotation.pk}")
    out["type"] = "Annotation"
    out["motivation"] = annotation.motivation
    user = annotation.created_by
    if user is not None:
        out["creator"] = {"type": "Person", "nickname": user.get_username(), "name": user.get_full_name() or user.get_username()}
    out["created"] = _timestamp(annotation.created_at)
    out["modified"] = _timestamp(annotation.modified_at)
    bodies = [body_to_jsonld(b, base_url, iri_for) for b in annotation.body or []]
    if bodies:
        out["body"] = _one_or_many(bodies)
    out["target"] = _one_or_many([target_to_jsonld(t, base_url, iri_for) for t in annotation.target])
    return out


def collection_to_jsonld(collection_iri: str, label: str, total: int, page_size: int) -> dict:
    """An AnnotationCollection whose pages are ``{collection_iri}?page=N`` (1-based)."""
    out = {"@context": ANNO_CONTEXT, "id": collection_iri, "type": "AnnotationCollection", "label": label, "total": total}
    if total:
        last = max(1, -(-total // page_size))
        out["first"] = f"{collection_iri}?page=1"
        out["last"] = f"{collection_iri}?page={last}"
    return out


def page_to_jsonld(collection_iri: str, label: str, total: int, page: int, page_size: int, items: list[dict]) -> dict:
    """AnnotationPage ``page`` (1-based) of the collection, with ``partOf`` embedded."""
    last = max(1, -(-total // page_size))
    out: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": f"{collection_iri}?page={page}",
        "type": "AnnotationPage",
        "partOf": {"id": collection_iri, "label": label, "total": total},
        "startIndex": (page - 1) * page_size,
        "items": items,
    }
    if page > 1:
        out["prev"] = f"{collection_iri}?page={page - 1}"
    if page < last:
        out["next"] = f"{collection_iri}?page={page + 1}"
    return out


# --- from JSON-LD -------------------------------------------------------------------------------


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _check_context(data: dict, path: str) -> None:
    context = data.get("@context")
    if context is None:
        raise JsonLdError(f"'@context' is missing; it must be {ANNO_CONTEXT}", path)
    if ANNO_CONTEXT not in _as_list(context) and IIIF_CONTEXT not in _as_list(context):
        raise JsonLdError(f"'@context' must be {ANNO_CONTEXT}, not {context!r}", path)


def _types(data: dict) -> list:
    return [t for t in _as_list(data.get("type", data.get("@type"))) if isinstance(t, str)]


def _iri_of(value: Any, path: str) -> str:
    if isinstance(value, dict):
        value = value.get("id", value.get("@id"))
    if not isinstance(value, str) or not value:
        raise JsonLdError("expected an IRI (a string or an object with 'id')", path)
    return value


def _bodies_from(value: Any, base_url: str, path: str) -> list[dict]:
    """A body, or every item of a ``Choice`` (all choices are kept, in order)."""
    if isinstance(value, dict) and "Choice" in _types(value):
        items = value.get("items")
        if not isinstance(items, list) or not items:
            raise JsonLdError("a Choice body has a list of 'items'", path)
        return [_body_from(item, base_url, f"{path}.items[{i}]") for i, item in enumerate(items)]
    return [_body_from(value, base_url, path)]


def _body_from(value: Any, base_url: str, path: str) -> dict:
    if isinstance(value, str):
        return {"type": "Link", "source": ref_from_iri(value, base_url) or value}
    if not isinstance(value, dict):
        raise JsonLdError("a body is an IRI or an object", path)
    types = _types(value)
    if "TextualBody" in types or ("value" in value and not types):
        if not isinstance(value.get("value"), str):
            raise JsonLdError("a TextualBody has a string 'value'", path)
        body: dict[str, Any] = {"type": "TextualBody", "value": value["value"]}
        for key in ("format", "language", "purpose"):
            if key in value:
                body[key] = value[key]
        return body
    if set(types) & {"Composite", "List", "Independents"}:
        raise JsonLdError(f"{types[0]} bodies are not supported; send the bodies as a list", path, unkeepable=True)
    if "SpecificResource" in types or (not types and "source" in value and not value.get("id", value.get("@id"))):
        source = _iri_of(value.get("source"), f"{path}.source")  # the spec allows a body with a source and no type
    else:
        source = _iri_of(value, path)
    body = {"type": "Link", "source": ref_from_iri(source, base_url) or source}
    if "purpose" in value:
        body["purpose"] = value["purpose"]
    return body


def _target_from(value: Any, base_url: str, path: str) -> dict:
    if isinstance(value, dict) and "SpecificResource" in _types(value) or isinstance(value, dict) and "selector" in value:
        source = _iri_of(value.get("source"), f"{path}.source")
        selectors = []
        for i, sel in enumerate(_as_list(value.get("selector", []))):
            if not isinstance(sel, dict):
                raise JsonLdError("a selector is an object", f"{path}.selector[{i}]")
            if "refinedBy" in sel:
                raise JsonLdError("refinedBy selectors are not supported", f"{path}.selector[{i}]", unkeepable=True)
            selectors.append({k: v for k, v in sel.items() if k != "@type"} | ({"type": sel["@type"]} if "@type" in sel else {}))
    else:
        source = _iri_of(value, path)
        selectors = []
    ref = ref_from_iri(source, base_url)
    if ref is None and _is_ours(source, base_url):
        raise JsonLdError(f"the target {source!r} is not an inscription, line, page or document of this archive", path,
                          unkeepable=True, code="unknown_target")
    if ref is None:
        if not re.fullmatch(r"https?://[^\s<>\"]+", source):
            raise JsonLdError(f"the target {source!r} is neither in this archive nor an http(s) IRI", path,
                              unkeepable=True, code="unknown_target")
        return {"source": source, "external": True, "given": value}  # outside the archive: kept as given
    target: dict[str, Any] = {"source": ref}
    if selectors:
        target["selector"] = selectors
    return target


def _motivation(value: str, path: str) -> str:
    """A motivation of the W3C vocabulary, bare, as ``oa:…`` or as its full IRI. Another IRI is valid W3C but not kept
    here; a bare word outside the vocabulary is not a term of the W3C context at all: invalid."""
    name = value.rsplit("#", 1)[-1].removeprefix("oa:")
    if name in W3C_MOTIVATIONS:
        return name
    message = f"unknown motivation '{value}'; use one of: {', '.join(W3C_MOTIVATIONS)}"
    raise JsonLdError(message, path, unkeepable="://" in value, code="unknown_motivation")


def _is_ours(value: str, base_url: str) -> bool:
    """An IRI on this archive's host under its API: it names something here, never an external resource."""
    base, parts = urlsplit(base_url), urlsplit(value)
    return (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and parts.path.startswith(API_PREFIX)


def jsonld_to_annotation_data(data: Any, base_url: str, path: str = "", require_context: bool = True,
                              dropped: list[str] | None = None) -> dict:
    """One W3C Annotation → the platform JSON (checked further by the annotation service). Extra motivations beyond
    the first are left out and named in ``dropped`` (the platform keeps one per annotation)."""
    if not isinstance(data, dict):
        raise JsonLdError("an Annotation is a JSON object", path)
    if require_context:
        _check_context(data, path)
    if "Annotation" not in _types(data):
        raise JsonLdError(f"'type' must be 'Annotation', not {data.get('type')!r}", path)
    out: dict[str, Any] = {}
    motivations = _as_list(data["motivation"]) if "motivation" in data else []
    if not all(isinstance(m, str) for m in motivations):
        raise JsonLdError("motivation is a string", f"{path}.motivation".lstrip("."))
    names = [_motivation(m, f"{path}.motivation".lstrip(".")) for m in motivations]
    if names:
        out["motivation"] = names[0]
    if len(motivations) > 1 and dropped is not None:
        dropped.extend(["motivations after the first (one is kept per annotation)"] * (len(motivations) - 1))
    bodies = []
    if "bodyValue" in data:
        if not isinstance(data["bodyValue"], str):
            raise JsonLdError("bodyValue is a string", f"{path}.bodyValue".lstrip("."))
        bodies.append({"type": "TextualBody", "value": data["bodyValue"], "format": "text/plain"})
    for i, body in enumerate(_as_list(data.get("body", []))):
        bodies.extend(_bodies_from(body, base_url, f"{path}.body[{i}]".lstrip(".")))
    if bodies:
        out["body"] = bodies
    if "target" not in data:
        raise JsonLdError("an Annotation needs a 'target'", path)
    out["target"] = [_target_from(t, base_url, f"{path}.target[{i}]".lstrip(".")) for i, t in enumerate(_as_list(data["target"]))]
    return out


def _read_one(item: Any, base_url: str, path: str, require_context: bool) -> ReadAnnotation:
    """One annotation; an unkeepable one is returned with its error, an invalid one raises."""
    imported_id = item.get("id", item.get("@id")) if isinstance(item, dict) else None
    imported_id = imported_id if isinstance(imported_id, str) else None
    dropped: list[str] = []
    try:
        data = jsonld_to_annotation_data(item, base_url, path, require_context=require_context, dropped=dropped)
    except JsonLdError as exc:
        if not exc.unkeepable:
            raise
        return ReadAnnotation(None, imported_id, path, exc)
    return ReadAnnotation(data, imported_id, path, dropped=dropped)


def jsonld_annotations(data: Any, base_url: str) -> list[ReadAnnotation]:
    """An Annotation, an AnnotationPage or an AnnotationCollection (with embedded pages) → one ``ReadAnnotation`` each.

    Invalid input raises ``JsonLdError``; an annotation that is valid but cannot be kept comes back with its error."""
    if not isinstance(data, dict):
        raise JsonLdError("expected a JSON object: an Annotation, AnnotationPage or AnnotationCollection")
    _check_context(data, "")
    types = _types(data)
    if "Annotation" in types:
        return [_read_one(data, base_url, "", True)]
    pages: list[tuple[str, Any]] = []
    if "AnnotationPage" in types:
        pages.append(("", data))
    elif "AnnotationCollection" in types:
        first = data.get("first")
        if first is None:
            raise JsonLdError("an AnnotationCollection to import embeds its pages in 'first' (and their 'next')")
        page, path = first, "first"
        while page is not None:
            if not isinstance(page, dict):
                raise JsonLdError("pages must be embedded objects; linked pages are not fetched", path)
            pages.append((path, page))
            page, path = page.get("next"), f"{path}.next"
            if len(pages) > 1000:
                raise JsonLdError("too many pages")
    else:
        raise JsonLdError(f"'type' must be Annotation, AnnotationPage or AnnotationCollection, not {data.get('type')!r}")
    out = []
    for path, page in pages:
        if "AnnotationPage" not in _types(page):
            raise JsonLdError("expected an AnnotationPage", path)
        items = page.get("items")
        if not isinstance(items, list):
            raise JsonLdError("an AnnotationPage has a list of 'items'", path)
        for i, item in enumerate(items):
            out.append(_read_one(item, base_url, f"{path}.items[{i}]".lstrip("."), False))
    return out
