"""The holdings: collections, documents, page scans, geometry and born-digital texts."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    SHARED = "shared", "Shared with signed-in users"
    PUBLIC = "public", "Public"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    CURATOR = "curator", "Curator"
    OWNER = "owner", "Owner"


# Higher rank includes the rights of the lower ones.
ROLE_RANK = {Role.VIEWER: 1, Role.CURATOR: 2, Role.OWNER: 3}


class Collection(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    # Dublin Core metadata of the collection as a whole (exported in IIIF, ALTO/PAGE headers and the zip).
    creator = models.CharField(max_length=300, blank=True)
    date = models.CharField(max_length=100, blank=True, help_text="Date as written, free text")
    source = models.CharField(max_length=1000, blank=True)
    rights = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag, e.g. en, fr-FR")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_collections")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    # The recognizer used by default for this collection's transcribe jobs (a ModelVersion name).
    default_model = models.ForeignKey(
        "jobs.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Membership(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "user"], name="one_role_per_user_per_collection")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.collection}"


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DocumentKind(models.TextChoices):
    SCAN = "scan", "Handwritten scan"
    TEXT = "text", "Born-digital text"


class Document(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices, default=DocumentKind.SCAN)
    # Dublin Core-style metadata.
    title = models.CharField(max_length=500)
    creator = models.CharField(max_length=300, blank=True)
    date = models.CharField(max_length=100, blank=True, help_text="Date as written, free text")
    year_from = models.IntegerField(null=True, blank=True, help_text="Normalised start year")
    year_to = models.IntegerField(null=True, blank=True, help_text="Normalised end year")
    place = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag, e.g. en, fr-FR")
    rights = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=1000, blank=True)
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="documents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["collection", "title", "id"]
        indexes = [models.Index(fields=["collection", "kind"]), models.Index(fields=["year_from", "year_to"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(year_from__isnull=True) | Q(year_to__isnull=True) | Q(year_from__lte=models.F("year_to")),
                name="document_year_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ImageBlob(models.Model):
    """An image file stored once under its content address (sha256)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    file = models.FileField(upload_to="blobs/", max_length=300)
    mime_type = models.CharField(max_length=50)
    size = models.BigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class PageState(models.TextChoices):
    """The curator's workflow, in order: a page moves right as jobs and people work on it."""

    NEW = "new", "New"
    SEGMENTED = "segmented", "Segmented"
    TRANSCRIBED = "transcribed", "Transcribed"
    IN_CORRECTION = "in_correction", "In correction"
    VERIFIED = "verified", "Verified"


PAGE_STATE_ORDER = {state: i for i, state in enumerate(PageState.values)}


class CurrentPageManager(models.Manager):
    """Pages still in their document: a removed page keeps its rows (and every inscription on it)
    but leaves every listing, export and job. ``Page.all_objects`` sees removed pages too."""

    def get_queryset(self):  # noqa: ANN201
        return super().get_queryset().filter(removed_at__isnull=True)


class Page(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    order = models.PositiveIntegerField(default=0)
    image = models.ForeignKey(ImageBlob, on_delete=models.PROTECT, related_name="pages")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_filename = models.CharField(max_length=500, blank=True)
    label = models.CharField(max_length=100, blank=True, help_text="Folio or page label")
    iiif_source = models.URLField(max_length=2000, blank=True)
    # The latest PageStatus row's state (the history is PageStatus, append-only); kept for cheap counts.
    status = models.CharField(max_length=20, choices=PageState.choices, default=PageState.NEW, db_index=True)
    # Removal keeps history: the row stays (with who removed it, when, and where it was), out of the document.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_from_order = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CurrentPageManager()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["document", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "order"], name="page_order_unique_in_document")]

    def __str__(self) -> str:
        return f"{self.document} p.{self.order + 1}"

    @property
    def sha256(self) -> str:
        return self.image_id


class PageStatus(models.Model):
    """One act of setting a page's workflow state, by a job or a person. Rows are never changed:
    the page's history of states is this table, and ``Page.status`` mirrors the newest row."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="statuses")
    state = models.CharField(max_length=20, choices=PageState.choices)
    previous = models.CharField(max_length=20, choices=PageState.choices, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["page", "created_at", "id"]
        verbose_name_plural = "page statuses"

    def __str__(self) -> str:
        return f"{self.page} → {self.state}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Page statuses are append-only: record a new one instead.")
        super().save(*args, **kwargs)


class GeometrySource(models.TextChoices):
    MACHINE = "machine", "Machine segmentation"
    HUMAN = "human", "Drawn by a person"
    IMPORT = "import", "Imported"


class LiveGeometryManager(models.Manager):
    """Geometry still on the page: a deleted (retired) line or region is kept for its history, not shown."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(retired=False)


class AttributedGeometry(models.Model):
    """Geometry is itself attributed: who or what drew it, and when.

    Edits are versioned (``GeometryRevision`` keeps every earlier state); a deletion
    retires the row instead of removing it, so inscriptions on it and its history stay.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE)
    polygon = models.JSONField(default=list, help_text="[[x, y], ...] in page pixels")
    source = models.CharField(max_length=10, choices=GeometrySource.choices, default=GeometrySource.HUMAN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    model_version = models.ForeignKey(
        "jobs.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped by every layout edit (see GeometryRevision)")
    retired = models.BooleanField(default=False, help_text="Deleted or merged away in the layout editor; kept for history")

    objects = LiveGeometryManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True

    def bbox(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the polygon, for xywh fragment selectors and crops."""
        if not self.polygon:
            return (0, 0, self.page.width, self.page.height)
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys)))


