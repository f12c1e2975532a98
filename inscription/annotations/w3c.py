"""Validation against the official W3C Web Annotation test-suite schemas (offline copies).

The schemas live in ``inscription/standards/w3c-annotation/`` (with their licence). A
document conforms when it is valid against every assertion listed in the relevant
``*Musts.test`` file. Format checks (``uri``, ``date-time``) are enforced because
``rfc3986-validator`` and ``rfc3339-validator`` are installed (see requirements.txt).
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
import referencing

SCHEMAS = Path(__file__).resolve().parent.parent / "standards" / "w3c-annotation"
MUSTS = {
    "Annotation": "annotations/annotationMusts.test",
    "AnnotationCollection": "collections/collectionMusts.test",
    "AnnotationPage": "collections/pages/pageMusts.test",
}


@cache
def _registry() -> referencing.Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("definitions/*.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["id"], referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT4)))
    return referencing.Registry().with_resources(resources)


@cache
def _validators(kind: str) -> tuple[tuple[str, str, jsonschema.Draft4Validator], ...]:
    listing = json.loads((SCHEMAS / MUSTS[kind]).read_text())
    out = []
    for name in listing["assertions"]:
        schema = json.loads((SCHEMAS / name).read_text())
        validator = jsonschema.Draft4Validator(schema, registry=_registry(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        out.append((name, schema.get("errorMessage") or schema.get("title", ""), validator))
    return tuple(out)


def failed_assertions(document: dict, kind: str | None = None) -> list[tuple[str, str]]:
    """[(assertion file, its error message)] for every MUST the document fails; [] means it conforms."""
    kind = kind or document.get("type")
    return [(name, message) for name, message, validator in _validators(kind) if not validator.is_valid(document)]


def format_checks_enforced() -> bool:
    """True when 'uri' and 'date-time' formats are really checked (the validator packages are present)."""
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    return not checker.conforms("yesterday", "date-time") and not checker.conforms("not a uri", "uri")
