"""A page removed from its document while a job was about to segment it is left as it was (no traceback, no lines)."""
from __future__ import annotations

from types import SimpleNamespace

from tests.jobs.conftest import add_pages, render_pages


def test_segmenting_a_page_removed_meanwhile_writes_nothing(scan_document, users) -> None:
    from archive.models import Line, Page, Region
    from archive.services.pages import remove_page
    from inscription.tasks.lines import segment_page_lines

    (image, _), = render_pages(1, 2)
    page, = add_pages(scan_document, [(image, [])], with_lines=False)
    stale = Page.objects.get(pk=page.pk)  # what the job read before the curator removed the page
    remove_page(page, user=users["curator"])
    assert segment_page_lines(SimpleNamespace(job=None), stale, image) == []
    assert not Line.objects.filter(page_id=page.pk).exists() and not Region.objects.filter(page_id=page.pk).exists()
