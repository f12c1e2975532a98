"""Re-anchoring annotations when an annotated inscription gets a new version.

Called (through a post_save receiver, see ``inscription/annotation_signals.py``) when a
new Inscription supersedes an old one, e.g. a human correction of a machine line.

For each live annotation targeting the old inscription:
- a text span (TextQuoteSelector + TextPositionSelector) is searched in the new text:
  exact quote nearest its context and old position first, then fuzzy (rapidfuzz); when
  found, the target moves to the new inscription with fresh positions and context;
- a whole-inscription target (no selector) moves to the new inscription;
- a frame range (``frames=a,b``) stays on the old version: frames belong to that
  machine reading, which stays in the archive;
- when a quote cannot be found, the annotation is flagged ``orphaned`` and keeps its
  original target (the old inscription, which is never deleted).
Each outcome is a new AnnotationVersion (``reanchor`` or ``orphan``) with a note of the
method and score, so the history shows what the system did and why.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import transaction

from inscription.annotations.anchoring import find_quote
from inscription.annotations.selectors import normalise_span
from inscription.models import Annotation, AnnotationAction, Inscription
from inscription.services.annotations import record_version


def _move_target(target: dict, new: Inscription) -> tuple[dict | None, dict]:
    """The target moved onto ``new`` (or None when its quote is lost), and a note of how."""
    selectors = target.get("selector") or []
    types = {s["type"] for s in selectors}
    if not selectors:
        return {"source": f"inscription:{new.pk}"}, {"method": "whole"}
    if "FragmentSelector" in types:
        return target, {"method": "kept", "why": "frame ranges belong to the reading they were made on"}
    quote = next((s for s in selectors if s["type"] == "TextQuoteSelector"), {})
    position = next((s for s in selectors if s["type"] == "TextPositionSelector"), {})
    anchor = find_quote(new.text or "", quote.get("exact", ""), quote.get("prefix", ""), quote.get("suffix", ""),
                        near=position.get("start"))
    if anchor is None:
        return None, {"method": "lost", "exact": quote.get("exact", "")}
    moved = normalise_span(None, {"start": anchor.start, "end": anchor.end}, new.text, "target")
    return {"source": f"inscription:{new.pk}", "selector": moved}, {"method": anchor.method, "score": anchor.score}


def reanchor_annotations(old_inscription: Inscription, new_inscription: Inscription) -> Counter:
    """Move the live annotations of ``old_inscription`` onto ``new_inscription``; returns counts per outcome."""
    outcome: Counter = Counter()
    old_ref = f"inscription:{old_inscription.pk}"
    with transaction.atomic():
        annotations = Annotation.objects.select_for_update().filter(inscriptions=old_inscription, withdrawn=False)
        for annotation in annotations:
            targets, notes, lost = [], [], False
            for target in annotation.target:
                if target["source"] != old_ref:
                    targets.append(target)
                    continue
                moved, note = _move_target(target, new_inscription)
                notes.append(note)
                if moved is None:
                    lost = True
                    targets.append(target)
                else:
                    targets.append(moved)
            if targets == annotation.target and not lost:
                outcome["unchanged"] += 1
                continue
            annotation.target = targets
            annotation.orphaned = annotation.orphaned or lost
            annotation.bump()
            annotation.save(update_fields=["target", "orphaned", "version", "modified_at"])
            current = {int(t["source"].split(":")[1]) for t in targets if t["source"].startswith("inscription:")}
            annotation.inscriptions.set(Inscription.objects.filter(pk__in=current))
            action = AnnotationAction.ORPHAN if lost else AnnotationAction.REANCHOR
            record_version(annotation, action, None, note={
                "from_inscription": old_inscription.pk, "to_inscription": new_inscription.pk, "targets": notes})
            outcome["orphaned" if lost else "reanchored"] += 1
    return outcome


def reanchor_new_versions(inscriptions: Iterable[Inscription]) -> Counter:
    """For writers that bulk-create versions (no post_save): re-anchor each one that supersedes another.

    One query finds which superseded versions carry live annotations at all, so a page of
    machine lines with none (the usual case) costs one round trip, not one per line.
    """
    successors = {i.supersedes_id: i for i in inscriptions if i.supersedes_id}
    if not successors:
        return Counter()
    annotated = set(
        Annotation.inscriptions.through.objects.filter(inscription_id__in=successors, annotation__withdrawn=False)
        .values_list("inscription_id", flat=True)
    )
    total: Counter = Counter()
    for old_id in sorted(annotated):
        new = successors[old_id]
        total += reanchor_annotations(new.supersedes, new)
    return total
