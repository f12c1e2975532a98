"""Memory-lens figures: reading-trace size per 60-character line, and trace time vs plain recognition time.

    .venv/bin/python bench/lens_bench.py [--model DIR] [--lines 8] [--repeat 5] [--threads 1]

Targets (issue 9): a stored trace under 5 KB per line of 60 characters; computing it
under 2x the time of recognising the same line. Both are measured on the same line
images (synthetic handwriting, held-out fonts and texts), one line at a time, on CPU,
median of ``--repeat`` runs after a warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import numpy as np
    import torch

    from models_ml import registry
    from models_ml.htr.api import load_recognizer
    from models_ml.htr.trace import compute_trace
    from models_ml.synth.render import render_line, sample_text
    from models_ml.synth.sources import fonts_for, word_stream

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(registry.default_model_dir()))
    ap.add_argument("--lines", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rec = load_recognizer(args.model, "cpu")
    rng = np.random.default_rng(9)
    words, fonts = word_stream("heldout"), fonts_for("heldout")
    images = []
    while len(images) < args.lines:
        text = sample_text(words, rng, 60, 60)
        if len(text) < 58:
            continue
        images.append((render_line(text[:60], fonts[len(images) % len(fonts)], rng, context_p=0.0), text[:60]))

    sizes, ratios, rec_ms, trace_ms, frames = [], [], [], [], []
    for img, _ in images:
        def recognise(img=img) -> None:  # noqa: ANN001
            rec.recognize([img])

        def trace(img=img) -> int:  # noqa: ANN001
            arr = rec.preprocess(img)
            return len(compute_trace(rec.model, arr, rec.charset.chars).to_bytes())

        recognise(), trace()  # warm-up
        r = statistics.median(_timed(recognise) for _ in range(args.repeat))
        t = statistics.median(_timed(trace) for _ in range(args.repeat))
        arr = rec.preprocess(img)
        tr = compute_trace(rec.model, arr, rec.charset.chars)
        sizes.append(len(tr.to_bytes()))
        frames.append(tr.frames)
        rec_ms.append(r * 1000)
        trace_ms.append(t * 1000)
        ratios.append(t / r)
    card = rec.card
    print(f"model {card.get('name')} {card.get('version')} (LSTM {rec.model.cfg.lstm_layers}x{rec.model.cfg.lstm_hidden}, "
          f"bidirectional), CPU threads {torch.get_num_threads()}, {len(images)} lines of 60 characters")
    print(f"frames per line: median {statistics.median(frames):.0f} (min {min(frames)}, max {max(frames)})")
    print(f"trace size per line: median {statistics.median(sizes):.0f} B, max {max(sizes)} B  (target < 5000 B)")
    print(f"plain recognition: median {statistics.median(rec_ms):.1f} ms/line; trace: median {statistics.median(trace_ms):.1f} ms/line")
    print(f"trace / recognition time: median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x  (target < 2x)")


def _timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
