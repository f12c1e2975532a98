"""Rebuild the search index from the archive's rows (all collections, or one)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from archive.models import Collection
from search.services.indexing import reindex


class Command(BaseCommand):
    help = "Rebuild the search index (entries and word alternatives) from inscriptions, annotations, reflections and documents."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--collection", help="slug of one collection (default: all)")

    def handle(self, *args, **options) -> None:
        collection = None
        if options.get("collection"):
            collection = Collection.objects.filter(slug=options["collection"]).first()
            if collection is None:
                raise CommandError(f"no collection with slug {options['collection']!r}")
        counts = reindex(collection)
        self.stdout.write("indexed " + ", ".join(f"{n} {kind}s" for kind, n in counts.items()))
