from rest_framework.routers import SimpleRouter

from tirek.policies.api import PolicyRunViewSet, PolicyViewSet

router = SimpleRouter()
router.register("policies/runs", PolicyRunViewSet, basename="policies-run")
router.register("policies/rules", PolicyViewSet, basename="policies-policy")

urlpatterns = router.urls
