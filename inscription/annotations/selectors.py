"""The platform's annotation JSON: structure checked by JSON Schema, ranges checked against the target.

Shape (the plain API format; JSON-LD is mapped to and from it by ``jsonld``)::

    {"motivation": "commenting",
     "body": [{"type": "TextualBody", "value": "...", "format": "text/plain", "language": "en", "purpose": "commenting"},
              {"type": "TextualBody", "value": "war", "purpose": "tagging"},
              {"type": "Link", "source": "document:7" | "reflection:3" | "https://viaf.org/viaf/123", "purpose": "linking"}],
     "target": [{"source": "inscription:45", "selector": [{"type": "TextQuoteSelector", "exact": "...", "prefix": "...", "suffix": "..."},
                                                         {"type": "TextPositionSelector", "start": 4, "end": 9}]},
                {"source": "inscription:45", "selector": [{"type": "FragmentSelector", "conformsTo": FRAMES, "value": "frames=3,17"}]},
                {"source": "page:3", "selector": [{"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": "xywh=10,20,30,40"}]},
                {"source": "page:3", "selector": [{"type": "SvgSelector", "value": "<svg ...><polygon points='...'/></svg>"}]},
                {"source": "line:9"}, {"source": "document:7"},
                {"source": "https://example.org/iiif/canvas/1", "external": true, "given": <the JSON-LD target as it came>}]}

Positions count Unicode code points of the inscription text, ``end`` exclusive (as the
W3C TextPositionSelector). Selectors are normalised: a quote alone gets its position, a
position alone gets its quote, prefix and suffix, and an SVG is re-serialised from its
parsed shapes so nothing but geometry is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema
from defusedxml import ElementTree as SafeET

MEDIA_FRAGS = "http://www.w3.org/TR/media-frags/"
# Frame ranges of a machine reading (CTC frames, see Inscription.char_frames): "frames=a,b", b exclusive.
FRAMES = "urn:x-palimpsest:ctc-frames"
CONTEXT_CHARS = 32
TARGET_KINDS = ("inscription", "line", "page", "document")
LINK_KINDS = ("document", "reflection", "annotation", "inscription", "comparison", "page", "line")
SVG_NS = "http://www.w3.org/2000/svg"

_ref = {"type": "string", "pattern": r"^[a-z]+:[0-9]+$"}
_selector = {
    "oneOf": [
        {"type": "object", "required": ["type", "exact"], "additionalProperties": False,
         "properties": {"type": {"const": "TextQuoteSelector"}, "exact": {"type": "string", "minLength": 1, "maxLength": 10000},
                        "prefix": {"type": "string", "maxLength": 1000}, "suffix": {"type": "string", "maxLength": 1000}}},
        {"type": "object", "required": ["type", "start", "end"], "additionalProperties": False,
         "properties": {"type": {"const": "TextPositionSelector"}, "start": {"type": "integer", "minimum": 0},
                        "end": {"type": "integer", "minimum": 0}}},
        {"type": "object", "required": ["type", "value"], "additionalProperties": False,
         "properties": {"type": {"const": "FragmentSelector"}, "value": {"type": "string", "maxLength": 200},
                        "conformsTo": {"type": "string"}}},
        {"type": "object", "required": ["type", "value"], "additionalProperties": False,
         "properties": {"type": {"const": "SvgSelector"}, "value": {"type": "string", "maxLength": 100000}}},
    ]
}
ANNOTATION_SCHEMA = {
    "type": "object",
    "required": ["target"],
    "additionalProperties": False,
    "properties": {
        "motivation": {"type": "string"},
        "body": {"type": "array", "maxItems": 50, "items": {"oneOf": [
            {"type": "object", "required": ["type", "value"], "additionalProperties": False,
             "properties": {"type": {"const": "TextualBody"}, "value": {"type": "string", "maxLength": 100000},
                            "format": {"enum": ["text/plain", "text/markdown", "text/html"]},
                            "language": {"type": "string", "pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
                            "purpose": {"type": "string"}}},
            {"type": "object", "required": ["type", "source"], "additionalProperties": False,
             "properties": {"type": {"const": "Link"}, "source": {"type": "string", "minLength": 3, "maxLength": 2000},
                            "purpose": {"type": "string"}}},
        ]}},
        "target": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
            # a target outside this archive is kept as given: its IRI and the JSON-LD it came as
            "if": {"type": "object", "required": ["external"]},
            "then": {"type": "object", "required": ["source", "external"], "additionalProperties": False,
                     "properties": {"source": {"type": "string", "pattern": r"^https?://[^\s<>\"]+$", "maxLength": 2000},
                                    "external": {"const": True}, "given": {"type": ["string", "object"]}}},
            "else": {"type": "object", "required": ["source"], "additionalProperties": False,
                     "properties": {"source": _ref, "selector": {"type": "array", "maxItems": 4, "items": _selector}}}}},
    },
}
_validator = jsonschema.Draft202012Validator(ANNOTATION_SCHEMA)
PURPOSES = ("assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
            "identifying", "linking", "moderating", "questioning", "replying", "tagging")


class SelectorError(ValueError):
    """Bad annotation JSON; ``path`` says where (e.g. ``target[0].selector[1]``)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


