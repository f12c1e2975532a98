"""Training of the segmenter: augmented crops of ALTO pages, time-boxed, checkpointed.

The learning rate follows a cosine over the *time* budget (the run is sized in minutes
on a shared CPU, not in steps). A checkpoint (weights, optimiser, step, elapsed time) is
written every ``checkpoint_every`` steps and resumed from automatically; the weights with
the lowest validation loss are kept as ``best.pt``.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models_ml.segment.data import TrainPage, sample_batch
from models_ml.segment.model import SegConfig, SegNet


@dataclass
class SegTrainConfig:
    batch_size: int = 8
    crop: int = 320
    lr: float = 2e-3
    weight_decay: float = 1e-4
    time_budget_min: float = 45.0
    max_steps: int = 100_000
    eval_every: int = 100
    checkpoint_every: int = 50
    baseline_pos_weight: float = 4.0
    seed: int = 0
    threads: int = 1


def seg_loss(logits: torch.Tensor, target: torch.Tensor, pos_weight: float) -> torch.Tensor:
    """BCE on every channel (baselines weighted up) + soft Dice on the baseline channel."""
    w = torch.ones(logits.shape[1], device=logits.device)
    w[0] = pos_weight
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=w[None, :, None, None])
    p = torch.sigmoid(logits[:, 0])
    t = target[:, 0]
    dice = 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
    return bce + dice


@torch.no_grad()
def val_loss(model: SegNet, pages: list[TrainPage], pos_weight: float) -> float:
    """Mean loss over whole validation pages (padded to the network's multiple)."""
    model.eval()
    total = 0.0
    m = model.multiple
    for p in pages:
        _, H, W = p.ink.shape
        ph, pw = -H % m, -W % m
        x = F.pad(p.ink[None].float(), (0, pw, 0, ph))
        logits = model(1.0 - x)[:, :, : H // 2, : W // 2]
        total += float(seg_loss(logits, p.labels[None].float(), pos_weight))
    model.train()
    return total / max(1, len(pages))


def fit(model: SegNet, train: list[TrainPage], val: list[TrainPage], run_dir: Path,
        cfg: SegTrainConfig, log=print) -> dict:  # noqa: ANN001 - any print-like callable
    """Train until the time budget or ``max_steps``; returns a summary (best val loss, steps)."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, elapsed, best = 0, 0.0, math.inf
    ckpt = run_dir / "checkpoint.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, best = state["step"], state["elapsed"], state["best"]
        log(f"resumed at step {step} ({elapsed / 60:.1f} min)")
    rng = np.random.default_rng(cfg.seed + step)
    budget = cfg.time_budget_min * 60
    metrics = open(run_dir / "metrics.jsonl", "a", encoding="utf-8")
    model.train()
    start, run_loss = time.monotonic() - elapsed, None
    while step < cfg.max_steps and elapsed < budget:
        frac = min(1.0, elapsed / budget)
        warm = min(1.0, (step + 1) / 50)
        lr = cfg.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = sample_batch(train, cfg.batch_size, cfg.crop, rng)
        loss = seg_loss(model(x), y, cfg.baseline_pos_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        elapsed = time.monotonic() - start
        lv = loss.item()
        run_loss = lv if run_loss is None else 0.95 * run_loss + 0.05 * lv
        row = {"step": step, "min": round(elapsed / 60, 2), "loss": round(run_loss, 4), "lr": round(lr, 6)}
        if val and (step % cfg.eval_every == 0 or elapsed >= budget or step >= cfg.max_steps):
            row["val_loss"] = round(val_loss(model, val, cfg.baseline_pos_weight), 4)
            if row["val_loss"] < best:
                best = row["val_loss"]
                torch.save(model.state_dict(), run_dir / "best.pt")
            log(json.dumps(row))
        metrics.write(json.dumps(row) + "\n")
        metrics.flush()
        if step % cfg.checkpoint_every == 0:
            _checkpoint(ckpt, model, opt, step, elapsed, best)
    _checkpoint(ckpt, model, opt, step, elapsed, best)
    torch.save(model.state_dict(), run_dir / "last.pt")
    if not val:
        torch.save(model.state_dict(), run_dir / "best.pt")
    metrics.close()
    return {"steps": step, "minutes": round(elapsed / 60, 1), "best_val_loss": None if best == math.inf else best,
            "train_config": asdict(cfg)}


def _checkpoint(path: Path, model: SegNet, opt, step: int, elapsed: float, best: float) -> None:  # noqa: ANN001
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                "best": best}, tmp)
    tmp.replace(path)


def new_model(cfg: SegConfig | None = None) -> SegNet:
    return SegNet(cfg or SegConfig())
