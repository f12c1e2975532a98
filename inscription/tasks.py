"""Celery tasks: THE ONLY bridge from jobs to models_ml (segment, transcribe, fine-tune, evaluate, summarise).

Every task runs through ``inscription.runner.job_task`` (Job row lifecycle, progress,
cooperative cancel, lease). models_ml and torch are imported inside the tasks only, so the
web process never loads them. Writes follow the archive's rules:

- a page's line inscriptions are written in ONE transaction (``write_pages_lines``, a batch of
  pages per transaction), after checking under the layer lock that this job has not written
  the page already, so a redelivered task produces no duplicates and a cancel never leaves
  half a page;
- segmentation is an attributed geometry act (Lines with source=machine and the job);
- a new model gets a new layer; nothing is overwritten.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from archive.models import Document, DocumentKind, GeometrySource, Line, Page
from inscription.models import Inscription, InscriptionKind, Job, Layer, LayerKind, ModelVersion
from inscription.runner import JobRun, job_task
from inscription.services.inscriptions import LineText, create_inscription, write_pages_lines
from inscription.services.layers import get_or_create_layer, machine_layer
from inscription.services.models import model_for_dir, register_model_dir

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- helpers
def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), max(1, size)):
        yield items[start: start + size]


def _ramped_chunks(items: Sequence, size: int) -> list[Sequence]:
    """Batches of 1, 2, 4 … then ``size`` items: the pipeline's first batch, which nothing overlaps, stays small."""
    chunks, start, step = [], 0, 1
    size = max(1, size)
    while start < len(items):
        chunks.append(items[start: start + step])
        start += step
        step = min(size, step * 2)
    return chunks


def _page_image(page: Page):  # noqa: ANN202 - PIL is imported lazily
    """The page scan as the recognizer CLI opens it (no conversion), so readings are identical."""
    from PIL import Image

    with page.image.file.open("rb") as fh:
        with Image.open(fh) as img:
            img.load()
            return img.copy()


def _segmented(line: Line):  # noqa: ANN202
    """A DB line as the segmenter's SegmentedLine, so crops match the CLI's exactly."""
    from models_ml.segment.api import SegmentedLine

    xs = [int(p[0]) for p in line.polygon] or [0]
    ys = [int(p[1]) for p in line.polygon] or [0]
    return SegmentedLine(
        polygon=[tuple(int(v) for v in p) for p in line.polygon],
        baseline=[tuple(int(v) for v in p) for p in line.baseline],
        bbox=(min(xs), min(ys), max(xs), max(ys)),
    )


def _crop(image, line: Line):  # noqa: ANN001, ANN202
    """The line image. A segmenter's quadrilateral is cropped as the segmenter does (upright, like the CLI);
    any other geometry (drawn, imported, polygons of any shape) by its polygon's bounding box."""
    if line.source == GeometrySource.MACHINE and len(line.polygon) == 4:
        from models_ml.segment.api import crop_line

        return crop_line(image, _segmented(line))
    x, y, w, h = line.bbox()
    box = (max(0, x), max(0, y), min(image.width, x + max(1, w)), min(image.height, y + max(1, h)))
    crop = image.crop(box)
    return crop if crop.mode in ("L", "RGB") else crop.convert("L")


class _Inline:
    """An executor that runs each call at once, in this thread (for ``overlap=false``)."""

    def submit(self, fn, *args) -> Future:  # noqa: ANN001
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future, like a pool
            future.set_exception(exc)
        return future

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _prepare(run: JobRun, pages: Sequence[Page], rec) -> list[tuple[Page, list[Line], list]]:  # noqa: ANN001
    """(page, lines, prepared line images) for a batch of pages, segmenting pages without lines first."""
    work = []
    for page in pages:
        image = _page_image(page)
        lines = _segment_page(run, page, image)
        work.append((page, lines, rec.prepare([_crop(image, ln) for ln in lines])))
    return work


