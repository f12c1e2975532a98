"""python manage.py ingest PATH... --collection SLUG [--create --owner USER]

Files are ingested one by one (each atomic), exactly as through the API. A directory is
ingested like a zip of it: each folder's images and PDFs become one document, each .txt its own.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from archive.api.serializers import IngestMetadataSerializer
from archive.ingest import Upload
from archive.models import Collection
from archive.services.collections import create_collection
from archive.services.ingest import ingest_uploads


def zip_directory(directory: Path, target) -> None:
    """Store (no compression) the regular files under ``directory``, inside a folder of its name,
    so the directory itself becomes a document. Symlinks are not followed."""
    top = directory.resolve().name or "folder"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for root, dirs, files in os.walk(directory, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                if path.is_symlink() or not path.is_file():
                    continue
                archive.write(path, f"{top}/{path.relative_to(directory).as_posix()}")


class Command(BaseCommand):
    help = "Ingest images, PDFs, texts, zips or directories into a collection."

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--collection", required=True, help="Collection slug")
        parser.add_argument("--create", action="store_true", help="Create the collection if it does not exist")
        parser.add_argument("--owner", help="Username: owner of a created collection, and the acting user (default: the owner)")
        parser.add_argument("--title", help="Document title (only when one file gives one document)")
        parser.add_argument("--metadata", help='JSON object, e.g. \'{"language": "en", "year_from": 1842, "tags": ["letters"]}\'')
        parser.add_argument("--json", action="store_true", help="Print the per-file results as JSON")

    def handle(self, *args, **options) -> None:
        user = self._user(options.get("owner"))
        collection = self._collection(options["collection"], options["create"], user)
        user = user or collection.owner
        metadata = self._metadata(options.get("metadata"))
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        with tempfile.TemporaryDirectory() as scratch:
            uploads = [self._upload(path, Path(scratch)) for path in options["paths"]]
            results = ingest_uploads(collection, uploads, user=user, title=options.get("title"), metadata=metadata)
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in results], indent=2))
        for result in results:
            if result.ok:
                self.stdout.write(f"ok     {result.file}: documents {result.documents}, {result.pages} pages, {result.texts} texts")
                for skipped in result.skipped:
                    self.stdout.write(f"       skipped {skipped['member']}: {skipped['reason']}")
            else:
                self.stderr.write(f"error  {result.file}: [{result.error['code']}] {result.error['message']}")
        failed = sum(1 for r in results if not r.ok)
        if failed:
            raise CommandError(f"{failed} of {len(results)} files were not ingested (nothing stored for them).")

    def _user(self, username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user '{username}'.") from None

    def _collection(self, slug: str, create: bool, user) -> Collection:
        collection = Collection.objects.filter(slug=slug).first()
        if collection:
            return collection
        if not create:
            raise CommandError(f"No collection '{slug}' (use --create --owner USER to create it).")
        if user is None:
            raise CommandError("--create needs --owner USER.")
        if slugify(slug) != slug:
            raise CommandError(f"'{slug}' is not a valid slug (try '{slugify(slug)}').")
        return create_collection(owner=user, slug=slug, title=slug.replace("-", " ").capitalize())

    def _metadata(self, raw: str | None) -> dict:
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--metadata is not valid JSON: {exc}") from exc
        checked = IngestMetadataSerializer(data=data)
        if not checked.is_valid():
            raise CommandError(f"--metadata: {checked.errors}")
        return dict(checked.validated_data)

    def _upload(self, path: Path, scratch: Path) -> Upload:
        if not path.is_dir():
            return Upload.from_path(path)
        target = scratch / f"{path.resolve().name or 'folder'}.zip"
        zip_directory(path, target)
        upload = Upload.from_path(target)
        return Upload(name=f"{path.resolve().name}/", size=upload.size, open=upload.open)
