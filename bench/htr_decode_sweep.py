"""Decoding-time sweep of recognizers: beam width, LM, LM weights (cross-fitted), posterior ensembles.

Prints JSON lines, never asserts. The network runs once per model and set (log-probs cached in
``--cache``); every decoder setting then reads the same log-probs, so a sweep costs decoding only.

Sets: the validation wills (real hands never trained on, grouped by will for cross-fitting),
a folder of synthetic held-out lines and one of held-out MNIST digit lines (png + gt.txt, as
``python -m models_ml synth lines|digits`` writes them).

A *source* is a model directory, or ``ens:DIR1+DIR2`` (the two networks' posteriors averaged per
frame: log of the mean probability; same architecture, so the same frames). For each source and
decoder setting the validation CER quoted for beam + LM is **cross-fitted** over two folds of wills
(``models_ml.htr.tune``: each fold read with the alpha/beta best on the other), and the synthetic
and digit sets are read with the alpha/beta best on all the wills (what a card would store).

    python bench/htr_decode_sweep.py --source models_ml/store/htr-default --synth DIR --digits DIR \
        --beam 10 --lm models_ml/store/htr-default/lm.json --alphas 0.6 0.8 --betas 1 2
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _set_lines(name: str, folder: str | None) -> dict[str, list[tuple[object, str]]]:
    """{group: [(image, text)]}: wills for the validation set, one group for a folder."""
    from PIL import Image

    from models_ml.htr.data import read_folder
    from models_ml.htr.groundtruth import load_training_lines
    from models_ml.realdata import ground_truth_files, will_of

    groups: dict[str, list] = {}
    if name == "val":
        for path in ground_truth_files("val"):
            groups.setdefault(will_of(path), []).extend(load_training_lines([path], exclude_validation=False).pairs)
        return groups
    pairs = []
    for p, t in read_folder(Path(folder)):
        with Image.open(p) as im:
            pairs.append((im.copy(), t))
    return {name: pairs}


def _log_probs(model_dir: str, set_name: str, groups: dict, cache: Path) -> tuple[dict[str, list[np.ndarray]], float]:
    """Per group, per line (T, C) log-probs of one model, batched as the archive reads; cached by weights' sha."""
    import torch

    from models_ml.htr.api import load_recognizer

    rec = load_recognizer(model_dir, "cpu")
    texts = "\n".join(t for pairs in groups.values() for _, t in pairs)  # two folders of one kind differ here
    key = hashlib.sha256(f"{rec.card['sha256']}:{set_name}:{texts}".encode()).hexdigest()[:16]
    f = cache / f"{set_name}-{key}.npz"
    if f.exists():
        z = np.load(f, allow_pickle=True)
        return z["lps"].item(), float(z["seconds"])
    torch.set_num_threads(1)
    out: dict[str, list[np.ndarray]] = {}
    t0 = time.perf_counter()
    for g, pairs in groups.items():
        from models_ml.htr.api import BATCH_COST_COLUMNS, forward_arrays
        from models_ml.htr.data import plan_batches

        prepared = rec.prepare([img for img, _ in pairs])
        lps: list[np.ndarray | None] = [None] * len(prepared)
        for idx in plan_batches([p.array.shape[1] for p in prepared], 16, BATCH_COST_COLUMNS["cpu"]):
            for i, lp in zip(idx, forward_arrays(rec.model, [prepared[i].array for i in idx], "cpu"), strict=True):
                lps[i] = lp
        out[g] = lps  # type: ignore[assignment]
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(f, lps=np.array(out, dtype=object), seconds=seconds)
    return out, seconds


def _ensemble(parts: list[dict[str, list[np.ndarray]]]) -> dict[str, list[np.ndarray]]:
    """log(mean_k p_k) per frame; the networks share the architecture, so frame counts agree."""
    out = {}
    for g in parts[0]:
        out[g] = [np.logaddexp.reduce(np.stack([p[g][i] for p in parts]), axis=0) - np.log(len(parts))
                  for i in range(len(parts[0][g]))]
    return out


