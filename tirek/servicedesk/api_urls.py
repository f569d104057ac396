from rest_framework.routers import SimpleRouter

from tirek.servicedesk.api import TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = router.urls
