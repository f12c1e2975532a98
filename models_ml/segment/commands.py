"""CLI sub-commands of the segmenter: segment, train-segmenter, evaluate-segmentation.

Heavy imports happen inside each command; user errors are ``CliError`` (exit 2).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from models_ml.cli import CliError, open_image


def alto_files(paths: list[str]) -> list[Path]:
    """ALTO files named directly or found (``*.xml``) in the given folders."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.xml"))
        elif p.is_file():
            out.append(p)
        else:
            raise CliError(f"ground truth not found: {p}")
    if not out:
        raise CliError(f"no ALTO files in {' '.join(paths)}")
    return out


def _open_image(path: str):  # noqa: ANN202 - PIL imported lazily
    return open_image(path, min_side=8, too_small="image too small to segment")


def _segmenter(model: str | None):  # noqa: ANN202
    from models_ml.registry import ModelError
    from models_ml.segment.trained import Segmenter

    if model and not Path(model).exists():
        raise CliError(f"model not found: {model}")
    try:
        return Segmenter(model)
    except ModelError as exc:
        raise CliError(str(exc)) from exc


# --------------------------------------------------------------------------- segment
def cmd_segment(args: argparse.Namespace) -> int:
    """One JSON line per image: regions and lines (polygon, baseline, type, order)."""
    import torch

    from models_ml.segment.api import segment_page_classical

    torch.set_num_threads(args.threads)
    images = [_open_image(p) for p in args.images]  # all validated before any output
    seg = None if args.method == "classical" else _segmenter(args.model)
    for path, img in zip(args.images, images, strict=True):
        if seg is None:
            from models_ml.segment.layout import classical_layout

            layout = classical_layout(segment_page_classical(img), img.width, img.height)
        else:
            layout = seg.segment(img)
        layout.image = path
        out = layout.to_json()
        out["segmenter"] = "classical" if seg is None else {k: seg.card.get(k) for k in ("name", "version", "sha256")}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


# --------------------------------------------------------------------------- evaluate-segmentation
def cmd_evaluate(args: argparse.Namespace) -> int:
    """cBAD-style baseline P/R/F1, IoU≥0.5 line F1 and region accuracy against ALTO pages."""
    import torch

    from models_ml.segment.api import segment_page_classical
    from models_ml.segment.data import find_image
    from models_ml.segment.layout import classical_layout, read_alto
    from models_ml.segment.metrics import evaluate_page, summarise

    torch.set_num_threads(args.threads)
    files = alto_files(args.ground_truth)
    seg = None if args.method == "classical" else _segmenter(args.model)
    pages, per_page, t0 = [], [], time.perf_counter()
    for f in files:
        try:
            gt = read_alto(f)
            img = _open_image(str(find_image(f, gt.image)))
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read ground truth {f}: {exc}") from exc
        hyp = seg.segment(img) if seg else classical_layout(segment_page_classical(img), img.width, img.height)
        if not gt.width or not gt.height:
            gt.width, gt.height = img.width, img.height
        r = evaluate_page(hyp, gt)
        pages.append(r)
        per_page.append({"page": f.name, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}})
    summary = summarise(pages)
    summary.update({"seconds_per_page": round((time.perf_counter() - t0) / len(files), 3),
                    "segmenter": "classical" if seg is None else {k: seg.card.get(k) for k in ("name", "version",
                                                                                              "sha256")}})
    if args.per_page:
        for row in per_page:
            print(json.dumps(row))
    print(json.dumps(summary))
    if args.record:
        _record_metrics(seg, args.record, summary, files)
    return 0


