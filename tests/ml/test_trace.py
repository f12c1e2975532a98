"""The reading trace must equal the gates recomputed by hand from the LSTM's weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch  # a pinned dependency: missing, these tests fail instead of skipping

from models_ml.htr.model import CRNN, CRNNConfig  # noqa: E402
from models_ml.htr.trace import SIGNALS, ReadingTrace, compute_trace, pool_frames  # noqa: E402

CHARSET = "abcdefghijklmnopqrstuvwxyz ."


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def manual_lstm(state: dict, layers: int, hidden: int, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A step-by-step numpy LSTM straight from the weights (PyTorch gate order i, f, g, o)."""
    series = np.zeros((layers, 2, 4, len(inputs)), dtype=np.float64)
    x_layer = inputs.astype(np.float64)
    for layer in range(layers):
        outs = []
        for d, suffix in enumerate(("", "_reverse")):
            w_ih = state[f"lstm.weight_ih_l{layer}{suffix}"].double().numpy()
            w_hh = state[f"lstm.weight_hh_l{layer}{suffix}"].double().numpy()
            b = (state[f"lstm.bias_ih_l{layer}{suffix}"] + state[f"lstm.bias_hh_l{layer}{suffix}"]).double().numpy()
            h = np.zeros(hidden)
            c = np.zeros(hidden)
            steps = range(len(x_layer)) if d == 0 else range(len(x_layer) - 1, -1, -1)
            out = np.zeros((len(x_layer), hidden))
            for t in steps:
                z = w_ih @ x_layer[t] + w_hh @ h + b
                i, f, g, o = np.split(z, 4)
                i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
                c = f * c + i * g
                h = o * np.tanh(c)
                out[t] = h
                series[layer, d, :, t] = [f.mean(), i.mean(), o.mean(), np.linalg.norm(c)]
            outs.append(out)
        x_layer = np.concatenate(outs, axis=1)
    return series, x_layer


@pytest.fixture(scope="module")
def model() -> CRNN:
    torch.manual_seed(3)
    net = CRNN(CRNNConfig(num_classes=len(CHARSET) + 1, lstm_hidden=24, channels=[8, 16, 16, 24]))
    return net.eval()


def test_trace_matches_gates_recomputed_from_weights(model: CRNN) -> None:
    rng = np.random.default_rng(0)
    line = rng.random((32, 160)).astype(np.float32)
    trace = compute_trace(model, line, CHARSET, pool=2)
    stored = ReadingTrace.from_bytes(trace.to_bytes(), CHARSET)

    with torch.no_grad():
        feats = model.features(torch.from_numpy(line)[None, None])[:, 0, :].numpy()
    feats = feats[: stored.frames]
    expected, top = manual_lstm(model.state_dict(), model.cfg.lstm_layers, model.cfg.lstm_hidden, feats)
    expected_pooled = pool_frames(expected, stored.pool).astype(np.float16)

    assert stored.gates.shape == expected_pooled.shape == (2, 2, len(SIGNALS), (stored.frames + 1) // 2)
    # Equal to float16 precision: at most one unit in the last place apart.
    np.testing.assert_allclose(stored.gates.astype(np.float32), expected_pooled.astype(np.float32), rtol=2e-3, atol=2e-3)

    # The posteriors come from the same hidden states as the model's own forward pass.
    with torch.no_grad():
        log_probs, _ = model(torch.from_numpy(line)[None, None], torch.tensor([line.shape[1]]))
        manual_probs = torch.from_numpy(top).float() @ model.head.weight.T + model.head.bias
    probs = log_probs[:, 0].exp().numpy()
    np.testing.assert_allclose(manual_probs.softmax(-1).numpy(), probs[: stored.frames], atol=1e-4)
    for frame, ids, ps in zip(stored.post_frames, stored.post_ids, stored.post_probs, strict=True):
        assert int(ids[0]) == int(probs[frame].argmax())
        assert abs(float(ps[0]) - probs[frame].max()) < 2e-3


def test_trace_round_trip_and_json_shape(model: CRNN) -> None:
    line = np.ones((32, 96), dtype=np.float32)
    line[10:20, 20:70] = 0.0
    trace = compute_trace(model, line, CHARSET)
    data = ReadingTrace.from_bytes(trace.to_bytes(), CHARSET).to_json()
    assert data["frames"] == trace.frames
    assert len(data["layers"]) == 4
    assert {layer["direction"] for layer in data["layers"]} == {"forward", "backward"}
    assert all(len(layer["forget"]) == trace.gates.shape[-1] for layer in data["layers"])
    assert all(0.0 <= v <= 1.0 for layer in data["layers"] for v in layer["forget"])


def test_pool_frames_averages_a_partial_tail() -> None:
    series = np.array([[1.0, 3.0, 5.0, 7.0, 9.0]])
    assert pool_frames(series, 2).tolist() == [[2.0, 6.0, 9.0]]


def test_unknown_trace_format_is_refused(model: CRNN) -> None:
    import json
    import struct
    import zlib

    head = json.dumps({"format": 99}).encode()
    with pytest.raises(ValueError, match="unknown trace format"):
        ReadingTrace.from_bytes(zlib.compress(struct.pack("<I", len(head)) + head), CHARSET)
