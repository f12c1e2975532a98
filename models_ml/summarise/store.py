"""Save/load the summariser as safetensors weights + vocab file + JSON card.

The card records the sha256 of every file it describes; loading recomputes
them and refuses a mismatch, so a truncated download or a swapped weight file
never silently produces summaries. Kept separate from the recognizer's
registry so the two areas never edit the same module.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .data import Vocab
from .model import ModelConfig, SummaRuNNer

WEIGHTS, VOCAB, CARD = "model.safetensors", "vocab.txt", "card.json"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "store" / "summarise-default"


class ModelLoadError(Exception):
    """The model directory is missing, incomplete or fails its checksum."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(model: SummaRuNNer, vocab: Vocab, out_dir: Path, card: dict, fp16: bool = True) -> dict:
    """Write weights (fp16 by default, to keep the store small), vocab and card; return the card."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous().clone()
               for k, v in model.state_dict().items()}
    save_file(tensors, str(out_dir / WEIGHTS))
    (out_dir / VOCAB).write_text("\n".join(vocab.words) + "\n", encoding="utf-8")
    card = dict(card)
    card["architecture"] = {"name": "SummaRuNNer (BiLSTM word + BiLSTM sentence)", **model.cfg.to_dict()}
    card["weights_dtype"] = "float16" if fp16 else "float32"
    card["files"] = {name: {"sha256": sha256_file(out_dir / name)} for name in (WEIGHTS, VOCAB)}
    card["sha256"] = card["files"][WEIGHTS]["sha256"]
    (out_dir / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def read_card(model_dir: Path) -> dict:
    path = Path(model_dir) / CARD
    if not path.is_file():
        raise ModelLoadError(f"no model card at {path}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model card {path} is not valid JSON: {exc}") from exc
    if card.get("task") != "summarise":
        raise ModelLoadError(f"{path} describes task {card.get('task')!r}, not 'summarise'")
    return card


def verify_files(model_dir: Path, card: dict) -> None:
    """Raise ModelLoadError unless every file listed in the card exists with the recorded sha256."""
    files = card.get("files") or {}
    for name in (WEIGHTS, VOCAB):
        expected = (files.get(name) or {}).get("sha256")
        path = Path(model_dir) / name
        if not expected:
            raise ModelLoadError(f"model card lists no sha256 for {name}; refusing to load")
        if not path.is_file():
            raise ModelLoadError(f"missing model file {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelLoadError(
                f"sha256 mismatch for {path}: card says {expected[:12]}…, file is {actual[:12]}…; "
                "the file is corrupt or does not belong to this card"
            )


def load_model(model_dir: Path | None = None, device: str | torch.device = "cpu") -> tuple[SummaRuNNer, Vocab, dict]:
    """Load and verify a saved summariser; returns (eval-mode float32 model, vocab, card)."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    card = read_card(model_dir)
    verify_files(model_dir, card)
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
    card = read_card(model_dir)
    metrics = card.setdefault("metrics", {})
    metrics[split] = {k: round(v, 2) for k, v in scores.items()}
    metrics.setdefault("budget_words", budget)
    (model_dir / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
