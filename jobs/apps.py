from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs and model versions: the bottom of the app stack (no imports from archive or above)."""

    name = "jobs"
    verbose_name = "Jobs and model versions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Signals are registered here, never as an import side effect.
        from jobs import kinds, signals  # noqa: F401

        kinds.autodiscover()  # every app's jobkinds module registers its kinds
        # A starting worker imports every kind's task module (Celery reads conf.imports after Django is set up).
        from palimpsest.celery import app

        app.conf.imports = tuple(dict.fromkeys([*(app.conf.imports or ()), *kinds.task_modules()]))
