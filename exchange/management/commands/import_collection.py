"""python manage.py import_collection IN.zip [--slug SLUG] [--owner USERNAME] — restore a collection archive."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from exchange.formats.archive_import import import_collection
from exchange.management.commands._formats_common import acting_user, input_error
from palimpsest.errors import InputError


class Command(BaseCommand):
    help = "Restore a collection archive written by export_collection as a new collection."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="Path of the zip")
        parser.add_argument("--slug", default=None, help="Slug of the new collection (default: the exported slug)")
        parser.add_argument("--owner", default=None, help="Username of the new collection's owner (default: first superuser)")

    def handle(self, *args, **options) -> None:
        owner = acting_user(options["owner"])
        try:
            result = import_collection(options["archive"], owner, slug=options["slug"])
        except InputError as exc:
            raise input_error(exc) from exc
        counts = ", ".join(f"{n} {kind}s" for kind, n in result["counts"].items())
        self.stdout.write(f"Restored collection '{result['collection']}': {counts}.")
        if result["created_users"]:
            self.stdout.write(f"Created inactive accounts for: {', '.join(result['created_users'])}")
