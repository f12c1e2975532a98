"""Checking a job's parameters before it is queued, so a bad request fails with 400 and queues nothing."""
from __future__ import annotations

from typing import Any

from archive.models import Collection, Document, Page
from inscription.models import Layer
from jobs.kinds import ParamCheck
from jobs.models import ModelTask, ModelVersion
from palimpsest.errors import InputError

DECODERS = ("greedy", "beam")
BEAM_WITH_LM = "beam+lm"
# Pages read per pipeline batch (one transaction, one cancel check). Larger batches match line widths
# better in the forward calls (bench/job_bench.py: 8 pages cost ~6% more than one plan over 48 pages);
# 32 pages of 30 lines are ~10 s on one CPU thread, still a prompt cancel.
DEFAULT_PAGES_PER_BATCH = 32


def _int(params: dict, key: str, low: int, high: int, default: int | None = None) -> int | None:
    value = params.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"'{key}' must be an integer.", code="bad_parameters")
    try:
        value = int(value)
    except ValueError as exc:
        raise InputError(f"'{key}' must be an integer.", code="bad_parameters") from exc
    if not low <= value <= high:
        raise InputError(f"'{key}' must be between {low} and {high}.", code="bad_parameters")
    return value


def _model(params: dict, task: str) -> ModelVersion | None:
    if params.get("model") in (None, ""):
        return None
    pk = _int(params, "model", 1, 2**62)
    model = ModelVersion.objects.filter(pk=pk, task=task).first()
    if model is None:
        raise InputError(f"No {task} model version {pk}.", code="bad_parameters")
    return model


def _layer(params: dict, collection: Collection, document: Document | None, required: bool) -> Layer | None:
    if params.get("layer") in (None, ""):
        if required:
            raise InputError("'layer' (a layer id) is required for this job.", code="bad_parameters")
        return None
    pk = _int(params, "layer", 1, 2**62)
    layer = Layer.objects.filter(pk=pk, document__collection=collection).first()
    if layer is None or (document is not None and layer.document_id != document.pk):
        raise InputError(f"No layer {pk} in this collection/document.", code="bad_parameters")
    return layer


def _only_lines(params: dict, document: Document | None, page: Page | None) -> None:
    """``lines``: "changed" (lines reshaped since a model last read them) or a list of line ids; resolved
    here to ids, so a redelivered job reads the same lines; ``pages`` becomes the pages of those lines."""
    from archive.models import Line
    from inscription.services.changed_lines import changed_lines

    lines = params["lines"]
    if document is None:
        raise InputError("'lines' needs a job on a document or a page.", code="bad_parameters")
    scope = Page.objects.filter(pk__in=params["pages"]) if params.get("pages") else \
        Page.objects.filter(pk=page.pk) if page is not None else Page.objects.filter(document=document)
    if lines == "changed":
        found = changed_lines(scope)
        if not found:
            raise InputError("No line has changed shape since it was last transcribed.", code="no_changed_lines")
    elif isinstance(lines, list) and lines:
        ids = [_int({"line": v}, "line", 1, 2**62) for v in lines]
        found = list(Line.objects.filter(pk__in=ids, page__in=scope))
        if len(found) != len(set(ids)):
            raise InputError("'lines' must be ids of lines on the job's pages.", code="bad_parameters")
    else:
        raise InputError("'lines' must be \"changed\" or a non-empty list of line ids.", code="bad_parameters")
    params["lines"] = sorted(line.pk for line in found)
    params["pages"] = sorted({line.page_id for line in found})


def card_decoder(model: ModelVersion | None) -> str:
    """The decoder a recognizer's card names as its default (``models_ml.htr.decode.card_decoding``), as a job's
    ``decoder`` parameter: "beam+lm" only when the card also names its LM (``decoding.lm``); None is the
    shipped default model. A job that names no decoder then writes the reading the card's figures promise.
    """
    from models_ml.htr.decode import card_decoding

    if model is not None:
        card = model.card or {}
    else:
        from models_ml import registry

        card = registry.read_card(registry.default_model_dir())
    decoder, lm = card_decoding(card)
    return BEAM_WITH_LM if lm and (card.get("decoding") or {}).get("lm") else decoder


