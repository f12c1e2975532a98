"""Running a search: permission scope, filters, matching on either database, ranking, facets, hits.

Both databases honour one contract (``SearchResults``); what differs is how a term matches:
PostgreSQL ``tsvector @@ to_tsquery`` in the collection's configuration (GIN index) and pg_trgm
``<%`` for fuzzy words; SQLite an FTS5 ``MATCH`` (fuzzy words expanded through the FTS
vocabulary). Text is folded before it is stored and queried, so both are accent-insensitive.

With ``alternatives`` (a probability threshold) a single-word term also matches a machine line
whose word alternatives (``WordAlternative``) hold the word at or above the threshold: the line
the recognizer *nearly* read that way. Such hits rank after text hits, by probability.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import (
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL

from archive.models import Collection
from archive.permissions import readable_collection_ids
from palimpsest.errors import InputError
from search.models import EntryKind, SearchEntry, WordAlternative
from search.query import FUZZY_SIMILARITY, QueryError, Term, parse, similarity, threshold_for
from search.services.hits import build_hits

MAX_PAGE_SIZE = 100
MAX_FUZZY_EXPANSION = 50
# The vocabulary's near spellings of a word (``%`` is served by the trigram index; similarity() then filters).
PG_FUZZY_SQL = ("SELECT word FROM search_word WHERE word %% %s AND similarity(word, %s) >= %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT %s")
CONFIDENCE_BUCKETS = (("<0.5", None, 0.5), ("0.5-0.8", 0.5, 0.8), ("0.8-0.95", 0.8, 0.95), ("≥0.95", 0.95, None))


@dataclass
class SearchRequest:
    """What to search and where; every filter is optional."""

    q: str
    collection: int | None = None
    document: int | None = None
    layer: int | None = None
    kind: str | None = None
    agent: str | None = None  # "machine" | "human"
    confidence_min: float | None = None
    confidence_max: float | None = None
    year_from: int | None = None
    year_to: int | None = None
    written_after: date | None = None
    written_before: date | None = None
    versions: bool = False
    alternatives: float | None = None
    page: int = 1
    page_size: int = 20
    facets: bool = True


@dataclass
class SearchResults:
    total: int
    text_total: int
    alternative_total: int
    page: int
    page_size: int
    hits: list[dict] = field(default_factory=list)
    facets: dict[str, list[dict]] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    capped: bool = False  # more matches than SEARCH_COUNT_LIMIT: totals are that limit, hits newest first


def _quote_pg(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def _tsquery(term: Term) -> str | None:
    """The term as tsquery text; a fuzzy word becomes an OR of the vocabulary's near spellings (None: no word
    is near it, the term matches nothing)."""
    if term.fuzzy:
        words = term.expansion if term.expansion is not None else _fuzzy_candidates(term.tokens[0])
        if not words:
            return None
        expr = "(" + " | ".join(_quote_pg(w) for w in words) + ")"
    else:
        parts = [_quote_pg(t) for t in term.tokens]
        if term.prefix:
            parts[-1] += ":*"
        expr = " <-> ".join(parts)
    return f"!({expr})" if term.negate else expr


def _pg_text(terms: list[Term], configs: list[str]) -> Q:
    """All terms in the row's own configuration (an OR over configs keeps the GIN index usable)."""
    parts = [(t, _tsquery(t)) for t in terms]
    if any(expr is None and not t.negate for t, expr in parts):
        return Q(pk__in=[])  # a fuzzy word near no word of the archive
    parts = [(t, expr) for t, expr in parts if expr is not None]
    if not parts:
        return Q()
    query = " & ".join(expr for _, expr in parts)
    cond = Q()
    for c in configs:
        cond |= Q(config=c, vector=SearchQuery(query, config=c, search_type="raw"))
    return cond


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fuzzy_candidates(token: str) -> list[str]:
    """Words of the index spelled nearly like ``token`` (trigram similarity ≥ FUZZY_SIMILARITY), most similar
    first: PostgreSQL asks the vocabulary table's trigram index (migration 0004), SQLite the FTS vocabulary.
    Why a vocabulary: trigram search over distinct words is cheap; over every text it is not."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(PG_FUZZY_SQL, [token, token, FUZZY_SIMILARITY, token, MAX_FUZZY_EXPANSION])
            return [w for (w,) in cur.fetchall()]
        cur.execute("SELECT term FROM search_fts_vocab WHERE length(term) BETWEEN %s AND %s",
                    [max(1, len(token) - 3), len(token) + 3])
        scored = [(similarity(token, t), t) for (t,) in cur.fetchall()]
    return [t for s, t in sorted(scored, reverse=True) if s >= FUZZY_SIMILARITY][:MAX_FUZZY_EXPANSION]


def _fts_expr(term: Term) -> str | None:
    if term.fuzzy:
        words = term.expansion if term.expansion is not None else _fuzzy_candidates(term.tokens[0])
        return "(" + " OR ".join(_fts_quote(w) for w in words) + ")" if words else None
    phrase = _fts_quote(" ".join(term.tokens))
    return phrase + "*" if term.prefix else phrase


def _sqlite_text(term: Term) -> Q:
    expr = _fts_expr(term)
    if expr is None:
        return Q(pk__in=[]) if not term.negate else Q()
    cond = Q(pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expr]))
    return ~cond if term.negate else cond


class FtsRank(Func):
    """SQLite: the FTS5 bm25 relevance of the row for a MATCH expression (higher is better)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # noqa: ANN001, ANN201
        m_sql, m_params = compiler.compile(self.source_expressions[0])
        i_sql, i_params = compiler.compile(self.source_expressions[1])
        return (f"(SELECT -bm25(search_fts) FROM search_fts WHERE search_fts MATCH {m_sql} AND rowid = {i_sql})",
                [*m_params, *i_params])


