from django.urls import path

from tirek.servicedesk import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("new/<slug:kind>/", views.submit, name="submit"),
    path("t/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("t/<int:pk>/comment/", views.comment, name="comment"),
    path("t/<int:pk>/transition/", views.transition, name="transition"),
    path("t/<int:pk>/rate/", views.rate, name="rate"),
    path("t/<int:pk>/action/", views.ticket_action, name="ticket_action"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("figures/", views.figures, name="figures"),
    path("figures/export.<slug:fmt>", views.figures_export, name="figures_export"),
    path("systems/", views.systems, name="systems"),
    path("systems/<slug:code>/", views.system_profile, name="system_profile"),
    path("teams/", views.team_save, name="team_create"),
    path("teams/<int:pk>/", views.team_save, name="team_save"),
    path("delegates/", views.delegates, name="delegates"),
    path("delegates/<int:pk>/revoke/", views.delegate_revoke, name="delegate_revoke"),
    path("preferences/", views.preferences, name="preferences"),
    path("status/", views.status_page, name="status"),
]
