"""Full-text search through the service layer, on whichever database the run uses (SQLite or PostgreSQL)."""
from __future__ import annotations

import pytest

from palimpsest.errors import InputError
from search.services.query import SearchRequest, search

pytestmark = pytest.mark.django_db


def texts(results) -> list[str]:
    return [h["text"] for h in results.hits]


def find(user, q: str, **kw):
    return search(user, SearchRequest(q=q, **kw))


def test_a_word_in_a_machine_line_written_in_bulk_by_a_job(users, archive):
    r = find(users["viewer"], "verdun")
    assert r.total == 1 and texts(r) == ["fait à Verdun le testamert"]
    hit = r.hits[0]
    assert hit["machine"] is True and hit["line"] == archive["lines"][2].pk and hit["match"] == "text"
    assert hit["highlights"] == [[7, 13]]
    # boxed on the scan from the character columns: "Verdun" is characters 7..12 → columns 70..130 of the line
    x, y, _, h = archive["lines"][2].bbox()
    assert hit["boxes"] == [{"x": x + 70, "y": y, "w": 60, "h": h}]


def test_a_corrected_line_replaces_the_old_wording_unless_versions_are_asked(users, archive):
    from inscription.services.inscriptions import create_inscription

    line = archive["lines"][2]
    create_inscription(layer=archive["layer"], line=line, text="fait à Verdun le testament", user=users["curator"])
    assert find(users["viewer"], "testamert").total == 0
    r = find(users["viewer"], "testament", kind="line")
    assert r.total == 1 and r.hits[0]["machine"] is False and r.hits[0]["is_current"] is True
    old = find(users["viewer"], "testamert", versions=True)
    assert old.total == 1 and old.hits[0]["is_current"] is False and old.hits[0]["machine"] is True


def test_annotation_bodies_reflections_and_document_metadata_are_found(users, archive, collection):
    from inscription.services.annotations import create_annotation
    from inscription.services.reflections import create_reflection

    line_ins = archive["layer"].inscriptions.get(line=archive["lines"][0])
    create_annotation(users["curator"], {
        "motivation": "commenting", "body": [{"type": "TextualBody", "value": "Le légataire est le neveu"}],
        "target": [{"source": f"inscription:{line_ins.pk}", "selector": [{"type": "TextPositionSelector", "start": 0,
                                                                          "end": 2}]}]})
    create_reflection(users["curator"], collection, "Sur les héritages", "Les **légataires** du front.")
    assert [h["kind"] for h in find(users["viewer"], "neveu").hits] == ["annotation"]
    assert [h["kind"] for h in find(users["viewer"], "heritages").hits] == ["reflection"]
    kinds = sorted(h["kind"] for h in find(users["viewer"], "legataire*").hits)
    assert kinds == ["annotation", "reflection"]
    doc_hit = find(users["viewer"], "dupont", kind="document")
    assert doc_hit.total == 1 and doc_hit.hits[0]["document"]["id"] == archive["doc"].pk


def test_accents_and_case_do_not_matter(users, archive):
    for q in ("paques", "PÂQUES", "Pâques", "aine", "lègue", "legue"):
        assert find(users["viewer"], q).total == 1, q
    hit = find(users["viewer"], "paques").hits[0]
    assert hit["text"][hit["highlights"][0][0]:hit["highlights"][0][1]] == "Pâques"


def test_phrase_queries_need_the_words_together_and_in_order(users, archive):
    assert texts(find(users["viewer"], '"maison de paques"')) == ["ma maison de Pâques"]
    assert find(users["viewer"], '"paques de maison"').total == 0
    assert find(users["viewer"], '"ma paques"').total == 0
    assert find(users["viewer"], "maison paques").total == 1  # both words, any order
    hit = find(users["viewer"], '"maison de paques"').hits[0]
    assert hit["highlights"] == [[3, 19]]


def test_prefix_fuzzy_and_exclusion(users, archive):
    assert find(users["viewer"], "verd*").total == 1
    assert texts(find(users["viewer"], "verdum~")) == ["fait à Verdun le testamert"]
    assert find(users["viewer"], "maison -paques").total == 0
    assert find(users["viewer"], "ma -verdun").total == 1


def test_fuzzy_words_expand_through_the_index_vocabulary(users, archive, collection):
    """A fuzzy word is matched as its near spellings among the index's words (PostgreSQL: the vocabulary table
    a statement trigger fills on every insert, bulk ones included; SQLite: the FTS vocabulary)."""
    from archive.models import Document
    from inscription.services.inscriptions import LineText, write_pages_lines
    from inscription.services.layers import machine_layer
    from tests.inscription.helpers import make_lines, make_page

    assert find(users["viewer"], "qwertzuiop~").total == 0  # near no word: nothing, not an error
    assert find(users["viewer"], "maison -qwertzuiop~").total == 1  # leaving out nothing leaves everything
    doc = Document.objects.create(collection=collection, title="Lettre", year_from=1915)
    page = make_page(doc)
    write_pages_lines(layer=machine_layer(doc, archive["model"], {"decoder": "greedy"}), pages=[(page, [LineText(line=ln, text=t) for ln, t in zip(
        make_lines(page, 2), ["le régiment de Bourgogne", "le regimant part"], strict=True)])],
        model_version=archive["model"])  # bulk: no post_save
    r = find(users["viewer"], "regiment~")
    assert sorted(texts(r)) == ["le regimant part", "le régiment de Bourgogne"]
    assert find(users["viewer"], "regiment~ -bourgogne").total == 1
    assert find(users["stranger"], "regiment~").total == 0  # the vocabulary widens the query, never the scope


