"""Mirror the model store's JSON cards into ModelVersion rows (idempotent)."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from jobs.services.models import store_dirs, sync_models


class Command(BaseCommand):
    help = "Upsert ModelVersion rows from models_ml/store/*/card.json and settings.MODEL_STORE."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", action="append", default=None, help="Extra or replacement store folder(s)")

    def handle(self, *args, **options) -> None:
        dirs = [Path(d) for d in options["store"]] if options["store"] else store_dirs()
        rows = sync_models(dirs)
        for row, created in rows:
            parent = f" parent={row.parent}" if row.parent_id else ""
            self.stdout.write(f"{'created' if created else 'up to date'}: {row} [{row.task}] sha256={row.sha256[:12]}{parent}")
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} model(s) in {', '.join(str(d) for d in dirs)}"))
