"""SummaRuNNer forward/loss, and save/load with sha256 verification."""
from __future__ import annotations

import json

import pytest
import torch
from summarise_fixtures import LETTER, one_torch_thread, save_tiny, tiny_summariser  # noqa: F401

from models_ml.summarise.data import split_sentences, tokenize
from models_ml.summarise.model import batch_document
from models_ml.summarise.store import CARD, VOCAB, WEIGHTS, ModelLoadError, load_model


def _doc(vocab, text=LETTER):
    sents = [text[s:e] for s, e in split_sentences(text)]
    return batch_document([vocab.encode(tokenize(s)) for s in sents], 60)


def test_forward_gives_one_finite_logit_per_sentence() -> None:
    model, vocab = tiny_summariser()
    tokens, lengths = _doc(vocab)
    logits = model(tokens, lengths)
    assert logits.shape == (6,)
    assert torch.isfinite(logits).all()


def test_empty_sentence_is_padded_not_crashing() -> None:
    model, vocab = tiny_summariser()
    tokens, lengths = batch_document([[], [5, 6], []], 60)
    assert lengths.tolist() == [1, 2, 1]
    assert model(tokens, lengths).shape == (3,)


def test_novelty_makes_scores_depend_on_earlier_sentences() -> None:
    model, vocab = tiny_summariser()
    with torch.no_grad():
        model.novelty.weight.fill_(0.5)
        tokens, lengths = _doc(vocab)
        full = model(tokens, lengths)
        tail = model(tokens[3:], lengths[3:])
    # Same last sentence, different running summary (and position): its score must change.
    assert not torch.allclose(full[-1], tail[-1])


def test_loss_falls_when_fitting_a_tiny_example() -> None:
    model, vocab = tiny_summariser(seed=1)
    model.train()
    tokens, lengths = _doc(vocab)
    target = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    bce = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(30):
        loss = bce(model(tokens, lengths, labels=target), target)  # the training path
        model.zero_grad()
        loss.backward()
        with torch.no_grad():  # plain gradient descent: torch.optim's first step lazily imports torch._dynamo (slow)
            for p in model.parameters():
                if p.grad is not None:
                    p -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    top2 = model(tokens, lengths).topk(2).indices.sort().values.tolist()
    assert top2 == [1, 4]


def test_save_load_roundtrip_preserves_scores(tmp_path) -> None:
    model, vocab = tiny_summariser()
    save_tiny(tmp_path)
    loaded, loaded_vocab, card = load_model(tmp_path)
    assert loaded_vocab.words == vocab.words
    assert card["task"] == "summarise" and len(card["sha256"]) == 64
    assert card["architecture"]["word_hidden"] == 8
    tokens, lengths = _doc(vocab)
    with torch.no_grad():
        assert torch.allclose(model(tokens, lengths), loaded(tokens, lengths), atol=0.02)  # fp16 weights


@pytest.mark.parametrize("victim", [WEIGHTS, VOCAB])
def test_load_refuses_a_file_that_fails_its_sha256(tmp_path, victim) -> None:
    save_tiny(tmp_path)
    with open(tmp_path / victim, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelLoadError, match="sha256 mismatch"):
        load_model(tmp_path)


def test_load_refuses_missing_card_wrong_task_and_missing_hash(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="no model card"):
        load_model(tmp_path)
    save_tiny(tmp_path)
    card = json.loads((tmp_path / CARD).read_text())
    (tmp_path / CARD).write_text(json.dumps({**card, "task": "recognise"}))
    with pytest.raises(ModelLoadError, match="not 'summarise'"):
        load_model(tmp_path)
    del card["files"][WEIGHTS]
    (tmp_path / CARD).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="no sha256"):
        load_model(tmp_path)


def test_teacher_forced_training_path_is_differentiable() -> None:
    model, vocab = tiny_summariser()
    model.train()
    tokens, lengths = _doc(vocab)
    labels = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    logits = model(tokens, lengths, labels=labels)
    assert logits.shape == (6,)
    logits.sum().backward()
    assert model.novelty.weight.grad is not None and model.novelty.weight.grad.abs().sum() > 0