def _record_metrics(seg, name: str, summary: dict, files: list[Path]) -> None:  # noqa: ANN001
    """Write the figures into the evaluated model's card (weights, and so their sha256, untouched)."""
    from models_ml.registry import CARD

    if seg is None:
        raise CliError("--record needs a trained model (the classical segmenter has no card)")
    card_path = Path(seg.model_dir) / CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.setdefault("metrics", {})[name] = {**{k: v for k, v in summary.items() if k != "segmenter"},
                                            "files": [f.name for f in files],
                                            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- train-segmenter
def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from models_ml.realdata import CREDIT, VALIDATION_WILLS, split_of, will_of
    from models_ml.segment.data import load_page
    from models_ml.segment.model import SegConfig, SegNet, count_parameters
    from models_ml.segment.train import SegTrainConfig, fit
    from models_ml.segment.trained import export_model
    from models_ml.segment.vectorise import VectoriseConfig

    torch.set_num_threads(args.threads)
    files = alto_files(args.ground_truth)
    # never train on a validation will, whatever folder it came from
    train_files = [f for f in files if split_of(f) == "train"]
    val_files = alto_files(args.val_ground_truth) if args.val_ground_truth else [f for f in files if split_of(f) == "val"]
    if not train_files:
        raise CliError("no training pages left once the validation wills are set aside")
    cfg = SegConfig(channels=tuple(args.channels), scale=args.scale)
    parent = None
    if args.init:
        from models_ml.registry import ModelError
        from models_ml.segment.trained import load_segnet

        try:
            model, parent_card = load_segnet(args.init)
        except (OSError, ValueError, ModelError) as exc:
            raise CliError(f"--init {args.init}: {exc}") from exc
        model.train()
        cfg = model.cfg  # the parent's architecture: --channels and --scale do not apply
        parent = {k: parent_card.get(k) for k in ("name", "version", "sha256")}
    else:
        model = SegNet(cfg)
    try:
        train = [load_page(f, cfg) for f in train_files]
        val = [load_page(f, cfg) for f in val_files]
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot load ground truth: {exc}") from exc
    run_dir = Path(args.out)
    tcfg = SegTrainConfig(batch_size=args.batch_size, crop=args.crop, lr=args.lr, time_budget_min=args.time_budget,
                          max_steps=args.max_steps, eval_every=args.eval_every, seed=args.seed, threads=args.threads,
                          checkpoint_every=args.checkpoint_every)
    print(json.dumps({"train_pages": len(train), "val_pages": len(val), "parameters": count_parameters(model)}),
          flush=True)
    summary = fit(model, train, val, run_dir, tcfg, log=lambda s: print(s, flush=True))
    model.load_state_dict(torch.load(run_dir / f"{args.keep}.pt", map_location="cpu"))
    wills = sorted({will_of(f) or f.stem for f in train_files})
    card = {
        "name": args.name, "version": args.version, "task": "segment",
        "architecture": {"kind": "SegNet (U-Net, stride-2 stem)", **cfg.to_dict(), "parameters": count_parameters(model)},
        "training": {**summary, "checkpoint": args.keep, "command": "python -m models_ml " + " ".join(sys.argv[1:]) if args.record_argv
                     else None},
        "training_data": {"pages": len(train_files), "wills": len(wills), "source": CREDIT if any(will_of(f) for f in
                          train_files) else "user ground truth", "excluded_validation_wills": list(VALIDATION_WILLS)},
        "validation_data": {"pages": len(val_files), "wills": sorted({will_of(f) or f.stem for f in val_files})},
        "vectorise": (dict(parent_card.get("vectorise", {})) if parent else asdict(VectoriseConfig())),
        **({"parent": parent} if parent else {}),
        "preprocessing": "grey, resized by `scale` (long side clamped to [min_side, max_side]), contrast stretched "
                         "between the 1st and 99th percentile; labels at half that scale",
        "licence": "weights: same licence as the repository; training data " + CREDIT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = export_model(model, Path(args.export) if args.export else run_dir / "model", card)
    print(json.dumps({"model": str(args.export or run_dir / "model"), "sha256": out["sha256"],
                      "weights_bytes": out["weights_bytes"], **summary}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("segment", help="page images → JSON lines of regions and lines")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", help="segmenter model folder (default: the shipped segment-default)")
    p.add_argument("--method", choices=["trained", "classical"], default="trained",
                   help="classical: the projection-profile segmenter (one column, no regions)")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_segment)

    p = subparsers.add_parser("evaluate-segmentation",
                              help="baseline P/R/F1 (cBAD style), line IoU≥0.5 F1, region accuracy on ALTO pages")
    p.add_argument("--ground-truth", nargs="+", required=True, help="ALTO files or folders (images beside them)")
    p.add_argument("--model")
    p.add_argument("--method", choices=["trained", "classical"], default="trained")
    p.add_argument("--per-page", action="store_true", help="also one JSON line per page")
    p.add_argument("--record", metavar="NAME", help="store the figures in the model card's metrics under NAME")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("train-segmenter", help="train the baseline/region segmenter on ALTO pages")
    p.add_argument("--ground-truth", nargs="+", required=True, help="ALTO files or folders (images beside them)")
    p.add_argument("--val-ground-truth", nargs="+", help="validation ALTO (default: the validation wills given)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, metrics; resumed if present)")
    p.add_argument("--export", help="model folder to write (default OUT/model)")
    p.add_argument("--name", default="segment-default")
    p.add_argument("--version", default="1")
    p.add_argument("--keep", choices=["best", "last"], default="best",
                   help="export the weights of lowest validation loss (best) or the last ones (last: nothing is "
                        "chosen on the validation pages)")
    p.add_argument("--init", metavar="MODEL_DIR",
                   help="start from this segmenter's weights (its architecture and line-band settings; the card "
                        "names it as parent)")
    p.add_argument("--channels", type=int, nargs="+", default=[16, 32, 48, 64, 96])
    p.add_argument("--scale", type=float, default=0.25)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--crop", type=int, default=320)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--time-budget", type=float, default=45.0, help="minutes")
    p.add_argument("--max-steps", type=int, default=100_000)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-record-argv", dest="record_argv", action="store_false")
    p.set_defaults(func=cmd_train)
