"""The /api/v1/ router: each app contributes its own routes."""
from django.urls import include, path

urlpatterns = [
    path("", include("archive.api.urls")),
    path("", include("inscription.api.urls")),
    path("", include("exchange.api.urls")),
]
