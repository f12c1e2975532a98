"""Token authentication: exchange a username and password for an API token."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken

from archive.api.serializers import TokenRequestSerializer, TokenSerializer


class ObtainTokenView(ObtainAuthToken):
    """POST username + password → ``{"token": "..."}``; send it as ``Authorization: Token <token>``."""

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