def clean_transcribe(check: ParamCheck) -> dict[str, Any]:
    """Model (else the collection's default recognizer), decoder and language model (else the model card's
    default), batch sizes, pages."""
    params, document, page = check.params, check.document, check.page
    if params.get("model") in (None, "") and getattr(check.collection, "default_model_id", None):
        params["model"] = check.collection.default_model_id  # the collection's default recognizer
    model = _model(params, ModelTask.HTR)
    params["model"] = model.pk if model else None
    if params.get("decoder") in (None, "") and "lm" not in params:
        params["decoder"] = card_decoder(model)  # the recognizer's own default (its card)
    decoder = params.setdefault("decoder", "greedy")
    if decoder == BEAM_WITH_LM:  # the web form's one choice for "beam search with the model's language model"
        decoder = params["decoder"] = "beam"
        params["lm"] = True
    if decoder not in DECODERS:
        raise InputError(f"'decoder' must be one of {', '.join(DECODERS)} (or {BEAM_WITH_LM}).", code="bad_parameters")
    params["lm"] = bool(params.get("lm", False))
    if params["lm"] and decoder != "beam":
        raise InputError("'lm' needs the beam decoder.", code="bad_parameters")
    params["batch_size"] = _int(params, "batch_size", 1, 512)  # None: the worker picks (8 on CPU, 64 on CUDA)
    params["pages_per_batch"] = _int(params, "pages_per_batch", 1, 64, DEFAULT_PAGES_PER_BATCH)
    if not isinstance(params.setdefault("overlap", True), bool):
        raise InputError("'overlap' must be true or false.", code="bad_parameters")
    # Keep each line's word alternatives from the CTC posteriors (the probabilistic search index).
    if not isinstance(params.setdefault("word_alternatives", True), bool):
        raise InputError("'word_alternatives' must be true or false.", code="bad_parameters")
    pages = params.get("pages")
    if pages is not None:
        if document is None or not isinstance(pages, list) or not pages:
            raise InputError("'pages' must be a non-empty list of page ids of the job's document.", code="bad_parameters")
        ids = [_int({"p": p}, "p", 1, 2**62) for p in pages]
        if Page.objects.filter(pk__in=ids, document=document).count() != len(set(ids)):
            raise InputError("'pages' must be page ids of the job's document.", code="bad_parameters")
        params["pages"] = ids
    elif page is not None:
        params["pages"] = [page.pk]
    if params.get("lines") is not None:
        _only_lines(params, document, page)
    return params


def clean_train(check: ParamCheck) -> dict[str, Any]:
    """A ground-truth layer (none: all the ground truth in scope), epochs, the held-out share, the base model, the name."""
    params = check.params
    layer = _layer(params, check.collection, check.document, required=False)  # none: all the ground truth in scope
    params["layer"] = layer.pk if layer else None
    params["epochs"] = _int(params, "epochs", 1, 200, 5)
    params["holdout_every"] = _int(params, "holdout_every", 2, 100, 5)
    model = _model(params, ModelTask.HTR)
    params["model"] = model.pk if model else None
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 100 or "/" in name):
        raise InputError("'name' must be a short model name without '/'.", code="bad_parameters")
    return params


def clean_evaluate(check: ParamCheck) -> dict[str, Any]:
    """A ground-truth layer (required), the model and the decoder."""
    params = check.params
    layer = _layer(params, check.collection, check.document, required=True)
    params["layer"] = layer.pk
    model = _model(params, ModelTask.HTR)
    params["model"] = model.pk if model else None
    params.setdefault("decoder", "greedy")
    if params["decoder"] not in DECODERS:
        raise InputError(f"'decoder' must be one of {', '.join(DECODERS)}.", code="bad_parameters")
    return params


def clean_summarise(check: ParamCheck) -> dict[str, Any]:
    """An optional layer to summarise (else the document's text)."""
    params = check.params
    layer = _layer(params, check.collection, check.document, required=False)
    params["layer"] = layer.pk if layer else None
    return params