def _term_conditions(terms: list[Term], configs: list[str]) -> list[Q]:
    """Conditions, one per term (SQLite, fuzzy) or one for all full-text terms together (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return [_sqlite_text(t) for t in terms]
    return [_pg_text(terms, configs)] if terms else []


def _rank(terms: list[Term]):  # noqa: ANN202 - an expression
    positive = [t for t in terms if not t.negate and (not t.fuzzy or connection.vendor == "postgresql")]
    if not positive:
        return Value(0.0, output_field=FloatField())
    if connection.vendor == "postgresql":
        exprs = [e for e in (_tsquery(t) for t in positive) if e]
        if not exprs:
            return Value(0.0, output_field=FloatField())
        return SearchRank(F("vector"), SearchQuery(" & ".join(exprs), config=F("config"), search_type="raw"))
    exprs = [e for e in (_fts_expr(t) for t in positive) if e]
    if not exprs:
        return Value(0.0, output_field=FloatField())
    return FtsRank(Value(" AND ".join(exprs)), F("id"))


def scoped(user: AbstractBaseUser | AnonymousUser, req: SearchRequest) -> QuerySet[SearchEntry]:
    """Entries the user may read, narrowed by the request's filters (never by the query words)."""
    # The ids as a list (one small query): the planner then sees "collection_id = ANY(...)" and scans the text
    # index once, not once per collection as it did through the subquery (docs/search.md, latency).
    qs = SearchEntry.objects.filter(collection_id__in=list(readable_collection_ids(user).values_list("pk", flat=True)))
    if not req.versions:
        qs = qs.filter(is_current=True)
    if req.collection is not None:
        qs = qs.filter(collection_id=req.collection)
    if req.document is not None:
        qs = qs.filter(document_id=req.document)
    if req.layer is not None:
        qs = qs.filter(layer_id=req.layer)
    if req.kind:
        if req.kind not in EntryKind.values:
            raise InputError(f"Unknown kind '{req.kind}' (one of {', '.join(EntryKind.values)}).", code="bad_kind")
        qs = qs.filter(kind=req.kind)
    if req.agent:
        if req.agent not in ("machine", "human"):
            raise InputError("agent is 'machine' or 'human'.", code="bad_agent")
        qs = qs.filter(machine=(req.agent == "machine"))
    if req.confidence_min is not None:
        qs = qs.filter(confidence__gte=req.confidence_min)
    if req.confidence_max is not None:
        qs = qs.filter(confidence__lt=req.confidence_max)
    if req.year_from is not None:
        qs = qs.filter(year__gte=req.year_from)
    if req.year_to is not None:
        qs = qs.filter(year__lte=req.year_to)
    if req.written_after is not None:
        qs = qs.filter(created_at__date__gte=req.written_after)
    if req.written_before is not None:
        qs = qs.filter(created_at__date__lte=req.written_before)
    return qs


def _configs(user: AbstractBaseUser | AnonymousUser, req: SearchRequest) -> list[str]:
    """The text-search configurations of the collections searched: each needs its own branch of the match
    (only PostgreSQL stems; one small query, and one GIN scan per configuration actually in use)."""
    if connection.vendor != "postgresql":
        return []
    from search.models import Language

    scope = Collection.objects.filter(pk__in=readable_collection_ids(user))
    if req.collection is not None:
        scope = scope.filter(pk=req.collection)
    used = {lang or Language.SIMPLE for lang in scope.values_list("search_settings__language", flat=True).distinct()}
    return sorted(used) or [Language.SIMPLE]


