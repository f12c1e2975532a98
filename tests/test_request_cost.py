"""Per-request work that bench/request_cost.py found expensive and that must not come back.

Timings are the bench's business (bench/request_cost.py, bench/load.py); these tests check the
mechanisms: a request reuses its thread's database connection, and a ModelSerializer's fields are
built once per class yet never shared between two serializers.
"""
from __future__ import annotations

from unittest import mock

import pytest
from django.db import close_old_connections, connection
from rest_framework import serializers


@pytest.mark.django_db(transaction=True)
def test_the_database_connection_outlives_a_request():
    """Django closes the connection at request start and end unless CONN_MAX_AGE keeps it (SQLite had 0: 4.5 ms a request)."""
    connection.close()  # a fresh connection: one opened by an earlier test may be past its CONN_MAX_AGE
    connection.ensure_connection()
    raw = connection.connection
    close_old_connections()  # what request_started and request_finished do
    assert connection.connection is raw


def test_connections_persist_on_both_databases(settings):
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == settings.DB_CONN_MAX_AGE > 0


def _job_serializers():
    from inscription.api.serializers import JobSerializer

    class Uncached(serializers.ModelSerializer):
        """The same fields without the cache, to compare against."""

        requested_by = serializers.StringRelatedField(allow_null=True)
        progress_percent = serializers.IntegerField(read_only=True)
        url = serializers.SerializerMethodField()
        children = serializers.SerializerMethodField()
        download = serializers.SerializerMethodField()
        get_url = JobSerializer.get_url
        get_children = JobSerializer.get_children
        get_download = JobSerializer.get_download

        class Meta(JobSerializer.Meta):
            pass

    return JobSerializer, Uncached


def test_model_serializer_fields_are_built_once_per_class():
    from inscription.api.serializers import InscriptionSerializer, JobSerializer

    JobSerializer().fields  # noqa: B018 - builds (or already built) the prototypes
    InscriptionSerializer().fields["model_version"].fields  # noqa: B018
    rebuilt = AssertionError("fields rebuilt")
    with mock.patch.object(serializers.ModelSerializer, "build_field", side_effect=rebuilt) as build, \
         mock.patch.object(serializers.ModelSerializer, "get_uniqueness_extra_kwargs", side_effect=rebuilt) as uniqueness:
        first, second = JobSerializer(), JobSerializer()
        assert set(first.fields) == set(JobSerializer.Meta.fields)
        assert set(second.fields) == set(JobSerializer.Meta.fields)
        InscriptionSerializer().fields["model_version"].fields  # noqa: B018 - the nested brief serializer too
    assert build.call_count == 0 and uniqueness.call_count == 0
    # Fresh copies, each bound to its own serializer (a shared field would carry another request's context).
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second


def test_a_subclass_has_its_own_fields():
    from archive.api.serializers import DocumentSerializer, DocumentUpdateSerializer

    assert DocumentSerializer().fields["collection"].read_only is False
    assert DocumentUpdateSerializer().fields["collection"].read_only is True
    assert DocumentUpdateSerializer().fields["kind"].read_only is True
    assert DocumentSerializer().fields["kind"].read_only is False


@pytest.mark.django_db
def test_cached_fields_represent_a_row_as_uncached_ones_do(users, collection, rf):
    from jobs.models import Job

    job = Job.objects.create(kind="transcribe", collection=collection, requested_by=users["curator"],
                             parameters={"model": 1}, result={"pages": [1, 2]})
    request = rf.get("/api/v1/jobs/")
    cached, uncached = _job_serializers()
    assert cached(job, context={"request": request}).data == uncached(job, context={"request": request}).data


@pytest.mark.django_db
def test_no_filterset_is_built_for_a_request_without_parameters(client_for, collection, users):
    """django-filter cost 1.5 ms a request even with nothing to filter; with no parameter the FilterSet is skipped."""
    from inscription.api.views_jobs import JobFilter
    from jobs.models import Job

    queued = Job.objects.create(kind="transcribe", collection=collection, requested_by=users["curator"])
    Job.objects.create(kind="transcribe", collection=collection, requested_by=users["curator"], state="failed")
    client = client_for("viewer")
    with mock.patch.object(JobFilter, "__init__", side_effect=AssertionError("FilterSet built")):
        assert client.get("/api/v1/jobs/").json()["count"] == 2
        assert client.get(f"/api/v1/jobs/{queued.pk}/").status_code == 200
    # With a parameter the FilterSet runs as before: it filters, and a bad value is still a 400.
    assert [j["id"] for j in client.get("/api/v1/jobs/?state=queued").json()["results"]] == [queued.pk]
    assert client.get(f"/api/v1/jobs/{queued.pk}/?state=failed").status_code == 404
    assert client.get("/api/v1/jobs/?state=nonsense").status_code == 400


def test_a_filterset_that_filters_by_default_always_runs(rf):
    """Annotations and reflections hide withdrawn rows unless asked, in their FilterSet: never skipped."""
    from rest_framework.request import Request

    from inscription.api.annotations import AnnotationFilter
    from inscription.models import Annotation
    from palimpsest.filter_backend import FilterBackend

    view = mock.Mock(filterset_class=AnnotationFilter, spec=["filterset_class"])
    queryset = Annotation.objects.all()
    with mock.patch("django_filters.rest_framework.DjangoFilterBackend.filter_queryset", return_value="filtered") as run:
        assert FilterBackend().filter_queryset(Request(rf.get("/api/v1/annotations/")), queryset, view) == "filtered"
    assert run.call_count == 1


def _gunicorn_settings(monkeypatch, **env) -> dict:
    import runpy

    from tests.conftest import REPO

    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_the_web_server_runs_sync_workers_one_more_than_the_cores(monkeypatch):
    """CPU-bound requests: one queue for all (sync workers), not threads taking turns on a GIL with
    keep-alive connections pinned to one worker (2 x 4 threads: p95 1.6 s where sync workers had 0.9 s)."""
    import os

    settings = _gunicorn_settings(monkeypatch)
    assert (settings["workers"], settings["threads"], settings["timeout"]) == ((os.cpu_count() or 1) + 1, 1, 120)
    settings = _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="6", WEB_THREADS="2")
    assert (settings["workers"], settings["threads"]) == (6, 2)


def test_make_web_and_the_load_bench_share_the_web_server_settings():
    """bench/load.py measures what `make web` (and `make run`) serve: both read gunicorn.conf.py, neither overrides it."""
    from tests.conftest import REPO

    starts = {"Makefile": (REPO / "Makefile").read_text(), "scripts/run.sh": (REPO / "scripts/run.sh").read_text(),
              "bench/load.py": (REPO / "bench/load.py").read_text()}
    for name, text in starts.items():
        line = next(ln for ln in text.splitlines() if "palimpsest.wsgi:application" in ln)
        assert "gunicorn.conf.py" in line and "--workers" not in line and "--threads" not in line, (name, line)


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_the_next_request(users, collection):
    """Nothing about authentication is cached between requests: a deleted token stops working at once."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=users["viewer"])
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/jobs/").status_code == 200
    assert client.get("/api/v1/collections/").json()["count"] == 1
    token.delete()
    assert client.get("/api/v1/jobs/").status_code in (401, 403)  # 403: session auth comes first
