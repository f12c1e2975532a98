"""Drift of a document's machine readings: how each model generation read it, against the human text.

For every machine transcription layer of a document (one per model version and decoder),
in model-lineage order (``ModelVersion.parent`` chain), this computes the CER against the
current ground-truth (human) layer over the lines both have, and, between consecutive
versions of one lineage, which lines changed: "remembered" fixes (the newer model reads
the line better) and "forgotten" regressions (it reads it worse). All alignment and CER
figures come from the annotation core (``inscription.annotations.alignment``), so they
agree with the Comparison pages.

Read-only and cheap (string alignment only): computed on request, never stored.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archive.models import Document, Line
from inscription.annotations.alignment import align_line, compare_pairs, normalise
from inscription.models import Inscription, Layer, LayerKind
from jobs.models import ModelVersion

MAX_CHAIN = 100
MAX_CHANGES = 500  # per transition, in the JSON; counts stay exact


def lineage(model: ModelVersion) -> list[ModelVersion]:
    """Root first, ``model`` last, following ``parent`` (guarded against cycles)."""
    chain, seen, cursor = [], set(), model
    while cursor is not None and cursor.pk not in seen and len(chain) < MAX_CHAIN:
        chain.append(cursor)
        seen.add(cursor.pk)
        cursor = cursor.parent
    return list(reversed(chain))


def _current_lines(layer: Layer) -> dict[int, Inscription]:
    qs = Inscription.objects.filter(layer=layer, is_current=True, withdrawn=False, line__isnull=False)
    return {i.line_id: i for i in qs.only("id", "line_id", "text", "created_at", "version")}


def ground_truth(document: Document) -> tuple[Layer | None, dict[int, str]]:
    """The current human text per line: the newest ground-truth layer's current, non-empty line versions."""
    layer = Layer.objects.filter(document=document, kind=LayerKind.GROUND_TRUTH).order_by("-created_at", "-id").first()
    if layer is None:
        return None, {}
    return layer, {lid: ins.text for lid, ins in _current_lines(layer).items() if ins.text.strip()}


def _decoding(layer: Layer) -> str:
    params = layer.parameters or {}
    decoder = params.get("decoder", "greedy")
    return f"{decoder}+lm" if params.get("lm") else decoder


def _line_cer(ref: str, hyp: str) -> float | None:
    return align_line("", ref, hyp).cer


def drift(document: Document, only_lines: Iterable[int] | None = None) -> dict[str, Any]:
    """The drift timeline of one document (see module doc). ``only_lines`` restricts every CER to those lines
    (e.g. a fine-tune job's held-out lines, so a figure never counts lines the model was trained on)."""
    gt_layer, gt = ground_truth(document)
    restrict = set(only_lines) if only_lines is not None else None
    if restrict is not None:
        gt = {lid: text for lid, text in gt.items() if lid in restrict}
    layers = list(
        Layer.objects.filter(document=document, kind=LayerKind.MACHINE, model_version__isnull=False)
        .select_related("model_version__parent")
    )
    # Group by lineage root; order inside a lineage by depth, then model and layer creation.
    entries = []
    for layer in layers:
        chain = lineage(layer.model_version)
        entries.append((chain[0], len(chain), layer, chain))
    entries.sort(key=lambda e: (e[0].created_at, e[0].pk, e[1], e[2].model_version.created_at, e[2].created_at, e[2].pk))
    out_layers, lineages, transitions = [], {}, []
    readings: dict[int, dict[int, Inscription]] = {}
    previous: dict[tuple[int, str], Layer] = {}
    for root, depth, layer, chain in entries:
        current = readings[layer.pk] = _current_lines(layer)
        shared = sorted(set(current) & set(gt))
        _, totals = compare_pairs((str(lid), gt[lid], current[lid].text) for lid in shared)
        times = [i.created_at for i in current.values()]
        model = layer.model_version
        out_layers.append({
            "layer": layer.pk,
            "name": layer.name,
            "decoding": _decoding(layer),
            "model_version": model.pk,
            "model": f"{model.name} {model.version}",
            "model_created_at": model.created_at.isoformat(),
            "parent": model.parent_id,
            "lineage": root.pk,
            "depth": depth,
            "read_at": max(times).isoformat() if times else layer.created_at.isoformat(),
            "lines": len(current),
            "lines_compared": len(shared),
            "cer": totals.cer,
            "wer": totals.wer,
            "char_edits": totals.char_edits,
            "ref_chars": totals.ref_chars,
        })
        lineages.setdefault(root.pk, {"root": root.pk, "name": root.name, "models": [m.pk for m in chain], "layers": []})
        lineages[root.pk]["layers"].append(layer.pk)
        if len(chain) > len(lineages[root.pk]["models"]):
            lineages[root.pk]["models"] = [m.pk for m in chain]
        key = (root.pk, _decoding(layer))
        before = previous.get(key)
        if before is not None and before.model_version_id != layer.model_version_id:
            transitions.append(_transition(before, layer, readings[before.pk], current, gt))
        previous[key] = layer
    return {
        "document": document.pk,
        "ground_truth_layer": gt_layer.pk if gt_layer else None,
        "ground_truth_lines": len(gt),
        "restricted_to_lines": sorted(restrict) if restrict is not None else None,
        "layers": out_layers,
        "lineages": list(lineages.values()),
        "transitions": transitions,
    }


