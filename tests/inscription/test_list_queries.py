"""bench/load.py's readings (the inscriptions list, the workspace) join each reading's model version: its card,
metrics and architecture are never shown there, so they are not read (they were JSON-decoded once per line)."""
from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inscription.models import LayerKind
from inscription.services.inscriptions import create_inscription
from inscription.services.layers import get_or_create_layer
from tests.inscription.helpers import fake_model_version


def _machine_readings(document, lines):
    model = fake_model_version()
    model.card = {"charset": "abc" * 1000, "metrics": {"cer": 0.1}}
    model.save(update_fields=["card"])
    layer = get_or_create_layer(document, "htr-test 1.0", LayerKind.MACHINE, model_version=model)
    for line in lines:
        create_inscription(layer=layer, line=line, text="Dear Sir", model_version=model)
    return model


def _selects_card(queries) -> bool:
    return any('"inscription_modelversion"."card"' in q["sql"] for q in queries)


def test_the_inscriptions_list_does_not_read_model_cards(client_for, document, lines):
    model = _machine_readings(document, lines)
    client = client_for("viewer")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/inscriptions/", {"document": document.pk})
    results = response.json()["results"]
    assert len(results) == len(lines) and results[0]["model_version"]["name"] == model.name
    assert results[0]["agent"] == "htr-test 1.0"
    assert not _selects_card(queries.captured_queries) and len(queries.captured_queries) <= 3


def test_the_workspace_does_not_read_model_cards_per_line(client_for, document, lines, users, client):
    _machine_readings(document, lines)
    client.force_login(users["viewer"])
    page = lines[0].page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/p/{page.pk}/")
    assert response.status_code == 200 and b"Dear Sir" in response.content
    line_queries = [q for q in queries.captured_queries if 'FROM "inscription_inscription"' in q["sql"]]
    assert line_queries and not _selects_card(line_queries)


def test_the_inscriptions_list_does_not_load_collections_or_the_writers_whole_row(client_for, document, lines):
    """A list row shows the document's id and the writer's name: no Collection, no password, no dates (request cost)."""
    _machine_readings(document, lines)
    client = client_for("viewer")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/inscriptions/", {"document": document.pk})
    assert response.status_code == 200 and len(response.json()["results"]) == len(lines)
    rows = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "inscription_inscription"."id"')]
    assert rows, [q["sql"] for q in queries.captured_queries]
    assert not any('"archive_collection"."title"' in sql or '"auth_user"."password"' in sql for sql in rows)
    one = client.get(f"/api/v1/inscriptions/{response.json()['results'][0]['id']}/")
    assert one.status_code == 200 and one.json()["document"] == document.pk


def test_the_changed_line_count_matches_the_changed_lines(document, lines, users):
    """The workspace counts the lines to re-transcribe with count_changed_lines (no rows loaded): same answer."""
    import uuid

    from django.utils import timezone

    from archive.models import GeometryRevision, RevisionAction
    from inscription.services.changed_lines import changed_lines, count_changed_lines

    page = lines[0].page
    assert count_changed_lines([page]) == len(changed_lines([page])) == 0  # no shape revision at all
    model = _machine_readings(document, lines)
    for n, line in enumerate(lines):  # reshaped after the reading: lines 0 and 1; a reorder does not count
        action = RevisionAction.EDIT if n < 2 else RevisionAction.REORDER
        GeometryRevision.objects.create(page=page, line=line, version=2, action=action, act=uuid.uuid4(),
                                        polygon=line.polygon, source="human", created_at=timezone.now())
    assert [line.pk for line in changed_lines([page])] == [lines[0].pk, lines[1].pk]
    assert count_changed_lines([page]) == count_changed_lines(document_id=document.pk) == 2
    layer = get_or_create_layer(document, "htr-test 1.0", LayerKind.MACHINE, model_version=model)
    create_inscription(layer=layer, line=lines[0], text="read again", model_version=model)
    assert count_changed_lines([page]) == len(changed_lines([page])) == 1
