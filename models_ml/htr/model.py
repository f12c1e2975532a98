"""CRNN: conv feature extractor → stacked BiLSTM → linear → CTC (Puigcerver 2017 family).

``torch.nn.LSTM`` is used on purpose: its gate weights stay in the standard layout so a
later "memory lens" can recompute gates from the weights.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@dataclass
class CRNNConfig:
    """Architecture hyper-parameters, stored in the model card."""

    height: int = 32
    channels: list[int] = field(default_factory=lambda: [16, 32, 64, 96])
    # per conv block: pooling (height, width); width pooling product = downsampling factor
    pools: list[list[int]] = field(default_factory=lambda: [[2, 2], [2, 2], [2, 1], [2, 1]])
    lstm_hidden: int = 128
    lstm_layers: int = 2
    dropout: float = 0.2
    num_classes: int = 80  # includes the CTC blank at index 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CRNNConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    @property
    def downsample(self) -> int:
        f = 1
        for _, pw in self.pools:
            f *= pw
        return f


class CRNN(nn.Module):
    """Line image (N,1,H,W), ink dark on light → per-frame log-probabilities (T,N,C)."""

    def __init__(self, cfg: CRNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c_in, h = 1, cfg.height
        for c_out, (ph, pw) in zip(cfg.channels, cfg.pools, strict=False):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.1, inplace=True)]
            if ph > 1 or pw > 1:
                layers.append(nn.MaxPool2d((ph, pw)))
            c_in, h = c_out, h // ph
        self.conv = nn.Sequential(*layers)
        self.feat_dim = c_in * h
        self.drop = nn.Dropout(cfg.dropout)
        self.lstm = nn.LSTM(self.feat_dim, cfg.lstm_hidden, num_layers=cfg.lstm_layers,
                            bidirectional=True, dropout=cfg.dropout if cfg.lstm_layers > 1 else 0.0)
        self.head = nn.Linear(2 * cfg.lstm_hidden, cfg.num_classes)

    def frame_lengths(self, widths: torch.Tensor) -> torch.Tensor:
        """Frames produced for images of the given pixel widths."""
        out = widths.clone()
        for _, pw in self.cfg.pools:
            out = torch.div(out, pw, rounding_mode="floor")
        return out.clamp(min=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Conv features as a (T, N, D) sequence."""
        f = self.conv(1.0 - x)  # ink → high values, padding (white = 1) → 0
        n, c, h, t = f.shape
        return f.permute(3, 0, 1, 2).reshape(t, n, c * h)

    def forward(self, x: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (log_probs (T,N,C), frame lengths (N,))."""
        seq = self.drop(self.features(x))
        lengths = self.frame_lengths(widths).clamp(max=seq.shape[0])
        packed = pack_padded_sequence(seq, lengths.cpu(), enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, total_length=seq.shape[0])
        logits = self.head(self.drop(out))
        return logits.float().log_softmax(-1), lengths


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
