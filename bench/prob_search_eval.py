"""Does the probabilistic index find what 1-best search misses? Measured on the validation wills.

For every line of the validation wills (``models_ml.realdata.VALIDATION_WILLS``, never trained
on) the recognizer reads the line crop once, keeping its word alternatives (models_ml/htr/words.py).
Query words are the distinct words of the true text (folded as search folds them: no accents,
no case). A (word, line) pair is *relevant* when the word is in the line's true text.

- 1-best: the line is retrieved when the word is in the machine's best reading (what full-text
  search over machine lines finds).
- index ≥ τ: retrieved by 1-best OR by an alternative of probability ≥ τ (what /api/v1/search/
  finds with ``alternatives=τ``); ``index only`` is the alternatives alone.

Prints a markdown table: found (relevant pairs retrieved), recall, precision, and found / found
by 1-best. Run:  nice -n 15 .venv/bin/python bench/prob_search_eval.py [--model DIR] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models_ml import realdata, registry  # noqa: E402
from models_ml.htr.api import Recognizer  # noqa: E402
from search.text import tokens  # noqa: E402

THRESHOLDS = (0.9, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01)


def _local_lines(path: Path) -> list[tuple[Image.Image, str]]:
    """A minimal ALTO reader and polygon cropper (used until models_ml.htr.groundtruth is on main)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    grey = Image.open(path.with_suffix(".jpg")).convert("L")
    paper = int(np.median(np.asarray(grey)))
    out = []
    for tl in root.iter("{*}TextLine"):
        text = " ".join(" ".join(s.get("CONTENT", "") for s in tl.iter("{*}String")).split())
        poly = next((p.get("POINTS") for p in tl.iter("{*}Polygon")), None)
        if not text or not poly:
            continue
        nums = [float(v) for v in poly.replace(",", " ").split()]
        pts = list(zip(nums[0::2], nums[1::2], strict=True))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = (max(0, int(min(xs)) - 4), max(0, int(min(ys)) - 4), min(grey.width, int(max(xs)) + 4),
               min(grey.height, int(max(ys)) + 4))
        crop = grey.crop(box)
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).polygon([(x - box[0], y - box[1]) for x, y in pts], fill=255)
        out.append((Image.composite(crop, Image.new("L", crop.size, paper), mask), text))
    return out


def validation_lines() -> tuple[list[tuple[Image.Image, str]], str]:
    files = realdata.ground_truth_files("val")
    try:
        from models_ml.htr.groundtruth import page_lines, read_ground_truth
    except ImportError:
        return [ln for f in files for ln in _local_lines(f)], "local polygon crop (bench/prob_search_eval.py)"
    lines = []
    for f in files:
        lines += [(img, gt.text) for img, gt in page_lines(read_ground_truth(f)) if gt.text]
    return lines, "models_ml.htr.groundtruth.page_lines"


def line_alternatives(words: list[dict]) -> dict[str, float]:
    """token → its best probability at any word position of the line (spellings sharing a token add up)."""
    best: dict[str, float] = {}
    for slot in words:
        per_slot: dict[str, float] = {}
        for spelling, p in slot["alternatives"]:
            for tok in set(tokens(spelling)):
                per_slot[tok] = per_slot.get(tok, 0.0) + p
        for tok, p in per_slot.items():
            best[tok] = max(best.get(tok, 0.0), min(1.0, p))
    return best


def evaluate(truths: list[set[str]], onebest: list[set[str]], alts: list[dict[str, float]],
             min_len: int = 1) -> list[dict]:
    """Rows of the table: found, recall, precision per method."""
    queries = {w for t in truths for w in t if len(w) >= min_len}
    relevant = {(w, i) for i, t in enumerate(truths) for w in t if w in queries}
    base = {(w, i) for i, b in enumerate(onebest) for w in b if w in queries}

    def row(name: str, threshold: float | None, retrieved: set) -> dict:
        found = len(retrieved & relevant)
        return {"method": name, "threshold": threshold, "found": found, "retrieved": len(retrieved),
                "recall": found / max(1, len(relevant)), "precision": found / max(1, len(retrieved)),
                "words_found": len({w for w, _ in retrieved & relevant})}

    rows = [row("1-best", None, base)]
    for tau in THRESHOLDS:
        alt = {(w, i) for i, a in enumerate(alts) for w, p in a.items() if p >= tau and w in queries}
        rows.append(row("index", tau, base | alt))
        rows.append(row("index only", tau, alt))
    one = max(1, rows[0]["found"])
    for r in rows:
        r["ratio"] = r["found"] / one
    return rows, len(queries), len(relevant)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped htr-default)")
    ap.add_argument("--min-len", type=int, default=1, help="shortest query word (characters)")
    ap.add_argument("--limit", type=int, default=0, help="read only the first N lines (a quick look)")
    ap.add_argument("--json", default=None, help="also write the rows here")
    ap.add_argument("--k", type=int, default=None, help="spellings kept per word position (default: words.py's)")
    ap.add_argument("--beam", type=int, default=None, help="beam per word position (default: words.py's)")
    ap.add_argument("--min-prob", type=float, default=None, help="smallest probability kept (default: words.py's)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    model_dir = Path(args.model) if args.model else registry.default_model_dir()
    rec = Recognizer(model_dir, "cpu")
    rec.word_options = {k: v for k, v in (("k", args.k), ("beam", args.beam), ("min_prob", args.min_prob)) if v is not None}
    t0 = time.perf_counter()
    lines, cropper = validation_lines()
    if args.limit:
        lines = lines[: args.limit]
    readings = rec.recognize([img for img, _ in lines], alternatives=True, batch_size=8)
    seconds = time.perf_counter() - t0
    truths = [set(tokens(text)) for _, text in lines]
    onebest = [set(tokens(r.text)) for r in readings]
    alts = [line_alternatives(r.words) for r in readings]
    card = rec.card
    print(f"model: {card.get('name')} {card.get('version')} (sha256 {str(card.get('sha256', ''))[:12]}), "
          f"greedy 1-best; word alternatives {rec.word_options or 'words.py defaults'}; {len(lines)} lines of {len(realdata.VALIDATION_WILLS)} validation wills; crops: {cropper}; "
          f"{seconds:.0f} s on CPU")
    all_rows = {}
    for min_len in sorted({1, args.min_len, 4}):
        rows, nq, nrel = evaluate(truths, onebest, alts, min_len)
        all_rows[min_len] = rows
        print(f"\nquery words of ≥ {min_len} characters: {nq} distinct words, {nrel} relevant (word, line) pairs\n")
        print("| search | threshold | found | recall | precision | found ÷ 1-best | distinct words found |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            tau = "" if r["threshold"] is None else f"{r['threshold']:.2f}"
            print(f"| {r['method']} | {tau} | {r['found']} | {r['recall']:.3f} | {r['precision']:.3f} | "
                  f"{r['ratio']:.2f}× | {r['words_found']} |")
        ok = [r for r in rows if r["precision"] >= 0.8 and r["method"] == "index"]
        best = max(ok, key=lambda r: r["found"], default=None)
        if best:
            print(f"\nbest at precision ≥ 0.8: index ≥ {best['threshold']} finds {best['ratio']:.2f}× what 1-best finds")
        else:
            print("\nno threshold keeps precision ≥ 0.8")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": {k: card.get(k) for k in ("name", "version", "sha256")},
                                               "lines": len(lines), "rows": all_rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
