"""Annotations at the service level: W3C JSON-LD conformance of every kind, versions, re-anchoring."""
from __future__ import annotations

import pytest

from inscription.annotations.jsonld import (
    ANNO_CONTEXT,
    annotation_to_jsonld,
    collection_to_jsonld,
    jsonld_to_annotation_data,
    page_to_jsonld,
)
from inscription.annotations.selectors import FRAMES, MEDIA_FRAGS
from inscription.annotations.w3c import failed_assertions, format_checks_enforced
from palimpsest.errors import InputError
from tests.inscription.helpers import fake_model_version

BASE = "http://testserver"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The shared ``users`` fixture hashes five passwords; a fast hasher keeps these tests quick on a busy machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def machine_layer(document):
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer

    return get_or_create_layer(document, "htr-test 1.0 (greedy)", LayerKind.MACHINE, model_version=fake_model_version())


def machine_line(layer, line, text: str):
    """A machine reading with one CTC frame pair per character (frames 2i..2i+1)."""
    from inscription.services.inscriptions import create_inscription

    return create_inscription(layer=layer, line=line, text=text, model_version=layer.model_version,
                              char_frames=[[2 * i, 2 * i + 1] for i in range(len(text))])


def correct(inscription, text: str, user):
    """A human correction: a new version in the same layer that supersedes the machine one."""
    from inscription.services.inscriptions import create_inscription

    return create_inscription(layer=inscription.layer, line=inscription.line, text=text, user=user)


def span(inscription, start: int, end: int, body: str = "note", motivation: str = "commenting") -> dict:
    return {"motivation": motivation, "body": [{"type": "TextualBody", "value": body}],
            "target": [{"source": f"inscription:{inscription.pk}",
                        "selector": [{"type": "TextPositionSelector", "start": start, "end": end}]}]}


def selectors_of(annotation) -> dict:
    return {s["type"]: s for s in annotation.target[0]["selector"]}


def test_format_checks_are_enforced():
    assert format_checks_enforced(), "rfc3339-validator and rfc3986-validator must be installed"


def test_every_selector_and_body_kind_conforms_to_the_w3c_musts(users, document, page, lines, machine_layer):
    from inscription.models import Reflection
    from inscription.services.annotations import create_annotation

    curator = users["curator"]
    ins = machine_line(machine_layer, lines[0], "Dear Anna, the war is over")
    reflection = Reflection.objects.create(collection=document.collection, title="On war", body="", created_by=curator)
    comment = {"type": "TextualBody", "value": "A *hopeful* line", "format": "text/markdown", "language": "en",
               "purpose": "commenting"}
    cases = {
        "text span + comment": {"motivation": "commenting", "body": [comment], "target": [
            {"source": f"inscription:{ins.pk}", "selector": [{"type": "TextQuoteSelector", "exact": "the war"}]}]},
        "frame range + question": {"motivation": "questioning", "body": [{"type": "TextualBody", "value": "why?"}], "target": [
            {"source": f"inscription:{ins.pk}", "selector": [{"type": "FragmentSelector", "conformsTo": FRAMES, "value": "frames=4,12"}]}]},
        "page region xywh + tag": {"motivation": "tagging", "body": [{"type": "TextualBody", "value": "stamp", "purpose": "tagging"}],
                                   "target": [{"source": f"page:{page.pk}", "selector": [
                                       {"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": "xywh=10,20,30,40"}]}]},
        "page polygon svg + authority link": {"motivation": "identifying", "body": [
            {"type": "Link", "source": "https://viaf.org/viaf/12345", "purpose": "identifying"}], "target": [
            {"source": f"page:{page.pk}", "selector": [{"type": "SvgSelector", "value":
                '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="1,1 100,1 100,50"/></svg>'}]}]},
        "whole line + link to document": {"motivation": "linking", "body": [{"type": "Link", "source": f"document:{document.pk}"}],
                                          "target": [{"source": f"line:{lines[1].pk}"}]},
        "whole document + several bodies": {"motivation": "describing", "body": [
            comment, {"type": "TextualBody", "value": "letters", "purpose": "tagging"},
            {"type": "Link", "source": f"reflection:{reflection.pk}", "purpose": "linking"}],
            "target": [{"source": f"document:{document.pk}"}]},
        "assessing, no body, whole inscription": {"motivation": "assessing", "target": [{"source": f"inscription:{ins.pk}"}]},
    }
    seen_selectors, seen_bodies = set(), set()
    for name, data in cases.items():
        annotation = create_annotation(curator, data)
        doc = annotation_to_jsonld(annotation, BASE)
        assert failed_assertions(doc, "Annotation") == [], name
        assert doc["@context"] == ANNO_CONTEXT and doc["id"] == f"{BASE}/api/v1/annotations/{annotation.pk}/"
        for target in doc["target"] if isinstance(doc["target"], list) else [doc["target"]]:
            if isinstance(target, dict):
                for s in target["selector"] if isinstance(target["selector"], list) else [target["selector"]]:
                    seen_selectors.add(s["type"] + (":" + s["value"].split("=")[0] if s["type"] == "FragmentSelector" else ""))
        bodies = doc.get("body", [])
        for body in bodies if isinstance(bodies, list) else [bodies]:
            seen_bodies.add(body["type"] + ":" + body.get("purpose", ""))
        # and back: JSON-LD maps to the same platform JSON
        assert jsonld_to_annotation_data(doc, BASE)["target"] == annotation.target, name
    assert seen_selectors == {"TextQuoteSelector", "TextPositionSelector", "FragmentSelector:frames", "FragmentSelector:xywh",
                              "SvgSelector"}
    assert {"TextualBody:commenting", "TextualBody:tagging", "SpecificResource:identifying", "SpecificResource:linking",
            "SpecificResource:"} <= seen_bodies


