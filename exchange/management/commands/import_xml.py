"""python manage.py import_xml SLUG FILES... [--title T] [--ground-truth] — ALTO/PAGE XML plus page images."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from exchange.formats.xml_import import import_xml
from exchange.management.commands._formats_common import acting_user, collection_or_error, input_error
from palimpsest.errors import InputError


class Command(BaseCommand):
    help = "Import ALTO or PAGE XML files and their page images (matched by file name) as one new document."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("files", nargs="+", help="XML files and image files")
        parser.add_argument("--title", default="")
        parser.add_argument("--ground-truth", action="store_true", help="Import the text as ground truth, not as an import layer")
        parser.add_argument("--user", default=None, help="Importing user (default: the collection owner)")

    def handle(self, *args, **options) -> None:
        collection = collection_or_error(options["slug"])
        user = acting_user(options["user"], collection)
        xml_files, images = [], []
        for name in options["files"]:
            path = Path(name)
            (xml_files if path.suffix.lower() == ".xml" else images).append((path.name, path.read_bytes()))
        try:
            result = import_xml(collection, user, xml_files, images, title=options["title"], ground_truth=options["ground_truth"])
        except InputError as exc:
            raise input_error(exc) from exc
        self.stdout.write(f"Imported document {result.document.pk}: {result.pages} pages, {result.lines} lines.")
