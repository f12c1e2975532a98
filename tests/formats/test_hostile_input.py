"""Malicious or wrong input is refused with a clear 400 and leaves no rows and no files behind."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.formats.helpers import FIXTURES, media_files, row_counts

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PcGts [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="a.png" imageWidth="10" imageHeight="10">
<TextRegion id="r"><Coords points="0,0 5,5"/><TextLine id="l"><Coords points="0,0 5,5"/><TextEquiv><Unicode>&xxe;</Unicode></TextEquiv></TextLine></TextRegion>
</Page></PcGts>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="p" PHYSICAL_IMG_NR="1"><PrintSpace><TextBlock ID="b">
<TextLine ID="l"><String CONTENT="&lol3;"/></TextLine></TextBlock></PrintSpace></Page></Layout></alto>"""


def post_xml(client, files):
    return client.post("/api/v1/collections/letters/import/xml/", {"files": [SimpleUploadedFile(n, d) for n, d in files]},
                       format="multipart")


@pytest.mark.parametrize("payload,word", [(XXE, "XXE"), (LAUGHS, "entit")])
def test_entity_attacks_are_rejected(collection, client_for, settings, payload, word):
    before, files = row_counts(), media_files(settings)
    response = post_xml(client_for("curator"), [("evil.xml", payload), ("a.png", png_bytes())])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "xml_unsafe" and word in error["message"]
    assert row_counts() == before and media_files(settings) == files


def test_failure_after_images_stored_leaves_nothing(collection, client_for, settings):
    """The second page fails inside the transaction, after both images were stored: rows roll back, files are deleted."""
    good = (FIXTURES / "kraken_alto.xml").read_bytes()
    bad = good.replace('CONTENT="à vous."'.encode(), b'CONTENT="' + b"x" * 200_001 + b'"')
    before, files = row_counts(), media_files(settings)
    response = post_xml(client_for("curator"), [("a.xml", good), ("b.xml", bad.replace(b"scan_0042", b"scan_0043")),
                                                ("scan_0042.png", png_bytes(600, 400)), ("scan_0043.png", png_bytes(600, 400, 10))])
    assert response.status_code == 400 and response.json()["error"]["code"] == "text_too_long"
    assert row_counts() == before and media_files(settings) == files


@pytest.mark.parametrize("files,code", [
    ([("a.xml", b"<html><body>hi</body></html>")], "not_alto_or_page"),
    ([("a.xml", b"<alto><unclosed>")], "xml_malformed"),
    ([("scan_0042.xml", (FIXTURES / "kraken_alto.xml").read_bytes())], "image_missing"),
    ([("scan_0042.xml", (FIXTURES / "kraken_alto.xml").read_bytes()), ("scan_0042.png", b"not an image")], "corrupt_image"),
    ([("scan_0042.png", png_bytes())], "no_xml"),
    ([("scan_0042.xml", (FIXTURES / "kraken_alto.xml").read_bytes().replace(b'POINTS="40,250 560,250 560,300 40,300"',
                                                                         b'POINTS="40,250 560"')),
      ("scan_0042.png", png_bytes(600, 400))], "bad_geometry"),
])
def test_wrong_files_are_rejected(collection, client_for, settings, files, code):
    before, stored = row_counts(), media_files(settings)
    response = post_xml(client_for("curator"), files)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert row_counts() == before and media_files(settings) == stored


def test_decompression_bomb_image_is_rejected(collection, client_for, settings):
    settings.MAX_IMAGE_PIXELS = 100_000
    before = row_counts()
    response = post_xml(client_for("curator"), [("scan_0042.xml", (FIXTURES / "kraken_alto.xml").read_bytes()),
                                                ("scan_0042.png", png_bytes(1000, 1000))])
    assert response.status_code == 413 and response.json()["error"]["code"] == "decompression_bomb"
    assert row_counts() == before


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entries,code", [
    ({"../evil.txt": b"x", "manifest.json": b"{}"}, "zip_unsafe_path"),
    ({"/etc/evil": b"x"}, "zip_unsafe_path"),
    ({"big.txt": b"0" * 2_000_000}, "zip_bomb"),
    ({"readme.txt": b"hello"}, "bad_archive"),
    ({"manifest.json": json.dumps({"format": "palimpsest-collection-archive", "version": 1,
                                   "files": [{"path": "images/x.png", "sha256": "0" * 64}], "archive": {}}).encode(),
      "images/x.png": png_bytes()}, "archive_checksum"),
])
def test_hostile_archives_are_rejected(users, tmp_path, entries, code):
    from exchange.formats.archive_import import import_collection
    from palimpsest.errors import InputError

    path = tmp_path / "a.zip"
    path.write_bytes(_zip(entries))
    before = row_counts()
    with pytest.raises(InputError) as caught:
        import_collection(path, users["owner"])
    assert caught.value.get_codes() == code
    assert row_counts() == before
