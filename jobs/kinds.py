"""The one table of job kinds: for each, its Celery task, queue, parameter check, target and UI form.

Why one table: routing (``route_task`` is Celery's router), the task modules a worker imports
(``task_modules``), parameter validation (``create_job``), the API's and the web form's kind
choices and the form's fields all read it, so a new kind is one ``register`` call beside one
task function. Apps declare their kinds in a ``jobkinds`` module; ``JobsConfig.ready``
imports every app's (as the admin imports ``admin`` modules), so this module imports no app.

``JobKind`` in ``jobs.models`` only names the built-in kinds for code that refers to one.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.db import models

Queue = Literal["gpu", "io"]
Target = Literal["collection", "document"]


@dataclass(frozen=True)
class ParamCheck:
    """What a kind's ``clean`` sees: the job's target and the raw parameters (a copy it may change)."""

    collection: models.Model
    document: models.Model | None
    page: models.Model | None
    params: dict[str, Any]


@dataclass(frozen=True)
class JobKindSpec:
    """One kind of background job.

    ``clean`` returns the parameters to store (defaults filled in) or raises ``InputError``;
    ``target="document"`` refuses a job without a document; ``form_fields`` are the parameters
    the document page's form offers (``None``: the kind is not started from that form).
    """

    name: str
    label: str
    task: str
    queue: Queue
    module: str = ""
    target: Target = "collection"
    clean: Callable[[ParamCheck], dict[str, Any]] | None = None
    form_fields: tuple[str, ...] | None = None
    # True: the document page draws this kind's form itself (model and layer pickers, ...); False: the page
    # offers the generic form, one text field per ``form_fields`` entry, so a new kind needs no template.
    custom_form: bool = False
    # Other tasks that also run jobs of this kind (e.g. an export in one format beside the collection zip):
    # routed to the same queue, their modules imported by workers.
    extra_tasks: tuple[str, ...] = ()

    @property
    def task_module(self) -> str:
        """The module a worker imports to know the task (the task name's module unless given)."""
        return self.module or self.task.rpartition(".")[0]

    def clean_params(self, check: ParamCheck) -> dict[str, Any]:
        return self.clean(check) if self.clean is not None else dict(check.params)


_KINDS: dict[str, JobKindSpec] = {}
_LOCK = threading.Lock()


def register(spec: JobKindSpec, *, replace: bool = False) -> JobKindSpec:
    """Add a kind. Registering the same name twice is an error unless ``replace`` (tests may swap one)."""
    if spec.queue not in ("gpu", "io"):
        raise ValueError(f"job kind {spec.name}: queue must be 'gpu' or 'io', not {spec.queue!r}")
    if len(spec.name) > 20:
        raise ValueError(f"job kind {spec.name}: a kind name has at most 20 characters (Job.kind)")
    with _LOCK:
        old = _KINDS.get(spec.name)
        if old is not None and old != spec and not replace:
            raise ValueError(f"job kind {spec.name} is already registered (task {old.task})")
        _KINDS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    with _LOCK:
        _KINDS.pop(name, None)


def get(name: str) -> JobKindSpec | None:
    return _KINDS.get(name)


def all_kinds() -> list[JobKindSpec]:
    return list(_KINDS.values())


def names() -> list[str]:
    return list(_KINDS)


def choices() -> list[tuple[str, str]]:
    """(name, label) of every registered kind: Job.kind's choices, the API's and the forms'."""
    return [(k.name, k.label) for k in _KINDS.values()]


class Choices:
    """A lazy iterable of ``choices()`` for fields that take an iterable, not a callable (DRF)."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(choices())

    def __deepcopy__(self, memo: dict) -> Choices:
        return self


def document_form_kinds() -> list[JobKindSpec]:
    """The kinds a curator starts from a document page, in registration order."""
    return [k for k in _KINDS.values() if k.form_fields is not None]


def by_task(task_name: str) -> JobKindSpec | None:
    for spec in _KINDS.values():
        if spec.task == task_name or task_name in spec.extra_tasks:
            return spec
    return None


def route_task(name: str, args: Any = None, kwargs: Any = None, options: Any = None, task: Any = None, **kw: Any) -> dict | None:
    """Celery router (``CELERY_TASK_ROUTES``): a kind's task goes to the kind's queue."""
    spec = by_task(name)
    return {"queue": spec.queue} if spec is not None else None


def task_modules() -> list[str]:
    """Every module that defines a registered kind's task (a worker imports them at start)."""
    return sorted({k.task_module for k in _KINDS.values()} |
                  {t.rpartition(".")[0] for k in _KINDS.values() for t in k.extra_tasks})


def autodiscover() -> None:
    """Import every installed app's ``jobkinds`` module (each registers its kinds)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobkinds")