def test_another_collection_never_appears_not_even_in_counts(users, archive):
    r = find(users["viewer"], "maison")
    assert r.total == 1
    assert {h["collection"]["slug"] for h in r.hits} == {"letters"}
    assert [f["value"] for f in r.facets["collection"]] == [archive["doc"].collection_id]
    assert sum(f["count"] for f in r.facets["kind"]) == 1
    assert all(f["value"] != 1870 for f in r.facets["date"])
    # asking for the hidden collection by id gives nothing, not an error that would confirm it exists
    hidden = find(users["viewer"], "maison", collection=archive["secret"].pk)
    assert hidden.total == 0 and hidden.hits == [] and hidden.facets["collection"] == []
    assert {h["collection"]["slug"] for h in find(users["stranger"], "maison").hits} == {"secret"}  # only theirs
    assert find(users["admin"], "maison").total == 3


def test_facets_and_filters(users, archive):
    from inscription.services.inscriptions import create_inscription

    create_inscription(layer=archive["gt"], line=archive["lines"][1], text="ma maison de Pâques", user=users["curator"])
    r = find(users["viewer"], "maison")
    assert r.total == 2
    assert {f["value"]: f["count"] for f in r.facets["agent"]} == {"machine": 1, "human": 1}
    assert {f["label"]: f["count"] for f in r.facets["layer"]} == {archive["layer"].name: 1, "ground truth": 1}
    assert r.facets["date"] == [{"value": 1910, "label": "1910s", "count": 2}]
    assert [f["value"] for f in r.facets["confidence"]] == ["0.5-0.8"]
    assert find(users["viewer"], "maison", agent="human").total == 1
    assert find(users["viewer"], "maison", layer=archive["gt"].pk).hits[0]["machine"] is False
    assert find(users["viewer"], "maison", confidence_min=0.5, confidence_max=0.8).total == 1
    assert find(users["viewer"], "maison", year_from=1920).total == 0
    assert find(users["viewer"], "maison", document=archive["doc"].pk).total == 2
    # text and alternative hits are counted together, once each
    r = find(users["viewer"], "testament", alternatives=0.3)
    assert r.total == 2 and sum(f["count"] for f in r.facets["kind"]) == 2
    assert {f["value"]: f["count"] for f in r.facets["kind"]} == {"document": 1, "line": 1}


def test_alternatives_find_what_the_machine_nearly_read(users, archive):
    plain = find(users["viewer"], "testament", kind="line")
    assert plain.total == 0  # the best reading says "testamert"
    r = find(users["viewer"], "testament", alternatives=0.3)
    assert r.total == 2 and r.alternative_total == 1 and r.hits[0]["kind"] == "document"  # text hits come first
    hit = r.hits[1]
    assert hit["match"] == "alternative" and hit["line"] == archive["lines"][2].pk
    assert hit["alternative"]["probability"] == pytest.approx(0.35)
    assert hit["alternative"]["read_as"] == "testamert"
    assert "the machine read “testament” here, with probability 0.35" in hit["alternative"]["message"]
    x, y, _, h = archive["lines"][2].bbox()
    assert hit["boxes"] == [{"x": x + 170, "y": y, "w": 90, "h": h}]
    assert find(users["viewer"], "testament", alternatives=0.4).alternative_total == 0  # below the threshold
    assert find(users["viewer"], "testament verdun", alternatives=0.3).alternative_total == 1  # other word in the text
    assert find(users["viewer"], "testament paques", alternatives=0.3, kind="line").total == 0
    # a text hit outranks an alternative hit, and both are counted once
    assert find(users["viewer"], "testamert", alternatives=0.3).alternative_total == 0


def test_a_correction_drops_the_alternatives_of_the_old_reading(users, archive):
    from inscription.services.inscriptions import create_inscription

    create_inscription(layer=archive["layer"], line=archive["lines"][2], text="fait à Verdun le testameat",
                       user=users["curator"])
    assert find(users["viewer"], "testament", alternatives=0.3, kind="line").total == 0


@pytest.mark.parametrize("q, message", [("", "Type something"), ("   ", "Type something"), ("-maison", "at least one word"),
                                        ("x" * 301, "at most 300"), ("!!! ???", "no words")])
def test_bad_queries_are_refused_with_a_reason(users, archive, q, message):
    with pytest.raises(InputError, match=message):
        find(users["viewer"], q)


def test_bad_filters_are_refused(users, archive):
    with pytest.raises(InputError):
        find(users["viewer"], "maison", kind="nope")
    with pytest.raises(InputError):
        find(users["viewer"], "maison", agent="robot")
    with pytest.raises(InputError):
        find(users["viewer"], "maison", alternatives=1.5)


