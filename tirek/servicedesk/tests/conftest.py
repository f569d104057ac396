import pytest

from tirek.access.models import System
from tirek.servicedesk.models import SystemProfile, Team


@pytest.fixture
def services(db) -> None:
    """The catalogue of systems and the desk's profiles of them (data migrations), loaded
    again if a transactional test flushed them."""
    import importlib

    from django.apps import apps

    importlib.import_module("tirek.access.migrations.0002_catalogue").load(apps, None)
    importlib.import_module("tirek.servicedesk.migrations.0004_sdfeat_systems").load(apps, None)


@pytest.fixture
def platonus(services) -> System:
    return System.objects.get(code="platonus")


@pytest.fixture
def team(personas, platonus) -> Team:
    """A Platonus team of the head and the staff member (round robin between them)."""
    team = Team.objects.create(name="Platonus")
    team.members.add(personas["dept_head"], personas["dept_staff"])
    SystemProfile.objects.filter(system=platonus).update(team=team)
    return team


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    # WhiteNoise would index every static file for each new test client otherwise.
    settings.WHITENOISE_AUTOREFRESH = True
