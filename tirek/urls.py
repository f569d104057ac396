from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("tirek.core.urls")),
    path("auth/", include("tirek.security.urls")),
    path("people/", include("tirek.people.urls")),
    path("", include("tirek.cards.urls")),
    path("access/", include("tirek.access.urls")),
    path("policies/", include("tirek.policies.urls")),
    path("manual/", include("tirek.manualwork.urls")),
    path("connectors/", include("tirek.connectors.urls")),
    path("servicedesk/", include("tirek.servicedesk.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("tirek.api_urls")),
    path("scim/v2/", include("tirek.scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(settings.ADMIN_URL if hasattr(settings, "ADMIN_URL") else "admin/", admin.site.urls),
]
