"""Routes (see inscription/api/urls.py): the memory lens (reading traces, drift timelines)."""
from django.urls import path

from inscription.api.lens import DocumentDriftPlotView, DocumentDriftView, InscriptionTraceView

urlpatterns = [
    path("inscriptions/<int:pk>/trace/", InscriptionTraceView.as_view(), name="inscription-trace"),
    path("documents/<int:pk>/drift/", DocumentDriftView.as_view(), name="document-drift"),
    path("documents/<int:pk>/drift/plot.svg", DocumentDriftPlotView.as_view(), name="document-drift-plot"),
]