def test_a_broken_annotation_fails_the_musts():
    """The validator is real: a wrong context, a bad date and a missing target are each caught."""
    good = {"@context": ANNO_CONTEXT, "id": "http://x.org/a/1", "type": "Annotation", "target": "http://x.org/d/1"}
    assert failed_assertions(good) == []
    assert failed_assertions(good | {"@context": "http://example.org/ctx"})
    assert failed_assertions(good | {"created": "yesterday"})
    assert failed_assertions({k: v for k, v in good.items() if k != "target"})


def test_collection_and_page_conform(users, document, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    ins = machine_line(machine_layer, lines[0], "one two three")
    annotations = [create_annotation(users["curator"], span(ins, 0, 3)), create_annotation(users["owner"], span(ins, 4, 7))]
    coll_iri = f"{BASE}/api/v1/annotation-collections/{document.pk}/"
    collection = collection_to_jsonld(coll_iri, "Annotations", 2, 1)
    assert failed_assertions(collection, "AnnotationCollection") == []
    page = page_to_jsonld(coll_iri, "Annotations", 2, 1, 1, [annotation_to_jsonld(annotations[0], BASE, with_context=False)])
    assert failed_assertions(page, "AnnotationPage") == []
    assert page["partOf"]["total"] == 2 and page["next"].endswith("?page=2") and "prev" not in page
    assert failed_assertions(collection | {"total": -1}, "AnnotationCollection")


def test_selectors_are_normalised(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    ins = machine_line(machine_layer, lines[0], "abc hello world hello")
    by_quote = create_annotation(users["curator"], {"target": [{"source": f"inscription:{ins.pk}", "selector": [
        {"type": "TextQuoteSelector", "exact": "hello", "prefix": "world "}]}]})
    assert selectors_of(by_quote)["TextPositionSelector"] == {"type": "TextPositionSelector", "start": 16, "end": 21}
    by_position = create_annotation(users["curator"], span(ins, 4, 9))
    assert selectors_of(by_position)["TextQuoteSelector"] == {"type": "TextQuoteSelector", "exact": "hello", "prefix": "abc ",
                                                              "suffix": " world hello"}
    assert by_position.motivation == "commenting" and by_quote.body == []


@pytest.mark.parametrize("selector, message", [
    ({"type": "TextPositionSelector", "start": 5, "end": 99}, "outside the text"),
    ({"type": "TextPositionSelector", "start": 4, "end": 4}, "outside the text"),
    ({"type": "TextQuoteSelector", "exact": "absent"}, "does not occur"),
    ({"type": "FragmentSelector", "conformsTo": FRAMES, "value": "frames=0,999"}, "outside the reading"),
    ({"type": "FragmentSelector", "conformsTo": FRAMES, "value": "frames=5,2"}, "a < b"),
])
def test_text_selectors_outside_the_inscription_are_rejected(users, lines, machine_layer, selector, message):
    from inscription.models import Annotation
    from inscription.services.annotations import create_annotation

    ins = machine_line(machine_layer, lines[0], "short text")
    with pytest.raises(InputError) as err:
        create_annotation(users["curator"], {"target": [{"source": f"inscription:{ins.pk}", "selector": [selector]}]})
    assert message in err.value.message and "target[0].selector" in err.value.message
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("selector, message", [
    ({"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": "xywh=390,0,20,10"}, "outside the image"),
    ({"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": "xywh=percent:50,50,60,10"}, "outside the image"),
    ({"type": "FragmentSelector", "value": "xywh=a,b,c,d"}, "xywh=x,y,w,h"),
    ({"type": "SvgSelector", "value": '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="0,0 500,0 10,10"/></svg>'},
     "outside the image"),
    ({"type": "SvgSelector", "value": '<svg><script>alert(1)</script></svg>'}, "not <script>"),
    ({"type": "SvgSelector", "value": "<svg><polygon"}, "not well-formed"),
])
def test_regions_outside_the_image_are_rejected(users, page, selector, message):
    from inscription.services.annotations import create_annotation

    with pytest.raises(InputError) as err:
        create_annotation(users["curator"], {"target": [{"source": f"page:{page.pk}", "selector": [selector]}]})
    assert message in err.value.message


def test_svg_is_reserialised_with_geometry_only(users, page):
    from inscription.services.annotations import create_annotation

    svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><g><rect x="1" y="2" width="3" height="4" onclick="y()"/></g></svg>'
    annotation = create_annotation(users["curator"], {"target": [{"source": f"page:{page.pk}", "selector": [
        {"type": "SvgSelector", "value": svg}]}]})
    stored = annotation.target[0]["selector"][0]["value"]
    assert stored == '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="1,2 4,2 4,6 1,6"/></svg>'


def test_unknown_motivation_and_targets_in_two_documents(users, collection, lines, machine_layer):
    from archive.models import Document
    from inscription.services.annotations import create_annotation

    ins = machine_line(machine_layer, lines[0], "text")
    with pytest.raises(InputError) as err:
        create_annotation(users["curator"], {"motivation": "praising", "target": [{"source": f"inscription:{ins.pk}"}]})
    assert "unknown motivation 'praising'" in err.value.message
    other = Document.objects.create(collection=collection, title="Other")
    with pytest.raises(InputError) as err:
        create_annotation(users["curator"], {"target": [{"source": f"inscription:{ins.pk}"}, {"source": f"document:{other.pk}"}]})
    assert "one document" in err.value.message


def test_edit_and_withdraw_keep_every_version(users, lines, machine_layer):
    from inscription.models import AnnotationVersion
    from inscription.services.annotations import create_annotation, edit_annotation, withdraw_annotation

    ins = machine_line(machine_layer, lines[0], "alpha beta gamma")
    annotation = create_annotation(users["curator"], span(ins, 0, 5, body="first"))
    annotation = edit_annotation(annotation, users["owner"], {"body": [{"type": "TextualBody", "value": "second"},
                                                                       {"type": "TextualBody", "value": "greek", "purpose": "tagging"}]})
    assert annotation.version == 2 and [t.name for t in annotation.tags.all()] == ["greek"]
    annotation = withdraw_annotation(annotation, users["curator"], reason="duplicate")
    versions = list(AnnotationVersion.objects.filter(annotation=annotation).order_by("version"))
    assert [(v.version, v.action, v.body[0]["value"]) for v in versions] == [
        (1, "create", "first"), (2, "edit", "second"), (3, "withdraw", "second")]
    assert versions[2].withdrawn and versions[2].note == {"reason": "duplicate"} and versions[1].created_by == users["owner"]
    with pytest.raises(InputError):
        edit_annotation(annotation, users["curator"], {"motivation": "tagging"})


# --- re-anchoring -----------------------------------------------------------------------------


def test_span_survives_a_correction_elsewhere_in_the_line(users, lines, machine_layer):
    from inscription.models import AnnotationVersion
    from inscription.services.annotations import create_annotation

    old = machine_line(machine_layer, lines[0], "Tbe qick brown fox jumps")
    annotation = create_annotation(users["curator"], span(old, 9, 18))  # "brown fox"
    assert selectors_of(annotation)["TextQuoteSelector"]["exact"] == "brown fox"
    new = correct(old, "The quick brown fox jumps", users["curator"])
    annotation.refresh_from_db()
    assert annotation.target[0]["source"] == f"inscription:{new.pk}"
    sel = selectors_of(annotation)
    assert sel["TextPositionSelector"] == {"type": "TextPositionSelector", "start": 10, "end": 19}
    assert new.text[10:19] == "brown fox" and sel["TextQuoteSelector"]["prefix"] == "The quick "
    assert not annotation.orphaned and list(annotation.inscriptions.all()) == [new]
    first, second = AnnotationVersion.objects.filter(annotation=annotation).order_by("version")
    assert second.action == "reanchor" and second.created_by is None
    assert second.note["targets"] == [{"method": "exact", "score": 100.0}] and second.note["from_inscription"] == old.pk
    assert first.target[0]["source"] == f"inscription:{old.pk}"  # history kept


def test_repeated_words_reanchor_by_context(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    old = machine_line(machine_layer, lines[0], "the cat and the dog")
    annotation = create_annotation(users["curator"], span(old, 12, 15))  # the second "the"
    correct(old, "Then the cat and the dog", users["curator"])
    annotation.refresh_from_db()
    assert selectors_of(annotation)["TextPositionSelector"] == {"type": "TextPositionSelector", "start": 17, "end": 20}


def test_a_quote_with_a_corrected_typo_reanchors_fuzzily(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    old = machine_line(machine_layer, lines[0], "the quick brwn fox")
    annotation = create_annotation(users["curator"], span(old, 10, 18))  # "brwn fox"
    new = correct(old, "the quick brown fox", users["curator"])
    annotation.refresh_from_db()
    sel = selectors_of(annotation)
    assert annotation.target[0]["source"] == f"inscription:{new.pk}" and not annotation.orphaned
    assert (sel["TextPositionSelector"]["start"], sel["TextPositionSelector"]["end"]) == (10, 19)
    assert sel["TextQuoteSelector"]["exact"] == "brown fox"
    assert annotation.versions.get(version=2).note["targets"][0]["method"] == "fuzzy"


def test_a_quote_corrected_away_is_orphaned_with_its_target_kept(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    old = machine_line(machine_layer, lines[0], "Meet me in Lonrdon soon")
    annotation = create_annotation(users["curator"], span(old, 11, 18))  # "Lonrdon"
    original = annotation.target
    correct(old, "Meet me in Paris soon", users["curator"])
    annotation.refresh_from_db()
    assert annotation.orphaned and annotation.target == original
    assert list(annotation.inscriptions.all()) == [old]
    version = annotation.versions.get(version=2)
    assert version.action == "orphan" and version.orphaned and version.note["targets"][0]["exact"] == "Lonrdon"


def test_withdrawn_text_orphans_and_frames_stay_on_their_reading(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation
    from inscription.services.inscriptions import withdraw_inscription

    old = machine_line(machine_layer, lines[0], "abcdef")
    quoted = create_annotation(users["curator"], span(old, 1, 3))
    frames = create_annotation(users["curator"], {"target": [{"source": f"inscription:{old.pk}", "selector": [
        {"type": "FragmentSelector", "conformsTo": FRAMES, "value": "frames=2,6"}]}]})
    withdraw_inscription(old, users["curator"], reason="illegible")
    quoted.refresh_from_db()
    frames.refresh_from_db()
    assert quoted.orphaned
    assert not frames.orphaned and frames.version == 1 and frames.target[0]["source"] == f"inscription:{old.pk}"


def test_other_lines_annotations_are_untouched(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation

    first = machine_line(machine_layer, lines[0], "first line")
    second = machine_line(machine_layer, lines[1], "second line")
    annotation = create_annotation(users["curator"], span(second, 0, 6))
    correct(first, "First line", users["curator"])
    annotation.refresh_from_db()
    assert annotation.version == 1 and annotation.target[0]["source"] == f"inscription:{second.pk}"


def test_a_machine_rereading_written_in_bulk_moves_annotations_of_annotated_lines_only(users, lines, machine_layer):
    from inscription.services.annotations import create_annotation
    from inscription.services.inscriptions import LineText, write_pages_lines

    page = lines[0].page
    old = [machine_line(machine_layer, ln, text) for ln, text in zip(lines, ["Tbe qick fox", "a dog", "a cat"], strict=True)]
    annotation = create_annotation(users["curator"], span(old[0], 4, 8))  # "qick"
    whole = create_annotation(users["curator"], {"motivation": "commenting", "body": [{"type": "TextualBody", "value": "x"}],
                                                "target": [{"source": f"inscription:{old[2].pk}"}]})
    written = write_pages_lines(layer=machine_layer, model_version=machine_layer.model_version, pages=[(page, [
        LineText(line=lines[0], text="The quick fox"), LineText(line=lines[1], text="a dog!"),
        LineText(line=lines[2], text="a cat")])])[page.pk]
    annotation.refresh_from_db()
    whole.refresh_from_db()
    # fuzzy: "qick" is found again as "quick" in the new reading
    assert annotation.target[0]["source"] == f"inscription:{written[0].pk}" and annotation.version == 2
    assert whole.target == [{"source": f"inscription:{written[2].pk}"}] and whole.version == 2
    assert list(annotation.inscriptions.all()) == [written[0]] and list(whole.inscriptions.all()) == [written[2]]
