"""The test session's own broker folder (tests/isolation.py): no stray worker can take its jobs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="Redis: the broker is the server named in REDIS_URL")
def test_filesystem_broker_folder_is_this_sessions_own():
    from django.conf import settings

    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    assert folder.parent == Path(os.environ["PALIMPSEST_BROKER_DIR"])
    assert folder.parent != Path(settings.VAR_DIR) / "broker"  # where `make run`'s worker listens
    assert folder.is_dir()
