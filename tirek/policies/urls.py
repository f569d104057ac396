from django.urls import path

from tirek.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("new/", views.policy_edit, name="policy_create"),
    path("<int:pk>/", views.policy_edit, name="policy_edit"),
    path("<int:pk>/delete/", views.policy_delete, name="policy_delete"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/now/", views.run_now, name="run_now"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/<slug:decision>/", views.run_decide, name="run_decide"),
    path("people/<int:pk>/", views.person_entitlements, name="person_entitlements"),
]
