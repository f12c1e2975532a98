"""Routes under /api/v1/ for the memory layer; each concept has its own route module."""
from django.urls import include, path

urlpatterns = [
    path("", include("inscription.api.routes_inscriptions")),
    path("", include("inscription.api.routes_annotations")),
    path("", include("inscription.api.routes_lens")),
    path("", include("inscription.api.curation")),
]