class Region(AttributedGeometry):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="regions")
    kind = models.CharField(max_length=50, default="text")
    order = models.PositiveIntegerField(default=0)
    # The region's ID in the file it was imported from (PAGE @id, ALTO @ID), written back on export.
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["page", "order", "id"]


class Line(AttributedGeometry):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="lines")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines")
    baseline = models.JSONField(default=list, help_text="[[x, y], ...] in page pixels")
    order = models.PositiveIntegerField(default=0, help_text="Reading order on the page")
    # Stable external identifier (from ALTO/PAGE imports, or generated) used by exports.
    external_id = models.CharField(max_length=100, blank=True)
    # Line type (SegmOnto: DefaultLine, HeadingLine, …) from PAGE custom "structure {type:…}" or ALTO TAGREFS.
    kind = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["page", "order", "id"]
        indexes = [models.Index(fields=["page", "order"])]

    def __str__(self) -> str:
        return f"line {self.order + 1} of {self.page}"


class RevisionAction(models.TextChoices):
    INITIAL = "initial", "State before the first edit"
    CREATE = "create", "Drawn"
    EDIT = "edit", "Geometry edited"
    SPLIT = "split", "Split"
    MERGE = "merge", "Merged"
    DELETE = "delete", "Deleted"
    REORDER = "reorder", "Reading order changed"
    RETYPE = "retype", "Region type changed"
    REGION = "region", "Region membership changed"


class GeometryRevision(models.Model):
    """One act on a line's or a region's geometry, with the full state it left. Append-only.

    The first edit of a line also records its ``initial`` state (who or what drew it), so
    the geometry before any edit is always in the history.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="geometry_revisions")
    line = models.ForeignKey(Line, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RevisionAction.choices)
    act = models.UUIDField(help_text="Revisions written by one act (a split touches two lines) share it")
    polygon = models.JSONField(default=list)
    baseline = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=50, blank=True, help_text="Region type (regions only)")
    in_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="The region a line belonged to after the act")
    retired = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=GeometrySource.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    model_version = models.ForeignKey(
        "jobs.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    note = models.JSONField(default=dict, blank=True, help_text="Why: split point, merged line, …")

    class Meta:
        ordering = ["page", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "version"], name="line_revision_version_unique"),
            models.UniqueConstraint(fields=["region", "version"], name="region_revision_version_unique"),
            models.CheckConstraint(
                condition=Q(line__isnull=False, region__isnull=True) | Q(line__isnull=True, region__isnull=False),
                name="revision_of_a_line_or_a_region",
            ),
        ]
        indexes = [models.Index(fields=["line", "version"]), models.Index(fields=["page", "created_at"])]

    def __str__(self) -> str:
        what = f"line {self.line_id}" if self.line_id else f"region {self.region_id}"
        return f"{what} v{self.version} ({self.action})"


class Text(models.Model):
    """The source text of a born-digital document."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="text")
    content = models.TextField()
    encoding = models.CharField(max_length=30, default="utf-8", help_text="Encoding the upload was decoded with")
    original_filename = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"text of {self.document}"
