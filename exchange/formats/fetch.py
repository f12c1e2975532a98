"""Fetching remote IIIF resources with limits: http(s) only, public addresses only, timeouts, a byte cap.

Why resolve and check every address: a manifest URL (or an image URL inside it, or a redirect)
may name ``127.0.0.1``, ``2130706433`` (decimal loopback), a private or link-local address
(cloud metadata at 169.254.169.254) or a host name that resolves to one. The host is resolved
here, each address is checked, and the socket connects to the checked address itself, so a
second DNS answer cannot slip past (rebinding). Redirects go through the same connection code,
so every hop is checked. ``IIIF_FETCH_ALLOW`` lists hosts or networks allowed anyway (a local
IIIF server). Proxies from the environment are ignored: they would connect on our behalf.

Why one error: distinct messages for "refused", "connection refused", "timed out" and
"HTTP 404" turned the import into a port scanner. Every fetch failure is ``remote_error``
with the same message; only the size and type limits on a body that did arrive say more.

Why not trust Content-Length alone: a server may lie or omit it, so the body is read in
chunks and the download stops as soon as it passes the cap.
"""
from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from palimpsest.errors import InputError

log = logging.getLogger(__name__)
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


class RefusedAddress(OSError):
    """The host resolves only to addresses that may not be fetched."""


def _allow_list() -> tuple[set[str], list[ipaddress._BaseNetwork]]:
    hosts, networks = set(), []
    for item in getattr(settings, "IIIF_FETCH_ALLOW", ()) or ():
        item = str(item).strip().lower()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item)
    return hosts, networks


def address_allowed(host: str, ip: str) -> bool:
    """Public unicast addresses are allowed; others only through IIIF_FETCH_ALLOW (by host or network)."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    hosts, networks = _allow_list()
    if host.lower().strip("[]") in hosts or any(address in net for net in networks):
        return True
    return not (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or not address.is_global)


def guarded_socket(host: str, port: int, timeout_s: float | None) -> socket.socket:
    """A socket connected to the first allowed address of ``host``; RefusedAddress if none is."""
    last: OSError | None = None
    allowed_any = False
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if not address_allowed(host, sockaddr[0]):
            continue
        allowed_any = True
        sock = socket.socket(family, kind, proto)
        try:
            if timeout_s is not None:
                sock.settimeout(timeout_s)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    if not allowed_any:
        raise RefusedAddress(f"{host} resolves to no address that may be fetched")
    raise last or OSError(f"could not connect to {host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = guarded_socket(self.host, self.port, self.timeout)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = guarded_socket(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # noqa: ANN001, ANN201 - urllib API
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):  # noqa: ANN001, ANN201 - urllib API
        return self.do_open(_GuardedHTTPSConnection, req, context=ssl.create_default_context())


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib API
        parts = urlsplit(newurl)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RefusedAddress(f"redirect to a non-http URL {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _GuardedHTTPHandler, _GuardedHTTPSHandler, _SafeRedirects)


def _failed(what: str, url: str, exc: BaseException) -> InputError:
    log.info("IIIF fetch of %s failed: %r", url, exc)  # the reason is for the operator's log only
    return InputError(f"The {what} at {url} could not be fetched.", code="remote_error")


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
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError, ValueError, UnicodeError) as exc:
        raise _failed(what, url, exc) from exc


def fetch_image(url: str) -> bytes:
    data, content_type = fetch(url, limit=max_image_bytes(), accept="image/*", what="image")
    if not content_type.startswith("image/"):
        raise InputError(f"The image at {url} is served as '{content_type or 'no type'}', not as an image.", code="not_an_image")
    return data


def fetch_json(url: str, what: str = "IIIF manifest") -> bytes:
    data, _ = fetch(url, limit=max_json_bytes(), accept="application/ld+json, application/json", what=what)
    return data
