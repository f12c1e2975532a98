"""Lens help served by the site, a colour legend on the heatmaps, the drift chart joining model versions in
time order, and the models page in words with what its figures were measured on."""
from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_memory_lens_help_is_a_page_of_the_site(users):
    r = Client().get("/help/memory-lens/")
    assert r.status_code == 200 and "<h1" in r.content.decode() and "memory" in r.content.decode().lower()
    assert Client().get("/help/settings/").status_code == 404  # only the named pages are served


def test_the_memory_panel_links_the_help_and_shows_a_colour_scale():
    from django.template.loader import get_template

    source = open(get_template("web/lens/memory_panel.html").origin.name).read()
    assert "docs/memory-lens.md" not in source and "{% url 'help' 'memory-lens' %}" in source
    assert 'class="lens-ramp"' in source and "dark purple = low" in source


def test_the_drift_chart_joins_versions_of_different_lineages_in_time_order():
    from inscription.services.drift import plot_svg

    layers = [
        {"cer": 0.30, "decoding": "greedy", "model": "other 1.0", "lineage": 2, "model_created_at": "2026-02-01", "read_at": "b"},
        {"cer": 0.20, "decoding": "greedy", "model": "base 1.0", "lineage": 1, "model_created_at": "2026-01-01", "read_at": "a"},
    ]
    svg = plot_svg({"layers": layers, "lineages": [], "restricted_to_lines": None})
    paths = re.findall(r'<g id="line2d_\d+">\s*<path d="([^"]+)"', svg)
    joined = [d for d in paths if d.count("L") >= 1 and "clip-path" not in d]
    assert joined, "the two versions are joined by a line"
    assert svg.index("base 1.0") < svg.index("other 1.0")  # oldest model first on the axis
    assert "link above" not in open("templates/web/lens/drift.html").read()


def test_models_page_names_metrics_in_words_and_warns_about_unseen_hands(users):
    from django.utils import timezone

    from jobs.models import ModelVersion

    ModelVersion.objects.create(name="htr-x", version="1", task="htr", path="", sha256="b" * 64, created_at=timezone.now(),
                                metrics={"test_heldout_lines_beam_lm": {"cer": 0.0704, "wer": 0.2, "lines": 300}},
                                training_data={"source": "synthetic handwriting", "validation": "lines in held-out fonts",
                                               "validation_lines": 400})
    html = Client().get("/models/").content.decode()
    assert "Character error rate" in html and "7.0 %" in html and "Test unseen lines beam with language model" in html
    assert ">cer<" not in html and "test_heldout" not in html
    assert "Validated on lines in held-out fonts (400 lines)" in html
    assert "A hand it has never seen" in html
