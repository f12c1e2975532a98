"""Django admin for jobs and model versions."""
from django.contrib import admin

from jobs import models


@admin.register(models.Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "state", "collection", "progress_done", "progress_total", "created_at")
    list_filter = ("kind", "state")


admin.site.register(models.ModelVersion)
