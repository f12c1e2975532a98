"""REST API for comparisons.

- ``POST /api/v1/comparisons/`` ``{"left": side, "right": side, "scope": {"document": id} | {"collection": id}, "label": ""}``
  → 201 with the result; 200 with the stored result when these exact versions were compared before;
  202 with the job when the comparison is large and runs in the background;
- ``GET /api/v1/comparisons/{id}/`` totals, op counts, confusion table and a page of lines
  (``?ordering=-cer``, ``?status=left_only``, ``?page=N``) with character and word alignments;
- ``GET /api/v1/comparisons/{id}/lines/`` the same lines, paginated on their own.
"""
from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.permissions import readable_collection_ids
from inscription.annotations.alignment import segments, word_segments
from inscription.models import Comparison, ComparisonLine, ComparisonState, LineStatus
from inscription.services.compare import request_comparison

LINE_ORDERINGS = {"order", "cer", "wer", "char_edits", "word_edits", "ref_chars"}


class ComparisonLineSerializer(serializers.ModelSerializer):
    line = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()
    left_text = serializers.SerializerMethodField()
    right_text = serializers.SerializerMethodField()
    char_alignment = serializers.SerializerMethodField(help_text='[{"op": "equal|replace|insert|delete", "ref": str, "hyp": str}]')
    word_alignment = serializers.SerializerMethodField()

    class Meta:
        model = ComparisonLine
        fields = ["order", "target_key", "status", "line", "page", "left", "right", "left_text", "right_text", "char_edits",
                  "ref_chars", "cer", "word_edits", "ref_words", "wer", "char_alignment", "word_alignment", "char_ops", "word_ops"]
        read_only_fields = fields

    def _side(self, obj: ComparisonLine):
        return obj.left or obj.right

    def get_line(self, obj: ComparisonLine) -> int | None:
        return self._side(obj).line_id

    def get_page(self, obj: ComparisonLine) -> int | None:
        side = self._side(obj)
        return side.page_id or (side.line.page_id if side.line_id else None)

    def get_left_text(self, obj: ComparisonLine) -> str | None:
        return obj.left.text if obj.left_id else None

    def get_right_text(self, obj: ComparisonLine) -> str | None:
        return obj.right.text if obj.right_id else None

    def get_char_alignment(self, obj: ComparisonLine) -> list[dict]:
        return segments(obj.left.text if obj.left_id else "", obj.right.text if obj.right_id else "", obj.char_ops)

    def get_word_alignment(self, obj: ComparisonLine) -> list[dict]:
        return word_segments(obj.left.text if obj.left_id else "", obj.right.text if obj.right_id else "", obj.word_ops)


class ComparisonSerializer(serializers.ModelSerializer):
    job = serializers.SerializerMethodField()
    left = serializers.SerializerMethodField()
    right = serializers.SerializerMethodField()

    class Meta:
        model = Comparison
        fields = ["id", "collection", "document", "label", "left", "right", "left_key", "right_key", "normalisation", "state",
                  "job", "error", "cer", "wer", "char_edits", "ref_chars", "word_edits", "ref_words", "lines_both",
                  "lines_left_only", "lines_right_only", "substitutions", "insertions", "deletions", "confusion",
                  "created_by", "created_at", "finished_at"]
        read_only_fields = fields

    def get_job(self, obj: Comparison) -> dict | None:
        if obj.job_id is None:
            return None
        job = obj.job
        return {"id": job.pk, "state": job.state, "progress_done": job.progress_done, "progress_total": job.progress_total,
                "url": f"/api/v1/jobs/{job.pk}/"}

    def get_left(self, obj: Comparison) -> dict:
        return {"asked": obj.left_spec.get("asked"), "inscriptions": len(obj.left_spec.get("inscription_ids", []))}

    def get_right(self, obj: Comparison) -> dict:
        return {"asked": obj.right_spec.get("asked"), "inscriptions": len(obj.right_spec.get("inscription_ids", []))}


