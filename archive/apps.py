from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive holdings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Signals are registered here, never as an import side effect.
        from archive import signals  # noqa: F401
