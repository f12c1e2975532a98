"""Counts of related rows for list serializers, as correlated subqueries.

Why not ``annotate(Count("pages"))``: an aggregate needs a GROUP BY over the joined pages (or
lines) of every row, and DRF's paginator then counts that grouped query too (``SELECT COUNT(*)
FROM (… LEFT JOIN archive_page … GROUP BY …)``). A subquery is evaluated only for the rows of
the page being shown, and ``QuerySet.count()`` drops it. The default managers count what the
API shows: current pages, live lines.
"""
from __future__ import annotations

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce


def related_count(model: type[Model], field: str) -> Coalesce:
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
