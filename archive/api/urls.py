"""Routes under /api/v1/ for the holdings, and for the standard formats in and out."""
from django.urls import include, path

urlpatterns = [
    path("", include("archive.api.routes_holdings")),
    path("", include("archive.api.routes_formats")),
]
