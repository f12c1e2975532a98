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

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from archive.models import Collection
from archive.permissions import readable_collection_ids
from palimpsest.errors import InputError
from search.models import EntryKind, SearchEntry, WordAlternative
from search.query import FUZZY_SIMILARITY, QueryError, Term, parse, similarity
from search.services.hits import build_hits, threshold_for

MAX_PAGE_SIZE = 100
MAX_FUZZY_EXPANSION = 50
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


def _tsquery(term: Term) -> str:
    parts = [_quote_pg(t) for t in term.tokens]
    if term.prefix:
        parts[-1] += ":*"
    expr = " <-> ".join(parts)
    return f"!({expr})" if term.negate else expr


def _pg_text(terms: list[Term], configs: list[str]) -> Q:
    """All terms in the row's own configuration (an OR over configs keeps the GIN index usable)."""
    query = " & ".join(_tsquery(t) for t in terms)
    cond = Q()
    for c in configs:
        cond |= Q(config=c, vector=SearchQuery(query, config=c, search_type="raw"))
    return cond


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fuzzy_candidates(token: str) -> list[str]:
    """SQLite: words of the FTS vocabulary spelled nearly like ``token`` (trigram similarity, as pg_trgm)."""
    with connection.cursor() as cur:
        cur.execute("SELECT term FROM search_fts_vocab WHERE length(term) BETWEEN %s AND %s",
                    [max(1, len(token) - 3), len(token) + 3])
        scored = [(similarity(token, t), t) for (t,) in cur.fetchall()]
    return [t for s, t in sorted(scored, reverse=True) if s >= FUZZY_SIMILARITY][:MAX_FUZZY_EXPANSION]


def _fts_expr(term: Term) -> str | None:
    if term.fuzzy:
        words = _fuzzy_candidates(term.tokens[0])
        return "(" + " OR ".join(_fts_quote(w) for w in words) + ")" if words else None
    phrase = _fts_quote(" ".join(term.tokens))
    return phrase + "*" if term.prefix else phrase


def _sqlite_text(term: Term) -> Q:
    expr = _fts_expr(term)
    if expr is None:
        return Q(pk__in=[]) if not term.negate else Q()
    cond = Q(pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expr]))
    return ~cond if term.negate else cond


class WordSimilar(Func):
    """pg_trgm: ``token <% norm`` (a word of norm is spelled nearly like token; served by the trigram GIN index)."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


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
    out = []
    fts = [t for t in terms if not t.fuzzy]
    if fts:
        out.append(_pg_text(fts, configs))
    for t in terms:
        if t.fuzzy:
            cond = Q(WordSimilar(Value(t.tokens[0]), F("norm")))
            out.append(~cond if t.negate else cond)
    return out


def _rank(terms: list[Term]):  # noqa: ANN202 - an expression
    positive = [t for t in terms if not t.negate and not t.fuzzy]
    if not positive:
        return Value(0.0, output_field=FloatField())
    if connection.vendor == "postgresql":
        return SearchRank(F("vector"), SearchQuery(" & ".join(_tsquery(t) for t in positive), config=F("config"),
                                                   search_type="raw"))
    exprs = [e for e in (_fts_expr(t) for t in positive) if e]
    if not exprs:
        return Value(0.0, output_field=FloatField())
    return FtsRank(Value(" AND ".join(exprs)), F("id"))


def scoped(user: AbstractBaseUser | AnonymousUser, req: SearchRequest) -> QuerySet[SearchEntry]:
    """Entries the user may read, narrowed by the request's filters (never by the query words)."""
    qs = SearchEntry.objects.filter(collection_id__in=readable_collection_ids(user))
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


