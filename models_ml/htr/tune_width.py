"""Choosing a recognizer's writing-width normalisation on hands it did not train on, cross-fitted.

Why: a network trained at one frame per 4 columns reads compact unseen hands far worse than wide
ones (widthnorm.py). How far to stretch them is a setting of the model, like the LM's weights, and
is chosen the same honest way (tune.py): hands split into folds by hand, each fold read with the
setting best on the others. Every setting is scored with the card's default decoder, what
``evaluate`` reports and the archive reads with. The no-normalisation setting is always in the grid,
so a model that does not gain keeps reading as it did.

``python -m models_ml tune-width --ground-truth FILES [--model DIR] [--targets ...] [--write-card]``.
With ``--write-card`` the card gets the best setting (or loses its ``width_norm`` if none wins) and,
because the model now reads differently, a new version whose ``parent`` is the old one: an inscription's
model version always names how its line was read.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from models_ml.htr.tune import Scored, add_held_out_arguments, cross_fit, pooled_cer

NONE = (0.0, 1.0)  # (target, max_scale) meaning "no width normalisation"


def cmd_tune_width(args: argparse.Namespace) -> int:
    from models_ml import registry
    from models_ml.cli import CliError
    from models_ml.htr.commands import _recognizer
    from models_ml.htr.decode import card_decoding
    from models_ml.htr.groundtruth import GroundTruthError, expand_paths, load_training_lines
    from models_ml.htr.widthnorm import WidthNorm
    from models_ml.realdata import will_of

    rec = _recognizer(args.model)
    decoder, lm = card_decoding(rec.card)
    if lm and rec.lm is None:
        raise CliError(f"model {rec.model_dir} reads with beam + LM by default but has no lm.json")
    groups: dict[str, list] = {}
    for path in expand_paths(args.ground_truth):
        try:
            groups.setdefault(will_of(path) or path.stem, []).extend(load_training_lines([path], False).pairs)
        except GroundTruthError as exc:
            raise CliError(str(exc)) from exc
    groups = {name: lines for name, lines in groups.items() if lines}
    if len(groups) < args.folds:
        raise CliError(f"{len(groups)} hands with transcribed lines given; cross-fitting needs at least {args.folds}")
    try:
        settings = [NONE] + [(float(t), float(m)) for t in args.targets for m in args.max_scales]
        norms = {s: WidthNorm(s[0], 1.0, s[1]) if s != NONE else None for s in settings}
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    t0, kept = time.perf_counter(), rec.width_norm
    table: dict[tuple[float, float], dict[str, Scored]] = {}
    try:
        for setting in settings:
            rec.width_norm = norms[setting]
            table[setting] = {}
            for name, lines in groups.items():
                readings = rec.recognize([img for img, _ in lines], decoder=decoder, lm=lm)
                errors = sum(Levenshtein.distance(text, r.text) for (_, text), r in zip(lines, readings, strict=True))
                table[setting][name] = Scored(errors, sum(len(text) for _, text in lines))
    finally:
        rec.width_norm = kept  # the recognizer is cached per process: leave it as its card says
    report = cross_fit(table, args.folds, keys=("target", "max_scale"))
    report.update(decoder=decoder + ("+lm" if lm else ""), hands=len(groups), lines=sum(map(len, groups.values())),
                  seconds=round(time.perf_counter() - t0, 1), model=rec.card.get("name"),
                  model_version=rec.card.get("version"), model_sha256=rec.card.get("sha256"),
                  without=round(pooled_cer(table[NONE], groups), 5))
    if args.write_card:
        best = (report["best"]["target"], report["best"]["max_scale"])
        card_path = Path(rec.model_dir) / "card.json"
        card = json.loads(card_path.read_text())
        before = WidthNorm.from_card(card)
        preprocessing = card.setdefault("preprocessing", {})
        preprocessing.pop("width_norm", None)
        if norms[best]:
            preprocessing["width_norm"] = {**norms[best].to_dict(), "tuning": {k: report[k] for k in (
                "cross_fitted_cer", "best", "without", "hands", "lines", "folds", "decoder")}}
        if norms[best] != before:  # the model now reads differently: a new version
            card["parent"] = {k: card.get(k) for k in ("name", "version", "sha256")}
            card["version"] = registry.version_stamp()
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        report.update(card_written=str(card_path), version=card["version"])
    print(json.dumps(report))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tune-width", help="choose the writing-width normalisation on held-out hands, cross-fitted")
    add_held_out_arguments(p, "the best setting (with a new model version if it changed)")
    p.add_argument("--targets", nargs="+", type=float, default=[10.0, 11.0, 12.0, 13.0, 14.0],
                   help="stroke periods (columns at model height) to stretch compact writing to")
    p.add_argument("--max-scales", nargs="+", type=float, default=[1.4], help="the most a line is stretched")
    p.set_defaults(func=cmd_tune_width)
