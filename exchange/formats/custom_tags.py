"""Transkribus ``custom`` tags (``person {offset:0; length:4; firstname:Anna;}``) ↔ W3C annotations on the text span.

Why annotations: a tag marks a span of a reading (a person, a place, an abbreviation, an
unclear passage) — exactly what a W3C annotation with a TextPositionSelector on the
inscription says. The tag name is the tagging body; its other properties stay in the
annotation's ``extra["transkribus"]`` and a describing body, so the PAGE export writes
the same ``custom`` attribute back. ``readingOrder`` (the order) and ``structure`` (the
region type, issue 16) are not span tags.
"""
from __future__ import annotations

import re

TAG = re.compile(r"(\w+)\s*\{([^}]*)\}")
NOT_SPAN = {"readingOrder", "structure"}
MOTIVATION = {"person": "identifying", "place": "identifying", "organization": "identifying", "date": "identifying",
              "abbrev": "describing", "textStyle": "describing", "sic": "describing", "comment": "commenting",
              "unclear": "assessing", "gap": "assessing"}


def _unescape(value: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value)


def _escape(value: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if c in ";:{}\\" else c for c in value)


def parse(custom: str) -> list[dict]:
    """The span tags of a ``custom`` attribute: [{"tag", "offset", "length", "attrs": {...}}], in order."""
    out = []
    for name, body in TAG.findall(custom or ""):
        if name in NOT_SPAN:
            continue
        attrs: dict[str, str] = {}
        for part in body.split(";"):
            key, sep, value = part.partition(":")
            if sep and key.strip():
                attrs[key.strip()] = _unescape(value.strip())
        try:
            offset, length = int(attrs.pop("offset")), int(attrs.pop("length"))
        except (KeyError, ValueError):
            continue
        out.append({"tag": name, "offset": offset, "length": length, "attrs": attrs})
    return out


def write(tags: list[dict]) -> str:
    """The ``custom`` text of span tags (after ``readingOrder``), as Transkribus writes it."""
    parts = []
    for t in tags:
        fields = [f"offset:{t['offset']}", f"length:{t['length']}"] + [f"{k}:{_escape(str(v))}" for k, v in t["attrs"].items()]
        parts.append(f"{t['tag']} {{{'; '.join(fields)};}}")
    return " ".join(parts)


def annotation_data(tag: dict, inscription_pk: int) -> dict:
    """Platform JSON of the W3C annotation a tag becomes."""
    body = [{"type": "TextualBody", "value": tag["tag"], "purpose": "tagging"}]
    if tag["attrs"]:
        body.append({"type": "TextualBody", "purpose": "describing", "format": "text/plain",
                     "value": "; ".join(f"{k}: {v}" for k, v in tag["attrs"].items())})
    return {"motivation": MOTIVATION.get(tag["tag"], "tagging"), "body": body,
            "target": [{"source": f"inscription:{inscription_pk}", "selector": [
                {"type": "TextPositionSelector", "start": tag["offset"], "end": tag["offset"] + tag["length"]}]}]}


def tags_of(inscription) -> list[dict]:
    """The Transkribus tags written back for an inscription: its current, not withdrawn annotations that came from one."""
    from inscription.models import Annotation

    found = []
    for annotation in Annotation.objects.filter(inscriptions=inscription, withdrawn=False).order_by("created_at", "id"):
        if "transkribus" not in (annotation.extra or {}):
            continue
        tag = annotation.extra["transkribus"]  # no database ids in it: a restored archive writes the same tags
        found.append({k: tag[k] for k in ("tag", "offset", "length", "attrs")})
    return found
