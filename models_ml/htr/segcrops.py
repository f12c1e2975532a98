"""Ground-truth lines cut as the archive's segmenter cuts them, for training the recognizer.

The recognizer learns from ground-truth polygon crops, but in the archive it reads the
segmenter's crops: a band around a predicted baseline that clips or adds strokes differently.
On the training wills that difference costs about five points of CER on the same lines
(bench/segment_crop_sweep.py). So ``train --segmenter-crops N`` also shows the network each
training page's lines as the segmenter crops them: the page is segmented, each segmenter line
matched one-to-one to a ground-truth line (polygon IoU ≥ ``min_iou``) and paired with that
line's text. Lines that match nothing are counted, never used silently.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

MIN_IOU = 0.5  # a segmenter line and a ground-truth line are the same line from this polygon overlap on


@dataclass
class SegmenterCrops:
    """Matched (segmenter crop, ground-truth text) pairs, and what could not be matched."""

    pairs: list[tuple[Image.Image, str]] = field(default_factory=list)
    pages: int = 0
    ground_truth_lines: int = 0
    unmatched_ground_truth_lines: int = 0
    unmatched_segmenter_lines: int = 0
    skipped_validation_files: int = 0

    def summary(self) -> dict:
        return {"pages": self.pages, "matched_lines": len(self.pairs),
                "ground_truth_lines": self.ground_truth_lines,
                "unmatched_ground_truth_lines": self.unmatched_ground_truth_lines,
                "unmatched_segmenter_lines": self.unmatched_segmenter_lines,
                "skipped_validation_files": self.skipped_validation_files}


def page_segmenter_pairs(path: str | Path, min_iou: float = MIN_IOU,
                         segmenter: str | None = None) -> tuple[list[tuple[Image.Image, str]], int, int, int]:
    """One page: (pairs, its transcribed lines, unmatched ground-truth lines, unmatched segmenter lines)."""
    from models_ml.htr.groundtruth import paper_tone, read_ground_truth
    from models_ml.segment.api import crop_line, segment_page
    from models_ml.segment.metrics import polygon_matches

    page = read_ground_truth(path)
    gt = [ln for ln in page.lines if ln.text and len(ln.polygon) >= 3]
    with Image.open(page.image_path) as im:
        image = im.convert("L")
    lines = segment_page(image, method=segmenter)
    matches = polygon_matches([ln.polygon for ln in lines], [ln.polygon for ln in gt], threshold=min_iou)
    paper = paper_tone(image)
    pairs = [(crop_line(image, lines[i], paper), gt[j].text) for i, j, _ in matches]
    return pairs, len(gt), len(gt) - len(matches), len(lines) - len(matches)


def segmenter_crops(paths: Iterable[str | Path], exclude_validation: bool = True, min_iou: float = MIN_IOU,
                    segmenter: str | None = None) -> SegmenterCrops:
    """Every page's matched segmenter crops; validation wills are left out unless asked."""
    from models_ml.htr.groundtruth import expand_paths
    from models_ml.realdata import split_of

    out = SegmenterCrops()
    for path in expand_paths(paths):
        if exclude_validation and split_of(path) == "val":
            out.skipped_validation_files += 1
            continue
        pairs, n_gt, missed, extra = page_segmenter_pairs(path, min_iou, segmenter)
        out.pairs += pairs
        out.pages += 1
        out.ground_truth_lines += n_gt
        out.unmatched_ground_truth_lines += missed
        out.unmatched_segmenter_lines += extra
    return out
