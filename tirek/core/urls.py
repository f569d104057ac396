from django.urls import path

from tirek.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.home, name="audit_list"),  # replaced by the audit viewer
]
