"""When the trained segmenter sees no line on a page, the classical segmenter's lines are used (and say so)."""
from __future__ import annotations

from PIL import Image, ImageDraw

from models_ml.segment import api


def _page_with_two_lines() -> Image.Image:
    img = Image.new("L", (900, 300), 235)
    draw = ImageDraw.Draw(img)
    for y in (80, 180):
        for x in range(60, 820, 24):
            draw.rectangle((x, y, x + 14, y + 22), fill=40)
    return img


def test_an_empty_trained_layout_falls_back_to_the_classical_lines(monkeypatch) -> None:
    from models_ml.segment import trained
    from models_ml.segment.layout import PageLayout

    class Blind:  # a trained segmenter that sees nothing
        def segment(self, image):  # noqa: ANN001, ANN202
            return PageLayout(width=image.width, height=image.height)

    monkeypatch.setattr(trained, "get_segmenter", lambda model_dir=None: Blind())
    page = _page_with_two_lines()
    layout = api.segment_layout(page, method="trained")
    assert layout.method == "classical-fallback" and len(layout.lines) == 2
    assert api.segment_page(page, method="trained") == api.segment_page_classical(page)
    blank = Image.new("L", (900, 300), 235)  # nothing for either: the trained (empty) layout stands
    assert api.segment_layout(blank, method="trained").method == "trained"
    assert api.segment_layout(page, method="classical").method == "classical"