def _transition(old: Layer, new: Layer, before: dict[int, Inscription], after: dict[int, Inscription],
                gt: dict[int, str]) -> dict[str, Any]:
    """What changed from one model version's reading to the next, line by line."""
    changed, remembered, forgotten = [], [], []
    for lid in sorted(set(before) & set(after)):
        a, b = before[lid].text, after[lid].text
        if normalise(a) == normalise(b):
            continue
        row: dict[str, Any] = {"line": lid, "before": a, "after": b, "before_inscription": before[lid].pk,
                               "after_inscription": after[lid].pk}
        if lid in gt:
            ca, cb = _line_cer(gt[lid], a), _line_cer(gt[lid], b)
            row.update({"reference": gt[lid], "cer_before": ca, "cer_after": cb})
            if ca is not None and cb is not None and cb < ca:
                remembered.append(row)
            elif ca is not None and cb is not None and cb > ca:
                forgotten.append(row)
        changed.append(row)
    return {
        "from_layer": old.pk, "to_layer": new.pk,
        "from_model": old.model_version_id, "to_model": new.model_version_id,
        "changed": len(changed), "remembered": len(remembered), "forgotten": len(forgotten),
        "changed_lines": [r["line"] for r in changed][:MAX_CHANGES],
        "remembered_lines": remembered[:MAX_CHANGES], "forgotten_lines": forgotten[:MAX_CHANGES],
    }


def plot_svg(data: dict[str, Any]) -> str:
    """The CER timeline as an inline SVG (matplotlib Agg): model versions oldest first, one joined line per decoding."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    # Model versions in the order they were made (then the order they read), joined by one line per
    # decoding: a curator reads the chart left to right as the archive's history of machines.
    order = sorted(range(len(data["layers"])), key=lambda i: (str(data["layers"][i].get("model_created_at") or ""),
                                                              str(data["layers"][i].get("read_at") or ""), i))
    position = {layer_index: x for x, layer_index in enumerate(order)}
    series: dict[str, list[tuple[int, float]]] = {}
    for i, layer in enumerate(data["layers"]):
        if layer["cer"] is not None:
            series.setdefault(layer["decoding"], []).append((position[i], layer["cer"] * 100))
    for decoding, points in series.items():
        points.sort()
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.plot(xs, ys, marker="o", linestyle="-", label=f"{decoding} decoding")
        for x, y in points:
            ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels([data["layers"][i]["model"] for i in order], rotation=20, ha="right", fontsize=8)
    ax.set_xlabel("model versions, oldest first", fontsize=8)
    ax.set_ylabel("CER % vs ground truth")
    title = "held-out lines" if data.get("restricted_to_lines") is not None else "lines with ground truth"
    ax.set_title(f"Machine readings over model versions ({title})", fontsize=10)
    ax.set_ylim(bottom=0)
    if series:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no machine layer shares lines with the ground truth", ha="center", va="center",
                transform=ax.transAxes)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prolog and doctype: it is embedded in HTML


def export_drift(document: Document, key: str | None = None) -> list[tuple[str, bytes]]:
    """(``drift/<document>.json``, JSON bytes) when the document has any machine layer, else nothing.

    Written with archive references instead of database ids (layer names, "name version"
    of models, "p<page>l<line>" for lines, the document's archive key), so an export, a
    restore and a second export give the same file, as every other file of the archive."""
    import json

    data = drift(document)
    if not data["layers"]:
        return []
    models = {m.pk: f"{m.name} {m.version}" for m in ModelVersion.objects.filter(
        pk__in={lay["model_version"] for lay in data["layers"]} | {lay["parent"] for lay in data["layers"] if lay["parent"]}
        | {lin["root"] for lin in data["lineages"]})}
    names = {lay["layer"]: lay["name"] for lay in data["layers"]}
    lines = {ln.pk: f"p{ln.page.order + 1}l{ln.order + 1}" for ln in Line.objects.filter(page__document=document).select_related("page")}
    gt_name = Layer.objects.filter(pk=data["ground_truth_layer"]).values_list("name", flat=True).first()

    def row(r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if k not in ("line", "before_inscription", "after_inscription")}
        return {"line": lines.get(r["line"], str(r["line"])), **out}

    stable = {
        "document": key or str(document.pk),
        "ground_truth_layer": gt_name,
        "ground_truth_lines": data["ground_truth_lines"],
        "layers": [{**{k: v for k, v in lay.items() if k not in ("layer", "model_version", "parent", "lineage")},
                    "parent_model": models.get(lay["parent"]), "lineage": models.get(lay["lineage"])} for lay in data["layers"]],
        "transitions": [{
            "from_layer": names[t["from_layer"]], "to_layer": names[t["to_layer"]],
            "changed": t["changed"], "remembered": t["remembered"], "forgotten": t["forgotten"],
            "changed_lines": [lines.get(x, str(x)) for x in t["changed_lines"]],
            "remembered_lines": [row(r) for r in t["remembered_lines"]],
            "forgotten_lines": [row(r) for r in t["forgotten_lines"]],
        } for t in data["transitions"]],
    }
    body = json.dumps(stable, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    return [(f"drift/{key or document.pk}.json", body)]
