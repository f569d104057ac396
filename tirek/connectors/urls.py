from django.urls import path

from tirek.connectors import views

app_name = "connectors"

urlpatterns = [
    path("<slug:code>/import-file/", views.import_file, name="import_file"),
]
