"""Machine provenance of imported readings: what ALTO, PAGE, Transkribus and OCR-D files say wrote them.

Why: a reading produced by kraken or PyLaia is the machine's, not the importing person's
ground truth. Readers turn every processing step they find into a plain dict
(``software``, ``version``, ``creator``, ``date``, ``settings``, ``description``,
``agency``, ``category``, ``labels``); the import credits the step that wrote the text to
a machine agent (a ``ModelVersion`` row with ``task="external"``: software without
weights in our store) and records the importing person beside it; the exporters write
the same steps back.
"""
from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from exchange.formats.xmlsafe import child, children, local

EXTERNAL_TASK = "external"  # ModelVersion.task of software that wrote an imported reading
STEP_FIELDS = ("software", "version", "creator", "date", "settings", "description", "agency", "category", "source")
TRANSKRIBUS = "TranskribusMetadata"
ALTO23_CATEGORY = {"ocrProcessingStep": "contentGeneration", "preProcessingStep": "preOperation", "postProcessingStep": "postOperation"}
TRANSKRIBUS_CREATOR = re.compile(r"(\w+)=([^:]*(?::\d\d)?)")


def _text(el: etree._Element | None, name: str) -> str:
    found = child(el, name) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


def alto_steps(description: etree._Element | None) -> list[dict]:
    """ALTO 4 ``Processing`` and ALTO 2/3 ``OCRProcessing/*ProcessingStep``, in document order."""
    if description is None:
        return []
    steps = []
    for el in description.iter():
        if not isinstance(el.tag, str):
            continue
        name = local(el.tag)
        if name not in ("Processing", "ocrProcessingStep", "preProcessingStep", "postProcessingStep"):
            continue
        software = child(el, "processingSoftware")
        step = {
            "software": _text(software, "softwareName"), "version": _text(software, "softwareVersion"),
            "creator": _text(software, "softwareCreator"), "date": _text(el, "processingDateTime"),
            "settings": _text(el, "processingStepSettings"), "description": _text(el, "processingStepDescription"),
            "agency": _text(el, "processingAgency"),
            "category": _text(el, "processingCategory") or ALTO23_CATEGORY.get(name, ""),
        }
        steps.append({k: v for k, v in step.items() if v})
    return steps


def transkribus_creator(value: str) -> dict:
    """``prov=...:name=PyLaia@TranskribusPlatform:version=2.15.0:model_id=39995:lm=none:date=...`` → a step."""
    fields = dict(TRANSKRIBUS_CREATOR.findall(value)) if "name=" in value else {}
    if not fields:
        return {"software": value} if value else {}
    step = {"software": fields.get("name", ""), "version": fields.get("version", ""), "creator": fields.get("prov", ""),
            "date": fields.get("date", ""), "labels": {k: v for k, v in fields.items() if k not in ("name", "version", "prov", "date")}}
    return {k: v for k, v in step.items() if v}


def page_steps(meta: etree._Element | None) -> list[dict]:
    """PAGE ``Metadata``: Creator (Transkribus' creator string too), OCR-D ``MetadataItem type=processingStep``
    with their ``Labels``, and ``TranskribusMetadata`` attributes."""
    if meta is None:
        return []
    steps = []
    creator = _text(meta, "Creator")
    if creator and creator != "Palimpsest":
        step = transkribus_creator(creator)
        step["source"] = "Creator"
        created = _text(meta, "Created")
        if created and "date" not in step:
            step["date"] = created
        steps.append(step)
    for item in children(meta, "MetadataItem"):
        if item.get("type") not in ("processingStep", None):
            continue
        step = {"software": item.get("value") or "", "description": item.get("name") or "", "date": item.get("date") or ""}
        labels: dict[str, str] = {}
        for group in children(item, "Labels"):
            if group.get("externalId") == TRANSKRIBUS:  # our PAGE 2019 export's copy of TranskribusMetadata
                step["transkribus"] = {lb.get("type") or "": lb.get("value") or "" for lb in children(group, "Label")}
                continue
            for label in children(group, "Label"):
                key = label.get("type") or group.get("externalId") or "label"
                if key in STEP_FIELDS:
                    step[key] = label.get("value") or ""
                else:
                    labels[f"{group.get('externalId') or 'label'}:{key}" if group.get("externalId") else key] = label.get("value") or ""
        if labels:
            step["labels"] = labels
            if not step.get("version") and labels.get(f"version:{step.get('software', '')}"):
                step["version"] = labels[f"version:{step['software']}"].split(" ")[0]  # OCR-D: "1.0.5 (calamari 1.0.6, ...)"
        steps.append({k: v for k, v in step.items() if v})
    tk = child(meta, TRANSKRIBUS)
    if tk is not None:
        for step in steps:
            if step.get("source") == "Creator":
                step["transkribus"] = dict(sorted(tk.attrib.items()))
                break
        else:
            steps.append({"software": "Transkribus", "transkribus": dict(sorted(tk.attrib.items()))})
    return steps


def reading_step(steps: list[dict]) -> dict | None:
    """The step credited with the text: the last one that names software and generated content."""
    named = [s for s in steps if s.get("software") and s.get("software") != "Palimpsest"]
    if not named:
        return None
    generated = [s for s in named if s.get("category") == "contentGeneration"]
    if generated:
        return generated[-1]
    for step in reversed(named):
        words = f"{step.get('description', '')} {step.get('software', '')}".lower()
        if any(w in words for w in ("recogni", "ocr", "htr", "transcri", "pylaia", "kraken", "calamari", "tesser")):
            return step
    main = [s for s in named if s.get("category") not in ("preOperation", "postOperation")]
    return (main or named)[-1]


def software_label(step: dict) -> str:
    return " ".join(t for t in (step.get("software", ""), step.get("version", "")) if t)


def parse_date(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed is not None and parsed.tzinfo is None else parsed
