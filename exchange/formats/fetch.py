"""Fetching remote IIIF resources with limits: http(s) only, timeouts, a byte cap while streaming.

Why not trust Content-Length alone: a server may lie or omit it, so the body is read in
chunks and the download stops as soon as it passes the cap.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from palimpsest.errors import InputError

CHUNK = 64 * 1024


def max_image_bytes() -> int:
    return int(getattr(settings, "IIIF_MAX_IMAGE_BYTES", 50 * 1024 * 1024))


def max_json_bytes() -> int:
    return int(getattr(settings, "IIIF_MAX_JSON_BYTES", 10 * 1024 * 1024))


def timeout() -> float:
    return float(getattr(settings, "IIIF_FETCH_TIMEOUT", 20))


def check_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"Only http and https URLs can be fetched, not '{str(url)[:200]}'.", code="bad_url")
    return url


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SafeRedirects())


def fetch(url: str, *, limit: int, accept: str, what: str) -> tuple[bytes, str]:
    """(body, content type) of ``url``; InputError when it is refused, too big, slow or unreachable."""
    check_url(url)
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "Palimpsest IIIF import"})
    try:
        with _opener.open(request, timeout=timeout()) as response:
            content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise InputError(
                    f"The {what} at {url} is {int(declared)} bytes, more than the limit of {limit} bytes.", code="remote_too_large"
                )
            chunks, total = [], 0
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise InputError(f"The {what} at {url} is larger than the limit of {limit} bytes.", code="remote_too_large")
                chunks.append(chunk)
            return b"".join(chunks), content_type
    except InputError:
        raise
    except urllib.error.HTTPError as exc:
        raise InputError(f"Fetching the {what} at {url} failed: HTTP {exc.code}.", code="remote_error") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"Fetching the {what} at {url} failed: {reason}.", code="remote_error") from exc


def fetch_image(url: str) -> bytes:
    data, content_type = fetch(url, limit=max_image_bytes(), accept="image/*", what="image")
    if not content_type.startswith("image/"):
        raise InputError(f"The image at {url} is served as '{content_type or 'no type'}', not as an image.", code="not_an_image")
    return data


def fetch_json(url: str, what: str = "IIIF manifest") -> bytes:
    data, _ = fetch(url, limit=max_json_bytes(), accept="application/ld+json, application/json", what=what)
    return data
