"""Files are recognised by their bytes, never by their names, and held to a size limit."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tirek.servicedesk import attachments
from tirek.servicedesk.tests.test_services import PNG


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/octet-stream")


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"%PDF-1.7\n", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "doc"),
        (xlsx(), "xlsx"),
        (zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), "docx"),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.text"}), "odt"),
    ],
)
def test_accepted_types_by_content(data, extension):
    # Every file is given a misleading name: only the bytes count.
    assert attachments.check(upload("picture.exe", data)).extension == extension


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03",  # a Windows program
        b"<html><script>alert(1)</script>",
        b"#!/bin/sh\nrm -rf /",
        zipped({"evil.sh": b"echo"}),  # a zip, but no office document
        b"PK\x03\x04 broken zip",
        b"",
    ],
)
def test_other_content_is_refused_whatever_its_name(data):
    with pytest.raises(ValidationError) as caught:
        attachments.check(upload("report.pdf", data))
    assert caught.value.code == "bad_type"


def test_size_limit(settings):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 1024
    attachments.check(upload("a.pdf", b"%PDF-" + b"x" * 1000))
    with pytest.raises(ValidationError) as caught:
        attachments.check(upload("a.pdf", b"%PDF-" + b"x" * 1100))
    assert caught.value.code == "too_large"


def test_too_many_files():
    with pytest.raises(ValidationError):
        attachments.check_all([upload(f"{n}.png", PNG) for n in range(attachments.MAX_FILES + 1)])
