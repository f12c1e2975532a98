"""Model directories: ``model.safetensors`` + ``card.json`` (+ optional ``lm.json``).

The card describes everything needed to use and to trust a model: architecture,
charset, preprocessing, training data, metrics, the sha256 of the weights, licence,
code version and parent.  Loading refuses weights whose sha256 differs from the card.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

WEIGHTS = "model.safetensors"
CARD = "card.json"
STORE_DIR = Path(__file__).resolve().parent / "store"


class ModelError(Exception):
    """A model directory is missing, incomplete or corrupt (message is user-facing)."""


def default_model_dir() -> Path:
    """The recognizer shipped with the repository."""
    return STORE_DIR / "htr-default"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_version() -> str:
    """Git commit of the code that wrote the model ("unknown" outside a checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def read_card(model_dir: str | Path) -> dict:
    """The card of a model directory, with clear errors for missing/broken files."""
    d = Path(model_dir)
    if not d.is_dir():
        raise ModelError(f"model directory not found: {d}")
    card_path = d / CARD
    if not card_path.exists():
        raise ModelError(f"model directory {d} has no {CARD}")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"unreadable {card_path}: {exc}") from exc


def verify(model_dir: str | Path) -> dict:
    """Check the weights exist and match the card's sha256; return the card."""
    d = Path(model_dir)
    card = read_card(d)
    weights = d / WEIGHTS
    if not weights.exists():
        raise ModelError(f"model directory {d} has no {WEIGHTS}")
    expected = card.get("sha256")
    if not expected:
        raise ModelError(f"{d / CARD} records no sha256 for the weights")
    actual = sha256_file(weights)
    if actual != expected:
        raise ModelError(f"sha256 mismatch for {weights}: card says {expected[:12]}…, file is {actual[:12]}…"
                         " (weights corrupt or replaced)")
    return card


def save_model_dir(out_dir: str | Path, tensors: dict, card: dict) -> dict:
    """Write weights (safetensors) and a card carrying their sha256; return the card."""
    from safetensors.torch import save_file

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / (WEIGHTS + ".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(d / WEIGHTS)
    card = dict(card)
    card["sha256"] = sha256_file(d / WEIGHTS)
    card["weights_bytes"] = (d / WEIGHTS).stat().st_size
    card.setdefault("code_version", code_version())
    (d / CARD).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return card


def list_models(store_dir: str | Path | None = None) -> list[dict]:
    """Cards of every model directory under ``store_dir`` (default: the shipped store)."""
    root = Path(store_dir) if store_dir else STORE_DIR
    cards = []
    if not root.is_dir():
        return cards
    for sub in sorted(root.iterdir()):
        if (sub / CARD).exists():
            try:
                card = read_card(sub)
            except ModelError:
                continue
            card["path"] = str(sub)
            cards.append(card)
    return cards
