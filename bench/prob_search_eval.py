"""Does the probabilistic index find what 1-best search misses? Measured on the validation wills.

For every line of the validation wills (``models_ml.realdata.VALIDATION_WILLS``, never trained
on) the recognizer reads the line crop once and builds the line's probabilistic index
(``Recognizer.word_alternatives``: keyword-spotting probabilities averaged with the LM beam search's
N-best word shares, models_ml/htr/kws.py; ``--index-lm-beam 0`` spotting alone; or with ``--index slots``
the older per-position spellings of models_ml/htr/words.py). Query words are
the distinct words of the true text, folded as search folds them. A (word, line) pair is
*relevant* when the word is in the line's true text.

- 1-best: the line is retrieved when the word is in the machine's greedy reading (`--one-best card`: the reading of
  the card's default decoder, beam+LM for the shipped model, which a transcribe job writes when told no decoder).
- index, search's rule: 1-best OR an index entry with probability ≥ ``threshold_for(word, τ)``
  (τ, but never below ``search.query.ALTERNATIVE_FLOOR`` for words of 1-5 letters): what
  GET /api/v1/search/?alternatives=τ finds. The server default is τ = 0.0002.
- index, one threshold: the same with τ for every word, whatever its length (for comparison).
- cross-validated: the per-length floors tuned on half of the wills (each length's floor as low as
  keeps that length's extra pairs at precision ≥ 0.8), measured on the other half, and back.

Prints markdown tables for all query words, words of ≥ 3 letters and words of ≥ 4 letters, and
the CPU cost per line of building the index. Run (takes the model directory, default the shipped
htr-default):
  nice -n 15 .venv/bin/python bench/prob_search_eval.py [--model DIR] [--index spot|slots] [--json out.json]

Offline studies (bench/prob_search_offline.py; measured, not built): ``--breakdown`` (where the missed
pairs are), ``--rescore all lev1 lev2`` (query-time scoring of each query word on all lines, or on the
lines whose index holds a word within 1 or 2 edits of it), ``--topk K`` (those posteriors kept as the
top K folded columns per frame, float16), and ``--lowo-target P`` (also cross-validate leaving one will
out, floors chosen for overall precision ≥ P). ``--lm-nbest K [K ...]`` (prob_search_lm.py): word
probabilities from the K final beams of an LM beam search, alone or combined with the index
(``--lm-scale``, ``--lm-combine``), and what the beam+LM 1-best alone finds. ``--cache FILE`` keeps the
recognizer's output (and the beams), so a rerun of the studies does not read the lines again.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import prob_search_lm as lmstudy  # noqa: E402
import prob_search_offline as offline  # noqa: E402

from models_ml import realdata, registry  # noqa: E402
from models_ml.htr.api import Recognizer  # noqa: E402
from models_ml.htr.kws import FoldedCharset, nbest_word_posteriors, spot  # noqa: E402
from search.query import ALTERNATIVE_FLOOR, threshold_for  # noqa: E402
from search.text import tokens  # noqa: E402

SEARCH_TAUS = (0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0002)
GLOBAL_TAUS = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01)
GRID = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002)
TARGET = 0.8


def validation_lines() -> list[tuple[object, str, str]]:
    """(line crop, true text, will) for every transcribed line of the validation wills."""
    from models_ml.htr.groundtruth import page_lines, read_ground_truth

    out = []
    for f in realdata.ground_truth_files("val"):
        out += [(img, gt.text, realdata.will_of(f)) for img, gt in page_lines(read_ground_truth(f)) if gt.text]
    return out


def line_alternatives(words: list[dict]) -> dict[str, float]:
    """token → its best probability at any index entry of the line (spellings sharing a token add up)."""
    best: dict[str, float] = {}
    for slot in words:
        per_slot: dict[str, float] = {}
        for spelling, p in slot["alternatives"]:
            for tok in set(tokens(spelling)):
                per_slot[tok] = per_slot.get(tok, 0.0) + p
        for tok, p in per_slot.items():
            best[tok] = max(best.get(tok, 0.0), min(1.0, p))
    return best


class Evaluation:
    """Relevant, 1-best and index pairs of some lines, for one set of query words."""

    def __init__(self, truths: list[set[str]], onebest: list[set[str]], alts: list[dict[str, float]],
                 lines: list[int], min_len: int = 1) -> None:
        self.queries = {w for i in lines for w in truths[i] if len(w) >= min_len}
        self.relevant = {(w, i) for i in lines for w in truths[i] if w in self.queries}
        self.base = {(w, i) for i in lines for w in onebest[i] if w in self.queries}
        self.scored = [(w, i, p) for i in lines for w, p in alts[i].items() if w in self.queries]
        self.base_found = len(self.base & self.relevant)

    def row(self, name: str, threshold: float | None, need) -> dict:  # noqa: ANN001 - word → probability needed
        retrieved = self.base | {(w, i) for w, i, p in self.scored if p >= need(w)}
        found = len(retrieved & self.relevant)
        return {"method": name, "threshold": threshold, "found": found, "retrieved": len(retrieved),
                "recall": found / max(1, len(self.relevant)), "precision": found / max(1, len(retrieved)),
                "ratio": found / max(1, self.base_found)}

    def rows(self) -> list[dict]:
        out = [self.row("1-best", None, lambda w: 2.0)]
        out += [self.row("index, search's rule", t, lambda w, t=t: threshold_for(w, t)) for t in SEARCH_TAUS]
        out += [self.row("index, one threshold", t, lambda w, t=t: t) for t in GLOBAL_TAUS]
        return out

    def tuned_floors(self) -> dict[int, float]:
        """Per length (7 = 7 and more): the lowest floor at which the extra pairs keep precision ≥ TARGET."""
        floors = {}
        for n in range(1, 8):
            extra = [((w, i) in self.relevant, p) for w, i, p in self.scored
                     if min(len(w), 7) == n and (w, i) not in self.base]
            floors[n] = 2.0
            for x in GRID:
                kept = [r for r, p in extra if p >= x]
                if kept and sum(kept) / len(kept) >= TARGET:
                    floors[n] = x
        return floors


def cross_validated(truths, onebest, alts, wills, min_len: int) -> dict:  # noqa: ANN001
    """Floors tuned on every other will, measured on the rest, and back; pooled."""
    names = sorted(set(wills))
    halves = [[i for i, w in enumerate(wills) if names.index(w) % 2 == k] for k in (0, 1)]
    found = retrieved = base = 0
    floors = []
    for train, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        tuned = Evaluation(truths, onebest, alts, train, min_len).tuned_floors()
        floors.append(tuned)
        ev = Evaluation(truths, onebest, alts, test, min_len)
        r = ev.row("cv", None, lambda w, t=tuned: t[min(len(w), 7)])
        found, retrieved, base = found + r["found"], retrieved + r["retrieved"], base + ev.base_found
    return {"found": found, "precision": found / max(1, retrieved), "ratio": found / max(1, base), "floors": floors}


def print_table(rows: list[dict]) -> None:
    print("| search | threshold | found | recall | precision | found ÷ 1-best |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        tau = "" if r["threshold"] is None else f"{r['threshold']:g}"
        print(f"| {r['method']} | {tau} | {r['found']} | {r['recall']:.3f} | {r['precision']:.3f} | {r['ratio']:.2f}× |")


def read_lines(args: argparse.Namespace) -> dict:
    """Read the validation lines once (or take them from ``--cache``): texts, 1-best, index, log-posteriors."""
    import pickle

    if args.cache and Path(args.cache).exists():
        return pickle.loads(Path(args.cache).read_bytes())  # noqa: S301 - a file this script wrote
    import torch

    from models_ml.htr.api import BATCH_COST_COLUMNS, forward_arrays
    from models_ml.htr.data import plan_batches

    torch.set_num_threads(1)
    model_dir = Path(args.model) if args.model else registry.default_model_dir()
    rec = Recognizer(model_dir, "cpu")
    rec.index_mode = args.index
    if args.index_lm_beam is not None:
        rec.index_lm_beam = args.index_lm_beam
    rec.word_options = {k: v for k, v in (("k", args.slot_k), ("beam", args.slot_beam)) if v is not None}
    lines = validation_lines()
    if args.limit:
        lines = lines[: args.limit]
    images = [img for img, _, _ in lines]
    t0 = time.process_time()
    plain = rec.recognize(images, alternatives=False, batch_size=8)
    t1 = time.process_time()
    readings = rec.recognize(images, alternatives=True, batch_size=8)
    t2 = time.process_time()
    log_probs: list = [None] * len(lines)  # batched as recognize() batches them (padding changes a few frames)
    prepared = rec.prepare(images)
    for idx in plan_batches([p.array.shape[1] for p in prepared], 8, BATCH_COST_COLUMNS["cpu"]):
        for i, lp in zip(idx, forward_arrays(rec.model, [prepared[i].array for i in idx], "cpu"), strict=True):
            log_probs[i] = lp.astype("float32")
    data = {"model_dir": str(model_dir), "card": {k: rec.card.get(k) for k in ("name", "version", "sha256")},
            "index": args.index, "index_lm_beam": rec.index_lm_beam if rec.lm is not None else 0,
            "word_options": rec.word_options, "lexicon": len(rec.lexicon),
            "chars": rec.charset.chars, "texts": [t for _, t, _ in lines], "wills": [w for _, _, w in lines],
            "plain": [r.text for r in plain], "words": [r.words for r in readings], "log_probs": log_probs,
            "ms": ((t1 - t0) / len(lines) * 1000, (t2 - t1 - (t1 - t0)) / len(lines) * 1000),
            "entries": sum(len(r.words) for r in readings) / len(readings)}
    if args.cache:
        Path(args.cache).write_bytes(pickle.dumps(data))
    return data


def card_readings(args: argparse.Namespace, data: dict) -> None:
    """The lines read with the card's default decoder (``data["plain_card"]``), added to the cache once."""
    import pickle

    if "plain_card" in data:
        return
    import torch

    torch.set_num_threads(1)
    rec = Recognizer(Path(data["model_dir"]), "cpu")
    default = (rec.card.get("decoding") or {}).get("default", "greedy")
    images = [img for img, _, _ in validation_lines()[: len(data["texts"])]]
    t0 = time.process_time()
    data["plain_card"] = [r.text for r in rec.recognize(images, decoder="beam" if default.startswith("beam") else "greedy",
                                                        lm=default == "beam+lm", alternatives=False, batch_size=8)]
    data["card_decoder"] = default
    data["ms_card"] = (time.process_time() - t0) / len(images) * 1000
    if args.cache:
        Path(args.cache).write_bytes(pickle.dumps(data))


