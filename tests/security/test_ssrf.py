"""Defect 3 of issue 20: the IIIF import fetches only public addresses, checked after resolution and at every
redirect, unless IIIF_FETCH_ALLOW lists them; every fetch failure gives the same error."""
from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import png_bytes
from tests.formats.helpers import import_iiif_job
from tests.formats.test_iiif_import import Server, manifest_v3

IMPORT = "/api/v1/collections/letters/import/iiif/"


@pytest.fixture
def loopback():
    srv = Server()
    yield srv
    srv.close()


def _post(client_for, url: str):
    """The import job for ``url``, run to its end (the request answers 202; the job fetches)."""
    return import_iiif_job(client_for("curator"), {"url": url})


def _failed_with(job, code: str) -> bool:
    return job.state == "failed" and job.result["error"]["code"] == code


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "localhost", "[::ffff:127.0.0.1]", "0.0.0.0"])
def test_loopback_in_any_spelling_is_refused_before_connecting(collection, client_for, loopback, settings, host):
    settings.IIIF_FETCH_ALLOW = []
    loopback.add("/manifest.json", {"secret": True})
    job = _post(client_for, f"http://{host}:{_port(loopback.base)}/manifest.json")
    assert _failed_with(job, "remote_error"), (job.error, job.result)
    assert loopback.requested == []  # nothing reached the loopback server


@pytest.mark.parametrize("ip", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "224.0.0.1", "::1", "fe80::1",
                                "fc00::1", "100.64.0.1"])
def test_private_link_local_and_multicast_addresses_are_refused(ip):
    from exchange.formats.fetch import address_allowed

    assert not address_allowed("example.org", ip)
    assert address_allowed("example.org", "93.184.216.34")


def test_a_redirect_to_loopback_is_refused_at_the_hop(collection, client_for, loopback, settings):
    """The first host is allowed (127.0.0.1); its redirect to 127.0.0.2 (another loopback address) is not."""
    inner = Server("127.0.0.2")  # the whole 127/8 is loopback on Linux
    try:
        settings.IIIF_FETCH_ALLOW = ["127.0.0.1/32"]
        inner.add("/secret.json", {"secret": True})
        target = inner.base + "/secret.json"
        url = loopback.add("/hop", b"", "text/plain", status=302, Location=target)
        assert _failed_with(_post(client_for, url), "remote_error")
        assert loopback.requested == ["/hop"] and inner.requested == []
    finally:
        inner.close()


def test_image_urls_on_loopback_are_refused_in_an_uploaded_manifest(collection, client_for, loopback, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IIIF_FETCH_ALLOW = []
    loopback.add("/img/1.png", png_bytes(600, 400), "image/png")
    data, _ = manifest_v3(loopback.base, ["/img/1.png"])
    job = import_iiif_job(client_for("curator"), {"manifest": SimpleUploadedFile("m.json", json.dumps(data).encode())},
                          fmt="multipart")
    assert _failed_with(job, "remote_error"), (job.error, job.result)
    assert loopback.requested == []


def test_iiif_fetch_allow_lets_a_local_server_through(collection, client_for, loopback, settings):
    settings.IIIF_FETCH_ALLOW = ["127.0.0.1"]
    loopback.add("/img/1.png", png_bytes(600, 400), "image/png")
    data, _ = manifest_v3(loopback.base, ["/img/1.png"])
    url = loopback.add("/iiif/manifest.json", data)
    assert _post(client_for, url).state == "succeeded"


def test_every_fetch_failure_reads_the_same(collection, client_for, loopback, settings):
    """Closed port, HTTP 404, HTTP 500 and a refused address: one code, one message (no port scanner)."""
    settings.IIIF_FETCH_ALLOW = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    loopback.add("/boom", b"x", "text/plain", status=500)
    urls = [f"http://127.0.0.1:{closed}/m.json", f"{loopback.base}/missing", f"{loopback.base}/boom",
            f"http://127.0.0.3:{_port(loopback.base)}/m.json"]
    messages = set()
    for url in urls:
        job = _post(client_for, url)
        error = job.result["error"]
        assert job.state == "failed" and error["code"] == "remote_error"
        messages.add(error["message"].replace(url, "URL"))
    assert messages == {"The IIIF manifest at URL could not be fetched."}
