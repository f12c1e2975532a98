"""The search pages of the curator interface."""
from django.urls import path

from search import views

urlpatterns = [
    path("search/", views.results, name="search"),
    path("search/hits/", views.more_hits, name="search-hits"),
]
