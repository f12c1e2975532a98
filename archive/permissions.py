"""Per-collection access: the one place that decides who may read or write what.

Rules:
- an owner manages members, a curator writes, a viewer reads;
- a public collection is readable by anyone, a shared one by any signed-in user;
- a user with no way to read a collection gets 404 (its existence is not revealed);
- a user who can read but not write gets 403 on writes.
"""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from archive.errors import CollectionHidden, RoleTooLow
from archive.models import ROLE_RANK, Collection, Membership, Role, Visibility

READ = "read"
WRITE = "write"
MANAGE = "manage"
NEEDED_RANK = {READ: ROLE_RANK[Role.VIEWER], WRITE: ROLE_RANK[Role.CURATOR], MANAGE: ROLE_RANK[Role.OWNER]}


def role_of(user: User | AnonymousUser, collection: Collection) -> str | None:
    """The user's role in the collection, or None. Uses prefetched memberships when present."""
    if not user.is_authenticated:
        return None
    if collection.owner_id == user.pk:
        return Role.OWNER
    cache = getattr(collection, "_prefetched_objects_cache", {})
    if "memberships" in cache:
        for membership in collection.memberships.all():
            if membership.user_id == user.pk:
                return membership.role
        return None
    return Membership.objects.filter(collection=collection, user=user).values_list("role", flat=True).first()


def can(user: User | AnonymousUser, collection: Collection, action: str) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    role = role_of(user, collection)
    if role is not None and ROLE_RANK[role] >= NEEDED_RANK[action]:
        return True
    if action == READ:
        if collection.visibility == Visibility.PUBLIC:
            return True
        if collection.visibility == Visibility.SHARED and user.is_authenticated:
            return True
    return False


def require(user: User | AnonymousUser, collection: Collection, action: str, missing: str = "Not found.") -> None:
    """CollectionHidden (404) when the user cannot even read, RoleTooLow (403) when they can read but not do ``action``.

    ``missing`` is the caller's message for an object that does not exist: a hidden one gets the
    very same answer, so the API is no oracle for what exists in other people's collections."""
    if can(user, collection, action):
        return
    if action != READ and can(user, collection, READ):
        raise RoleTooLow(f"Your role in collection '{collection.slug}' does not allow this ({action}).")
    raise CollectionHidden(missing)


def readable_collections(user: User | AnonymousUser) -> QuerySet[Collection]:
    """Collections the user may read, as one query."""
    if user.is_authenticated and user.is_superuser:
        return Collection.objects.all()
    visible = Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated:
        visible |= Q(visibility=Visibility.SHARED) | Q(owner=user) | Q(memberships__user=user)
    return Collection.objects.filter(visible).distinct()


def readable_collection_ids(user: User | AnonymousUser) -> QuerySet:
    """A subquery of readable collection ids, for filtering documents, pages, lines, inscriptions..."""
    return readable_collections(user).values("pk")
