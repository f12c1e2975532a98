"""Training loop: bucketed batches, on-the-fly augmentation, AdamW, CTC, early stopping.

One loop serves training from scratch (synthetic shards), training on a folder of
png/gt pairs, resuming, and the archive's fine-tuning job (:func:`finetune`).
The best checkpoint is exported to a model directory on every improvement, so a run
can be shipped at any moment.
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from models_ml import registry
from models_ml.htr.api import forward_arrays, load_model
from models_ml.htr.batches import EpochBatches, as_float, epoch_batches, to_device
from models_ml.htr.data import Charset, LineSet, bucket_batches
from models_ml.htr.lm import copy_lm
from models_ml.htr.metrics import cer, wer
from models_ml.htr.model import CRNN, CRNNConfig, count_parameters
from models_ml.htr.widthnorm import WidthNorm
from models_ml.synth.sources import HELDOUT_AUSTEN, HELDOUT_FONTS, LATIN_CHARSET, SOTU_HELDOUT_FROM_YEAR

Progress = Callable[[int, int, dict], None]


@dataclass
class TrainConfig:
    """Optimisation hyper-parameters (stored in the card)."""

    batch_size: int = 24
    lr: float = 1.5e-3
    weight_decay: float = 0.01
    warmup_steps: int = 300
    max_steps: int = 20000
    epochs: int = 0  # >0: stop after this many passes over the data
    time_budget_min: float = 0.0  # >0: stop after this many minutes
    eval_every: int = 500
    checkpoint_every: int = 500
    patience: int = 8  # evaluations without a better validation CER
    clip: float = 5.0
    seed: int = 1234
    augment: bool = True
    threads: int = 0
    workers: int = 0  # processes that augment and collate batches (batches.py); 0: the training loop does
    amp: str = "fp16"  # mixed precision on CUDA: fp16 (with loss scaling), bf16 or off; the CPU trains in fp32
    keep: str = "best"  # what --export holds: the best checkpoint on the validation lines, or the last one


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def evaluate_arrays(model: CRNN, charset: Charset, images: list[np.ndarray], texts: list[str],
                    device: str, batch_size: int = 32) -> dict:
    """Greedy CER/WER of a model on preprocessed lines."""
    from models_ml.htr.decode import greedy

    was_training = model.training
    model.eval()
    order = sorted(range(len(images)), key=lambda i: images[i].shape[1])
    hyps = [""] * len(images)
    for s in range(0, len(order), batch_size):
        idx = order[s: s + batch_size]
        batch = [as_float(images[i]) for i in idx]
        for i, lp in zip(idx, forward_arrays(model, batch, device), strict=True):
            hyps[i] = charset.decode(greedy(lp).labels)
    model.train(was_training)
    return {"cer": cer(texts, hyps), "wer": wer(texts, hyps), "lines": len(texts)}


def _lr_at(step: int, cfg: TrainConfig, elapsed_s: float = 0.0) -> float:
    """Warm-up, then cosine decay over steps or over the time budget, whichever is further."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    if cfg.time_budget_min:
        frac = max(frac, min(1.0, elapsed_s / (cfg.time_budget_min * 60)))
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))


def _plot(metrics_path: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(x) for x in metrics_path.read_text().splitlines() if x.strip()]
    tr = [r for r in rows if r.get("kind") == "train"]
    ev = [r for r in rows if r.get("kind") == "eval"]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].plot([r["step"] for r in tr], [r["loss"] for r in tr])
    ax[0].set_title("training CTC loss")
    ax[0].set_xlabel("step")
    ax[0].set_yscale("log")
    ax[1].plot([r["step"] for r in ev], [r["val_cer"] for r in ev], marker="o")
    ax[1].set_title("validation CER")
    ax[1].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    plt.close(fig)


def average_checkpoints(paths: list[Path], out: Path) -> dict:
    """Average the weights of several checkpoints of one run (the last ones, near a minimum) into ``out``.

    Why: the weights of the last checkpoints of a run wander around a minimum; their mean often
    reads better than any one of them (Izmailov et al., SWA). The other fields are the newest's.
    """
    if len(paths) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    ckpts = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    keys = ckpts[0]["model"].keys()
    if any(c["model"].keys() != keys for c in ckpts):
        raise ValueError("the checkpoints are not of one architecture")
    newest = max(ckpts, key=lambda c: c.get("step", 0))
    averaged = dict(newest)
    averaged["model"] = {k: (torch.stack([c["model"][k].float() for c in ckpts]).mean(0).to(ckpts[0]["model"][k].dtype)
                             if ckpts[0]["model"][k].is_floating_point() else newest["model"][k]) for k in keys}
    averaged["averaged_from"] = [{"file": p.name, "step": c.get("step")} for p, c in zip(paths, ckpts, strict=True)]
    averaged["training_state"] = {**newest.get("training_state", {}), "averaged_from": averaged["averaged_from"]}
    averaged["metrics"] = {}  # no checkpoint's validation figure describes the mean: measure it
    torch.save(averaged, out)
    return averaged


