"""A small U-Net that labels page pixels at reduced resolution.

Output channels (sigmoid, multi-label): 0 = baseline, then one per region type in
``REGION_TYPES`` (main, margin, heading, other). The page is scaled by ``SegConfig.scale``
(text size matters more than page size on these scans); a stride-2 stem halves it again,
so the labels come out at ``scale / 2`` of page pixels (1/8: baselines of real pages are
about 12 label pixels apart). Inputs are padded to a multiple of ``2 * 2**(levels-1)``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from models_ml.segment.layout import REGION_TYPES


@dataclass
class SegConfig:
    channels: tuple[int, ...] = (16, 32, 48, 64, 96)
    scale: float = 0.25           # page pixels → network pixels
    min_side: int = 256           # clamp of the scaled long side, for tiny or huge scans
    max_side: int = 1600
    classes: tuple[str, ...] = field(default_factory=lambda: ("baseline",) + REGION_TYPES)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"], d["classes"] = list(self.channels), list(self.classes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SegConfig:
        return cls(channels=tuple(d["channels"]), scale=float(d["scale"]), min_side=int(d.get("min_side", 256)),
                   max_side=int(d.get("max_side", 1600)), classes=tuple(d["classes"]))


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SegNet(nn.Module):
    """Encoder of ``len(channels)`` levels, nearest up-sampling + skip concatenation back up."""

    def __init__(self, cfg: SegConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or SegConfig()
        ch = self.cfg.channels
        self.stem = nn.Sequential(nn.Conv2d(1, ch[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(ch[0]),
                                  nn.ReLU(inplace=True))
        self.down = nn.ModuleList([_block(ch[0] if i == 0 else ch[i - 1], c) for i, c in enumerate(ch)])
        self.up = nn.ModuleList([_block(ch[i + 1] + ch[i], ch[i]) for i in range(len(ch) - 1)])
        self.head = nn.Conv2d(ch[0], len(self.cfg.classes), 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (N, 1, H, W) ink-dark grey in 0..1, H and W multiples of ``multiple``; logits at H/2 × W/2."""
        x = self.stem(1.0 - x)  # ink is signal
        skips = []
        for i, blk in enumerate(self.down):
            if i:
                x = self.pool(x)
            x = blk(x)
            skips.append(x)
        for i in range(len(self.up) - 1, -1, -1):
            x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
            x = self.up[i](torch.cat([x, skips[i]], dim=1))
        return self.head(x)


    @property
    def multiple(self) -> int:
        return 2 ** len(self.cfg.channels)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
