from tirek.access.tests.conftest import (  # noqa: F401  (shared fixtures of the access tests)
    catalogue,
    ldap_system,
)
