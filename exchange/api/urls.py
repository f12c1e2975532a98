"""Routes for the standard formats in and out (mounted under /api/v1/ by palimpsest/api_urls.py; see docs/formats.md)."""
from django.urls import path

from exchange.api import formats_export as ex
from exchange.api import formats_import as im

urlpatterns = [
    path("documents/<int:pk>/manifest/", ex.DocumentManifestView.as_view(), name="document-manifest"),
    path("documents/<int:pk>/alto/", ex.DocumentAltoView.as_view(), name="document-alto"),
    path("documents/<int:pk>/page-xml/", ex.DocumentPageXmlView.as_view(), name="document-page-xml"),
    path("documents/<int:pk>/text/", ex.DocumentTextView.as_view(), name="document-text"),
    path("pages/<int:pk>/alto/", ex.PageAltoView.as_view(), name="page-alto"),
    path("pages/<int:pk>/page-xml/", ex.PagePageXmlView.as_view(), name="page-page-xml"),
    path("pages/<int:pk>/text/", ex.PageTextView.as_view(), name="page-text"),
    path("collections/<slug:slug>/iiif/", ex.CollectionIIIFView.as_view(), name="collection-iiif"),
    path("collections/<slug:slug>/import/xml/", im.ImportXmlView.as_view(), name="collection-import-xml"),
    path("collections/<slug:slug>/import/iiif/", im.ImportIIIFView.as_view(), name="collection-import-iiif"),
    path("collections/<slug:slug>/export/", im.ExportCollectionView.as_view(), name="collection-export"),
    path("collections/<slug:slug>/exports/<int:job_id>/download/", im.ExportDownloadView.as_view(), name="collection-export-download"),
]