def studies(args: argparse.Namespace, data: dict, truths, onebest, alts, wills) -> dict:  # noqa: ANN001
    """The offline studies (prob_search_offline.py) asked for; prints their tables, returns their figures."""
    charset = FoldedCharset.of(data["chars"])
    folded = [charset.fold(lp) for lp in data["log_probs"]]
    if args.topk:
        folded = [offline.compact(f, args.topk) for f in folded]

    def score(i: int, words: list[str]) -> dict[str, float]:
        return {h.word: h.probability for h in spot(folded[i], words, charset, 1e-7)}

    queries = sorted({w for t in truths for w in t})
    out: dict = {}
    n = len(truths)
    if args.breakdown:
        full = [score(i, queries) for i in range(n)]
        rows = offline.breakdown(truths, onebest, alts, full, lambda w: threshold_for(w, 0.0002))
        print("\nwhere the pairs are (search's rule at τ = 0.0002; 'spotted': keyword spotting of the missed pairs)\n")
        print("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
        for r in rows:
            print("| " + " | ".join(str(v) for v in r.values()) + " |")
        out["breakdown"] = rows
    if args.rescore:
        print(f"\nquery-time scoring of words ≥ {args.rescore_min_len} letters"
              f"{f', posteriors as top-{args.topk} float16' if args.topk else ''} (all query words)\n")
        print("| scored on | lines sent per query word | search's rule τ=0.0002 | halves CV | leave-one-will-out CV |")
        print("|---|---|---|---|---|")
        for name in ("index only", *args.rescore):
            scores, share = (alts, 0.0) if name == "index only" else \
                offline.rescored(queries, alts, onebest, score, name, args.rescore_min_len)
            out[f"rescore {name}"] = dict(judged(args, truths, onebest, scores, wills, f"| {name} | {share:.2%} "),
                                          share=share)
    if args.lm_nbest:
        out.update(lm_study(args, data, truths, onebest, alts, wills))
    return out


def judged(args: argparse.Namespace, truths, onebest, scores, wills, head: str) -> dict:  # noqa: ANN001
    """Search's rule at τ = 0.0002, halves CV and leave-one-will-out CV of some scores; prints the row's rest."""
    target = args.lowo_target or 0.81
    rule = Evaluation(truths, onebest, scores, list(range(len(truths)))).row("rule", 0.0002,
                                                                             lambda w: threshold_for(w, 0.0002))
    cv = cross_validated(truths, onebest, scores, wills, 1)
    lowo = offline.cross_validated_lowo(truths, onebest, scores, wills, target)
    print(f"{head}| {rule['found']}: {rule['ratio']:.3f}× at {rule['precision']:.3f} | {cv['found']}: {cv['ratio']:.3f}× "
          f"at {cv['precision']:.3f} | {lowo['found']}: {lowo['ratio']:.3f}× at {lowo['precision']:.3f} |", flush=True)
    return {"rule": rule, "halves": cv, "lowo": lowo}


def lm_study(args: argparse.Namespace, data: dict, truths, onebest, alts, wills) -> dict:  # noqa: ANN001
    """--lm-nbest: word probabilities from the LM beam search's N-best (prob_search_lm.py), alone or with the index."""
    out: dict = {}
    n = len(truths)
    for k in args.lm_nbest:
        nb = lmstudy.nbest_readings(data, k, args.cache)
        first = lmstudy.first_readings(nb["hyps"])
        greedy_row = Evaluation(truths, onebest, [{}] * n, list(range(n))).row("greedy 1-best", None, lambda w: 2.0)
        beam_row = Evaluation(truths, first, [{}] * n, list(range(n))).row("beam+LM 1-best", None, lambda w: 2.0)
        union = Evaluation(truths, [a | b for a, b in zip(onebest, first, strict=True)], [{}] * n, list(range(n)))
        union_row = union.row("greedy ∪ beam+LM 1-best", None, lambda w: 2.0)
        print(f"\nLM beam search, beam {k} (alpha {nb['alpha']}, beta {nb['beta']}): {nb['ms']:.0f} ms CPU per line; "
              f"{sum(map(len, nb['hyps'])) / max(1, n):.1f} hypotheses per line\n")
        print("| reading | found | retrieved | precision | found ÷ greedy 1-best |\n|---|---|---|---|---|")
        for r in (greedy_row, beam_row, union_row):
            print(f"| {r['method']} | {r['found']} | {r['retrieved']} | {r['precision']:.3f} | "
                  f"{r['found'] / max(1, greedy_row['found']):.3f}× |")
        print(f"\nLM N-best word probabilities (beam {k}), baseline greedy 1-best (all query words; 'found: ratio at "
              f"precision'; leave-one-will-out target {args.lowo_target or 0.81})\n")
        print("| scale | combined with the index | search's rule τ=0.0002 | halves CV | leave-one-will-out CV |")
        print("|---|---|---|---|---|")
        for scale in args.lm_scale:
            posts = [nbest_word_posteriors(h, scale) for h in nb["hyps"]]
            for how in args.lm_combine:
                scores = [lmstudy.combine(alts[i], posts[i], how) for i in range(n)]
                out[f"lm k={k} scale={scale} {how}"] = judged(args, truths, onebest, scores, wills, f"| {scale:g} | {how} ")
        out[f"lm k={k} readings"] = {"greedy": greedy_row, "beam": beam_row, "union": union_row, "ms": nb["ms"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped htr-default)")
    ap.add_argument("--index", choices=("spot", "slots"), default="spot",
                    help="spot: keyword-spotting probabilities of many candidate words (default); slots: words.py only")
    ap.add_argument("--index-lm-beam", type=int, default=None,
                    help="beams of the LM beam search the index weighs in (default the recognizer's, "
                         "kws.LM_INDEX_BEAM; 0: spotting alone, the index before the LM)")
    ap.add_argument("--slot-k", type=int, default=None, help="spellings kept per word position (words.py; default its own)")
    ap.add_argument("--slot-beam", type=int, default=None, help="beam per word position (words.py; default its own)")
    ap.add_argument("--limit", type=int, default=0, help="read only the first N lines (a quick look)")
    ap.add_argument("--json", default=None, help="also write the rows here")
    ap.add_argument("--cache", default=None, help="keep the recognizer's output here (pickle; reused when it exists)")
    ap.add_argument("--breakdown", action="store_true", help="where the missed pairs are, by word length")
    ap.add_argument("--rescore", nargs="*", choices=("all", "lev1", "lev2"), default=(),
                    help="study query-time scoring of words ≥ --rescore-min-len letters: on all lines, or lines whose "
                         "index or 1-best holds a word within 1 / 2 edits")
    ap.add_argument("--rescore-min-len", type=int, default=5)
    ap.add_argument("--topk", type=int, default=0, help="with --rescore: posteriors kept as top-K folded columns, float16")
    ap.add_argument("--lm-nbest", type=int, nargs="*", default=(),
                    help="study word probabilities from the K final beams of an LM beam search (prob_search_lm.py)")
    ap.add_argument("--lm-scale", type=float, nargs="*", default=(1.0,), help="with --lm-nbest: softmax scales")
    ap.add_argument("--lm-combine", nargs="*", choices=lmstudy.COMBINATIONS, default=lmstudy.COMBINATIONS,
                    help="with --lm-nbest: the beams' probability alone (lm) or combined with the index's")
    ap.add_argument("--lowo-target", type=float, default=None,
                    help="also cross-validate leaving one will out, floors tuned for overall precision ≥ this")
    ap.add_argument("--one-best", choices=("greedy", "card"), default="greedy",
                    help="the reading 1-best search looks in: greedy, or the card's default decoder (beam+LM for "
                         "the shipped model), which is what a transcribe job that names no decoder writes")
    args = ap.parse_args(argv)
    data = read_lines(args)
    if args.one_best == "card":
        card_readings(args, data)
    truths = [set(tokens(text)) for text in data["texts"]]
    onebest = [set(tokens(text)) for text in data["plain" if args.one_best == "greedy" else "plain_card"]]
    alts = [line_alternatives(words) for words in data["words"]]
    wills, card, n = data["wills"], data["card"], len(data["texts"])
    print(f"model: {card.get('name')} {card.get('version')} (sha256 {str(card.get('sha256', ''))[:12]}) from "
          f"{data['model_dir']}; 1-best: {data.get('card_decoder', 'greedy') if args.one_best == 'card' else 'greedy'}"
          f" ({data.get('ms_card', 0):.0f} ms a line); index: {data['index']} {data['word_options'] or ''}"
          f"(LM beams: {data.get('index_lm_beam', 0)}); {n} lines of {len(set(wills))} validation wills; lexicon "
          f"{data['lexicon']} words")
    print(f"CPU per line (1 thread): reading {data['ms'][0]:.0f} ms, building the index {data['ms'][1]:.0f} ms more; "
          f"{data['entries']:.0f} index entries per line")
    print(f"search's floors by word length: {ALTERNATIVE_FLOOR} (6 letters and more: none)")
    per_line_read, per_line_index = data["ms"][0] / 1000, data["ms"][1] / 1000
    out = {"model": {k: card.get(k) for k in ("name", "version", "sha256")}, "index": data["index"], "lines": n,
           "ms_per_line": {"read": per_line_read * 1000, "index": per_line_index * 1000}, "sets": {}}
    for min_len in (1, 3, 4):
        ev = Evaluation(truths, onebest, alts, list(range(n)), min_len)
        rows = ev.rows()
        cv = cross_validated(truths, onebest, alts, wills, min_len)
        print(f"\nquery words of ≥ {min_len} letters: {len(ev.queries)} distinct words, {len(ev.relevant)} relevant "
              f"(word, line) pairs\n")
        print_table(rows)
        ok = [r for r in rows if r["precision"] >= TARGET and r["method"] != "1-best"]
        best = max(ok, key=lambda r: r["found"], default=None)
        if best:
            print(f"\nmost found at precision ≥ {TARGET}: {best['method']} τ = {best['threshold']:g}: "
                  f"{best['ratio']:.2f}× 1-best (precision {best['precision']:.3f})")
        print(f"cross-validated by will (floors tuned on half the wills, measured on the other half): "
              f"{cv['ratio']:.2f}× 1-best at precision {cv['precision']:.3f}; floors {cv['floors']}")
        out["sets"][min_len] = {"rows": rows, "cross_validated": cv}
        if args.lowo_target is not None:
            lowo = offline.cross_validated_lowo(truths, onebest, alts, wills, args.lowo_target, min_len)
            print(f"leave one will out (floors for overall precision ≥ {args.lowo_target} on the 14 others, all "
                  f"query words): {lowo['ratio']:.2f}× 1-best at precision {lowo['precision']:.3f}; floors on all "
                  f"wills {lowo['floors_all_wills']}")
            out["sets"][min_len]["lowo"] = lowo
    if args.breakdown or args.rescore or args.lm_nbest:
        out["studies"] = studies(args, data, truths, onebest, alts, wills)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