def test_reindex_rebuilds_the_same_index(users, archive):
    from search.models import SearchEntry, WordAlternative
    from search.services.indexing import reindex

    before = sorted(SearchEntry.objects.values_list("source", "is_current", "norm"))
    alts = WordAlternative.objects.count()
    counts = reindex()
    assert sorted(SearchEntry.objects.values_list("source", "is_current", "norm")) == before
    assert WordAlternative.objects.count() == alts == 3
    assert counts["inscription"] == 5 and counts["document"] == 2
    assert find(users["viewer"], "paques").total == 1


def test_the_collection_language_stems_on_postgresql_only_where_asked(users, archive, collection):
    from django.db import connection

    from search.services.indexing import set_language

    assert find(users["viewer"], "maisons").total == 0  # simple: no stemming
    set_language(collection, "french")
    stemmed = find(users["viewer"], "maisons").total
    assert stemmed == (1 if connection.vendor == "postgresql" else 0)  # FTS5 has no French stemmer
    with pytest.raises(InputError):
        set_language(collection, "klingon")


def test_reindex_command_rebuilds_one_collection_or_refuses_an_unknown_one(users, archive):
    from django.core.management import CommandError, call_command

    from search.models import SearchEntry

    SearchEntry.objects.filter(collection=archive["doc"].collection).delete()
    assert find(users["viewer"], "paques").total == 0
    call_command("reindex_search", "--collection", "letters")
    assert find(users["viewer"], "paques").total == 1
    with pytest.raises(CommandError):
        call_command("reindex_search", "--collection", "nope")


def test_past_the_count_limit_totals_stop_at_it(users, archive, settings):
    settings.SEARCH_COUNT_LIMIT = 1
    r = find(users["viewer"], "à", kind="line")  # on two lines
    assert r.capped is True and r.total == 1 and len(r.hits) == 1
    assert r.hits[0]["line"] in (archive["lines"][0].pk, archive["lines"][2].pk)
    assert sum(f["count"] for f in r.facets["kind"]) == 1
    settings.SEARCH_COUNT_LIMIT = 10
    r = find(users["viewer"], "à", kind="line")
    assert r.capped is False and r.total == 2


def test_a_short_word_needs_more_probability_than_a_long_one(users, archive):
    from inscription.services.inscriptions import create_inscription

    create_inscription(layer=archive["layer"], line=archive["lines"][0], text="Je lègue à mon fils aîné",
                       model_version=archive["model"], char_columns=[[i * 10, i * 10 + 10] for i in range(24)],
                       extra={"words": [{"columns": [0, 20], "alternatives": [["Je", 0.8], ["Ja", 0.1]]},
                                        {"columns": [30, 80], "alternatives": [["lègue", 0.8], ["légué", 0.1]]}]})
    assert find(users["viewer"], "legue", alternatives=0.05).total == 1  # in the text
    assert find(users["viewer"], "legue", alternatives=0.05).alternative_total == 0
    assert find(users["viewer"], "ja", alternatives=0.05).total == 0  # 0.1 < the short-word floor (0.2)
    assert find(users["viewer"], "ja", alternatives=0.05, kind="line").alternative_total == 0


def test_a_transcribe_job_refuses_a_word_alternatives_flag_that_is_not_a_boolean(users, archive):
    from jobs.services.jobs import create_job

    with pytest.raises(InputError, match="word_alternatives"):
        create_job("transcribe", archive["doc"].collection, document=archive["doc"], params={"word_alternatives": "yes"},
                   user=users["curator"])


def test_spotted_words_are_searched_with_floors_by_length(users, archive, settings):
    """The recognizer's keyword-spotting entries (one word each, with what the 1-best read there): a long word
    is found at a low probability, a short one needs much more (search.query.ALTERNATIVE_FLOOR)."""
    from inscription.services.inscriptions import create_inscription

    create_inscription(layer=archive["layer"], line=archive["lines"][0], text="fait à Verdnn dc Pâques",
                       model_version=archive["model"], char_columns=[[i * 10, i * 10 + 10] for i in range(23)],
                       extra={"words": [{"columns": [70, 130], "best": "Verdnn", "alternatives": [["Verdun", 0.0004]]},
                                        {"columns": [140, 160], "best": "dc", "alternatives": [["de", 0.3]]}]})
    default = settings.SEARCH_ALTERNATIVES_THRESHOLD
    r = find(users["viewer"], "verdun", alternatives=default, kind="line")
    assert r.alternative_total == 1 and r.text_total == 1  # the other line reads "Verdun" in its text
    hit = next(h for h in r.hits if h["match"] == "alternative")
    assert hit["alternative"]["read_as"] == "Verdnn" and hit["alternative"]["spelling"] == "Verdun"
    assert find(users["viewer"], "verdun", alternatives=0.001, kind="line").alternative_total == 0
    assert find(users["viewer"], "de", alternatives=default, kind="line").alternative_total == 0  # 0.3 < 0.5
