"""Test-run rules shared by every app.

Under CI=true a skipped integration test is a failure: CI has every real component (slapd,
PostgreSQL, Redis, SMTP, chromium), so a skip there means something is broken.
"""

import os

import pytest

pytest_plugins = ["tirek.testing.personas", "tirek.testing.slapd", "tirek.testing.browser"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True, scope="session")
def _test_speedups():
    """Argon2 with test-sized costs (same algorithm and hash format, far less time and memory),
    and WhiteNoise looking files up on request instead of indexing every static file again for
    each test client."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.WHITENOISE_AUTOREFRESH = True
    settings.PASSWORD_HASHERS = ["tirek.testing.hashers.FastArgon2PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and item.get_closest_marker("integration"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"integration test skipped under CI=true: {reason}"
