"""Repair rows stored before invalid Unicode was refused at the edge (issue 20, defect 1).

A lone surrogate in a JSON field (possible on SQLite) made every read of the row a 500; a NUL
in a text column breaks exports and PostgreSQL copies. This walks every text and JSON column
of the project's own apps, removes NUL characters and replaces lone surrogates with U+FFFD.
Each change is counted per model and field; ``--dry-run`` only counts.
"""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import models, transaction

from palimpsest.textguard import bad_text, clean_text, repair

TEXT_FIELDS = (models.CharField, models.TextField)


def project_models() -> list[type[models.Model]]:
    base = str(settings.BASE_DIR)
    found = []
    for config in apps.get_app_configs():
        if str(config.path).startswith(base) and "site-packages" not in str(config.path):
            found.extend(m for m in config.get_models() if not m._meta.proxy and m._meta.managed)
    return found


class Command(BaseCommand):
    help = "Remove NUL characters and replace lone surrogates in stored text and JSON (counts per field)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--dry-run", action="store_true", help="Count the rows to repair; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        total = 0
        for model in project_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS + (models.JSONField,))
                      and not f.primary_key]
            if not fields:
                continue
            names = [f.name for f in fields]
            counts = dict.fromkeys(names, 0)
            for row in model._default_manager.values_list("pk", *names).iterator(chunk_size=500):
                pk, values = row[0], row[1:]
                changes = {}
                for field, value in zip(fields, values, strict=True):
                    if isinstance(field, models.JSONField):
                        fixed, n = repair(value)
                        if n:
                            changes[field.name] = fixed
                    elif isinstance(value, str) and bad_text(value):
                        changes[field.name] = clean_text(value)
                for name in changes:
                    counts[name] += 1
                if changes and not dry_run:
                    with transaction.atomic():
                        model._default_manager.filter(pk=pk).update(**changes)
            for name, n in counts.items():
                if n:
                    total += n
                    verb = "would repair" if dry_run else "repaired"
                    self.stdout.write(f"{model._meta.label}.{name}: {verb} {n} row(s)")
        self.stdout.write(f"{'Would repair' if dry_run else 'Repaired'} {total} value(s) in all.")
