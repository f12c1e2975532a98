from django.apps import AppConfig


class InscriptionConfig(AppConfig):
    name = "inscription"
    verbose_name = "Inscriptions, annotations, comparisons and reflections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Signals are registered here, never as an import side effect.
        from inscription import signals  # noqa: F401
