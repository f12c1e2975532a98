"""Django admin for the memory layer. Inscriptions are read-only here: they are never edited in place."""
from django.contrib import admin

from inscription import models


@admin.register(models.Inscription)
class InscriptionAdmin(admin.ModelAdmin):
    list_display = ("target_key", "layer", "version", "is_current", "action", "agent_label", "created_at")
    list_filter = ("kind", "is_current", "action")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(models.Layer)