def matching(user: AbstractBaseUser | AnonymousUser, req: SearchRequest,
             terms: list[Term] | None = None) -> tuple[QuerySet, QuerySet, list[Term]]:
    """(text matches, alternative-only matches, terms): two querysets over the user's scope."""
    if req.alternatives is not None and not 0 < req.alternatives <= 1:
        raise InputError("alternatives is a probability threshold in (0, 1].", code="bad_threshold")
    try:
        terms = terms or parse(req.q)
    except QueryError as exc:
        raise InputError(str(exc), code="bad_query") from exc
    terms = [replace(t, expansion=tuple(_fuzzy_candidates(t.tokens[0])))
             if t.fuzzy and t.expansion is None else t for t in terms]
    base = scoped(user, req)
    configs = _configs(user, req)
    conditions = _term_conditions(terms, configs)
    text = base
    for cond in conditions:
        text = text.filter(cond)
    alt = base.none()
    plain = [t for t in terms if t.plain]
    if req.alternatives is not None and plain and req.kind in (None, EntryKind.LINE):
        # Each plain word is read in the text or among the alternatives; other terms must match the text.
        alt = base.filter(kind=EntryKind.LINE, machine=True)
        others = [t for t in terms if not t.plain]
        for cond in _term_conditions(others, configs) if others else []:
            alt = alt.filter(cond)
        for t in plain:
            has_alt = WordAlternative.objects.filter(token=t.tokens[0],
                                                     probability__gte=threshold_for(t.tokens[0], req.alternatives))
            in_text = _term_conditions([t], configs)[0]
            if len(terms) == 1:  # (alternative or text) and not text: the alternative and not the text
                alt = alt.filter(pk__in=has_alt.values("entry_id")).exclude(in_text)
            else:
                alt = alt.filter(Q(pk__in=has_alt.values("entry_id")) | in_text)
        if len(terms) > 1:
            alt = alt.exclude(pk__in=text.values("pk"))
    return text, alt, terms


