"""Create a background Job from the command line (the same service the API uses)."""
from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from archive.models import Collection, Document
from jobs import kinds
from jobs.models import FINAL_STATES, Job
from jobs.services.jobs import create_job
from palimpsest.errors import InputError


def parse_param(raw: str) -> tuple[str, object]:
    if "=" not in raw:
        raise CommandError(f"--param needs key=value, got '{raw}'")
    key, value = raw.split("=", 1)
    try:
        return key.strip(), json.loads(value)  # numbers, booleans, lists
    except json.JSONDecodeError:
        return key.strip(), value


class Command(BaseCommand):
    help = "Queue a job: run_job KIND --collection SLUG [--document ID] [--param k=v ...] [--wait]"

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=kinds.names())
        parser.add_argument("--collection", required=True, help="Collection slug")
        parser.add_argument("--document", type=int, help="Document id")
        parser.add_argument("--param", action="append", default=[], help="Job parameter key=value (repeatable)")
        parser.add_argument("--wait", action="store_true", help="Poll the job row until it is final")
        parser.add_argument("--timeout", type=float, default=0, help="With --wait: give up after this many seconds")

    def handle(self, *args, **options) -> None:
        collection = Collection.objects.filter(slug=options["collection"]).first()
        if collection is None:
            raise CommandError(f"No collection '{options['collection']}'.")
        document = None
        if options["document"] is not None:
            document = Document.objects.filter(pk=options["document"], collection=collection).first()
            if document is None:
                raise CommandError(f"No document {options['document']} in collection '{collection.slug}'.")
        params = dict(parse_param(p) for p in options["param"])
        try:
            job = create_job(options["kind"], collection, document=document, params=params)
        except InputError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"job {job.pk} queued ({job.kind}, task {job.celery_task_id})")
        if not options["wait"]:
            return
        started, last = time.monotonic(), None
        while True:
            job = Job.objects.get(pk=job.pk)
            line = f"{job.state} {job.progress_done}/{job.progress_total} {job.progress_message}"
            if line != last:
                self.stdout.write(line)
                last = line
            if job.state in FINAL_STATES:
                break
            if options["timeout"] and time.monotonic() - started > options["timeout"]:
                raise CommandError(f"job {job.pk} still {job.state} after {options['timeout']} s")
            time.sleep(1)
        if job.state != "succeeded":
            raise CommandError(f"job {job.pk} {job.state}: {job.error.splitlines()[0] if job.error else ''}")
        self.stdout.write(self.style.SUCCESS(f"job {job.pk} succeeded: {json.dumps(job.result)}"))
