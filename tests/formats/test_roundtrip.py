"""Collection archive: export → restore into an emptied database → export again gives the same archive."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command

ID_IN_URL = re.compile(r"/(documents|pages|annotations|inscriptions|lines|collections|reflections|canvas|drift|traces)/\d+")
ID_IN_JSON = re.compile(r'"(document|inscription|layer|page|line)(_id)?": "?\d+"?')
LENS = ("/drift/", "/traces/")  # derived files of the memory lens (docs/memory-lens.md), not restore data


def _normalise(text: str) -> str:
    return ID_IN_JSON.sub(lambda m: f'"{m.group(1)}{m.group(2) or ""}": N', ID_IN_URL.sub(lambda m: f"/{m.group(1)}/N", text))


def read_zip(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def history_counts() -> dict[str, int]:
    from archive.models import Document, Line, Page
    from inscription.models import Annotation, AnnotationVersion, Citation, Inscription, Layer, Reflection, ReflectionVersion

    return {m.__name__: m.objects.count() for m in (Document, Page, Line, Layer, Inscription, Annotation, AnnotationVersion,
                                                     Reflection, ReflectionVersion, Citation)}


@pytest.mark.django_db(transaction=True)
def test_export_restore_export_is_identical(annotated_document, tmp_path, django_user_model):
    from inscription.models import Inscription

    first = tmp_path / "first.zip"
    call_command("export_collection", "letters", str(first), "--base-url", "http://archive.example")
    before = history_counts()
    assert before["Inscription"] == 18  # 6 machine + 6 ground truth v1 + 2 accent fixes + 2 × (edit + restore)
    first_files = read_zip(first)
    manifest = json.loads(first_files["manifest.json"])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == set(first_files) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(first_files[name]).hexdigest() == digest
    assert {n.split("/")[0] for n in listed} == {"images", "documents", "reflections", "collection.iiif.json"}

    call_command("flush", "--noinput")
    assert Inscription.objects.count() == 0
    django_user_model.objects.create_superuser("restorer", "r@example.org", "pw-12345678")
    out = io.StringIO()
    call_command("import_collection", str(first), stdout=out)
    assert "Restored collection 'letters'" in out.getvalue()
    assert "Created inactive accounts for: owner, curator" in out.getvalue()
    assert history_counts() == before

    second = tmp_path / "second.zip"
    call_command("export_collection", "letters", str(second), "--base-url", "http://archive.example")
    second_files = read_zip(second)
    assert {_normalise(n) for n in second_files} == {_normalise(n) for n in first_files}
    by_normal_name = {_normalise(n): n for n in second_files}
    manifest2 = json.loads(second_files["manifest.json"])
    # The restore data has no database ids and restored timestamps: identical.
    assert manifest2["archive"] == manifest["archive"]
    for name in listed:
        again = second_files[by_normal_name[_normalise(name)]]
        if name.endswith((".json", ".jsonld")):
            assert _normalise(again.decode()) == _normalise(first_files[name].decode()), name
        else:  # images, ALTO, PAGE, text, reflections: byte for byte
            assert again == first_files[name], name

    # History survived: the supersedes chain and the restored version of line 3.
    restored = Inscription.objects.filter(layer__kind="ground_truth", line__order=2, page__order=0).order_by("version")
    assert [(i.version, i.action) for i in restored] == [(1, "write"), (2, "edit"), (3, "restore")]
    assert restored.last().restored_from_id == restored.first().pk
    assert restored.last().supersedes_id == restored[1].pk
    assert restored.last().created_by.username == "curator" and not restored.last().created_by.is_active


def test_every_file_in_the_archive_validates(annotated_document, tmp_path):
    from exchange.formats import xmlsafe
    from exchange.formats.archive_export import export_collection
    from inscription.annotations.w3c import failed_assertions
    from tests.formats.test_iiif_export import assert_valid_iiif

    path = tmp_path / "a.zip"
    figures = export_collection(annotated_document.collection, path, "http://archive.example")
    files = read_zip(path)
    assert figures["files"] == len(files)
    mine = [n for n in files if not any(part in n for part in LENS)]
    assert len(mine) == 12  # 2 images, IIIF, ALTO, 2 PAGE, METS, text, annotations, collection, reflection, manifest
    assert "documents/d1/drift/d1.json" in files  # the memory lens adds its drift timeline under the document
    assert xmlsafe.validation_errors("alto", files["documents/d1/alto.xml"]) == []
    for name in ("documents/d1/page/0001.xml", "documents/d1/page/0002.xml"):
        assert xmlsafe.validation_errors("page", files[name]) == []
    assert_valid_iiif(json.loads(files["documents/d1/iiif-manifest.json"]))
    assert_valid_iiif(json.loads(files["collection.iiif.json"]))
    page = json.loads(files["documents/d1/annotations.jsonld"])
    assert len(page["items"]) == 2 and failed_assertions(page, "AnnotationPage") == []
    for item in page["items"]:
        assert failed_assertions({"@context": "http://www.w3.org/ns/anno.jsonld", **item}, "Annotation") == []
    reflection = files["reflections/f1.md"].decode()
    assert reflection.startswith("---\ntitle: \"On accents\"\nauthor: curator\nversion: 2")
    assert "[@annotation:a2], see [@document:d1]" in reflection
    data = json.loads(files["manifest.json"])["archive"]
    history = [(v["version"], v["action"], v["created_by"]) for v in data["reflections"][0]["versions"]]
    assert history == [(1, "write", "curator"), (2, "edit", "owner")]
    assert [len(a["versions"]) for d in data["documents"] for a in d["annotations"]] == [2, 1]
    assert data["models"][0]["sha256"] == "ab" * 32 and data["users"] == ["curator", "owner"]
