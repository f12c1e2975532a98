"""CLI sub-commands: ``summarise``, ``summarise-eval``, ``summarise-train``.

torch and the model are imported inside each ``func`` so ``python -m models_ml
--help`` stays fast and works even where torch is broken.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FALLBACK_ENCODING = "cp1252"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("summarise", help="extractive summary of text files (one JSON line per file)")
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files ('-' reads stdin)")
    p.add_argument("--model", type=Path, default=None, help="model directory (default: shipped model)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--sentences", type=int, default=None, help="number of sentences (default 3)")
    budget.add_argument("--words", type=int, default=None, help="word budget instead of a sentence count")
    p.set_defaults(func=cmd_summarise)

    e = subparsers.add_parser("summarise-eval", help="ROUGE of the LSTM vs Lead / TextRank / LexRank on ACLSum")
    e.add_argument("--split", default="test", choices=("train", "val", "test"))
    e.add_argument("--model", type=Path, default=None)
    e.add_argument("--data", type=Path, default=None, help="ACLSum directory (default ../shared/data/summaries/aclsum)")
    e.add_argument("--words", type=int, default=None, help="summary budget in words (default 70)")
    e.add_argument("--systems", default="lstm,lead,textrank,lexrank")
    e.add_argument("--write-card", action="store_true",
                   help="store the LSTM's scores for this split in the model's card.json (metrics only)")
    e.set_defaults(func=cmd_eval)

    t = subparsers.add_parser("summarise-train", help="train the LSTM summariser on ACLSum (CPU)")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--data", type=Path, default=None)
    t.add_argument("--texts", type=Path, default=None, help="prose for skip-gram pre-training")
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--epochs", type=int, default=2, help="the shipped model: 2 (best val epoch)")
    t.add_argument("--threads", type=int, default=1, help="1 is fastest on a shared CPU")
    t.add_argument("--abstract-weight", type=float, default=0.5)
    t.add_argument("--tune-embeddings", action="store_true", help="fine-tune word vectors (slower)")
    t.set_defaults(func=cmd_train)


def read_text(name: str) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 first (BOM tolerated), then the declared fallback cp1252/latin-1."""
    from models_ml.cli import CliError

    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{name}: is a directory") from None
    except OSError as exc:
        raise CliError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(FALLBACK_ENCODING), FALLBACK_ENCODING
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _load(model_dir: Path | None):
    from models_ml.cli import CliError

    from .api import load_summariser
    from .store import ModelLoadError

    try:
        return load_summariser(model_dir)
    except ModelLoadError as exc:
        raise CliError(f"cannot load summariser: {exc}") from None


def cmd_summarise(args: argparse.Namespace) -> int:
    from models_ml.cli import CliError

    for name, value in (("--sentences", args.sentences), ("--words", args.words)):
        if value is not None and value < 1:
            raise CliError(f"{name} must be at least 1")
    # Read every file first so a missing one fails before the model loads.
    status = 0
    inputs = []
    for name in args.files:
        try:
            inputs.append((name, *read_text(name)))
        except CliError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
    if not inputs:
        return status
    summariser = _load(args.model)
    for name, text, encoding in inputs:
        if encoding != "utf-8":
            print(f"warning: {name} is not valid UTF-8; decoded as {encoding}", file=sys.stderr)
        if not text.strip():
            print(f"warning: {name} is empty", file=sys.stderr)
        result = summariser.summarise(text, sentences=args.sentences, words=args.words)
        record = {"file": name, "summary": result.summary,
                  "sentences": [{"text": s.text, "score": s.score, "position": s.position,
                                 "start": s.start, "end": s.end} for s in result.sentences]}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    from models_ml.cli import CliError

    from .data import DEFAULT_ACLSUM
    from .evaluate import BUDGET_WORDS, compare, format_table

    root = args.data or DEFAULT_ACLSUM
    if not (root / f"{args.split}.jsonl").is_file():
        raise CliError(f"ACLSum {args.split} split not found under {root}")
    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    unknown = set(systems) - {"lstm", "lead", "textrank", "lexrank"}
    if unknown:
        raise CliError(f"unknown systems: {', '.join(sorted(unknown))}")
    if "lstm" in systems:
        _load(args.model)  # fail early with a clear message
    budget = args.words or BUDGET_WORDS
    rows = compare(args.split, args.model, root, budget, systems)
    n = sum(1 for _ in open(root / f"{args.split}.jsonl", encoding="utf-8"))
    print(format_table(rows, args.split, n, budget))
    if args.write_card:
        lstm = next((scores for name, scores, _ in rows if name == "lstm"), None)
        if lstm is None:
            raise CliError("--write-card needs the lstm system")
        from .store import write_metrics

        write_metrics(args.model, args.split, lstm, budget)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .data import DEFAULT_ACLSUM
    from .train import DEFAULT_TEXTS, TrainConfig, train

    tc = TrainConfig(out=args.out, data=args.data or DEFAULT_ACLSUM, texts=args.texts or DEFAULT_TEXTS,
                     seed=args.seed, epochs=args.epochs, threads=args.threads,
                     abstract_weight=args.abstract_weight, freeze_embeddings=not args.tune_embeddings)
    card = train(tc)
    print(json.dumps(card["metrics"], indent=2))
    return 0
