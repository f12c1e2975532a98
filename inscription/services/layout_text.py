"""What a layout act means for the texts and annotations on a line (``archive.services.layout``).

- split: each layer's current text is divided at the character under the split point
  (the recognizer's character columns when it has them, else the nearest word gap at the
  same fraction of the baseline); the left part is a new version on the line, the right
  part the first version on the new line. Annotations on words of the right part move to
  the new line's text; the others are re-anchored on the left part by the usual
  re-anchoring (``annotation_anchoring``), or flagged orphaned when their words are gone.
- merge: each layer's texts are joined into a new version on the surviving line; the
  annotations of the retired line move onto it (positions shifted); the retired line's
  texts are withdrawn (a recorded act).
- delete: the line's texts are withdrawn and every annotation anchored to the line or to
  its texts is flagged orphaned.
Every text written here is a human version (the curator who did the layout act) with the
act in ``extra["layout"]``, so the history says why the text changed.
"""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from archive.models import Line
from inscription.annotations.selectors import normalise_span
from inscription.models import Annotation, AnnotationAction, Inscription, InscriptionAction
from inscription.services.annotations import record_version
from inscription.services.inscriptions import create_inscription


def _currents(line: Line) -> list[Inscription]:
    return list(Inscription.objects.filter(line=line, is_current=True).select_related("layer").order_by("layer_id"))


