"""Writing reflections: each write is a new ReflectionVersion with its citation rows.

Citations (``[@annotation:12]`` ...) are checked when a version is saved: citing
something that does not exist or that the author cannot read is a 400, and nothing is
stored. Rendering resolves citations again for the *reader*: an item the reader cannot
read is shown as "not available", never leaked.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from archive.models import Collection
from archive.permissions import WRITE, require
from inscription.annotations.jsonld import iri
from inscription.annotations.rendering import Cited, find_citations, render
from inscription.models import Citation, Reflection, ReflectionAction, ReflectionVersion
from inscription.services import versioning
from inscription.services.references import resolve_readable
from palimpsest.errors import InputError

MAX_BODY = 200_000
MAX_CITATIONS = 500


def _check_text(title: Any, body: Any) -> None:
    if not isinstance(title, str) or not title.strip() or len(title) > 300:
        raise InputError("A reflection needs a title of 1 to 300 characters.", code="bad_title")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        raise InputError(f"The body is Markdown text of at most {MAX_BODY} characters.", code="bad_body")


def cited_objects(user: AbstractBaseUser | AnonymousUser, body: str) -> list[tuple[Cited, Any]]:
    """Every citation with the object it names; 400 when one is missing or unreadable for ``user``."""
    cited = find_citations(body)
    if len(cited) > MAX_CITATIONS:
        raise InputError(f"At most {MAX_CITATIONS} distinct citations.", code="too_many_citations")
    out, bad = [], []
    for c in cited:
        obj = resolve_readable(user, c.ref)
        if obj is None:
            bad.append(c.ref)
        out.append((c, obj))
    if bad:
        raise InputError(f"Cited items do not exist or you cannot read them: {', '.join(bad)}.", code="bad_citation",
                         detail={"citations": bad})
    return out


def _store_version(reflection: Reflection, user: AbstractBaseUser, action: str, cited: list[tuple[Cited, Any]]) -> ReflectionVersion:
    ReflectionVersion.objects.filter(reflection=reflection, is_current=True).update(is_current=False)
    version = ReflectionVersion.objects.create(reflection=reflection, version=reflection.version, action=action,
                                               title=reflection.title, body=reflection.body, created_by=user)
    Citation.objects.bulk_create([
        Citation(version=version, reflection=reflection, ref=c.ref, position=c.number,
                 content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)
        for c, obj in cited
    ])
    return version


def create_reflection(user: AbstractBaseUser, collection: Collection, title: Any, body: Any) -> Reflection:
    require(user, collection, WRITE)
    _check_text(title, body)
    cited = cited_objects(user, body)
    with transaction.atomic():
        reflection = Reflection.objects.create(collection=collection, title=title.strip(), body=body, created_by=user)
        _store_version(reflection, user, ReflectionAction.WRITE, cited)
    return reflection


def edit_reflection(reflection: Reflection, user: AbstractBaseUser, title: Any = None, body: Any = None) -> Reflection:
    """A new version; the old ones (and their citations) stay."""
    require(user, reflection.collection, WRITE)
    title = reflection.title if title is None else title
    body = reflection.body if body is None else body
    _check_text(title, body)
    cited = cited_objects(user, body)
    with transaction.atomic():
        locked = versioning.lock(reflection)
        versioning.refuse_withdrawn(locked, "reflection", "edited")
        locked.title, locked.body = title.strip(), body
        locked.bump()
        locked.save()
        _store_version(locked, user, ReflectionAction.EDIT, cited)
    return locked


def withdraw_reflection(reflection: Reflection, user: AbstractBaseUser) -> Reflection:
    require(user, reflection.collection, WRITE)
    with transaction.atomic():
        locked = versioning.withdraw(versioning.lock(reflection), "reflection")
        cited = [(c, resolve_readable(user, c.ref)) for c in find_citations(locked.body)]
        _store_version(locked, user, ReflectionAction.WITHDRAW, [(c, o) for c, o in cited if o is not None])
    return locked


def render_for(reader: AbstractBaseUser | AnonymousUser, body: str, base_url: str) -> dict:
    """Sanitised HTML and the citation list as ``reader`` may see them (for display and the live preview)."""
    readable = {c.ref: resolve_readable(reader, c.ref) is not None for c in find_citations(body)}

    def link_for(c: Cited) -> str | None:
        return iri(base_url, c.ref) if readable[c.ref] else None

    citations = [{"number": c.number, "ref": c.ref, "kind": c.kind, "id": c.pk, "available": readable[c.ref],
                  "url": link_for(c)} for c in find_citations(body)]
    return {"html": render(body, link_for), "citations": citations}