def _segment_page(run: JobRun, page: Page, image) -> list[Line]:  # noqa: ANN001
    """The page's lines; a page without any is segmented first (one transaction, re-checked under the page lock)."""
    lines = list(page.lines.order_by("order", "id"))
    if lines:
        return lines
    from models_ml.segment import api as segment_api

    found = segment_api.segment_page(image)
    segmenter = _segmenter_model()
    with transaction.atomic():
        Page.objects.select_for_update().get(pk=page.pk)
        lines = list(page.lines.order_by("order", "id"))
        if lines:  # another delivery segmented it meanwhile
            return lines
        Line.objects.bulk_create(
            Line(page=page, polygon=[list(map(int, p)) for p in seg.polygon], baseline=[list(map(int, p)) for p in seg.baseline],
                 order=i, source=GeometrySource.MACHINE, model_version=segmenter, job=run.job)
            for i, seg in enumerate(found)
        )
    return list(page.lines.order_by("order", "id"))


def _segmenter_model() -> ModelVersion | None:
    """The segmenter's ModelVersion when it is a trained model with a card; classical segmenters have none."""
    from models_ml.segment import api as segment_api

    model_dir = getattr(segment_api, "MODEL_DIR", None)
    if model_dir and (Path(model_dir) / "card.json").exists():
        return model_for_dir(model_dir)
    return None


def _model_dir(job: Job, model_id: int | None) -> Path | None:
    """The recognizer directory for a job: the chosen ModelVersion, else the collection's default, else the shipped one."""
    model = ModelVersion.objects.filter(pk=model_id).first() if model_id else job.collection.default_model
    if model is None:
        return None
    path = Path(model.path)
    if not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"model {model} is not in the model store on this worker ({path})")
    return path


def _recognizer(run: JobRun, model_id: int | None):  # noqa: ANN202
    from inscription.worker import configure_torch
    from models_ml.htr.api import load_recognizer

    device = configure_torch()
    rec = load_recognizer(_model_dir(run.job, model_id), device)
    run.set_device(str(rec.device))
    return rec, model_for_dir(rec.model_dir, rec.card)


def _job_pages(job: Job) -> list[Page]:
    params = job.parameters or {}
    if params.get("pages"):
        qs = Page.objects.filter(pk__in=params["pages"], document__collection=job.collection)
    elif job.page_id:
        qs = Page.objects.filter(pk=job.page_id)
    elif job.document_id:
        qs = Page.objects.filter(document_id=job.document_id)
    else:
        qs = Page.objects.filter(document__collection=job.collection, document__kind=DocumentKind.SCAN)
    return list(qs.select_related("document", "image").order_by("document_id", "order", "id"))


def _reading(line: Line, reading) -> LineText:  # noqa: ANN001
    return LineText(
        line=line,
        text=reading.text,
        confidence=float(reading.confidence),
        char_confidences=list(reading.char_confidences),
        char_frames=[list(f) for f in reading.char_frames],
        char_columns=[list(c) for c in reading.char_columns],
        extra={"frames": int(getattr(reading, "frames", 0))},
    )


# --------------------------------------------------------------------------- segment
@job_task(device="auto")
def segment_document(run: JobRun) -> dict[str, Any]:
    """Segment every page of the document that has no lines yet (existing geometry is never replaced)."""
    pages = _job_pages(run.job)
    run.progress(0, total=len(pages), message="segmenting")
    created = 0
    for done, page in enumerate(pages, 1):
        run.check_cancelled()
        if not page.lines.exists():
            created += len(_segment_page(run, page, _page_image(page)))
        run.progress(done, message=f"page {page.pk}")
    return {"pages": len(pages), "lines_created": created, "segmenter": _segmenter_model().pk if _segmenter_model() else None}


