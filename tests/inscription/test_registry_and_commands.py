"""sync_models (model store → ModelVersion rows, idempotent, with lineage) and the run_job command."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jobs.models import Job, ModelVersion


def write_model(folder, name, version, parent=None, metrics=None):
    """A model directory as models_ml writes it: weights + card carrying their sha256."""
    import torch

    from models_ml import registry

    card = {"name": name, "version": version, "task": "htr", "architecture": {"config": {"height": 32}},
            "charset": "abc", "metrics": metrics or {}, "licence": "Apache-2.0", "parent": parent,
            "created_at": "2026-11-01T10:00:00Z"}
    return registry.save_model_dir(folder / f"{name}-{version}", {"w": torch.full((4,), float(len(version)))}, card)


def test_sync_models_upserts_cards_links_parents_and_is_idempotent(db, tmp_path, settings):
    settings.MODEL_STORE = tmp_path / "store"
    base = write_model(settings.MODEL_STORE, "htr-base", "1.0", metrics={"val_cer": 0.1})
    write_model(settings.MODEL_STORE, "htr-base-ft", "1.0.1",
                parent={"name": "htr-base", "version": "1.0", "sha256": base["sha256"]}, metrics={"val_cer": 0.05})
    out = StringIO()
    call_command("sync_models", "--store", str(settings.MODEL_STORE), stdout=out)
    assert "2 model(s)" in out.getvalue()
    child = ModelVersion.objects.get(name="htr-base-ft")
    assert child.parent.sha256 == base["sha256"] and child.metrics == {"val_cer": 0.05}
    assert child.card["name"] == "htr-base-ft" and child.charset == "abc" and child.licence == "Apache-2.0"
    rows = set(ModelVersion.objects.values_list("pk", "sha256"))
    call_command("sync_models", "--store", str(settings.MODEL_STORE), stdout=StringIO())
    assert set(ModelVersion.objects.values_list("pk", "sha256")) == rows


def test_sync_models_reads_the_shipped_store_and_model_store(db, tmp_path, settings):
    from models_ml import registry

    settings.MODEL_STORE = tmp_path / "store"
    write_model(settings.MODEL_STORE, "htr-local", "2.0")
    call_command("sync_models", stdout=StringIO())
    shipped = {c["sha256"] for c in registry.list_models()}
    assert shipped | {ModelVersion.objects.get(name="htr-local").sha256} == set(ModelVersion.objects.values_list("sha256", flat=True))


def test_run_job_command_queues_a_job(collection, django_capture_on_commit_callbacks):
    from archive.models import Document

    document = Document.objects.create(collection=collection, title="Letter")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("run_job", "transcribe", "--collection", "letters", "--document", str(document.pk),
                     "--param", "decoder=beam", "--param", "batch_size=8", stdout=out)
    job = Job.objects.get()
    assert job.document == document and job.parameters["decoder"] == "beam" and job.parameters["batch_size"] == 8
    assert f"job {job.pk} queued" in out.getvalue() and len(callbacks) == 1


@pytest.mark.parametrize("args", [
    ["transcribe", "--collection", "nope"],
    ["transcribe", "--collection", "letters", "--document", "999999"],
    ["transcribe", "--collection", "letters", "--param", "decoder=viterbi"],
    ["transcribe", "--collection", "letters", "--param", "novalue"],
])
def test_run_job_command_refuses_bad_input(collection, args):
    with pytest.raises(CommandError):
        call_command("run_job", *args, stdout=StringIO())
    assert Job.objects.count() == 0
