"""The one model store: a directory per model, ``model.safetensors`` + ``card.json`` (+ files the card lists).

Every kind of model (recognizer, summariser, segmenter) is stored and checked here, as kraken's
loaders serve every model. The card describes everything needed to use and to trust a model:
task, architecture, charset or vocabulary, preprocessing, training data, metrics, the sha256 of
the weights (``sha256``) and of any other file it needs (``files``: ``lm.json``, ``vocab.txt``),
licence, code version and parent. Loading refuses a file whose sha256 differs from the card.
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


def read_card(model_dir: str | Path, task: str | None = None) -> dict:
    """The card of a model directory (of ``task`` when given), with clear errors for missing/broken files."""
    d = Path(model_dir)
    if not d.is_dir():
        raise ModelError(f"model directory not found: {d}")
    card_path = d / CARD
    if not card_path.is_file():
        raise ModelError(f"model directory {d} has no {CARD} (no model card)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"unreadable {card_path}: {exc}") from exc
    if task is not None and card.get("task") != task:
        raise ModelError(f"{card_path} describes task {card.get('task')!r}, not {task!r}")
    return card


def write_card(model_dir: str | Path, card: dict) -> None:
    """(Re)write a card, e.g. with new metrics; the card is not hashed, the weights stay untouched."""
    (Path(model_dir) / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _check_sha(path: Path, expected: str | None, what: str) -> None:
    if not expected:
        raise ModelError(f"model card lists no sha256 for {what}; refusing to load")
    if not path.is_file():
        raise ModelError(f"model directory {path.parent} has no {path.name}")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(f"sha256 mismatch for {path}: card says {expected[:12]}…, file is {actual[:12]}…"
                         " (corrupt, replaced, or not this card's)")


def verify(model_dir: str | Path, task: str | None = None, required: tuple[str, ...] = ()) -> dict:
    """Check the weights, every file the card lists and the ``required`` ones exist and match their sha256.

    A card that lists its files (``files``) lists the weights too. Returns the card."""
    d = Path(model_dir)
    card = read_card(d, task)
    _check_sha(d / WEIGHTS, card.get("sha256"), f"the weights ({WEIGHTS})")
    files = card.get("files") or {}
    names = [*files, *required] + ([WEIGHTS] if files or required else [])
    for name in dict.fromkeys(names):
        _check_sha(d / name, (files.get(name) or {}).get("sha256"), name)
    return card


def version_stamp() -> str:
    """A new model version: the UTC minute it was written (``YYYY.MM.DD-HHMM``)."""
    import time

    return time.strftime("%Y.%m.%d-%H%M", time.gmtime())


def save_model_dir(out_dir: str | Path, tensors: dict, card: dict, files: dict[str, str] | None = None) -> dict:
    """Write weights (safetensors), the text ``files`` the model needs and a card carrying their sha256."""
    from safetensors.torch import save_file

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / (WEIGHTS + ".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(d / WEIGHTS)
    for name, text in (files or {}).items():
        (d / name).write_text(text, encoding="utf-8")
    card = dict(card)
    card["sha256"] = sha256_file(d / WEIGHTS)
    card["weights_bytes"] = (d / WEIGHTS).stat().st_size
    if files:
        card["files"] = {name: {"sha256": sha256_file(d / name)} for name in (WEIGHTS, *files)}
    card.setdefault("code_version", code_version())
    write_card(d, card)
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
