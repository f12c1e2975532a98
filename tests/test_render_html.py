"""web.render.char_html: the workspace's per-character HTML is escaped and marked exactly (it is built without
format_html for speed, so this pins its output)."""
from web.render import char_html


def test_characters_are_escaped_with_their_confidence_and_marks():
    out = char_html("<a'&", [0.5, 0.99, 1, "x"], marks=[(1, 3, 7), (2, 3, 9)], threshold=0.8)
    assert str(out) == (
        '<span class="ch lowconf" data-c="0.500">&lt;</span>'
        '<mark class="ann" data-ann="7"><span class="ch" data-c="0.990">a</span></mark>'
        '<mark class="ann" data-ann="7 9"><span class="ch" data-c="1.000">&#x27;</span></mark>'
        '<span class="ch" data-c="1.000">&amp;</span>'
    )


def test_without_confidences_the_text_is_only_escaped():
    assert str(char_html('"<b>"', None)) == "&quot;&lt;b&gt;&quot;"
