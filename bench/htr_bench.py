"""Benchmark of the default handwriting recognizer: speed, memory and held-out CER.

Prints figures, never asserts.  Run: ``python bench/htr_bench.py [--model DIR] [--lines N]``.
``--calibrate`` instead times one forward call per batch size and line width and fits
``time = call + size · width · column``: the call's fixed price in columns is what
``models_ml.htr.api.BATCH_COST_COLUMNS`` holds for the batch planner.
Inference lines/s on CPU for 1 thread and all threads, batch 1 and batched; the same on
CUDA when available; training lines/s; peak RSS (and CUDA max allocated); validation CER
on a freshly synthesised held-out set (held-out fonts and texts), and, where the real pages
are present, CER on the validation wills (real hands never trained on; polygon crops), with
speed measured on those real lines, whose widths are what an archive's pages give.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _infer_speed(rec, images: list, batch_size: int, repeats: int = 1) -> float:  # noqa: ANN001
    rec.recognize(images[: max(1, batch_size)], batch_size=batch_size)  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        rec.recognize(images, batch_size=batch_size)
    return len(images) * repeats / (time.perf_counter() - t0)


def _digit_lines(n: int, seed: int) -> tuple[list, list[str]]:
    """Lines of held-out MNIST digits (training indices never reach them), as ``synth digits`` writes."""
    from PIL import Image

    from models_ml.htr.data import read_folder
    from models_ml.synth.lines import write_digit_lines

    with tempfile.TemporaryDirectory() as tmp:
        write_digit_lines(Path(tmp), n, seed)
        pairs = list(read_folder(Path(tmp)))
        images = []
        for p, _ in pairs:
            with Image.open(p) as im:
                images.append(im.copy())
    return images, [t for _, t in pairs]


def _real_validation_lines() -> tuple[list, list[str]]:
    """Polygon crops and texts of the validation wills (Testaments de Poilus, AN / HTR-United, CC-BY 4.0)."""
    from models_ml.htr.groundtruth import load_training_lines
    from models_ml.realdata import ground_truth_files, real_root

    if real_root() is None:
        return [], []
    got = load_training_lines(ground_truth_files("val"), exclude_validation=False)
    return [img for img, _ in got.pairs], [t for _, t in got.pairs]


def calibrate(model_dir: str, device: str, threads: int) -> None:
    """Fit the fixed price of a forward call, in padded pixel columns (the batch planner's ``batch_cost``)."""
    import statistics

    import numpy as np
    import torch

    from models_ml.htr.api import forward_arrays, load_model

    torch.set_num_threads(threads)
    model, _, _ = load_model(model_dir, device)
    rows = []  # (size, width, seconds)
    for width in (200, 480, 900):
        line = np.random.default_rng(0).random((model.cfg.height, width)).astype(np.float32)
        for size in (1, 2, 4, 8, 16, 32):
            forward_arrays(model, [line] * size, device)
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                forward_arrays(model, [line] * size, device)
                times.append(time.perf_counter() - t0)
            rows.append((size, width, statistics.median(times)))
            print(f"width {width:4d} batch {size:2d}: {1000 * rows[-1][2]:8.2f} ms, {1000 * rows[-1][2] / size:6.2f} ms/line")
    a = np.array([[1.0, size * width] for size, width, _ in rows if size <= 8])
    y = np.array([t for size, _, t in rows if size <= 8])
    (call, column), *_ = np.linalg.lstsq(a, y, rcond=None)
    print(f"fit over batches ≤ 8: call {1000 * call:.2f} ms, column {1e6 * column:.2f} µs "
          f"→ batch cost ≈ {call / column:.0f} columns ({device}, {threads} thread(s))")


def _train_speed(model_dir: Path, images: list, texts: list, device: str, steps: int = 5) -> float:
    import numpy as np
    import torch

    from models_ml.htr.api import load_model
    from models_ml.htr.data import augment, collate, preprocess
    from models_ml.htr.widthnorm import WidthNorm

    model, charset, card = load_model(model_dir, device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    rng = np.random.default_rng(0)
    width_norm = WidthNorm.from_card(card)  # the lines as the model reads them
    arrays = [preprocess(im, model.cfg.height, width_norm) for im in images[:24]]
    targets = [charset.encode(t) for t in texts[:24]]
    n, t0 = 0, 0.0
    for step in range(steps + 1):
        if step == 1:
            t0 = time.perf_counter()
        x, w = collate([augment(a, rng) for a in arrays])
        lp, lengths = model(torch.from_numpy(x).to(device), torch.from_numpy(w).to(device))
        loss = ctc(lp, torch.tensor([c for t in targets for c in t]), lengths.cpu(),
                   torch.tensor([len(t) for t in targets]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= 1:
            n += len(arrays)
    if device == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def main() -> None:
    import torch
    from PIL import Image

    from models_ml.htr.api import Recognizer
    from models_ml.htr.data import read_folder
    from models_ml.htr.metrics import cer, wer
    from models_ml.registry import default_model_dir
    from models_ml.synth.lines import write_lines

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--lines", type=int, default=120, help="held-out lines to synthesise")
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--digit-lines", type=int, default=300, help="held-out MNIST digit lines to synthesise")
    ap.add_argument("--speed-only", action="store_true", help="speeds only (no CER sections)")
    ap.add_argument("--calibrate", action="store_true", help="fit the batch planner's per-call cost, then stop")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.calibrate:
        calibrate(args.model, args.device, args.threads)
        return

    with tempfile.TemporaryDirectory() as tmp:
        write_lines(Path(tmp), args.lines, "heldout", "heldout", args.seed)
        pairs = list(read_folder(Path(tmp)))
        images = []
        for p, _ in pairs:
            with Image.open(p) as im:
                images.append(im.copy())
    texts = [t for _, t in pairs]
    real_images, real_texts = _real_validation_lines()
    speed_images = real_images[: args.lines] if real_images else images
    all_threads = os.cpu_count() or 1
    report: dict = {"model": args.model, "lines": len(images), "cpu_count": all_threads,
                    "torch": torch.__version__}
    for threads in sorted({1, all_threads}):
        torch.set_num_threads(threads)
        rec = Recognizer(args.model, "cpu")
        report[f"cpu_{threads}thread_batch1_lines_per_s"] = round(_infer_speed(rec, speed_images[:30], 1), 2)
        report[f"cpu_{threads}thread_batch8_lines_per_s"] = round(_infer_speed(rec, speed_images, 8), 2)
        report[f"cpu_{threads}thread_batch16_lines_per_s"] = round(_infer_speed(rec, speed_images, 16), 2)
        report[f"cpu_{threads}thread_train_lines_per_s"] = round(_train_speed(Path(args.model), images, texts,
                                                                             "cpu"), 2)
    report["speed_measured_on"] = (f"{len(speed_images)} real validation-will lines" if real_images
                                   else f"{len(images)} synthetic held-out lines")
    rec = Recognizer(args.model, "cpu")
    if real_images and not args.speed_only:
        real_greedy = rec.recognize(real_images, batch_size=16)
        report["real_validation_lines"] = len(real_images)
        report["real_validation_cer_greedy"] = round(cer(real_texts, [r.text for r in real_greedy]), 4)
        if rec.lm is not None:
            real_lm = rec.recognize(real_images, decoder="beam", batch_size=16, lm=True)
            report["real_validation_cer_beam_lm"] = round(cer(real_texts, [r.text for r in real_lm]), 4)
    if not args.speed_only:
        t0 = time.perf_counter()
        greedy = rec.recognize(images, batch_size=16)
        report["heldout_cer_greedy"] = round(cer(texts, [r.text for r in greedy]), 4)
        report["heldout_wer_greedy"] = round(wer(texts, [r.text for r in greedy]), 4)
        report["greedy_seconds"] = round(time.perf_counter() - t0, 2)
        sub = slice(0, min(60, len(images)))
        beam = rec.recognize(images[sub], decoder="beam", batch_size=16)
        report["heldout_cer_beam_first60"] = round(cer(texts[sub], [r.text for r in beam]), 4)
        if rec.lm is not None:
            beam_lm = rec.recognize(images[sub], decoder="beam", batch_size=16, lm=True)
            report["heldout_cer_beam_lm_first60"] = round(cer(texts[sub], [r.text for r in beam_lm]), 4)
        report["greedy_cer_first60"] = round(cer(texts[sub], [r.text for r in greedy[sub]]), 4)
        digit_images, digit_texts = _digit_lines(args.digit_lines, args.seed)
        digits = rec.recognize(digit_images, batch_size=16)
        report["mnist_holdout_digit_lines"] = len(digit_images)
        report["mnist_holdout_digit_cer_greedy"] = round(cer(digit_texts, [r.text for r in digits]), 4)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        rec_gpu = Recognizer(args.model, "cuda")
        report["cuda_batch1_lines_per_s"] = round(_infer_speed(rec_gpu, images[:40], 1), 2)
        report["cuda_batch64_lines_per_s"] = round(_infer_speed(rec_gpu, images, 64, repeats=3), 2)
        report["cuda_train_lines_per_s"] = round(_train_speed(Path(args.model), images, texts, "cuda"), 2)
        report["cuda_max_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    else:
        report["cuda"] = "not available"
    report["peak_rss_mb"] = round(_rss_mb(), 1)
    for k, v in report.items():
        print(f"{k:40s} {v}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
