"""Forms of the curator interface. They validate shape only; rules live in the services."""
from __future__ import annotations

from django import forms

from archive.models import DocumentKind, Role, Visibility
from jobs import kinds


class WordsMixin:
    def errors_in_words(self) -> str:
        parts = []
        for field, errors in self.errors.items():  # type: ignore[attr-defined]
            label = self.fields[field].label if field in self.fields else ""  # type: ignore[attr-defined]
            text = " ".join(errors)
            parts.append(f"{label or 'form'}: {text}" if field != "__all__" else text)
        return "; ".join(parts) or "the form is not valid."


class CollectionForm(WordsMixin, forms.Form):
    title = forms.CharField(max_length=300)
    slug = forms.SlugField(max_length=100, help_text="Short name used in addresses, e.g. letters-1916")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PRIVATE)


class DublinCoreForm(WordsMixin, forms.Form):
    """The Dublin Core fields a document and a collection share (each form adds its own title)."""

    creator = forms.CharField(max_length=300, required=False)
    date = forms.CharField(max_length=100, required=False, help_text="As written, e.g. “spring 1916”")
    language = forms.CharField(max_length=35, required=False, help_text="BCP 47, e.g. en")
    rights = forms.CharField(max_length=500, required=False)
    source = forms.CharField(max_length=1000, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DocumentMetadataForm(DublinCoreForm):
    """A document's Dublin Core description (its kind does not change)."""

    title = forms.CharField(max_length=500)
    place = forms.CharField(max_length=300, required=False)
    field_order = ["title", "creator", "date", "place", "language", "rights", "source", "description"]


class DocumentForm(DocumentMetadataForm):
    """A new document: its description and its kind."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, initial=DocumentKind.SCAN)
    field_order = ["title", "kind", *DocumentMetadataForm.field_order[1:]]


class CollectionMetadataForm(DublinCoreForm):
    """A collection's Dublin Core description."""

    title = forms.CharField(max_length=300)
    field_order = ["title", "creator", "date", "language", "rights", "source", "description"]


class MemberForm(WordsMixin, forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER, required=False)
    action = forms.ChoiceField(choices=[("set", "Set role"), ("remove", "Remove")], initial="set")


class JobStartForm(WordsMixin, forms.Form):
    kind = forms.ChoiceField(choices=kinds.choices)
    page = forms.IntegerField(required=False)
    model = forms.IntegerField(required=False)
    decoder = forms.ChoiceField(choices=[("greedy", "Greedy"), ("beam", "Beam search"),
                                         ("beam+lm", "Beam search + language model")], required=False)
    layer = forms.IntegerField(required=False)
    epochs = forms.IntegerField(required=False, min_value=1, max_value=200)
    lines = forms.ChoiceField(choices=[("changed", "Only lines reshaped since the model last read them")], required=False)


class LineEditForm(WordsMixin, forms.Form):
    text = forms.CharField(required=False, strip=False, max_length=10000)
    layer = forms.IntegerField()
    expected_version = forms.IntegerField(required=False)


class ReflectionForm(WordsMixin, forms.Form):
    title = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}), required=False, strip=False)
