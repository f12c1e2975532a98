"""Routes (see inscription/api/urls.py): inscriptions, layers, models, jobs."""
from rest_framework.routers import SimpleRouter

from inscription.api.views_inscriptions import InscriptionViewSet, LayerViewSet
from inscription.api.views_jobs import JobViewSet
from inscription.api.views_models import ModelVersionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("inscriptions", InscriptionViewSet, basename="inscription")
router.register("layers", LayerViewSet, basename="layer")
router.register("models", ModelVersionViewSet, basename="modelversion")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
