"""Fine-tune and evaluate a recognizer on a layer's human-corrected lines (the curated ground truth).

A fine-tune registers its result as a new ModelVersion with its parent and training job; a
deterministic hash of the line id holds lines out, so the split is the same every time.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from inscription.models import Inscription, Layer
from inscription.services.line_images import crop_line_image, page_image
from inscription.tasks.lines import TASKS, chunks, model_dir_for, recognizer_for
from jobs.runner import JobRun, job_task
from jobs.services.models import register_model_dir


def human_lines(layer: Layer) -> list[Inscription]:
    """Current, human-written, non-empty line texts of a layer: the curated ground truth."""
    return list(
        Inscription.objects.filter(layer=layer, is_current=True, withdrawn=False, line__isnull=False, created_by__isnull=False)
        .exclude(text="")
        .select_related("line__page__image")
        .order_by("line_id")
    )


def collection_ground_truth(collection_id: int, document_id: int | None = None) -> list[Inscription]:
    """Every line's current human reading across a collection's (or one document's) layers.

    That is the imported ALTO/PAGE ground truth together with the curators' corrections; where
    several layers hold a human reading of one line, the newest is the truth to learn from.
    """
    qs = (Inscription.objects.filter(document__collection_id=collection_id, is_current=True, withdrawn=False,
                                     line__isnull=False, created_by__isnull=False)
          .exclude(text="").select_related("line__page__image").order_by("line_id", "created_at", "pk"))
    if document_id is not None:
        qs = qs.filter(document_id=document_id)
    newest: dict[int, Inscription] = {}
    for ins in qs:
        newest[ins.line_id] = ins
    return [newest[line_id] for line_id in sorted(newest)]


def is_held_out(line_id: int, every: int) -> bool:
    """Deterministic hold-out: about one line in ``every``, chosen by a hash of the line id."""
    digest = hashlib.sha256(f"line:{line_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % every == 0


def _pairs(inscriptions: list[Inscription]) -> list[tuple[Any, str, int]]:
    """(line image, text, line id) for each inscription, opening each page (and taking its paper tone) once."""
    from models_ml.htr.groundtruth import paper_tone

    images: dict[int, tuple[Any, int]] = {}
    out = []
    for ins in inscriptions:
        page = ins.line.page
        if page.pk not in images:
            scan = page_image(page)
            images[page.pk] = (scan, paper_tone(scan))
        image, paper = images[page.pk]
        out.append((crop_line_image(image, ins.line, paper), ins.text, ins.line_id))
    return out


def _plot_curve(curve: list[tuple[int, dict]], png: Path, title: str) -> None:
    """Per-epoch loss and validation CER of a fine-tune, for GET /models/{id}/plot/ (best effort)."""
    if not curve:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [e for e, _ in curve]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key, label in ((axes[0], "loss", "training CTC loss"), (axes[1], "best_cer", "best validation CER")):
        values = [info.get(key) for _, info in curve]
        if any(isinstance(v, int | float) for v in values):
            ax.plot(epochs, [v if isinstance(v, int | float) else float("nan") for v in values], marker="o")
        ax.set_title(label)
        ax.set_xlabel("epoch")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    plt.close(fig)


@job_task(TASKS + "train_model", device="auto")
def train_model(run: JobRun) -> dict[str, Any]:
    """Fine-tune a recognizer on ground truth; register the result as a new ModelVersion (parent, card, curve).

    The ground truth is one layer's human lines when ``layer`` is given, else every human line of
    the job's document or collection (imported ALTO/PAGE and corrections alike).
    """
    from jobs.worker import configure_torch
    from models_ml import registry
    from models_ml.htr.train import finetune

    configure_torch()
    params = run.params
    layer = Layer.objects.get(pk=params["layer"]) if params.get("layer") else None
    base_dir = model_dir_for(run.job, params.get("model")) or registry.default_model_dir()
    every = int(params.get("holdout_every") or 5)
    if layer is not None:
        gold, source = human_lines(layer), f"layer '{layer}'"
    else:
        gold = collection_ground_truth(run.job.collection_id, run.job.document_id)
        source = f"document '{run.job.document}'" if run.job.document_id else f"collection '{run.job.collection}'"
    if len(gold) < 2:
        raise ValueError(f"{source} has {len(gold)} human-corrected line(s); fine-tuning needs at least 2")
    run.progress(0, total=int(params.get("epochs") or 5), message=f"cropping {len(gold)} lines")
    pairs = _pairs(gold)
    val = [(img, text) for img, text, line_id in pairs if is_held_out(line_id, every)]
    train = [(img, text) for img, text, line_id in pairs if not is_held_out(line_id, every)]
    held_out = [line_id for _, _, line_id in pairs if is_held_out(line_id, every)]
    if not val:  # tiny sets: still hold one line out, deterministically (the highest id)
        val, train = [(pairs[-1][0], pairs[-1][1])], [(img, text) for img, text, _ in pairs[:-1]]
        held_out = [pairs[-1][2]]
    name = params.get("name") or f"{registry.read_card(base_dir).get('name', 'htr')}-ft"
    out_dir = Path(settings.MODEL_STORE) / f"{name}-job{run.job.pk}"
    if out_dir.exists():  # a redelivered run starts the fine-tune again from scratch
        shutil.rmtree(out_dir)

    curve: list[tuple[int, dict]] = []

    def progress(epoch: int, total: int, info: dict) -> None:
        curve.append((epoch, dict(info)))
        figures = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in info.items())
        run.progress(epoch, total=total or None, message=f"epoch {epoch}/{total}: {figures}")
        run.check_cancelled()

    try:
        card = finetune(base_dir, train, out_dir, epochs=int(params.get("epochs") or 5), progress=progress,
                        val_pairs=val, seed=int(params.get("seed") or 1234), name=name)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)  # no half-written model in the store
        raise
    _plot_curve(curve, out_dir / "training_curves.png", title=f"{name} (fine-tuned from {Path(base_dir).name})")
    model, _ = register_model_dir(out_dir, training_job=run.job, card=card)
    return {
        "model_version": model.pk,
        "parent": model.parent_id,
        "path": str(out_dir),
        "train_lines": len(train),
        "validation_lines": len(val),
        "held_out": held_out,  # line ids kept out of training: the drift timeline reports CER on these (?job=ID)
        "holdout_every": every,
        "ground_truth": source,
        "charset_added": card.get("charset_added", ""),
        "metrics": card.get("metrics", {}),
    }


@job_task(TASKS + "evaluate_model", device="auto")
def evaluate_model(run: JobRun) -> dict[str, Any]:
    """CER/WER of a recognizer against a layer's human-corrected lines (all, or only the held-out ones)."""
    from models_ml.htr.metrics import cer, wer

    params = run.params
    rec, model = recognizer_for(run, params.get("model"))
    layer = Layer.objects.get(pk=params["layer"])
    gold = human_lines(layer)
    if params.get("heldout_only"):
        gold = [g for g in gold if is_held_out(g.line_id, int(params.get("holdout_every") or 5))]
    run.progress(0, total=len(gold), message=f"evaluating {model} on {len(gold)} lines")
    refs, hyps = [], []
    for chunk in chunks(_pairs(gold), int(params.get("batch_size") or 32)):
        run.check_cancelled()
        readings = rec.recognize([img for img, _, _ in chunk], decoder=params.get("decoder", "greedy"))
        refs += [text for _, text, _ in chunk]
        hyps += [r.text for r in readings]
        run.progress(len(refs))
    figures = {"cer": cer(refs, hyps) if refs else None, "wer": wer(refs, hyps) if refs else None, "lines": len(refs)}
    return {"model_version": model.pk, "layer": layer.pk, "decoder": params.get("decoder", "greedy"), **figures}
