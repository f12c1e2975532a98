"""The search endpoint's parameters and the shape of its answer (for validation and OpenAPI)."""
from __future__ import annotations

from rest_framework import serializers

from search.models import EntryKind


class SearchParams(serializers.Serializer):
    q = serializers.CharField(max_length=300, help_text='Words (all must match), "a phrase", prefix*, fuzzy~, -excluded')
    collection = serializers.IntegerField(required=False)
    document = serializers.IntegerField(required=False)
    layer = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=EntryKind.choices, required=False)
    agent = serializers.ChoiceField(choices=[("machine", "machine"), ("human", "human")], required=False)
    confidence_min = serializers.FloatField(required=False, min_value=0, max_value=1)
    confidence_max = serializers.FloatField(required=False, min_value=0, max_value=1)
    year_from = serializers.IntegerField(required=False, help_text="The document's year, from")
    year_to = serializers.IntegerField(required=False, help_text="The document's year, up to")
    written_after = serializers.DateField(required=False, help_text="The text was written on or after this day")
    written_before = serializers.DateField(required=False)
    versions = serializers.BooleanField(required=False, default=False,
                                        help_text="Also search earlier versions of corrected lines")
    alternatives = serializers.CharField(
        required=False, help_text="Probability threshold in (0, 1] for the machine's word alternatives, or 'off'. "
                                  "Default: the server's SEARCH_ALTERNATIVES_THRESHOLD")
    facets = serializers.BooleanField(required=False, default=True)
    p = serializers.IntegerField(required=False, min_value=1, default=1, help_text="Page number")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class FacetValue(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField(required=False)
    count = serializers.IntegerField()


class Alternative(serializers.Serializer):
    word = serializers.CharField()
    spelling = serializers.CharField()
    read_as = serializers.CharField(help_text="The recognizer's best reading at this word position")
    probability = serializers.FloatField()
    position = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.IntegerField())
    message = serializers.CharField()


class Hit(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    source = serializers.CharField()
    object_id = serializers.IntegerField()
    match = serializers.ChoiceField(choices=[("text", "text"), ("alternative", "alternative")])
    score = serializers.FloatField()
    collection = serializers.DictField()
    document = serializers.DictField(allow_null=True)
    page = serializers.IntegerField(allow_null=True)
    line = serializers.IntegerField(allow_null=True)
    layer = serializers.DictField(allow_null=True)
    title = serializers.CharField()
    machine = serializers.BooleanField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    is_current = serializers.BooleanField()
    year = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    text = serializers.CharField()
    highlights = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    boxes = serializers.ListField(child=serializers.DictField(), help_text="{x, y, w, h} on the page scan")
    alternative = Alternative(allow_null=True)
    url = serializers.CharField(help_text="Where the hit opens in the curator interface")
    api_url = serializers.CharField(allow_null=True)


class SearchAnswer(serializers.Serializer):
    count = serializers.IntegerField()
    count_is_lower_bound = serializers.BooleanField(
        help_text="More matches than SEARCH_COUNT_LIMIT: the counts stop there, hits come newest first, facets "
                  "count those first matches")
    text_count = serializers.IntegerField()
    alternative_count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = Hit(many=True)
    facets = serializers.DictField(child=FacetValue(many=True))
