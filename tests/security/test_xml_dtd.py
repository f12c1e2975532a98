"""Defect 13 of issue 20: an ALTO (or PAGE) file that names an external DTD is refused, as the docs say."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.formats.helpers import FIXTURES, media_files, row_counts


@pytest.mark.parametrize("doctype", ['<!DOCTYPE alto SYSTEM "http://127.0.0.1:9/alto.dtd">',
                                     '<!DOCTYPE alto PUBLIC "-//LOC//ALTO//EN" "alto.dtd">',
                                     '<!DOCTYPE alto SYSTEM "file:///etc/passwd">'])
def test_alto_with_an_external_dtd_is_refused(collection, client_for, settings, doctype):
    xml = (FIXTURES / "kraken_alto.xml").read_text().replace('<?xml version="1.0" encoding="UTF-8"?>',
                                                             '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype, 1)
    before, files = row_counts(), media_files(settings)
    response = client_for("owner").post(
        f"/api/v1/collections/{collection.slug}/import/xml/",
        {"xml": [SimpleUploadedFile("scan_0042.xml", xml.encode())], "images": [SimpleUploadedFile("SCAN_0042.PNG", png_bytes(600, 400))]},
        format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "xml_unsafe" and "external DTD" in response.json()["error"]["message"]
    assert row_counts() == before and media_files(settings) == files


def test_a_plain_internal_doctype_is_still_accepted(collection, client_for):
    xml = (FIXTURES / "kraken_alto.xml").read_text().replace('<?xml version="1.0" encoding="UTF-8"?>',
                                                             '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE alto>', 1)
    response = client_for("owner").post(
        f"/api/v1/collections/{collection.slug}/import/xml/",
        {"xml": [SimpleUploadedFile("scan_0042.xml", xml.encode())], "images": [SimpleUploadedFile("SCAN_0042.PNG", png_bytes(600, 400))]},
        format="multipart")
    assert response.status_code == 201, response.content
