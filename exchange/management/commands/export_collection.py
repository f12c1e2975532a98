"""python manage.py export_collection SLUG OUT.zip — the same archive the API's export job writes."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from exchange.formats.archive_export import export_collection
from exchange.formats.common import base_url
from exchange.management.commands._formats_common import collection_or_error


class Command(BaseCommand):
    help = "Export a collection as a zip: images, ALTO, PAGE, IIIF, W3C annotations, reflections and full restore data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("out", help="Path of the zip to write")
        parser.add_argument("--base-url", default="", help="Scheme and host for IIIF/annotation IRIs (default SITE_URL)")

    def handle(self, *args, **options) -> None:
        collection = collection_or_error(options["slug"])

        def progress(done: int, total: int, message: str) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"{done}/{total} {message}")

        figures = export_collection(collection, options["out"], options["base_url"].rstrip("/") or base_url(), progress)
        self.stdout.write(
            f"Wrote {options['out']}: {figures['documents']} documents, {figures['files']} files, "
            f"{figures['bytes']} bytes, sha256 {figures['sha256']}"
        )
