"""Choosing the LM weight (alpha) and the insertion bonus (beta) of beam search, honestly.

Why cross-fitted: the only real lines a model has not trained on are the validation hands, and
a weight chosen on them would make their CER a little optimistic. So the hands are split into
folds *by hand*; each fold is decoded with the weights that were best on the other folds, and
the CER quoted is over all folds decoded that way. The weights written to the card are the best
on all hands together (what the archive should use); both figures are printed.

``python -m models_ml tune-lm --ground-truth FILES [--model DIR] [--write-card]``.
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

DEFAULT_ALPHAS = (0.2, 0.4, 0.6, 0.8, 1.0, 1.3)
DEFAULT_BETAS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Scored:
    """Edit operations and reference characters of one hand under one setting."""

    errors: int
    chars: int


def score_grid(groups: dict[str, list[tuple[np.ndarray, str]]], decode: Callable[[np.ndarray, float, float], str],
               settings: Iterable[tuple[float, float]]) -> dict[tuple[float, float], dict[str, Scored]]:
    """Every setting's errors per group (hand): decoding is the cost, so each line is decoded once per setting."""
    table: dict[tuple[float, float], dict[str, Scored]] = {}
    for setting in settings:
        per_group: dict[str, Scored] = {}
        for name, lines in groups.items():
            errors = sum(Levenshtein.distance(ref, decode(lp, *setting)) for lp, ref in lines)
            per_group[name] = Scored(errors, sum(len(ref) for _, ref in lines))
        table[setting] = per_group
    return table


def pooled_cer(scores: dict[str, Scored], names: Iterable[str]) -> float:
    """CER over the named groups together (errors and characters summed, not a mean of rates)."""
    names = list(names)
    chars = sum(scores[n].chars for n in names)
    return sum(scores[n].errors for n in names) / max(1, chars)


def folds_of(names: Sequence[str], n_folds: int) -> list[list[str]]:
    """Groups dealt round-robin into folds in sorted order (stable, and every fold gets hands of each archive)."""
    if n_folds < 2 or n_folds > len(names):
        raise ValueError(f"need 2 to {len(names)} folds, not {n_folds}")
    ordered = sorted(names)
    return [ordered[i::n_folds] for i in range(n_folds)]


def cross_fit(table: dict[tuple[float, float], dict[str, Scored]], n_folds: int = 2,
              keys: tuple[str, str] = ("alpha", "beta")) -> dict:
    """The cross-fitted CER (each fold scored with the setting best on the others) and the best setting overall.

    ``keys`` name the setting's two values in the report (the LM's weights by default)."""
    names = list(next(iter(table.values())).keys())
    folds = folds_of(names, n_folds)
    errors = chars = 0
    chosen = []
    for fold in folds:
        others = [n for n in names if n not in fold]
        best = min(table, key=lambda s: (pooled_cer(table[s], others), s))
        errors += sum(table[best][n].errors for n in fold)
        chars += sum(table[best][n].chars for n in fold)
        chosen.append({"fold": fold, **dict(zip(keys, best, strict=True)), "cer_on_fold": round(pooled_cer(table[best], fold), 5)})
    overall = min(table, key=lambda s: (pooled_cer(table[s], names), s))
    return {
        "cross_fitted_cer": round(errors / max(1, chars), 5),
        "folds": chosen,
        "best": {**dict(zip(keys, overall, strict=True)), "cer": round(pooled_cer(table[overall], names), 5)},
        "grid": [{**dict(zip(keys, s, strict=True)), "cer": round(pooled_cer(table[s], names), 5)} for s in sorted(table)],
    }


def cmd_tune_lm(args: argparse.Namespace) -> int:
    from models_ml.cli import CliError
    from models_ml.htr.api import BATCH_COST_COLUMNS, forward_arrays
    from models_ml.htr.commands import _recognizer
    from models_ml.htr.data import plan_batches
    from models_ml.htr.decode import beam_decode
    from models_ml.htr.groundtruth import GroundTruthError, expand_paths, load_training_lines
    from models_ml.realdata import will_of

    rec = _recognizer(args.model)
    if rec.lm is None:
        raise CliError(f"model {rec.model_dir} has no character LM (lm.json) to tune")
    groups: dict[str, list[tuple[np.ndarray, str]]] = {}
    for path in expand_paths(args.ground_truth):
        try:
            lines = load_training_lines([path], exclude_validation=False).pairs
        except GroundTruthError as exc:
            raise CliError(str(exc)) from exc
        arrays = [rec.preprocess(img) for img, _ in lines]
        outs: list[np.ndarray | None] = [None] * len(arrays)
        cost = BATCH_COST_COLUMNS.get(str(rec.device).split(":")[0], BATCH_COST_COLUMNS["cuda"])
        for idx in plan_batches([a.shape[1] for a in arrays], 16, cost):  # batched as the archive reads them
            for i, lp in zip(idx, forward_arrays(rec.model, [arrays[i] for i in idx], rec.device), strict=True):
                outs[i] = lp
        groups.setdefault(will_of(path) or path.stem, []).extend(
            (lp, text) for lp, (_, text) in zip(outs, lines, strict=True))
    if sum(len(v) for v in groups.values()) == 0:
        raise CliError("no transcribed lines in the ground truth given")
    if len(groups) < args.folds:
        raise CliError(f"{len(groups)} hands given; cross-fitting needs at least {args.folds}")
    chars = rec.charset.chars

    def decode(lp: np.ndarray, alpha: float, beta: float) -> str:
        return rec.charset.decode(beam_decode(lp, beam=rec.beam, lm=rec.lm, chars=chars, alpha=alpha, beta=beta).labels)

    t0 = time.perf_counter()
    table = score_grid(groups, decode, [(a, b) for a in args.alphas for b in args.betas])
    report = cross_fit(table, args.folds)
    report.update(hands=len(groups), lines=sum(len(v) for v in groups.values()), seconds=round(time.perf_counter() - t0, 1),
                  model=rec.card.get("name"), model_sha256=rec.card.get("sha256"))
    if args.write_card:
        card_path = Path(rec.model_dir) / "card.json"
        card = json.loads(card_path.read_text())
        card.setdefault("decoding", {}).update(lm_alpha=report["best"]["alpha"], lm_beta=report["best"]["beta"],
                                               lm_tuning={k: report[k] for k in ("cross_fitted_cer", "best", "hands",
                                                                                 "lines", "folds")})
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        report["card_written"] = str(card_path)
    print(json.dumps(report))
    return 0


def add_held_out_arguments(p: argparse.ArgumentParser, written: str) -> None:
    """The arguments every cross-fitted tuning command shares: the hands, the model, the folds, --write-card."""
    p.add_argument("--ground-truth", nargs="+", action="extend", metavar="PATH", required=True,
                   help="ALTO/PAGE files of hands the model did not train on (one hand per will)")
    p.add_argument("--model")
    p.add_argument("--folds", type=int, default=2)
    p.add_argument("--write-card", action="store_true", help=f"store {written} in the model's card.json")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tune-lm", help="choose beam search's LM weight and bonus on held-out hands, cross-fitted")
    add_held_out_arguments(p, "the best weights")
    p.add_argument("--alphas", nargs="+", type=float, default=list(DEFAULT_ALPHAS))
    p.add_argument("--betas", nargs="+", type=float, default=list(DEFAULT_BETAS))
    p.set_defaults(func=cmd_tune_lm)