def export_best(run_dir: Path, export_dir: Path, card: dict, checkpoint: str = "best.pt") -> dict:
    """Write the run's best weights (or another of its checkpoints), fp16, + card into a model directory."""
    ckpt = torch.load(run_dir / checkpoint, map_location="cpu", weights_only=False)
    tensors = {k: (v.half() if v.is_floating_point() else v) for k, v in ckpt["model"].items()}
    card = dict(card)
    card["metrics"] = {**card.get("metrics", {}), **ckpt.get("metrics", {})}
    card["training"] = {**card.get("training", {}), **ckpt.get("training_state", {})}
    out = registry.save_model_dir(export_dir, tensors, card)
    copy_lm(run_dir, export_dir)
    return out


def base_card(cfg: CRNNConfig, charset: Charset, tcfg: TrainConfig, name: str, data_desc: dict,
              parent: dict | None, command: str) -> dict:
    return {
        "name": name,
        "version": registry.version_stamp(),
        "task": "htr",
        "architecture": {"type": "CRNN (conv → BiLSTM → linear → CTC)", "config": cfg.to_dict(),
                         "downsample": cfg.downsample},
        "hyperparameters": asdict(tcfg),
        "charset": charset.chars,
        "preprocessing": {"grey": True, "ink": "dark on light (auto-inverted if median < 0.45)",
                          "height": cfg.height, "resize": "bilinear, keep aspect",
                          "contrast": "stretch 2nd..90th percentile to 0..1", "pad_value": 1.0},
        "decoding": {"default": "greedy", "beam": 10, "lm_alpha": 0.6, "lm_beta": 1.0,
                     "lm": "lm.json (character 5-gram, Witten-Bell, training texts only)"},
        "training_data": data_desc,
        "licence": "Apache-2.0 (weights); training data: OFL-1.1/Apache-2.0 fonts, public-domain texts, MNIST"
                   + (f"; {credit}" if (credit := (data_desc.get("real") or {}).get("credit")) else ""),
        "parent": parent,
        "command": command,
        "code_version": registry.code_version(),
    }


def default_data_description() -> dict:
    return {
        "source": "synthetic handwriting (models_ml.synth) + MNIST train digits composited",
        "fonts_train": "all fonts in data/fonts except the held-out ones",
        "fonts_heldout": list(HELDOUT_FONTS),
        "texts_train": "Austen (all but held-out), SOTU before "
                       f"{SOTU_HELDOUT_FROM_YEAR}, Shakespeare plays",
        "texts_heldout": list(HELDOUT_AUSTEN) + [f"SOTU {SOTU_HELDOUT_FROM_YEAR} and later"],
        "validation": "lines in held-out fonts with held-out texts",
    }


