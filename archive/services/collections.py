"""Collections and their members: who may read, write and manage."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from archive.models import Collection, Membership, Role
from palimpsest.errors import InputError


def create_collection(*, owner: AbstractBaseUser, slug: str, title: str, **fields) -> Collection:
    """The creator owns the collection, and holds the owner role as a membership too. A taken slug is bad input."""
    try:
        with transaction.atomic():
            collection = Collection.objects.create(owner=owner, slug=slug, title=title, **fields)
            Membership.objects.create(collection=collection, user=owner, role=Role.OWNER)
    except IntegrityError as exc:
        if Collection.objects.filter(slug=slug).exists():
            raise InputError(f"A collection with the short name “{slug}” already exists; choose another.",
                             code="slug_taken") from exc
        raise
    return collection


def _guard_owner(collection: Collection, user: AbstractBaseUser) -> None:
    if collection.owner_id == user.pk:
        raise InputError(
            "The collection's owner keeps the owner role; transfer ownership first.", code="owner_role_fixed", status_code=409
        )


@transaction.atomic
def add_member(collection: Collection, user: AbstractBaseUser, role: str) -> Membership:
    _guard_owner(collection, user)
    if Membership.objects.filter(collection=collection, user=user).exists():
        raise InputError(f"'{user.get_username()}' is already a member; change their role instead.", code="already_member",
                         status_code=409)
    return Membership.objects.create(collection=collection, user=user, role=role)


@transaction.atomic
def change_role(membership: Membership, role: str) -> Membership:
    _guard_owner(membership.collection, membership.user)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(membership: Membership) -> None:
    _guard_owner(membership.collection, membership.user)
    membership.delete()


def set_member_role(collection: Collection, user: AbstractBaseUser, role: str) -> Membership:
    """Add the user with ``role``, or change the role of an existing member."""
    if role not in Role.values:
        raise InputError(f"Unknown role “{role}”.", code="bad_role")
    membership = Membership.objects.filter(collection=collection, user=user).select_related("collection", "user").first()
    if membership is None:
        return add_member(collection, user, role)
    return change_role(membership, role)


def remove_user(collection: Collection, user: AbstractBaseUser) -> None:
    """Take the user's role in the collection away (the owner keeps theirs)."""
    membership = Membership.objects.filter(collection=collection, user=user).select_related("collection", "user").first()
    if membership is None:
        raise InputError(f"{user.get_username()} is not a member of this collection.", code="not_member")
    remove_member(membership)


@transaction.atomic
def set_default_model(collection: Collection, model, user: AbstractBaseUser) -> Collection:
    """Choose the recognizer a collection's transcribe jobs use when none is named.

    Only an HTR model can be a default: a summariser here would make every transcribe job fail.
    """
    if model is not None and model.task != "htr":
        raise InputError("Only a handwriting recognition model can be a collection's default.", code="bad_model")
    collection.default_model = model
    collection.save(update_fields=["default_model", "updated_at"])
    return collection


DESCRIBABLE = ("title", "description", "creator", "date", "source", "rights", "language")


@transaction.atomic
def describe_collection(collection: Collection, **fields) -> Collection:
    """Change the collection's Dublin Core description (title, creator, date, description, source, rights, language)."""
    unknown = set(fields) - set(DESCRIBABLE)
    if unknown:
        raise InputError(f"Not a described field: {', '.join(sorted(unknown))}.", code="bad_field")
    for key, value in fields.items():
        setattr(collection, key, value)
    collection.full_clean(exclude=["owner", "default_model", "slug"], validate_unique=False)
    collection.save(update_fields=[*fields, "updated_at"])
    return collection
