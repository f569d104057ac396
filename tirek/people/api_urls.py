from rest_framework.routers import SimpleRouter

from tirek.people.api import OrgUnitViewSet, PersonViewSet
from tirek.people.imports.api import ImportRunViewSet, ImportSourceViewSet

router = SimpleRouter()
router.register("people", PersonViewSet, basename="person")
router.register("units", OrgUnitViewSet, basename="orgunit")
router.register("import-sources", ImportSourceViewSet, basename="importsource")
router.register("import-runs", ImportRunViewSet, basename="importrun")

urlpatterns = router.urls
