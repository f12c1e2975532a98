"""DRF's side of archive.permissions: the permission class every collection-bound API view uses."""
from __future__ import annotations

from rest_framework import permissions

from archive.permissions import READ, WRITE, require


class CollectionAccess(permissions.BasePermission):
    """DRF permission for objects that belong to a collection.

    Views must expose ``collection_of(obj)``; safe methods need READ, unsafe ones WRITE
    (or ``manage_action`` for views that set it, such as membership management).
    """

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        collection = view.collection_of(obj)
        action = READ if request.method in permissions.SAFE_METHODS else getattr(view, "write_action", WRITE)
        require(request.user, collection, action)
        return True