def split_index(text: str, fraction: float, char_columns: list | None = None) -> int:
    """Index of the first character right of the split (``fraction`` of the way along the line)."""
    fraction = min(1.0, max(0.0, fraction))
    if char_columns and len(char_columns) == len(text):
        width = max((c[1] for c in char_columns), default=0) or 1
        return sum(1 for c in char_columns if (c[0] + c[1]) / 2 / width < fraction)
    guess = round(fraction * len(text))
    gaps = [i for i, ch in enumerate(text) if ch == " "]
    near = [i for i in gaps if abs(i - guess) <= max(3, len(text) // 4)]
    return min(near, key=lambda i: abs(i - guess)) if near else guess


def _move_span_targets(annotation: Annotation, old: Inscription, new: Inscription, new_line: Line, shift: int,
                       keep: Callable[[int, int], bool], user: AbstractBaseUser, note: dict, move_whole: bool) -> bool:
    """Move the targets of ``annotation`` on ``old`` whose span ``keep(start, end)`` accepts onto ``new`` (positions - shift)."""
    ref = f"inscription:{old.pk}"
    targets, moved = [], False
    for target in annotation.target:
        position = next((s for s in target.get("selector") or [] if s["type"] == "TextPositionSelector"), None)
        whole = move_whole and not target.get("selector")
        if target.get("source") == ref and (whole or (position and keep(position["start"], position["end"]))):
            if whole:
                targets.append({"source": f"inscription:{new.pk}"})
            else:
                span = {"start": position["start"] - shift, "end": position["end"] - shift}
                targets.append({"source": f"inscription:{new.pk}", "selector": normalise_span(None, span, new.text, "target")})
            moved = True
        else:
            targets.append(target)
    if not moved:
        return False
    annotation.target = targets
    annotation.version += 1
    annotation.modified_at = timezone.now()
    if annotation.line_id == old.line_id:
        annotation.line = new_line
    annotation.save(update_fields=["target", "version", "modified_at", "line"])
    current = {int(t["source"].split(":")[1]) for t in targets if t["source"].startswith("inscription:")}
    annotation.inscriptions.set(Inscription.objects.filter(pk__in=current))
    record_version(annotation, AnnotationAction.REANCHOR, None,
                   note={**note, "by": user.get_username(), "from_inscription": old.pk, "to_inscription": new.pk})
    return True


def _live_annotations(inscription: Inscription) -> list[Annotation]:
    return list(Annotation.objects.select_for_update().filter(inscriptions=inscription, withdrawn=False).order_by("pk"))


def split_texts(left: Line, right: Line, old_baseline: list, x: float, user: AbstractBaseUser, *,
                act: uuid.UUID) -> Counter:
    """Divide each layer's current text of ``left`` between it and the new line ``right``."""
    outcome: Counter = Counter()
    xs = [p[0] for p in old_baseline]
    fraction = (x - min(xs)) / ((max(xs) - min(xs)) or 1)
    layout = {"layout": {"op": "split", "act": str(act), "lines": [left.pk, right.pk]}}
    for old in _currents(left):
        if old.withdrawn or not old.text:
            continue
        index = split_index(old.text, fraction, old.char_columns)
        left_text, rest = old.text[:index].rstrip(), old.text[index:]
        right_text = rest.lstrip()
        shift = len(old.text) - len(right_text)  # where the right part starts in the old text
        if right_text:
            new_right = create_inscription(layer=old.layer, text=right_text, line=right, user=user, kind=old.kind,
                                           extra=layout)
            for annotation in _live_annotations(old):
                if _move_span_targets(annotation, old, new_right, right, shift,
                                      lambda s, e, cut=shift: s >= cut, user, {"method": "split"}, False):
                    outcome["moved_right"] += 1
        create_inscription(layer=old.layer, text=left_text, line=left, user=user, kind=old.kind,
                           action=InscriptionAction.EDIT, extra=layout)  # the usual re-anchoring runs for the rest
        outcome["texts"] += 1
    return outcome


def merge_texts(keep: Line, gone: Line, user: AbstractBaseUser, *, act: uuid.UUID) -> Counter:
    """Join each layer's texts of ``keep`` and ``gone`` (in that order) on ``keep``; withdraw ``gone``'s."""
    outcome: Counter = Counter()
    layout = {"layout": {"op": "merge", "act": str(act), "lines": [keep.pk, gone.pk]}}
    first = {i.layer_id: i for i in _currents(keep)}
    second = {i.layer_id: i for i in _currents(gone)}
    for layer_id in sorted(set(first) | set(second)):
        a, b = first.get(layer_id), second.get(layer_id)
        ta = a.text if a is not None and not a.withdrawn else ""
        tb = b.text if b is not None and not b.withdrawn else ""
        if not tb:
            continue
        joined = f"{ta} {tb}" if ta else tb
        shift = -(len(ta) + 1) if ta else 0
        layer = (a or b).layer
        merged = create_inscription(layer=layer, text=joined, line=keep, user=user, kind=(a or b).kind, extra=layout)
        for annotation in _live_annotations(b):
            if _move_span_targets(annotation, b, merged, keep, shift, lambda s, e: True, user, {"method": "merge"}, True):
                outcome["moved"] += 1
        create_inscription(layer=layer, text="", line=gone, user=user, kind=b.kind, action=InscriptionAction.WITHDRAW,
                           withdrawn=True, extra={**layout, "reason": f"merged into line {keep.pk}"})
        outcome["texts"] += 1
    for annotation in Annotation.objects.select_for_update().filter(withdrawn=False, line=gone):
        targets = [{**t, "source": f"line:{keep.pk}"} if t.get("source") == f"line:{gone.pk}" else t for t in annotation.target]
        if targets != annotation.target:
            annotation.target, annotation.line = targets, keep
            annotation.version += 1
            annotation.modified_at = timezone.now()
            annotation.save(update_fields=["target", "line", "version", "modified_at"])
            record_version(annotation, AnnotationAction.REANCHOR, None,
                           note={"method": "merge", "by": user.get_username(), "from_line": gone.pk, "to_line": keep.pk})
            outcome["moved"] += 1
    return outcome


def orphan_line_annotations(line: Line, user: AbstractBaseUser, *, reason: str, act: uuid.UUID) -> Counter:
    """Withdraw the texts of a deleted line and flag every annotation anchored to it (or its texts) orphaned."""
    outcome: Counter = Counter()
    layout = {"layout": {"op": "delete", "act": str(act), "lines": [line.pk]}, "reason": "line deleted"}
    for current in _currents(line):
        if not current.withdrawn:
            create_inscription(layer=current.layer, text="", line=line, user=user, kind=current.kind,
                               action=InscriptionAction.WITHDRAW, withdrawn=True, extra=layout)
            outcome["withdrawn"] += 1
    refs = {f"line:{line.pk}"} | {f"inscription:{pk}" for pk in Inscription.objects.filter(line=line).values_list("pk", flat=True)}
    ids = set(Annotation.objects.filter(Q(line=line) | Q(inscriptions__line=line)).values_list("pk", flat=True))
    for annotation in Annotation.objects.select_for_update().filter(pk__in=ids, withdrawn=False, orphaned=False):
        if not any(t.get("source") in refs for t in annotation.target):
            continue
        annotation.orphaned = True
        annotation.version += 1
        annotation.modified_at = timezone.now()
        annotation.save(update_fields=["orphaned", "version", "modified_at"])
        record_version(annotation, AnnotationAction.ORPHAN, None,
                       note={"method": reason, "by": user.get_username(), "line": line.pk})
        outcome["orphaned"] += 1
    return outcome
