"""The summariser in the one model store (``models_ml.registry``): weights + ``vocab.txt`` + card.

The card records the sha256 of every file it describes (``files``); loading goes through
``registry.verify``, which recomputes them and refuses a mismatch, so a truncated download or a
swapped weight file never silently produces summaries.
"""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from models_ml import registry
from models_ml.registry import CARD, WEIGHTS

from .data import Vocab
from .model import ModelConfig, SummaRuNNer

VOCAB = "vocab.txt"
TASK = "summarise"
DEFAULT_MODEL_DIR = registry.STORE_DIR / "summarise-default"
ModelLoadError = registry.ModelError  # one store, one error
__all__ = ["CARD", "DEFAULT_MODEL_DIR", "VOCAB", "WEIGHTS", "ModelLoadError", "load_model", "save_model", "write_metrics"]


def save_model(model: SummaRuNNer, vocab: Vocab, out_dir: Path, card: dict, fp16: bool = True) -> dict:
    """Write weights (fp16 by default, to keep the store small), vocab and card; return the card."""
    tensors = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous().clone()
               for k, v in model.state_dict().items()}
    card = dict(card)
    card["architecture"] = {"name": "SummaRuNNer (BiLSTM word + BiLSTM sentence)", **model.cfg.to_dict()}
    card["weights_dtype"] = "float16" if fp16 else "float32"
    return registry.save_model_dir(out_dir, tensors, card, files={VOCAB: "\n".join(vocab.words) + "\n"})


def load_model(model_dir: Path | None = None, device: str | torch.device = "cpu") -> tuple[SummaRuNNer, Vocab, dict]:
    """Load and verify a saved summariser; returns (eval-mode float32 model, vocab, card)."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    card = registry.verify(model_dir, TASK, required=(VOCAB,))
    vocab = Vocab((model_dir / VOCAB).read_text(encoding="utf-8").rstrip("\n").split("\n"))
    arch = {k: v for k, v in card["architecture"].items() if k in ModelConfig.__dataclass_fields__}
    cfg = ModelConfig(**arch)
    if cfg.vocab_size != len(vocab):
        raise ModelLoadError(f"vocab has {len(vocab)} words but the card says {cfg.vocab_size}")
    model = SummaRuNNer(cfg)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(model_dir / WEIGHTS)).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelLoadError(f"weights in {model_dir} do not fit the card's architecture: {exc}") from exc
    return model.to(device).eval(), vocab, card


def write_metrics(model_dir: Path | None, split: str, scores: dict[str, float], budget: int) -> None:
    """Record ROUGE for one split in card.json; the card is not hashed, the weights stay untouched."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    card = registry.read_card(model_dir, TASK)
    metrics = card.setdefault("metrics", {})
    metrics[split] = {k: round(v, 2) for k, v in scores.items()}
    metrics.setdefault("budget_words", budget)
    registry.write_card(model_dir, card)
