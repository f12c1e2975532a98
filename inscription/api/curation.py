"""The curator's day over REST: batch jobs, page workflow status, progress of documents and collections.

Same services as the web views (inscription.services.batches / progress, archive.services.workflow),
so the rules are the same; every object is resolved through archive.permissions (404 without read,
403 without write).
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.models import Collection, Document, Page, PageState, PageStatus
from archive.permissions import READ, WRITE, require
from archive.services.workflow import page_history, set_page_status
from inscription.api.serializers import JobSerializer
from inscription.services.batches import BATCH_KINDS, start_batch
from inscription.services.progress import progress
from palimpsest.ids import ID_MAX


def _collection(request: Request, slug: str, action: str) -> Collection:
    coll = Collection.objects.filter(slug=slug).first()
    if coll is None:
        raise NotFound("No such collection.")
    require(request.user, coll, action)
    return coll


class BatchCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in BATCH_KINDS])
    documents = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX), required=False,
                                      allow_empty=False,
                                      max_length=2000, help_text="Document ids; leave out for the whole collection")
    parameters = serializers.DictField(required=False, default=dict, help_text="As for a single job of this kind")


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Pages per status")
    verified_percent = serializers.IntegerField()
    cer = inline_serializer("VerifiedCer", {
        "lines": serializers.IntegerField(), "characters": serializers.IntegerField(), "edits": serializers.IntegerField(),
        "cer": serializers.FloatField(allow_null=True, help_text="Machine's first reading vs the current human text"),
    })
    next_page = serializers.IntegerField(allow_null=True, help_text="First page not verified yet")


class PageStatusSerializer(serializers.ModelSerializer):
    set_by = serializers.CharField(source="set_by.username", default=None, read_only=True)

    class Meta:
        model = PageStatus
        fields = ["id", "page", "state", "previous", "set_by", "job", "note", "created_at"]
        read_only_fields = fields


class PageStatusSetSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PageState.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CollectionBatchView(APIView):
    @extend_schema(request=BatchCreateSerializer, responses={202: JobSerializer},
                   summary="Run one job kind on several documents (or the whole collection) as one batch")
    def post(self, request: Request, slug: str) -> Response:
        coll = _collection(request, slug, WRITE)
        body = BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        job = start_batch(v["kind"], coll, user=request.user, documents=v.get("documents"), params=v.get("parameters"))
        data = JobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class CollectionProgressView(APIView):
    @extend_schema(responses={200: ProgressSerializer}, summary="Pages per workflow status in the collection")
    def get(self, request: Request, slug: str) -> Response:
        return Response(progress(_collection(request, slug, READ)))


class DocumentProgressView(APIView):
    @extend_schema(responses={200: ProgressSerializer}, summary="Pages per workflow status in the document")
    def get(self, request: Request, pk: int) -> Response:
        doc = get_object_or_404(Document.objects.select_related("collection"), pk=pk)
        require(request.user, doc.collection, READ)
        return Response(progress(doc))


class PageStatusView(APIView):
    def _page(self, request: Request, pk: int, action: str) -> Page:
        page = get_object_or_404(Page.objects.select_related("document__collection"), pk=pk)
        require(request.user, page.document.collection, action)
        return page

    @extend_schema(responses={200: PageStatusSerializer(many=True)}, summary="The page's status history, oldest first")
    def get(self, request: Request, pk: int) -> Response:
        page = self._page(request, pk, READ)
        return Response(PageStatusSerializer(page_history(page), many=True).data)

    @extend_schema(request=PageStatusSetSerializer,
                   responses={201: PageStatusSerializer, 200: OpenApiResponse(description="Unchanged (already in that status)")},
                   summary="Set the page's workflow status (a new history row)")
    def post(self, request: Request, pk: int) -> Response:
        page = self._page(request, pk, WRITE)
        body = PageStatusSetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = set_page_status(page, body.validated_data["status"], user=request.user, note=body.validated_data["note"])
        if row is None:
            return Response({"status": page.status, "changed": False}, status=status.HTTP_200_OK)
        return Response(PageStatusSerializer(row).data, status=status.HTTP_201_CREATED)


class PageMoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, help_text="1-based place in the document")


class DocumentOrderSerializer(serializers.Serializer):
    pages = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                  help_text="Every page id of the document, in the new order")


class PageOrderResponseSerializer(serializers.Serializer):
    pages = serializers.ListField(child=serializers.IntegerField(), help_text="Page ids in their new order")


class PageMoveView(APIView):
    @extend_schema(request=PageMoveSerializer, responses={200: PageOrderResponseSerializer},
                   summary="Move a page to another place in its document")
    def post(self, request: Request, pk: int) -> Response:
        from archive.services.pages import move_page

        page = get_object_or_404(Page.objects.select_related("document__collection"), pk=pk)
        require(request.user, page.document.collection, WRITE)
        body = PageMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"pages": move_page(page, body.validated_data["position"], user=request.user)})


class PageRemoveView(APIView):
    @extend_schema(request=None, responses={200: PageOrderResponseSerializer},
                   summary="Remove a page from its document (it is kept, with its history, out of the document)")
    def post(self, request: Request, pk: int) -> Response:
        from archive.services.pages import remove_page

        page = get_object_or_404(Page.objects.select_related("document__collection"), pk=pk)
        require(request.user, page.document.collection, WRITE)
        remove_page(page, user=request.user)
        return Response({"pages": list(Page.objects.filter(document_id=page.document_id).order_by("order")
                                       .values_list("pk", flat=True))})


class DocumentOrderView(APIView):
    @extend_schema(request=DocumentOrderSerializer, responses={200: PageOrderResponseSerializer},
                   summary="Set the order of all the document's pages")
    def post(self, request: Request, pk: int) -> Response:
        from archive.services.pages import reorder_pages

        doc = get_object_or_404(Document.objects.select_related("collection"), pk=pk)
        require(request.user, doc.collection, WRITE)
        body = DocumentOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"pages": reorder_pages(doc, body.validated_data["pages"])})


urlpatterns = [
    path("pages/<int:pk>/move/", PageMoveView.as_view(), name="page-move"),
    path("pages/<int:pk>/remove/", PageRemoveView.as_view(), name="page-remove"),
    path("documents/<int:pk>/page-order/", DocumentOrderView.as_view(), name="document-page-order"),
    path("collections/<slug:slug>/batch/", CollectionBatchView.as_view(), name="collection-batch"),
    path("collections/<slug:slug>/progress/", CollectionProgressView.as_view(), name="collection-progress"),
    path("documents/<int:pk>/progress/", DocumentProgressView.as_view(), name="document-progress"),
    path("pages/<int:pk>/status/", PageStatusView.as_view(), name="page-status-api"),
]
