"""Where the shared data set lives: one place, so no module hard-codes a machine's path.

A full checkout keeps the shared data beside the repository (``../shared/data``); the
environment variable ``PALIMPSEST_SHARED_DATA`` points elsewhere. Callers fall back to the
repo's own small copies (``data/``) when the shared set is absent, as in a fresh clone.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The shared data folder (it may not exist: callers check)."""
    configured = os.environ.get("PALIMPSEST_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
