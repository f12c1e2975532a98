"""Training batches, augmented and collated in worker processes when the trainer has cores to spare.

Why: scan-like augmentation costs a few milliseconds a line on one core. On a GPU the network
takes far less than that per line, so a trainer that augments in its own loop waits on the CPU;
``workers`` processes keep the accelerator fed. Each batch draws its randomness from
(seed, epoch, batch number) alone, so a run reads the same lines the same way whatever the
number of workers.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from models_ml.htr.augment import augment_line
from models_ml.htr.data import Charset, collate

Batch = tuple[np.ndarray, np.ndarray, list[list[int]]]


def as_float(arr: np.ndarray) -> np.ndarray:
    """Stored uint8 lines → the float 0..1 scale the model is trained on."""
    return arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)


class EpochBatches(Dataset):
    """Item ``k`` is batch ``k`` of one epoch: its lines (augmented or not), padded, and their label ids."""

    def __init__(self, images: Sequence[np.ndarray], texts: Sequence[str], charset: Charset,
                 batches: Sequence[Sequence[int]], augment: bool, seed: int, epoch: int) -> None:
        self.images, self.texts, self.charset = images, texts, charset
        self.batches, self.augment, self.seed, self.epoch = batches, augment, seed, epoch

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, k: int) -> Batch:
        rng = np.random.default_rng([self.seed, self.epoch, k])
        idx = self.batches[k]
        arrays = [augment_line(self.images[i], rng) if self.augment else as_float(self.images[i]) for i in idx]
        x, widths = collate(arrays)
        return x, widths, [self.charset.encode(self.texts[i]) for i in idx]


def epoch_batches(dataset: EpochBatches, workers: int) -> Iterator[Batch]:
    """The epoch's batches in order, built here (``workers`` 0) or by that many forked processes."""
    if workers <= 0:
        for k in range(len(dataset)):
            yield dataset[k]
        return
    loader = DataLoader(dataset, batch_size=None, shuffle=False, num_workers=workers, prefetch_factor=4,
                        multiprocessing_context="fork", collate_fn=_keep)
    yield from loader


def _keep(item: Batch) -> Batch:
    """No conversion: the trainer moves arrays to its device itself."""
    return item


def to_device(batch: Batch, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(images, widths, concatenated targets, target lengths) as tensors; lengths stay on the CPU for CTC."""
    x, widths, targets = batch
    non_blocking = device == "cuda"
    x_t = torch.from_numpy(x).to(device, non_blocking=non_blocking)
    w_t = torch.from_numpy(widths).to(device, non_blocking=non_blocking)
    tgt = torch.tensor([c for t in targets for c in t], dtype=torch.long).to(device)
    tlen = torch.tensor([len(t) for t in targets], dtype=torch.long)
    return x_t, w_t, tgt, tlen