def facets(qs: QuerySet[SearchEntry]) -> dict[str, list[dict]]:
    """Counts per collection, document, layer, kind, agent, confidence bucket and decade of the matching entries."""
    def top(field_name: str, label: str, n: int = 20) -> list[dict]:
        rows = qs.values(field_name, label).annotate(count=Count("id")).order_by("-count", field_name)[:n]
        return [{"value": r[field_name], "label": r[label], "count": r["count"]} for r in rows if r[field_name] is not None]

    out = {
        "collection": top("collection_id", "collection__title"),
        "document": top("document_id", "document__title"),
        "layer": top("layer_id", "layer__name"),
        "kind": [{"value": r["kind"], "label": EntryKind(r["kind"]).label, "count": r["count"]}
                 for r in qs.values("kind").annotate(count=Count("id")).order_by("-count", "kind")],
        "agent": [{"value": "machine" if r["machine"] else "human", "label": "Machine" if r["machine"] else "Human",
                   "count": r["count"]}
                  for r in qs.exclude(machine=None).values("machine").annotate(count=Count("id")).order_by("-count")],
    }
    whens = []
    for i, (_, lo, hi) in enumerate(CONFIDENCE_BUCKETS):
        cond = Q()
        if lo is not None:
            cond &= Q(confidence__gte=lo)
        if hi is not None:
            cond &= Q(confidence__lt=hi)
        whens.append(When(cond, then=Value(i)))
    buckets = (qs.exclude(confidence=None).annotate(bucket=Case(*whens, output_field=IntegerField()))
               .values("bucket").annotate(count=Count("id")).order_by("bucket"))
    out["confidence"] = [{"value": CONFIDENCE_BUCKETS[b["bucket"]][0], "min": CONFIDENCE_BUCKETS[b["bucket"]][1],
                          "max": CONFIDENCE_BUCKETS[b["bucket"]][2], "count": b["count"]} for b in buckets]
    decades = (qs.exclude(year=None).annotate(decade=(F("year") / 10) * 10).values("decade")
               .annotate(count=Count("id")).order_by("decade"))
    out["date"] = [{"value": d["decade"], "label": f"{d['decade']}s", "count": d["count"]} for d in decades]
    return out


def search(user: AbstractBaseUser | AnonymousUser, req: SearchRequest) -> SearchResults:
    """One page of hits (text hits by rank, then alternative-only hits by probability), totals and facets."""
    page_size = max(1, min(MAX_PAGE_SIZE, int(req.page_size)))
    page = max(1, int(req.page))
    text, alt, terms = matching(user, req)
    limit = count_limit()
    # Counting stops at the limit: a word on half a million lines is "more than 1,000", not a long wait.
    found = list(text.order_by().values_list("pk", flat=True)[: limit + 1])
    text_total = len(found)
    alt_total = _capped_count(alt, limit) if req.alternatives is not None else 0
    capped = text_total > limit or alt_total > limit
    text_total, alt_total = min(text_total, limit), min(alt_total, limit)
    start, end = (page - 1) * page_size, page * page_size
    entries: list[SearchEntry] = []
    related = ("collection", "document", "layer", "line", "page")
    if start < text_total:
        # Ranking scores every match; past the limit the first matches found are shown newest first instead.
        if text_total < limit:
            ordered = text.annotate(score=_rank(terms)).order_by("-score", "-id")
        else:
            ordered = SearchEntry.objects.filter(pk__in=found[:limit]).annotate(
                score=Value(0.0, output_field=FloatField())).order_by("-id")
        entries += list(ordered.select_related(*related)[start:min(end, text_total)])
    if end > text_total and alt_total:
        probs = _alt_probabilities(terms, req.alternatives)
        a0, a1 = max(0, start - text_total), min(end - text_total, alt_total)
        entries += list(alt.select_related(*related).annotate(score=probs).order_by("-score", "-id")[a0:a1])
    hits = build_hits(entries, terms, req.alternatives)
    result = SearchResults(total=text_total + alt_total, text_total=text_total, alternative_total=alt_total,
                           page=page, page_size=page_size, hits=hits, terms=terms, capped=capped)
    if req.facets:
        union = text if not alt_total else SearchEntry.objects.filter(Q(pk__in=text.values("pk")) | Q(pk__in=alt.values("pk")))
        if capped:  # facets of the first matches found, as many as the count covers
            union = SearchEntry.objects.filter(pk__in=found[:limit]) if not alt_total else \
                SearchEntry.objects.filter(pk__in=list(union.order_by().values_list("pk", flat=True)[:limit]))
        result.facets = facets(union)
    return result


def count_limit() -> int:
    from django.conf import settings

    return int(getattr(settings, "SEARCH_COUNT_LIMIT", 1000))


def _capped_count(qs: QuerySet, limit: int) -> int:
    """The number of rows, or limit + 1 when there are more (the database stops looking there)."""
    return qs.order_by().values("pk")[: limit + 1].count()


def _alt_probabilities(terms: list[Term], threshold: float | None) -> Subquery:
    """Per entry: the best probability of a plain term among its alternatives (the alternative hits' rank)."""
    wanted = Q(pk__in=[])
    for t in terms:
        if t.plain:
            wanted |= Q(token=t.tokens[0], probability__gte=threshold_for(t.tokens[0], threshold or 0))
    best = (WordAlternative.objects.filter(wanted, entry=OuterRef("pk"))
            .values("entry").annotate(p=Max("probability")).values("p")[:1])
    return Subquery(best, output_field=FloatField())
