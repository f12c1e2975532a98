"""Jobs over REST: POST → 202 + Location, poll, cancel, list with filters. The Job row is the truth."""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.models import Collection, Document, Page
from archive.permissions import WRITE, readable_collection_ids, require
from inscription.api.serializers import JobCreateSerializer, JobSerializer
from inscription.services.batches import cancel_batch, refresh_batch
from jobs import kinds
from jobs.models import Job, JobState
from jobs.services.jobs import create_job
from palimpsest.brief import collection_details, user_details
from palimpsest.ids import IdFilter, as_id
from palimpsest.pagination import ScanPageSafePagination


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    kind = django_filters.ChoiceFilter(choices=kinds.choices)
    collection = django_filters.CharFilter(method="filter_collection", help_text="Collection id or slug")
    document = IdFilter()

    class Meta:
        model = Job
        fields = ["state", "kind", "collection", "document", "page"]

    def filter_collection(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(collection_id=as_id(value) or 0)
        return queryset.filter(collection__slug=value)


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    permission_classes = [CollectionAccess]
    pagination_class = ScanPageSafePagination  # ?page= is the scan-page filter; the page number is ?p=
    filterset_class = JobFilter
    ordering_fields = ["created_at", "id", "state"]

    def collection_of(self, obj: Job) -> Collection:
        return obj.collection

    def get_object(self) -> Job:
        job = super().get_object()
        if job.is_batch and not job.is_final:
            fresh = refresh_batch(job)
            fresh.collection = job.collection
            return fresh
        return job

    def get_queryset(self):
        queryset = Job.objects.filter(collection__in=readable_collection_ids(self.request.user)).order_by("-created_at", "-id")
        queryset = queryset.select_related("collection", "requested_by")  # the slug is in an export's download link
        if self.action == "list":  # a row shows the collection's id and the requester's name (palimpsest.brief)
            return queryset.defer(*collection_details("collection"), *user_details("requested_by"))
        return queryset

    @extend_schema(request=JobCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        """Queue a job; answers 202 Accepted with the job and its URL in Location."""
        body = JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        ref = v["collection"]
        collection = Collection.objects.filter(**({"pk": as_id(ref) or 0} if ref.isdigit() else {"slug": ref})).first()
        if collection is None:
            raise NotFound("No such collection.")
        require(request.user, collection, WRITE, missing="No such collection.")
        document = page = None
        if v.get("document"):
            document = Document.objects.filter(pk=v["document"], collection=collection).first()
            if document is None:
                raise NotFound("No such document in this collection.")
        if v.get("page"):
            page = Page.objects.filter(pk=v["page"], document__collection=collection).first()
            if page is None:
                raise NotFound("No such page in this collection.")
        job = create_job(v["kind"], collection, document=document, page=page, params=v.get("parameters"), user=request.user)
        data = JobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Ask the job to stop; a queued job is cancelled at once, a running one at its next batch."""
        job = cancel_batch(self.get_object())  # a batch cancels all its children
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
