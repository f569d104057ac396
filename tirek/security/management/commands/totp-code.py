"""`tirek totp-code USERNAME`: the current two-factor code of a demo login.

It reads only devices named "demo" (made by `tirek demo`), so it cannot reveal codes of real
accounts.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tirek.security.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo login (demo devices only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        code = demo_totp_code(user)
        if code is None:
            raise CommandError(
                f"{username!r} has no demo two-factor device; this command works only for the "
                "demo logins that `tirek demo` creates."
            )
        self.stdout.write(code)