@dataclass
class TargetInfo:
    """What a selector is checked against: the inscription text (+ frames) or the page size."""

    kind: str
    text: str | None = None
    frame_count: int | None = None
    width: int | None = None
    height: int | None = None


MAX_GIVEN = 20_000


def is_external(target: dict) -> bool:
    """A target outside this archive (an IRI elsewhere), kept as it was given rather than refused."""
    return bool(target.get("external"))


def parse_ref(ref: str) -> tuple[str, int]:
    kind, _, pk = ref.partition(":")
    return kind, int(pk)


def check_structure(data: Any, motivations: tuple[str, ...]) -> None:
    """Structure, types and vocabulary; raise SelectorError with the first problem."""
    if not isinstance(data, dict):
        raise SelectorError("an annotation must be a JSON object")
    errors = sorted(_validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        best = jsonschema.exceptions.best_match(errors) or err
        path = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(best.absolute_path))
        raise SelectorError(_plain(best), path)
    motivation = data.get("motivation", "commenting")
    if motivation not in motivations:
        raise SelectorError(f"unknown motivation '{motivation}'; use one of: {', '.join(motivations)}", "motivation")
    for i, body in enumerate(data.get("body", [])):
        purpose = body.get("purpose")
        if purpose is not None and purpose not in PURPOSES:
            raise SelectorError(f"unknown purpose '{purpose}'", f"body[{i}].purpose")
        if body["type"] == "TextualBody" and purpose == "tagging" and not (0 < len(body["value"].strip()) <= 100):
            raise SelectorError("a tag must have 1 to 100 characters", f"body[{i}].value")
        if body["type"] == "Link":
            check_link_source(body["source"], f"body[{i}].source")
    for i, target in enumerate(data["target"]):
        if is_external(target):
            if len(str(target.get("given", ""))) > MAX_GIVEN:
                raise SelectorError(f"an external target is kept as given, up to {MAX_GIVEN} characters", f"target[{i}]")
            continue
        kind = target["source"].split(":")[0]
        if kind not in TARGET_KINDS:
            raise SelectorError(f"a target is one of {', '.join(TARGET_KINDS)}, not '{kind}'", f"target[{i}].source")


def _plain(err: jsonschema.ValidationError) -> str:
    if err.validator == "oneOf":
        return "not a recognised body, target or selector (check its type and properties)"
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown properties")
    return err.message


def check_link_source(source: str, path: str) -> None:
    if re.fullmatch(r"[a-z]+:[0-9]+", source):
        if source.split(":")[0] not in LINK_KINDS:
            raise SelectorError(f"links point to one of {', '.join(LINK_KINDS)} or to an http(s) IRI", path)
    elif not re.fullmatch(r"https?://[^\s<>\"]+", source):
        raise SelectorError("a link source is an internal reference like 'document:7' or an http(s) IRI", path)


