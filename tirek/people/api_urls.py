from rest_framework.routers import SimpleRouter

from tirek.people.api import OrgUnitViewSet, PersonViewSet

router = SimpleRouter()
router.register("people", PersonViewSet, basename="person")
router.register("units", OrgUnitViewSet, basename="orgunit")

urlpatterns = router.urls
