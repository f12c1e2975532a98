"""Summariser speed (ms per 2,000-word document, 1 thread and all threads) and, when the
ACLSum data is present, the ROUGE table of ``python -m models_ml summarise-eval``.

    python bench/summarise_bench.py [--model DIR] [--docs N] [--no-rouge]

Timed: the full ``Summariser.summarise`` call (split, tokenise, encode, score,
select) on real ACLSum paper bodies cut to 2,000 words when available, else on
a synthetic 2,000-word text. The target is ≤ 50 ms/document on CPU.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models_ml.summarise.data import DEFAULT_ACLSUM  # noqa: E402

WORDS = 2000


def documents(n: int) -> tuple[list[str], str]:
    if (DEFAULT_ACLSUM / "val.jsonl").is_file():
        from models_ml.summarise.data import load_aclsum

        docs = []
        for paper in load_aclsum("val")[:n]:
            words = " ".join(paper.sentences).split()
            docs.append(" ".join(words[:WORDS]))
        return docs, f"{len(docs)} ACLSum val paper bodies cut to {WORDS} words"
    import random

    rng = random.Random(0)
    vocab = "the council bridge mayor letter river market cost toll vote farmer town year debate".split()
    docs = []
    for _ in range(n):
        sents = [" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 30))).capitalize() + "." for _ in range(120)]
        docs.append(" ".join(" ".join(sents).split()[:WORDS]))
    return docs, f"{n} synthetic {WORDS}-word texts"


def time_per_doc(summariser, docs: list[str], threads: int, repeats: int = 3) -> float:
    import torch

    torch.set_num_threads(threads)
    summariser.summarise(docs[0])  # warm-up
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for d in docs:
            summariser.summarise(d, sentences=3)
        runs.append((time.perf_counter() - t0) * 1000 / len(docs))
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--no-rouge", action="store_true")
    parser.add_argument("--threads", default="1,all", help="comma list of thread counts; 'all' = os.cpu_count()")
    args = parser.parse_args()

    import torch

    from models_ml.summarise.api import load_summariser

    summariser = load_summariser(args.model)
    docs, what = documents(args.docs)
    all_threads = os.cpu_count() or 1
    print(f"speed on {what}; torch {torch.__version__}; load average {os.getloadavg()[0]:.1f} on {all_threads} CPUs")
    counts = sorted({all_threads if t.strip() == "all" else int(t) for t in args.threads.split(",") if t.strip()})
    for threads in counts:
        print(f"  {threads} thread(s): {time_per_doc(summariser, docs, threads):7.1f} ms/document")
    if not args.no_rouge and (DEFAULT_ACLSUM / "test.jsonl").is_file():
        from models_ml.summarise.evaluate import BUDGET_WORDS, compare, format_table

        torch.set_num_threads(1)
        rows = compare("test", args.model)
        print(format_table(rows, "test", 100, BUDGET_WORDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
