"""URLs of the curator interface."""
from django.urls import path

from web.views import collections

urlpatterns = [
    path("", collections.home, name="home"),
]
