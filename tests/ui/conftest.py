"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Reuses the jobs engineer's REAL worker fixture (tests/jobs/conftest.py) by import, so the
browser tests run the same Celery worker process on the same broker as the job tests.
Every browser context records and aborts any request to a host other than the live
server; a test fails if there was one.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.jobs.conftest import htr_model, render_pages, start_worker  # noqa: F401 - fixtures shared by import

CHROMIUM = os.environ.get("PALIMPSEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "pw-12345678"

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in one unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made for every test; the default PBKDF2 would cost seconds each on two busy cores."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def chromium_browser():
    """Launch Debian's Chromium under Playwright; the session fixture ``browser`` in tests/conftest.py uses it.

    One definition for the whole run: two session fixtures would start two sync Playwrights, and the
    second refuses to start inside the first one's event loop.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium binary at {CHROMIUM} (set PALIMPSEST_CHROMIUM or install Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a ceiling against hangs on two busy cores, not a timing assertion
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Session:
    """A browser context for one user, with the external-request guard."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.external: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT, base_url=self.base_url)
        # Two shared cores (a training may run beside the tests): generous ceilings, never timing assertions.
        self.context.set_default_timeout(30_000)
        self.context.set_default_navigation_timeout(60_000)
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))

    def _guard(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == self.host:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base_url + "/")

    def force_login(self, user) -> None:
        """Sign in without the form (a session cookie made by Django's test client)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": self.base_url}])

    def csrf(self) -> str:
        self.page.goto("/")
        return next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def sessions(browser, live_server):
    """sessions() → a new Session on the live server; at teardown, fail if any external request was made."""
    made: list[Session] = []

    def make() -> Session:
        session = Session(browser, live_server.url)
        made.append(session)
        return session

    yield make
    external = [url for s in made for url in s.external]
    errors = [e for s in made for e in s.console_errors if "Failed to load resource" not in e]
    for s in made:
        s.context.close()
    assert not external, f"requests to hosts other than the live server: {external}"
    assert not errors, f"JavaScript errors in the browser console: {errors}"