class ComparisonRequestSerializer(serializers.Serializer):
    """Documentation only; the service validates."""

    left = serializers.DictField(help_text='Reference side: {"layer": id} | {"layer_name": str} | {"model_version": id} | '
                                           '{"inscriptions": [ids]} | {"first_of_layer": id} (with a document scope)')
    right = serializers.DictField(help_text="Hypothesis side, same shapes")
    scope = serializers.DictField(required=False, help_text='{"document": id} or {"collection": id}; default: the left layer\'s document')
    label = serializers.CharField(required=False, allow_blank=True)
    both_only = serializers.BooleanField(required=False, default=False,
                                         help_text="Only targets both sides have (a partial ground truth); needs a document scope")


class LinePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


LINE_PARAMS = [
    OpenApiParameter("ordering", str, required=False, description="order, cer, wer, char_edits, word_edits, ref_chars; '-' for descending"),
    OpenApiParameter("status", str, enum=LineStatus.values, required=False),
    OpenApiParameter("page", int, required=False),
    OpenApiParameter("page_size", int, required=False),
]


@extend_schema_view(
    list=extend_schema(summary="Comparisons you can read"),
    retrieve=extend_schema(summary="Totals, confusion table and a page of lines (sortable, e.g. ?ordering=-cer)", parameters=LINE_PARAMS),
)
class ComparisonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ComparisonSerializer
    permission_classes = [CollectionAccess]
    filterset_fields = ["collection", "document", "state"]
    ordering_fields = ["created_at", "cer", "wer"]
    search_fields = []  # nothing textual to search: ?search= is refused with a 400 (search.filters)

    def get_queryset(self):
        return Comparison.objects.filter(collection__in=readable_collection_ids(self.request.user)).select_related("job")

    def collection_of(self, obj: Comparison):
        return obj.collection

    def _lines(self, request, comparison: Comparison):
        qs = comparison.lines.select_related("left__line", "right__line")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in LineStatus.values:
                raise serializers.ValidationError({"status": f"one of {', '.join(LineStatus.values)}"})
            qs = qs.filter(status=wanted)
        ordering = request.query_params.get("ordering", "order")
        field = ordering.lstrip("-")
        if field not in LINE_ORDERINGS:
            raise serializers.ValidationError({"ordering": f"one of {', '.join(sorted(LINE_ORDERINGS))} (prefix '-' to reverse)"})
        expr = F(field).desc(nulls_first=True) if ordering.startswith("-") else F(field).asc(nulls_last=True)
        qs = qs.order_by(expr, "order")
        paginator = LinePagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        data = ComparisonLineSerializer(page, many=True).data
        return {"count": paginator.page.paginator.count, "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(), "results": data}

    def retrieve(self, request, *args, **kwargs):
        comparison = self.get_object()
        data = dict(self.get_serializer(comparison).data)
        data["lines"] = self._lines(request, comparison) if comparison.state == ComparisonState.READY else None
        return Response(data)

    @extend_schema(summary="Lines of a comparison (paginated, sortable)", parameters=LINE_PARAMS,
                   responses=ComparisonLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        return Response(self._lines(request, self.get_object()))

    @extend_schema(summary="Compare two inscription sets (curator)", request=ComparisonRequestSerializer,
                   responses={201: ComparisonSerializer, 200: OpenApiResponse(ComparisonSerializer, description="already compared"),
                              202: OpenApiResponse(ComparisonSerializer, description="large: runs as a job")})
    def create(self, request, *args, **kwargs):
        body = request.data if isinstance(request.data, dict) else {}
        comparison, created = request_comparison(request.user, body.get("left"), body.get("right"), body.get("scope"),
                                                 body.get("label", ""), both_only=body.get("both_only", False))
        comparison = self.get_queryset().get(pk=comparison.pk)
        data = dict(self.get_serializer(comparison).data)
        data["cached"] = not created
        if comparison.state == ComparisonState.PENDING:
            return Response(data, status=status.HTTP_202_ACCEPTED)
        data["lines"] = self._lines(request, comparison) if comparison.state == ComparisonState.READY else None
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
