"""Every app's API under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("tirek.people.api_urls")),
    path("", include("tirek.cards.api_urls")),
    path("", include("tirek.access.api_urls")),
    path("", include("tirek.servicedesk.api_urls")),
    path("", include("tirek.policies.api_urls")),
]
