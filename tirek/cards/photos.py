"""Card photos: checked by their content (not their name or declared type), cut to 3:4."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs early
MIN_SIDE = 240
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
OUTPUT_SIZE = (480, 640)  # 3:4, enough for 300 dpi at the card's 25 x 33 mm photo box


def process_photo(data: bytes) -> bytes:
    """Check an uploaded photo and return it as a 480x640 JPEG, centre-cropped to 3:4."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), code="too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("The file is not an image."), code="not_image") from exc
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(_("The photo must be a JPEG, PNG or WebP image."), code="format")
    if width * height > MAX_PIXELS:
        raise ValidationError(_("The photo has too many pixels."), code="too_many_pixels")
    if min(width, height) < MIN_SIDE:
        raise ValidationError(
            _("The photo is too small: at least %(n)s pixels on each side.") % {"n": MIN_SIDE},
            code="too_small",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            # A phone photo of 12 Mpx: let the JPEG decoder scale it down by 2, 4 or 8 while it
            # decodes (never below the output size, whatever the EXIF rotation). Decoding and
            # resizing are most of the time a card takes to issue.
            side = max(OUTPUT_SIZE)
            image.draft("RGB", (side, side))
            image = ImageOps.exif_transpose(image).convert("RGB")
            fitted = ImageOps.fit(image, OUTPUT_SIZE, method=Image.Resampling.LANCZOS)
    except (OSError, ValueError) as exc:
        raise ValidationError(_("The image could not be read."), code="broken") from exc
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()
