from rest_framework.routers import SimpleRouter

from tirek.access.api import (
    AccessRequestViewSet,
    AccountViewSet,
    CredentialDeliveryViewSet,
    OperationViewSet,
    SystemViewSet,
)

router = SimpleRouter()
router.register("access/systems", SystemViewSet, basename="access-system")
router.register("access/accounts", AccountViewSet, basename="access-account")
router.register("access/operations", OperationViewSet, basename="access-operation")
router.register("access/requests", AccessRequestViewSet, basename="access-request")
router.register("access/deliveries", CredentialDeliveryViewSet, basename="access-delivery")

urlpatterns = router.urls
