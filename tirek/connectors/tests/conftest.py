import pytest

from tirek.connectors.scim_server import ScimServer
from tirek.testing.perco_fake import PercoFake


@pytest.fixture(scope="session")
def scim_server():
    server = ScimServer().start()
    yield server
    server.stop()


@pytest.fixture
def running_scim(scim_server):
    return scim_server.start()


@pytest.fixture(scope="session")
def perco_server():
    server = PercoFake().start()
    yield server
    server.stop()


@pytest.fixture
def perco(perco_server, monkeypatch):
    """The fake PERCo-Web, running and empty but for one division and one position."""
    perco_server.start()
    perco_server.reset()
    perco_server.add_division("Кафедра информатики")
    perco_server.add_position("Доцент")
    monkeypatch.setenv("PERCO_TEST_PASSWORD", perco_server.password)
    return perco_server
