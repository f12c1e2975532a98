"""Shared fixtures: users with each role on a private collection, and API clients for them."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared") if (REPO.parent / "shared").exists() else None


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes media into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Each test its own cache (sign-in failure counts must not leak between tests or into Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}}
    # PBKDF2 costs ~0.3 s per user on this machine; tests create five users each. Fast hashing for tests only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(db, django_user_model):
    """owner, curator, viewer, stranger and a superuser, all with password 'pw-12345678'."""
    made = {}
    for name in ("owner", "curator", "viewer", "stranger"):
        made[name] = django_user_model.objects.create_user(name, f"{name}@example.org", "pw-12345678")
    made["admin"] = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw-12345678")
    return made


@pytest.fixture
def collection(users):
    """A private collection with one member per role."""
    from archive.models import Collection, Membership, Role

    coll = Collection.objects.create(slug="letters", title="Letters", owner=users["owner"])
    Membership.objects.create(collection=coll, user=users["owner"], role=Role.OWNER)
    Membership.objects.create(collection=coll, user=users["curator"], role=Role.CURATOR)
    Membership.objects.create(collection=coll, user=users["viewer"], role=Role.VIEWER)
    return coll


@pytest.fixture
def client_for(users):
    """client_for('viewer') → an APIClient signed in as that user; 'anonymous' → no user."""
    from rest_framework.test import APIClient

    def make(who: str) -> APIClient:
        client = APIClient()
        if who != "anonymous":
            client.force_authenticate(users[who])
        return client

    return make


def png_bytes(width: int = 64, height: int = 32, colour: int = 255, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run, shared by the UI and memory-lens browser tests."""
    from tests.ui.conftest import chromium_browser

    yield from chromium_browser()
