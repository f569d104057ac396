"""Attachment checks by content, never by name: the first bytes say what a file is.

Accepted: PNG, JPEG, GIF, WebP images; PDF; Office documents (OOXML .docx/.xlsx/.pptx, the
older OLE .doc/.xls/.ppt) and OpenDocument (.odt/.ods/.odp). Anything else, or a file larger
than SERVICEDESK_MAX_ATTACHMENT_BYTES (10 MB by default), is refused with a clear message.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PNG = FileType("image/png", "png")
JPEG = FileType("image/jpeg", "jpg")
GIF = FileType("image/gif", "gif")
WEBP = FileType("image/webp", "webp")
PDF = FileType("application/pdf", "pdf")
OLE = FileType("application/x-ole-storage", "doc")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
ODF = {
    b"application/vnd.oasis.opendocument.text": FileType(
        "application/vnd.oasis.opendocument.text", "odt"
    ),
    b"application/vnd.oasis.opendocument.spreadsheet": FileType(
        "application/vnd.oasis.opendocument.spreadsheet", "ods"
    ),
    b"application/vnd.oasis.opendocument.presentation": FileType(
        "application/vnd.oasis.opendocument.presentation", "odp"
    ),
}
IMAGES = frozenset({PNG, JPEG, GIF, WEBP})


def max_bytes() -> int:
    return int(getattr(settings, "SERVICEDESK_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES))


def _zip_type(upload) -> FileType | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return ODF.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
                if any(n.startswith("ppt/") for n in names):
                    return PPTX
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    finally:
        upload.seek(0)
    return None


def sniff(upload) -> FileType | None:
    """The type of an uploaded file from its content, or None if it is not one we accept."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(upload)
    return None


def check(upload) -> FileType:
    """The file's type, or a ValidationError that names the file and what is wrong."""
    name = getattr(upload, "name", "") or _("file")
    if upload.size > max_bytes():
        raise ValidationError(
            _("%(name)s is too large: at most %(mb)s MB per file.")
            % {"name": name, "mb": max_bytes() // (1024 * 1024)},
            code="too_large",
        )
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            _(
                "%(name)s is not an image, a PDF or an office document"
                " (checked by its content, not its name)."
            )
            % {"name": name},
            code="bad_type",
        )
    return kind


def check_all(uploads) -> list[tuple[object, FileType]]:
    uploads = list(uploads or [])
    if len(uploads) > MAX_FILES:
        raise ValidationError(_("At most %(n)s files at once.") % {"n": MAX_FILES})
    return [(u, check(u)) for u in uploads]
