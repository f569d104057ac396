import io

import pytest
from PIL import Image

from tirek.cards import keys


@pytest.fixture(autouse=True)
def card_env(settings, tmp_path):
    """Keys and media in a temporary directory: each test starts with no key (one is made)."""
    settings.CARD_KEYS_DIR = tmp_path / "card-keys"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://id.ksu.edu.kz"
    settings.UNIVERSITY_DOMAIN = "ksu.edu.kz"
    keys._cache.clear()
    yield settings
    keys._cache.clear()


def image_bytes(fmt: str = "PNG", size=(600, 700), color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def student_card(personas):
    from tirek.cards import services

    person = personas["student"].person
    card = services.issue_card(None, person)
    return services.set_photo(None, card, image_bytes())
