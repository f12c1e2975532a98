"""CLI sub-commands that make recognizers: train, lm (the character LM), export.

Split from commands.py (reading: synth, evaluate, transcribe) by concept. Heavy imports happen
inside each command so ``python -m models_ml`` starts fast; user errors are ``CliError``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from models_ml.cli import CliError, command_line
from models_ml.htr.commands import _ground_truth_lines
from models_ml.htr.lm import LM_FILE, copy_lm


def _val_set(args: argparse.Namespace, height: int, width_norm=None):  # noqa: ANN001, ANN202
    from models_ml.htr.data import LineSet
    from models_ml.synth.lines import write_lines

    val = LineSet(height, width_norm)
    if args.val:
        vdir = Path(args.val)
        if not vdir.is_dir() or not any(vdir.glob("*.gt.txt")):
            if args.val_synth <= 0:
                raise CliError(f"validation folder {vdir} has no png/gt.txt pairs")
            write_lines(vdir, args.val_synth, "heldout", "heldout", args.val_seed)
        val.load_folder(vdir)
    return val


def _segmenter_crops(args: argparse.Namespace):  # noqa: ANN202 - SegmenterCrops
    """The training pages' lines as the segmenter crops them (``--segmenter-crops``), with a count of what matched."""
    from models_ml.htr.groundtruth import GroundTruthError
    from models_ml.htr.segcrops import MIN_IOU, segmenter_crops

    try:
        crops = segmenter_crops(args.ground_truth, exclude_validation=not args.allow_validation_wills)
    except GroundTruthError as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps({"segmenter_crops": crops.summary()}), flush=True)
    if not crops.pairs:
        raise CliError(f"--segmenter-crops: the segmenter found no line matching the ground truth (polygon IoU >= {MIN_IOU})")
    return crops


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from models_ml.htr.api import load_model
    from models_ml.htr.data import LineSet, read_folder
    from models_ml.htr.groundtruth import grown_charset
    from models_ml.htr.model import count_parameters
    from models_ml.htr.train import TrainConfig, base_card, default_data_description, fit, grow_charset, new_model
    from models_ml.htr.widthnorm import WidthNorm
    from models_ml.registry import ModelError
    from models_ml.synth.sources import LATIN_CHARSET

    if args.threads:
        torch.set_num_threads(args.threads)
    run_dir = Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    parent = base = None
    gt = _ground_truth_lines(args.ground_truth, not args.allow_validation_wills)
    gt_texts = [t for _, t in gt.pairs] if gt else []
    for d in args.data or []:
        if not Path(d).is_dir():
            raise CliError(f"data folder not found: {d}")
    # every character the training lines write joins the charset (or a new model would never learn '^' or '&')
    folder_texts = [t for d in dict.fromkeys(args.data or []) for _, t in read_folder(Path(d))]
    if args.init_from:
        try:
            model, charset, base = load_model(args.init_from)
        except ModelError as exc:
            raise CliError(str(exc)) from exc
        parent = {k: base.get(k) for k in ("name", "version", "sha256")}
        extra = gt_texts + folder_texts + ([LATIN_CHARSET] if args.script == "latin" and args.pool else [])
        charset = grow_charset(model, charset, grown_charset(charset.chars, extra))
    else:
        model, charset = new_model(args.height, grown_charset(LATIN_CHARSET, gt_texts + folder_texts),
                                   lstm_hidden=args.hidden,
                                   lstm_layers=args.layers, channels=[int(c) for c in args.channels.split(",")],
                                   pools=[[int(v) for v in p.split("x")] for p in args.pools.split(",")],
                                   dropout=args.dropout)
    tcfg = TrainConfig(batch_size=args.batch_size, lr=args.lr, max_steps=args.max_steps, epochs=args.epochs,
                       time_budget_min=args.time_budget, eval_every=args.eval_every,
                       checkpoint_every=args.checkpoint_every, patience=args.patience, seed=args.seed,
                       threads=args.threads, warmup_steps=min(300, max(10, args.max_steps // 20)),
                       workers=args.workers, amp=args.amp, keep=args.keep)
    try:  # --width-norm TARGET [MIN MAX], else the parent's
        width_norm = WidthNorm(*args.width_norm) if args.width_norm else WidthNorm.from_card(base or {})
    except (TypeError, ValueError) as exc:
        raise CliError(f"--width-norm: {exc}") from exc
    train_set = LineSet(model.cfg.height, width_norm)
    for d in args.data or []:
        if train_set.load_folder(Path(d)) == 0:
            raise CliError(f"no NAME.png + NAME.gt.txt pairs in {d}")
    if gt:
        train_set.load_pairs(gt.pairs, repeat=args.real_repeat)
    if args.segmenter_crops > 0 and not gt:
        raise CliError("--segmenter-crops needs --ground-truth pages to segment")
    seg_crops = _segmenter_crops(args) if args.segmenter_crops > 0 else None
    if seg_crops is not None:
        train_set.load_pairs(seg_crops.pairs, repeat=args.segmenter_crops)
    renderer = None
    pool = Path(args.pool) if args.pool else None
    if pool is not None and args.synth_lines > 0:
        cmd = [sys.executable, "-m", "models_ml", "synth", "shards", "--out", str(pool), "--n",
               str(args.synth_lines), "--seed", str(args.synth_seed), "--height", str(model.cfg.height),
               "--script", args.script]
        renderer = subprocess.Popen(cmd, stdout=open(run_dir / "render.log", "a"), stderr=subprocess.STDOUT)
        t0 = time.time()
        while not list(pool.glob("shard-*[0-9].npz")) and renderer.poll() is None and time.time() - t0 < 900:
            time.sleep(2)
    if pool is not None:
        train_set.load_shards(pool)
    if not len(train_set):
        raise CliError("no training lines: give --ground-truth FILE|DIR, --data DIR and/or --pool DIR")
    val_set = _val_set(args, model.cfg.height, width_norm)
    if args.val_ground_truth:
        val_gt = _ground_truth_lines(args.val_ground_truth, exclude_validation=False)
        val_set.load_pairs(val_gt.pairs)
    if args.init_from and not gt:
        # no new text to learn from: the parent's LM still fits (with ground truth, a new one is built)
        copy_lm(args.init_from, run_dir)
    data_desc = default_data_description()
    if gt:
        from models_ml.htr.groundtruth import expand_paths
        from models_ml.realdata import CREDIT, VALIDATION_WILLS, will_of

        wills = any(will_of(p) for p in expand_paths(args.ground_truth))  # the Testaments de Poilus: credit them
        data_desc.update({"real": {**gt.summary(), "repeat_per_epoch": args.real_repeat,
                                   "credit": CREDIT if wills else None,
                                   "validation_wills_never_trained_on": list(VALIDATION_WILLS),
                                   "validation_ground_truth": args.val_ground_truth or []}})
        if seg_crops is not None:
            from models_ml.htr.segcrops import MIN_IOU

            data_desc["real"]["segmenter_crops"] = {**seg_crops.summary(), "repeat_per_epoch": args.segmenter_crops,
                                                    "min_iou": MIN_IOU}
        if args.val_ground_truth:
            data_desc["validation"] = "the --val-ground-truth lines (polygon crops, levelled); they also choose the checkpoint"
    data_desc.update({"pool": str(pool) if pool else None, "synth_lines": args.synth_lines,
                      "synth_seed": args.synth_seed, "extra_folders": args.data or [],
                      "validation_folder": args.val, "validation_lines": len(val_set)})
    card = base_card(model.cfg, charset, tcfg, args.name, data_desc, parent,
                     command_line("train"))
    if width_norm:
        card["preprocessing"]["width_norm"] = width_norm.to_dict()
    print(f"training {count_parameters(model)} parameters on {len(train_set)} lines "
          f"(more arriving from {pool})" if renderer else "", file=sys.stderr)
    try:
        result = fit(model, charset, train_set, val_set, tcfg, run_dir, card,
                     export_dir=Path(args.export) if args.export else None,
                     pool_dir=pool, resume=args.resume)  # shards that renderers add join each epoch
    finally:
        if renderer is not None and renderer.poll() is None:
            renderer.terminate()
    if args.lm_order > 0 and not (run_dir / LM_FILE).exists():
        build_lm(run_dir / LM_FILE, args.lm_order, args.lm_chars, charset=charset.chars, extra_lines=gt_texts)
    if args.export:
        copy_lm(run_dir, args.export)
    print(json.dumps(result))
    return 0


def build_lm(path: Path, order: int = 5, max_chars: int = 3_000_000, charset: str | None = None,
             extra_lines: list[str] | None = None, extra_weight: int = 20, number_lines: int = 0) -> None:
    """Character n-gram LM from the *training* texts (English and French prose), sampled evenly up to
    ``max_chars``, plus ``extra_lines`` (the training wills' own lines) counted ``extra_weight`` times,
    as they are the register the archive holds, plus ``number_lines`` lines of numbers and dates as
    the recognizer's digit lines write them (prose alone teaches the LM that a number is short and
    soon followed by a letter, so beam search broke long numbers and dates)."""
    import numpy as np

    from models_ml.htr.lm import CharLM
    from models_ml.synth.lines import digit_text
    from models_ml.synth.sources import LATIN_CHARSET, word_stream

    words = word_stream("train", None, "latin")
    chunk = 12
    chunks = range(0, len(words), chunk)
    step = max(1, int(len(words) * 6 / max_chars))  # about 6 chars per word
    lines = [" ".join(words[i: i + chunk]) for k, i in enumerate(chunks) if k % step == 0]
    lines += list(extra_lines or []) * extra_weight
    rng = np.random.default_rng(20261202)
    lines += [digit_text(rng) for _ in range(number_lines)]
    CharLM.build(lines, charset or LATIN_CHARSET, order=order).save(path)


def cmd_lm(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    charset = None
    if args.charset_from:
        from models_ml.registry import ModelError, read_card

        try:
            charset = read_card(args.charset_from)["charset"]
        except (ModelError, OSError, KeyError) as exc:
            raise CliError(f"no model card with a charset in {args.charset_from}") from exc
    lines = None
    if args.ground_truth:
        from models_ml.htr.groundtruth import GroundTruthError, expand_paths, read_ground_truth
        from models_ml.realdata import split_of

        try:
            lines = [ln.text for p in expand_paths(args.ground_truth) if split_of(p) != "val"
                     for ln in read_ground_truth(p).lines if ln.text]
        except GroundTruthError as exc:
            raise CliError(str(exc)) from exc
    build_lm(out, args.order, args.max_chars, charset=charset, extra_lines=lines, number_lines=args.number_lines)
    print(json.dumps({"lm": str(out), "bytes": out.stat().st_size}))
    return 0


def _select_checkpoint(run_dir: Path, val_dir: Path) -> None:
    """Re-score best.pt and last.pt on ``val_dir``; make the better one best.pt."""
    import torch

    from models_ml.htr.api import build_model
    from models_ml.htr.data import LineSet
    from models_ml.htr.train import evaluate_arrays

    card = json.loads((run_dir / "card.base.json").read_text())
    model, charset = build_model(card)
    val = LineSet(model.cfg.height)
    if val.load_folder(val_dir) == 0:
        raise CliError(f"no NAME.png + NAME.gt.txt pairs in {val_dir}")
    scored = []
    for name in ("best.pt", "last.pt"):
        if not (run_dir / name).exists():
            continue
        ck = torch.load(run_dir / name, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        ev = evaluate_arrays(model, charset, val.images, val.texts, "cpu")
        print(json.dumps({"checkpoint": name, "step": ck["step"], **ev}), file=sys.stderr)
        ck["metrics"] = {"validation_heldout": {**ev, "step": ck["step"], "folder": str(val_dir)}}
        ck["training_state"] = {"steps": ck["step"], "epochs": ck["epoch"], "lines_seen": ck.get("lines_seen"),
                                "train_minutes": round(ck.get("trained_s", 0.0) / 60, 1)}
        scored.append((ev["cer"], name, ck))
    cer_, name, ck = min(scored, key=lambda x: x[0])
    torch.save(ck, run_dir / "best.pt")


def cmd_export(args: argparse.Namespace) -> int:
    from models_ml.htr.train import export_best

    run_dir = Path(args.run)
    if not (run_dir / "best.pt").exists():
        raise CliError(f"no best.pt in {run_dir}")
    card = json.loads((run_dir / "card.base.json").read_text())
    if args.average:
        from models_ml.htr.train import average_checkpoints

        if args.select_on:
            raise CliError("--average and --select-on choose the weights in two ways: give one")
        missing = [p for p in args.average if not Path(p).is_file()]
        if missing or len(args.average) < 2:
            raise CliError(f"--average takes two or more checkpoint files ({'missing: ' + ' '.join(missing) if missing else 'one given'})")
        try:
            average_checkpoints([Path(p) for p in args.average], run_dir / "averaged.pt")
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    if args.select_on:
        _select_checkpoint(run_dir, Path(args.select_on))
    card = export_best(run_dir, Path(args.to), card, checkpoint="averaged.pt" if args.average else "best.pt")
    print(json.dumps({"exported": args.to, "sha256": card["sha256"], "metrics": card.get("metrics")}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the training sub-commands to the models_ml CLI."""
    p = subparsers.add_parser("train", help="train or fine-tune the handwriting recognizer")
    p.add_argument("--out", required=True, help="run directory (checkpoints, metrics, plot)")
    p.add_argument("--data", action="append", help="folder of NAME.png + NAME.gt.txt (repeatable)")
    p.add_argument("--pool", help="folder of pre-rendered npz shards")
    p.add_argument("--synth-lines", type=int, default=0, help="render this many synthetic lines into --pool")
    p.add_argument("--synth-seed", type=int, default=1)
    p.add_argument("--val", help="validation folder (rendered with held-out fonts/texts if empty)")
    p.add_argument("--val-synth", type=int, default=400)
    p.add_argument("--val-seed", type=int, default=1000)
    p.add_argument("--init-from", help="model directory to fine-tune from")
    p.add_argument("--export", help="model directory to write the best checkpoint to on every improvement")
    p.add_argument("--name", default="htr-default")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--ground-truth", nargs="+", action="extend", metavar="PATH",
                   help="ALTO/PAGE files or folders of them, with their images: lines cropped by polygon")
    p.add_argument("--val-ground-truth", nargs="+", action="extend", metavar="PATH",
                   help="ALTO/PAGE files or folders for validation (e.g. your validation hands)")
    p.add_argument("--allow-validation-wills", action="store_true",
                   help="do not leave out the project's validation wills from --ground-truth")
    p.add_argument("--real-repeat", type=int, default=1, help="draws of each ground-truth line per epoch")
    p.add_argument("--segmenter-crops", type=int, default=0, metavar="N",
                   help="also train on each ground-truth page's lines as the segmenter crops them, N draws per epoch")
    p.add_argument("--script", choices=["ascii", "latin"], default="latin", help="synthetic lines' script")
    p.add_argument("--height", type=int, default=64)
    p.add_argument("--hidden", type=int, default=192)
    p.add_argument("--layers", type=int, default=2, help="BiLSTM layers")
    p.add_argument("--channels", default="16,32,48,64,96,128", help="conv channels, one conv each")
    p.add_argument("--pools", default="2x2,2x2,1x1,2x1,2x1,2x1", help="pooling (h x w) after each conv")
    p.add_argument("--dropout", type=float, default=0.25)
    p.add_argument("--width-norm", type=float, nargs="+", metavar="X",
                   help="TARGET [MIN MAX]: stretch lines to this stroke period (widthnorm.py); default: the parent's")
    p.add_argument("--batch-size", type=int, default=24)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--time-budget", type=float, default=0.0, help="minutes")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--workers", type=int, default=0,
                   help="processes that augment and collate batches (keeps a GPU fed); 0: the training loop does")
    p.add_argument("--amp", choices=["fp16", "bf16", "off"], default="fp16", help="mixed precision on CUDA")
    p.add_argument("--keep", choices=["best", "last"], default="best",
                   help="--export holds the best checkpoint on the validation lines, or the last (chosen on nothing)")
    p.add_argument("--lm-order", type=int, default=5, help="character LM order built after training (0: none)")
    p.add_argument("--lm-chars", type=int, default=3_000_000)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("lm", help="build the character n-gram LM from the training texts")
    p.add_argument("--out", required=True)
    p.add_argument("--order", type=int, default=5)
    p.add_argument("--max-chars", type=int, default=3_000_000)
    p.add_argument("--charset-from", metavar="MODEL_DIR", help="the model whose charset the LM covers")
    p.add_argument("--number-lines", type=int, default=0,
                   help="add this many lines of numbers and dates (years, d/m/y, ranges) to the LM's texts")
    p.add_argument("--ground-truth", nargs="+", action="extend", metavar="PATH",
                   help="ALTO/PAGE files whose lines join the texts (validation wills left out)")
    p.set_defaults(func=cmd_lm)

    p = subparsers.add_parser("export", help="write a run's best checkpoint as a model directory")
    p.add_argument("run")
    p.add_argument("--to", required=True)
    p.add_argument("--select-on", help="validation folder: re-score best.pt and last.pt, export the better")
    p.add_argument("--average", nargs="+", metavar="CKPT",
                   help="checkpoints of the run to average (into its averaged.pt) and export instead of best.pt (SWA-style)")
    p.set_defaults(func=cmd_export)
