"""python manage.py import_iiif SLUG URL_OR_FILE [--user USERNAME] — import a IIIF manifest as a new document."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from exchange.formats import iiif_import
from exchange.management.commands._formats_common import acting_user, collection_or_error, input_error
from palimpsest.errors import InputError


class Command(BaseCommand):
    help = "Import a IIIF Presentation 3 or 2.1 manifest (from a URL or a file): page images and transcription annotations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("manifest", help="http(s) URL or path of a manifest JSON file")
        parser.add_argument("--user", default=None, help="Importing user (default: the collection owner)")

    def handle(self, *args, **options) -> None:
        collection = collection_or_error(options["slug"])
        user = acting_user(options["user"], collection)
        source = options["manifest"]
        try:
            if source.startswith(("http://", "https://")):
                result = iiif_import.import_from_url(collection, user, source)
            else:
                result = iiif_import.import_manifest(collection, user, Path(source).read_bytes())
        except InputError as exc:
            raise input_error(exc) from exc
        self.stdout.write(f"Imported document {result['document']}: {result['pages']} pages, {result['lines']} lines "
                          f"(IIIF Presentation {result['iiif_version']}).")
        for item in result.get("not_kept") or []:
            self.stdout.write(f"Not kept: {item['message']}")
        if not result.get("not_kept"):
            self.stdout.write("Not kept: nothing.")