# --------------------------------------------------------------------------- transcribe
@job_task(device="auto")
def transcribe_document(run: JobRun) -> dict[str, Any]:
    """Transcribe pages (segmenting those without lines) into the model's machine layer of each document.

    Lines are batched across ``pages_per_batch`` pages and sorted by width inside the
    recognizer; between batches the job's cancel flag is checked.
    """
    params = run.params
    decoder, lm = params.get("decoder", "greedy"), bool(params.get("lm", False))
    pages_per_batch = int(params.get("pages_per_batch") or 8)
    rec, model = _recognizer(run, params.get("model"))
    # On a CPU a batch of 8 lines is as fast per line as any (bench/htr_bench.py --calibrate) and
    # wastes less on padding; a GPU wants them large. Lines are cut into batches by width either way.
    batch_size = int(params.get("batch_size") or (64 if str(rec.device).startswith("cuda") else 8))
    layer_params = {"decoder": decoder, "lm": lm}
    pages = _job_pages(run.job)
    already = set(Inscription.objects.filter(job=run.job, line__isnull=False).values_list("page_id", flat=True))
    todo = [p for p in pages if p.pk not in already]
    done = len(pages) - len(todo)
    run.progress(done, total=len(pages), message=f"transcribing with {model} on {rec.device}")
    layers: dict[int, Layer] = {}
    state = {"done": done, "lines": 0}
    # where the time goes (bench/job_bench.py reads it): waits of the main thread, and the writer's busy time
    seconds = {"images": 0.0, "forward": 0.0, "forward_cpu": 0.0, "write": 0.0, "writer_busy": 0.0}

    def write_batch(work: list, readings: list) -> None:
        """Runs in the writer thread: the batch's pages in one transaction (whole pages, and the progress, commit together)."""
        t0 = time.perf_counter()
        per_layer: dict[int, list] = {}
        offset = 0
        for page, lines, _ in work:
            page_readings = readings[offset: offset + len(lines)]
            offset += len(lines)
            per_layer.setdefault(page.document_id, []).append(
                (page, [_reading(ln, r) for ln, r in zip(lines, page_readings, strict=True)]))
        with transaction.atomic():
            for document_id, pages in per_layer.items():
                layer = layers.get(document_id)
                if layer is None:
                    layer = layers[document_id] = machine_layer(pages[0][0].document, model, layer_params,
                                                                run.job.requested_by)
                written = write_pages_lines(layer=layer, pages=pages, model_version=model, parameters=layer_params,
                                            job=run.job)
                state["lines"] += sum(len(w or []) for w in written.values())
            state["done"] += len(work)
            run.progress(state["done"], message=f"pages {work[0][0].pk}–{work[-1][0].pk}: {offset} lines")
        seconds["writer_busy"] += time.perf_counter() - t0

    chunks = _ramped_chunks(todo, pages_per_batch)
    # A three-stage pipeline, as data loaders do: a helper thread opens (segments if needed) and crops
    # the next batch's pages, the main thread runs the recognizer, and a writer thread commits the
    # previous batch's pages. At most one batch waits in each stage; a batch's pages commit in one
    # transaction, so a cancel or a crash never leaves half a page.
    prefix = f"job-{run.job.pk}"
    overlap = params.get("overlap", True) is not False  # overlap=false: the same stages, one after another
    with (ThreadPoolExecutor(1, thread_name_prefix=f"{prefix}-prefetch") if overlap else _Inline()) as loader, \
            (ThreadPoolExecutor(1, thread_name_prefix=f"{prefix}-writer") if overlap else _Inline()) as writer:
        upcoming = loader.submit(_prepare, run, chunks[0], rec) if chunks else None
        pending = None
        try:
            for index in range(len(chunks)):
                run.check_cancelled()
                t0 = time.perf_counter()
                work = upcoming.result()
                upcoming = loader.submit(_prepare, run, chunks[index + 1], rec) if index + 1 < len(chunks) else None
                prepared = [line for _, _, page_lines in work for line in page_lines]
                t1, c1 = time.perf_counter(), time.thread_time()
                readings = rec.recognize_prepared(prepared, decoder=decoder, batch_size=batch_size, lm=lm) \
                    if prepared else []
                t2 = time.perf_counter()
                seconds["forward_cpu"] += time.thread_time() - c1
                if pending is not None:
                    pending.result()  # the previous batch is committed (and its errors raised) first
                run.check_cancelled()  # a batch read after a cancel is dropped whole, never half-written
                pending = writer.submit(write_batch, work, readings)
                seconds["images"] += t1 - t0
                seconds["forward"] += t2 - t1
                seconds["write"] += time.perf_counter() - t2
            if pending is not None:
                t3 = time.perf_counter()
                pending.result()
                seconds["write"] += time.perf_counter() - t3
        finally:
            if upcoming is not None:
                upcoming.cancel()
            loader.submit(connections.close_all)  # each helper thread's own database connection
            writer.submit(connections.close_all)  # runs after any pending batch: its pages are whole
    return {
        "model_version": model.pk,
        "layers": sorted(layer.pk for layer in layers.values()),
        "pages": len(pages),
        "lines": state["lines"],
        "device": str(rec.device),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }


