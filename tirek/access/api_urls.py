from rest_framework.routers import SimpleRouter

from tirek.access.api import (
    AccessRequestViewSet,
    AccountViewSet,
    CredentialDeliveryViewSet,
    FindingViewSet,
    OperationViewSet,
    ReconciliationRunViewSet,
    SystemViewSet,
)

router = SimpleRouter()
router.register("access/systems", SystemViewSet, basename="access-system")
router.register("access/accounts", AccountViewSet, basename="access-account")
router.register("access/operations", OperationViewSet, basename="access-operation")
router.register("access/requests", AccessRequestViewSet, basename="access-request")
router.register("access/deliveries", CredentialDeliveryViewSet, basename="access-delivery")
router.register(
    "access/reconciliation-runs", ReconciliationRunViewSet, basename="access-reconciliation-run"
)
router.register("access/reconciliation-findings", FindingViewSet, basename="access-finding")

urlpatterns = router.urls
