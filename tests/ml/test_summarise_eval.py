"""Evaluation protocol and the offline sumy baselines; the ACLSum run is skipped without the data."""
from __future__ import annotations

import pytest

from models_ml.summarise.baselines import OfflineTokenizer, lead_ranking, sumy_ranking
from models_ml.summarise.data import DEFAULT_ACLSUM, Paper
from models_ml.summarise.evaluate import budget_summary, format_table, rouge_table

SENTS = [
    "The bridge over the river was finished in 1868.",
    "The bridge cost the town four hundred pounds and the bridge tolls repaid it.",
    "My cousin likes apples.",
    "Traffic over the new bridge brought trade to the river town.",
]


def test_budget_summary_takes_ranked_sentences_in_document_order_and_cuts_at_budget() -> None:
    assert budget_summary(SENTS, [3, 0, 1], budget=12) == " ".join((SENTS[0] + " " + SENTS[3]).split()[:12])
    assert budget_summary(SENTS, [2], budget=100) == SENTS[2]
    assert len(budget_summary(SENTS, [1, 0, 3, 2], budget=7).split()) == 7


def test_offline_tokenizer_needs_no_nltk_data() -> None:
    tok = OfflineTokenizer()
    assert tok.to_sentences("One here. Two there.") == ("One here.", "Two there.")
    assert tok.to_words("It's the mayor's 2nd bridge!") == ("It's", "the", "mayor's", "bridge")


@pytest.mark.parametrize("method", ["textrank", "lexrank"])
def test_sumy_ranking_agrees_with_sumys_own_top_k(method) -> None:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    sents = SENTS + ["The town council debated the bridge tolls for a year.", "Apples grow on trees."]
    ranking = sumy_ranking(sents, method)
    assert sorted(ranking) == list(range(len(sents)))
    summariser = {"textrank": TextRankSummarizer, "lexrank": LexRankSummarizer}[method](Stemmer("english"))
    summariser.stop_words = get_stop_words("english")
    doc = PlaintextParser.from_string("\n\n".join(sents), OfflineTokenizer()).document
    top3 = {str(s._text) for s in summariser(doc, 3)}
    assert {sents[i] for i in ranking[:3]} == top3
    assert sumy_ranking([], method) == []


def test_rouge_table_scores_a_perfect_summary_at_100() -> None:
    paper = Paper("x", SENTS, "", {"challenge": SENTS[0], "approach": SENTS[1], "outcome": SENTS[3]})
    perfect = rouge_table([paper], lambda s: [0, 1, 3], budget=1000)
    lead = rouge_table([paper], lead_ranking, budget=1000)
    assert perfect["rouge1"] == pytest.approx(100.0)
    assert lead["rouge1"] < perfect["rouge1"]
    table = format_table([("lead", lead, 0.1)], "x", 1, 1000)
    assert "Lead" in table and "ROUGE-1" in table


@pytest.mark.skipif(not (DEFAULT_ACLSUM / "val.jsonl").is_file(), reason="ACLSum data not available")
def test_aclsum_val_subset_runs_the_shipped_model_end_to_end() -> None:
    from models_ml.summarise.api import load_summariser
    from models_ml.summarise.data import load_aclsum
    from models_ml.summarise.evaluate import model_ranker

    papers = load_aclsum("val")[:4]
    ranker = model_ranker(load_summariser())
    lstm = rouge_table(papers, ranker)
    assert 15.0 < lstm["rouge1"] < 70.0
    assert any(ranker(p.sentences)[:3] != [0, 1, 2] for p in papers)  # not merely Lead
