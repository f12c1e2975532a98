"""The trained segmenter as a model directory: fp16 safetensors + card, loaded by the registry."""
from __future__ import annotations

from pathlib import Path

from models_ml.registry import STORE_DIR, ModelError, save_model_dir, verify


def default_segmenter_dir() -> Path:
    """The segmenter shipped with the repository."""
    return STORE_DIR / "segment-default"


def card_vectorise_config(model_dir: str | Path | None = None):  # noqa: ANN201 - VectoriseConfig, imported lazily
    """The line band and thresholds a segmenter's card records, without loading its weights; the defaults
    when the card cannot be read."""
    import json

    from models_ml.segment.vectorise import VectoriseConfig

    d = Path(model_dir) if model_dir else default_segmenter_dir()
    try:
        card = json.loads((d / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        card = {}
    return VectoriseConfig.from_card(card)


def export_model(model, out_dir: Path, card: dict) -> dict:  # noqa: ANN001 - a SegNet
    """Weights in fp16 (BatchNorm statistics included) and the card, via the registry."""
    tensors = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    return save_model_dir(out_dir, tensors, card)


def load_segnet(model_dir: str | Path | None = None):  # noqa: ANN201 - (SegNet, card)
    """A SegNet in eval mode (float32) from a verified model directory."""
    from safetensors.torch import load_file

    from models_ml.segment.model import SegConfig, SegNet

    d = Path(model_dir) if model_dir else default_segmenter_dir()
    card = verify(d)
    if card.get("task") != "segment":
        raise ModelError(f"{d} is not a segmentation model (task {card.get('task')!r})")
    model = SegNet(SegConfig.from_dict(card["architecture"]))
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(d / "model.safetensors")).items()}
    model.load_state_dict(state)
    model.eval()
    return model, card


class Segmenter:
    """The trained segmenter: page image → ``PageLayout`` (regions, lines, reading order)."""

    def __init__(self, model_dir: str | Path | None = None, vectorise_cfg=None) -> None:  # noqa: ANN001
        from models_ml.segment.vectorise import VectoriseConfig

        self.model_dir = Path(model_dir) if model_dir else default_segmenter_dir()
        self.model, self.card = load_segnet(self.model_dir)
        self.vcfg = vectorise_cfg or VectoriseConfig.from_card(self.card)

    def probabilities(self, image):  # noqa: ANN001, ANN201 - PIL image → (C, h, w) numpy
        import numpy as np
        import torch
        import torch.nn.functional as F

        from models_ml.segment.data import ink_array, network_size

        _, w, h = network_size(image.width, image.height, self.model.cfg)
        ink = torch.from_numpy(ink_array(image, w, h))[None, None]
        m = self.model.multiple
        x = F.pad(ink, (0, -w % m, 0, -h % m))
        with torch.inference_mode():
            probs = torch.sigmoid(self.model(1.0 - x))[0, :, : h // 2, : w // 2]
        return np.ascontiguousarray(probs.numpy())

    def segment(self, image):  # noqa: ANN001, ANN201 - PIL image → PageLayout
        from models_ml.segment.vectorise import vectorise

        return vectorise(self.probabilities(image), image.width, image.height, self.vcfg)


_CACHE: dict[str, Segmenter] = {}


def get_segmenter(model_dir: str | Path | None = None) -> Segmenter:
    """One loaded segmenter per model directory per process (workers call this per page)."""
    key = str(Path(model_dir).resolve()) if model_dir else str(default_segmenter_dir())
    if key not in _CACHE:
        _CACHE[key] = Segmenter(model_dir)
    return _CACHE[key]
