"""Real-browser test fixtures (a pytest plugin).

Playwright (sync API) drives Debian's Chromium against `live_server`.

One browser and one context per test process (session scope), so static files are fetched once;
each test gets a fresh page and no cookies, so no session or language leaks between roles.
Playwright never fetches a browser of its own: we launch /usr/bin/chromium, and the tests are
skipped (failed under CI=true, see the root conftest) when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("TIREK_CHROMIUM", "/usr/bin/chromium"))
# This machine (and CI) refuses outside connections; these flags stop Chromium from trying.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
RESULTS_DIR = Path(__file__).resolve().parent.parent.parent / "test-results" / "browser"
# Playwright's wait limit (pages and expect()): pages are local, so slower than this is a hang,
# but a busy two-core CI machine needs more than Playwright's 5 s default for expect().
TIMEOUT_MS = 10_000
_STARTED = time.time()


def pytest_configure(config):
    # xdist registers this marker itself, but not when run with `-p no:xdist`.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    # Failure screenshots of earlier runs would mislead; keep only this run's.
    for old in RESULTS_DIR.glob("FAILED-*.png"):
        if old.stat().st_mtime < _STARTED:
            old.unlink(missing_ok=True)

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop running in this thread while the browser
        # is open; without this, Django refuses every ORM call made in that time (by these tests
        # and by any other test this worker runs later).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def browser_context(browser, live_server) -> Iterator:
    """One context for the run, so Bootstrap and the icons are fetched once and then cached."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context, request) -> Iterator:
    """A fresh page with no cookies (so no session or language) from earlier tests."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    try:
        yield page
    finally:
        if _failed(request):
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            page.screenshot(path=str(RESULTS_DIR / f"FAILED-{name}.png"), full_page=True)
        page.close()
        browser_context.clear_cookies()


def _failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return bool(report and report.failed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.rep_call = report
    return report


@pytest.fixture(scope="session")
def compiled_catalogues() -> list[Path]:
    """The kk and ru catalogues compiled to .mo; fails (never skips) when one is missing.

    Compiles with msgfmt into a temporary file and renames it into place, so parallel test
    workers never read a half-written catalogue. Django's translation cache is then dropped
    so that this process sees the fresh catalogues.
    """
    compiled, fresh = [], False
    for language in ("kk", "ru"):
        po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
        if not po.exists():
            pytest.fail(f"translation catalogue {po} is missing")
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            msgfmt = shutil.which("msgfmt")
            if msgfmt is None:
                pytest.fail(f"{mo} is missing or stale and msgfmt is not installed (gettext)")
            fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
            os.close(fd)
            os.chmod(tmp, 0o644)
            try:
                # Our own catalogue and the system's msgfmt: no untrusted input.
                subprocess.run([msgfmt, "--check-format", "-o", tmp, str(po)], check=True)
                os.replace(tmp, mo)
                fresh = True
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        compiled.append(mo)
    if fresh:
        _forget_loaded_translations()
    return compiled


def _forget_loaded_translations() -> None:
    # The signal override_settings sends: Django drops its cached catalogues on it.
    from django.conf import settings
    from django.core.signals import setting_changed

    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


def sign_in(page, live_server, user) -> None:
    """Give the browser a session of `user` (made with the test client, second factor included:
    sign-in has browser tests of its own), so a test starts on the pages it is about."""
    from django.conf import settings as django_settings
    from django.test import Client

    from tirek.testing.personas import login_as

    client = login_as(Client(), user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
