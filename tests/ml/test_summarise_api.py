"""Public API: offsets back into the input, budgets, and noisy input that must not crash."""
from __future__ import annotations

import random

import pytest
from summarise_fixtures import LETTER, one_torch_thread, save_tiny  # noqa: F401

from models_ml.summarise.api import SummaryResult, choose, load_summariser, split_sentences
from models_ml.summarise.store import DEFAULT_MODEL_DIR


@pytest.fixture(scope="module")
def summariser(tmp_path_factory):
    return load_summariser(save_tiny(tmp_path_factory.mktemp("tiny")))


def test_result_offsets_point_into_the_input(summariser) -> None:
    result = summariser.summarise(LETTER, sentences=2)
    assert isinstance(result, SummaryResult)
    assert len(result.sentences) == 2
    positions = [s.position for s in result.sentences]
    assert positions == sorted(positions)
    spans = split_sentences(LETTER)
    for s in result.sentences:
        assert LETTER[s.start:s.end] == s.text
        assert (s.start, s.end) == spans[s.position]
        assert 0.0 <= s.score <= 1.0
    assert result.summary == " ".join(s.text for s in result.sentences)


def test_list_input_offsets_index_the_newline_joined_text(summariser) -> None:
    lines = ["  Dear Sir,", "", "the bridge is built.", "It cost 400 pounds.", "Yours, J. Smith  "]
    joined = "\n".join(lines)
    result = summariser.summarise(lines, sentences=10)
    assert [s.text for s in result.sentences] == ["Dear Sir,", "the bridge is built.", "It cost 400 pounds.", "Yours, J. Smith"]
    assert [s.position for s in result.sentences] == [0, 1, 2, 3]  # blank unit is not a sentence
    for s in result.sentences:
        assert joined[s.start:s.end] == s.text


def test_word_budget_and_sentence_budget(summariser) -> None:
    by_words = summariser.summarise(LETTER, words=25)
    assert 1 <= len(by_words.sentences)
    assert sum(len(s.text.split()) for s in by_words.sentences) <= 25 or len(by_words.sentences) == 1
    assert len(summariser.summarise(LETTER).sentences) == 3  # default
    with pytest.raises(ValueError):
        summariser.summarise(LETTER, sentences=2, words=10)
    with pytest.raises(ValueError):
        summariser.summarise(LETTER, sentences=0)


def test_choose_keeps_best_first_within_word_budget() -> None:
    scores = [0.1, 0.9, 0.5, 0.8]
    lengths = [5, 30, 10, 10]
    assert choose(scores, lengths, sentences=2, words=None) == [1, 3]
    assert choose(scores, lengths, sentences=None, words=45) == [0, 1, 3]  # 2 would overflow; 0 still fits
    assert choose(scores, lengths, sentences=None, words=12) == [1]  # top sentence always kept


@pytest.mark.parametrize("text", ["", "   \n\n\t"])
def test_empty_input_gives_an_empty_result(summariser, text) -> None:
    assert summariser.summarise(text) == SummaryResult("", [])
    assert summariser.summarise([]) == SummaryResult("", [])
    assert summariser.summarise(["", "  "]) == SummaryResult("", [])


@pytest.mark.parametrize("text", ["\x00\x01\x02", "@@@ ### ~~~ |||", "\ufffd\ufffd. \u200b"])
def test_wordless_input_is_still_returned_with_valid_offsets(summariser, text) -> None:
    result = summariser.summarise(text)
    assert 1 <= len(result.sentences) <= 3
    for s in result.sentences:
        assert text[s.start:s.end] == s.text and s.text.strip()


def test_single_sentence_is_its_own_summary(summariser) -> None:
    result = summariser.summarise("The mill burned down in 1871", sentences=3)
    assert [s.text for s in result.sentences] == ["The mill burned down in 1871"]
    assert result.summary == "The mill burned down in 1871"


def test_garbage_transcription_does_not_crash(summariser) -> None:
    rng = random.Random(0)
    alphabet = "abcdefghijklmnop ſæœ¶§†‡\ufffd\u200b\x0c|/\\~^. \n"
    text = "".join(rng.choice(alphabet) for _ in range(3000))
    result = summariser.summarise(text, sentences=3)
    assert 1 <= len(result.sentences) <= 3
    for s in result.sentences:
        assert text[s.start:s.end] == s.text


def test_very_long_text(summariser) -> None:
    text = " ".join([LETTER] * 40)  # ~ 3.5k words, 240 sentences
    result = summariser.summarise(text, sentences=5)
    assert len(result.sentences) == 5
    assert all(text[s.start:s.end] == s.text for s in result.sentences)


def test_load_summariser_is_cached(tmp_path) -> None:
    save_tiny(tmp_path)
    assert load_summariser(tmp_path) is load_summariser(str(tmp_path))


def test_shipped_model_loads_verifies_and_summarises() -> None:
    s = load_summariser()
    assert s.card["task"] == "summarise"
    assert (DEFAULT_MODEL_DIR / "model.safetensors").stat().st_size < 15 * 2**20
    result = s.summarise(LETTER, sentences=2)
    assert len(result.sentences) == 2
