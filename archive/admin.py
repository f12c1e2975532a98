"""Django admin for the holdings, with an "Ingest files" page per collection."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from archive import models
from archive.ingest import Upload
from archive.services.ingest import ingest_uploads


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        return [single(d, initial) for d in data] if isinstance(data, (list, tuple)) else [single(data, initial)]


class IngestForm(forms.Form):
    files = MultipleFileField(help_text="PNG, JPEG, TIFF, PDF, .txt or zip (each folder becomes a document).")
    title = forms.CharField(required=False, max_length=500, help_text="Only used when one file gives one document.")
    language = forms.CharField(required=False, max_length=35)
    creator = forms.CharField(required=False, max_length=300)


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0


@admin.register(models.Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "owner", "visibility", "created_at")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [MembershipInline]
    readonly_fields = ("ingest_link",)
    actions = ["ingest_files_action"]

    @admin.display(description="Ingest")
    def ingest_link(self, obj: models.Collection) -> str:
        if not obj.pk:
            return "Save the collection first."
        return format_html('<a href="{}">Ingest files into this collection</a>', reverse("admin:archive_collection_ingest", args=[obj.pk]))

    @admin.action(description="Ingest files into the selected collection")
    def ingest_files_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one collection to ingest into.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:archive_collection_ingest", args=[queryset.get().pk]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.ingest_view)
        return [path("<int:pk>/ingest/", view, name="archive_collection_ingest"), *super().get_urls()]

    def ingest_view(self, request, pk: int):
        """Same service as the API and the ingest command: per-file atomic, nothing stored for a bad file."""
        collection = get_object_or_404(models.Collection, pk=pk)
        if not self.has_change_permission(request, collection):
            raise PermissionDenied
        form = IngestForm(request.POST or None, request.FILES or None)
        results = None
        if request.method == "POST" and form.is_valid():
            metadata = {k: form.cleaned_data[k] for k in ("language", "creator") if form.cleaned_data[k]}
            results = ingest_uploads(collection, [Upload.from_django_file(f) for f in form.cleaned_data["files"]],
                                     user=request.user, title=form.cleaned_data["title"] or None, metadata=metadata)
            for result in results:
                if result.ok:
                    self.message_user(request, f"{result.file}: {len(result.documents)} document(s), {result.pages} page(s).",
                                      messages.SUCCESS)
                else:
                    self.message_user(request, f"{result.file}: {result.error['message']} [{result.error['code']}]",
                                      messages.ERROR)
            if all(r.ok for r in results):
                return HttpResponseRedirect(reverse("admin:archive_document_changelist") + f"?collection__id__exact={collection.pk}")
        context = {**self.admin_site.each_context(request), "title": f"Ingest files into {collection}", "form": form,
                   "collection": collection, "opts": self.model._meta, "results": results}
        return TemplateResponse(request, "admin/archive/collection/ingest.html", context)


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
