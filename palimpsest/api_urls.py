"""The /api/v1/ router: each app contributes its own routes; the root lists them."""
from django.urls import include, path

from palimpsest.api_root import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(patterns=lambda: urlpatterns), name="api-root"),
    path("", include("archive.api.urls")),
    path("", include("inscription.api.urls")),
    path("", include("exchange.api.urls")),
    path("", include("search.api.urls")),
]
