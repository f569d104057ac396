"""Django admin (superusers only) for the core app."""

from tirek.core import admin_jobs  # noqa: F401
