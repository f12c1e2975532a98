"""Synthetic handwriting: splits are disjoint, repo data suffices, output has ground truth."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models_ml.synth import sources
from models_ml.synth.lines import LineSampler, write_lines, write_shards
from models_ml.synth.pages import write_pages
from models_ml.synth.render import font_charset

REPO_DATA = sources.REPO_ROOT / "data"


def test_font_split_is_disjoint_and_holds_out_at_least_six() -> None:
    train = {p.name for p in sources.fonts_for("train", REPO_DATA)}
    held = {p.name for p in sources.fonts_for("heldout", REPO_DATA)}
    assert len(held) >= 6 and not train & held
    assert len(train) + len(held) == 42


def test_text_split_holds_out_persuasion_and_recent_sotu() -> None:
    train = {p.name for p in sources.text_files("train", REPO_DATA)}
    held = {p.name for p in sources.text_files("heldout", REPO_DATA)}
    assert "austen-persuasion.txt" in held and "austen-persuasion.txt" not in train
    assert not train & held
    assert all(int(n[:4]) >= sources.SOTU_HELDOUT_FROM_YEAR for n in held if n[:4].isdigit())
    assert all(int(n[:4]) < sources.SOTU_HELDOUT_FROM_YEAR for n in train if n[:4].isdigit())


def test_repo_data_copy_has_fonts_licences_texts_and_digits() -> None:
    fonts = sources.all_fonts(REPO_DATA)
    assert len(fonts) == 42
    for f in fonts:
        assert f.with_suffix(".LICENSE").exists(), f.name
    images, labels = sources.mnist_digits(str(REPO_DATA))
    assert images.shape[1:] == (28, 28) and set(np.unique(labels)) == set(range(10))
    assert len(sources.word_stream("heldout", str(REPO_DATA))) > 10_000


def test_fonts_draw_every_character_they_are_given() -> None:
    sampler = LineSampler("heldout", "heldout", seed=3)
    for _ in range(10):
        img, text, font = sampler.sample()
        cs = font_charset(str(next(p for p in sources.all_fonts() if p.name == font)))
        assert set(text) <= cs
        assert set(text) <= set(sources.CHARSET)
        arr = np.asarray(img)
        assert arr.min() < 120 < arr.max()  # there is ink on paper


def test_normalise_text_maps_typography_into_the_charset() -> None:
    assert sources.normalise_text("\u201cNo\u2014_never_!\u201d  she said\u2026") == '"No-never!" she said...'


def test_write_lines_pairs_png_with_gt(tmp_path: Path) -> None:
    paths = write_lines(tmp_path, 3, "train", "train", seed=7)
    for p in paths:
        gt = p.with_name(p.name[:-4] + ".gt.txt").read_text().strip()
        assert gt and Image.open(p).mode == "L"
    again = write_lines(tmp_path / "b", 3, "train", "train", seed=7)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]  # seeded


def test_shards_and_pages(tmp_path: Path) -> None:
    assert write_shards(tmp_path / "s", 5, 5, 32, "train", "train", seed=1) == 5
    with np.load(tmp_path / "s" / "shard-0001-00000.npz") as z:
        assert z["pixels"].shape[0] == 32 and z["widths"].sum() == z["pixels"].shape[1]
        assert len(z["texts"]) == 5
    assert write_shards(tmp_path / "s", 5, 5, 32, "train", "train", seed=1) == 0  # already there
    (page,) = write_pages(tmp_path / "p", 1, "heldout", "heldout", seed=2)
    meta = json.loads(page.with_suffix(".json").read_text())
    gt = page.with_name(page.name[:-4] + ".gt.txt").read_text().splitlines()
    assert [ln["text"] for ln in meta["lines"]] == gt and len(gt) >= 5


def test_mnist_holdout_digits_are_apart_from_the_training_ones() -> None:
    images, labels = sources.mnist_digits(str(REPO_DATA), "all")
    train_imgs, _ = sources.mnist_digits(str(REPO_DATA), "train")
    held_imgs, held_labels = sources.mnist_digits(str(REPO_DATA), "holdout")
    assert len(train_imgs) + len(held_imgs) == len(images) and len(held_imgs) > 100
    assert set(held_labels.tolist()) == set(range(10))
    train_keys = {im.tobytes() for im in train_imgs}
    assert not any(im.tobytes() in train_keys for im in held_imgs)


def test_digit_lines_hold_only_digits_and_font_drawn_separators(tmp_path) -> None:  # noqa: ANN001
    from models_ml.synth.lines import write_digit_lines

    paths = write_digit_lines(tmp_path, 12, seed=1)
    texts = [p.with_name(p.name[:-4] + ".gt.txt").read_text(encoding="utf-8").strip() for p in paths]
    assert len(texts) == 12 and all(texts)
    assert set("".join(texts)) <= set("0123456789/.-")
    assert sum(c.isdigit() for c in "".join(texts)) > 40


def test_training_digit_lines_draw_other_digits_than_the_evaluation_lines(tmp_path) -> None:  # noqa: ANN001
    from models_ml.synth.lines import write_digit_lines

    held = write_digit_lines(tmp_path / "held", 4, seed=3)
    train = write_digit_lines(tmp_path / "train", 4, seed=3, mnist_split="train")
    assert [p.read_bytes() != q.read_bytes() for p, q in zip(held, train, strict=True)] == [True] * 4
    gt = [p.with_name(p.name[:-4] + ".gt.txt").read_text(encoding="utf-8").strip() for p in train]
    assert set("".join(gt)) <= set("0123456789/.-") and all(gt)
    assert all(np.asarray(Image.open(p)).size for p in train)
    with pytest.raises(ValueError, match="MNIST split"):
        write_digit_lines(tmp_path / "bad", 1, seed=3, mnist_split="test")
