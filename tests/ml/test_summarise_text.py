"""Sentence splitter, tokenizer and greedy ROUGE oracle on hand-made text."""
from __future__ import annotations

from models_ml.summarise.data import MAX_SENTENCE_WORDS, NUM, Vocab, split_sentences, tokenize
from models_ml.summarise.oracle import greedy_oracle, oracle_labels, summary_f1


def texts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_splitter_keeps_abbreviations_decimals_and_initials_together() -> None:
    text = ("Smith et al. proposed a CRF (e.g. for NER) in 2004. It reached 93.5 F1! "
            "J. R. Firth wrote it, cf. Fig. 2. Was it new? Yes.")
    assert texts(text) == [
        "Smith et al. proposed a CRF (e.g. for NER) in 2004.",
        "It reached 93.5 F1!",
        "J. R. Firth wrote it, cf. Fig. 2.",
        "Was it new?",
        "Yes.",
    ]


def test_splitter_paragraphs_end_sentences_but_single_newlines_do_not() -> None:
    text = "A letter to the\nboard of works\n\n  Dear Sir, we met.  \n\nSigned"
    assert texts(text) == ["A letter to the\nboard of works", "Dear Sir, we met.", "Signed"]


def test_splitter_spans_are_exact_offsets_and_trimmed() -> None:
    text = "  First one.   Second one.\n"
    spans = split_sentences(text)
    assert spans == [(2, 12), (15, 26)]
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)


def test_splitter_cuts_unpunctuated_runs() -> None:
    lines = [" ".join(f"w{i}_{j}" for j in range(10)) for i in range(30)]  # 300 words, no full stop
    text = "\n".join(lines)
    spans = split_sentences(text)
    assert len(spans) >= 300 // MAX_SENTENCE_WORDS
    assert all(len(text[s:e].split()) <= MAX_SENTENCE_WORDS for s, e in spans)
    assert " ".join(text[s:e] for s, e in spans).split() == text.split()  # nothing lost


def test_splitter_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []


def test_tokenize_lowercases_and_collapses_numbers() -> None:
    assert tokenize("The 1868 Act, don't 3.5%") == ["the", NUM, "act", "don't", NUM]
    assert tokenize("\x00\x07 @@ ###") == []


def test_vocab_reserves_pad_and_unk() -> None:
    vocab = Vocab.build([["a", "b", "a"], ["a", "c", "b"]], size=10, min_count=2)
    assert vocab.words[:2] == ["<pad>", "<unk>"]
    assert vocab.encode(["a", "b", "zzz"]) == [2, 3, 1]


SENTS = [
    "The weather was pleasant in the spring.",
    "The archive holds letters written by the mayor about the new bridge.",
    "Lunch was served at noon.",
    "The mayor's letters describe the cost of the bridge and its opening in 1868.",
    "Nobody remembers the colour of the curtains.",
]
REFERENCE = "The archive holds letters by the mayor about the new bridge. The letters describe its cost and its opening in 1868."


def test_greedy_oracle_picks_the_content_sentences() -> None:
    assert greedy_oracle(SENTS, REFERENCE) == [1, 3]
    assert oracle_labels(SENTS, REFERENCE) == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_greedy_oracle_respects_cap_and_degenerate_input() -> None:
    assert len(greedy_oracle(SENTS, REFERENCE, max_sentences=1)) == 1
    assert greedy_oracle([], REFERENCE) == []
    assert greedy_oracle(SENTS, "") == []
    assert greedy_oracle(["!!!", "???"], REFERENCE) == []


def test_greedy_oracle_beats_every_single_sentence_by_rouge_score() -> None:
    chosen = greedy_oracle(SENTS, REFERENCE)
    best = sum(summary_f1([SENTS[i] for i in chosen], REFERENCE))
    assert all(best > sum(summary_f1([s], REFERENCE)) for s in SENTS)
