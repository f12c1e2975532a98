"""URLs of the curator interface (the REST API lives under /api/v1/)."""
from django.urls import path

from web.views import annotate, collections, compare, documents, jobs, lens, models, reflect, workspace

urlpatterns = [
    path("", collections.home, name="home"),
    path("collections/new/", collections.collection_create, name="collection-create"),
    path("c/<slug:slug>/", collections.collection_detail, name="collection"),
    path("c/<slug:slug>/documents/new/", collections.document_create, name="document-create"),
    path("c/<slug:slug>/members/", collections.members, name="members"),
    path("c/<slug:slug>/default-model/", collections.default_model, name="default-model"),
    path("d/<int:pk>/", documents.document_detail, name="document"),
    path("d/<int:pk>/jobs/", documents.start_job, name="start-job"),
    path("d/<int:pk>/compare/", compare.compare, name="compare"),
    path("d/<int:pk>/drift/", lens.drift_page, name="drift"),
    path("i/<int:pk>/memory/", lens.memory, name="memory"),
    path("p/<int:pk>/", workspace.workspace, name="workspace"),
    path("p/<int:pk>/image/", documents.page_image, name="page-image"),
    path("p/<int:pk>/thumb/", documents.page_thumbnail, name="page-thumb"),
    path("p/<int:pk>/annotate/", annotate.annotate, name="annotate"),
    path("l/<int:pk>/", workspace.line_row, name="line-row"),
    path("l/<int:pk>/edit/", workspace.line_edit, name="line-edit"),
    path("l/<int:pk>/history/", workspace.line_history, name="line-history"),
    path("l/<int:pk>/restore/", workspace.line_restore, name="line-restore"),
    path("compare/<int:pk>/", compare.comparison_detail, name="comparison"),
    path("reflections/", reflect.reflection_list, name="reflections"),
    path("reflections/new/", reflect.reflection_new, name="reflection-new"),
    path("reflections/preview/", reflect.preview, name="reflection-preview"),
    path("reflections/cite/", reflect.cite_search, name="reflection-cite"),
    path("reflections/<int:pk>/", reflect.reflection_detail, name="reflection"),
    path("reflections/<int:pk>/edit/", reflect.reflection_edit, name="reflection-edit"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/rows/", jobs.job_rows, name="job-rows"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("models/", models.model_list, name="models"),
    path("models/<int:pk>/", models.model_detail, name="model"),
]
