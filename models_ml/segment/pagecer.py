"""End-to-end page CER on ground-truth pages, beside the line CER of the same pages.

The page reference is the ground truth's transcribed lines in the file's reading order,
joined by spaces; the hypothesis is what the pipeline reads from the page image alone
(segment, crop, recognise), joined in the segmenter's reading order. So missed, split,
merged, extra or mis-ordered lines all count as character errors. The line CER reads the
same pages' ground-truth polygons (cropped as the recognizer's training lines are), so
the ratio page/line says what segmentation costs.
"""
from __future__ import annotations

import time
from pathlib import Path

from PIL import Image


def page_cer_report(paths: list[str | Path], recognizer, decoder: str = "greedy", lm: bool = False,  # noqa: ANN001
                    segmenter: str | None = None) -> dict:
    """Page CER/WER (end to end) and line CER/WER (ground-truth polygons) over ALTO/PAGE files."""
    from models_ml.htr.groundtruth import expand_paths, page_lines, read_ground_truth
    from models_ml.htr.metrics import cer, wer
    from models_ml.htr.pipeline import transcribe_page
    from models_ml.segment.api import default_method

    method = segmenter or default_method()
    page_refs, page_hyps, line_refs, line_crops = [], [], [], []
    n_hyp_lines, t0 = 0, time.perf_counter()
    files = expand_paths(paths)
    for path in files:
        page = read_ground_truth(path)
        pairs = page_lines(page)  # (crop, line) of transcribed lines, in reading order
        line_crops += [crop for crop, _ in pairs]
        line_refs += [line.text for _, line in pairs]
        page_refs.append(" ".join(line.text for _, line in pairs))
        with Image.open(page.image_path) as im:
            im.load()
            image = im.copy()
        read = transcribe_page(image, recognizer, decoder=decoder, segmenter=method, lm=lm)
        n_hyp_lines += len(read)
        page_hyps.append(" ".join(" ".join(r.text.split()) for _, r in read if r.text.strip()))
    t_page = time.perf_counter() - t0
    readings = recognizer.recognize(line_crops, decoder=decoder, lm=lm)
    line_hyps = [r.text for r in readings]
    page_c, line_c = cer(page_refs, page_hyps), cer(line_refs, line_hyps)
    return {
        "page_cer": round(page_c, 5), "page_wer": round(wer(page_refs, page_hyps), 5),
        "line_cer_gt_polygons": round(line_c, 5), "line_wer_gt_polygons": round(wer(line_refs, line_hyps), 5),
        "page_to_line_cer": round(page_c / line_c, 3) if line_c > 0 else None,
        "pages": len(files), "gt_lines": len(line_refs), "segmented_lines": n_hyp_lines,
        "segmenter": method, "seconds_per_page_end_to_end": round(t_page / max(1, len(files)), 2),
    }
