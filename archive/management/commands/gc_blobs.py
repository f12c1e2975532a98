"""Delete blob files (and thumbnails) that no row points at, older than a day by default."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from archive.services.blob_gc import DEFAULT_AGE, gc_blobs


class Command(BaseCommand):
    help = "Delete orphan blob files and thumbnails (no ImageBlob row) older than --older-than seconds."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--older-than", type=float, default=DEFAULT_AGE,
                            help="Only files older than this many seconds (default a day: never an ingest in progress).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    def handle(self, *args, older_than: float, dry_run: bool, **options) -> None:
        result = gc_blobs(older_than=older_than, dry_run=dry_run)
        for name in result.deleted:
            self.stdout.write(("would delete " if dry_run else "deleted ") + name)
        self.stdout.write(f"scanned {result.scanned} file(s); {'would delete' if dry_run else 'deleted'} "
                          f"{len(result.deleted)} orphan(s); kept {result.kept_young} too young to judge")
