"""GET /api/v1/: what the API offers, as links (so the API's own root is not a 404).

The list is read from the URL configuration (every ``*-list`` route without arguments),
so an app that adds a resource appears here without touching this file.
"""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _list_routes(patterns, prefix: str = "") -> list[str]:  # noqa: ANN001
    names = []
    for p in patterns:
        if isinstance(p, URLResolver):
            names += _list_routes(p.url_patterns)
        elif isinstance(p, URLPattern) and p.name and p.name.endswith("-list") and not p.pattern.regex.groupindex:
            names.append(p.name)
    return sorted(set(names))


class ApiRootView(APIView):
    """Links to every collection of resources, the schema and its docs."""

    permission_classes = [AllowAny]
    patterns = None  # the router's urlpatterns, given by palimpsest/api_urls.py (as_view(patterns=...))

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The API's resources, as links")
    def get(self, request: Request) -> Response:
        resources = {name.removesuffix("-list"): request.build_absolute_uri(reverse(name))
                     for name in _list_routes(self.patterns() if self.patterns else [])}
        return Response({
            "name": "Palimpsest API",
            "version": "v1",
            "resources": resources,
            "schema": request.build_absolute_uri(reverse("schema")),
            "docs": request.build_absolute_uri(reverse("api-docs")),
            "authentication": {"token": request.build_absolute_uri(reverse("auth-token")), "session": "/accounts/login/"},
        })
