"""List endpoints run a fixed number of queries, however many rows they return (no N+1)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.archive.samples import image_bytes

pytestmark = pytest.mark.django_db


def populate(collection, user, documents: int) -> None:
    """``documents`` scan documents with 2 tags, 2 pages (sharing blobs) and 2 lines per page, plus one text each."""
    from archive.ingest import Upload
    from archive.models import Document, DocumentKind, Line, Page, Tag, Text
    from archive.services.ingest import ingest_upload

    tags = [Tag.objects.get_or_create(name=n)[0] for n in ("letters", "1840s")]
    template = ingest_upload(collection, Upload.from_bytes("t.png", image_bytes()), user=user)
    blob = Page.objects.get(document_id=template.documents[0]).image
    for i in range(documents):
        doc = Document.objects.create(collection=collection, title=f"Letter {i}", created_by=user, year_from=1840 + i)
        doc.tags.set(tags)
        for order in range(2):
            page = Page.objects.create(document=doc, order=order, image=blob, width=120, height=80)
            for n in range(2):
                Line.objects.create(page=page, order=n, polygon=[[0, 0], [10, 0], [10, 5]], created_by=user)
        text_doc = Document.objects.create(collection=collection, title=f"Text {i}", kind=DocumentKind.TEXT)
        Text.objects.create(document=text_doc, content="x", sha256="0" * 64)


ENDPOINTS = ["/api/v1/collections/", "/api/v1/documents/", "/api/v1/pages/", "/api/v1/lines/", "/api/v1/texts/",
             "/api/v1/documents/?tag=letters&year_from=1841&search=Letter&ordering=-year_from"]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    assert response.json()["count"] > 0
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_list_queries_do_not_grow_with_rows(url, role, client_for, collection, users):
    client = client_for(role)
    populate(collection, users["curator"], 2)
    few = count_queries(client, url)
    populate(collection, users["curator"], 12)
    many = count_queries(client, url)
    assert few == many, f"{url}: {few} queries for a few rows, {many} for many"


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # count + page of rows (+ prefetch of tags for documents); permission filter is a subquery, not a query.
        ("/api/v1/collections/", 2),
        ("/api/v1/documents/", 3),
        ("/api/v1/pages/", 2),
        ("/api/v1/lines/", 2),
        ("/api/v1/texts/", 2),
    ],
)
def test_exact_query_budget(url, queries, client_for, collection, users, django_assert_num_queries):
    populate(collection, users["curator"], 5)
    client = client_for("viewer")
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def _row_queries(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(f'SELECT "{table}"."id"')]


def test_lists_read_only_the_joined_columns_they_show(client_for, collection, users):
    """The documents and jobs lists show a collection's slug or id and a user's name: they do not build whole
    Collection and User rows for each line (a third of the documents list's CPU, bench/request_cost.py)."""
    from jobs.models import Job, JobKind, JobState

    populate(collection, users["curator"], 3)
    Job.objects.create(kind=JobKind.TRANSCRIBE, collection=collection, requested_by=users["curator"])
    export = Job.objects.create(kind=JobKind.EXPORT, collection=collection, requested_by=users["owner"],
                                state=JobState.SUCCEEDED, result={"file": "exports/x.zip"})
    client = client_for("viewer")
    for url, table, queries in (("/api/v1/documents/", "archive_document", 3), ("/api/v1/jobs/", "inscription_job", 2)):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] > 0
        assert len(ctx.captured_queries) == queries, [q["sql"] for q in ctx.captured_queries]
        rows = _row_queries(ctx.captured_queries, table)
        assert rows and not any('"archive_collection"."title"' in sql or '"auth_user"."password"' in sql for sql in rows)
    results = {r["id"]: r for r in client.get("/api/v1/jobs/").json()["results"]}
    assert results[export.pk]["requested_by"] == "owner" and f"/{collection.slug}/" in results[export.pk]["download"]
    document = client.get("/api/v1/documents/").json()["results"][0]
    assert document["collection"] == collection.slug and document["created_by"] == "curator"
