"""CLI sub-commands of the recognizer that read: synth, evaluate, transcribe (making models: train_commands.py).

Heavy imports (torch, scipy) happen inside each command so ``python -m models_ml``
starts fast; user errors are raised as ``CliError`` (stderr, exit 2, no traceback).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from models_ml.cli import CliError, open_image


def _open_image(path: str):  # noqa: ANN202 - PIL imported lazily
    return open_image(path)


def _recognizer(model: str | None, device: str | None = None):  # noqa: ANN202
    from models_ml.htr.api import load_recognizer
    from models_ml.registry import ModelError

    if model and not Path(model).exists():
        raise CliError(f"model not found: {model}")
    try:
        return load_recognizer(model, device)
    except ModelError as exc:
        raise CliError(str(exc)) from exc


# --------------------------------------------------------------------------- synth
def cmd_synth(args: argparse.Namespace) -> int:
    from models_ml.synth.lines import write_digit_lines, write_lines, write_shards
    from models_ml.synth.pages import write_pages

    out = Path(args.out)
    if args.kind == "digits":
        paths = write_digit_lines(out, args.n, args.seed, mnist_split=args.mnist_split)
    elif args.kind == "lines":
        paths = write_lines(out, args.n, args.fonts, args.texts, args.seed, script=args.script)
    elif args.kind == "pages":
        paths = write_pages(out, args.n, args.fonts, args.texts, args.seed, skew=args.max_skew)
    else:
        write_shards(out, args.n, args.shard_size, args.height, args.fonts, args.texts, args.seed,
                     stride=args.stride, offset=args.offset, script=args.script)
        return 0
    print(json.dumps({"out": str(out), "written": len(paths), "fonts": args.fonts, "texts": args.texts,
                      "seed": args.seed}))
    return 0


# --------------------------------------------------------------------------- ground truth
def _ground_truth_lines(paths: list[str] | None, exclude_validation: bool):  # noqa: ANN202
    """ALTO/PAGE training lines, or None; a bad file stops the command with its reason."""
    if not paths:
        return None
    from models_ml.htr.groundtruth import GroundTruthError, load_training_lines

    try:
        gt = load_training_lines(paths, exclude_validation=exclude_validation)
    except GroundTruthError as exc:
        raise CliError(str(exc)) from exc
    if not gt.pairs:
        raise CliError(f"no transcribed lines in the ground truth given ({gt.summary()})")
    print(json.dumps(gt.summary()), file=sys.stderr)
    return gt


# --------------------------------------------------------------------------- evaluate / transcribe
def _evaluation_pairs(args: argparse.Namespace) -> list[tuple[object, str]]:
    """(image, true text) to score: png + gt.txt pairs of DIR, or polygon crops of --ground-truth files."""
    from models_ml.htr.data import read_folder

    if args.ground_truth:
        gt = _ground_truth_lines(args.ground_truth, exclude_validation=False)
        return list(gt.pairs)
    if not args.dir:
        raise CliError("give DIR (png + gt.txt pairs) or --ground-truth ALTO/PAGE files")
    folder = Path(args.dir)
    if not folder.is_dir():
        raise CliError(f"not a directory: {args.dir}")
    pairs = list(read_folder(folder))
    if not pairs:
        raise CliError(f"no NAME.png + NAME.gt.txt pairs in {args.dir}")
    return [(_open_image(str(p)), t) for p, t in pairs]


def _card_decoder(args: argparse.Namespace, card: dict) -> None:
    """No --decoder given: the model's own default decoder (and LM) from its card."""
    if args.decoder is None:
        from models_ml.htr.decode import card_decoding

        args.decoder, lm = card_decoding(card)
        args.lm = args.lm or lm


def cmd_evaluate(args: argparse.Namespace) -> int:
    from models_ml.htr.metrics import cer, wer

    if args.page and args.ground_truth:
        return _evaluate_pages_against_ground_truth(args)
    pairs = _evaluation_pairs(args)
    rec = _recognizer(args.model)
    _card_decoder(args, rec.card)
    images = [img for img, _ in pairs]
    t0 = time.perf_counter()
    extra: dict = {}
    if args.page:
        from models_ml.htr.pipeline import transcribe_page

        # Page text = lines in reading order joined by spaces, so segmentation misses,
        # splits and order errors all count as character errors.
        refs = [" ".join(t.split()) for _, t in pairs]
        pages = [transcribe_page(img, rec, decoder=args.decoder, segmenter=args.segmenter, lm=args.lm) for img in images]
        hyps = [" ".join(r.text for _, r in lines) for lines in pages]
        n_lines = sum(len(lines) for lines in pages)
        extra = {"pages": len(pairs), "gt_lines": sum(len(t.splitlines()) for _, t in pairs)}
    else:
        refs = [t for _, t in pairs]
        readings = rec.recognize(images, decoder=args.decoder, batch_size=args.batch_size, lm=args.lm)
        hyps = [r.text for r in readings]
        n_lines = len(pairs)
    dt = time.perf_counter() - t0
    print(json.dumps({"cer": round(cer(refs, hyps), 5), "wer": round(wer(refs, hyps), 5), "lines": n_lines,
                      "lines_per_second": round(n_lines / max(dt, 1e-9), 2), **extra, "decoder": args.decoder,
                      "lm": bool(args.lm), "model": rec.card.get("name"), "model_sha256": rec.card.get("sha256")}))
    return 0