def fit(model: CRNN, charset: Charset, train_set: LineSet, val_set: LineSet, tcfg: TrainConfig,
        run_dir: Path, card: dict, export_dir: Path | None = None, pool_dir: Path | None = None,
        resume: bool = False, progress: Progress | None = None, show_bar: bool = True) -> dict:
    """Train until max_steps / epochs / time budget / early stop; return the best metrics."""
    run_dir.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if tcfg.threads:
        torch.set_num_threads(tcfg.threads)
    if tcfg.amp not in ("fp16", "bf16", "off") or tcfg.keep not in ("best", "last"):
        raise ValueError(f"amp must be fp16, bf16 or off and keep best or last (got {tcfg.amp!r}, {tcfg.keep!r})")
    use_amp = device == "cuda" and tcfg.amp != "off"
    amp_dtype = torch.bfloat16 if tcfg.amp == "bf16" else torch.float16
    # no cudnn.benchmark: every batch has another width, and benchmarking each new shape costs seconds a step
    seed_everything(tcfg.seed)
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(tcfg.seed)
    step, epoch, best, bad_evals, trained_s, lines_seen = 0, 0, float("inf"), 0, 0.0, 0
    metrics_path = run_dir / "metrics.jsonl"
    if resume and (run_dir / "last.pt").exists():
        ck = torch.load(run_dir / "last.pt", map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, epoch, best, bad_evals = ck["step"], ck["epoch"], ck["best"], ck["bad_evals"]
        trained_s, lines_seen = ck.get("trained_s", 0.0), ck.get("lines_seen", 0)
        rng = np.random.default_rng(tcfg.seed + step)
        torch.manual_seed(tcfg.seed + step)
    elif metrics_path.exists():
        metrics_path.unlink()
    card = dict(card)
    card.setdefault("training", {})
    card["training"].update({"device": device, "cpu_threads": torch.get_num_threads(),
                             "host": platform.machine(), "cpus": os.cpu_count(),
                             "parameters": count_parameters(model), "workers": tcfg.workers,
                             **({"gpu": torch.cuda.get_device_name(0), "amp": tcfg.amp} if device == "cuda" else {})})
    (run_dir / "card.base.json").write_text(json.dumps(card, indent=2))

    def save(name: str, metrics: dict | None = None) -> None:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "epoch": epoch,
                    "best": best, "bad_evals": bad_evals, "trained_s": trained_s, "lines_seen": lines_seen,
                    "metrics": metrics or {},
                    "training_state": {"steps": step, "epochs": epoch, "lines_seen": lines_seen,
                                       "train_minutes": round(trained_s / 60, 1)}},
                   run_dir / (name + ".tmp"))
        os.replace(run_dir / (name + ".tmp"), run_dir / name)

    def log(row: dict) -> None:
        with open(metrics_path, "a") as f:
            f.write(json.dumps(row) + "\n")

    total = tcfg.max_steps if not tcfg.epochs else None
    bar = tqdm(total=total, initial=step, disable=not show_bar, mininterval=5, dynamic_ncols=True)
    t_start = time.time() - trained_s
    stop, loss_ema = False, None
    while not stop:
        if pool_dir is not None:
            train_set.load_shards(pool_dir)
        drawn = train_set.epoch_indices()
        widths = [train_set.images[i].shape[1] for i in drawn]
        batches = [[drawn[p] for p in positions] for positions in bucket_batches(widths, tcfg.batch_size, rng)]
        dataset = EpochBatches(train_set.images, train_set.texts, charset, batches, tcfg.augment,
                               tcfg.seed, epoch)
        for batch in epoch_batches(dataset, tcfg.workers):
            x_t, w_t, tgt, tlen = to_device(batch, device)
            for g in opt.param_groups:
                g["lr"] = _lr_at(step, tcfg, trained_s)
            with torch.autocast(device_type="cuda", dtype=amp_dtype, enabled=use_amp):
                lp, lengths = model(x_t, w_t)
            loss = ctc(lp.float(), tgt, lengths.cpu(), tlen)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.clip)
            scaler.step(opt)
            scaler.update()
            step += 1
            lines_seen += len(tlen)
            trained_s = time.time() - t_start
            lv = float(loss.item())
            loss_ema = lv if loss_ema is None else 0.98 * loss_ema + 0.02 * lv
            bar.update(1)
            bar.set_postfix(loss=f"{loss_ema:.3f}", best_cer=f"{best:.4f}", lines=len(train_set))
            if step % 50 == 0:
                log({"kind": "train", "step": step, "epoch": epoch, "loss": loss_ema, "lr": _lr_at(step, tcfg, trained_s),
                     "grad_norm": float(gnorm), "lines_per_s": lines_seen / max(1e-6, trained_s),
                     "elapsed_s": round(trained_s, 1)})
            if step % tcfg.checkpoint_every == 0:
                save("last.pt")
                if export_dir is not None and tcfg.keep == "last":
                    export_best(run_dir, export_dir, card, checkpoint="last.pt")
            if step % tcfg.eval_every == 0 and len(val_set):
                ev = evaluate_arrays(model, charset, val_set.images, val_set.texts, device)
                log({"kind": "eval", "step": step, "epoch": epoch, "val_cer": ev["cer"], "val_wer": ev["wer"],
                     "elapsed_s": round(trained_s, 1)})
                if ev["cer"] < best:
                    best, bad_evals = ev["cer"], 0
                    save("best.pt", {"validation_heldout": {**ev, "step": step}})
                    if export_dir is not None and tcfg.keep == "best":
                        export_best(run_dir, export_dir, card)
                else:
                    bad_evals += 1
                _plot(metrics_path, run_dir / "curves.png")
                model.train()
                if bad_evals >= tcfg.patience:
                    stop = True
            if step >= tcfg.max_steps or (tcfg.time_budget_min and trained_s > tcfg.time_budget_min * 60):
                stop = True
            if stop:
                break
        epoch += 1
        if progress is not None:
            progress(epoch, tcfg.epochs or 0, {"step": step, "loss": loss_ema, "best_cer": best})
        if tcfg.epochs and epoch >= tcfg.epochs:
            stop = True
    bar.close()
    save("last.pt")
    if export_dir is not None and tcfg.keep == "last":
        export_best(run_dir, export_dir, card, checkpoint="last.pt")
    if not (run_dir / "best.pt").exists() or not len(val_set):
        save("best.pt", {})
        if export_dir is not None and tcfg.keep == "best":
            export_best(run_dir, export_dir, card)
    return {"best_val_cer": best if best < float("inf") else None, "steps": step, "epochs": epoch,
            "train_minutes": round(trained_s / 60, 2), "lines_seen": lines_seen}


