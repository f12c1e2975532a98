"""python manage.py import_xml SLUG FILES... [--title T] [--ground-truth] [--document ID --match M --page-id N] — ALTO/PAGE/METS.

Files are told apart by content as the API does (an XML suffix or content starting with '<'); the output
lists what was not kept, with counts."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.models import Document
from exchange.formats.xml_import import import_xml, is_xml
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
        parser.add_argument("--document", type=int, default=None, help="Add the reading as a new layer on this document's pages")
        parser.add_argument("--match", default="auto", choices=["auto", "filename", "order", "page_id"],
                            help="How files are matched to the document's pages")
        parser.add_argument("--page-id", type=int, action="append", default=[], help="Explicit page id per page read, in order")

    def handle(self, *args, **options) -> None:
        collection = collection_or_error(options["slug"])
        user = acting_user(options["user"], collection)
        xml_files, images = [], []
        for name in options["files"]:
            path = Path(name)
            data = path.read_bytes()
            (xml_files if is_xml(path.name, data) else images).append((path.name, data))
        document = None
        if options["document"] is not None:
            document = Document.objects.filter(pk=options["document"], collection=collection).first()
            if document is None:
                raise CommandError(f"No document {options['document']} in collection '{collection.slug}'.")
        try:
            result = import_xml(collection, user, xml_files, images, title=options["title"], ground_truth=options["ground_truth"],
                                document=document, match=options["match"], page_ids=options["page_id"])
        except InputError as exc:
            raise input_error(exc) from exc
        for line in result.summary():
            self.stdout.write(line)
