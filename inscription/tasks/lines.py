"""What every recognizer task shares: the job's pages, page images and line crops, the model, readings.

A line is cropped here exactly as the recognizer CLI crops it, so a job's reading of a
page equals the CLI's; a page without lines is segmented first, as an attributed machine
geometry act written in one transaction.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from django.db import transaction

from archive.models import DocumentKind, GeometrySource, Line, Page, Region
from inscription.services.inscriptions import LineText
from jobs.models import Job, ModelVersion
from jobs.runner import JobRun
from jobs.services.models import model_for_dir

# Celery names of the tasks: "inscription.tasks.<function>", whichever module of the package holds it.
TASKS = "inscription.tasks."


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), max(1, size)):
        yield items[start: start + size]


def ramped_chunks(items: Sequence, size: int) -> list[Sequence]:
    """Batches of 1, 2, 4 … then ``size`` items: the pipeline's first batch, which nothing overlaps, stays small.

    A remainder shorter than half the last batch joins it (at most 1.5 × ``size``): a last batch of a
    page or two would read its lines in poorly filled, badly width-matched forward calls.
    """
    batches, start, step = [], 0, 1
    size = max(1, size)
    while start < len(items):
        end = start + step
        if 2 * (len(items) - end) < step:  # what would be left is a short remainder: it joins this batch
            end = len(items)
        batches.append(items[start:end])
        start = end
        step = min(size, step * 2)
    return batches


def segment_page_lines(run: JobRun, page: Page, image) -> list[Line]:  # noqa: ANN001
    """The page's lines; a page without any is segmented first (one transaction, re-checked under the page lock).

    The trained segmenter also yields typed regions (main, margin, heading, other); they are
    stored with the lines, attributed to the same model and job.
    """
    lines = list(page.lines.order_by("order", "id"))
    if lines:
        return lines
    from models_ml.segment import api as segment_api

    layout = segment_api.segment_layout(image)
    segmenter = segmenter_model() if layout.method == "trained" else None  # classical lines have no model
    with transaction.atomic():
        locked = Page.all_objects.select_for_update().get(pk=page.pk)
        if locked.removed_at is not None:  # removed from its document while the job ran: leave it as it was
            return []
        lines = list(page.lines.order_by("order", "id"))
        if lines:  # another delivery segmented it meanwhile
            return lines
        regions = [Region.objects.create(page=page, polygon=[list(map(int, p)) for p in r.polygon], kind=r.type,
                                         order=r.order, source=GeometrySource.MACHINE, model_version=segmenter,
                                         job=run.job) for r in layout.regions]
        Line.objects.bulk_create(
            Line(page=page, polygon=[list(map(int, p)) for p in seg.polygon], baseline=[list(map(int, p)) for p in seg.baseline],
                 order=i, source=GeometrySource.MACHINE, model_version=segmenter, job=run.job,
                 region=regions[seg.region] if seg.region >= 0 else None)
            for i, seg in enumerate(layout.lines)
        )
    return list(page.lines.order_by("order", "id"))


def segmenter_model() -> ModelVersion | None:
    """The segmenter's ModelVersion when it is a trained model with a card; classical segmenters have none."""
    from models_ml.segment import api as segment_api

    model_dir = getattr(segment_api, "MODEL_DIR", None)
    if model_dir and (Path(model_dir) / "card.json").exists():
        return model_for_dir(model_dir)
    return None


def model_dir_for(job: Job, model_id: int | None) -> Path | None:
    """The recognizer directory for a job: the chosen ModelVersion, else the collection's default, else the shipped one."""
    model = ModelVersion.objects.filter(pk=model_id).first() if model_id else job.collection.default_model
    if model is None:
        return None
    path = Path(model.path)
    if not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"model {model} is not in the model store on this worker ({path})")
    return path


def recognizer_for(run: JobRun, model_id: int | None):  # noqa: ANN202
    from jobs.worker import configure_torch
    from models_ml.htr.api import load_recognizer

    device = configure_torch()
    rec = load_recognizer(model_dir_for(run.job, model_id), device)
    run.set_device(str(rec.device))
    return rec, model_for_dir(rec.model_dir, rec.card)


def job_pages(job: Job) -> list[Page]:
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


def line_text(line: Line, reading) -> LineText:  # noqa: ANN001
    return LineText(
        line=line,
        text=reading.text,
        confidence=float(reading.confidence),
        char_confidences=list(reading.char_confidences),
        char_frames=[list(f) for f in reading.char_frames],
        char_columns=[list(c) for c in reading.char_columns],
        extra={"frames": int(getattr(reading, "frames", 0)),
               **({"words": reading.words} if getattr(reading, "words", None) else {})},
    )
