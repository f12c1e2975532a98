"""Born-digital texts (archive.Text) are searchable: one entry per passage, kept current on every write."""
from __future__ import annotations

import pytest

from search.services.query import SearchRequest, search

pytestmark = pytest.mark.django_db

LONG = "\n\n".join(
    [f"Paragraphe {i} du registre, écrit à la main puis saisi à la machine pour l'archive." for i in range(40)]
    + ["Le notaire Clément Hérault reçut le testament olographe."])


def find(user, q: str, **kw):
    return search(user, SearchRequest(q=q, **kw))


@pytest.fixture
def typed(users, collection):
    """A born-digital document of the readable collection, and one of a collection the viewer cannot read."""
    from archive.models import Collection, Document, DocumentKind
    from archive.services.documents import set_text

    doc = Document.objects.create(collection=collection, kind=DocumentKind.TEXT, title="Registre saisi", year_from=1917)
    text = set_text(doc, LONG, original_filename="registre.txt")
    secret = Collection.objects.create(slug="secret", title="Secret", owner=users["stranger"])
    sdoc = Document.objects.create(collection=secret, kind=DocumentKind.TEXT, title="Autre registre")
    set_text(sdoc, "Le notaire Clément Hérault, encore.")
    return {"doc": doc, "text": text, "sdoc": sdoc}


def test_text_passages_cut_at_paragraphs_and_keep_every_word():
    from search.services.indexing import text_passages

    passages = text_passages(LONG, size=300)
    assert len(passages) > 5 and all(len(p) <= 300 for p in passages)
    assert " ".join(" ".join(passages).split()) == " ".join(LONG.split())
    one_long_paragraph = "mot " * 500
    assert all(len(p) <= 300 for p in text_passages(one_long_paragraph, size=300))
    assert text_passages("") == []


def test_a_word_in_a_born_digital_text_is_found_in_its_passage(users, typed):
    r = find(users["viewer"], "herault")
    assert r.total == 1
    hit = r.hits[0]
    assert hit["kind"] == "text" and hit["document"]["id"] == typed["doc"].pk and hit["machine"] is False
    assert hit["text"].endswith("Le notaire Clément Hérault reçut le testament olographe.")
    assert len(hit["text"]) < len(LONG)  # the passage, not the whole text
    start, end = hit["highlights"][0]
    assert hit["text"][start:end] == "Hérault"
    assert find(users["viewer"], '"testament olographe"').total == 1
    assert find(users["viewer"], '"olographe testament"').total == 0
    assert find(users["viewer"], "paragraphe", kind="text").total >= 2  # every passage is its own entry
    assert find(users["viewer"], "herault", kind="line").total == 0


def test_another_collections_text_never_appears(users, typed):
    r = find(users["viewer"], "notaire")
    assert r.total == 1 and r.hits[0]["document"]["id"] == typed["doc"].pk
    assert sum(f["count"] for f in r.facets["collection"]) == 1
    assert find(users["stranger"], "notaire").total == 1
    assert find(users["viewer"], "notaire", collection=typed["sdoc"].collection_id).total == 0


def test_an_edited_text_replaces_its_passages_and_a_deleted_one_leaves_the_index(users, typed):
    from archive.services.documents import set_text
    from search.models import SearchEntry

    set_text(typed["doc"], "Texte corrigé : le notaire Hérault devient Hériault.")
    assert find(users["viewer"], "olographe").total == 0
    assert find(users["viewer"], "heriault").total == 1
    assert SearchEntry.objects.filter(kind="text", object_id=typed["text"].pk).count() == 1
    typed["text"].delete()
    assert find(users["viewer"], "heriault").total == 0
    assert not SearchEntry.objects.filter(kind="text", object_id=typed["text"].pk).exists()


def test_a_text_created_directly_is_indexed_and_reindex_rebuilds_it(users, typed, collection):
    from archive.models import Document, DocumentKind, Text
    from search.models import SearchEntry
    from search.services.indexing import reindex

    doc = Document.objects.create(collection=collection, kind=DocumentKind.TEXT, title="Lettre")
    Text.objects.create(document=doc, content="Une lettre tapée à Besançon.", sha256="x")  # as ingest writes it
    assert find(users["viewer"], "besancon").total == 1
    before = sorted(SearchEntry.objects.filter(kind="text").values_list("source", "norm"))
    counts = reindex()
    assert sorted(SearchEntry.objects.filter(kind="text").values_list("source", "norm")) == before
    assert counts["text"] == len(before)
    assert find(users["viewer"], "besancon").total == 1


def test_the_api_opens_a_text_hit_at_its_document(client_for, typed):
    body = client_for("viewer").get("/api/v1/search/", {"q": "olographe", "kind": "text"}).json()
    assert body["count"] == 1
    assert body["results"][0]["url"] == f"/d/{typed['doc'].pk}/"
    assert client_for("viewer").get("/api/v1/search/", {"q": "olographe", "kind": "texts"}).status_code == 400