def normalise_selectors(selectors: list[dict], info: TargetInfo, path: str) -> list[dict]:
    """Check every selector against the target and return the normalised list."""
    if info.kind in ("line", "document"):
        if selectors:
            raise SelectorError(f"a {info.kind} is annotated as a whole: no selector", path)
        return []
    by_type: dict[str, dict] = {}
    for sel in selectors:
        if sel["type"] in by_type:
            raise SelectorError(f"only one {sel['type']} per target", path)
        by_type[sel["type"]] = sel
    if info.kind == "page":
        if not by_type:
            return []
        if set(by_type) - {"FragmentSelector", "SvgSelector"} or len(by_type) > 1:
            raise SelectorError("a page region has one FragmentSelector (xywh=) or one SvgSelector", path)
        if "FragmentSelector" in by_type:
            return [normalise_xywh(by_type["FragmentSelector"], info, path)]
        return [normalise_svg(by_type["SvgSelector"]["value"], info, path)]
    # An inscription: a text span (quote and/or position) or a frame range, or the whole text.
    if set(by_type) - {"TextQuoteSelector", "TextPositionSelector", "FragmentSelector"}:
        raise SelectorError("an inscription is selected by TextQuoteSelector/TextPositionSelector or a frames= FragmentSelector", path)
    if "FragmentSelector" in by_type:
        if len(by_type) > 1:
            raise SelectorError("a frames= FragmentSelector stands alone", path)
        return [normalise_frames(by_type["FragmentSelector"], info, path)]
    if not by_type:
        return []
    return normalise_span(by_type.get("TextQuoteSelector"), by_type.get("TextPositionSelector"), info.text or "", path)


def quote_for(text: str, start: int, end: int) -> dict:
    """A TextQuoteSelector for text[start:end] with up to CONTEXT_CHARS of context each side."""
    quote = {"type": "TextQuoteSelector", "exact": text[start:end]}
    if start > 0:
        quote["prefix"] = text[max(0, start - CONTEXT_CHARS):start]
    if end < len(text):
        quote["suffix"] = text[end:end + CONTEXT_CHARS]
    return quote


def normalise_span(quote: dict | None, position: dict | None, text: str, path: str) -> list[dict]:
    if position is not None:
        start, end = position["start"], position["end"]
        if not 0 <= start < end <= len(text):
            raise SelectorError(
                f"TextPositionSelector {start}..{end} is outside the text (it has {len(text)} characters; start < end required)", path)
        if quote is not None and text[start:end] != quote["exact"]:
            raise SelectorError(f"the quote {quote['exact']!r} is not the text at {start}..{end} ({text[start:end]!r})", path)
    else:
        from inscription.annotations.anchoring import find_quote

        found = find_quote(text, quote["exact"], quote.get("prefix", ""), quote.get("suffix", ""), fuzzy=False)
        if found is None:
            raise SelectorError(f"the quote {quote['exact']!r} does not occur in the text", path)
        start, end = found.start, found.end
    return [quote_for(text, start, end), {"type": "TextPositionSelector", "start": start, "end": end}]


_XYWH = re.compile(r"^xywh=(?:(pixel|percent):)?(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$")


def normalise_xywh(sel: dict, info: TargetInfo, path: str) -> dict:
    if sel.get("conformsTo", MEDIA_FRAGS) != MEDIA_FRAGS:
        raise SelectorError(f"a page region FragmentSelector conforms to {MEDIA_FRAGS}", path)
    match = _XYWH.match(sel["value"].strip())
    if not match:
        raise SelectorError("a region is 'xywh=x,y,w,h' (pixels) or 'xywh=percent:x,y,w,h'", path)
    unit = match.group(1) or "pixel"
    x, y, w, h = (float(v) for v in match.groups()[1:])
    W, H = (100.0, 100.0) if unit == "percent" else (float(info.width), float(info.height))
    if unit == "pixel" and not all(float(v).is_integer() for v in (x, y, w, h)):
        raise SelectorError("pixel regions use whole numbers", path)
    if w <= 0 or h <= 0:
        raise SelectorError("a region has a positive width and height", path)
    if x + w > W or y + h > H:
        raise SelectorError(f"the region {sel['value']} lies outside the image ({info.width}x{info.height} pixels)", path)
    return {"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": sel["value"].strip()}


def normalise_frames(sel: dict, info: TargetInfo, path: str) -> dict:
    if sel.get("conformsTo", FRAMES) != FRAMES:
        raise SelectorError(f"an inscription FragmentSelector is a frame range conforming to {FRAMES}", path)
    match = re.fullmatch(r"frames=(\d+),(\d+)", sel["value"].strip())
    if not match:
        raise SelectorError("a frame range is 'frames=a,b' (b exclusive)", path)
    a, b = int(match.group(1)), int(match.group(2))
    if a >= b:
        raise SelectorError("a frame range needs a < b", path)
    if info.frame_count is None:
        raise SelectorError("this inscription has no frame alignment (only machine readings do)", path)
    if b > info.frame_count:
        raise SelectorError(f"the frame range {a},{b} is outside the reading ({info.frame_count} frames)", path)
    return {"type": "FragmentSelector", "conformsTo": FRAMES, "value": f"frames={a},{b}"}


