"""Pagination for lists that filter by scan page: the page NUMBER is ``?p=``, so ``?page=ID`` can mean a scan page."""
from rest_framework.pagination import PageNumberPagination


class ScanPageSafePagination(PageNumberPagination):
    """DRF's default ``?page=`` would swallow the ``page`` filter (``?page=57`` → "Invalid page", 404)."""

    page_query_param = "p"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
