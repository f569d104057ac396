"""Login against the university's LDAP or Active Directory (django-auth-ldap).

Settings (server, bind account, StartTLS, CA file, user search) come from the environment via
tirek/settings.py, which puts this backend into AUTHENTICATION_BACKENDS when LDAP_AUTH_URL is
set. Users made by this backend have no usable local password: they change it in the directory.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django_auth_ldap.backend import LDAPBackend

from tirek.security.services import link_person_by_email

log = logging.getLogger(__name__)


class TirekLDAPBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        # A local account (one with a usable password) is never taken over by a directory entry
        # that happens to have the same name; the local password backend serves it.
        username = self.ldap_to_django_username(ldap_user._username)
        existing = get_user_model().objects.filter(username__iexact=username.lower()).first()
        if existing is not None and existing.has_usable_password():
            log.info("LDAP login refused for %s: a local account has that name", username)
            return None
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            try:
                link_person_by_email(user)
            except Exception:  # linking is a convenience; it must never block a login
                log.exception("could not link %s to a person", username)
        return user


def is_directory_user(user) -> bool:
    """True for users whose password lives in LDAP/AD (no usable local password)."""
    return not user.has_usable_password()
