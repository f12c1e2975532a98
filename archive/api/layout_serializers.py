"""Serializers of the layout editor's API: regions, split/merge/reorder requests, geometry revisions."""
from __future__ import annotations

from rest_framework import serializers

from archive.api.fields import PageField, UsernameField
from archive.api.serializers import points
from archive.models import GeometryRevision, Region


class RegionSerializer(serializers.ModelSerializer):
    page = PageField()
    polygon = points(min_length=3)
    kind = serializers.CharField(max_length=50, required=False, default="MainZone",
                                 help_text="SegmOnto zone type, e.g. MainZone, MarginTextZone, NumberingZone")
    created_by = UsernameField()
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Region
        fields = ["id", "page", "kind", "polygon", "order", "version", "source", "created_by", "model_version",
                  "lines", "created_at"]
        read_only_fields = ["source", "model_version", "version"]
        extra_kwargs = {"order": {"required": False}}

    def get_lines(self, obj: Region) -> list[int]:
        return [ln.pk for ln in obj.lines.all()]


class RegionUpdateSerializer(RegionSerializer):
    page = serializers.PrimaryKeyRelatedField(read_only=True)
    polygon = points(min_length=3, required=False)
    kind = serializers.CharField(max_length=50, required=False)


class SplitSerializer(serializers.Serializer):
    x = serializers.FloatField(help_text="Page column at which to cut the line (inside its baseline)")


class MergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(help_text="The line to merge with (same page)")


class ReorderSerializer(serializers.Serializer):
    page = PageField()
    lines = serializers.ListField(child=serializers.IntegerField(), help_text="Every line id of the page, in reading order")


class SplitResultSerializer(serializers.Serializer):
    left = serializers.IntegerField()
    right = serializers.IntegerField()


class GeometryRevisionSerializer(serializers.ModelSerializer):
    created_by = UsernameField()
    region = serializers.IntegerField(source="region_id", read_only=True, allow_null=True)
    line = serializers.IntegerField(source="line_id", read_only=True, allow_null=True)
    in_region = serializers.IntegerField(source="in_region_id", read_only=True, allow_null=True)

    class Meta:
        model = GeometryRevision
        fields = ["id", "page", "line", "region", "version", "action", "act", "polygon", "baseline", "order", "kind",
                  "in_region", "retired", "source", "created_by", "model_version", "created_at", "note"]
        read_only_fields = fields
