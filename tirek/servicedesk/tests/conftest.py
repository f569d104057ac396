import pytest

from tirek.servicedesk.models import Service, Team


@pytest.fixture
def services(db) -> None:
    """The systems of the data migration, loaded again if a transactional test flushed them."""
    import importlib

    from django.apps import apps

    importlib.import_module("tirek.servicedesk.migrations.0002_services").load(apps, None)


@pytest.fixture
def platonus(services) -> Service:
    return Service.objects.get(code="platonus")


@pytest.fixture
def team(personas, platonus) -> Team:
    """A Platonus team of the head and the staff member (round robin between them)."""
    team = Team.objects.create(name="Platonus")
    team.members.add(personas["dept_head"], personas["dept_staff"])
    team.services.add(platonus)
    return team


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    # WhiteNoise would index every static file for each new test client otherwise.
    settings.WHITENOISE_AUTOREFRESH = True
