"""Build ``.gpu/``: what ``scripts/train_htr_gpu.sh`` needs on a lent GPU machine, small enough to travel.

Why: a lease takes the working tree only (64 MB with what is carried) and cannot reach ``../shared``.
The real lines travel as polygon crops at height 64 in 16 grey levels (a third of the bytes of 8-bit
PNGs; augmentation adds noise on top anyway), the synthetic lines as the fonts and a slice of the
training texts that render them there, the digits as MNIST training digits only.

    python scripts/prepare_gpu_lease.py [--segmenter-crops [--seg-levels 8]] [--text-share 0.03] [--digits 5000]

then, on the lease: ``bash scripts/train_htr_gpu.sh`` with ``carry: [".gpu"]`` (the rapidfuzz wheel for the
lease's Python goes in ``.gpu/whl``; see the device tool's README). Credit for the real lines: Testaments
de Poilus, Archives nationales / HTR-United, CC-BY 4.0.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models_ml.paths import shared_data  # noqa: E402
from models_ml.synth.sources import MNIST_HOLDOUT_FROM  # noqa: E402

HEIGHT = 64
LEASE_MIB = 64  # the working tree and carried paths of one device call
WHEEL_MB = 3.5  # the rapidfuzz wheel for the lease's Python, kept room for until .gpu/whl holds it


def write_lines(pairs: list, out: Path, prefix: str, levels: int = 16) -> int:
    """Each (image, text) as NAME.png (height 64, ``levels`` grey levels) + NAME.gt.txt; returns bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    step = 256 // levels
    written = 0
    for k, (img, text) in enumerate(pairs):
        grey = img.convert("L")
        grey = grey.resize((max(4, round(grey.width * HEIGHT / grey.height)), HEIGHT), Image.BILINEAR)
        png = out / f"{prefix}{k:05d}.png"
        Image.fromarray((np.asarray(grey) // step * step + step // 2).astype(np.uint8)).save(png, optimize=True)
        (out / f"{prefix}{k:05d}.gt.txt").write_text(text + "\n", encoding="utf-8")
        written += png.stat().st_size
    return written


def slice_texts(src: Path, dst: Path, share: float) -> int:
    """The head of every text file (whole lines, at least 1.5 kB): enough prose for a few thousand lines."""
    total = 0
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name != "SOURCES.tsv" and len(data) > 1500:
            data = data[: max(1500, int(len(data) * share))]
            data = data[: data.rfind(b"\n") + 1]
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        total += len(data)
    return total


def main() -> int:
    from models_ml.htr.commands import _ground_truth_lines
    from models_ml.realdata import ground_truth_files

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / ".gpu"))
    ap.add_argument("--segmenter-crops", action="store_true", help="also the training pages' lines as the segmenter cuts them")
    ap.add_argument("--seg-levels", type=int, default=8, choices=[4, 8, 16], help="grey levels of the segmenter's crops")
    ap.add_argument("--text-share", type=float, default=0.03)
    ap.add_argument("--digits", type=int, default=5000, help="MNIST training digits to carry")
    args = ap.parse_args()
    out, data = Path(args.out), shared_data()
    if not (data / "real").is_dir():
        print(f"no shared data at {data}: this script packs it", file=sys.stderr)
        return 2
    sizes = {"real-poly": write_lines(_ground_truth_lines(ground_truth_files("train"), True).pairs, out / "real-poly", "l"),
             "val-wills": write_lines(_ground_truth_lines(ground_truth_files("val"), False).pairs, out / "val-wills", "v")}
    if args.segmenter_crops:
        from models_ml.htr.segcrops import segmenter_crops

        sizes["real-seg"] = write_lines(segmenter_crops(ground_truth_files("train"), exclude_validation=True).pairs,
                                        out / "real-seg", "s", args.seg_levels)
    shutil.copytree(data / "fonts", out / "data" / "fonts", dirs_exist_ok=True)
    sizes["texts"] = slice_texts(data / "texts", out / "data" / "texts", args.text_share)
    with np.load(data / "digits" / "mnist-train.npz") as z:
        source = z["source_indices"] if "source_indices" in z.files else np.arange(len(z["labels"]))
        keep = np.flatnonzero(source < MNIST_HOLDOUT_FROM)[: args.digits]  # held-out digits never travel
        (out / "data" / "digits").mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out / "data" / "digits" / "mnist-train.npz", images=z["images"][keep],
                            labels=z["labels"][keep], source_indices=source[keep])
    for name, size in sizes.items():
        print(f"{name:10s} {size / 1e6:6.1f} MB")
    packed = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    packed += 0 if any(out.glob("whl/*.whl")) else int(WHEEL_MB * 1e6)
    tracked = sum((REPO / f).stat().st_size for f in subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
        if (REPO / f).is_file())
    print(f"total {packed / 1e6:.1f} MB in {out}; with the tracked tree {(packed + tracked) / 2**20:.1f} MiB "
          f"of the {LEASE_MIB} MiB a lease carries")
    if packed + tracked > LEASE_MIB * 2**20:
        print("too much for one lease: pass a smaller --text-share or --digits, or fewer --seg-levels", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
