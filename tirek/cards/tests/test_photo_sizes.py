"""Large phone photos are scaled down while decoding and still come out 480 x 640 (3:4)."""

import io

import pytest
from PIL import Image

from tirek.cards import photos


@pytest.mark.parametrize("size", [(3000, 4000), (4000, 3000), (600, 800)])
@pytest.mark.parametrize("orientation", [1, 6])
def test_large_photos_come_out_at_print_size(size, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: the camera was turned, the viewer rotates 90 degrees
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG", exif=exif)
    result = Image.open(io.BytesIO(photos.process_photo(out.getvalue())))
    assert result.size == photos.OUTPUT_SIZE and result.format == "JPEG"
