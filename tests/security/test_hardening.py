"""Issue 20 hardening: check --deploy passes with SECURE_HTTPS=1, a CSP without inline scripts, sign-in guarded."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full.update({"DEBUG": "0", "SECRET_KEY": "k" * 10 + "Zq8#vT2!pL9@xR4$wN7%mB1^cF6&hJ3*" + "s3cr3t" * 3,
                 "ALLOWED_HOSTS": "archive.example.org", **env})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO, env=full,
                          capture_output=True, text=True, timeout=300)


def test_check_deploy_passes_with_secure_https_and_fails_without():
    secure = _check_deploy(SECURE_HTTPS="1")
    assert secure.returncode == 0, secure.stdout + secure.stderr
    plain = _check_deploy(SECURE_HTTPS="0")
    assert plain.returncode != 0 and "SECURE_SSL_REDIRECT" in plain.stdout + plain.stderr


def test_content_security_policy_allows_no_inline_script(client, collection, client_for):
    for response in (client.get("/accounts/login/"), client_for("viewer").get("/api/v1/collections/"), client.get("/api/docs/")):
        policy = response["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]+)", policy).group(1)
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, policy


def test_templates_hold_no_inline_script_or_handler():
    offenders = []
    for path in (REPO / "templates").rglob("*.html"):
        html = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"<[^>]*\son[a-z]+\s*=", html)]
    assert offenders == []


def test_thirty_wrong_passwords_lock_the_right_one_out_for_a_while(users, client, settings):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    api = APIClient()
    for _ in range(30):
        assert api.post("/api/v1/auth/token/", {"username": "curator", "password": "wrong"}, format="json").status_code == 400
    locked = api.post("/api/v1/auth/token/", {"username": "curator", "password": "pw-12345678"}, format="json")
    assert locked.status_code == 400 and "token" not in locked.json()
    page = client.post("/accounts/login/", {"username": "curator", "password": "pw-12345678"})  # same check as the API
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    # Another user (or the same user from another address) is not affected.
    assert api.post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-12345678"}, format="json").status_code == 200
    cache.clear()  # the window has passed
    assert api.post("/api/v1/auth/token/", {"username": "curator", "password": "pw-12345678"}, format="json").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/collections/", "/accounts/login/"])
def test_security_headers(client, db, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
