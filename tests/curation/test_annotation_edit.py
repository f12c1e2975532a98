"""Editing and deleting annotations in the workspace; regions shown as thumbnails, never as raw xywh."""
from __future__ import annotations

import pytest
from django.test import Client

from tests.ui.seed import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(collection, users):
    return build(collection, users["owner"])


def web(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def region(seed, users):
    from inscription.services.annotations import create_annotation

    return create_annotation(users["curator"], {
        "motivation": "describing", "body": [{"type": "TextualBody", "value": "A stain", "purpose": "describing"}],
        "target": [{"source": f"page:{seed.page.pk}", "selector": [{"type": "FragmentSelector", "value": "xywh=10,20,120,40"}]}],
    })


def test_regions_are_thumbnails_not_xywh(seed, users):
    ann = region(seed, users)
    html = web(users["viewer"]).get(f"/p/{seed.page.pk}/").content.decode()
    item = html[html.index(f'id="ann-{ann.pk}"'):]
    item = item[:item.index("</li>")]
    assert 'viewBox="10 20 120 40"' in item and "xywh" not in item
    assert "Region 120×40 px at 10, 20" in item
    assert "Edit or delete" not in item  # a viewer has no edit controls


def test_edit_makes_a_new_version_and_delete_withdraws(seed, users):
    from inscription.models import Annotation, AnnotationVersion

    ann = region(seed, users)
    curator = web(users["curator"])
    r = curator.post(f"/a/{ann.pk}/edit/", {"motivation": "questioning", "comment": "A stain, or a date?", "tags": "stain"},
                     HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "A stain, or a date?" in r.content.decode() and "annotation-edited" in r["HX-Trigger"]
    ann.refresh_from_db()
    assert ann.motivation == "questioning" and ann.version == 2
    assert ann.target[0]["selector"][0]["value"] == "xywh=10,20,120,40"  # the target stays
    assert [b.get("value") for b in ann.body] == ["A stain, or a date?", "stain"]
    r = curator.post(f"/a/{ann.pk}/edit/", {"motivation": "commenting", "comment": "", "tags": ""})
    assert r.status_code == 400 and Annotation.objects.get(pk=ann.pk).version == 2
    r = curator.post(f"/a/{ann.pk}/delete/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and f'id="ann-{ann.pk}"' not in r.content.decode()
    ann.refresh_from_db()
    assert ann.withdrawn and ann.version == 3
    assert list(AnnotationVersion.objects.filter(annotation=ann).values_list("action", flat=True).order_by("version")) == \
        ["create", "edit", "withdraw"]
    assert curator.post(f"/a/{ann.pk}/delete/").status_code == 409


def test_only_writers_edit_or_delete(seed, users):
    from inscription.models import Annotation

    ann = region(seed, users)
    assert web(users["viewer"]).post(f"/a/{ann.pk}/delete/").status_code == 403
    assert web(users["viewer"]).post(f"/a/{ann.pk}/edit/", {"comment": "x"}).status_code == 403
    assert web(users["stranger"]).post(f"/a/{ann.pk}/delete/").status_code == 404
    assert not Annotation.objects.get(pk=ann.pk).withdrawn


def test_workspace_has_a_skip_link_to_the_first_line(seed, users):
    html = web(users["viewer"]).get(f"/p/{seed.page.pk}/").content.decode()
    first = seed.page.lines.order_by("order").first()
    assert f'<a class="skip-link" href="#line-{first.pk}">Skip to the first line</a>' in html
    assert html.index("Skip to the first line") < html.index('class="site-header"')
