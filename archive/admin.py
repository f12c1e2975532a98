"""Django admin for the holdings."""
from django.contrib import admin

from archive import models


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0


@admin.register(models.Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "owner", "visibility", "created_at")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [MembershipInline]


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "collection", "kind", "creator", "date", "language")
    list_filter = ("kind", "language", "collection")
    search_fields = ("title", "creator", "place")
    filter_horizontal = ("tags",)


@admin.register(models.Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "document", "order", "width", "height", "original_filename")
    raw_id_fields = ("document", "image")


@admin.register(models.Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "page", "order", "source")
    raw_id_fields = ("page", "region", "model_version", "job", "created_by")


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "page", "kind", "order", "source")
    raw_id_fields = ("page", "model_version", "job", "created_by")


admin.site.register(models.Text)
admin.site.register(models.Tag)
admin.site.register(models.ImageBlob)
admin.site.register(models.Membership)
