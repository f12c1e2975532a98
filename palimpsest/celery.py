"""The Celery application. Configuration comes from Django settings (CELERY_ namespace)."""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palimpsest.settings")

app = Celery("palimpsest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.import_modules.connect(sender=app)
def import_job_kind_tasks(sender=None, **kwargs) -> None:
    """A starting worker imports the task module of every registered job kind (jobs.kinds), after Django is set up."""
    import importlib

    from jobs import kinds

    for module in kinds.task_modules():
        importlib.import_module(module)
