from django.urls import path
from rest_framework.routers import SimpleRouter

from tirek.cards import api

router = SimpleRouter()
router.register("cards", api.CardViewSet, basename="card")

urlpatterns = [
    path("cards/turnstile/", api.TurnstileView.as_view(), name="cards-turnstile"),
    path(
        "cards/identifier-exports/",
        api.IdentifierExportView.as_view(),
        name="cards-identifier-exports",
    ),
    *router.urls,
]