# --------------------------------------------------------------------------- fine-tune / evaluate
def _human_lines(layer: Layer) -> list[Inscription]:
    """Current, human-written, non-empty line texts of a layer: the curated ground truth."""
    return list(
        Inscription.objects.filter(layer=layer, is_current=True, withdrawn=False, line__isnull=False, created_by__isnull=False)
        .exclude(text="")
        .select_related("line__page__image")
        .order_by("line_id")
    )


def is_held_out(line_id: int, every: int) -> bool:
    """Deterministic hold-out: about one line in ``every``, chosen by a hash of the line id."""
    digest = hashlib.sha256(f"line:{line_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % every == 0


def _pairs(inscriptions: list[Inscription]) -> list[tuple[Any, str, int]]:
    """(line image, text, line id) for each inscription, opening each page once."""
    images: dict[int, Any] = {}
    out = []
    for ins in inscriptions:
        page = ins.line.page
        if page.pk not in images:
            images[page.pk] = _page_image(page)
        out.append((_crop(images[page.pk], ins.line), ins.text, ins.line_id))
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


@job_task(device="auto")
def train_model(run: JobRun) -> dict[str, Any]:
    """Fine-tune a recognizer on a layer's human-corrected lines; register the result as a new ModelVersion."""
    from inscription.worker import configure_torch
    from models_ml import registry
    from models_ml.htr.train import finetune

    configure_torch()
    params = run.params
    layer = Layer.objects.get(pk=params["layer"])
    base_dir = _model_dir(run.job, params.get("model")) or registry.default_model_dir()
    every = int(params.get("holdout_every") or 5)
    gold = _human_lines(layer)
    if len(gold) < 2:
        raise ValueError(f"layer '{layer}' has {len(gold)} human-corrected line(s); fine-tuning needs at least 2")
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
        "metrics": card.get("metrics", {}),
    }


@job_task(device="auto")
def evaluate_model(run: JobRun) -> dict[str, Any]:
    """CER/WER of a recognizer against a layer's human-corrected lines (all, or only the held-out ones)."""
    from models_ml.htr.metrics import cer, wer

    params = run.params
    rec, model = _recognizer(run, params.get("model"))
    layer = Layer.objects.get(pk=params["layer"])
    gold = _human_lines(layer)
    if params.get("heldout_only"):
        gold = [g for g in gold if is_held_out(g.line_id, int(params.get("holdout_every") or 5))]
    run.progress(0, total=len(gold), message=f"evaluating {model} on {len(gold)} lines")
    refs, hyps = [], []
    for chunk in _chunks(_pairs(gold), int(params.get("batch_size") or 32)):
        run.check_cancelled()
        readings = rec.recognize([img for img, _, _ in chunk], decoder=params.get("decoder", "greedy"))
        refs += [text for _, text, _ in chunk]
        hyps += [r.text for r in readings]
        run.progress(len(refs))
    figures = {"cer": cer(refs, hyps) if refs else None, "wer": wer(refs, hyps) if refs else None, "lines": len(refs)}
    return {"model_version": model.pk, "layer": layer.pk, "decoder": params.get("decoder", "greedy"), **figures}


# --------------------------------------------------------------------------- summarise
def _source_units(document: Document, layer_id: int | None) -> tuple[list[str], list[dict], Layer | None]:
    """Text units to summarise and where each came from (line inscriptions in reading order, or the born-digital text)."""
    if layer_id:
        layer = Layer.objects.get(pk=layer_id)
    else:
        layer = (
            Layer.objects.filter(document=document, kind__in=[LayerKind.GROUND_TRUTH, LayerKind.MACHINE, LayerKind.IMPORT])
            .order_by("-created_at", "-id").first()
        )
    if layer is not None:
        current = (
            Inscription.objects.filter(layer=layer, is_current=True, withdrawn=False, line__isnull=False)
            .select_related("line__page").order_by("line__page__order", "line__order", "line_id")
        )
        units = [(i.text, {"line": i.line_id, "inscription": i.pk, "version": i.version}) for i in current if i.text.strip()]
        if units:
            return [u for u, _ in units], [s for _, s in units], layer
    text = getattr(document, "text", None) if document.kind == DocumentKind.TEXT else None
    if text is not None:
        return [text.content], [{"text": text.pk}], None
    return [], [], layer


