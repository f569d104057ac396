from django.urls import path

from tirek.access import reconciliation_views as recon
from tirek.access import views

app_name = "access"
urlpatterns = [
    path("", views.my_access, name="my_access"),
    path("systems/", views.system_list, name="system_list"),
    path("systems/<slug:code>/", views.system_detail, name="system_detail"),
    path("systems/<slug:code>/edit/", views.system_edit, name="system_edit"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/<slug:action>/", views.account_action, name="account_action"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("approvals/", views.inbox, name="inbox"),
    path("approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("operations/", views.operation_list, name="operation_list"),
    path("operations/<int:pk>/<slug:action>/", views.operation_action, name="operation_action"),
    path("credentials/<int:pk>/", views.credential, name="credential"),
    path("c/<str:token>/", views.mailed_credential, name="mailed_credential"),
    path("slips/", views.slips, name="slips"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("systems/<slug:code>/reconciliation/", recon.run_list, name="run_list"),
    path("systems/<slug:code>/reconcile/", recon.reconcile_now, name="reconcile_now"),
    path("reconciliation/<int:pk>/", recon.run_detail, name="run_detail"),
    path("reconciliation/<int:pk>/bulk/", recon.bulk_action, name="bulk_action"),
    path(
        "reconciliation/findings/<int:pk>/<slug:action>/",
        recon.finding_action,
        name="finding_action",
    ),
]
