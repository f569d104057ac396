import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.oath import TOTP

PASSWORD = "Tirek-test-pw-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tirek.testing.hashers.FastArgon2PasswordHasher"]


@pytest.fixture
def make_user(db):
    """make_user("aigerim", groups=["dept_staff"]) -> a local user with PASSWORD."""

    def make(username: str, *, groups: tuple[str, ...] | list[str] = (), **fields):
        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, email=fields.pop("email", ""), **fields
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make


def current_code(device, offset: int = 0) -> str:
    """The code an authenticator app would show now (offset in steps, for a second code)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"