def _points(raw: str, path: str) -> list[tuple[float, float]]:
    numbers = re.split(r"[\s,]+", raw.strip())
    try:
        values = [float(n) for n in numbers if n]
    except ValueError as exc:
        raise SelectorError("polygon points must be numbers", path) from exc
    if len(values) < 6 or len(values) % 2:
        raise SelectorError("a polygon needs at least three x,y points", path)
    return list(zip(values[::2], values[1::2], strict=True))


PATH_TOKEN = re.compile(r"[MmLlHhVvZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _path_points(d: str, path: str) -> list[tuple[float, float]]:
    """The corners of an SVG ``<path>`` made of straight segments (M, L, H, V, Z, absolute or relative), as viewers
    such as Mirador and Annotorious write them; curves are refused rather than flattened."""
    if re.search(r"[CcSsQqTtAa]", d):
        raise SelectorError("SvgSelector paths with curves are not supported; use straight segments", path)
    tokens, points = PATH_TOKEN.findall(d), []
    x = y = 0.0
    command, i = "M", 0
    try:
        while i < len(tokens):
            if tokens[i].isalpha():
                command, i = tokens[i], i + 1
                if command in "Zz":
                    continue
            if command in "MLml":
                dx, dy = float(tokens[i]), float(tokens[i + 1])
                x, y = (x + dx, y + dy) if command.islower() else (dx, dy)
                i += 2
            elif command in "Hh":
                x, i = (x + float(tokens[i]) if command == "h" else float(tokens[i])), i + 1
            elif command in "Vv":
                y, i = (y + float(tokens[i]) if command == "v" else float(tokens[i])), i + 1
            else:
                i += 1
                continue
            points.append((x, y))
    except (IndexError, ValueError) as exc:
        raise SelectorError("the SvgSelector path data is not a list of straight segments", path) from exc
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise SelectorError("a path needs at least three points", path)
    return points


def normalise_svg(value: str, info: TargetInfo, path: str) -> dict:
    """Parse safely (defusedxml), keep only <polygon>/<rect> geometry, and check it lies on the image."""
    try:
        root = SafeET.fromstring(value)
    except Exception as exc:  # noqa: BLE001 - defusedxml raises several types for hostile or broken XML
        raise SelectorError(f"the SvgSelector value is not well-formed, safe XML ({type(exc).__name__})", path) from exc
    shapes: list[list[tuple[float, float]]] = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag in ("svg", "g"):
            continue
        if tag in ("polygon", "polyline"):
            shapes.append(_points(el.get("points", ""), path))
        elif tag == "path":
            shapes.append(_path_points(el.get("d", ""), path))
        elif tag == "rect":
            try:
                x, y, w, h = (float(el.get(k, "0")) for k in ("x", "y", "width", "height"))
            except ValueError as exc:
                raise SelectorError("rect attributes must be numbers", path) from exc
            if w <= 0 or h <= 0:
                raise SelectorError("a rect has a positive width and height", path)
            shapes.append([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
        else:
            raise SelectorError(f"SvgSelector supports <polygon>, <polyline>, <path> and <rect> shapes, not <{tag}>", path)
    if not shapes:
        raise SelectorError("the SvgSelector has no <polygon> or <rect>", path)
    for shape in shapes:
        for x, y in shape:
            if not (0 <= x <= info.width and 0 <= y <= info.height):
                raise SelectorError(f"the point {x:g},{y:g} lies outside the image ({info.width}x{info.height} pixels)", path)
    return {"type": "SvgSelector", "value": svg_for(shapes)}


def svg_for(shapes: list[list[tuple[float, float]]]) -> str:
    polys = "".join(f'<polygon points="{" ".join(f"{x:g},{y:g}" for x, y in shape)}"/>' for shape in shapes)
    return f'<svg xmlns="{SVG_NS}">{polys}</svg>'