def facets(ids: list[int]) -> dict[str, list[dict]]:
    """Counts per collection, document, layer, kind, agent, confidence bucket and decade of these entries.

    One query for the (at most a few thousand) matching ids, counted here: seven GROUP BYs each
    re-running the match cost seven round trips and seven matches (docs/search.md, latency)."""
    rows = list(SearchEntry.objects.filter(pk__in=_id_list(ids)).values_list(
        "collection_id", "collection__title", "document_id", "document__title", "layer_id", "layer__name", "kind",
        "machine", "confidence", "year")) if ids else []
    counters: dict[str, Counter] = {name: Counter() for name in ("collection", "document", "layer", "kind", "agent",
                                                                 "confidence", "date")}
    labels: dict[str, dict] = {"collection": {}, "document": {}, "layer": {}}
    for coll, coll_t, doc, doc_t, layer, layer_n, kind, machine, conf, year in rows:
        for name, value, label in (("collection", coll, coll_t), ("document", doc, doc_t), ("layer", layer, layer_n)):
            if value is not None:
                counters[name][value] += 1
                labels[name][value] = label
        counters["kind"][kind] += 1
        if machine is not None:
            counters["agent"][bool(machine)] += 1
        if conf is not None:
            counters["confidence"][_bucket(conf)] += 1
        if year is not None:
            counters["date"][(year // 10) * 10] += 1

    def ranked(name: str, n: int | None = None) -> list[tuple]:
        return sorted(counters[name].items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    out = {name: [{"value": v, "label": labels[name][v], "count": c} for v, c in ranked(name, 20)]
           for name in ("collection", "document", "layer")}
    out["kind"] = [{"value": v, "label": EntryKind(v).label, "count": c} for v, c in ranked("kind")]
    out["agent"] = [{"value": "machine" if v else "human", "label": "Machine" if v else "Human", "count": c}
                    for v, c in ranked("agent")]
    out["confidence"] = [{"value": CONFIDENCE_BUCKETS[b][0], "min": CONFIDENCE_BUCKETS[b][1],
                          "max": CONFIDENCE_BUCKETS[b][2], "count": c} for b, c in sorted(counters["confidence"].items())]
    out["date"] = [{"value": d, "label": f"{d}s", "count": c} for d, c in sorted(counters["date"].items())]
    return out


def _id_list(ids: list[int]) -> list[int] | RawSQL:
    """``pk__in`` for many ids: on PostgreSQL one array parameter, not a thousand (binding a thousand
    parameters cost more than the query: ~80 ms per search in the 1,000,000-line bench)."""
    if connection.vendor == "postgresql" and len(ids) > 50:
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return ids


def _bucket(confidence: float) -> int:
    for i, (_, lo, hi) in enumerate(CONFIDENCE_BUCKETS):
        if (lo is None or confidence >= lo) and (hi is None or confidence < hi):
            return i
    return len(CONFIDENCE_BUCKETS) - 1


def search(user: AbstractBaseUser | AnonymousUser, req: SearchRequest) -> SearchResults:
    """One page of hits (text hits by rank, then alternative-only hits by probability), totals and facets."""
    page_size = max(1, min(MAX_PAGE_SIZE, int(req.page_size)))
    page = max(1, int(req.page))
    text, alt, terms = matching(user, req)
    limit = count_limit()
    # Counting stops at the limit: a word on half a million lines is "more than 1,000", not a long wait.
    found = _found(text.order_by().values_list("pk", flat=True)[: limit + 1], terms)
    text_total = len(found)
    alt_found = list(alt.order_by().values_list("pk", flat=True)[: limit + 1]) if req.alternatives is not None else []
    alt_total = len(alt_found)
    capped = text_total > limit or alt_total > limit
    text_total, alt_total = min(text_total, limit), min(alt_total, limit)
    start, end = (page - 1) * page_size, page * page_size
    entries: list[SearchEntry] = []
    related = ("collection", "document", "layer", "line", "page")
    if start < text_total:
        # Ranking scores every match; past the limit the first matches found are shown newest first instead.
        if text_total < limit:
            # rank the ids matched above, not the match again (a phrase of common words rechecks 100,000s of rows)
            ordered = SearchEntry.objects.filter(pk__in=_id_list(found)).select_related(*related).annotate(
                score=_rank(terms)).order_by("-score", "-id")
            entries += list(ordered[start:min(end, text_total)])
        else:  # the page's ids are known already: fetch those rows only, not a thousand to sort
            ids = sorted(found[:limit], reverse=True)[start:min(end, text_total)]
            entries += list(SearchEntry.objects.filter(pk__in=ids).select_related(*related).annotate(
                score=Value(0.0, output_field=FloatField())).order_by("-id"))
    if end > text_total and alt_total:
        probs = _alt_probabilities(terms, req.alternatives)
        a0, a1 = max(0, start - text_total), min(end - text_total, alt_total)
        entries += list(alt.select_related(*related).annotate(score=probs).order_by("-score", "-id")[a0:a1])
    hits = build_hits(entries, terms, req.alternatives)
    result = SearchResults(total=text_total + alt_total, text_total=text_total, alternative_total=alt_total,
                           page=page, page_size=page_size, hits=hits, terms=terms, capped=capped)
    if req.facets:  # facets of the matches counted (past the limit: of the first ones found)
        result.facets = facets((found[:limit] + alt_found[:limit])[:limit] if capped else found + alt_found)
    return result


def _found(ids: QuerySet, terms: list[Term]) -> list[int]:
    """The capped match list. On PostgreSQL a phrase is matched through the text index, never by reading the
    table: the planner estimates a phrase of common words as common as the words together, expects the
    first 1,000 matches early in a sequential scan, and reads all 1,000,000 rows (300 ms) for 800 matches
    that the index finds in 50 ms."""
    if connection.vendor != "postgresql" or not any(len(t.tokens) > 1 and not t.negate for t in terms):
        return list(ids)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        try:
            return list(ids)
        finally:
            cur.execute("SET LOCAL enable_seqscan TO DEFAULT")


def count_limit() -> int:
    from django.conf import settings

    return int(getattr(settings, "SEARCH_COUNT_LIMIT", 1000))


def _alt_probabilities(terms: list[Term], threshold: float | None) -> Subquery:
    """Per entry: the best probability of a plain term among its alternatives (the alternative hits' rank)."""
    wanted = Q(pk__in=[])
    for t in terms:
        if t.plain:
            wanted |= Q(token=t.tokens[0], probability__gte=threshold_for(t.tokens[0], threshold or 0))
    best = (WordAlternative.objects.filter(wanted, entry=OuterRef("pk"))
            .values("entry").annotate(p=Max("probability")).values("p")[:1])
    return Subquery(best, output_field=FloatField())
