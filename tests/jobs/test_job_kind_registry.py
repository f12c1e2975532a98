"""A job kind added in this file only: registering it makes it route, validate and run through a REAL worker.

No other file names the kind "wordcount" or its task: the registry (jobs.kinds) is the one table
that routing, validation, the API and the web form read. The worker imports this module
(``celery worker -I``) as it would import an app's task module.
"""
from __future__ import annotations

import pytest

from jobs import kinds
from jobs.kinds import JobKindSpec, ParamCheck
from jobs.runner import JobRun, job_task
from palimpsest.errors import InputError
from tests.jobs.conftest import final_job

TASK = "tests.jobs.test_job_kind_registry.count_words"


@job_task(name=TASK, device="cpu")
def count_words(run: JobRun) -> dict:
    """Count the words of the job's document title, ``times`` times (a stand-in for real work)."""
    words = run.job.document.title.split()
    run.progress(0, total=run.params["times"], message="counting")
    for done in range(1, run.params["times"] + 1):
        run.check_cancelled()
        run.progress(done)
    return {"words": len(words) * run.params["times"]}


def clean_wordcount(check: ParamCheck) -> dict:
    times = check.params.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 10:
        raise InputError("'times' must be an integer from 1 to 10.", code="bad_parameters")
    return {"times": times}


@pytest.fixture
def wordcount(db):
    spec = kinds.register(JobKindSpec("wordcount", "Word count", TASK, "io", target="document", clean=clean_wordcount,
                                      form_fields=("times",)))
    yield spec
    kinds.unregister(spec.name)


def test_a_registered_kind_is_routed_to_its_queue(wordcount) -> None:
    from palimpsest.celery import app

    assert app.amqp.router.route({}, TASK)["queue"].name == "io"
    kinds.register(JobKindSpec("wordcount", "Word count", TASK, "gpu", target="document"), replace=True)
    assert app.amqp.router.route({}, TASK)["queue"].name == "gpu"
    kinds.unregister("wordcount")
    assert app.amqp.router.route({}, TASK)["queue"].name == "io"  # no kind's task: the default queue


def test_a_registered_kind_validates_and_stores_nothing_on_bad_input(wordcount, collection, scan_document, client_for) -> None:
    from jobs.models import Job
    from jobs.services.jobs import create_job

    with pytest.raises(InputError) as bad:
        create_job("wordcount", collection, document=scan_document, params={"times": 0})
    assert bad.value.code == "bad_parameters"
    with pytest.raises(InputError) as untargeted:
        create_job("wordcount", collection, params={"times": 2})
    assert untargeted.value.code == "bad_target"
    assert not Job.objects.filter(kind="wordcount").exists()

    api = client_for("curator")
    refused = api.post("/api/v1/jobs/", {"kind": "wordcount", "collection": collection.slug, "document": scan_document.pk,
                                         "parameters": {"times": 11}}, format="json")
    assert refused.status_code == 400, refused.content
    assert not Job.objects.filter(kind="wordcount").exists()
    kinds.unregister("wordcount")
    unknown = api.post("/api/v1/jobs/", {"kind": "wordcount", "collection": collection.slug, "document": scan_document.pk},
                       format="json")
    assert unknown.status_code == 400 and "kind" in unknown.json()["error"]["detail"], unknown.content


@pytest.mark.jobs
@pytest.mark.django_db(transaction=True)
def test_a_registered_kind_runs_through_a_real_worker(wordcount, start_worker, collection, scan_document, client_for) -> None:
    worker = start_worker(include=(__name__,))
    api = client_for("curator")
    response = api.post("/api/v1/jobs/", {"kind": "wordcount", "collection": collection.slug, "document": scan_document.pk,
                                          "parameters": {"times": 3}}, format="json")
    assert response.status_code == 202, response.content
    job = final_job(response.json()["id"], worker)
    assert job.state == "succeeded", job.error or worker.output()[-3000:]
    assert job.task_name == TASK and job.get_kind_display() == "Word count"
    assert job.result == {"words": 3 * len(scan_document.title.split())}
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert "tests.jobs.test_job_kind_registry.count_words" in worker.output()


def test_a_registered_kind_gets_the_document_pages_generic_form(wordcount, collection, scan_document, users) -> None:
    """No template names "wordcount": the page draws its form from the registry, and the form starts the job."""
    from django.test import Client

    from jobs.models import Job

    web = Client()
    web.force_login(users["curator"])
    page = web.get(f"/d/{scan_document.pk}/").content.decode()
    assert 'name="kind" value="wordcount"' in page and 'name="times"' in page and "Word count</button>" in page
    assert 'name="kind" value="transcribe"' in page and page.count('value="transcribe"') == 1  # its own form only

    refused = web.post(f"/d/{scan_document.pk}/jobs/", {"kind": "wordcount", "times": "11"}, follow=True)
    assert "must be an integer from 1 to 10" in refused.content.decode()
    assert not Job.objects.filter(kind="wordcount").exists()
    web.post(f"/d/{scan_document.pk}/jobs/", {"kind": "wordcount", "times": "3"})
    assert Job.objects.get(kind="wordcount").parameters == {"times": 3}
    kinds.unregister("wordcount")
    assert 'value="wordcount"' not in web.get(f"/d/{scan_document.pk}/").content.decode()
