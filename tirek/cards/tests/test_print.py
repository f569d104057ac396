"""Print details that keep sheets fast: one cut-mark drawing per sheet, small QR images."""

import base64
import io

import pytest
from PIL import Image

from tirek.cards import pdf, tokens

pytestmark = pytest.mark.django_db


def test_cut_marks_outside_the_grid():
    svg = base64.b64decode(pdf.cut_marks(5).split(",", 1)[1]).decode()
    path = svg.split(' d="', 1)[1].split('"', 1)[0]
    # 3 card edges across x 2 (above, below) + 6 edges down x 2 (left, right).
    assert path.count("M") == 3 * 2 + 6 * 2
    assert "M19.4 8.5L19.4 12.5" in path  # above the top-left corner, 1 mm clear of the card


def test_qr_is_one_pixel_per_module(student_card):
    context = pdf.card_context(student_card)
    png = base64.b64decode(context["qr"].split(",", 1)[1])
    width, height = Image.open(io.BytesIO(png)).size
    size = tokens.qr(bytes(student_card.token)).symbol_size(scale=1, border=0)
    assert (width, height) == size


def test_sheet_renders(student_card):
    data = pdf.render_sheets([student_card])
    assert data.startswith(b"%PDF")
