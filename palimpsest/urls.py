"""URL map: admin, REST API v1, OpenAPI schema and docs, and the curator interface."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),  # no inline script
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("palimpsest.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("search.urls")),
    path("", include("web.urls")),
]
# Media is never served as a static tree, not even with DEBUG: scans, thumbnails and exports are
# private to their collection and go out only through views that check the collection role.

handler400 = "palimpsest.error_views.bad_request"
handler403 = "palimpsest.error_views.permission_denied"
handler404 = "palimpsest.error_views.page_not_found"
handler500 = "palimpsest.error_views.server_error"
