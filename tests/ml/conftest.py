"""Shared fixtures for the ML tests: a tiny untrained recognizer saved as a model dir (the summariser's are in
summarise_fixtures.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models_ml.htr.data import Charset
from models_ml.htr.model import CRNN, CRNNConfig
from models_ml.htr.train import TrainConfig, base_card, default_data_description
from models_ml.registry import save_model_dir
from models_ml.synth.sources import CHARSET

# One intra-op thread: on a shared 2-core box two OpenMP threads mostly wait for each other.
torch.set_num_threads(1)

TINY = {"height": 32, "channels": [8, 16], "pools": [[2, 2], [2, 2]], "lstm_hidden": 24, "lstm_layers": 2,
        "dropout": 0.0}


def tiny_recognizer(seed: int = 0) -> tuple[CRNN, Charset]:
    torch.manual_seed(seed)
    charset = Charset(CHARSET)
    return CRNN(CRNNConfig(num_classes=len(charset), **TINY)), charset


def save_tiny(model: CRNN, charset: Charset, out: Path, name: str = "tiny") -> dict:
    card = base_card(model.cfg, charset, TrainConfig(), name, default_data_description(), None, "test")
    tensors = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    return save_model_dir(out, tensors, card)


class Tiny:
    """Factory handed to tests (test modules cannot import conftest without a package)."""

    model = staticmethod(tiny_recognizer)
    save = staticmethod(save_tiny)


@pytest.fixture
def tiny() -> type[Tiny]:
    return Tiny


@pytest.fixture
def tiny_model_dir(tmp_path: Path) -> Path:
    model, charset = tiny_recognizer()
    save_tiny(model, charset, tmp_path / "tiny")
    return tmp_path / "tiny"
