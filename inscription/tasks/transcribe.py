"""Segment and transcribe: pages to machine line geometry and line inscriptions.

Transcription runs as a three-stage pipeline (load → recognize → write); a batch of pages is
written in ONE transaction after checking, under the layer lock, that this job has not written
those pages already, so a redelivered task writes no duplicates and a cancel never leaves half a page.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connections, transaction

from archive.models import Line, Page, PageState
from archive.services.workflow import advance_pages
from inscription.models import Inscription, Layer
from inscription.services.inscriptions import write_pages_lines
from inscription.services.job_params import DEFAULT_PAGES_PER_BATCH
from inscription.services.layers import machine_layer
from inscription.services.line_images import page_image, page_line_crops
from inscription.tasks.lines import (
    TASKS,
    job_pages,
    line_text,
    ramped_chunks,
    recognizer_for,
    segment_page_lines,
    segmenter_model,
)
from jobs.runner import JobRun, job_task


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
    only = set(run.params.get("lines") or [])  # a re-transcription of the changed lines only
    for page in pages:
        image = page_image(page)
        lines = segment_page_lines(run, page, image)
        if only:
            lines = [ln for ln in lines if ln.pk in only]
        work.append((page, lines, rec.prepare(page_line_crops(image, lines))))
    return work


def page_words(first: Page, last: Page | None = None) -> str:
    """Pages as a curator numbers them ("page 3", "pages 3–7 of Letter to Anna"), never database ids."""
    doc = first.document.title if len(first.document.title) <= 60 else first.document.title[:59] + "…"
    if last is None or last.pk == first.pk:
        return f"page {first.order + 1} of {doc}"
    if last.document_id != first.document_id:
        return f"page {first.order + 1} of {doc} to page {last.order + 1} of {last.document.title[:60]}"
    return f"pages {first.order + 1}–{last.order + 1} of {doc}"


@job_task(TASKS + "segment_document", device="auto")
def segment_document(run: JobRun) -> dict[str, Any]:
    """Segment every page of the document that has no lines yet (existing geometry is never replaced)."""
    pages = job_pages(run.job)
    run.progress(0, total=len(pages), message="segmenting")
    created = 0
    for done, page in enumerate(pages, 1):
        run.check_cancelled()
        if not page.lines.exists():
            created += len(segment_page_lines(run, page, page_image(page)))
        if page.lines.exists():
            advance_pages([page], PageState.SEGMENTED, job=run.job)
        run.progress(done, message=f"{page_words(page)} segmented")
    return {"pages": len(pages), "lines_created": created, "segmenter": segmenter_model().pk if segmenter_model() else None}


@job_task(TASKS + "transcribe_document", device="auto")
def transcribe_document(run: JobRun) -> dict[str, Any]:
    """Transcribe pages (segmenting those without lines) into the model's machine layer of each document.

    Lines are batched across ``pages_per_batch`` pages and sorted by width inside the
    recognizer; between batches the job's cancel flag is checked.
    """
    params = run.params
    decoder, lm = params.get("decoder", "greedy"), bool(params.get("lm", False))
    alternatives = params.get("word_alternatives", True) is not False
    pages_per_batch = int(params.get("pages_per_batch") or DEFAULT_PAGES_PER_BATCH)
    rec, model = recognizer_for(run, params.get("model"))
    # On a CPU a batch of 8 lines is as fast per line as any (bench/htr_bench.py --calibrate) and
    # wastes less on padding; a GPU wants them large. Lines are cut into batches by width either way.
    batch_size = int(params.get("batch_size") or (64 if str(rec.device).startswith("cuda") else 8))
    layer_params = {"decoder": decoder, "lm": lm}
    pages = job_pages(run.job)
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
                (page, [line_text(ln, r) for ln, r in zip(lines, page_readings, strict=True)]))
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
            run.progress(state["done"], message=f"{page_words(work[0][0], work[-1][0])}: {offset} lines")
        seconds["writer_busy"] += time.perf_counter() - t0

    chunks = ramped_chunks(todo, pages_per_batch)
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
                readings = rec.recognize_prepared(prepared, decoder=decoder, batch_size=batch_size, lm=lm,
                                                  alternatives=alternatives) if prepared else []
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
