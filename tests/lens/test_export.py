"""The collection archive carries the memory lens: stored traces and each document's drift timeline."""
from __future__ import annotations

import json
import zipfile

import torch  # noqa: F401 - a pinned dependency: missing, these tests fail instead of skipping


def test_collection_zip_has_traces_and_drift(read_page, tmp_path, users) -> None:
    from exchange.formats.archive_export import export_collection
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer
    from inscription.services.traces import get_or_compute_trace, trace_json

    document, page, lines, layer, inscriptions = read_page
    gt = get_or_create_layer(document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=users["owner"])
    create_inscription(layer=gt, text="the letters arrived on Tuesday", line=lines[0], user=users["owner"])
    stored = get_or_compute_trace(inscriptions[0])  # only traces someone looked at are part of the record
    out = tmp_path / "c.zip"
    export_collection(document.collection, out, "http://archive.example")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        # Lens files sit in the document's folder of the archive (documents/<key>/traces, .../drift).
        trace_names = [n for n in names if n.endswith(f"/traces/{inscriptions[0].pk}.json")]
        assert len(trace_names) == 1 and trace_names[0].startswith("documents/")
        trace = json.loads(zf.read(trace_names[0]))
        drift_names = [n for n in names if "/drift/" in n]
        assert len(drift_names) == 1
        drift = json.loads(zf.read(drift_names[0]))
        manifest = json.loads(zf.read("manifest.json"))
    assert not [n for n in names if n.endswith(f"/traces/{inscriptions[1].pk}.json")]  # never computed, not exported
    assert trace == json.loads(json.dumps(trace_json(stored)))
    assert drift["layers"][0]["name"] == layer.name and drift["layers"][0]["lines_compared"] == 1
    assert drift["ground_truth_layer"] == GROUND_TRUTH
    listed = {f["path"] for f in manifest["files"]}
    assert {trace_names[0], drift_names[0]} <= listed
