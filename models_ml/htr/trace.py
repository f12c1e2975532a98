"""Reading traces: what the recognizer's LSTM memory did while it read one line.

For every BiLSTM layer and direction we keep, per frame, the mean forget, input and
output gate activations and the L2 norm of the cell state; beside them the CTC
posteriors of the top candidates at informative frames, and the character alignment.

Gates are derived from ``torch.nn.LSTM``'s own hidden states: with ``h`` known for
every step, all gate pre-activations come from two batched matrix products
(``W_ih x_t + W_hh h_{t-1} + b``); only the cell state needs a cheap elementwise scan.
That keeps a trace under twice the cost of plain recognition.

Storage is compact: float16 arrays, frames mean-pooled by ``pool`` (2 by default; the
recognizer's frames are already 4 image columns wide), posteriors kept only where the
blank is not certain, and the whole blob zlib-compressed.
"""
from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
import torch

from models_ml.htr.model import CRNN

TRACE_FORMAT = 1
SIGNALS = ("forget", "input", "output", "cell_norm")
BLANK_CERTAIN = 0.98  # frames where the blank is this sure carry no alternative readings


@dataclass
class ReadingTrace:
    """A line's reading trace. Arrays are float16; ``gates`` has shape (layers, 2, 4, pooled frames)."""

    frames: int
    pool: int
    columns_per_frame: int
    gates: np.ndarray
    post_frames: np.ndarray  # (K,) int32 frame indices with alternatives
    post_ids: np.ndarray  # (K, topk) uint16 class ids (0 = blank)
    post_probs: np.ndarray  # (K, topk) float16
    charset: str
    alignment: list[dict] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        """Pack into one zlib-compressed blob: a small JSON header then raw arrays."""
        header = {
            "format": TRACE_FORMAT,
            "frames": self.frames,
            "pool": self.pool,
            "columns_per_frame": self.columns_per_frame,
            "gates_shape": list(self.gates.shape),
            "post_shape": list(self.post_ids.shape),
            "alignment": self.alignment,
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        body = b"".join(
            [
                struct.pack("<I", len(head)),
                head,
                self.gates.astype("<f2").tobytes(),
                self.post_frames.astype("<i4").tobytes(),
                self.post_ids.astype("<u2").tobytes(),
                self.post_probs.astype("<f2").tobytes(),
            ]
        )
        return zlib.compress(body, 9)

    @classmethod
    def from_bytes(cls, blob: bytes, charset: str) -> ReadingTrace:
        raw = zlib.decompress(blob)
        (n,) = struct.unpack("<I", raw[:4])
        header = json.loads(raw[4 : 4 + n])
        if header.get("format") != TRACE_FORMAT:
            raise ValueError(f"unknown trace format {header.get('format')!r}")
        offset = 4 + n

        def take(dtype: str, shape: list[int]) -> np.ndarray:
            nonlocal offset
            count = int(np.prod(shape)) if shape else 0
            arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
            offset += arr.nbytes
            return arr

        gates = take("<f2", header["gates_shape"])
        k, topk = header["post_shape"]
        return cls(
            frames=header["frames"],
            pool=header["pool"],
            columns_per_frame=header["columns_per_frame"],
            gates=gates,
            post_frames=take("<i4", [k]),
            post_ids=take("<u2", [k, topk]),
            post_probs=take("<f2", [k, topk]),
            charset=charset,
            alignment=header["alignment"],
        )

    def to_json(self) -> dict:
        """The API shape: named series per layer/direction, alternatives with characters."""
        layers = []
        for layer in range(self.gates.shape[0]):
            for d, direction in enumerate(("forward", "backward")):
                series = {name: [round(float(v), 4) for v in self.gates[layer, d, s]] for s, name in enumerate(SIGNALS)}
                layers.append({"layer": layer, "direction": direction, **series})
        alternatives = []
        for frame, ids, probs in zip(self.post_frames, self.post_ids, self.post_probs, strict=True):
            alternatives.append(
                {
                    "frame": int(frame),
                    "candidates": [
                        {"char": self.char_of(int(i)), "p": round(float(p), 4)} for i, p in zip(ids, probs, strict=True)
                    ],
                }
            )
        return {
            "format": TRACE_FORMAT,
            "frames": self.frames,
            "pool": self.pool,
            "columns_per_frame": self.columns_per_frame,
            "columns_per_point": self.columns_per_frame * self.pool,
            "signals": list(SIGNALS),
            "layers": layers,
            "alternatives": alternatives,
            "alignment": self.alignment,
        }

    def char_of(self, class_id: int) -> str:
        """Class id → character; the CTC blank is shown as an empty string."""
        return self.charset[class_id - 1] if 0 < class_id <= len(self.charset) else ""


def pool_frames(series: np.ndarray, pool: int) -> np.ndarray:
    """Mean-pool the last axis by ``pool`` (a trailing partial window is averaged too)."""
    if pool <= 1:
        return series
    t = series.shape[-1]
    pad = (-t) % pool
    if pad:
        # Average the tail over the frames it really has, not over padding.
        padded = np.concatenate([series, np.repeat(series[..., -1:], pad, axis=-1)], axis=-1)
        pooled = padded.reshape(*series.shape[:-1], -1, pool).mean(-1)
        tail = series[..., t - (pool - pad) :].mean(-1)
        pooled[..., -1] = tail
        return pooled
    return series.reshape(*series.shape[:-1], -1, pool).mean(-1)


def lstm_gate_series(lstm: torch.nn.LSTM, inputs: torch.Tensor) -> tuple[np.ndarray, torch.Tensor]:
    """Per-frame gate means and cell norms of every layer/direction for one sequence.

    ``inputs`` is (T, D). Returns (gates (L, 2, 4, T) float32, last layer output (T, 2H)).
    """
    hidden = lstm.hidden_size
    layer_input = inputs
    out_layers = []
    for layer in range(lstm.num_layers):
        outputs = []
        per_direction = []
        for d, suffix in enumerate(("", "_reverse")):
            w_ih = getattr(lstm, f"weight_ih_l{layer}{suffix}")
            w_hh = getattr(lstm, f"weight_hh_l{layer}{suffix}")
            bias = getattr(lstm, f"bias_ih_l{layer}{suffix}") + getattr(lstm, f"bias_hh_l{layer}{suffix}")
            x = layer_input if d == 0 else layer_input.flip(0)
            # Hidden states from the fused kernel, then all gates in two matrix products.
            h_seq, _, _ = torch.lstm(
                x.unsqueeze(1),
                (x.new_zeros(1, 1, hidden), x.new_zeros(1, 1, hidden)),
                [w_ih, w_hh, getattr(lstm, f"bias_ih_l{layer}{suffix}"), getattr(lstm, f"bias_hh_l{layer}{suffix}")],
                True,  # has biases
                1,  # one layer, one direction at a time
                0.0,  # no dropout
                False,  # eval
                False,  # unidirectional
                False,  # not batch-first
            )
            h_seq = h_seq.squeeze(1)  # (T, H)
            h_prev = torch.cat([h_seq.new_zeros(1, hidden), h_seq[:-1]], 0)
            pre = x @ w_ih.T + h_prev @ w_hh.T + bias
            i, f, g, o = pre.chunk(4, dim=1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            # Cell state: c_t = f_t * c_{t-1} + i_t * g_t, an elementwise scan.
            f_np, ig_np = f.numpy(), (i * g).numpy()
            c = np.zeros(hidden, dtype=np.float32)
            c_norm = np.empty(len(f_np), dtype=np.float32)
            for t in range(len(f_np)):
                c = f_np[t] * c + ig_np[t]
                c_norm[t] = np.linalg.norm(c)
            series = np.stack([f.mean(1).numpy(), i.mean(1).numpy(), o.mean(1).numpy(), c_norm])
            if d == 1:  # back to reading order
                series = series[:, ::-1]
                h_seq = h_seq.flip(0)
            per_direction.append(series)
            outputs.append(h_seq)
        out_layers.append(np.stack(per_direction))
        layer_input = torch.cat(outputs, dim=1)
    return np.stack(out_layers).astype(np.float32), layer_input


@torch.no_grad()
def compute_trace(model: CRNN, line: np.ndarray, charset: str, topk: int = 3, pool: int = 2) -> ReadingTrace:
    """Trace one preprocessed line (H, W float array, ink dark) through ``model`` on CPU."""
    from models_ml.htr.decode import greedy

    model = model.eval()
    x = torch.from_numpy(np.ascontiguousarray(line, dtype=np.float32))[None, None]
    features = model.features(x)[:, 0, :]  # (T, D)
    frames = int(model.frame_lengths(torch.tensor([line.shape[1]]))[0].clamp(max=features.shape[0]))
    features = features[:frames]
    gates, top = lstm_gate_series(model.lstm, features)
    log_probs = model.head(top).float().log_softmax(-1).numpy()
    probs = np.exp(log_probs)
    order = np.argsort(-probs, axis=1)[:, :topk]
    keep = np.nonzero(probs[:, 0] < BLANK_CERTAIN)[0]
    decoded = greedy(log_probs)
    step = model.cfg.downsample
    alignment = [
        {
            "char": charset[c - 1] if 0 < c <= len(charset) else "",
            "start": s,
            "end": e,
            "x0": s * step,
            "x1": e * step,
            "confidence": round(p, 4),
        }
        for c, p, (s, e) in zip(decoded.labels, decoded.confidences, decoded.frames, strict=True)
    ]
    return ReadingTrace(
        frames=frames,
        pool=pool,
        columns_per_frame=step,
        gates=pool_frames(gates, pool).astype(np.float16),
        post_frames=keep.astype(np.int32),
        post_ids=order[keep].astype(np.uint16),
        post_probs=np.take_along_axis(probs[keep], order[keep], axis=1).astype(np.float16),
        charset=charset,
        alignment=alignment,
    )
