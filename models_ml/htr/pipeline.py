"""Page-level transcription: segment a page, crop its lines, read them in one batch."""
from __future__ import annotations

from PIL import Image

from models_ml.htr.api import LineReading, Recognizer
from models_ml.segment.api import SegmentedLine, crop_line, segment_page


def transcribe_page(image: Image.Image, recognizer: Recognizer, decoder: str = "greedy",
                    segmenter: str | None = None, lm: bool = False) -> list[tuple[SegmentedLine, LineReading]]:
    """Lines of a page in reading order, each with its reading.

    ``segmenter``: ``trained`` (the default when the shipped model is present) or ``classical``.
    """
    lines = segment_page(image, method=segmenter)
    if not lines:
        return []
    from models_ml.htr.groundtruth import paper_tone

    paper = paper_tone(image)  # once per page, not once per line
    crops = [crop_line(image, ln, paper) for ln in lines]
    readings = recognizer.recognize(crops, decoder=decoder, lm=lm)
    return list(zip(lines, readings, strict=True))