def new_model(height: int = 64, charset_chars: str = LATIN_CHARSET, **overrides: object) -> tuple[CRNN, Charset]:
    """An untrained CRNN for ``charset_chars`` (default: ASCII + French, as the latin synthetic lines)."""
    charset = Charset(charset_chars)
    cfg = CRNNConfig(height=height, num_classes=len(charset), **overrides)  # type: ignore[arg-type]
    return CRNN(cfg), charset


def grow_charset(model: CRNN, charset: Charset, chars: str) -> Charset:
    """Extend the model's output layer to ``chars`` (a superset of ``charset``), keeping what it learnt.

    New classes start with small random weights and a low bias, so the grown model reads
    exactly as before until training teaches it the new characters.
    """
    if chars == charset.chars:
        return charset
    if not chars.startswith(charset.chars):
        raise ValueError("a grown charset must keep the old characters first, in order")
    old = model.head
    head = torch.nn.Linear(old.in_features, len(chars) + 1)
    with torch.no_grad():
        head.weight.normal_(0, 0.01)
        head.bias.fill_(float(old.bias.min()) - 1.0)
        head.weight[: old.out_features] = old.weight
        head.bias[: old.out_features] = old.bias
    model.head = head.to(old.weight.device)
    model.cfg.num_classes = len(chars) + 1
    return Charset(chars)


def finetune(base_model_dir: str | Path, pairs: list[tuple[Image.Image, str]], out_dir: str | Path,
             epochs: int = 10, progress: Progress | None = None,
             val_pairs: list[tuple[Image.Image, str]] | None = None, lr: float = 3e-4,
             batch_size: int = 16, seed: int = 1234, name: str | None = None) -> dict:
    """Fine-tune a model on curated (line image, text) pairs; write a model dir; return its card.

    Called by the archive's Celery job.  Characters of the curated lines that the base
    model lacks grow its charset (and output layer), as kraken's ``--resize union`` does, so
    a collection can teach a model its own letters.  With ``val_pairs`` the best epoch is kept
    and validation CER before/after is recorded.
    """
    from models_ml.htr.groundtruth import grown_charset

    out_dir = Path(out_dir)
    model, charset, base = load_model(base_model_dir, "cpu")
    base_chars = charset.chars
    texts = [t for _, t in pairs] + [t for _, t in (val_pairs or [])]
    charset = grow_charset(model, charset, grown_charset(charset.chars, texts))
    height, width_norm = model.cfg.height, WidthNorm.from_card(base)  # read as the base model reads
    train_set = LineSet(height, width_norm)
    train_set.load_pairs(pairs)
    if not len(train_set):
        raise ValueError("finetune needs at least one (image, text) pair")
    val_set = LineSet(height, width_norm)
    if val_pairs:
        val_set.load_pairs(val_pairs)
    before = evaluate_arrays(model, charset, val_set.images, val_set.texts, "cpu") if len(val_set) else None
    steps_per_epoch = max(1, math.ceil(len(train_set) / batch_size))
    tcfg = TrainConfig(batch_size=batch_size, lr=lr, warmup_steps=min(50, steps_per_epoch),
                       max_steps=steps_per_epoch * epochs, epochs=epochs,
                       eval_every=steps_per_epoch, checkpoint_every=steps_per_epoch,
                       patience=max(3, epochs), seed=seed)
    parent = {k: base.get(k) for k in ("name", "version", "sha256")}
    card = dict(base)
    card["charset"] = charset.chars
    card["architecture"] = {**base.get("architecture", {}), "config": model.cfg.to_dict()}
    card.update({"name": name or f"{base.get('name', 'htr')}-finetuned", "parent": parent,
                 "charset_added": charset.chars[len(base_chars):],
                 "version": time.strftime("%Y.%m.%d-%H%M%S", time.gmtime()),
                 "hyperparameters": asdict(tcfg), "code_version": registry.code_version(),
                 "training_data": {"source": "archive ground truth lines (fine-tuning)",
                                   "lines": len(train_set), "validation_lines": len(val_set),
                                   "base_training_data": base.get("training_data")},
                 "metrics": {}})
    run_dir = out_dir / "_run"
    result = fit(model, charset, train_set, val_set, tcfg, run_dir, card, export_dir=None,
                 progress=progress, show_bar=False)
    card = export_best(run_dir, out_dir, card)
    card["metrics"] = {**card.get("metrics", {}), "finetune": result}
    if before is not None:
        card["metrics"]["validation_before"] = before
    card = registry.save_model_dir(out_dir, _load_tensors(out_dir), card)
    for f in run_dir.iterdir():
        f.unlink()
    run_dir.rmdir()
    copy_lm(base_model_dir, out_dir)
    return card


def _load_tensors(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(model_dir / registry.WEIGHTS))
