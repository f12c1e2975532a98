"""Stored reading traces equal the gates recomputed by hand from the model's weights; the API guards them."""
from __future__ import annotations

import numpy as np
import pytest
import torch  # noqa: F401 - a pinned dependency: missing, these tests fail instead of skipping

from tests.ml.test_trace import manual_lstm  # noqa: E402 - the hand-written numpy LSTM of the trace tests


def _model_input(inscription):
    """The line as the model saw it, rebuilt independently of the service: page → polygon crop → preprocess."""

    from models_ml.htr.api import load_recognizer
    from models_ml.htr.data import preprocess

    rec = load_recognizer(inscription.model_version.path, "cpu")
    return rec, preprocess(_line_crop(inscription), rec.height, rec.width_norm)


def _line_crop(inscription):
    """The page's line cut by its polygon, as training from ALTO cuts it (models_ml's own function)."""
    from PIL import Image

    from models_ml.htr.groundtruth import polygon_crop

    line = inscription.line
    with line.page.image.file.open("rb") as fh, Image.open(fh) as img:
        img.load()
        return polygon_crop(img, line.polygon, line.baseline)


def test_stored_trace_matches_gates_recomputed_from_weights(read_page) -> None:

    from inscription.models import ReadingTrace
    from inscription.services.traces import decode, get_or_compute_trace
    from models_ml.htr.trace import pool_frames

    *_, inscriptions = read_page
    inscription = inscriptions[0]
    made = get_or_compute_trace(inscription)
    row = ReadingTrace.objects.get(pk=made.pk)  # a fresh read from the database
    stored = decode(row)
    assert row.size == len(bytes(row.blob)) and row.model_version_id == inscription.model_version_id

    rec, arr = _model_input(inscription)
    with torch.no_grad():
        feats = rec.model.features(torch.from_numpy(arr)[None, None])[:, 0, :].numpy()
    feats = feats[: stored.frames]
    cfg = rec.model.cfg
    expected, _ = manual_lstm(rec.model.state_dict(), cfg.lstm_layers, cfg.lstm_hidden, feats)
    expected = pool_frames(expected, stored.pool).astype(np.float16).astype(np.float32)
    assert stored.gates.shape == expected.shape
    # float16 precision: relative 2e-3 (a few units in the last place), absolute 2e-3 near zero.
    np.testing.assert_allclose(stored.gates.astype(np.float32), expected, rtol=2e-3, atol=2e-3)
    # The trace is of the reading that was stored: same crop, same weights, same greedy text.
    assert row.crop["matches_inscription"] is True
    assert "".join(a["char"] for a in stored.alignment) == inscription.text


def test_trace_is_computed_once_then_read_from_the_database(read_page, monkeypatch) -> None:
    import inscription.services.traces
    from inscription.services.traces import get_or_compute_trace

    *_, inscriptions = read_page
    first = get_or_compute_trace(inscriptions[1])

    def boom(_):
        raise AssertionError("recomputed a stored trace")

    monkeypatch.setattr(inscription.services.traces, "compute_line_trace", boom)
    assert get_or_compute_trace(inscriptions[1]).pk == first.pk


def test_trace_api_maps_model_columns_to_the_page(read_page, client_for) -> None:
    *_, inscriptions = read_page
    ins = inscriptions[0]
    response = client_for("viewer").get(f"/api/v1/inscriptions/{ins.pk}/trace/")
    assert response.status_code == 200, response.content
    data = response.json()
    image = data["image"]
    crop = _line_crop(ins)
    (x, y), (w, h) = crop.info["origin"], crop.size
    assert (image["x"], image["y"], image["width"], image["height"]) == (x, y, w, h)
    assert image["angle"] == crop.info["angle"]
    assert image["scale"] == pytest.approx(h / image["model_height"])
    assert len(data["layers"]) == 2 * ins.model_version.architecture["config"]["lstm_layers"]
    assert data["frames"] == ins.extra["frames"]
    # Each character's page columns agree with the columns the transcription stored (crop coordinates + crop x).
    assert len(data["alignment"]) == len(ins.char_columns)
    for a, (c0, c1) in zip(data["alignment"], ins.char_columns, strict=True):
        assert abs(a["page_x0"] - (x + c0)) <= 1.0 and abs(a["page_x1"] - (x + c1)) <= 1.0
    for alt in data["alternatives"]:
        assert 0 <= alt["frame"] < data["frames"]
        probs = [c["p"] for c in alt["candidates"]]
        assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.001


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("curator", 200), ("viewer", 200),
                                             ("stranger", 404), ("anonymous", 404)])
def test_trace_api_permissions(read_page, client_for, who, status) -> None:
    *_, inscriptions = read_page
    response = client_for(who).get(f"/api/v1/inscriptions/{inscriptions[0].pk}/trace/")
    assert response.status_code == status
    if status != 200:
        from inscription.models import ReadingTrace

        assert not ReadingTrace.objects.exists()  # nothing computed for someone who may not read


def test_trace_of_a_human_inscription_is_refused(read_page, client_for, users) -> None:
    from inscription.models import LayerKind, ReadingTrace
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer

    document, _, lines, *_ = read_page
    gt = get_or_create_layer(document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=users["owner"])
    human = create_inscription(layer=gt, text="the letters arrived", line=lines[0], user=users["owner"])
    response = client_for("owner").get(f"/api/v1/inscriptions/{human.pk}/trace/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_a_machine_reading"
    assert not ReadingTrace.objects.exists()


def test_trace_without_the_weights_is_a_clear_error(read_page, client_for, tmp_path) -> None:
    from inscription.models import ReadingTrace
    from jobs.models import ModelVersion

    *_, inscriptions = read_page
    ModelVersion.objects.filter(pk=inscriptions[0].model_version_id).update(path=str(tmp_path / "gone"))
    response = client_for("owner").get(f"/api/v1/inscriptions/{inscriptions[0].pk}/trace/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_not_available"
    assert not ReadingTrace.objects.exists()


def test_trace_with_other_weights_in_the_model_dir_is_refused(read_page, client_for) -> None:
    from inscription.models import ReadingTrace
    from jobs.models import ModelVersion

    *_, inscriptions = read_page
    ModelVersion.objects.filter(pk=inscriptions[0].model_version_id).update(sha256="b" * 64)
    response = client_for("owner").get(f"/api/v1/inscriptions/{inscriptions[0].pk}/trace/")
    assert response.status_code == 409
    assert "sha256" in response.json()["error"]["message"]
    assert not ReadingTrace.objects.exists()


def test_trace_of_a_missing_inscription_is_404(db, client_for, users) -> None:
    assert client_for("owner").get("/api/v1/inscriptions/999999/trace/").status_code == 404
