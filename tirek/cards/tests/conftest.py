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


@pytest.fixture(scope="session")
def perco_server():
    from tirek.testing.perco_fake import PercoFake

    server = PercoFake().start()
    yield server
    server.stop()


@pytest.fixture
def perco(perco_server, monkeypatch, db):
    """The fake PERCo-Web, empty, with the catalogue's PERCo system pointed at it."""
    from tirek.access.models import System

    perco_server.start()
    perco_server.reset()
    perco_server.add_division("Кафедра информационных систем")
    perco_server.default_division = perco_server.add_division("Прочие")
    monkeypatch.setenv("PERCO_TEST_PASSWORD", perco_server.password)
    System.objects.filter(code="perco").update(
        connector_kind="perco",
        connector_settings={
            "url": perco_server.url,
            "login": perco_server.login,
            "password_env": "PERCO_TEST_PASSWORD",
            "default_division": perco_server.default_division,
        },
    )
    return perco_server
