"""Where page CER goes beyond line CER, and how the segmenter's line band should be cut for the recognizer.

For each ground-truth page: the trained segmenter's probabilities once, then, for each
(ascent, descent) of the line band, the page read from the image alone (segment, crop,
recognise). Beside it, a split of the page's errors: segmenter lines matched one-to-one to
ground-truth lines (polygon IoU ≥ 0.3, ``segment.metrics.polygon_matches``), read from the segmenter's crop and from the
ground-truth crop of the same line, and the characters of ground-truth lines no segmenter line
matched. Tune on training pages (``--split train``); report on the validation wills.

    OMP_NUM_THREADS=1 python bench/segment_crop_sweep.py --split train --every 5 --ascent 0.55 0.65 0.75 --descent 0.2 0.3 0.4

``--seams`` adds the ink-following polygons of ``segment.seams`` (one run per set of ``SeamConfig``
overrides, e.g. ``--seams "" add_own=0 keep_band=0``), and each row the mean IoU of the matched polygons.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["train", "val"], default="val")
    ap.add_argument("--every", type=int, default=1, help="every n-th page of the split")
    ap.add_argument("--model", default=None, help="recognizer directory (default: htr-default)")
    ap.add_argument("--decoder", default="greedy")
    ap.add_argument("--ascent", type=float, nargs="+", default=None)
    ap.add_argument("--descent", type=float, nargs="+", default=None)
    ap.add_argument("--seams", nargs="*", default=None, metavar="KEY=VALUE[,KEY=VALUE]",
                    help="also the seam polygons (segment.seams), once per given set of SeamConfig "
                         "overrides; no value: the defaults")
    ap.add_argument("--no-bands", action="store_true", help="only the seam polygons")
    args = ap.parse_args()

    from PIL import Image

    from models_ml.htr.api import load_recognizer
    from models_ml.htr.groundtruth import page_lines, paper_tone, read_ground_truth
    from models_ml.htr.metrics import cer
    from models_ml.realdata import ground_truth_files
    from models_ml.segment.api import SegmentedLine, crop_line
    from models_ml.segment.metrics import polygon_matches
    from models_ml.segment.seams import SeamConfig, ink_polygons
    from models_ml.segment.trained import get_segmenter
    from models_ml.segment.vectorise import vectorise

    rec = load_recognizer(args.model)
    seg = get_segmenter()
    ascents = args.ascent or [seg.vcfg.ascent]
    descents = args.descent or [seg.vcfg.descent]
    files = ground_truth_files(args.split)[:: args.every]
    pages = []
    t0 = time.perf_counter()
    for path in files:
        page = read_ground_truth(path)
        pairs = page_lines(page)
        with Image.open(page.image_path) as im:
            image = im.convert("L")
        gt_texts = [ln.text for _, ln in pairs]
        gt_read = [r.text for r in rec.recognize([c for c, _ in pairs], decoder=args.decoder)]
        pages.append({"image": image, "probs": seg.probabilities(image), "paper": paper_tone(image),
                      "gt_texts": gt_texts, "gt_read": gt_read,
                      "gt_polys": [ln.polygon for _, ln in pairs]})
    print(json.dumps({"pages": len(pages), "lines": sum(len(p["gt_texts"]) for p in pages),
                      "prepared_s": round(time.perf_counter() - t0, 1)}), flush=True)

    variants: list[tuple[dict, object]] = []
    if not args.no_bands:
        variants += [({"polygons": "band", "ascent": a, "descent": d}, replace(seg.vcfg, ascent=a, descent=d))
                     for a in ascents for d in descents]
    for spec in ([] if args.seams is None else (args.seams or [""])):
        defaults = SeamConfig()
        overrides = {k: type(getattr(defaults, k))(float(v))  # add_own=0 is False, ink_cost=50 is 50.0
                     for k, v in (kv.split("=", 1) for kv in spec.split(",") if kv)}
        variants.append(({"polygons": "seams", **overrides}, replace(defaults, **overrides)))
    for label, cfg in variants:
        seam_cfg = cfg if label["polygons"] == "seams" else None
        vcfg = seg.vcfg if seam_cfg else cfg
        ious: list[float] = []
        page_refs, page_hyps = [], []
        m_refs, m_seg, m_gt, missed_chars, extra_chars, n_hyp = [], [], [], 0, 0, 0
        for p in pages:
            layout = vectorise(p["probs"], p["image"].width, p["image"].height, vcfg)
            if seam_cfg is not None:
                ink_polygons(layout, p["image"], seam_cfg)
            lines = [SegmentedLine(polygon=list(ln.polygon), baseline=list(ln.baseline),
                                   bbox=(0, 0, 0, 0), region_type="main") for ln in layout.lines]
            crops = [crop_line(p["image"], ln, p["paper"]) for ln in lines]
            hyps = [r.text for r in rec.recognize(crops, decoder=args.decoder)] if crops else []
            n_hyp += len(hyps)
            page_refs.append(" ".join(p["gt_texts"]))
            page_hyps.append(" ".join(" ".join(h.split()) for h in hyps if h.strip()))
            matches = polygon_matches([ln.polygon for ln in lines], p["gt_polys"], 0.3)
            ious += [iou for _, _, iou in matches]
            match = {i: j for i, j, _ in matches}
            for i, j in match.items():
                m_refs.append(p["gt_texts"][j])
                m_seg.append(hyps[i])
                m_gt.append(p["gt_read"][j])
            missed_chars += sum(len(t) for j, t in enumerate(p["gt_texts"]) if j not in match.values())
            extra_chars += sum(len(h) for i, h in enumerate(hyps) if i not in match)
        all_chars = sum(len(r) for r in page_refs)
        print(json.dumps({
            **label, "page_cer": round(cer(page_refs, page_hyps), 4),
            "matched_lines": len(m_refs), "hyp_lines": n_hyp,
            "matched_mean_iou": round(sum(ious) / max(1, len(ious)), 4),
            "matched_cer_segmenter_crop": round(cer(m_refs, m_seg), 4),
            "matched_cer_gt_crop": round(cer(m_refs, m_gt), 4),
            "missed_gt_chars_share": round(missed_chars / max(1, all_chars), 4),
            "unmatched_hyp_chars_share": round(extra_chars / max(1, all_chars), 4),
        }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