def _sweep(source: str, args: argparse.Namespace, sets: dict, refs: dict, lms: dict, cache: Path) -> None:
    """Greedy, beam and beam + LM rows of one source (see the module docstring)."""
    from rapidfuzz.distance import Levenshtein

    from models_ml.htr.data import Charset
    from models_ml.htr.decode import beam_decode, greedy
    from models_ml.htr.lm import CharLM
    from models_ml.htr.tune import cross_fit, score_grid
    from models_ml.registry import read_card

    def cer(set_name: str, lps: dict, dec) -> float:  # noqa: ANN001
        e = c = 0
        for g, lines in lps.items():
            for lp, ref in zip(lines, refs[set_name][g], strict=True):
                e += Levenshtein.distance(ref, dec(lp))
                c += len(ref)
        return round(e / max(1, c), 5)

    dirs = source[4:].split("+") if source.startswith("ens:") else [source]
    charset = Charset(read_card(dirs[0])["charset"])
    lps, fwd_s = {}, {}
    for s, groups in sets.items():
        parts = [_log_probs(d, s, groups, cache) for d in dirs]
        lps[s] = parts[0][0] if len(parts) == 1 else _ensemble([p for p, _ in parts])
        fwd_s[s] = sum(sec for _, sec in parts)
    n_lines = {s: sum(len(v) for v in lps[s].values()) for s in sets}
    base = {"source": source, "forward_lines_per_s": {s: round(n_lines[s] / fwd_s[s], 1) for s in sets}}
    if args.greedy:
        print(json.dumps({**base, "decoder": "greedy",
                          **{s: cer(s, lps[s], lambda lp: charset.decode(greedy(lp).labels)) for s in sets}}),
              flush=True)
    for beam in args.beam:
        for lm_path in args.lm or [None]:
            lm = lms.get(lm_path) if lm_path else None
            if lm is None:
                t0 = time.perf_counter()
                row = {s: cer(s, lps[s], lambda lp, b=beam: charset.decode(beam_decode(lp, beam=b).labels))
                       for s in sets}
                print(json.dumps({**base, "decoder": f"beam{beam}", **row,
                                  "decode_lines_per_s": round(sum(n_lines.values()) / (time.perf_counter() - t0), 1)}),
                      flush=True)
                continue

            def dec(lp: np.ndarray, alpha: float, beta: float, b: int = beam, m: CharLM = lm) -> str:
                return charset.decode(beam_decode(lp, beam=b, lm=m, chars=charset.chars, alpha=alpha, beta=beta).labels)

            t0 = time.perf_counter()
            grid = [(a, b) for a in args.alphas for b in args.betas]
            table = score_grid({g: list(zip(lines, refs["val"][g], strict=True)) for g, lines in lps["val"].items()},
                               dec, grid)
            val_s = time.perf_counter() - t0
            report = cross_fit(table, 2)
            if args.tables:  # per will and setting, to cross-fit a choice between sources too (e.g. t of a soup)
                with open(args.tables, "a") as fh:
                    fh.write(json.dumps({"source": source, "beam": beam, "lm": lm_path, "table": [
                        {"alpha": a_, "beta": b_, "wills": {w: [sc.errors, sc.chars] for w, sc in per.items()}}
                        for (a_, b_), per in table.items()]}) + "\n")
            alpha, beta = report["best"]["alpha"], report["best"]["beta"]
            others = {s: cer(s, lps[s], lambda lp, a=alpha, b=beta: dec(lp, a, b)) for s in sets if s != "val"}
            print(json.dumps({**base, "decoder": f"beam{beam}+lm", "lm": lm_path, "lm_order": lm.order,
                              "val_cross_fitted": report["cross_fitted_cer"], "val_best": report["best"],
                              "folds": [(f["alpha"], f["beta"], f["cer_on_fold"]) for f in report["folds"]],
                              "grid": [(c["alpha"], c["beta"], c["cer"]) for c in report["grid"]], **others,
                              "val_decode_lines_per_s": round(n_lines["val"] * len(grid) / val_s, 1)}),
                  flush=True)


def joint_cross_fit(rows: list[dict], n_folds: int = 2) -> dict:
    """Cross-fit a choice of (source, alpha, beta) together, from ``--tables`` rows: each fold of wills is read
    with the source and weights best on the other folds (``tune.folds_of``); the CER is over all folds so read."""
    from models_ml.htr.tune import Scored, folds_of, pooled_cer

    table = {(r["source"], r["beam"], r["lm"], c["alpha"], c["beta"]): {w: Scored(*ec) for w, ec in c["wills"].items()}
             for r in rows for c in r["table"]}
    names = sorted(next(iter(table.values())))
    errors = chars = 0
    chosen = []
    for fold in folds_of(names, n_folds):
        others = [n for n in names if n not in fold]
        best = min(table, key=lambda k: (pooled_cer(table[k], others), k))
        errors += sum(table[best][n].errors for n in fold)
        chars += sum(table[best][n].chars for n in fold)
        chosen.append({"fold": fold, "choice": best, "cer_on_fold": round(pooled_cer(table[best], fold), 5)})
    overall = min(table, key=lambda k: (pooled_cer(table[k], names), k))
    return {"cross_fitted_cer": round(errors / max(1, chars), 5), "folds": chosen,
            "best": {"choice": overall, "cer": round(pooled_cer(table[overall], names), 5)}, "candidates": len(table)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", action="append", default=[], help="model dir, or ens:DIR1+DIR2")
    ap.add_argument("--joint", metavar="TABLES", help="only cross-fit (source, alpha, beta) together over the rows of "
                    "this --tables file whose source is one of --source (all rows if none given), and print it")
    ap.add_argument("--synth", help="folder of synthetic held-out lines")
    ap.add_argument("--digits", help="folder of held-out digit lines")
    ap.add_argument("--cache", default="/tmp/htr-sweep-cache")
    ap.add_argument("--beam", type=int, nargs="*", default=[10], help="beam widths (none given: greedy only)")
    ap.add_argument("--lm", nargs="+", default=[], help="lm.json files (none: greedy and beam without LM only)")
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.6])
    ap.add_argument("--betas", type=float, nargs="+", default=[2.0])
    ap.add_argument("--greedy", action="store_true", help="also greedy on every set")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tables", help="append each beam + LM grid's errors per will to this JSON-lines file")
    args = ap.parse_args()
    if args.joint:
        rows = [json.loads(line) for line in Path(args.joint).read_text().splitlines() if line.strip()]
        rows = [r for r in rows if not args.source or r["source"] in args.source]
        print(json.dumps(joint_cross_fit(rows)))
        return 0
    if not args.source:
        ap.error("give at least one --source")

    import torch

    from models_ml.htr.lm import CharLM

    torch.set_num_threads(args.threads)
    cache = Path(args.cache)
    sets = {"val": _set_lines("val", None)}
    if args.synth:
        sets["synth"] = _set_lines("synth", args.synth)
    if args.digits:
        sets["digits"] = _set_lines("digits", args.digits)
    refs = {s: {g: [t for _, t in pairs] for g, pairs in groups.items()} for s, groups in sets.items()}
    lms = {p: CharLM.load(Path(p)) for p in args.lm}

    for source in args.source:
        _sweep(source, args, sets, refs, lms, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
