"""Tirek seen through a real browser: sign-in as every role, language switch, denials.

Everything a person does goes through the pages (login form, two-factor pages, language
buttons, menu links). The database is used only to set up personas and to check what the pages
should show: expected menu labels come from Django's gettext over the kk/ru catalogues, so the
tests follow the catalogues instead of copying their text.
"""

from __future__ import annotations

import re
from base64 import b32decode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tirek.core.models import AuditAction, AuditEvent
from tirek.core.navigation import items_for
from tirek.core.roles import Role
from tirek.testing.browser import RESULTS_DIR

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # Under `--dist loadgroup`, xdist keeps these on one worker: one browser per run.
    pytest.mark.xdist_group("browser"),
]

PASSWORD = "Browser-test-passw0rd"

# What each role must and must not find in the main menu (English source labels). Written out
# by hand from the role descriptions, independently of navigation.py and the capability
# table, so that a mistake there shows up here.
MUST_SEE = {
    Role.DEPT_HEAD: {"Home", "People", "Units", "Audit log"},
    Role.DEPT_STAFF: {"Home", "People", "Units"},
    Role.AUDITOR: {"Home", "People", "Units", "Audit log"},
    Role.VICE_RECTOR: {"Home", "Units"},
    Role.UNIT_HEAD: {"Home", "People", "Units"},
    Role.EMPLOYEE: {"Home", "Units"},
    Role.FACULTY: {"Home", "Units"},
    Role.STUDENT: {"Home", "Units"},
}
MUST_NOT_SEE = {
    Role.DEPT_HEAD: set(),
    Role.DEPT_STAFF: {"Audit log"},
    Role.AUDITOR: set(),
    Role.VICE_RECTOR: {"People", "Audit log"},
    Role.UNIT_HEAD: {"Audit log"},
    Role.EMPLOYEE: {"People", "Audit log"},
    Role.FACULTY: {"People", "Audit log"},
    Role.STUDENT: {"People", "Audit log"},
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Same Argon2 algorithm and format, cheap parameters: many logins per run.
    settings.PASSWORD_HASHERS = ["tirek.testing.hashers.FastArgon2PasswordHasher"]


@pytest.fixture
def people(personas) -> dict:
    """The personas, each with a password this module knows."""
    for user in personas.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return personas


# --- helpers ---------------------------------------------------------------------------------


def nav_labels(page) -> list[str]:
    nav = page.get_by_test_id("nav")
    nav.wait_for()
    # Links inside closed drop-down sections count too: they are in the menu, one click away.
    return [
        text.strip() for text in nav.get_by_role("link", include_hidden=True).all_text_contents()
    ]


def expected_nav(user, language: str) -> list[str]:
    with translation.override(language):
        return [str(item["label"]) for item in items_for(user)]


def translated(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def submit_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto(reverse("security:login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()


def at_path(path: str) -> re.Pattern:
    """A URL pattern for `path` on any host, with or without a query string."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def enter_code(page, code: str) -> None:
    page.locator("input[name=code]").fill(code)
    page.locator("form:has(input[name=code]) [type=submit]").click()


def code_now(device: TOTPDevice) -> str:
    """What an authenticator app holding `device`'s key shows now."""
    otp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{otp.token():0{device.digits}d}"


def enrol_through_setup_page(page) -> None:
    """Do what a person does: read the key off the page, type the app's code, save backups."""
    expect(page).to_have_url(at_path(reverse("security:two_factor_setup")))
    secret = page.get_by_test_id("totp-secret").inner_text()
    key = b32decode(secret.replace(" ", "").upper())
    enter_code(page, f"{totp(key):06d}")  # the app's defaults: 30 s steps, 6 digits
    expect(page.get_by_test_id("backup-codes").locator("li")).not_to_have_count(0)
    page.locator("main a.btn-primary").click()


def verify_with_device(page, user) -> None:
    """Sign-in's second step for a user who already has an authenticator."""
    expect(page).to_have_url(at_path(reverse("security:two_factor_verify")))
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    enter_code(page, code_now(device))


def log_in(page, user) -> None:
    """Sign in through the login form and finish the two-factor step the role needs."""
    login_path = reverse("security:login")
    submit_login(page, user.get_username())
    page.wait_for_url(lambda url: urlsplit(url).path != login_path)
    path = urlsplit(page.url).path
    if path == reverse("security:two_factor_setup"):
        enrol_through_setup_page(page)
    elif path == reverse("security:two_factor_verify"):
        verify_with_device(page, user)
    # Signed in: the menu has entries (an anonymous page has none).
    expect(page.get_by_test_id("nav").get_by_role("link").first).to_be_visible()


def switch_language(page, code: str) -> None:
    page.get_by_test_id(f"lang-{code}").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


# --- tests -----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(page, live_server):
    for path in ("/", reverse("core:audit_list")):
        page.goto(path)
        url = urlsplit(page.url)
        assert url.path == reverse("security:login")
        assert parse_qs(url.query)["next"] == [path]
        expect(page.locator("input[name=password]")).to_be_visible()
        # Nothing of the signed-in menu leaks to an anonymous visitor.
        expect(page.get_by_test_id("nav").get_by_role("link")).to_have_count(0)


def test_login_page_loads_its_assets_without_errors(page, live_server):
    """Bootstrap, its icons and htmx come from npm through staticfiles; none may be missing."""
    broken, errors = [], []
    page.on("response", lambda r: r.status >= 400 and "/static/" in r.url and broken.append(r.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(reverse("security:login"))

    page.wait_for_function("() => window.htmx !== undefined && window.bootstrap !== undefined")
    # Bootstrap's stylesheet is applied (the navbar is a flex container only with it).
    assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display") == "flex"
    assert broken == []
    assert errors == []


def test_menu_collapses_on_a_phone(page, people, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    submit_login(page, people[Role.EMPLOYEE].get_username())
    expect(page).to_have_url(f"{live_server.url}/")
    units = page.get_by_test_id("nav").get_by_role("link", name="Units", include_hidden=True)
    toggler = page.locator(".navbar-toggler")
    expect(units).to_have_count(1)
    expect(toggler).to_be_visible()
    expect(units).to_be_hidden()
    toggler.click()
    expect(units).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")


def test_wrong_password_is_refused_on_the_login_page(page, people, live_server):
    submit_login(page, "student", password="not-the-password")
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}{reverse('security:login')}")
    expect(page.get_by_test_id("nav").get_by_role("link")).to_have_count(0)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_signs_in_and_sees_its_menu(page, people, live_server, role):
    user = people[role]
    if role == Role.DEPT_STAFF:
        # Staff who enrolled earlier: sign-in asks for the code (the head enrols below).
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    log_in(page, user)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    labels = nav_labels(page)
    assert labels == expected_nav(user, "en")
    assert MUST_SEE[role] <= set(labels), labels
    assert not MUST_NOT_SEE[role] & set(labels), labels
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"home-{role}.png"), full_page=True)


def test_two_factor_is_not_skipped_by_opening_a_page_directly(page, people, live_server):
    submit_login(page, "dept_head")
    expect(page).to_have_url(at_path(reverse("security:two_factor_setup")))
    page.goto(reverse("core:audit_list"))
    expect(page).to_have_url(at_path(reverse("security:two_factor_setup")))
    expect(page.get_by_test_id("totp-secret")).to_be_visible()


def test_language_switch_translates_the_menu_and_is_remembered(
    page, browser, people, live_server, compiled_catalogues
):
    auditor = people[Role.AUDITOR]
    log_in(page, auditor)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    english = nav_labels(page)
    assert {"Home", "People", "Audit log"} <= set(english)

    for code in ("kk", "ru"):
        switch_language(page, code)
        labels = nav_labels(page)
        assert labels == expected_nav(auditor, code)
        for source in ("Home", "People", "Audit log"):
            text = translated(source, code)
            assert text != source, f"{code} catalogue has no translation for {source!r}"
            assert text in labels
        page.screenshot(path=str(RESULTS_DIR / f"home-auditor-{code}.png"), full_page=True)

    # The choice belongs to the user: a new browser (no cookies) signs in to Russian.
    other = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        fresh = other.new_page()
        log_in(fresh, auditor)
        expect(fresh.locator("html")).to_have_attribute("lang", "ru")
        assert nav_labels(fresh) == expected_nav(auditor, "ru")
    finally:
        other.close()

    switch_language(page, "en")
    assert nav_labels(page) == english


def test_student_is_denied_the_audit_log_in_their_language(
    page, people, live_server, compiled_catalogues
):
    student = people[Role.STUDENT]
    log_in(page, student)
    switch_language(page, "kk")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    response = page.goto(reverse("core:audit_list"))

    assert response.status == 403
    page.screenshot(path=str(RESULTS_DIR / "denied-student-kk.png"), full_page=True)
    heading = translated("Access denied", "kk")
    assert heading != "Access denied", "kk catalogue has no translation for 'Access denied'"
    expect(page.locator("main h1")).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    # The menu still offers only what the student may open.
    assert nav_labels(page) == expected_nav(student, "kk")
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_DENIED, actor=student, object_repr="/audit/"
    ).exists()

    # The language switch on the denied page brings the same refusal back in Russian.
    with page.expect_response(lambda r: urlsplit(r.url).path == "/audit/") as again:
        switch_language(page, "ru")
    assert again.value.status == 403
    heading = translated("Access denied", "ru")
    assert heading != "Access denied", "ru catalogue has no translation for 'Access denied'"
    expect(page.locator("main h1")).to_have_text(heading)


def test_auditor_opens_the_audit_log_from_the_menu(page, people, live_server):
    log_in(page, people[Role.AUDITOR])
    with page.expect_navigation() as navigation:
        page.get_by_test_id("nav").get_by_role("link", name="Audit log").click()
    assert navigation.value.status == 200
    expect(page).to_have_url(f"{live_server.url}{reverse('core:audit_list')}")


def test_kazakh_is_the_default_for_a_browser_that_asks_for_another_language(
    browser, live_server, compiled_catalogues
):
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(reverse("security:login"))
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        heading = translated("Sign in to Tirek", "kk")
        assert heading != "Sign in to Tirek", "kk catalogue has no translation for the login page"
        expect(page.locator("main h1")).to_have_text(heading)
    finally:
        context.close()


def test_sign_out_from_the_user_menu_ends_the_session(page, people, live_server):
    log_in(page, people[Role.FACULTY])
    page.get_by_test_id("user-menu").locator("[data-bs-toggle=dropdown]").click()
    page.get_by_test_id("sign-out").click()

    expect(page).to_have_url(at_path(reverse("security:login")))
    page.goto("/")
    assert urlsplit(page.url).path == reverse("security:login")
    expect(page.get_by_test_id("nav").get_by_role("link")).to_have_count(0)


def test_keyboard_user_can_skip_to_the_content(page, people, live_server):
    log_in(page, people[Role.EMPLOYEE])
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
