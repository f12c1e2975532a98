"""Shared inline fixtures for the summariser tests: a tiny summariser saved to a temp dir (not a test module).

No ACLSum data and no shipped weights are needed, so these tests run on a
fresh clone in a second or two.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models_ml.summarise.data import Vocab, tokenize
from models_ml.summarise.model import ModelConfig, SummaRuNNer
from models_ml.summarise.store import save_model

LETTER = (
    "Dear Sir, the council met on Tuesday to discuss the new bridge over the river. "
    "The mayor argued that the bridge would bring trade to the market town. "
    "Several farmers objected to the cost of the bridge and the tolls. "
    "The weather was fine. "
    "After a long debate the council voted to build the bridge in 1868. "
    "I remain your obedient servant."
)


def tiny_summariser(seed: int = 0) -> tuple[SummaRuNNer, Vocab]:
    torch.manual_seed(seed)
    vocab = Vocab.build([tokenize(LETTER)], size=200, min_count=1)
    cfg = ModelConfig(vocab_size=len(vocab), emb_dim=8, word_hidden=8, sent_hidden=8, pos_dim=4, dropout=0.0)
    return SummaRuNNer(cfg).eval(), vocab


def save_tiny(out: Path, seed: int = 0) -> Path:
    model, vocab = tiny_summariser(seed)
    save_model(model, vocab, out, {"name": "tiny-test", "version": "0", "task": "summarise"})
    return out


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread; extra OpenMP threads only spin on a busy shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
