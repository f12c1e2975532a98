"""Build the loop test's small base recognizer (tests/lens/data/htr-lens-tiny), reproducibly (fixed seeds).

    python tests/lens/build_tiny_model.py [--out tests/lens/data] [--lines 1200] [--epochs 20]

It learns one training hand (the first training font) and the small vocabulary of
tests/lens/helpers.VOCAB; it then reads the held-out hands poorly, which the loop test
fixes with curated corrections. Prints the CER on its own hand and on each held-out hand.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    from models_ml.htr.api import load_recognizer
    from models_ml.htr.metrics import cer
    from models_ml.synth.sources import fonts_for
    from tests.lens.helpers import pretrain_tiny, render_pairs, vocab_texts

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "data"))
    ap.add_argument("--lines", type=int, default=1200)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    font = fonts_for("train")[0]
    with tempfile.TemporaryDirectory() as tmp:
        built = pretrain_tiny(Path(tmp), font, lines=args.lines, epochs=args.epochs)
        out = Path(args.out) / "htr-lens-tiny"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for name in ("model.safetensors", "card.json"):
            shutil.copy(built / name, out / name)
    rec = load_recognizer(out, "cpu")
    figures = {}
    for f in [font, *fonts_for("heldout")]:
        pairs = render_pairs(vocab_texts(40, 99), f, 99)
        figures[f.name] = round(cer([t for _, t in pairs], [r.text for r in rec.recognize([p for p, _ in pairs])]), 3)
    print(json.dumps({"model": str(out), "trained_on": font.name, "cer": figures}, indent=1))


if __name__ == "__main__":
    main()