def _evaluate_pages_against_ground_truth(args: argparse.Namespace) -> int:
    """``evaluate --page --ground-truth``: end-to-end page CER beside the same pages' line CER."""
    from models_ml.htr.groundtruth import GroundTruthError
    from models_ml.segment.pagecer import page_cer_report

    rec = _recognizer(args.model)
    _card_decoder(args, rec.card)
    try:
        report = page_cer_report(args.ground_truth, rec, decoder=args.decoder, lm=args.lm, segmenter=args.segmenter)
    except GroundTruthError as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps({**report, "decoder": args.decoder, "lm": bool(args.lm), "model": rec.card.get("name"),
                      "model_version": rec.card.get("version"), "model_sha256": rec.card.get("sha256")}))
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    rec = _recognizer(args.model)
    _card_decoder(args, rec.card)
    images = [_open_image(p) for p in args.images]  # validate all before any output
    if args.page:
        from models_ml.htr.pipeline import transcribe_page

        for path, img in zip(args.images, images, strict=True):
            lines = transcribe_page(img, rec, decoder=args.decoder, segmenter=args.segmenter, lm=args.lm)
            print(json.dumps({"image": path, "lines": [
                {"text": r.text, "confidence": round(r.confidence, 4),
                 "polygon": [list(p) for p in seg.polygon], "baseline": [list(p) for p in seg.baseline],
                 "region_type": seg.region_type}
                for seg, r in lines]}))
        return 0
    for path, reading in zip(args.images, rec.recognize(images, decoder=args.decoder, lm=args.lm), strict=True):
        print(json.dumps({"image": path, "text": reading.text, "confidence": round(reading.confidence, 4)}))
    return 0


# --------------------------------------------------------------------------- registration
def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the recognizer's sub-commands to the models_ml CLI."""
    p = subparsers.add_parser("synth", help="render synthetic handwriting lines/pages with ground truth")
    p.add_argument("kind", choices=["lines", "pages", "shards", "digits"],
                   help="digits: lines of held-out MNIST digits only (the real-digit evaluation set)")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--fonts", choices=["train", "heldout"], default="train")
    p.add_argument("--texts", choices=["train", "heldout"], default="train")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-skew", type=float, default=3.0, help="pages: max rotation in degrees")
    p.add_argument("--height", type=int, default=32, help="shards: line height")
    p.add_argument("--shard-size", type=int, default=1000)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--script", choices=["ascii", "latin"], default="latin",
                   help="latin: French letters kept (NFC) and French prose added to the train texts")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--mnist-split", choices=["holdout", "train"], default="holdout",
                   help="digits: held-out MNIST digits (evaluation, the default) or training ones")
    p.set_defaults(func=cmd_synth)

    p = subparsers.add_parser("evaluate", help="CER/WER of a model on a folder of png + gt.txt")
    p.add_argument("dir", nargs="?", help="folder of NAME.png + NAME.gt.txt (or pages with --page)")
    p.add_argument("--ground-truth", nargs="+", action="extend", metavar="PATH",
                   help="ALTO/PAGE files or folders: score the recognizer on their polygon-cropped lines")
    p.add_argument("--model")
    p.add_argument("--decoder", choices=["greedy", "beam"], default=None,
                   help="default: the model card's decoder (decoding.default)")
    p.add_argument("--lm", action="store_true", help="beam search with the model's character LM")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--page", action="store_true",
                   help="DIR holds pages (or --ground-truth ALTO/PAGE files): segment, read, compare page text")
    p.add_argument("--segmenter", choices=["trained", "classical"], default=None,
                   help="with --page: the trained segmenter (default) or the classical fallback")
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("transcribe", help="read line images (or whole pages with --page)")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model")
    p.add_argument("--decoder", choices=["greedy", "beam"], default=None,
                   help="default: the model card's decoder (decoding.default)")
    p.add_argument("--lm", action="store_true")
    p.add_argument("--page", action="store_true", help="segment each image into lines first")
    p.add_argument("--segmenter", choices=["trained", "classical"], default=None,
                   help="with --page: the trained segmenter (default) or the classical fallback")
    p.set_defaults(func=cmd_transcribe)
