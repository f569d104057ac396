import pytest

from tirek.connectors.scim_server import ScimServer


@pytest.fixture(scope="session")
def scim_server():
    server = ScimServer().start()
    yield server
    server.stop()


@pytest.fixture
def running_scim(scim_server):
    return scim_server.start()
