"""The words of a line's text for the ALTO and PAGE writers, from what the archive kept.

Why one place: an imported reading keeps the file's own words (geometry, confidence,
alternatives, glyphs) in ``extra["words"]``; a machine reading of ours has character
columns and confidences instead. Both writers ask here, so both write the same words
and a re-import finds the same spans.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from exchange.formats import common
from inscription.models import Inscription


@dataclass
class Word:
    text: str
    start: int
    box: tuple[int, int, int, int] | None = None  # x, y, w, h
    polygon: list[list[int]] | None = None  # only when not a plain box
    conf: float | None = None
    alternatives: list[dict] = field(default_factory=list)
    glyphs: list[Word] = field(default_factory=list)
    external_id: str = ""


def _from_stored(item: dict) -> Word:
    polygon = item.get("polygon") or None
    box = common.bbox(polygon) if polygon and len(polygon) >= 2 else None
    is_box = bool(polygon) and box is not None and len(polygon) == 4 and sorted(map(tuple, polygon)) == sorted(
        [(box[0], box[1]), (box[0] + box[2], box[1]), (box[0] + box[2], box[1] + box[3]), (box[0], box[1] + box[3])])
    return Word(str(item.get("text", "")), int(item.get("start", 0)), box, None if is_box else polygon, item.get("conf"),
                list(item.get("alternatives") or []), [_from_stored(g) for g in item.get("glyphs") or []], str(item.get("id", "")))


def imported_words(ins: Inscription) -> list[dict]:
    """The words an imported file gave this reading (text, start, polygon…), or [].

    ``extra["words"]`` of a reading by our own recognizer holds word *alternatives* per position
    (``columns`` and ``alternatives``, see ``models_ml.htr.words``), not words of the text: those
    are not taken for imported words, so its exports keep the words from the character columns."""
    stored = (ins.extra or {}).get("words")
    if not isinstance(stored, list) or not stored:
        return []
    return stored if all(isinstance(w, dict) and isinstance(w.get("text"), str) and "start" in w for w in stored) else []


def line_words(ins: Inscription | None, line_box: tuple[int, int, int, int]) -> list[Word]:
    """Words of the current text: the imported file's own words when they still fit the text, else space-separated words
    with boxes from the machine's character columns and confidences from its character confidences."""
    if ins is None:
        return []
    text = ins.text
    stored = imported_words(ins)
    if stored:
        words = [_from_stored(w) for w in stored]
        if all(text[w.start:w.start + len(w.text)] == w.text for w in words):
            return words
    confs = common.char_confidences(ins)
    out = []
    for start, end in common.words_of(text):
        word = Word(text[start:end], start, common.word_box(ins, start, end, line_box))
        if confs:
            word.conf = sum(confs[start:end]) / (end - start)
            word.glyphs = [Word(text[c], c, common.word_box(ins, c, c + 1, line_box), conf=confs[c]) for c in range(start, end)]
        elif ins.confidence is not None:
            word.conf = min(1.0, max(0.0, ins.confidence))
        out.append(word)
    return out


def gaps(text: str, words: list[Word]) -> list[int]:
    """Spaces before each word and after the last (so ALTO writes one SP per space and a re-import gets the same text)."""
    out, pos = [], 0
    for word in words:
        out.append(len(text[pos:word.start]))
        pos = word.start + len(word.text)
    out.append(len(text[pos:]))
    return out


def spaces_only(text: str, words: list[Word]) -> bool:
    pos = 0
    for word in words:
        if text[pos:word.start].strip() or word.start < pos:
            return False
        pos = word.start + len(word.text)
    return not text[pos:].strip()


