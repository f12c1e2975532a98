"""Loaded with ``-p tests.isolation`` before Django reads its settings (see pyproject.toml).

With the filesystem broker (no REDIS_URL) every test session gets its own broker folder, so a
worker left running by ``make run`` or by an interrupted earlier session cannot take this
session's job messages (it would run them against another database, and the test would wait
for a job that never moves).
"""
from __future__ import annotations

import os
import shutil
import tempfile

_created: str | None = None
if not os.environ.get("REDIS_URL") and not os.environ.get("PALIMPSEST_BROKER_DIR"):
    _created = tempfile.mkdtemp(prefix="palimpsest-test-broker-")
    os.environ["PALIMPSEST_BROKER_DIR"] = _created


def pytest_unconfigure(config) -> None:  # noqa: ANN001
    if _created and not hasattr(config, "workerinput"):  # the xdist controller (or a plain run) cleans up
        shutil.rmtree(_created, ignore_errors=True)
