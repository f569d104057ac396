from django.urls import path, re_path

from tirek.scim.views import ScimView

app_name = "scim"

urlpatterns = [
    path("", ScimView.as_view(), {"rest": ""}, name="root"),
    re_path(r"^(?P<rest>.+)$", ScimView.as_view(), name="endpoint"),
]
