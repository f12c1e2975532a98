"""Small display filters for the curator interface."""
from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """0.0431 → "4.3%" (— for None)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def export_link(job) -> str:  # noqa: ANN001 - a Job
    """The signed, expiring download path of a finished export job."""
    from archive.services.export_links import download_path

    return download_path(job)