@job_task(device="auto")
def summarise_document(run: JobRun) -> dict[str, Any]:
    """Summarise a document into a summary inscription that records its source layer, versions and line links."""
    from inscription.worker import configure_torch
    from models_ml.summarise.api import load_summariser
    from models_ml.summarise.store import DEFAULT_MODEL_DIR

    device = configure_torch()
    document = run.job.document
    units, sources, source_layer = _source_units(document, run.params.get("layer"))
    if not units:
        raise ValueError("the document has no text to summarise (no transcription and no born-digital text)")
    run.progress(0, total=1, message=f"summarising {len(units)} unit(s)")
    summariser = load_summariser(run.params.get("model_dir") or DEFAULT_MODEL_DIR, device)
    run.set_device(str(device))
    sentences = run.params.get("sentences")
    result = summariser.summarise(units if len(units) > 1 else units[0], sentences=int(sentences) if sentences else None)
    run.check_cancelled()
    model = model_for_dir(DEFAULT_MODEL_DIR if not run.params.get("model_dir") else run.params["model_dir"], summariser.card)
    # Map each chosen sentence to the units (lines) whose characters it covers.
    bounds, offset = [], 0
    for unit in units:
        bounds.append((offset, offset + len(unit)))
        offset += len(unit) + 1
    picked = []
    for s in result.sentences:
        covered = [sources[i] for i, (a, b) in enumerate(bounds) if a < s.end and s.start < b]
        picked.append({"text": s.text, "score": s.score, "position": s.position, "start": s.start, "end": s.end,
                       "sources": covered})
    layer = get_or_create_layer(document, f"summary: {model.name} {model.version}", LayerKind.SUMMARY, model, {}, None)
    with transaction.atomic():
        summary = create_inscription(
            layer=layer, document=document, text=result.summary, model_version=model, job=run.job,
            kind=InscriptionKind.SUMMARY, parameters={"sentences": sentences},
            extra={"source_layer": source_layer.pk if source_layer else None,
                   "source_versions": sources, "sentences": picked},
        )
    return {"inscription": summary.pk, "layer": layer.pk, "model_version": model.pk, "sentences": len(picked)}


# --------------------------------------------------------------------------- reading traces (memory lens)
def compute_line_trace(inscription: Inscription) -> dict[str, Any]:
    """Recompute how the inscription's own model read its line: LSTM gates, cell norms, CTC alternatives.

    A plain function (not a job): the memory lens asks for one line on demand. The line is
    cropped exactly as ``transcribe_document`` crops it, and the weights are the
    inscription's ModelVersion, checked by sha256 against the row, so the trace is of the
    reading that was stored. Runs on CPU. Returns {"blob", "frames", "crop", "text"}.
    """
    from models_ml import registry
    from models_ml.htr.api import load_recognizer
    from models_ml.htr.data import preprocess
    from models_ml.htr.trace import compute_trace

    model = inscription.model_version
    path = Path(model.path) if model.path else None
    if path is None or not (path / registry.WEIGHTS).exists():
        raise FileNotFoundError(f"the weights of {model} are not in the model store here ({model.path or 'no path'})")
    card = registry.read_card(path)
    if card.get("sha256") != model.sha256:
        raise registry.ModelError(f"the model directory {path} no longer holds the weights of {model} (sha256 differs)")
    rec = load_recognizer(path, "cpu")  # verifies the weights' sha256 against the card on load
    line = inscription.line
    crop = _crop(_page_image(line.page), line)
    arr = preprocess(crop, rec.height)
    trace = compute_trace(rec.model, arr, rec.charset.chars)
    x, y, _, _ = line.bbox()
    return {
        "blob": trace.to_bytes(),
        "frames": trace.frames,
        "text": "".join(a["char"] for a in trace.alignment),
        "crop": {"x": max(0, x), "y": max(0, y), "width": crop.width, "height": crop.height,
                 "model_width": int(arr.shape[1]), "model_height": int(arr.shape[0])},
    }
