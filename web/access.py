"""Permission and error plumbing for the UI views: the one place domain errors become pages.

Every view resolves its object through these helpers, so the rules of
archive.permissions apply to the web pages exactly as they apply to the API:
404 when the user cannot read the collection, 403 when they can read but not write.
A service's other domain errors (palimpsest.errors) become a plain message (``attempt``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from archive import permissions
from archive.models import Collection, Document, Line, Page
from palimpsest.errors import DomainError, Forbidden, NotFound

M = TypeVar("M", bound=Model)


def require(request: HttpRequest, collection: Collection, action: str = permissions.READ) -> None:
    """archive.permissions.require, translated to Django's 404/403 for template views."""
    try:
        permissions.require(request.user, collection, action)
    except NotFound as exc:
        raise Http404("No such collection.") from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc


def collection_for(request: HttpRequest, slug: str, action: str = permissions.READ) -> Collection:
    coll = get_object_or_404(Collection, slug=slug)
    require(request, coll, action)
    return coll


def document_for(request: HttpRequest, pk: int, action: str = permissions.READ) -> Document:
    doc = get_object_or_404(Document.objects.select_related("collection"), pk=pk)
    require(request, doc.collection, action)
    return doc


def page_for(request: HttpRequest, pk: int, action: str = permissions.READ) -> Page:
    page = get_object_or_404(Page.objects.select_related("document__collection", "image"), pk=pk)
    require(request, page.document.collection, action)
    return page


def line_for(request: HttpRequest, pk: int, action: str = permissions.READ) -> Line:
    line = get_object_or_404(Line.objects.select_related("page__document__collection"), pk=pk)
    require(request, line.page.document.collection, action)
    return line


def can(request: HttpRequest, collection: Collection, action: str) -> bool:
    return permissions.can(request.user, collection, action)


def plain_error(exc: BaseException) -> str:
    """A service error in plain words for the curator (never a traceback)."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, DjangoValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


SERVICE_ERRORS: tuple[type[BaseException], ...] = (DomainError, DjangoValidationError, ValueError)


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call a service; return (result, None) or (None, plain error message). Not found / forbidden become 404 / 403."""
    try:
        return fn(*args, **kwargs), None
    except (NotFound, Http404) as exc:
        raise Http404(str(exc)) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except SERVICE_ERRORS as exc:
        return None, plain_error(exc)


def safe_next(request: HttpRequest) -> str | None:
    """A same-site path from the form's ``next`` field, or None (never an open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
