"""Benchmark: comparing two layers of N lines (default 10,000). Prints figures; asserts nothing.

1. the pure core (``inscription.annotations.alignment.compare_pairs``) on N synthetic
   line pairs (reference text with ~4% character noise as the hypothesis);
2. the full service path (``request_comparison``: resolve both layers, align, write N
   ComparisonLine rows and the totals) in a throwaway SQLite database (migrated from
   scratch in a temporary folder, deleted afterwards), plus the cached re-request and
   reading the worst 50 lines sorted by CER.

    .venv/bin/python bench/compare_bench.py [--lines 10000] [--repeat 3] [--core-only]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = ("the letters arrived on tuesday and were read aloud in the kitchen by my grandmother who kept them "
         "in a tin box under the stairs for forty years café naïve Straße").split()


def synthetic_pairs(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzé "
    pairs = []
    for i in range(n):
        ref = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        hyp = []
        for ch in ref:
            roll = rng.random()
            if roll < 0.02:
                hyp.append(rng.choice(alphabet))  # substitution
            elif roll < 0.03:
                continue  # deletion
            elif roll < 0.04:
                hyp.extend([ch, rng.choice(alphabet)])  # insertion
            else:
                hyp.append(ch)
        pairs.append((f"line:{i}", ref, "".join(hyp)))
    return pairs


def bench_core(n: int, repeat: int) -> None:
    from inscription.annotations.alignment import compare_pairs

    pairs = synthetic_pairs(n)
    chars = sum(len(r) for _, r, _ in pairs)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        lines, totals = compare_pairs(pairs)
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"core: {n} line pairs, {chars} reference chars, repeat {repeat}")
    print(f"  best {best:.3f} s  median {median:.3f} s  ->  {n / best:,.0f} lines/s, {chars / best / 1e6:.2f} M chars/s")
    print(f"  CER {totals.cer:.4f}  WER {totals.wer:.4f}  ops {totals.op_counts()}  confusion pairs {len(totals.confusion)}")


def bench_service(n: int) -> None:
    tmp = tempfile.mkdtemp(prefix="compare_bench_")
    os.environ["PALIMPSEST_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("PALIMPSEST_DB_NAME", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palimpsest.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from archive.models import Collection, Document, ImageBlob, Line, Page
    from inscription.models import Inscription, Layer, LayerKind
    from inscription.services.compare import request_comparison
    from jobs.models import ModelVersion

    assert str(settings.DATABASES["default"]["NAME"]).startswith(tmp), "refusing to run outside the throwaway database"
    settings.PALIMPSEST_COMPARE_SYNC_LINES = n + 1  # time the synchronous path here; the job runs the same compute()
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=None)
    collection = Collection.objects.create(slug="bench", title="Bench", owner=user)
    document = Document.objects.create(collection=collection, title="Bench document")
    blob = ImageBlob.objects.create(sha256="0" * 64, file="blobs/none.png", mime_type="image/png", size=1, width=1000, height=100_000)
    pairs = synthetic_pairs(n)
    per_page = 50
    with transaction.atomic():
        pages = Page.objects.bulk_create([Page(document=document, order=p, image=blob, width=1000, height=2000)
                                          for p in range(-(-n // per_page))])
        lines = Line.objects.bulk_create([Line(page=pages[i // per_page], order=i % per_page, polygon=[[0, 0], [1, 0], [1, 1]])
                                          for i in range(n)])
        model = ModelVersion.objects.create(name="bench", version="1", task="htr", path="", sha256="f" * 64, created_at=timezone.now())
        gt = Layer.objects.create(document=document, name="ground truth", kind=LayerKind.GROUND_TRUTH)
        machine = Layer.objects.create(document=document, name="bench 1", kind=LayerKind.MACHINE, model_version=model)
        rows = []
        for line, (_, ref, hyp) in zip(lines, pairs, strict=True):
            rows.append(Inscription(layer=gt, document=document, page=line.page, line=line, target_key=f"line:{line.pk}", text=ref,
                                    created_by=user))
            rows.append(Inscription(layer=machine, document=document, page=line.page, line=line, target_key=f"line:{line.pk}",
                                    text=hyp, model_version=model))
        Inscription.objects.bulk_create(rows, batch_size=2000)
    print(f"service: throwaway SQLite at {tmp} ({connection.vendor}); setup {time.perf_counter() - start:.1f} s "
          f"({n} lines, {len(rows)} inscriptions)")
    start = time.perf_counter()
    comparison, created = request_comparison(user, {"layer": gt.pk}, {"layer": machine.pk})
    elapsed = time.perf_counter() - start
    print(f"  request_comparison (resolve + align + write {comparison.lines.count()} rows): {elapsed:.3f} s -> {n / elapsed:,.0f} lines/s")
    print(f"  CER {comparison.cer:.4f}  WER {comparison.wer:.4f}  created={created}")
    start = time.perf_counter()
    again, created = request_comparison(user, {"layer": gt.pk}, {"layer": machine.pk})
    print(f"  cached re-request: {time.perf_counter() - start:.3f} s (same id: {again.pk == comparison.pk}, created={created})")
    from django.db.models import F

    start = time.perf_counter()
    worst = list(comparison.lines.select_related("left", "right").order_by(F("cer").desc(nulls_first=True), "order")[:50])
    print(f"  worst 50 lines by CER: {time.perf_counter() - start:.3f} s (top CER {worst[0].cer:.3f})")
    import shutil

    connection.close()
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--core-only", action="store_true")
    args = parser.parse_args()
    import os as _os

    print(f"machine: {_os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in _os.getloadavg())}")
    bench_core(args.lines, args.repeat)
    if not args.core_only:
        bench_service(args.lines)


if __name__ == "__main__":
    main()
