"""Benchmark of the segmenter: seconds to segment one real page on one CPU thread.

Prints figures, never asserts. Run: ``python bench/segment_bench.py [--model DIR] [--pages N] [--real-root DIR]``.
Pages: the validation wills' pages when ``../shared/data`` is present (never trained on),
else the will pages shipped in ``data/real`` (Testaments de Poilus, Archives nationales /
HTR-United, CC-BY 4.0). Each page is timed from the decoded image to the finished layout
(scaling, network, vectorisation), after one warm-up page; the network and the
vectorisation are also timed apart. The classical segmenter is timed beside it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _pages(n: int, real_root: str | None) -> tuple[list[Path], str]:
    from models_ml import realdata

    root = Path(real_root) if real_root else realdata.real_root()
    if root is not None and root.is_dir():
        files = realdata.ground_truth_files("val", root)
        return [f.with_suffix(".jpg") for f in files][:n], "validation wills (shared data)"
    local = realdata.REPO_ROOT / "data" / "real" / "testaments-de-poilus" / "pages"
    return sorted(local.glob("*.jpg"))[:n], "training wills shipped in data/real"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="segmenter folder (default: models_ml/store/segment-default)")
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--real-root", help="the shared pages folder (default: ../shared/data/real/testaments-de-poilus/pages)")
    args = ap.parse_args()

    import torch
    from PIL import Image

    from models_ml.segment.api import segment_page_classical
    from models_ml.segment.trained import Segmenter
    from models_ml.segment.vectorise import vectorise

    torch.set_num_threads(args.threads)
    paths, source = _pages(args.pages, args.real_root)
    images = []
    for p in paths:
        with Image.open(p) as im:
            im.load()
            images.append(im.copy())
    seg = Segmenter(args.model)
    seg.segment(images[0])  # warm-up (allocator, oneDNN kernels)
    total, net, vec, classical, lines = [], [], [], [], 0
    for img in images:
        t0 = time.perf_counter()
        probs = seg.probabilities(img)
        t1 = time.perf_counter()
        layout = vectorise(probs, img.width, img.height, seg.vcfg)
        t2 = time.perf_counter()
        segment_page_classical(img)
        t3 = time.perf_counter()
        total.append(t2 - t0)
        net.append(t1 - t0)
        vec.append(t2 - t1)
        classical.append(t3 - t2)
        lines += len(layout.lines)
    sizes = [f"{im.width}x{im.height}" for im in images]
    print(json.dumps({
        "segmenter": {k: seg.card.get(k) for k in ("name", "version")}, "threads": args.threads,
        "pages": len(images), "page_source": source, "median_page_size": sorted(sizes)[len(sizes) // 2],
        "seconds_per_page_median": round(statistics.median(total), 3),
        "seconds_per_page_max": round(max(total), 3),
        "network_seconds_median": round(statistics.median(net), 3),
        "vectorise_seconds_median": round(statistics.median(vec), 3),
        "classical_seconds_median": round(statistics.median(classical), 3),
        "lines_found": lines,
    }))


if __name__ == "__main__":
    main()
