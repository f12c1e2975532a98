"""Routes (see inscription/api/urls.py): annotations, annotation collections, comparisons, reflections."""
from rest_framework.routers import SimpleRouter

from inscription.api.annotations import AnnotationCollectionViewSet, AnnotationViewSet
from inscription.api.comparisons import ComparisonViewSet
from inscription.api.reflections import ReflectionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("annotations", AnnotationViewSet, basename="annotation")
router.register("annotation-collections", AnnotationCollectionViewSet, basename="annotation-collection")
router.register("comparisons", ComparisonViewSet, basename="comparison")
router.register("reflections", ReflectionViewSet, basename="reflection")

urlpatterns = router.urls
