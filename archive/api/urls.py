"""Routes under /api/v1/ for the holdings (the standard formats in and out are exchange's)."""
from django.urls import include, path

urlpatterns = [
    path("", include("archive.api.routes_holdings")),
]
