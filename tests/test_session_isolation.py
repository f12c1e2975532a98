"""The test session's own broker folder (tests/isolation.py): no stray worker can take its jobs.

Checked in a fresh interpreter without REDIS_URL, as a session on the embedded default starts,
so it runs everywhere, CI (which has Redis) included.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = """
import json, os
import tests.isolation  # as `-p tests.isolation` loads it, before Django reads its settings
import django
django.setup()
from pathlib import Path
from django.conf import settings
folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
print(json.dumps({"folder": str(folder), "own": os.environ.get("PALIMPSEST_BROKER_DIR"), "var": str(settings.VAR_DIR),
                  "is_dir": folder.is_dir(), "broker": settings.CELERY_BROKER_URL}))
"""


def test_filesystem_broker_folder_is_this_sessions_own() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PALIMPSEST_BROKER_DIR")}
    env["DJANGO_SETTINGS_MODULE"] = "palimpsest.settings"
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    try:
        assert seen["broker"] == "filesystem://"
        assert seen["own"] and Path(seen["folder"]).parent == Path(seen["own"])
        assert Path(seen["folder"]).parent != Path(seen["var"]) / "broker"  # where `make run`'s worker listens
        assert seen["is_dir"]
    finally:
        if seen.get("own"):
            shutil.rmtree(seen["own"], ignore_errors=True)
