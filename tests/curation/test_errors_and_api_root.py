"""The project's own error pages whatever DEBUG is, the API root, and an OpenAPI schema without warnings."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("secret internals")


urlpatterns = []  # filled below (a URLconf for the 500 test)


@pytest.mark.parametrize("debug", [True, False])
def test_a_missing_url_gives_the_projects_404_never_the_url_patterns(debug, settings):
    settings.DEBUG = debug
    r = Client().get("/no/such/place/")
    body = r.content.decode()
    assert r.status_code == 404
    assert "Not found" in body and "Palimpsest" in body
    assert "URL patterns" not in body and "urlpatterns" not in body and "api/v1/" not in body


@pytest.mark.parametrize("debug", [True, False])
def test_a_crash_gives_the_projects_500_without_internals(debug, settings):
    from django.urls import path

    import tests.curation.test_errors_and_api_root as me

    me.urlpatterns[:] = [path("boom/", boom)]
    settings.DEBUG = debug
    with override_settings(ROOT_URLCONF="tests.curation.test_errors_and_api_root"):
        r = Client(raise_request_exception=False).get("/boom/")
    assert r.status_code == 500
    body = r.content.decode()
    assert "Something went wrong on the server" in body and "secret internals" not in body and "Traceback" not in body


def test_unknown_api_urls_answer_in_the_api_error_shape(settings):
    settings.DEBUG = True
    r = Client().get("/api/v1/no-such-resource/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_api_root_lists_the_resources(client_for, users):
    r = client_for("anonymous").get("/api/v1/")
    assert r.status_code == 200
    body = r.json()
    assert body["resources"]["collection"].endswith("/api/v1/collections/")
    assert {"document", "page", "job", "annotation"} <= set(body["resources"])
    assert body["schema"].endswith("/api/schema/")


def test_openapi_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/collections/{slug}/batch/" in (tmp_path / "schema.yml").read_text()


def test_every_operation_documents_the_web_servers_414(client_for):
    """Found by bench/fuzz.sh: a generated query string past gunicorn's 4,094-byte request line got a 414 that the
    schema did not list. It is the web server's answer (not the API's error shape), documented without a body."""
    schema = client_for("anonymous").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations and all("414" in op["responses"] for op in operations)
    assert all("content" not in op["responses"]["414"] for op in operations)
