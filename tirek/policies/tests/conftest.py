from tirek.access.tests.conftest import ldap_system  # noqa: F401  (a System on the test slapd)
