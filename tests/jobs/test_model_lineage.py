"""Model lineage when registering a weight interpolation: the card has two ``parents`` and no ``parent``."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db


def _tiny(out: Path, name: str, seed: int) -> Path:
    import torch

    from models_ml import registry
    from models_ml.htr.train import TrainConfig, base_card, new_model
    from models_ml.synth.sources import CHARSET

    torch.manual_seed(seed)
    model, charset = new_model(32, CHARSET, channels=[8, 16], pools=[[2, 2], [2, 2]], lstm_hidden=16)
    card = base_card(model.cfg, charset, TrainConfig(), name, {"source": "random (test)"}, None, "test")
    registry.save_model_dir(out / name, model.state_dict(), card)
    return out / name


def test_an_interpolated_model_links_its_largest_known_parent(tmp_path: Path) -> None:
    from jobs.services.models import register_model_dir
    from models_ml.htr.soup import interpolate_models

    a, b = _tiny(tmp_path, "tiny-a", 0), _tiny(tmp_path, "tiny-b", 1)
    row_a, _ = register_model_dir(a)
    interpolate_models(a, b, 0.8, tmp_path / "soup", name="tiny-soup")  # shares: A 0.2, B 0.8
    soup, _ = register_model_dir(tmp_path / "soup")
    assert soup.parent_id == row_a.pk  # B, the larger share, is not registered: the known parent is linked

    row_b, _ = register_model_dir(b)
    interpolate_models(a, b, 0.8, tmp_path / "soup2", name="tiny-soup2")
    soup2, _ = register_model_dir(tmp_path / "soup2")
    assert soup2.parent_id == row_b.pk
    assert [p["share"] for p in soup2.card["parents"]] == [0.2, 0.8]


def test_a_model_whose_parents_are_all_unknown_has_no_parent(tmp_path: Path) -> None:
    from jobs.services.models import register_model_dir
    from models_ml.htr.soup import interpolate_models

    a, b = _tiny(tmp_path, "tiny-a", 0), _tiny(tmp_path, "tiny-b", 1)
    interpolate_models(a, b, 0.5, tmp_path / "soup", name="tiny-soup")
    soup, _ = register_model_dir(tmp_path / "soup")
    assert soup.parent_id is None
