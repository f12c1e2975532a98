"""Routes of the holdings (see archive/api/urls.py)."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from archive.api.views.auth import ObtainTokenView
from archive.api.views.collections import CollectionViewSet, MembershipViewSet
from archive.api.views.documents import DocumentViewSet, TextViewSet
from archive.api.views.lines import LineViewSet
from archive.api.views.pages import PageViewSet
from archive.api.views.regions import GeometryRevisionViewSet, RegionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("collections", CollectionViewSet, basename="collection")
router.register(r"collections/(?P<collection_slug>[-\w]+)/members", MembershipViewSet, basename="collection-member")
router.register("documents", DocumentViewSet, basename="document")
router.register("pages", PageViewSet, basename="page")
router.register("lines", LineViewSet, basename="line")
router.register("regions", RegionViewSet, basename="region")
router.register("geometry-revisions", GeometryRevisionViewSet, basename="geometry-revision")
router.register("texts", TextViewSet, basename="text")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    *router.urls,
]
