"""Search latency on PostgreSQL at archive scale: 1,000,000 indexed lines, p50/p95 per query type.

Loads (once; reused on later runs unless --reload) N line entries into the search index with
COPY, the index's own trigger computing each tsvector, spread over 10 collections of which the
benchmark user may read 5 (so permission scoping is part of every query). Line texts are
consecutive words of the repository's texts (data/texts) with ~10% of words misspelt as a
recognizer would, and with word alternatives for each line (the probabilistic index). Then runs
the search service (the same call as GET /api/v1/search/, without HTTP) for single words,
phrases, prefixes, fuzzy words and probabilistic words, and prints p50/p95/max per type, of the
whole call, of the time spent waiting on the database, and of the server's own execution time of
the matching statements (EXPLAIN ANALYZE: a fuzzy word's vocabulary look-up, the capped match
list, the ranked page). Then the same queries end to end through GET /api/v1/search/. On a busy box
the first two are dominated by scheduling (the script prints what a bare SELECT 1 costs); the
third is the figure that speaks for the index.

Entries only: the lines, pages and inscriptions they point to are not created (a hit page's
look-ups by primary key are cheap beside matching and ranking).

Run (PostgreSQL only):
  DATABASE_URL=postgres://palimpsest:palimpsest@127.0.0.1:5432/palimpsest_search \\
    nice -n 15 .venv/bin/python bench/search_bench.py [--lines 1000000] [--queries 100] [--reload] [--drop]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palimpsest.settings")

SLUG = "bench-search-"
COLLECTIONS = 10
READABLE = 5
LINES_PER_DOCUMENT = 1000


def corpus_words() -> list[str]:
    words: list[str] = []
    for path in sorted((REPO / "data" / "texts").rglob("*.txt")):
        words += re.findall(r"[A-Za-zÀ-ÿ'’,.;:]+", path.read_text(encoding="utf-8", errors="ignore"))
    words = [w.replace("\\", "") for w in words]
    return words


def misspell(word: str, rng: random.Random) -> str:
    """A recognizer-like slip: one letter swapped for a look-alike."""
    pairs = {"a": "o", "o": "a", "e": "c", "c": "e", "n": "u", "u": "n", "m": "w", "i": "l", "l": "i", "t": "f", "r": "v"}
    spots = [i for i, ch in enumerate(word) if ch in pairs]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + pairs[word[i]] + word[i + 1:]


def _copy(cursor, table: str, columns: list[str], rows: io.StringIO) -> None:
    rows.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


def load(n_lines: int, seed: int) -> dict:
    """The bench collections, documents and N line entries (+ word alternatives), by COPY in batches."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from archive.models import Collection, Document, Membership, Role
    from search.models import SearchEntry, WordAlternative
    from search.text import fold, tokens

    rng = random.Random(seed)
    words = corpus_words()
    folded = {w: fold(w) for w in set(words)}  # fold once per distinct word, not per line
    first_token = {w: (tokens(w) or [""])[0] for w in set(words)}
    owner, _ = User.objects.get_or_create(username="bench-search-owner")
    reader, _ = User.objects.get_or_create(username="bench-search-reader")
    colls = []
    for c in range(COLLECTIONS):
        coll, _ = Collection.objects.get_or_create(slug=f"{SLUG}{c}", defaults={"title": f"Bench {c}", "owner": owner})
        if c < READABLE:
            Membership.objects.get_or_create(collection=coll, user=reader, defaults={"role": Role.VIEWER})
        colls.append(coll)
    n_docs = max(1, n_lines // LINES_PER_DOCUMENT)
    with transaction.atomic():
        docs = Document.objects.bulk_create(
            [Document(collection=colls[d % COLLECTIONS], title=f"Bench document {d}", year_from=1800 + d % 150)
             for d in range(n_docs)], batch_size=2000)
    now = timezone.now().isoformat()
    entry_cols = ["id", "source", "kind", "collection_id", "document_id", "object_id", "is_current", "machine", "confidence",
                  "created_at", "year", "config", "title", "text", "norm"]
    alt_cols = ["entry_id", "position", "token", "spelling", "best", "probability", "x0", "x1"]
    t0 = time.perf_counter()
    batch = 50_000
    done = 0
    while done < n_lines:
        size = min(batch, n_lines - done)
        with connection.cursor() as cur:  # ids reserved from the table's own sequence: alternatives can point at them
            cur.execute("SELECT nextval(pg_get_serial_sequence('search_searchentry', 'id')) FROM generate_series(1, %s)",
                        [size])
            reserved = [r[0] for r in cur.fetchall()]
        next_id = reserved[0]
        if reserved[-1] != next_id + size - 1:
            raise RuntimeError("the id sequence did not hand out a contiguous range; run again")
        entries, alts = io.StringIO(), io.StringIO()
        for k in range(size):
            i = done + k
            doc = docs[i // LINES_PER_DOCUMENT % n_docs]
            start = rng.randrange(len(words) - 12)
            true = words[start:start + rng.randint(5, 11)]
            slips = [rng.random() < 0.1 for _ in true]
            read = [misspell(w, rng) if slip else w for w, slip in zip(true, slips, strict=True)]
            text = " ".join(read)
            norm = " ".join(folded[w] if not slip else fold(r) for w, r, slip in zip(true, read, slips, strict=True))
            entries.write("\t".join([str(next_id + k), f"bench:{i}", "line", str(doc.collection_id), str(doc.pk), str(i), "t", "t",
                                     f"{rng.uniform(0.5, 1):.3f}", now, str(doc.year_from), "simple", "", text,
                                     norm]) + "\n")
            # two word positions with alternatives: the true word where the machine misread it, else a slip
            for pos in rng.sample(range(len(true)), min(2, len(true))):
                tok = first_token[true[pos]]
                if not tok:
                    continue
                alt = tok if slips[pos] else misspell(tok, rng)
                alts.write("\t".join([str(next_id + k), str(pos), alt[:100], alt[:200], folded.get(read[pos], alt)[:200],
                                      f"{rng.uniform(0.05, 0.6):.3f}", str(pos * 40), str(pos * 40 + 38)]) + "\n")
        with transaction.atomic(), connection.cursor() as cur:
            _copy(cur.cursor, SearchEntry._meta.db_table, entry_cols, entries)
            _copy(cur.cursor, WordAlternative._meta.db_table, alt_cols, alts)
        done += size
        print(f"  loaded {done:,} lines ({time.perf_counter() - t0:.0f} s)", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE search_searchentry")
        cur.execute("ANALYZE search_wordalternative")
        cur.execute("ANALYZE search_word")
    return {"seconds": time.perf_counter() - t0}


def drop() -> None:
    from django.db import connection, transaction

    from archive.models import Collection, Document

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM search_wordalternative WHERE entry_id IN (SELECT id FROM search_searchentry "
                    "WHERE source LIKE 'bench:%%')")
        cur.execute("DELETE FROM search_searchentry WHERE source LIKE 'bench:%%' OR collection_id IN "
                    "(SELECT id FROM archive_collection WHERE slug LIKE %s)", [SLUG + "%"])
        Document.objects.filter(collection__slug__startswith=SLUG).delete()
        Collection.objects.filter(slug__startswith=SLUG).delete()


def queries(n: int, seed: int) -> dict[str, list[str]]:
    from search.text import tokens

    rng = random.Random(seed + 1)
    words = [w for w in (t for word in corpus_words() for t in tokens(word)) if len(w) >= 3]
    out: dict[str, list[str]] = {"word": [], "phrase": [], "prefix": [], "fuzzy": [], "alternative": []}
    for _ in range(n):
        out["word"].append(rng.choice(words))  # drawn from running text: common words as often as they occur
        i = rng.randrange(len(words) - 3)
        out["phrase"].append('"' + " ".join(words[i:i + rng.choice((2, 3))]) + '"')
        w = rng.choice([x for x in words[i:i + 40] if len(x) >= 5] or ["testament"])
        out["prefix"].append(w[: max(3, len(w) - 3)] + "*")
        out["fuzzy"].append(misspell(w, rng) + "~")
        out["alternative"].append(w)
    return out


def server_ms(user, q: str, kind: str, capped: bool) -> float:  # noqa: ANN001
    """The database server's own execution time (EXPLAIN ANALYZE) of the search's matching statements:
    the capped match list, and the ranked page of hits when the matches are few enough to rank."""
    import json

    from django.db import connection, transaction

    from search.query import FUZZY_SIMILARITY
    from search.services.query import MAX_FUZZY_EXPANSION, PG_FUZZY_SQL, SearchRequest, _rank, count_limit, matching

    text, alt, terms = matching(user, SearchRequest(q=q, kind="line", alternatives=0.3 if kind == "alternative" else None))
    statements: list = [(PG_FUZZY_SQL, [t.tokens[0], t.tokens[0], FUZZY_SIMILARITY, t.tokens[0],
                                                          MAX_FUZZY_EXPANSION]) for t in terms if t.fuzzy]
    statements.append(text.order_by().values_list("pk", flat=True)[: count_limit() + 1])
    if not capped:
        statements.append(text.annotate(score=_rank(terms)).order_by("-score", "-id")[:20])
    if kind == "alternative":
        statements.append(alt.order_by().values("pk")[: count_limit() + 1])
    total = 0.0
    phrase = any(len(t.tokens) > 1 and not t.negate for t in terms)
    with transaction.atomic(), connection.cursor() as cur:
        if phrase:  # as search._found runs it: through the text index (see there why)
            cur.execute("SET LOCAL enable_seqscan = off")
        for qs in statements:
            sql, params = qs if isinstance(qs, tuple) else qs.query.sql_with_params()
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cur.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            total += plan[0]["Execution Time"] + plan[0].get("Planning Time", 0.0)
            if phrase:
                cur.execute("SET LOCAL enable_seqscan TO DEFAULT")  # the ranked page runs as search runs it
    return total


def run(n_queries: int, seed: int, facets: bool) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from search.services.query import SearchRequest, search

    reader = User.objects.get(username="bench-search-reader")
    in_db = [0.0]

    def timed(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - Django's execute_wrapper signature
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[0] += time.perf_counter() - t0

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    with connection.execute_wrapper(timed):
        for kind, qs in queries(n_queries, seed).items():
            times, db_times, totals, server = [], [], [], []
            for q in qs:
                in_db[0] = 0.0
                t0 = time.perf_counter()
                r = search(reader, SearchRequest(q=q, facets=facets, kind="line",
                                                 alternatives=0.3 if kind == "alternative" else None))
                times.append((time.perf_counter() - t0) * 1000)
                db_times.append(in_db[0] * 1000)
                totals.append(r.total)
                server.append(server_ms(reader, q, kind, r.capped))
            print(f"| {kind} | {'yes' if facets else 'no'} | {len(qs)} | {statistics.median(times):.1f} | "
                  f"{pct(times, 0.95):.1f} | {max(times):.1f} | {statistics.median(db_times):.1f} | "
                  f"{pct(db_times, 0.95):.1f} | {statistics.median(server):.1f} | {pct(server, 0.95):.1f} | "
                  f"{statistics.median(totals):.0f} | {max(totals):,} |", flush=True)


def run_api(n_queries: int, seed: int) -> None:
    """End to end through GET /api/v1/search/ (Django's test client, in process: routing, the view, the
    serializer and JSON, with facets as the API gives them by default; no network)."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench-search-reader"))
    for kind, qs in queries(n_queries, seed).items():
        times, totals = [], []
        for q in qs:
            params = {"q": q, "kind": "line", "alternatives": "0.3" if kind == "alternative" else "off"}
            t0 = time.perf_counter()
            r = client.get("/api/v1/search/", params)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"{q!r}: HTTP {r.status_code} {r.content[:200]!r}")
            totals.append(r.json()["count"])
        times.sort()
        print(f"| {kind} (API, facets) | {len(qs)} | {statistics.median(times):.1f} | "
              f"{times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]:.1f} | {times[-1]:.1f} | "
              f"{statistics.median(totals):.0f} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100, help="queries per type")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--reload", action="store_true", help="drop the bench rows and load them again")
    ap.add_argument("--drop", action="store_true", help="only remove the bench rows")
    args = ap.parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    from search.models import SearchEntry

    if connection.vendor != "postgresql":
        print("search_bench needs PostgreSQL (set DATABASE_URL)", file=sys.stderr)
        return 2
    if args.drop or args.reload:
        drop()
        if args.drop:
            return 0
    have = SearchEntry.objects.filter(source__startswith="bench:").count()
    if have < args.lines:
        if have:
            drop()
        print(f"loading {args.lines:,} lines by COPY (tsvector by the index trigger, GIN and trigram indexes live)")
        took = load(args.lines, args.seed)
        print(f"loaded in {took['seconds']:.0f} s")
    total = SearchEntry.objects.count()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('search_searchentry')), "
                    "pg_size_pretty(pg_total_relation_size('search_wordalternative')), version()")
        size, alt_size, version = cur.fetchone()
    print(f"\n{total:,} index entries ({size}, alternatives {alt_size}); the reader may read {READABLE} of "
          f"{COLLECTIONS} collections; {version.split(',')[0]}\n")
    with connection.cursor() as cur:  # what one round trip costs on this box right now (scheduling, not search)
        trips = []
        for _ in range(50):
            t0 = time.perf_counter()
            cur.execute("SELECT 1")
            cur.fetchone()
            trips.append((time.perf_counter() - t0) * 1000)
    trips.sort()
    with open("/proc/loadavg") as f:
        load_avg = f.read().split()[0]
    print(f"one trivial round trip (SELECT 1): p50 {statistics.median(trips):.1f} ms, p95 {trips[47]:.1f} ms; "
          f"load average {load_avg} on {os.cpu_count()} CPUs\n")
    print("| query | facets | n | p50 ms | p95 ms | max ms | p50 ms in db | p95 ms in db | p50 ms server | p95 ms server "
          "| median hits | max hits |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    run(args.queries, args.seed, facets=False)
    run(max(10, args.queries // 4), args.seed + 7, facets=True)
    print("\n| query | n | p50 ms | p95 ms | max ms | median count |\n|---|---|---|---|---|---|")
    run_api(max(10, args.queries // 2), args.seed + 11)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
