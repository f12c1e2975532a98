"""Choosing a collection's default recognizer goes through the collections service."""
import pytest
from django.utils import timezone

from archive.services.collections import set_default_model
from jobs.models import ModelVersion
from palimpsest.errors import InputError


def model(task: str, name: str) -> ModelVersion:
    return ModelVersion.objects.create(name=name, version="1", task=task, path="", sha256="b" * 64, created_at=timezone.now())


def test_an_htr_model_becomes_the_default_and_can_be_cleared(collection, users):
    htr = model("htr", "htr-x")
    set_default_model(collection, htr, users["owner"])
    collection.refresh_from_db()
    assert collection.default_model_id == htr.pk
    set_default_model(collection, None, users["owner"])
    collection.refresh_from_db()
    assert collection.default_model_id is None


def test_a_summariser_is_refused_and_nothing_changes(collection, users):
    htr = model("htr", "htr-x")
    set_default_model(collection, htr, users["owner"])
    with pytest.raises(InputError, match="handwriting recognition"):
        set_default_model(collection, model("summarise", "sum-x"), users["owner"])
    collection.refresh_from_db()
    assert collection.default_model_id == htr.pk
