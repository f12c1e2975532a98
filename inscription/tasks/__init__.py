"""Celery tasks: THE ONLY bridge from jobs to models_ml (segment, transcribe, fine-tune, evaluate, summarise).

One module per kind of work: ``lines`` (pages, crops, the model), ``transcribe`` (segment and
transcribe), ``training`` (fine-tune and evaluate), ``summarise``. Task
names stay ``inscription.tasks.<function>`` whichever module holds them.

Every task runs through ``jobs.runner.job_task`` (Job row lifecycle, progress,
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

from inscription.tasks.lines import TASKS
from inscription.tasks.summarise import summarise_document
from inscription.tasks.training import evaluate_model, is_held_out, train_model
from inscription.tasks.transcribe import segment_document, transcribe_document

__all__ = ["TASKS", "evaluate_model", "is_held_out", "segment_document", "summarise_document",
           "train_model", "transcribe_document"]
