"""python manage.py load_demo_wills — four real wills for the demo, safe to run again (idempotent).

"Testaments de Poilus (demo)": four wills of French soldiers (1914–1918) from the repository's
``data/real/testaments-de-poilus`` (Testaments de Poilus, Archives nationales / HTR-United,
CC-BY 4.0). Each is imported from its ALTO as the human "ground truth" layer, read by the
default recognizer through a real transcribe job (run here, in this process, so the demo is
complete before the site starts), and compared with the human layer. So a curator opening the
demo sees real scans, a human layer, a machine layer and their comparison.

These are *training* wills of the shipped recognizer (none is a validation will), so the
comparison shows how it reads hands it learnt from, not how it reads unseen ones.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.models import Collection, Document, Membership, Role, Visibility
from archive.services.collections import create_collection
from exchange.formats.xml_import import import_xml
from inscription.models import Inscription, Layer, LayerKind
from jobs.models import JobKind

DATA = Path(settings.BASE_DIR) / "data" / "real" / "testaments-de-poilus" / "pages"
SLUG = "testaments-de-poilus"
CREDIT = "Testaments de Poilus, Archives nationales / HTR-United, CC-BY 4.0"
WILLS = ("AD78_0003", "AD78_0009", "AN_0018", "AN_0050")


class Command(BaseCommand):
    help = "Load four real wills with their ALTO ground truth, the machine's reading and a comparison (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-transcribe", action="store_true",
                            help="import the scans and ground truth only (no machine layer, no comparison)")

    def handle(self, *args, **options) -> None:
        curator = get_user_model().objects.filter(username="curator").first()
        if curator is None:
            raise CommandError("Run 'manage.py load_demo' first: it creates the demo curator.")
        if not DATA.is_dir():
            raise CommandError(f"No demo wills in {DATA}.")
        collection = Collection.objects.filter(slug=SLUG).first() or create_collection(
            owner=curator, slug=SLUG, title="Testaments de Poilus (demo)", visibility=Visibility.PUBLIC,
            description=f"Four wills of French soldiers, 1914–1918, with their human transcription (ALTO ground "
                        f"truth) and the machine's reading beside it. {CREDIT}.",
        )
        Membership.objects.get_or_create(collection=collection, user=curator, defaults={"role": Role.OWNER})
        for will in WILLS:
            document = self._import(collection, curator, will)
            if not options["no_transcribe"]:
                self._transcribe_and_compare(collection, document, curator)
        count = Document.objects.filter(collection=collection).count()
        self.stdout.write(self.style.SUCCESS(f"Demo collection '{collection.slug}': {count} wills ({CREDIT})."))

    def _import(self, collection: Collection, user, will: str) -> Document:
        title = f"Testament {will.replace('_', ' ')}"
        existing = Document.objects.filter(collection=collection, title=title).first()
        if existing is not None:
            return existing
        xmls = sorted(DATA.glob(f"TestamentsDePoilus_will_{will}-*.xml"))
        images = sorted(DATA.glob(f"TestamentsDePoilus_will_{will}-*.jpg"))
        result = import_xml(collection, user, [(p.name, p.read_bytes()) for p in xmls],
                            [(p.name, p.read_bytes()) for p in images], title=title, ground_truth=True)
        document = result.document
        document.language, document.rights, document.date = "fr", CREDIT, "1914–1918"
        document.year_from, document.year_to = 1914, 1918
        document.source = f"{CREDIT}; will {will}"
        document.save(update_fields=["language", "rights", "date", "year_from", "year_to", "source", "updated_at"])
        self.stdout.write(f"imported '{title}': {result.pages} page(s), {result.lines} lines of ground truth")
        return document

    def _transcribe_and_compare(self, collection: Collection, document: Document, user) -> None:
        from inscription.services.compare import request_comparison
        from inscription.tasks import transcribe_document
        from jobs.services.jobs import create_job

        machine = Inscription.objects.filter(document=document, model_version__isnull=False).values("layer_id").first()
        if machine is None:
            job = create_job(JobKind.TRANSCRIBE, collection, document=document, user=user, params={})
            transcribe_document.apply(args=[job.pk])  # here and now; the queued message later finds it final
            job.refresh_from_db()
            if job.state != "succeeded":
                raise CommandError(f"transcribing '{document}' failed: {job.error}")
            self.stdout.write(f"read '{document}' with the default recognizer: {job.progress_message}")
            machine = Inscription.objects.filter(document=document, model_version__isnull=False).values("layer_id").first()
        human = Layer.objects.filter(document=document, kind=LayerKind.GROUND_TRUTH).first()
        if machine is None or human is None:
            return
        comparison, created = request_comparison(user, {"layer": human.pk}, {"layer": machine["layer_id"]},
                                                 label="ground truth vs. machine (demo)")
        if created and comparison.cer is not None:
            self.stdout.write(f"compared '{document}': machine vs. ground truth CER {comparison.cer:.1%}")
