"""The search pages of the curator interface, through Django's test client (both databases)."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, users):
    client.force_login(users["viewer"])
    return client


def test_every_page_has_a_search_box(viewer_client, archive):
    for url in ("/", f"/d/{archive['doc'].pk}/", "/reflections/", "/jobs/"):
        html = viewer_client.get(url).content.decode()
        assert 'role="search"' in html and 'action="/search/"' in html, url


def test_results_page_highlights_boxes_and_links_to_the_workspace(viewer_client, archive):
    html = viewer_client.get("/search/", {"q": "paques"}).content.decode()
    assert "<mark>Pâques</mark>" in html
    assert re.search(r'<svg class="hit-scan"[^>]*>\s*<image href="/p/' + str(archive["page"].pk) + '/image/"', html)
    assert html.count('class="hit-box"') == 1
    line = archive["lines"][1]
    assert f'href="/p/{archive["page"].pk}/?layer={archive["layer"].pk}&amp;line={line.pk}#line-{line.pk}"' in html
    assert 'data-facet="agent"' in html and 'data-facet="date"' in html
    assert "Secret" not in html


def test_an_alternative_hit_says_what_the_machine_read(viewer_client, archive):
    html = viewer_client.get("/search/", {"q": "testament", "kind": "line"}).content.decode()
    assert "the machine read “testament” here, with probability 0.35" in html
    off = viewer_client.get("/search/", {"q": "testament", "kind": "line", "alternatives": "off"}).content.decode()
    assert "0 hits" in off


def test_results_load_progressively(viewer_client, archive):
    html = viewer_client.get("/search/", {"q": "a"}).content.decode()  # "à" on two lines, 20 per page: no more
    assert "hx-trigger=\"revealed\"" not in html
    from search.views import PAGE_SIZE

    assert PAGE_SIZE == 20
    # more than a page: the sentinel asks for the next page, which the partial answers
    from inscription.services.inscriptions import create_inscription

    for i in range(21):
        create_inscription(layer=archive["gt"], line=archive["lines"][i % 3], text=f"à la ligne {i}",
                           user=archive["doc"].created_by)
    html = viewer_client.get("/search/", {"q": "ligne", "versions": "true"}).content.decode()
    assert html.count('class="hit ') == 20 and 'hx-trigger="revealed"' in html
    more = viewer_client.get("/search/hits/", {"q": "ligne", "versions": "true", "p": 2}).content.decode()
    assert more.count('class="hit ') == 1 and "revealed" not in more


def test_a_bad_query_is_explained_on_the_page(viewer_client, archive):
    r = viewer_client.get("/search/", {"q": "-maison"})
    assert r.status_code == 200 and "at least one word" in r.content.decode()
    assert viewer_client.get("/search/").status_code == 200
